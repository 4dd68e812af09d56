"""Reports from a loaded snapshot: any ``as_of`` and store subset, with the same bytes as
the CSV path (see :mod:`storemon.snapshot`).

Only what differs from the CSV path is here: the reported stores' poll counts at ``now``
(from the per-store arrays, the per-poll ones only for stores polled after ``now``), their
status at the week's start and their changes in the week (from the stored timelines), and
their calendar (from the stored intervals). From there the report package's own phases run:
:func:`~storemon.report.periods.measure_period`, :func:`~storemon.report.result.build_result`,
:func:`~storemon.report.result.add_incidents` and :func:`~storemon.report.result.add_closures`.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from storemon.clock.iso import utc_texts
from storemon.clock.ticks import TICKS_PER_SECOND, TICKS_PER_US, US_PER_SECOND
from storemon.errors import InputError
from storemon.inputs.closures import Closures
from storemon.report.business_hours import StoreCalendar
from storemon.report.closures import closed_spans, closure_rows
from storemon.report.day_midnights import MidnightBusiness
from storemon.report.per_group import ragged_take
from storemon.report.periods import Period, measure_period
from storemon.report.pipeline import parse_instant, report_from_parsed
from storemon.report.result import (
    ReportResult,
    ReportScope,
    StoreFacts,
    add_closures,
    add_incidents,
    build_result,
    finish,
)
from storemon.report.timeline import Timeline
from storemon.snapshot.reader import ZONE_SOURCES, Snapshot

MIDNIGHT_DAYS = 31  # B at the midnights of the last 31 days of a snapshot, made once
US_PER_DAY = 86_400 * US_PER_SECOND
logger = logging.getLogger(__name__)


def report_from_snapshot(
    snap: Snapshot,
    *,
    as_of: str | None = None,
    store_ids: list[str] | None = None,
    started: float | None = None,
    incidents: bool = False,
    period: Period | None = None,
) -> ReportResult:
    """The report from a snapshot: the same result as the CSV path for these inputs
    (``incidents=True``: with the week's incidents and business intervals, as the engine;
    ``period``: windows, a range or day by day; the closures it was built with apply)."""
    started = time.perf_counter() if started is None else started
    period = period or Period()
    now_us = period.now_us(_as_of_us(as_of, period), snap.now_us)
    span_start_us = period.span_start_us(now_us, incidents=incidents)
    if not snap.covers(span_start_us, now_us):
        logger.info("period outside the snapshot's calendar: the engine runs on its inputs")
        polls, hours, zones = snap.parsed_inputs()
        return report_from_parsed(
            polls,
            hours,
            zones,
            as_of=as_of,
            store_ids=store_ids,
            started=started,
            incidents=incidents,
            period=period,
            closures=snap.closures(),
        )
    at_now = _polls_at(snap, _requested_ranks(snap.store_ids, store_ids), now_us)
    stores = _StoreSlices(snap, at_now.rank)
    facts = _store_facts(stores, at_now)
    now_tick = now_us * TICKS_PER_US
    closures = snap.closures()
    calendar = _calendar(stores, facts.store_id, closures, (span_start_us, now_us))
    timeline = _timeline(stores, at_now, span_start_us * TICKS_PER_US, now_tick)
    memo = _midnight_business(snap, calendar) if period.daily and stores.every else None
    events, *frames = measure_period(
        period, timeline, calendar, facts.store_id, now_tick, incidents=incidents, midnights=memo
    )
    scope = ReportScope(
        now_us=now_us,
        as_of=as_of,
        store_ids=store_ids,
        files=json.loads(json.dumps(snap.meta["files"])),
        poll_range=(snap.now_us, int(snap.meta["first_us"])),
        polls_used=int(at_now.unique.sum()),
        evidence_polls=int(at_now.evidence.sum()),
        period=period.describe() if period.named else None,
    )
    result = build_result(facts, (frames[0], frames[1]), scope)
    if incidents:
        add_incidents(result, facts.store_id, events, calendar)
    if closures is not None:
        add_closures(
            result, closures, facts.store_id, calendar, (span_start_us * TICKS_PER_US, now_tick)
        )
    return finish(result, started)


def _as_of_us(as_of: str | None, period: Period) -> int | None:
    if as_of is None:
        return None
    if period.is_range:
        raise InputError("as_of", "a range ends at its own to: give as_of or a range, not both")
    return parse_instant(as_of)


def _requested_ranks(all_ids: np.ndarray, store_ids: list[str] | None) -> np.ndarray | None:
    """Ranks of the requested stores that the data holds (None: every store)."""
    if store_ids is None:
        return None
    wanted = np.array([str(s).strip() for s in store_ids], dtype=str)
    if not len(wanted) or not len(all_ids):
        return np.zeros(0, dtype=np.int64)
    at = np.minimum(np.searchsorted(all_ids, wanted), len(all_ids) - 1)
    return np.unique(at[all_ids[at] == wanted])


@dataclass
class _PollsAtNow:
    """Per reported store (those with a poll at or before now): its rank in the snapshot,
    its polls at or before now (``unique``: one per instant; ``raw``: duplicates included;
    ``inside``: inside business hours), the ISO text of the last of them, whether any lies
    inside business hours, and the polls used as evidence."""

    rank: np.ndarray
    unique: np.ndarray
    raw: np.ndarray
    inside: np.ndarray
    last_iso: np.ndarray
    has_inside: np.ndarray

    @property
    def evidence(self) -> np.ndarray:
        return np.where(self.has_inside, self.inside, self.unique)


def _polls_at(snap: Snapshot, ranks: np.ndarray | None, now_us: int) -> _PollsAtNow:
    """The polls at or before now of the requested stores (every store when ``ranks`` is
    None); only stores with such a poll are kept."""
    d = snap.derived
    rank = np.arange(len(snap.store_ids)) if ranks is None else ranks
    first = d["first_poll_us"] if ranks is None else d["first_poll_us"][rank]
    if ranks is not None or not (first <= now_us).all():
        rank = rank[first <= now_us]
    every = len(rank) == len(snap.store_ids)

    def pick(array: np.ndarray) -> np.ndarray:
        return array if every else array[rank]

    lo, hi = d["poll_offsets"][rank], d["poll_offsets"][rank + 1]
    polls = _PollsAtNow(
        rank=rank,
        unique=hi - lo,
        raw=pick(d["raw_polls"]),
        inside=pick(d["inside_polls"]),
        last_iso=pick(d["last_poll_iso"]),
        has_inside=pick(d["first_inside_us"]) <= now_us,
    )
    polled_later = pick(d["last_poll_us"]) > now_us
    if polled_later.any():
        _recount_polled_later(snap, polls, lo=lo, hi=hi, later=polled_later, now_us=now_us)
    return polls


def _recount_polled_later(snap, polls: _PollsAtNow, *, lo, hi, later, now_us) -> None:
    """Counts and last poll of the stores polled after now, from the per-poll arrays."""
    poll_us = snap.inputs()["poll_us"]
    lo, hi = lo[later], hi[later]
    cut = _first_after(poll_us, lo, hi, now_us)
    dup_index, dup_extra = snap.inputs()["dup_index"], snap.inputs()["dup_extra"]
    extra_before = np.concatenate([[0], np.cumsum(dup_extra)])
    extras = (
        extra_before[np.searchsorted(dup_index, cut)] - extra_before[np.searchsorted(dup_index, lo)]
    )
    inside = snap.cumulative("poll_inside")
    polls.unique = polls.unique.copy()
    polls.unique[later] = cut - lo
    polls.raw = polls.raw.copy()
    polls.raw[later] = cut - lo + extras
    polls.inside = polls.inside.copy()
    polls.inside[later] = inside[cut] - inside[lo]
    polls.last_iso = _str_objects(polls.last_iso)
    polls.last_iso[later] = utc_texts(np.asarray(poll_us[cut - 1]))


def _str_objects(values: np.ndarray) -> np.ndarray:
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


class _StoreSlices:
    """The reported stores' entries of the per-store arrays (:meth:`pick`) and their slices of
    the interval and change arrays (:attr:`intervals`, :attr:`changes`: the local rank of
    each element and where it is, an index array or, for every store, a slice)."""

    def __init__(self, snap: Snapshot, rank: np.ndarray):
        self.snap = snap
        self.derived = snap.derived
        self.meta = snap.meta
        self.rank = rank
        self.count = len(rank)
        self.every = self.count == len(snap.store_ids)  # all stores: no gathering
        every = self.every
        self.pick: Callable[[np.ndarray], Any] = (lambda a: a) if every else (lambda a: a[rank])

    @property
    def intervals(self) -> tuple[np.ndarray, Any]:
        return self._slices("interval_offsets")

    @property
    def changes(self) -> tuple[np.ndarray, Any]:
        return self._slices("change_offsets")

    def _slices(self, offsets_name: str) -> tuple[np.ndarray, Any]:
        offsets = self.derived[offsets_name]
        if self.every:  # the same for every report of the snapshot: made once
            owners = self.snap.memo(offsets_name, lambda: _owners(offsets))
            return owners, slice(None)
        lo, hi = offsets[self.rank], offsets[self.rank + 1]
        return ragged_take(lo, hi - lo)


def _owners(offsets: np.ndarray) -> np.ndarray:
    """The rank of each element of a per-store array with these offsets."""
    return np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))


def _calendar(
    stores: _StoreSlices,
    store_id: np.ndarray,
    closures: Closures | None,
    span_us: tuple[int, int],
) -> StoreCalendar:
    """The reported stores' calendar from the stored intervals (already without closed
    time), with a sentinel interval at the end, and their closed time near
    ``span_us`` (the engine's own rows and spans, SPEC §9). Every store's (a full report)
    holds all the stored intervals and is made once per loaded snapshot."""
    if stores.every:
        calendar = stores.snap.memo("calendar", lambda: _stored_calendar(stores, None))
    else:
        calendar = _stored_calendar(stores, span_us)
    if closures is None:
        return calendar
    listed = closure_rows(
        closures,
        pd.Index(store_id),
        calendar.zone_of_rank,
        calendar.zone_names,
        within_us=span_us,
    )
    return replace(calendar, closed=closed_spans(listed, stores.count), closure_rows=listed)


def _midnight_business(snap: Snapshot, calendar: StoreCalendar) -> MidnightBusiness | None:
    """Every store's ``B`` at its local midnights from :data:`MIDNIGHT_DAYS` days before
    the newest poll (the calendar's start at the earliest) to the latest as_of, made once
    per loaded snapshot, at its second day-by-day full report: a range inside it (the last
    30 days, the page's and the days route's default) reads the table instead of the
    intervals; an earlier range computes them (:mod:`storemon.report.day_midnights`). A
    snapshot loaded for one report (the CLI, a worker) never makes it (making it costs
    about as much as one report's own 30 days); None then."""
    if next(snap.memo("day_by_day_reports", lambda: itertools.count(1))) < 2:
        return None
    from_us = max(int(snap.meta["calendar_from_us"]), snap.now_us - MIDNIGHT_DAYS * US_PER_DAY)
    from_tick = from_us * TICKS_PER_US
    to_tick = int(snap.meta["as_of_range_us"][1]) * TICKS_PER_US + 1
    return snap.memo("midnight_business", lambda: MidnightBusiness.of(calendar, from_tick, to_tick))


def _stored_calendar(stores: _StoreSlices, span_us: tuple[int, int] | None) -> StoreCalendar:
    """The calendar of the stored intervals of the reported stores (those a report over
    ``span_us`` reads; all of them when None)."""
    d, pick = stores.derived, stores.pick
    base_s = int(stores.meta["calendar_base_s"])
    if span_us is None:
        owner, at = stores.intervals
    else:
        span_s = (span_us[0] // US_PER_SECOND - base_s, span_us[1] // US_PER_SECOND - base_s + 1)
        owner, at = _intervals_near(stores, span_s)
    opens = d["interval_open"][at]
    sentinel = int(opens.max() if len(opens) else 0) + base_s
    return StoreCalendar(
        n_stores=stores.count,
        has_hours=np.asarray(pick(d["has_hours"]), dtype=bool),
        days_with_hours=np.asarray(pick(d["hours_days"]), dtype=np.int64),
        zone_names=list(stores.meta["zone_names"]),
        zone_of_rank=np.asarray(pick(d["zone_index"]), dtype=np.int64),
        zone_source=ZONE_SOURCES[pick(d["zone_source"])],
        open_rank=np.append(owner, stores.count),
        open_tick=_ticks_and_sentinel(opens, base_s, sentinel * TICKS_PER_SECOND),
        close_tick=_ticks_and_sentinel(
            d["interval_close"][at], base_s, sentinel * TICKS_PER_SECOND
        ),
        business_before=_ticks_and_sentinel(d["interval_before"][at], 0, 0),
    )


def _intervals_near(stores: _StoreSlices, span_s: tuple[int, int]) -> tuple[np.ndarray, Any]:
    """The reported stores' intervals a report over ``span_s`` (seconds after the calendar's
    base) reads: those that reach its start or open before its end, and each store's one
    before them (so ``B(t)`` at the span's start counts the business time before it)."""
    owner, at = stores.intervals
    close_s = stores.derived["interval_close"][at]
    keep = close_s >= span_s[0]
    keep[:-1] |= keep[1:] & (owner[:-1] == owner[1:])
    keep &= stores.derived["interval_open"][at] <= span_s[1]
    where = np.flatnonzero(keep)
    return owner[where], (where if isinstance(at, slice) else at[where])


def _ticks_and_sentinel(seconds: np.ndarray, base_s: int, sentinel: int) -> np.ndarray:
    """Stored seconds (after ``base_s``) as ticks, with the sentinel appended."""
    out = np.empty(len(seconds) + 1, dtype=np.int64)
    out[:-1] = seconds
    out[:-1] += base_s
    out[:-1] *= TICKS_PER_SECOND
    out[-1] = sentinel
    return out


def _timeline(stores: _StoreSlices, polls: _PollsAtNow, start_tick: int, now_tick: int) -> Timeline:
    """The status at the span's start and the changes inside the span, from the stored
    timelines: between the polls inside business hours for a store with one by now, between
    all its polls otherwise (SPEC §4's evidence), counting only changes whose later poll is
    at or before now."""
    d = stores.derived
    now_us = now_tick // TICKS_PER_US
    owner, at = stores.changes
    tick = d["change_tick"][at]
    has_inside = polls.has_inside
    use = (d["change_later_us"][at] <= now_us) & (d["change_kind"][at] == (~has_inside)[owner])
    first_active = stores.pick(d["first_active"])
    status = np.where(has_inside, stores.pick(d["first_inside_active"]), first_active)
    before = use & (tick <= start_tick)
    status = status ^ (np.bincount(owner[before], minlength=stores.count) % 2 == 1)
    inside = use & (tick > start_tick) & (tick < now_tick)
    return Timeline(
        status_at_start=status,
        change_rank=owner[inside],
        change_tick=tick[inside],
        evidence_polls=int(polls.evidence.sum()),
    )


def _store_facts(stores: _StoreSlices, polls: _PollsAtNow) -> StoreFacts:
    d, pick = stores.derived, stores.pick
    zone_names = np.asarray(stores.meta["zone_names"], dtype=object)
    return StoreFacts(
        store_id=np.asarray(pick(d["store_ids"])),  # str array, as the engine passes it
        polls=np.asarray(polls.raw, dtype=np.int64),
        first_poll=_str_objects(pick(d["first_poll_iso"])),
        last_poll=_str_objects(polls.last_iso),
        timezone=zone_names[pick(d["zone_index"])],
        timezone_source=ZONE_SOURCES[pick(d["zone_source"])],
        hours_defined=np.asarray(pick(d["has_hours"]), dtype=bool),
        hours_days=np.asarray(pick(d["hours_days"]), dtype=np.int64),
    )
