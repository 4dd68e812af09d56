"""The uptime report (SPEC §2–§5): entry points, and the result's frames and summary.

Data frames in, data frames out; the computation is pure (no AWS, no I/O). Its phases live in
modules with one job each, and :func:`report_from_parsed` runs them in order:

1. select the polls (:func:`storemon.report.timeline.select_polls`): at or before ``now``, of the
   requested stores, sorted once by (store, time), one per (store, instant);
2. the store calendar (:func:`storemon.report.business_hours.store_calendar`): each store's zone and
   its business hours as merged UTC intervals, with the cumulative business time ``B(t)``;
3. evidence and status changes (:mod:`storemon.report.timeline`): the polls inside business hours,
   and the midpoints where the interpolated status flips;
4. window totals (:func:`storemon.report.timeline.window_totals`): with the window starts as extra
   events, one cumulative sum of business time spent active gives every window's uptime;
5. the result: the report (§5), the percentages (§7), the per-store facts and the summary,
   and on request the incidents (:mod:`storemon.report.incidents`, §7).

Times are int64 ticks of half a microsecond (:mod:`storemon.clock.ticks`), so midpoints are exact.
Nothing loops over stores or polls in Python.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from storemon import json_values
from storemon.clock import timestamps
from storemon.clock.ticks import TICKS_PER_SECOND, iso_utc
from storemon.errors import InputError
from storemon.inputs import tables
from storemon.inputs.limits import Limits
from storemon.inputs.parse import parse_input_files
from storemon.inputs.tables import Hours, Polls, Zones
from storemon.report import csv_output
from storemon.report.business_hours import StoreCalendar, store_calendar
from storemon.report.incidents import find_incidents, week_business_intervals
from storemon.report.per_group import group_ends, group_starts
from storemon.report.timeline import (
    WEEK_HOURS,
    WINDOWS,
    SelectedPolls,
    Timeline,
    WeekEvents,
    WindowTotals,
    evidence,
    select_polls,
    status_changes,
    week_events,
    window_totals,
)

US_PER_HOUR = 3_600_000_000
REPORT_COLUMNS = [
    "store_id",
    "uptime_last_hour",
    "uptime_last_day",
    "uptime_last_week",
    "downtime_last_hour",
    "downtime_last_day",
    "downtime_last_week",
]
PERCENTAGE_COLUMNS = [
    "store_id",
    "uptime_pct_last_hour",
    "uptime_pct_last_day",
    "uptime_pct_last_week",
]
STORE_COLUMNS = [
    "store_id",
    "polls",
    "first_poll",
    "last_poll",
    "timezone",
    "timezone_source",
    "hours_defined",
    "hours_days",
]


def _no_percentages() -> pd.DataFrame:
    return pd.DataFrame(columns=PERCENTAGE_COLUMNS)


@dataclass
class ReportResult:
    report: pd.DataFrame  # REPORT_COLUMNS, one row per store, sorted by store_id
    summary: dict  # JSON-able, SPEC §5
    stores: pd.DataFrame  # STORE_COLUMNS, what the data holds for each reported store
    # PERCENTAGE_COLUMNS, rows as in ``report``: float64, 1 decimal, NaN without business time
    percentages: pd.DataFrame = field(default_factory=_no_percentages)
    # INCIDENT_COLUMNS (SPEC §7), only when asked for (``incidents=True``), else None
    incidents: pd.DataFrame | None = None
    # with the incidents: store_id, open_utc, close_utc, the business hours in the week window
    business_intervals: pd.DataFrame | None = None

    def summary_json(self) -> dict:
        """The summary as plain JSON values (NumPy scalars, timestamps and NaN converted)."""
        return json_values.plain(self.summary)

    def stores_document(self, report_id: str) -> dict:
        """The per-store file of a report: ``{"report_id", "now", "stores": {store_id: {...}}}``
        (what the service's ``store_summary`` answers from), as plain JSON values."""
        return {
            "report_id": report_id,
            "now": json_values.scalar(self.summary.get("now")),
            "stores": json_values.rows_by(self.stores.to_dict(orient="records"), "store_id"),
        }


# --------------------------------------------------------------------------- entry points


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


# --------------------------------------------------------------------------- the computation


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
    status = status_changes(
        ev_rank,
        ev_tick,
        ev_active,
        n_stores=selected.n_stores,
        week_start_tick=selected.window_start(WEEK_HOURS),
        now_tick=selected.now_tick,
    )
    events = week_events(selected, status, calendar)
    totals = window_totals(events)
    result = ReportResult(
        report=report_frame(selected.store_id, totals),
        summary=_summary(
            (polls, hours, zones), selected, calendar, status, as_of=as_of, store_ids=store_ids
        ),
        stores=store_facts(selected, calendar),
        percentages=percentages_frame(selected.store_id, totals),
    )
    if incidents:
        _add_incidents(result, selected, calendar, events)
    result.summary["duration_seconds"] = round(time.perf_counter() - started, 3)
    return result


def _add_incidents(
    result: ReportResult, selected: SelectedPolls, calendar: StoreCalendar, events: WeekEvents
) -> None:
    """SPEC §7's incidents, and the week's business intervals to draw them against."""
    result.incidents = find_incidents(events, selected.store_id, calendar, selected.now_tick)
    result.business_intervals = week_business_intervals(
        calendar, selected.store_id, selected.window_start(WEEK_HOURS), selected.now_tick
    )


def _require_a_poll(polls: Polls) -> None:
    if len(polls.time_us) == 0:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(polls.stats.skipped.items()))
        detail = f" ({polls.stats.rows_read} rows read; skipped {reasons})" if reasons else ""
        raise InputError(polls.stats.name, f"no valid poll{detail}")


