"""The result of a report (SPEC §5, §7): its frames and summary, built by one function for
every path that computes a report (the CSV files, the snapshot).

:func:`build_result` takes what each path computed in its own way (the stores' facts, and
the period's frames from :func:`storemon.report.periods.measure_period`) and makes the
result and its summary, so their rules are written once; :func:`add_incidents` adds SPEC
§7's incidents from the report's events, :func:`add_closures` the closures it applied.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from storemon import json_values
from storemon.clock.iso import utc_text
from storemon.clock.ticks import TICKS_PER_HOUR
from storemon.inputs.closures import Closures
from storemon.report import csv_output
from storemon.report.business_hours import StoreCalendar
from storemon.report.closures import closures_frame
from storemon.report.incidents import find_incidents, week_business_intervals
from storemon.report.periods import (
    CLASSIC_WINDOWS,
    WEEK_HOURS,
    percentage_columns,
    window_columns,
)
from storemon.report.timeline import PeriodEvents

REPORT_COLUMNS = window_columns(CLASSIC_WINDOWS)  # SPEC §5
PERCENTAGE_COLUMNS = percentage_columns(CLASSIC_WINDOWS)
PERCENT_TEXT_COLUMNS = ("uptime_percent", "uptime_pct_")  # written with 1 decimal
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
    # the period's frame (storemon.report.periods): windows (REPORT_COLUMNS without a
    # period), RANGE_COLUMNS or DAILY_COLUMNS; one row per store (and date), sorted by store_id
    report: pd.DataFrame
    summary: dict  # JSON-able, SPEC §5 (and §8-§9's period and closures when asked)
    stores: pd.DataFrame  # STORE_COLUMNS, what the data holds for each reported store
    # uptime_pct_last_<w> per asked window (PERCENTAGE_COLUMNS without a period), or
    # uptime_percent (a range; with the date, day by day): float64, 1 decimal, NaN without
    # business time; rows as in ``report``
    percentages: pd.DataFrame = field(default_factory=_no_percentages)
    # INCIDENT_COLUMNS (SPEC §7), only when asked for (``incidents=True``), else None
    incidents: pd.DataFrame | None = None
    # with the incidents: store_id, open_utc, close_utc, the business hours in the week window
    # (minus closed time)
    business_intervals: pd.DataFrame | None = None
    # with a closures file: CLOSURE_COLUMNS (storemon.report.closures), each closure row of a
    # reported store that overlaps the report's span, unclipped, with its reason; else None
    closures: pd.DataFrame | None = None
    # what was left to make when first needed (the incidents and the business intervals of a
    # report asked ``incidents_later``): :meth:`complete` makes it
    later: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def complete(self) -> ReportResult:
        """This result with what was left for later made (the incidents); itself."""
        if self.later is not None:
            later, self.later = self.later, None
            later()
        return self

    def summary_json(self) -> dict:
        """The summary as plain JSON values (NumPy scalars, timestamps and NaN converted)."""
        return json_values.to_json_values(self.summary)

    def stores_document(self, report_id: str) -> dict:
        """The per-store file of a report: ``{"report_id", "now", "stores": {store_id: {...}}}``
        (what the service's ``store_summary`` answers from), as plain JSON values."""
        from storemon.report.json_rows import rows_by

        return {
            "report_id": report_id,
            "now": json_values.scalar(self.summary.get("now")),
            "stores": rows_by(self.stores, "store_id"),
        }


@dataclass(frozen=True)
class StoreFacts:
    """What the data holds for each reported store (STORE_COLUMNS), one entry per rank.

    ``store_id`` (str), ``polls`` (int64: poll rows at or before now, duplicates included),
    ``first_poll`` / ``last_poll`` (object: ISO text of the first and last of those polls),
    ``timezone`` (object: the zone used), ``timezone_source`` (object: ``"file"``,
    ``"missing"`` or ``"invalid"``), ``hours_defined`` (bool: a valid hours row; otherwise
    open 24/7), ``hours_days`` (int64: distinct weekdays with a row).
    """

    store_id: np.ndarray
    polls: np.ndarray
    first_poll: np.ndarray
    last_poll: np.ndarray
    timezone: np.ndarray
    timezone_source: np.ndarray
    hours_defined: np.ndarray
    hours_days: np.ndarray

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {name: getattr(self, name) for name in STORE_COLUMNS}, columns=STORE_COLUMNS
        )


@dataclass(frozen=True)
class ReportScope:
    """What a report was asked for and what it saw: ``now_us`` (µs since the epoch), the
    request (``as_of`` as given, ``store_ids`` as given or None), the files' counts
    (``files``: {"store_status"|"menu_hours"|"timezones"[|"closures"]: FileStats.as_dict()}),
    the newest and oldest valid poll of the whole status file (``poll_range``), the polls
    used (one per store and instant, at or before now) and those used as evidence, and the
    period when the request named one (``period``: Period.describe(), else None)."""

    now_us: int
    as_of: str | None
    store_ids: list[str] | None
    files: dict
    poll_range: tuple[int, int]
    polls_used: int
    evidence_polls: int
    period: dict | None = None


