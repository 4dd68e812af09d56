"""The ``storemon report`` command: output, options and every kind of broken input."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pytest

from storemon_dev.cli import main

STATUS = (
    "store_id,status,timestamp_utc\n"
    "A,active,2023-01-23 16:00:00 UTC\n"
    "A,inactive,2023-01-23 17:30:00 UTC\n"
    "B,active,2023-01-23 18:00:00 UTC\n"
)
HOURS = "store_id,day,start_time_local,end_time_local\nA,0,09:00:00,12:00:00\n"
ZONES = "store_id,timezone_str\nA,America/Chicago\n"
HEADER = (
    "store_id,uptime_last_hour,uptime_last_day,uptime_last_week,"
    "downtime_last_hour,downtime_last_day,downtime_last_week"
)


@pytest.fixture
def files(tmp_path):
    paths = {}
    for name, text in (("status", STATUS), ("hours", HOURS), ("zones", ZONES)):
        paths[name] = tmp_path / f"{name}.csv"
        paths[name].write_text(text)
    return paths


def run(files, *extra, **replace):
    paths = {**files, **replace}
    return main(
        [
            "report",
            "--status",
            str(paths["status"]),
            "--hours",
            str(paths["hours"]),
            "--timezones",
            str(paths["zones"]),
            *extra,
        ]
    )


def test_report_to_stdout(files, capsys):
    assert run(files) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == [
        HEADER,
        "A,0.00,1.75,1.75,60.00,1.25,1.25",
        "B,60.00,24.00,168.00,0.00,0.00,0.00",
    ]
    assert out.err == ""  # quiet when standard error is not a terminal


def test_report_options_out_summary_stores_as_of(files, tmp_path, capsys):
    out, summary = tmp_path / "report.csv", tmp_path / "summary.json"
    code = run(
        files,
        "--out",
        str(out),
        "--summary",
        str(summary),
        "--stores",
        "A",
        "--as-of",
        "2023-01-23T17:45:00Z",
    )
    assert code == 0
    assert out.read_text().splitlines() == [HEADER, "A,0.00,1.75,2.00,60.00,1.00,1.00"]
    facts = json.loads(summary.read_text())
    assert facts["now"] == "2023-01-23T17:45:00.000000Z"
    assert facts["stores_reported"] == 1
    assert facts["files"]["store_status"]["rows_read"] == 3
    assert facts["stores_default_timezone"] == {"missing": 0, "invalid": 0}


def test_incidents_file(files, tmp_path, capsys):
    incidents = tmp_path / "incidents.csv"
    assert run(files, "--incidents", str(incidents)) == 0
    # A is the worked example (now is B's 18:00 UTC = 12:00 Chicago); B is never down
    assert incidents.read_text().splitlines() == [
        "store_id,start_utc,end_utc,start_local,end_local,business_minutes,ongoing",
        "A,2023-01-23T16:45:00.000000Z,2023-01-23T18:00:00.000000Z,"
        "2023-01-23T10:45:00.000000-06:00,2023-01-23T12:00:00.000000-06:00,75.00,true",
    ]
    assert capsys.readouterr().out.splitlines()[0] == HEADER


def test_gzip_inputs(files, tmp_path, capsys):
    gz = tmp_path / "status.csv.gz"
    gz.write_bytes(gzip.compress(STATUS.encode()))
    assert run(files, status=gz) == 0
    assert "A,0.00,1.75" in capsys.readouterr().out


BROKEN = {
    "absent": (None, "file not found"),
    "empty": ("", "file is empty"),
    "binary": ("\x00\x01\x02PNG", "not a CSV file"),
    "missing column": (
        "store_id,state,timestamp_utc\nA,active,2023-01-23 16:00:00\n",
        "missing required column status",
    ),
    "not csv": ('{"store_id": 1, "status": "active"}\n', "missing required columns"),
    "no valid poll": ("store_id,status,timestamp_utc\nA,maybe,2023-01-23\n", "no valid poll"),
    "header only": ("store_id,status,timestamp_utc\n", "no valid poll"),
    "bad gzip": ("\x1f\x8bnot really gzip", "not a valid gzip file"),
    "not utf-8": ("store_id,status,timestamp_utc\nA\xff,active,2023\n", "not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_status_file_fails_with_one_line(files, tmp_path, capsys, case):
    content, message = BROKEN[case]
    path = tmp_path / "broken_status.csv"
    if content is not None:
        path.write_bytes(content.encode("latin-1"))
    assert run(files, status=path) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(path) in err and message in err


@pytest.mark.parametrize("kind", ["hours", "zones"])
def test_broken_hours_or_zones_file_names_it(files, tmp_path, capsys, kind):
    path = tmp_path / f"broken_{kind}.csv"
    path.write_text("a,b\n1,2\n")
    assert run(files, **{kind: path}) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "missing required column" in err


def test_bad_as_of(files, capsys):
    assert run(files, "--as-of", "tomorrow") == 2
    assert "as_of: not a valid timestamp" in capsys.readouterr().err


def test_the_installed_command_reports_and_fails_cleanly(files, tmp_path):
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "storemon_dev.cli",
            "report",
            "--status",
            str(files["status"]),
            "--hours",
            str(files["hours"]),
            "--timezones",
            str(files["zones"]),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0 and ok.stdout.startswith(HEADER)
    missing = tmp_path / "nope.csv"
    failed = subprocess.run(
        [
            sys.executable,
            "-m",
            "storemon_dev.cli",
            "report",
            "--status",
            str(missing),
            "--hours",
            str(files["hours"]),
            "--timezones",
            str(files["zones"]),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 2
    assert failed.stderr == f"storemon: error: {missing}: file not found\n"
