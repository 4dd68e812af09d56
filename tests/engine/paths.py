"""The two ways to a report, for tests that must hold on both: the CSV path (the engine on
parsed frames) and the snapshot path (ingest the same frames, then report from the file)."""

from __future__ import annotations

import pandas as pd

from storemon.inputs import tables
from storemon.inputs.closures import parse_closures
from storemon.report.pipeline import report_from_frames
from storemon.report.result import ReportResult
from storemon.snapshot.answer import report_from_snapshot
from storemon.snapshot.build import snapshot_from_parsed
from storemon.snapshot.reader import load_snapshot

PATHS = ("csv", "snapshot")
# the snapshot's calendar answers every now up to this many days after its newest poll, so
# the cases' late as_of and ranges are answered by the snapshot itself, not by its fallback
# (the engine on its parsed inputs: tested on its own in test_snapshot)
AS_OF_DAYS = (35, 60)


def via_snapshot(
    status: pd.DataFrame,
    hours: pd.DataFrame,
    timezones: pd.DataFrame,
    closures: pd.DataFrame | None = None,
    **options,
) -> ReportResult:
    data = snapshot_from_parsed(
        tables.parse_status(status),
        tables.parse_hours(hours),
        tables.parse_timezones(timezones),
        closures=None if closures is None else parse_closures(closures),
        as_of_days=AS_OF_DAYS,
    )
    return report_from_snapshot(load_snapshot(data), **options)


def compute(
    path: str,
    status: pd.DataFrame,
    hours: pd.DataFrame,
    timezones: pd.DataFrame,
    closures: pd.DataFrame | None = None,
    **options,
) -> ReportResult:
    """The report on ``path`` ("csv" or "snapshot"); ``closures``: the closures file's frame
    (the snapshot is built with it); ``options`` go to the entry point (as_of, store_ids,
    incidents, period)."""
    if path == "snapshot":
        return via_snapshot(status, hours, timezones, closures, **options)
    return report_from_frames(status, hours, timezones, closures=closures, **options)
