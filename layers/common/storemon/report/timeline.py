"""The interpolated status of each store over time (SPEC §4) and each window's totals (§5).

The phases, in order, each a function over flat arrays (no loop over stores or polls):

1. :func:`select_polls`: polls at or before ``now`` of the requested stores, sorted once by
   (store, time) with one integer key; polls of one store at one instant collapse to one,
   ``inactive`` winning. Stores get their *rank* (store_id order as strings).
2. :func:`evidence`: the polls inside business hours (all of a store's polls when none is).
3. :func:`status_changes`: the status only changes at the midpoints between consecutive
   evidence polls of different status; a :class:`Timeline` holds each store's status at the
   span's start (the longest window's, or the range's) and its changes inside the span.
4. :func:`period_events`: per store, its :class:`Marks` (window starts, local midnights, the
   range's ends, ``now``) and its changes in time order, with the cumulative business time
   ``B(t)`` and the business time spent active before each; the business time and uptime
   between any two marks are then two differences (:meth:`PeriodEvents.totals`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from storemon.clock.ticks import TICKS_PER_HOUR, TICKS_PER_US
from storemon.inputs.tables import Polls
from storemon.report.business_hours import StoreCalendar
from storemon.report.last_made import LastMade
from storemon.report.per_group import (
    GroupSortKeys,
    exclusive_group_cumsum,
    group_ends,
    group_starts,
)

WEEK_HOURS = 168


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
    """The interpolated status of every store during the report's span (the longest window,
    or the range).

    ``status_at_start`` (bool, one per rank): the status at the span's first instant.
    ``change_rank``/``change_tick`` (int64, sorted by (rank, tick)): the instants strictly
    inside (span start, now) where the status flips (a store's changes alternate; the status
    from a change on is the later poll's). ``evidence_polls``: polls used as evidence.
    """

    status_at_start: np.ndarray
    change_rank: np.ndarray
    change_tick: np.ndarray
    evidence_polls: int


@dataclass(frozen=True)
class Marks:
    """The instants where running totals are read, per store: sorted by (rank, tick), one
    per (store, instant); each store's first mark is the span's start and its last the
    span's end (``now``). ``rank`` and ``tick`` are int64."""

    rank: np.ndarray
    tick: np.ndarray

    @classmethod
    def common(cls, n_stores: int, ticks: list[int]) -> Marks:
        """The same instants (sorted, distinct) for every store."""
        k = len(ticks)
        return cls(
            rank=np.repeat(np.arange(n_stores, dtype=np.int64), k),
            tick=np.tile(np.asarray(ticks, dtype=np.int64), n_stores),
        )


@dataclass(frozen=True)
class PeriodEvents:
    """Per store, in time order: its marks and the status changes between them.

    ``now_tick``: the span's end; ``n_stores``: the stores (ranks). One entry per event,
    sorted by (rank, tick; a mark before a change at the same instant): ``rank``, ``tick``
    (int64), ``is_change`` (bool),
    ``business`` (``B(tick)``, int64 ticks), ``active_after`` (bool: the status from this
    event to the store's next one) and ``uptime_before`` (int64 ticks: business time spent
    active from the span's start to this event). ``mark_at``: where each of ``marks`` is.
    """

    now_tick: int
    n_stores: int
    rank: np.ndarray
    tick: np.ndarray
    is_change: np.ndarray
    business: np.ndarray
    active_after: np.ndarray
    uptime_before: np.ndarray
    marks: Marks
    mark_at: np.ndarray

    def between(
        self, start_mark: np.ndarray, end_mark: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Business time and uptime (int64 ticks) from each mark ``start_mark`` to the mark
        ``end_mark`` of the same store (indexes into ``marks``)."""
        start, end = self.mark_at[start_mark], self.mark_at[end_mark]
        business = self.business[end] - self.business[start]
        return business, self.uptime_before[end] - self.uptime_before[start]


def select_polls(polls: Polls, now_us: int, store_ids: list[str] | None) -> SelectedPolls:
    """Polls at or before ``now_us`` of the requested stores (all when ``store_ids`` is None;
    requested ids are trimmed). Every store's selection of the last ``polls`` object is kept
    (per process): asked again for the same object and ``now_us`` (a batch's alerts, report
    and status now, storemon.history.answer.polls_for), it is given again."""
    if store_ids is not None:
        return _selected(polls, now_us, store_ids)
    kept = _LAST_SELECTED.get((polls, now_us))
    if kept is not None:
        return kept
    return _LAST_SELECTED.keep((polls, now_us), _selected(polls, now_us, None))


_LAST_SELECTED: LastMade[tuple, SelectedPolls] = LastMade(
    lambda made_of, asked: made_of[0] is asked[0] and made_of[1] == asked[1]
)


def _selected(polls: Polls, now_us: int, store_ids: list[str] | None) -> SelectedPolls:
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
    if in_order(poll_rank, time_us):  # a poll history's (storemon.history.answer)
        rank = poll_rank
    else:
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


def in_order(rank: np.ndarray, time_us: np.ndarray) -> bool:
    """Whether polls are sorted by (rank, time) with no two at one (rank, instant): then
    they are :func:`unique_polls`' answer already."""
    if len(rank) < 2:
        return True
    step = rank[1:] - rank[:-1]
    if (step < 0).any():
        return False
    return bool(((step > 0) | (time_us[1:] > time_us[:-1])).all())


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
    selected: SelectedPolls, calendar: StoreCalendar, inside: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The evidence polls (SPEC §4) as (rank, tick, active), sorted by (rank, tick): each
    store's polls inside business hours, or all its polls when none is inside. ``inside``:
    ``calendar.is_open`` of every selected poll when the caller knows it already."""
    rank, tick = selected.rank, selected.time_us * TICKS_PER_US
    if inside is None:
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
    start_tick: int,
    now_tick: int,
) -> Timeline:
    """The status at the span's start and its changes in the span, from the evidence polls
    (sorted by (rank, tick), one per instant)."""
    change_rank, change_tick, _ = status_flips(ev_rank, ev_tick, ev_active)
    first_status = np.zeros(n_stores, dtype=bool)
    first_of_store = group_starts(ev_rank)
    first_status[ev_rank[first_of_store]] = ev_active[first_of_store]
    # the status at the span's start: flipped once per change at or before it
    changes_before = np.bincount(change_rank[change_tick <= start_tick], minlength=n_stores)
    inside = (change_tick > start_tick) & (change_tick < now_tick)
    return Timeline(
        status_at_start=first_status ^ (changes_before % 2 == 1),
        change_rank=change_rank[inside],
        change_tick=change_tick[inside],
        evidence_polls=len(ev_rank),
    )


def period_events(
    timeline: Timeline, calendar: StoreCalendar, marks: Marks, now_tick: int
) -> PeriodEvents:
    """Every store's marks and changes in time order, with ``B(t)`` and the business time
    spent active before each event (one cumulative sum serves every period).

    Marks and changes are each sorted by (rank, tick), the changes strictly inside (span
    start, now), so the two are merged, not sorted: each one's place is its index plus the
    number of the other kind before it (a mark before a change at the same instant)."""
    change_rank, change_tick = timeline.change_rank, timeline.change_tick
    keys = GroupSortKeys(calendar.n_stores, [marks.tick, change_tick], factor=2)
    mark_key = keys(marks.rank, marks.tick)
    change_key = keys(change_rank, change_tick) + 1
    mark_at = np.arange(len(mark_key)) + np.searchsorted(change_key, mark_key)
    change_at = np.arange(len(change_key)) + np.searchsorted(mark_key, change_key)
    rank = np.empty(len(mark_key) + len(change_key), dtype=np.int64)
    tick = np.empty(len(rank), dtype=np.int64)
    rank[mark_at], tick[mark_at] = marks.rank, marks.tick
    rank[change_at], tick[change_at] = change_rank, change_tick
    is_change = np.zeros(len(rank), dtype=bool)
    is_change[change_at] = True

    business = calendar.business_time(rank, tick)
    segment = np.zeros(len(rank), dtype=np.int64)
    segment[:-1] = business[1:] - business[:-1]
    segment[group_ends(rank)] = 0
    flipped = exclusive_group_cumsum(is_change.astype(np.int64), rank) + is_change
    active_after = timeline.status_at_start[rank] ^ (flipped % 2 == 1)
    return PeriodEvents(
        now_tick=now_tick,
        n_stores=calendar.n_stores,
        rank=rank,
        tick=tick,
        is_change=is_change,
        business=business,
        active_after=active_after,
        uptime_before=exclusive_group_cumsum(np.where(active_after, segment, 0), rank),
        marks=marks,
        mark_at=mark_at,
    )
