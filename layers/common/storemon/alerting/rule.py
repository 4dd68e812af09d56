"""SPEC §10's notification rule for one incident identity, for every audience at once.

An incident's identity is (store, start) (:func:`identity_key`). An *audience* receives
notifications with a threshold M (business minutes): the SNS topic at the service's
``ALERT_MIN_MINUTES``, each webhook subscription at its own ``min_minutes``. For one audience
the rule is §10's: a ``store.down`` the first time an ingest shows the identity as a §7
incident of the week (``in_week``) with at least M business minutes (``ongoing`` true or
false), and one ``store.recovered`` when an ingest shows the end of an identity the audience
was told about while it was ongoing.

One :class:`State` per identity covers every threshold: audiences whose M is at most
``down_ticks`` had their ``store.down``; those whose M lies in one of ``open_ranges``
(``(low, high]``) had it while the incident was ongoing and wait for their
``store.recovered``. :func:`step` applies one ingest's view of the identity; it is a pure
function, so the service can apply it under a conditional write and retry it on a conflict.

Thresholds and business time are integer ticks (half microseconds, as the engine counts), so
"at least M minutes" is exact. The notifications' JSON (:func:`notification`) is §10's; its id
(:func:`webhook_id`) is a digest of (type, store, start): the same on every retry and every
re-evaluation, so receivers drop repeats.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

TICKS_PER_MINUTE = 120_000_000  # ticks of half a microsecond
DOWN, RECOVERED = "store.down", "store.recovered"
NO_DOWN = -1  # down_ticks before any store.down: every threshold (>= 0) is above it

Range = tuple[int, int]  # thresholds in (low, high], ticks


def minutes_to_ticks(minutes: float) -> int:
    """A threshold in minutes as ticks (whole ticks, rounded up: "at least")."""
    ticks = minutes * TICKS_PER_MINUTE
    whole = int(ticks)
    return whole if whole == ticks else whole + 1


@dataclass(frozen=True)
class View:
    """One incident as one ingest shows it (SPEC §10: not clipped to the week)."""

    store_id: str
    start_tick: int
    end_tick: int
    business_ticks: int
    ongoing: bool
    in_week: bool  # also a §7 incident of the week (overlaps it with business time)


@dataclass(frozen=True)
class State:
    """What the audiences of one identity were told (see the module doc)."""

    down_ticks: int = NO_DOWN
    open_ranges: tuple[Range, ...] = ()

    def has_open(self) -> bool:
        return bool(self.open_ranges)


@dataclass(frozen=True)
class Step:
    """One ingest's effect on one identity: the new state, the thresholds that get a
    ``store.down`` now (``down``: ``(low, high]`` or None) and those that get a
    ``store.recovered`` now (``recovered``)."""

    state: State
    down: Range | None = None
    recovered: tuple[Range, ...] = field(default=())

    @property
    def notifies(self) -> bool:
        return self.down is not None or bool(self.recovered)


@dataclass(frozen=True)
class Audience:
    """Who is told: the topic (``subscription_id`` None) or one webhook subscription; its
    threshold in ticks and its stores (None: every store)."""

    subscription_id: str | None
    threshold: int
    stores: frozenset[str] | None = None

    def covers(self, store_id: str) -> bool:
        return self.stores is None or store_id in self.stores


@dataclass(frozen=True)
class Notice:
    """One notification and who gets it: the topic (``topic``) and these subscriptions."""

    webhook_id: str
    payload: dict
    topic: bool
    subscriptions: tuple[str, ...]

    def to_json(self) -> dict:
        return {
            "webhook_id": self.webhook_id,
            "payload": self.payload,
            "topic": self.topic,
            "subscriptions": list(self.subscriptions),
        }

    @classmethod
    def from_json(cls, value: dict) -> Notice:
        return cls(
            str(value["webhook_id"]),
            dict(value["payload"]),
            bool(value["topic"]),
            tuple(str(s) for s in value["subscriptions"]),
        )


def in_ranges(threshold: int, ranges: tuple[Range, ...] | list[Range]) -> bool:
    return any(low < threshold <= high for low, high in ranges)


def step(state: State, view: View, thresholds: list[int] | tuple[int, ...]) -> Step:
    """Apply one ingest's `view` to `state` for the audiences of `thresholds` (ticks).

    Thresholds that no audience has are not recorded: an audience created later still gets its
    ``store.down`` when the incident reaches its M. The state changes without a notification
    only when an incident whose audiences were all deleted ends (its open ranges go)."""
    down: Range | None = None
    ranges = list(state.open_ranges)
    high = view.business_ticks
    if view.in_week and high > state.down_ticks:
        owed = (state.down_ticks, high)
        if any(in_ranges(t, [owed]) for t in thresholds):
            down = owed
    recovered: tuple[Range, ...] = ()
    if not view.ongoing and ranges:
        if any(in_ranges(t, ranges) for t in thresholds):
            recovered = tuple(ranges)
        ranges = []  # an audience deleted meanwhile is owed nothing
    if down is not None and view.ongoing:
        ranges.append(down)
    new = State(down[1] if down else state.down_ticks, tuple(ranges))
    return Step(new, down, recovered)


def identity_key(store_id: str, start_tick: int) -> str:
    """The identity's key in the state table: a digest of (store, start) (store ids are
    opaque text of any length)."""
    digest = hashlib.sha256(f"{store_id}\n{start_tick}".encode()).hexdigest()
    return f"incident#{digest[:40]}"


def webhook_id(kind: str, store_id: str, start_tick: int) -> str:
    """The notification's ``webhook-id``: stable for (type, store, start)."""
    digest = hashlib.sha256(f"{kind}\n{store_id}\n{start_tick}".encode()).hexdigest()
    return f"msg_{digest[:32]}"


