"""The two ways to a report, for tests that must hold on both: the CSV path (the engine on
parsed frames) and the snapshot path (ingest the same frames, then report from the file)."""

from __future__ import annotations

import pandas as pd

from storemon.inputs import tables
from storemon.report.pipeline import report_from_frames
from storemon.report.result import ReportResult
from storemon.snapshot.answer import report_from_snapshot
from storemon.snapshot.build import snapshot_from_parsed
from storemon.snapshot.reader import load_snapshot

PATHS = ("csv", "snapshot")


def via_snapshot(
    status: pd.DataFrame, hours: pd.DataFrame, timezones: pd.DataFrame, **options
) -> ReportResult:
    data = snapshot_from_parsed(
        tables.parse_status(status), tables.parse_hours(hours), tables.parse_timezones(timezones)
    )
    return report_from_snapshot(load_snapshot(data), **options)


def compute(
    path: str, status: pd.DataFrame, hours: pd.DataFrame, timezones: pd.DataFrame, **options
) -> ReportResult:
    if path == "snapshot":
        return via_snapshot(status, hours, timezones, **options)
    return report_from_frames(status, hours, timezones, **options)
