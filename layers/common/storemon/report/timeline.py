"""The interpolated status of each store over time (SPEC §4) and each window's totals (§5).

The phases, in order, each a function over flat arrays (no loop over stores or polls):

1. :func:`select_polls`: polls at or before ``now`` of the requested stores, sorted once by
   (store, time) with one integer key; polls of one store at one instant collapse to one,
   ``inactive`` winning. Stores get their *rank* (store_id order as strings).
2. :func:`evidence`: the polls inside business hours (all of a store's polls when none is).
3. :func:`status_changes`: the status only changes at the midpoints between consecutive
   evidence polls of different status; a :class:`Timeline` holds each store's status at the
   week's start and its changes inside the week.
4. :func:`week_events`: per store, the window starts, the changes and ``now`` in time order,
   with the cumulative business time ``B(t)`` and the business time spent active before each.
5. :func:`window_totals`: business time and uptime of every window, exact, in ticks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from storemon.clock.ticks import TICKS_PER_HOUR, TICKS_PER_US
from storemon.inputs.tables import Polls
from storemon.report.business_hours import StoreCalendar
from storemon.report.per_group import (
    GroupSortKeys,
    exclusive_group_cumsum,
    group_ends,
    group_starts,
)

# (name, window length in hours, output unit in seconds)
WINDOWS = (("hour", 1, 60), ("day", 24, 3600), ("week", 168, 3600))
WEEK_HOURS = 168
# event kinds, in their tie-breaking order at one instant
MARK_WEEK, MARK_DAY, MARK_HOUR, MARK_NOW, CHANGE = range(5)


@dataclass(frozen=True)
class SelectedPolls:
    """The polls a report uses, one per (store, instant), sorted by (rank, time).

    ``store_id`` (str ndarray): rank -> id, sorted as strings, the stores with at least one
    poll at or before ``now_us``. ``rank`` (int64), ``time_us`` (int64, µs since the epoch)
    and ``active`` (bool) are the polls. ``rows_per_store`` (int64, one per rank): the poll
    rows of each store before instants collapsed.
    """

    now_us: int
    store_id: np.ndarray
    rank: np.ndarray
    time_us: np.ndarray
    active: np.ndarray
    rows_per_store: np.ndarray

    @property
    def n_stores(self) -> int:
        return len(self.store_id)

    @property
    def now_tick(self) -> int:
        return self.now_us * TICKS_PER_US

    def window_start(self, hours_back: int) -> int:
        """The tick ``hours_back`` hours before now."""
        return self.now_tick - hours_back * TICKS_PER_HOUR


@dataclass(frozen=True)
class Timeline:
    """The interpolated status of every store during the week window.

    ``status_at_week_start`` (bool, one per rank): the status at the window's first instant.
    ``change_rank``/``change_tick`` (int64, sorted by (rank, tick)): the instants strictly
    inside (week start, now) where the status flips (a store's changes alternate; the status
    from a change on is the later poll's). ``evidence_polls``: polls used as evidence.
    """

    status_at_week_start: np.ndarray
    change_rank: np.ndarray
    change_tick: np.ndarray
    evidence_polls: int


@dataclass(frozen=True)
class WeekEvents:
    """Per store, in time order: the window starts, the changes of the week and now.

    ``now_tick``: the report's now. The arrays have one entry per event, sorted by (rank,
    tick, kind): ``rank`` (int64),
    ``tick`` (int64), ``kind`` (``MARK_WEEK`` .. ``MARK_NOW`` once per store, ``CHANGE``),
    ``business`` (``B(tick)``, int64 ticks), ``active_after`` (bool: the status from this
    event to the store's next one) and ``uptime_before`` (int64 ticks: business time spent
    active from the week's start to this event).
    """

    now_tick: int
    rank: np.ndarray
    tick: np.ndarray
    kind: np.ndarray
    business: np.ndarray
    active_after: np.ndarray
    uptime_before: np.ndarray


@dataclass(frozen=True)
class WindowTotals:
    """Exact business time and uptime (int64 ticks, one per rank) of each window, by name."""

    business: dict[str, np.ndarray]
    uptime: dict[str, np.ndarray]


def select_polls(polls: Polls, now_us: int, store_ids: list[str] | None) -> SelectedPolls:
    """Polls at or before ``now_us`` of the requested stores (all when ``store_ids`` is None;
    requested ids are trimmed)."""
    keep = polls.time_us <= now_us
    if store_ids is not None:
        keep &= requested_codes(polls.store_ids, store_ids)[polls.store]
    every_poll = bool(keep.all())  # the usual full report: no copies
    codes = polls.store if every_poll else polls.store[keep]
    time_us = polls.time_us if every_poll else polls.time_us[keep]
    active = polls.active if every_poll else polls.active[keep]
    store_id, rank_of_code = store_ranks(polls.store_ids, codes)
    poll_rank = rank_of_code[codes]
    rows_per_store = np.bincount(poll_rank, minlength=len(store_id))
    rank, time_us, active, _ = unique_polls(poll_rank, time_us, active, len(store_id))
    return SelectedPolls(
        now_us=now_us,
        store_id=store_id,
        rank=rank,
        time_us=time_us,
        active=active,
        rows_per_store=rows_per_store,
    )


def store_ranks(known_ids: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The stores that ``codes`` (indexes into ``known_ids``) name, in the report's order (the
    id as text): ``store_id`` (rank -> id, str) and ``rank_of_code`` (-1 for ids not named)."""
    present = np.flatnonzero(np.bincount(codes, minlength=len(known_ids)))
    ids = known_ids[present]
    by_id = np.argsort(ids.astype(str), kind="stable")
    store_id = ids[by_id].astype(str)
    rank_of_code = np.full(len(known_ids), -1, dtype=np.int64)
    rank_of_code[present[by_id]] = np.arange(len(store_id))
    return store_id, rank_of_code


def requested_codes(known_ids: np.ndarray, store_ids: list[str]) -> np.ndarray:
    """Boolean mask over ``known_ids``: the ids asked for (trimmed)."""
    wanted = np.zeros(len(known_ids), dtype=bool)
    found = pd.Index(known_ids).get_indexer([str(s).strip() for s in store_ids])
    wanted[found[found >= 0]] = True
    return wanted


def unique_polls(
    rank: np.ndarray,
    time_us: np.ndarray,
    active: np.ndarray,
    n_stores: int,
    *,
    count_copies: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """SPEC §4's one poll per store and instant, ``inactive`` winning: the polls sorted by
    (store, time) as (rank, time_us, active), and with ``count_copies`` how many extra
    copies each kept poll had (None otherwise)."""
    keys = GroupSortKeys(n_stores, [time_us], factor=2)
    key = np.sort(keys(rank, time_us) + active)  # inactive (0) sorts first at an instant
    first = group_starts(key >> 1)  # keys are never negative
    copies = None
    if count_copies:
        copies = np.diff(np.append(np.flatnonzero(first), len(key))) - 1
    key = key[first]
    store, position = np.divmod(key, keys.span)
    position >>= 1
    time_sorted = position + keys.base if keys.dense is None else keys.dense[position]
    return store, time_sorted.astype(np.int64), (key & 1).astype(bool), copies


def evidence(
    selected: SelectedPolls, calendar: StoreCalendar
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The evidence polls (SPEC §4) as (rank, tick, active), sorted by (rank, tick): each
    store's polls inside business hours, or all its polls when none is inside."""
    rank, tick = selected.rank, selected.time_us * TICKS_PER_US
    inside = calendar.is_open(rank, tick)
    store_has_inside = np.bincount(rank[inside], minlength=selected.n_stores) > 0
    used = inside | ~store_has_inside[rank]
    return rank[used], tick[used], selected.active[used]


def status_flips(
    rank: np.ndarray, tick: np.ndarray, active: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SPEC §4's status changes between consecutive polls of one store (sorted by (rank,
    tick)) of different status: (rank, the midpoint where the status flips, the later poll's
    tick). Midpoints are exact: ticks are half-µs, polls whole µs."""
    flips = (rank[1:] == rank[:-1]) & (active[1:] != active[:-1])
    earlier, later = tick[:-1][flips], tick[1:][flips]
    return rank[1:][flips], earlier + (later - earlier) // 2, later


def status_changes(
    ev_rank: np.ndarray,
    ev_tick: np.ndarray,
    ev_active: np.ndarray,
    *,
    n_stores: int,
    week_start_tick: int,
    now_tick: int,
) -> Timeline:
    """The status at the week's start and its changes in the week, from the evidence polls
    (sorted by (rank, tick), one per instant)."""
    change_rank, change_tick, _ = status_flips(ev_rank, ev_tick, ev_active)
    first_status = np.zeros(n_stores, dtype=bool)
    first_of_store = group_starts(ev_rank)
    first_status[ev_rank[first_of_store]] = ev_active[first_of_store]
    # the status at the week's start: flipped once per change at or before it
    changes_before = np.bincount(change_rank[change_tick <= week_start_tick], minlength=n_stores)
    in_week = (change_tick > week_start_tick) & (change_tick < now_tick)
    return Timeline(
        status_at_week_start=first_status ^ (changes_before % 2 == 1),
        change_rank=change_rank[in_week],
        change_tick=change_tick[in_week],
        evidence_polls=len(ev_rank),
    )


def week_events(timeline: Timeline, calendar: StoreCalendar, now_tick: int) -> WeekEvents:
    """Every store's window starts, changes and now, in time order, with ``B(t)`` and the
    business time spent active before each event (one cumulative sum for all windows).

    The changes come sorted by (rank, tick), strictly inside (week start, now), so each
    event's place is counted, not sorted: a store's block holds its week start, its changes
    before the day's start, the day's start, ..., now (a window start before a change at the
    same instant)."""
    n_stores = len(timeline.status_at_week_start)
    change_rank, change_tick = timeline.change_rank, timeline.change_tick
    week, day, hour = (now_tick - hours * TICKS_PER_HOUR for _, hours, _ in WINDOWS[::-1])
    per_store = np.bincount(change_rank, minlength=n_stores)
    before_store = np.cumsum(per_store) - per_store
    block = 4 * np.arange(n_stores) + before_store  # where each store's events start
    marker_at = (
        block,
        block + 1 + np.bincount(change_rank[change_tick < day], minlength=n_stores),
        block + 2 + np.bincount(change_rank[change_tick < hour], minlength=n_stores),
        block + 3 + per_store,
    )
    change_at = block[change_rank] + 1 + np.arange(len(change_tick)) - before_store[change_rank]
    change_at += (change_tick >= day).astype(np.int64) + (change_tick >= hour)
    tick = np.empty(4 * n_stores + len(change_tick), dtype=np.int64)
    kind = np.empty(len(tick), dtype=np.int64)
    for marker, marker_tick in enumerate((week, day, hour, now_tick)):  # MARK_WEEK .. MARK_NOW
        tick[marker_at[marker]], kind[marker_at[marker]] = marker_tick, marker
    tick[change_at], kind[change_at] = change_tick, CHANGE
    rank = np.repeat(np.arange(n_stores), 4 + per_store)

    business = calendar.business_time(rank, tick)
    segment = np.zeros(len(rank), dtype=np.int64)
    segment[:-1] = business[1:] - business[:-1]
    segment[group_ends(rank)] = 0
    is_change = kind == CHANGE
    flipped = exclusive_group_cumsum(is_change.astype(np.int64), rank) + is_change
    active_after = timeline.status_at_week_start[rank] ^ (flipped % 2 == 1)
    return WeekEvents(
        now_tick=now_tick,
        rank=rank,
        tick=tick,
        kind=kind,
        business=business,
        active_after=active_after,
        uptime_before=exclusive_group_cumsum(np.where(active_after, segment, 0), rank),
    )


def window_totals(events: WeekEvents) -> WindowTotals:
    """Business time and uptime of each window (every store has exactly one event of each
    marker kind, so the marker rows come out in rank order)."""
    at_now = events.kind == MARK_NOW
    business, uptime = {}, {}
    for kind, (name, _, _) in enumerate(WINDOWS[::-1]):  # MARK_WEEK, MARK_DAY, MARK_HOUR
        at_start = events.kind == kind
        uptime[name] = events.uptime_before[at_now] - events.uptime_before[at_start]
        business[name] = events.business[at_now] - events.business[at_start]
    return WindowTotals(business=business, uptime=uptime)