def business_minutes(business_ticks: int) -> float:
    """§7's business minutes: 2 decimals."""
    return round(business_ticks / TICKS_PER_MINUTE, 2)


def notification(kind: str, view: View, texts: dict[str, str], timestamp: str) -> dict:
    """§10's JSON: ``{"type", "timestamp", "data": {...}}``; `texts` holds the incident's
    ``start_utc`` and ``end_utc`` as §7 writes them, `timestamp` when it was found (the same
    form)."""
    return {
        "type": kind,
        "timestamp": timestamp,
        "data": {
            "store_id": view.store_id,
            "start_utc": texts["start_utc"],
            "end_utc": texts["end_utc"],
            "business_minutes": business_minutes(view.business_ticks),
            "ongoing": bool(view.ongoing),
        },
    }


def state_to_item(state: State) -> dict:
    """The state as DynamoDB attributes (numbers and lists of numbers)."""
    return {
        "down_ticks": state.down_ticks,
        "open_ranges": [[low, high] for low, high in state.open_ranges],
    }


def state_from_item(item: dict | None) -> State:
    """The state of a stored item (None: never notified)."""
    if not item:
        return State()
    ranges = tuple((int(low), int(high)) for low, high in item.get("open_ranges") or [])
    return State(int(item.get("down_ticks", NO_DOWN)), ranges)


def notices(
    state: State,
    view: View,
    audiences: list[Audience] | tuple[Audience, ...],
    texts: dict[str, str],
    timestamp: str,
) -> tuple[Step, list[Notice]]:
    """:func:`step` for the audiences of the view's store, and the notifications it owes, each
    with the audiences it goes to."""
    mine = [a for a in audiences if a.covers(view.store_id)]
    result = step(state, view, [a.threshold for a in mine])
    out = []
    owed = [(DOWN, [result.down] if result.down else []), (RECOVERED, list(result.recovered))]
    for kind, ranges in owed:
        told = [a for a in mine if in_ranges(a.threshold, ranges)]
        if told:
            out.append(
                Notice(
                    webhook_id(kind, view.store_id, view.start_tick),
                    notification(kind, view, texts, timestamp),
                    any(a.subscription_id is None for a in told),
                    tuple(sorted(str(a.subscription_id) for a in told if a.subscription_id)),
                )
            )
    return result, out
