"""The uptime report (SPEC §2-§5, §7): the entry points, and the phases in order.

The entry points say what they start from: :func:`report_from_csv_bytes` (the three files'
bytes, the fastest path), :func:`report_from_frames` (frames of raw strings) and
:func:`report_from_parsed` (the parsed tables), which runs the phases, each in a module with
one job:

1. select the polls (:func:`storemon.report.timeline.select_polls`): at or before ``now``, of
   the requested stores, sorted once by (store, time), one per (store, instant);
2. the store calendar (:func:`storemon.report.business_hours.store_calendar`): each store's
   zone and its business hours as merged UTC intervals over the report's span, minus its
   closures (SPEC §9, :mod:`storemon.report.closures`), with the cumulative business time
   ``B(t)``;
3. evidence and status changes (:mod:`storemon.report.timeline`): the polls inside business
   hours (and not closed), and the midpoints where the interpolated status flips;
4. the period's totals (:func:`storemon.report.periods.measure_period`): with the window
   starts, the range's ends or the local midnights as marks among the changes, one
   cumulative sum of business time spent active gives every total;
5. the result (:mod:`storemon.report.result`): the period's report (§5, §8), the
   percentages (§7), the per-store facts and the summary, and on request the incidents (§7);
   the closures applied, when there are closures.

The snapshot's reports (:mod:`storemon.snapshot.answer`) run phases 4 and 5 the same way.
Times are int64 ticks of half a microsecond (:mod:`storemon.clock.ticks`), so midpoints are
exact. Nothing loops over stores or polls in Python.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from storemon.clock import timestamps
from storemon.clock.iso import utc_texts
from storemon.clock.ticks import TICKS_PER_US
from storemon.errors import InputError
from storemon.inputs import tables
from storemon.inputs.closures import Closures, parse_closures, read_closures
from storemon.inputs.limits import Limits
from storemon.inputs.parse import parse_input_files
from storemon.inputs.tables import Hours, Polls, Zones
from storemon.report.business_hours import StoreCalendar, store_calendar
from storemon.report.per_group import group_ends, group_starts
from storemon.report.periods import Period, measure_period
from storemon.report.result import (
    ReportResult,
    ReportScope,
    StoreFacts,
    add_closures,
    add_incidents,
    build_result,
    finish,
)
from storemon.report.timeline import (
    SelectedPolls,
    Timeline,
    evidence,
    select_polls,
    status_changes,
)

# which selected polls are inside business hours, when a caller knows (else None)
InsideOf = Callable[[SelectedPolls, StoreCalendar], np.ndarray | None]


def parse_instant(text: str, what: str = "as_of") -> int:
    """An accepted timestamp string (:mod:`storemon.clock.timestamps`) as µs since the epoch;
    InputError when it is not one."""
    try:
        return timestamps.parse_micros(str(text))
    except ValueError:
        raise InputError(what, f"not a valid timestamp: {text!r}") from None


def report_from_frames(
    status: pd.DataFrame,
    hours: pd.DataFrame,
    timezones: pd.DataFrame,
    *,
    as_of: str | None = None,
    store_ids: list[str] | None = None,
    incidents: bool = False,
    period: Period | None = None,
    closures: pd.DataFrame | None = None,
) -> ReportResult:
    """The report from frames of raw strings (as :func:`csv_reader.read_input` gives;
    ``closures``: the closures file's, kind ``"closures"``)."""
    started = time.perf_counter()
    return report_from_parsed(
        tables.parse_status(status),
        tables.parse_hours(hours),
        tables.parse_timezones(timezones),
        as_of=as_of,
        store_ids=store_ids,
        started=started,
        incidents=incidents,
        period=period,
        closures=None if closures is None else parse_closures(closures),
    )


def report_from_csv_bytes(
    status: bytes,
    hours: bytes,
    timezones: bytes,
    *,
    as_of: str | None = None,
    store_ids: list[str] | None = None,
    names: tuple[str, str, str] | None = None,
    progress: Callable[[str], None] | None = None,
    incidents: bool = False,
    limits: Limits | None = None,
    period: Period | None = None,
    closures: bytes | None = None,
    closures_name: str | None = None,
) -> ReportResult:
    """The report from the three files' bytes (plain or gzip), on the fastest path.

    ``progress``, when given, is called with the name of each phase as it ends;
    ``incidents=True`` also computes ``result.incidents``; ``limits`` bound each file
    (default :data:`storemon.inputs.limits.DEFAULT`); ``period`` (default: §5's windows);
    ``closures``: the closures file's bytes (SPEC §9), read by the same rules.
    """
    progress = progress or (lambda phase: None)
    started = time.perf_counter()
    closed = None
    if closures is not None:
        closed = read_closures(closures, closures_name, limits)
    polls, hours_table, zones_table = parse_input_files(
        status, hours, timezones, names=names, progress=progress, limits=limits
    )
    result = report_from_parsed(
        polls,
        hours_table,
        zones_table,
        as_of=as_of,
        store_ids=store_ids,
        started=started,
        incidents=incidents,
        period=period,
        closures=closed,
    )
    progress(f"computed the report of {len(result.report):,} rows")
    return result


def report_from_parsed(
    polls: Polls,
    hours: Hours,
    zones: Zones,
    *,
    as_of: str | None = None,
    store_ids: list[str] | None = None,
    started: float | None = None,
    incidents: bool = False,
    period: Period | None = None,
    closures: Closures | None = None,
    now_us: int | None = None,
    incidents_later: bool = False,
    evidence_inside: InsideOf | None = None,
) -> ReportResult:
    """The report from parsed inputs: the phases of the module docstring, in order.

    ``now`` is the range's end, else ``as_of`` when given, else the newest valid poll;
    ``store_ids`` (trimmed) narrows the report without moving ``now``; ``started`` (a
    ``perf_counter`` value) is when the caller began, for the summary's duration;
    ``incidents=True`` also locates the week's incidents (SPEC §7,
    :mod:`storemon.report.incidents`); ``period`` (:class:`~storemon.report.periods.Period`,
    default §5's windows); ``closures`` (SPEC §9, default none); ``now_us``: the report's
    ``now`` when the caller knows it (a store shard, :mod:`storemon.history.shards`: the
    whole report's, and its polls may be none); ``incidents_later``: the incidents are made
    when first needed (:meth:`ReportResult.complete`); ``evidence_inside``: :data:`InsideOf`.
    Raises :class:`InputError` when the status file holds no valid poll or the request cannot work.
    """
    started = time.perf_counter() if started is None else started
    period = period or Period()
    if now_us is None:
        require_a_poll(polls)
        now_us = report_now(period, as_of, polls)
    selected = select_polls(polls, now_us, store_ids)
    span_start_us = period.span_start_us(now_us, incidents=incidents)
    calendar, timeline = calendar_and_timeline(
        selected, hours, zones, closures, span_start_us, evidence_inside=evidence_inside
    )
    events, *frames = measure_period(
        period, timeline, calendar, selected.store_id, selected.now_tick, incidents=incidents
    )
    scope = ReportScope(
        now_us=now_us,
        as_of=as_of,
        store_ids=store_ids,
        files=file_counts(polls, hours, zones, closures),
        poll_range=poll_range(polls, now_us),
        polls_used=len(selected.rank),
        evidence_polls=timeline.evidence_polls,
        period=period.describe() if period.named else None,
    )
    result = build_result(store_facts(selected, calendar), (frames[0], frames[1]), scope)
    if incidents:
        result.later = partial(add_incidents, result, selected.store_id, events, calendar)
        if not incidents_later:
            result.complete()
    if closures is not None:
        span = (span_start_us * TICKS_PER_US, selected.now_tick)
        add_closures(result, closures, selected.store_id, calendar, span)
    return finish(result, started)


def calendar_and_timeline(
    selected: SelectedPolls,
    hours: Hours,
    zones: Zones,
    closures: Closures | None,
    span_start_us: int,
    *,
    evidence_inside: InsideOf | None = None,
) -> tuple[StoreCalendar, Timeline]:
    """Phases 2 and 3: the stores' calendar over the span (closures applied near the span
    and the polls), the evidence and the status changes inside the span."""
    closures_from_us = min(span_start_us, _first_poll(selected, selected.now_us))
    calendar, ev_rank, ev_tick, ev_active = calendar_and_evidence(
        selected,
        hours,
        zones,
        closures,
        span_start_us,
        closures_from_us=closures_from_us,
        evidence_inside=evidence_inside,
    )
    timeline = status_changes(
        ev_rank,
        ev_tick,
        ev_active,
        n_stores=selected.n_stores,
        start_tick=span_start_us * TICKS_PER_US,
        now_tick=selected.now_tick,
    )
    return calendar, timeline


def calendar_and_evidence(
    selected: SelectedPolls,
    hours: Hours,
    zones: Zones,
    closures: Closures | None,
    span_start_us: int,
    *,
    closures_from_us: int,
    evidence_inside: InsideOf | None = None,
) -> tuple[StoreCalendar, np.ndarray, np.ndarray, np.ndarray]:
    """Phase 2: the stores' calendar from ``span_start_us`` to the polls' now (closures
    applied from ``closures_from_us``) and the polls' evidence on it (rank, tick, active)."""
    calendar = store_calendar(
        selected.store_id,
        hours,
        zones,
        period_start_us=span_start_us,
        now_us=selected.now_us,
        closures=closures,
        closures_from_us=closures_from_us,
    )
    inside = evidence_inside(selected, calendar) if evidence_inside else None
    return (calendar, *evidence(selected, calendar, inside))


def report_now(period: Period, as_of: str | None, polls: Polls) -> int:
    """The report's ``now`` (µs): the range's end, ``as_of``, or the newest valid poll."""
    if period.is_range and as_of is not None:
        raise InputError("as_of", "a range ends at its own to: give as_of or a range, not both")
    as_of_us = parse_instant(as_of) if as_of is not None else None
    return period.now_us(as_of_us, int(polls.time_us.max()))


def poll_range(polls: Polls, now_us: int) -> tuple[int, int]:
    """The newest and oldest valid poll (µs); ``(now_us, now_us)`` when there is none (a
    store shard without polls: the assembly reads the ranges of the shards with polls)."""
    if not len(polls.time_us):
        return now_us, now_us
    return int(polls.time_us.max()), int(polls.time_us.min())


def _first_poll(selected: SelectedPolls, now_us: int) -> int:
    return int(selected.time_us.min()) if len(selected.time_us) else now_us


def file_counts(polls: Polls, hours: Hours, zones: Zones, closures: Closures | None = None) -> dict:
    """The summary's ``files``: rows read and skipped (by reason) of each input file (the
    closures file's only when there is one)."""
    counts = {
        "store_status": polls.stats.as_dict(),
        "menu_hours": hours.stats.as_dict(),
        "timezones": zones.stats.as_dict(),
    }
    if closures is not None:
        counts["closures"] = closures.stats.as_dict()
    return counts


def require_a_poll(polls: Polls) -> None:
    if len(polls.time_us) == 0:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(polls.stats.skipped.items()))
        detail = f" ({polls.stats.rows_read} rows read; skipped {reasons})" if reasons else ""
        raise InputError(polls.stats.name, f"no valid poll{detail}")


def store_facts(selected: SelectedPolls, calendar: StoreCalendar) -> StoreFacts:
    """What the data holds for each reported store, in rank order."""
    n_stores = selected.n_stores
    first_poll = np.zeros(n_stores, dtype=np.int64)
    last_poll = np.zeros(n_stores, dtype=np.int64)
    group_first = group_starts(selected.rank)
    first_poll[selected.rank[group_first]] = selected.time_us[group_first]
    group_last = group_ends(selected.rank)
    last_poll[selected.rank[group_last]] = selected.time_us[group_last]
    return StoreFacts(
        store_id=selected.store_id,
        polls=selected.rows_per_store,
        first_poll=utc_texts(first_poll),
        last_poll=utc_texts(last_poll),
        timezone=np.asarray(calendar.zone_names, dtype=object)[calendar.zone_of_rank],
        timezone_source=calendar.zone_source,
        hours_defined=calendar.has_hours,
        hours_days=calendar.days_with_hours,
    )