def build_result(
    facts: StoreFacts, frames: tuple[pd.DataFrame, pd.DataFrame], scope: ReportScope
) -> ReportResult:
    """The result from the stores' facts and the period's (report, percentages) frames, with
    the summary (§5; without its duration: :func:`finish` adds it)."""
    report, percentages = frames
    return ReportResult(
        report=report,
        summary=summary(facts, scope),
        stores=facts.frame(),
        percentages=percentages,
    )


def add_incidents(
    result: ReportResult, store_id: np.ndarray, events: PeriodEvents, calendar: StoreCalendar
) -> None:
    """SPEC §7's incidents, and the week's business intervals to draw them against (the
    events hold the week's start among their marks)."""
    now_tick = events.now_tick
    week_start = now_tick - WEEK_HOURS * TICKS_PER_HOUR
    result.incidents = find_incidents(events, store_id, calendar, week_start)
    result.business_intervals = week_business_intervals(calendar, store_id, week_start, now_tick)


def add_closures(
    result: ReportResult,
    closures: Closures,
    store_id: np.ndarray,
    calendar: StoreCalendar,
    span_ticks: tuple[int, int],
) -> None:
    """The closures applied to the reported stores that overlap ``span_ticks``."""
    assert calendar.closure_rows is not None
    zones = (calendar.zone_of_rank, calendar.zone_names)
    result.closures = closures_frame(calendar.closure_rows, closures, store_id, zones, span_ticks)


def finish(result: ReportResult, started: float) -> ReportResult:
    """The summary's last key: seconds since ``started`` (a ``perf_counter`` value)."""
    result.summary["duration_seconds"] = round(time.perf_counter() - started, 3)
    return result


def summary(facts: StoreFacts, scope: ReportScope) -> dict:
    """SPEC §5's summary (JSON-able), without the duration; ``period`` after its keys when
    the request named one."""
    not_found = ids_not_found(facts.store_id, scope.store_ids)
    source = facts.timezone_source
    document = {
        "now": utc_text(scope.now_us),
        "as_of": scope.as_of,
        "store_filter": None if scope.store_ids is None else len(scope.store_ids),
        "stores_reported": len(facts.store_id),
        "store_ids_not_found": not_found,
        "files": scope.files,
        "stores_default_24x7": int((~facts.hours_defined).sum()),
        "stores_default_timezone": {
            "missing": int((source == "missing").sum()),
            "invalid": int((source == "invalid").sum()),
        },
        "polls_used": scope.polls_used,
        "evidence_polls": scope.evidence_polls,
        "warnings": request_warnings(scope, not_found),
    }
    if scope.period is not None:
        document["period"] = scope.period
    return document


def ids_not_found(store_id: np.ndarray, store_ids: list[str] | None) -> list[str]:
    """The requested ids (trimmed, first occurrence order) without a poll at or before now."""
    if store_ids is None:
        return []
    requested = list(dict.fromkeys(str(s).strip() for s in store_ids))
    missing = pd.Index(store_id).get_indexer(requested) < 0
    return [s for s, gone in zip(requested, missing, strict=True) if gone]


def request_warnings(scope: ReportScope, not_found: list[str]) -> list[str]:
    """Sentences for a person: things about the request that make the report surprising."""
    newest, oldest = scope.poll_range
    now_us, store_ids = scope.now_us, scope.store_ids
    named = "as_of" if scope.as_of is not None else None
    if scope.period is not None and scope.period.get("to") is not None:
        named = "to"
    found: list[str] = []
    if named is not None and now_us > newest:
        found.append(
            f"{named} {utc_text(now_us)} is after the newest valid poll ({utc_text(newest)}): "
            "each store keeps the status of its last poll until then"
        )
    if now_us < oldest:
        found.append(
            f"{named or 'as_of'} {utc_text(now_us)} is before the first valid poll "
            f"({utc_text(oldest)}): no store has a poll by then, so the report is empty"
        )
    if not_found and store_ids is not None:
        asked = len(set(str(s).strip() for s in store_ids))
        found.append(
            f"{len(not_found)} of the {asked} requested store ids have no poll at or before "
            "now and are not in the report"
        )
    return found


def report_to_csv(report: pd.DataFrame) -> str:
    """The report as CSV text: its header, hours and minutes as plain decimals with 2
    places, percentages with 1 (empty without business time), store ids that look like
    spreadsheet formulas neutralised (:mod:`storemon.report.csv_output`)."""
    tenths = [c for c in report.columns if str(c).startswith(PERCENT_TEXT_COLUMNS)]
    if tenths:
        text = {c: csv_output.fixed_point_text(report[c].to_numpy(), 1) for c in tenths}
        report = report.assign(**text)
    return csv_output.to_csv(report, float_format="%.2f")