# --------------------------------------------------------------------------- the result


def report_frame(store_id: np.ndarray, totals: WindowTotals) -> pd.DataFrame:
    """SPEC §5: uptime and downtime per window, minutes (hour) or hours, 2 decimals."""
    columns: dict[str, np.ndarray] = {"store_id": store_id}
    for name, _, unit_seconds in WINDOWS:
        unit = unit_seconds * TICKS_PER_SECOND
        up, total = totals.uptime[name], totals.business[name]
        columns[f"uptime_last_{name}"] = np.round(up / unit, 2)
        columns[f"downtime_last_{name}"] = np.round((total - up) / unit, 2)
    return pd.DataFrame(columns, columns=REPORT_COLUMNS)


def percentages_frame(store_id: np.ndarray, totals: WindowTotals) -> pd.DataFrame:
    """SPEC §7: uptime / business time × 100 per window from the exact durations, 1 decimal;
    NaN when the window holds no business time."""
    columns: dict[str, np.ndarray] = {"store_id": store_id}
    for name, _, _ in WINDOWS:
        up, total = totals.uptime[name], totals.business[name]
        share = np.full(len(store_id), np.nan)
        np.divide(up * 100.0, total, out=share, where=total > 0)
        columns[f"uptime_pct_last_{name}"] = np.round(share, 1)
    return pd.DataFrame(columns, columns=PERCENTAGE_COLUMNS)


def store_facts(selected: SelectedPolls, calendar: StoreCalendar) -> pd.DataFrame:
    """STORE_COLUMNS: what the data holds for each reported store, in rank order."""
    n_stores = selected.n_stores
    first_poll = np.zeros(n_stores, dtype=np.int64)
    last_poll = np.zeros(n_stores, dtype=np.int64)
    group_first = group_starts(selected.rank)
    first_poll[selected.rank[group_first]] = selected.time_us[group_first]
    group_last = group_ends(selected.rank)
    last_poll[selected.rank[group_last]] = selected.time_us[group_last]
    return pd.DataFrame(
        {
            "store_id": selected.store_id,
            "polls": selected.rows_per_store,
            "first_poll": iso_utc(first_poll),
            "last_poll": iso_utc(last_poll),
            "timezone": np.asarray(calendar.zone_names, dtype=object)[calendar.zone_of_rank],
            "timezone_source": calendar.zone_source,
            "hours_defined": calendar.has_hours,
            "hours_days": calendar.days_with_hours,
        },
        columns=STORE_COLUMNS,
    )


def _summary(
    inputs_used: tuple[Polls, Hours, Zones],
    selected: SelectedPolls,
    calendar: StoreCalendar,
    status: Timeline,
    *,
    as_of: str | None,
    store_ids: list[str] | None,
) -> dict:
    """SPEC §5's summary (JSON-able), without the duration."""
    polls, hours, zones = inputs_used
    not_found = ids_not_found(selected.store_id, store_ids)
    newest, oldest = int(polls.time_us.max()), int(polls.time_us.min())
    source = calendar.zone_source
    return {
        "now": iso_one(selected.now_us),
        "as_of": as_of,
        "store_filter": None if store_ids is None else len(store_ids),
        "stores_reported": int(selected.n_stores),
        "store_ids_not_found": not_found,
        "files": {
            "store_status": polls.stats.as_dict(),
            "menu_hours": hours.stats.as_dict(),
            "timezones": zones.stats.as_dict(),
        },
        "stores_default_24x7": int((~calendar.has_hours).sum()),
        "stores_default_timezone": {
            "missing": int((source == "missing").sum()),
            "invalid": int((source == "invalid").sum()),
        },
        "polls_used": int(len(selected.rank)),
        "evidence_polls": int(status.evidence_polls),
        "warnings": request_warnings(
            (newest, oldest), selected.now_us, as_of, not_found, store_ids
        ),
    }


def ids_not_found(store_id: np.ndarray, store_ids: list[str] | None) -> list[str]:
    """The requested ids (trimmed, first occurrence order) without a poll at or before now."""
    if store_ids is None:
        return []
    requested = list(dict.fromkeys(str(s).strip() for s in store_ids))
    missing = pd.Index(store_id).get_indexer(requested) < 0
    return [s for s, gone in zip(requested, missing, strict=True) if gone]


def request_warnings(
    poll_range: tuple[int, int],
    now_us: int,
    as_of: str | None,
    not_found: list[str],
    store_ids: list[str] | None,
) -> list[str]:
    """Sentences for a person: things about the request that make the report surprising.

    ``poll_range`` is (newest, oldest) valid poll of the whole file, µs since the epoch.
    """
    newest, oldest = poll_range
    found: list[str] = []
    if as_of is not None and now_us > newest:
        found.append(
            f"as_of {iso_one(now_us)} is after the newest valid poll ({iso_one(newest)}): "
            "each store keeps the status of its last poll until then"
        )
    if now_us < oldest:
        found.append(
            f"as_of {iso_one(now_us)} is before the first valid poll ({iso_one(oldest)}): "
            "no store has a poll by then, so the report is empty"
        )
    if not_found and store_ids is not None:
        asked = len(set(str(s).strip() for s in store_ids))
        found.append(
            f"{len(not_found)} of the {asked} requested store ids have no poll at or before "
            "now and are not in the report"
        )
    return found


def iso_one(micros: int) -> str:
    return str(iso_utc(np.array([micros]))[0])


def report_to_csv(report: pd.DataFrame) -> str:
    """The report as CSV text: SPEC §5 header, numbers as plain decimals with 2 places,
    store ids that look like spreadsheet formulas neutralised
    (:mod:`storemon.report.csv_output`)."""
    return csv_output.to_csv(report, float_format="%.2f")
