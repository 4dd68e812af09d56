"""Reports from a loaded snapshot: any ``as_of`` and store subset, with the same bytes as
the CSV path (see :mod:`storemon.snapshot`)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from storemon.clock.ticks import TICKS_PER_HOUR, TICKS_PER_SECOND, TICKS_PER_US, iso_utc
from storemon.report.business_hours import StoreCalendar
from storemon.report.incidents import find_incidents, week_business_intervals
from storemon.report.per_group import GroupedKeys
from storemon.report.pipeline import (
    STORE_COLUMNS,
    ReportResult,
    ids_not_found,
    parse_instant,
    percentages_frame,
    report_frame,
    report_from_parsed,
    request_warnings,
)
from storemon.report.timeline import WEEK_HOURS, SelectedPolls, Timeline, WindowTotals, week_events
from storemon.snapshot.reader import ZONE_SOURCES, Snapshot

WEEK_TICKS = 168 * TICKS_PER_HOUR

logger = logging.getLogger(__name__)


def report_from_snapshot(
    snap: Snapshot,
    *,
    as_of: str | None = None,
    store_ids: list[str] | None = None,
    started: float | None = None,
    incidents: bool = False,
) -> ReportResult:
    """The report from a snapshot: the same result as the CSV path for these inputs
    (``incidents=True``: with the week's incidents and business intervals, as the engine)."""
    started = time.perf_counter() if started is None else started
    now_us = parse_instant(as_of) if as_of is not None else snap.now_us
    if not snap.covers(now_us):
        logger.info("as_of outside the snapshot's calendar: the engine runs on its inputs")
        polls, hours, zones = snap.parsed_inputs()
        return report_from_parsed(
            polls,
            hours,
            zones,
            as_of=as_of,
            store_ids=store_ids,
            started=started,
            incidents=incidents,
        )
    ranks = _selection(snap.store_ids, store_ids)
    facts = _facts_at(snap, ranks, now_us)
    view = _View(snap, facts.pop("rank"))
    totals = _window_totals(view, facts, now_us)
    result = _result(
        snap, view, facts, totals, now_us=now_us, as_of=as_of, store_ids=store_ids, started=started
    )
    if incidents:
        _add_incidents(result, view, facts, now_us)
        result.summary["duration_seconds"] = round(time.perf_counter() - started, 3)
    return result


def _add_incidents(result: ReportResult, view: _View, facts: dict, now_us: int) -> None:
    """The engine's week events on the snapshot's calendar and timeline, then its incidents
    and the week's business intervals."""
    selected = SelectedPolls(
        now_us=now_us,
        store_id=np.asarray(view.pick(view.derived["store_ids"])),
        rank=np.zeros(0, dtype=np.int64),
        time_us=np.zeros(0, dtype=np.int64),
        active=np.zeros(0, dtype=bool),
        rows_per_store=np.asarray(facts["raw"], dtype=np.int64),
    )
    calendar = _view_calendar(view, selected.now_tick)
    events = week_events(selected, _view_timeline(view, facts, now_us), calendar)
    result.incidents = find_incidents(events, selected.store_id, calendar, selected.now_tick)
    result.business_intervals = week_business_intervals(
        calendar, selected.store_id, selected.window_start(WEEK_HOURS), selected.now_tick
    )


def _view_calendar(view: _View, now_tick: int) -> StoreCalendar:
    """The selected stores' calendar, with the engine's sentinel interval at the end."""
    d, pick = view.derived, view.pick
    owner, at = view.intervals
    base_s = int(view.meta["calendar_base_s"])
    return StoreCalendar(
        n_stores=view.count,
        has_hours=np.asarray(pick(d["has_hours"]), dtype=bool),
        days_with_hours=np.asarray(pick(d["hours_days"]), dtype=np.int64),
        zone_names=list(view.meta["zone_names"]),
        zone_of_rank=np.asarray(pick(d["zone_index"]), dtype=np.int64),
        zone_source=ZONE_SOURCES[pick(d["zone_source"])],
        open_rank=np.append(owner, view.count),
        open_tick=_ticks(d["interval_open"][at], base_s, now_tick),
        close_tick=_ticks(d["interval_close"][at], base_s, now_tick),
        business_before=_ticks(d["interval_before"][at], 0, 0),
    )


def _view_timeline(view: _View, facts: dict, now_us: int) -> Timeline:
    """The status at the week's start and the changes inside the week (see _window_totals)."""
    d = view.derived
    now_tick = now_us * TICKS_PER_US
    week_start = now_tick - WEEK_TICKS
    owner, at = view.changes
    tick = d["change_tick"][at]
    has_inside = facts["has_inside"]
    use = (d["change_later_us"][at] <= now_us) & (d["change_kind"][at] == (~has_inside)[owner])
    first_active = view.pick(d["first_active"])
    status = np.where(has_inside, view.pick(d["first_inside_active"]), first_active)
    before = use & (tick <= week_start)
    status = status ^ (np.bincount(owner[before], minlength=view.count) % 2 == 1)
    in_week = use & (tick > week_start) & (tick < now_tick)
    return Timeline(
        status_at_week_start=status,
        change_rank=owner[in_week],
        change_tick=tick[in_week],
        evidence_polls=int(facts["evidence"].sum()),
    )


def _selection(all_ids: np.ndarray, store_ids: list[str] | None) -> np.ndarray | None:
    """Ranks of the requested stores that the data holds (None: every store)."""
    if store_ids is None:
        return None
    wanted = np.array([str(s).strip() for s in store_ids], dtype=str)
    if not len(wanted) or not len(all_ids):
        return np.zeros(0, dtype=np.int64)
    at = np.minimum(np.searchsorted(all_ids, wanted), len(all_ids) - 1)
    return np.unique(at[all_ids[at] == wanted])


def _facts_at(snap: Snapshot, ranks: np.ndarray | None, now_us: int) -> dict[str, np.ndarray]:
    """Per store: the polls at or before now (unique, raw, inside), the last of them, and
    whether any lies inside business hours; only stores with such a poll are kept."""
    d = snap.derived
    rank = np.arange(len(snap.store_ids)) if ranks is None else ranks
    first = d["first_poll_us"] if ranks is None else d["first_poll_us"][rank]
    if ranks is not None or not (first <= now_us).all():
        rank = rank[first <= now_us]
    every = len(rank) == len(snap.store_ids)

    def pick(array: np.ndarray) -> np.ndarray:
        return array if every else array[rank]

    lo, hi = d["poll_offsets"][rank], d["poll_offsets"][rank + 1]
    facts = {
        "rank": rank,
        "unique": hi - lo,
        "raw": pick(d["raw_polls"]),
        "inside": pick(d["inside_polls"]),
        "last_iso": pick(d["last_poll_iso"]),
        "has_inside": pick(d["first_inside_us"]) <= now_us,
    }
    partial = pick(d["last_poll_us"]) > now_us
    if partial.any():
        _cut_partial(snap, facts, lo=lo, hi=hi, partial=partial, now_us=now_us)
    facts["evidence"] = np.where(facts["has_inside"], facts["inside"], facts["unique"])
    return facts


def _cut_partial(snap, facts, *, lo, hi, partial, now_us) -> None:
    """Counts and last poll of the stores with polls after now, from the per-poll arrays."""
    poll_us = snap.inputs()["poll_us"]
    lo, hi = lo[partial], hi[partial]
    cut = _first_after(poll_us, lo, hi, now_us)
    dup_index, dup_extra = snap.inputs()["dup_index"], snap.inputs()["dup_extra"]
    extra_before = np.concatenate([[0], np.cumsum(dup_extra)])
    extras = (
        extra_before[np.searchsorted(dup_index, cut)] - extra_before[np.searchsorted(dup_index, lo)]
    )
    inside = snap.cumulative("poll_inside")
    facts["unique"] = facts["unique"].copy()
    facts["unique"][partial] = cut - lo
    facts["raw"] = facts["raw"].copy()
    facts["raw"][partial] = cut - lo + extras
    facts["inside"] = facts["inside"].copy()
    facts["inside"][partial] = inside[cut] - inside[lo]
    facts["last_iso"] = _text(facts["last_iso"])
    facts["last_iso"][partial] = iso_utc(np.asarray(poll_us[cut - 1]))


def _text(values: np.ndarray) -> np.ndarray:
    """Stored ASCII text (bytes) as an object array of str (a new array)."""
    if values.dtype.kind == "S":
        return values.astype(str).astype(object)
    return np.array(values, dtype=object)


def _first_after(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, limit: int) -> np.ndarray:
    """For each [lo, hi) range of ascending ``values``: the first index whose value is above
    ``limit`` (a vectorised binary search, one step for all ranges at a time)."""
    lo, hi = lo.copy(), hi.copy()
    last = len(values) - 1
    while True:
        open_ = lo < hi
        if not open_.any():
            return lo
        middle = (lo + hi) // 2
        right = values[np.minimum(middle, last)] <= limit
        lo = np.where(open_ & right, middle + 1, lo)
        hi = np.where(open_ & ~right, middle, hi)


class _View:
    """The reported stores' slices of the per-store, interval and change arrays."""

    def __init__(self, snap: Snapshot, rank: np.ndarray):
        d = snap.derived
        self.derived = d
        self.meta = snap.meta
        self.rank = rank
        self.count = len(rank)
        every = self.count == len(snap.store_ids)  # all stores: no gathering
        self.pick: Callable[[np.ndarray], Any] = (lambda a: a) if every else (lambda a: a[rank])
        self.intervals = self._ragged(d, "interval_offsets", every)
        self.changes = self._ragged(d, "change_offsets", every)

    def _ragged(self, d: dict, offsets_name: str, every: bool) -> tuple[np.ndarray, Any]:
        """(local rank of each element, index into the arrays or a slice)."""
        offsets = d[offsets_name]
        lo, hi = offsets[self.rank], offsets[self.rank + 1]
        owner = np.repeat(np.arange(self.count), hi - lo)
        if every:
            return owner, slice(None)
        return owner, lo[owner] + np.arange(len(owner)) - (np.cumsum(hi - lo) - (hi - lo))[owner]


def _window_totals(view: _View, facts: dict, now_us: int) -> dict[str, tuple[Any, Any]]:
    """Uptime and business time of each window, in ticks, per reported store."""
    d, m = view.derived, view.count
    now_tick = now_us * TICKS_PER_US
    starts = [now_tick - hours * TICKS_PER_HOUR for hours in (168, 24, 1)]
    owner, at = view.changes
    tick = d["change_tick"][at]
    has_inside = facts["has_inside"]
    use = (d["change_later_us"][at] <= now_us) & (d["change_kind"][at] == (~has_inside)[owner])
    status0 = np.where(
        has_inside, view.pick(d["first_inside_active"]), view.pick(d["first_active"])
    )
    before = use & (tick <= starts[0])
    status = status0 ^ (np.bincount(owner[before], minlength=m) % 2 == 1)
    in_week = use & (tick > starts[0]) & (tick < now_tick)
    events = _events(owner[in_week], tick[in_week], starts, now_tick, m)
    business = _business_at(view, events["rank"], events["tick"])
    return _integrate(events, business, status, m)


def _events(rank, tick, starts, now_tick, m) -> dict[str, np.ndarray]:
    """Each store's events in time order: the week, day and hour starts, the changes inside
    the week, and now (a window start sorts before a change at the same instant). Changes
    come sorted by (store, time), so positions are counted, not sorted."""
    week, day, hour = starts
    per_store = np.bincount(rank, minlength=m)
    before_store = np.cumsum(per_store) - per_store
    base = 4 * np.arange(m) + before_store
    markers = np.stack(
        [
            base,
            base + 1 + np.bincount(rank[tick < day], minlength=m),
            base + 2 + np.bincount(rank[tick < hour], minlength=m),
            base + 3 + per_store,
        ]
    )
    event_tick = np.empty(4 * m + len(tick), dtype=np.int64)
    for kind, marker_tick in enumerate((week, day, hour, now_tick)):
        event_tick[markers[kind]] = marker_tick
    position = base[rank] + np.arange(len(tick)) - before_store[rank] + 1
    position += (tick >= day).astype(np.int64) + (tick >= hour)
    event_tick[position] = tick
    is_change = np.zeros(len(event_tick), dtype=bool)
    is_change[position] = True
    return {
        "tick": event_tick,
        "rank": np.repeat(np.arange(m), 4 + per_store),
        "change": is_change,
        "markers": markers,
    }


def _ticks(seconds: np.ndarray, base_s: int, sentinel: int) -> np.ndarray:
    """Stored seconds as ticks, with one more entry (the sentinel) at the end."""
    out = np.empty(len(seconds) + 1, dtype=np.int64)
    out[:-1] = seconds
    out[:-1] += base_s
    out[:-1] *= TICKS_PER_SECOND
    out[-1] = sentinel
    return out


def _business_at(view: _View, event_rank: np.ndarray, event_tick: np.ndarray) -> np.ndarray:
    """Each store's cumulative business time B(t) at its events (t itself when open 24/7)."""
    d = view.derived
    owner, at = view.intervals
    first_tick = int(event_tick[0]) if len(event_tick) else 0
    base_s = int(view.meta["calendar_base_s"])
    rank = np.append(owner, view.count)
    opens = _ticks(d["interval_open"][at], base_s, first_tick)
    closes = _ticks(d["interval_close"][at], base_s, first_tick)
    before = _ticks(d["interval_before"][at], 0, 0)
    keys = GroupedKeys(view.count + 1, [opens, event_tick])
    found = np.searchsorted(keys(rank, opens), keys(event_rank, event_tick), side="right") - 1
    safe = np.maximum(found, 0)
    matched = (found >= 0) & (rank[safe] == event_rank)
    inside = np.clip(event_tick - opens[safe], 0, closes[safe] - opens[safe])
    business = np.where(matched, before[safe] + inside, 0)
    return np.where(view.pick(d["has_hours"])[event_rank], business, event_tick)


def _integrate(events, business, status, m) -> dict[str, tuple[Any, Any]]:
    """(uptime, business time) in ticks of each window, per store."""
    markers, event_rank = events["markers"], events["rank"]
    segment = np.zeros(len(business), dtype=np.int64)
    segment[:-1] = business[1:] - business[:-1]
    segment[markers[3]] = 0  # now: each store's last event
    flips = np.cumsum(events["change"])
    parity = (flips - flips[markers[0]][event_rank]) % 2 == 1
    active = np.where(status[event_rank] ^ parity, segment, 0)
    up_before = np.cumsum(active) - active
    now = markers[3]
    return {
        name: (up_before[now] - up_before[markers[k]], business[now] - business[markers[k]])
        for k, name in enumerate(("week", "day", "hour"))
    }


def _result(snap, view, facts, totals, *, now_us, as_of, store_ids, started) -> ReportResult:
    d, pick = snap.derived, view.pick
    store_id = np.asarray(pick(snap.store_ids))  # str array, as the engine passes it
    window_totals = WindowTotals(
        business={name: total for name, (_, total) in totals.items()},
        uptime={name: up for name, (up, _) in totals.items()},
    )
    zone_names = np.asarray(snap.meta["zone_names"], dtype=object)
    has_hours, source = pick(d["has_hours"]), pick(d["zone_source"])
    stores = pd.DataFrame(
        {
            "store_id": store_id,
            "polls": np.asarray(facts["raw"], dtype=np.int64),
            "first_poll": _text(pick(d["first_poll_iso"])),
            "last_poll": _text(facts["last_iso"]),
            "timezone": zone_names[pick(d["zone_index"])],
            "timezone_source": ZONE_SOURCES[source],
            "hours_defined": np.asarray(has_hours, dtype=bool),
            "hours_days": np.asarray(pick(d["hours_days"]), dtype=np.int64),
        },
        columns=STORE_COLUMNS,
    )
    not_found = ids_not_found(store_id, store_ids)
    poll_range = (snap.now_us, int(snap.meta["first_us"]))
    summary = {
        "now": iso_utc(np.array([now_us]))[0],
        "as_of": as_of,
        "store_filter": None if store_ids is None else len(store_ids),
        "stores_reported": int(view.count),
        "store_ids_not_found": not_found,
        "files": json.loads(json.dumps(snap.meta["files"])),
        "stores_default_24x7": int((~has_hours).sum()),
        "stores_default_timezone": {
            "missing": int((source == 1).sum()),
            "invalid": int((source == 2).sum()),
        },
        "polls_used": int(facts["unique"].sum()),
        "evidence_polls": int(facts["evidence"].sum()),
        "warnings": request_warnings(poll_range, now_us, as_of, not_found, store_ids),
        "duration_seconds": round(time.perf_counter() - started, 3),
    }
    return ReportResult(
        report=report_frame(store_id, window_totals),
        summary=summary,
        stores=stores,
        percentages=percentages_frame(store_id, window_totals),
    )
