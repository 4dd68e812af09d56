"""``storemon report`` / ``storemon ingest`` with periods and closures (SPEC §8-§9), on the
CSV files and on a snapshot, computed by hand.

The data (tests.engine.test_cli): A is open Monday 09:00-12:00 Chicago (15:00-18:00 UTC),
active at 10:00 and inactive at 11:30 local on Monday 2023-01-23 (the flip at 10:45); B has
no hours and no zone (24/7, Chicago), active at 18:00 UTC, which is now.
"""

from __future__ import annotations

import json

import pytest

from storemon_dev.cli import main

from .test_cli import files, run  # noqa: F401  (files is a fixture)

DAILY = ["--from", "2023-01-22T06:00:00Z", "--to", "2023-01-24T06:00:00Z", "--daily"]
DAILY_HEADER = "store_id,date,business_hours,uptime_hours,downtime_hours,uptime_percent"
CLOSURES = (
    "store_id,start_local,end_local,reason\n"
    "A,2023-01-23 10:30,2023-01-23 11:00,training\n"
    "*,2023-01-22 00:00,2023-01-23T00:00:00,holiday\n"
    "B,2023-01-23 11:00,2023-01-23 10:00,backwards\n"
)


@pytest.fixture
def closures(tmp_path):
    path = tmp_path / "closures.csv"
    path.write_text(CLOSURES)
    return path


def test_month_and_hour_windows(files, capsys):  # noqa: F811
    # A: the month [12-24 18:00, 01-23 18:00) UTC holds five Mondays (15 h): up on the four
    # earlier ones (the first poll's status) and 15:00-16:45 on 01-23, 13.75 h; down 1.25 h.
    assert run(files, "--windows", "month,hour") == 0
    assert capsys.readouterr().out.splitlines() == [
        "store_id,uptime_last_hour,uptime_last_month,downtime_last_hour,downtime_last_month",
        "A,0.00,13.75,60.00,1.25",
        "B,60.00,720.00,0.00,0.00",
    ]


def test_a_range(files, capsys):  # noqa: F811
    assert run(files, "--from", "2023-01-23T15:00:00Z", "--to", "2023-01-23 18:00:00") == 0
    assert capsys.readouterr().out.splitlines() == [
        "store_id,uptime_hours,downtime_hours,uptime_percent",
        "A,1.75,1.25,58.3",
        "B,3.00,0.00,100.0",
    ]


def test_day_by_day(files, capsys):  # noqa: F811
    # Sunday 01-22 and Monday 01-23 in Chicago: A has no business time on Sunday
    assert run(files, *DAILY) == 0
    assert capsys.readouterr().out.splitlines() == [
        DAILY_HEADER,
        "A,2023-01-22,0.00,0.00,0.00,",
        "A,2023-01-23,3.00,1.75,1.25,58.3",
        "B,2023-01-22,24.00,24.00,0.00,100.0",
        "B,2023-01-23,24.00,24.00,0.00,100.0",
    ]


EXPECTED_WITH_CLOSURES = [
    # A closed 10:30-11:00 local (the flip at 10:45 is inside): up 09:00-10:30, down
    # 11:00-12:00, 2.5 business hours; the * holiday closes Sunday 01-22 for both
    DAILY_HEADER,
    "A,2023-01-22,0.00,0.00,0.00,",
    "A,2023-01-23,2.50,1.50,1.00,60.0",
    "B,2023-01-22,0.00,0.00,0.00,",
    "B,2023-01-23,24.00,24.00,0.00,100.0",
]


def test_day_by_day_with_closures_and_their_counts(files, closures, tmp_path, capsys):  # noqa: F811
    summary = tmp_path / "summary.json"
    assert run(files, *DAILY, "--closures", str(closures), "--summary", str(summary)) == 0
    assert capsys.readouterr().out.splitlines() == EXPECTED_WITH_CLOSURES
    document = json.loads(summary.read_text())
    assert document["files"]["closures"] == {
        "file": str(closures),
        "rows_read": 3,
        "rows_skipped": 1,
        "skipped_reasons": {"end_local not after start_local": 1},
    }
    assert document["period"] == {
        "windows": None,
        "from": "2023-01-22T06:00:00.000000Z",
        "to": "2023-01-24T06:00:00.000000Z",
        "daily": True,
    }


def test_a_snapshot_ingested_with_closures_answers_the_same(files, closures, tmp_path, capsys):  # noqa: F811
    snapshot = tmp_path / "inputs.snap"
    ingest = [
        "ingest",
        "--status",
        str(files["status"]),
        "--hours",
        str(files["hours"]),
        "--timezones",
        str(files["zones"]),
        "--closures",
        str(closures),
        "--out",
        str(snapshot),
    ]
    assert main(ingest) == 0
    capsys.readouterr()
    assert main(["report", "--snapshot", str(snapshot), *DAILY]) == 0
    assert capsys.readouterr().out.splitlines() == EXPECTED_WITH_CLOSURES
    # a closures file beside a usable snapshot is not read, and the command says so
    assert main(["report", "--snapshot", str(snapshot), *DAILY, "--closures", "x.csv"]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == EXPECTED_WITH_CLOSURES
    assert out.err.startswith("storemon: x.csv not read: the snapshot carries the closures")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--windows", "week,year"], "windows: unknown window 'year': choose from hour, day"),
        (["--daily"], "daily: day by day needs a range: give from and to"),
        (["--from", "2023-01-23T00:00:00Z"], "to: a range needs both from and to"),
        (["--from", "2023-01-23", "--to", "2023-01-24T00:00:00Z"], "from: not a valid timestamp"),
        (
            ["--from", "2023-01-24T00:00:00Z", "--to", "2023-01-23T00:00:00Z"],
            "from: from (2023-01-24T00:00:00Z) must be before to (2023-01-23T00:00:00Z)",
        ),
        (["--windows", "day", *DAILY[:4]], "windows: windows end at now and a range"),
        ([*DAILY[:4], "--as-of", "2023-01-23T00:00:00Z"], "as_of: a range ends at its own to"),
    ],
)
def test_periods_that_cannot_work_fail_with_one_line(files, capsys, flags, message):  # noqa: F811
    assert run(files, *flags) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"storemon: error: {message}")
    assert len(err.splitlines()) == 1


def test_a_broken_closures_file_fails_naming_it(files, tmp_path, capsys):  # noqa: F811
    broken = tmp_path / "holidays.csv"
    broken.write_text("store_id,start\nA,2023-01-23 10:00\n")
    assert run(files, "--closures", str(broken)) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"storemon: error: {broken}: missing required columns start_local, end_local"
    )
