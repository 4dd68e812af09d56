"""The two ways to a report, for tests that must hold on both: the CSV path (the engine on
parsed frames) and the snapshot path (ingest the same frames, then report from the file)."""

from __future__ import annotations

import pandas as pd

from storemon import inputs, snapshot
from storemon.engine import ReportResult, compute_report

PATHS = ("csv", "snapshot")


def via_snapshot(
    status: pd.DataFrame, hours: pd.DataFrame, timezones: pd.DataFrame, **options
) -> ReportResult:
    data = snapshot.build(
        inputs.parse_status(status), inputs.parse_hours(hours), inputs.parse_timezones(timezones)
    )
    return snapshot.report(snapshot.load(data), **options)


def compute(
    path: str, status: pd.DataFrame, hours: pd.DataFrame, timezones: pd.DataFrame, **options
) -> ReportResult:
    if path == "snapshot":
        return via_snapshot(status, hours, timezones, **options)
    return compute_report(status, hours, timezones, **options)
