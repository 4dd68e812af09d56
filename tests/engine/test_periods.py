"""SPEC §8-§9 on both paths: every hand-computed case of ``period_cases`` (worked out in its
comment), on the CSV files and on a snapshot of them; the CSV text of each kind of report."""

from __future__ import annotations

import math

import pytest

from storemon.inputs.csv_reader import read_input
from storemon.report.periods import DAILY_COLUMNS, RANGE_COLUMNS, Period
from storemon.report.result import report_to_csv

from .paths import PATHS, compute
from .period_cases import CASES, CLOSURES_HEADER, HOURS_HEADER, STATUS_HEADER, ZONES_HEADER, Case


def frames(case: Case) -> dict:
    found = {
        "status": read_input((STATUS_HEADER + case.status).encode(), "status"),
        "hours": read_input((HOURS_HEADER + case.hours).encode(), "hours"),
        "timezones": read_input((ZONES_HEADER + case.zones).encode(), "timezones"),
    }
    if case.closures:
        found["closures"] = read_input((CLOSURES_HEADER + case.closures).encode(), "closures")
    return found


def period_of(request: dict) -> Period | None:
    if "windows" in request:
        return Period.of(windows=request["windows"])
    if "from" in request:
        daily = request.get("daily", False)  # (with incidents: the week ending at to, too)
        return Period.of(start=request["from"], end=request["to"], daily=daily)
    return None


def run(path: str, case: Case):
    request = case.request
    f = frames(case)
    return compute(
        path,
        f["status"],
        f["hours"],
        f["timezones"],
        f.get("closures"),
        as_of=request.get("as_of"),
        incidents=bool(request.get("incidents")),
        period=period_of(request),
    )


def empty_as_none(value):
    return None if isinstance(value, float) and math.isnan(value) else value


def answer(case: Case, result) -> dict:
    request = case.request
    rows = result.report.to_dict("records")
    if request.get("incidents"):
        found: dict = {store: [] for store in result.report["store_id"]}
        for item in result.incidents.to_dict("records"):
            found[item["store_id"]].append(
                (item["start_utc"], item["end_utc"], item["business_minutes"], item["ongoing"])
            )
        return found
    if "windows" in request:
        return {row.pop("store_id"): row for row in rows}
    if request.get("daily"):
        days: dict = {}
        for row in rows:
            days.setdefault(row["store_id"], []).append(
                (
                    row["date"],
                    row["business_hours"],
                    row["uptime_hours"],
                    row["downtime_hours"],
                    empty_as_none(row["uptime_percent"]),
                )
            )
        return days
    return {
        row["store_id"]: (
            row["uptime_hours"],
            row["downtime_hours"],
            empty_as_none(row["uptime_percent"]),
        )
        for row in rows
    }


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_hand_computed_case(case, path):
    result = run(path, case)
    assert answer(case, result) == case.expected
    if case.closures:
        counts = result.summary["files"]["closures"]
        assert counts["rows_skipped"] == case.skipped_closures
        assert counts["rows_read"] == len(case.closures.splitlines())
    else:
        assert "closures" not in result.summary["files"]


@pytest.mark.parametrize("path", PATHS)
def test_the_windows_header_keeps_the_spec_order(path):
    case = next(c for c in CASES if c.name == "month_and_hour_only")
    text = report_to_csv(run(path, case).report)
    assert text == (
        "store_id,uptime_last_hour,uptime_last_month,downtime_last_hour,downtime_last_month\n"
        "A,0.00,98.00,0.00,51.00\n"
    )


@pytest.mark.parametrize("path", PATHS)
def test_a_daily_report_as_csv(path):
    case = next(c for c in CASES if c.name == "a_day_without_business_time")
    text = report_to_csv(run(path, case).report)
    assert text.splitlines() == [
        ",".join(DAILY_COLUMNS),
        "A,2023-01-22,0.00,0.00,0.00,",
        "A,2023-01-23,8.00,8.00,0.00,100.0",
    ]


@pytest.mark.parametrize("path", PATHS)
def test_a_range_as_csv(path):
    case = next(c for c in CASES if c.name == "range_of_a_23_hour_day")
    text = report_to_csv(run(path, case).report)
    assert text.splitlines() == [",".join(RANGE_COLUMNS), "A,5.00,18.00,21.7"]


@pytest.mark.parametrize("path", PATHS)
def test_the_summary_names_the_period(path):
    case = next(c for c in CASES if c.name == "days_around_spring_forward")
    summary = run(path, case).summary
    assert summary["period"] == {
        "windows": None,
        "from": "2023-03-11T06:00:00.000000Z",
        "to": "2023-03-14T05:00:00.000000Z",
        "daily": True,
    }
    assert summary["now"] == "2023-03-14T05:00:00.000000Z"
    windows = run(path, next(c for c in CASES if c.name == "month_and_hour_only")).summary
    assert windows["period"] == {
        "windows": ["hour", "month"],
        "from": None,
        "to": None,
        "daily": False,
    }


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_snapshot_answers_each_case_itself(case, caplog):
    with caplog.at_level("INFO", logger="storemon.snapshot.answer"):
        run("snapshot", case)
    assert not [r for r in caplog.records if "engine runs on its inputs" in r.getMessage()]


@pytest.mark.parametrize("path", PATHS)
def test_the_closures_applied_are_listed_with_their_reason(path):
    # the * holiday of 2023-01-23 in each store's zone (the page draws these as closed)
    case = next(c for c in CASES if c.name == "a_star_closure_in_each_stores_zone")
    listed = run(path, case).closures
    assert listed.to_dict("records") == [
        {
            "store_id": "A",
            "start_utc": "2023-01-23T06:00:00.000000Z",
            "end_utc": "2023-01-24T06:00:00.000000Z",
            "start_local": "2023-01-23T00:00:00.000000-06:00",
            "end_local": "2023-01-24T00:00:00.000000-06:00",
            "reason": "holiday",
        },
        {
            "store_id": "B",
            "start_utc": "2023-01-23T05:00:00.000000Z",
            "end_utc": "2023-01-24T05:00:00.000000Z",
            "start_local": "2023-01-23T00:00:00.000000-05:00",
            "end_local": "2023-01-24T00:00:00.000000-05:00",
            "reason": "holiday",
        },
    ]
    without = next(c for c in CASES if c.name == "the_same_without_the_closure")
    assert run(path, without).closures is None
