"""The uptime report (SPEC §2-§5, §7): the entry points, and the phases in order.

The entry points say what they start from: :func:`report_from_csv_bytes` (the three files'
bytes, the fastest path), :func:`report_from_frames` (frames of raw strings) and
:func:`report_from_parsed` (the parsed tables), which runs the phases, each in a module with
one job:

1. select the polls (:func:`storemon.report.timeline.select_polls`): at or before ``now``, of
   the requested stores, sorted once by (store, time), one per (store, instant);
2. the store calendar (:func:`storemon.report.business_hours.store_calendar`): each store's
   zone and its business hours as merged UTC intervals, with the cumulative business time
   ``B(t)``;
3. evidence and status changes (:mod:`storemon.report.timeline`): the polls inside business
   hours, and the midpoints where the interpolated status flips;
4. the week's events and window totals (:func:`storemon.report.timeline.week_events`,
   :func:`~storemon.report.timeline.window_totals`): with the window starts as extra events,
   one cumulative sum of business time spent active gives every window's uptime;
5. the result (:mod:`storemon.report.result`): the report (§5), the percentages (§7), the
   per-store facts and the summary, and on request the incidents (§7).

The snapshot's reports (:mod:`storemon.snapshot.answer`) run phases 4 and 5 the same way.
Times are int64 ticks of half a microsecond (:mod:`storemon.clock.ticks`), so midpoints are
exact. Nothing loops over stores or polls in Python.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from storemon.clock import timestamps
from storemon.clock.iso import utc_texts
from storemon.errors import InputError
from storemon.inputs import tables
from storemon.inputs.limits import Limits
from storemon.inputs.parse import parse_input_files
from storemon.inputs.tables import Hours, Polls, Zones
from storemon.report.business_hours import StoreCalendar, store_calendar
from storemon.report.per_group import group_ends, group_starts
from storemon.report.result import (
    ReportResult,
    ReportScope,
    StoreFacts,
    add_incidents,
    build_result,
    finish,
)
from storemon.report.timeline import (
    WEEK_HOURS,
    SelectedPolls,
    evidence,
    select_polls,
    status_changes,
    week_events,
    window_totals,
)

US_PER_HOUR = 3_600_000_000


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
) -> ReportResult:
    """The report from three frames of raw strings (as :func:`csv_reader.read_input` gives)."""
    started = time.perf_counter()
    return report_from_parsed(
        tables.parse_status(status),
        tables.parse_hours(hours),
        tables.parse_timezones(timezones),
        as_of=as_of,
        store_ids=store_ids,
        started=started,
        incidents=incidents,
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
) -> ReportResult:
    """The report from the three files' bytes (plain or gzip), on the fastest path.

    ``progress``, when given, is called with the name of each phase as it ends;
    ``incidents=True`` also computes ``result.incidents``; ``limits`` bound each file
    (default :data:`storemon.inputs.limits.DEFAULT`).
    """
    progress = progress or (lambda phase: None)
    started = time.perf_counter()
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
    )
    progress(f"computed the report of {len(result.report):,} stores")
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
) -> ReportResult:
    """The report from parsed inputs: the phases of the module docstring, in order.

    ``now`` is ``as_of`` when given, else the newest valid poll; ``store_ids`` (trimmed)
    narrows the report without moving ``now``; ``started`` (a ``perf_counter`` value) is when
    the caller began, for the summary's duration; ``incidents=True`` also locates the week's
    incidents (SPEC §7, :mod:`storemon.report.incidents`). Raises :class:`InputError` when the
    status file holds no valid poll.
    """
    started = time.perf_counter() if started is None else started
    _require_a_poll(polls)
    now_us = parse_instant(as_of) if as_of is not None else int(polls.time_us.max())
    selected = select_polls(polls, now_us, store_ids)
    calendar = store_calendar(
        selected.store_id,
        hours,
        zones,
        period_start_us=now_us - WEEK_HOURS * US_PER_HOUR,
        now_us=now_us,
    )
    ev_rank, ev_tick, ev_active = evidence(selected, calendar)
    timeline = status_changes(
        ev_rank,
        ev_tick,
        ev_active,
        n_stores=selected.n_stores,
        week_start_tick=selected.window_start(WEEK_HOURS),
        now_tick=selected.now_tick,
    )
    events = week_events(timeline, calendar, selected.now_tick)
    scope = ReportScope(
        now_us=now_us,
        as_of=as_of,
        store_ids=store_ids,
        files=file_counts(polls, hours, zones),
        poll_range=(int(polls.time_us.max()), int(polls.time_us.min())),
        polls_used=len(selected.rank),
        evidence_polls=timeline.evidence_polls,
    )
    result = build_result(store_facts(selected, calendar), window_totals(events), scope)
    if incidents:
        add_incidents(result, selected.store_id, events, calendar)
    return finish(result, started)


def file_counts(polls: Polls, hours: Hours, zones: Zones) -> dict:
    """The summary's ``files``: rows read and skipped (by reason) of each input file."""
    return {
        "store_status": polls.stats.as_dict(),
        "menu_hours": hours.stats.as_dict(),
        "timezones": zones.stats.as_dict(),
    }


def _require_a_poll(polls: Polls) -> None:
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
