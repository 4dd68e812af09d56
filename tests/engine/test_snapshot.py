"""The snapshot: reports from it equal the CSV path's, byte for byte; a snapshot that cannot
be trusted is refused with a reason (and the CLI falls back to the CSV files)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storemon.errors import InputError, SnapshotError
from storemon.inputs import tables
from storemon.inputs.csv_reader import read_input
from storemon.report.pipeline import report_from_frames
from storemon.report.result import report_to_csv
from storemon.snapshot import file_format
from storemon.snapshot.answer import report_from_snapshot
from storemon.snapshot.build import snapshot_from_parsed
from storemon.snapshot.reader import VERSION, load_snapshot
from storemon_dev.cli import main

from .paths import via_snapshot
from .test_properties import _stamp, build, dataset, frames

DAY_US = 86_400_000_000


def assert_same(expected, got):
    """Same report bytes, same per-store facts, same summary but for the duration."""
    assert report_to_csv(got.report) == report_to_csv(expected.report)
    pd.testing.assert_frame_equal(got.report, expected.report)
    pd.testing.assert_frame_equal(got.stores, expected.stores)
    pd.testing.assert_frame_equal(got.percentages, expected.percentages)
    for name in ("incidents", "business_intervals"):
        if getattr(expected, name) is None:
            assert getattr(got, name) is None
        else:
            pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name))
    want, have = dict(expected.summary), dict(got.summary)
    want.pop("duration_seconds")
    have.pop("duration_seconds")
    assert json.loads(json.dumps(have)) == json.loads(json.dumps(want))


as_of_choice = st.one_of(
    st.none(),
    st.integers(-12 * DAY_US, 3 * DAY_US),  # around the data, and beyond the calendar
    st.sampled_from([-DAY_US, -3_600_000_000, 0, 1]),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dataset, as_of_choice, st.lists(st.integers(0, 3), max_size=4), st.booleans())
def test_snapshot_and_csv_paths_agree(data, as_of_offset, subset, filtered):
    polls, hours, zones, _ = build(data)
    newest = max(t for *_, t in polls)
    as_of = None if as_of_offset is None else _stamp(newest + as_of_offset)
    store_ids = None
    if filtered:
        store_ids = [f"{9_000_000_000_000_000_000 + n}" for n in subset] + ["unknown"]
    f = frames(polls, hours, zones)
    snap = load_snapshot(
        snapshot_from_parsed(
            *(
                parse(frame)
                for parse, frame in zip(
                    (tables.parse_status, tables.parse_hours),
                    (f["status"], f["hours"]),
                    strict=True,
                )
            ),
            tables.parse_timezones(f["timezones"]),
        )
    )
    options = {"as_of": as_of, "store_ids": store_ids, "incidents": True}
    expected = report_from_frames(f["status"], f["hours"], f["timezones"], **options)
    assert_same(expected, report_from_snapshot(snap, **options))


def _frames(status, hours="", zones=""):
    return (
        read_input(("store_id,status,timestamp_utc\n" + status).encode(), "status"),
        read_input(("store_id,day,start_time_local,end_time_local\n" + hours).encode(), "hours"),
        read_input(("store_id,timezone_str\n" + zones).encode(), "timezones"),
    )


SAMPLE = _frames(
    "A,active,2023-01-23 16:00:00\nA,inactive,2023-01-23 17:30:00\nA,inactive,2023-01-23 17:30:00\n"
    "A,active,2023-01-23 17:30:00\nB,active,2023-01-22 12:00:00\nB,banana,2023-01-22 12:00:00\n"
    "C,inactive,2023-01-20 03:00:00\nC,active,2023-01-23 18:00:00\n",
    "A,0,09:00:00,12:00:00\nC,6,22:00,02:00\nD,1,10:00,11:00\n",
    "A,America/Chicago\nB,Mars/Base\nZ,Europe/Paris\n",
)


@pytest.mark.parametrize(
    "as_of",
    [
        None,
        "2023-01-23 17:00:00",
        "2023-01-21 00:00:00",
        "2023-01-24 18:00:00",
        "2020-01-01 00:00:00",
        "2030-01-01 00:00:00",
    ],
)
@pytest.mark.parametrize("store_ids", [None, [], ["A"], [" C ", "B", "B", "nope"]])
def test_every_as_of_and_subset_of_a_sample(as_of, store_ids):
    expected = report_from_frames(*SAMPLE, as_of=as_of, store_ids=store_ids)
    assert_same(expected, via_snapshot(*SAMPLE, as_of=as_of, store_ids=store_ids))
    options = {"as_of": as_of, "store_ids": store_ids, "incidents": True}
    assert_same(report_from_frames(*SAMPLE, **options), via_snapshot(*SAMPLE, **options))


def test_duplicates_are_counted_like_the_csv_path():
    result = via_snapshot(*SAMPLE)
    stores = result.stores.set_index("store_id")
    assert stores.loc["A", "polls"] == 4  # four valid rows, two distinct instants
    assert result.summary["polls_used"] == 5  # A: 2, B: 1, C: 2


def test_a_file_without_a_valid_poll_cannot_be_ingested():
    with pytest.raises(InputError, match="no valid poll"):
        via_snapshot(*_frames("A,active,not a time\n"))


# ----------------------------------------------------------------------------- refusals


@pytest.fixture
def snapshot_bytes():
    return snapshot_from_parsed(
        *(
            parse(frame)
            for parse, frame in zip(
                (
                    tables.parse_status,
                    tables.parse_hours,
                    tables.parse_timezones,
                ),
                SAMPLE,
                strict=True,
            )
        )
    )


def _section(data: bytes, name: str) -> tuple[int, int]:
    header = load_snapshot(data).file.header["sections"][name]
    return header["offset"], header["bytes"]


def test_a_damaged_derived_section_is_refused(snapshot_bytes):
    start, size = _section(snapshot_bytes, "derived")
    damaged = bytearray(snapshot_bytes)
    damaged[start + size // 2] ^= 0x01
    with pytest.raises(SnapshotError, match="damaged .*'derived'"):
        load_snapshot(bytes(damaged))


def test_a_damaged_inputs_section_is_refused_when_read(snapshot_bytes):
    start, size = _section(snapshot_bytes, "inputs")
    damaged = bytearray(snapshot_bytes)
    damaged[start + size - 70] ^= 0xFF
    snap = load_snapshot(bytes(damaged))
    report_from_snapshot(snap)  # the default report never reads the per-poll section
    with pytest.raises(SnapshotError, match="damaged .*'inputs'"):
        report_from_snapshot(snap, as_of="2023-01-23 17:00:00")


@pytest.mark.parametrize("keep", [0, 10, 60, 300, -1])
def test_a_truncated_snapshot_is_refused(snapshot_bytes, keep):
    with pytest.raises(SnapshotError, match="truncated|not a storemon snapshot"):
        snap = load_snapshot(snapshot_bytes[:keep])
        report_from_snapshot(snap, as_of="2023-01-23 17:00:00")


def test_a_damaged_header_is_refused(snapshot_bytes):
    damaged = bytearray(snapshot_bytes)
    damaged[len(file_format.MAGIC) + 8 + 32 + 5] ^= 0x20
    with pytest.raises(SnapshotError, match="damaged header"):
        load_snapshot(bytes(damaged))


def test_another_version_is_refused(snapshot_bytes):
    old = file_format.encode(VERSION - 1, {"derived": {"x": np.zeros(3)}})
    refused = f"version {VERSION - 1}, this storemon reads version {VERSION}"
    with pytest.raises(SnapshotError, match=refused):
        load_snapshot(old)


def test_another_time_zone_database_is_refused(snapshot_bytes, monkeypatch):
    file_format.tz_database_version.cache_clear()
    monkeypatch.setattr(file_format.zoneinfo, "TZPATH", ())
    monkeypatch.setitem(__import__("sys").modules, "tzdata", None)
    try:
        with pytest.raises(SnapshotError, match="time-zone database"):
            load_snapshot(snapshot_bytes)
    finally:
        file_format.tz_database_version.cache_clear()


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(SnapshotError, match="cannot be read"):
        load_snapshot(tmp_path / "nothing.snap")


# ----------------------------------------------------------------------------- the CLI

STATUS = (
    "store_id,status,timestamp_utc\nA,active,2023-01-23 16:00:00\nA,inactive,2023-01-23 17:30:00\n"
)
HOURS = "store_id,day,start_time_local,end_time_local\nA,0,09:00:00,12:00:00\n"
ZONES = "store_id,timezone_str\nA,America/Chicago\n"


@pytest.fixture
def files(tmp_path):
    paths = []
    for name, text in (("status", STATUS), ("hours", HOURS), ("zones", ZONES)):
        path = tmp_path / f"{name}.csv"
        path.write_text(text)
        paths += [f"--{'timezones' if name == 'zones' else name}", str(path)]
    return paths


def test_ingest_then_report_from_the_snapshot(files, tmp_path, capsys):
    snap = tmp_path / "data.snap"
    assert main(["ingest", *files, "--out", str(snap)]) == 0
    assert "1 stores, 2 polls" in capsys.readouterr().out
    as_of = ["--as-of", "2023-01-23 18:00:00"]
    assert main(["report", *files, *as_of, "--out", str(tmp_path / "csv.csv")]) == 0
    summary = tmp_path / "summary.json"
    argv = ["report", "--snapshot", str(snap), "--out", str(tmp_path / "snap.csv")]
    assert main([*argv, "--summary", str(summary), *as_of]) == 0
    assert (tmp_path / "snap.csv").read_text() == (tmp_path / "csv.csv").read_text()
    assert json.loads(summary.read_text())["duration_seconds"] >= 0
    for source in (["--snapshot", str(snap)], files):
        incidents = tmp_path / f"incidents-{len(source)}.csv"
        assert main(["report", *source, *as_of, "--incidents", str(incidents)]) == 0
    # the worked example's one incident (10:45-12:00 local, 75 business minutes, ongoing)
    assert (tmp_path / "incidents-2.csv").read_text() == (tmp_path / "incidents-6.csv").read_text()
    assert ",75.00,true" in (tmp_path / "incidents-2.csv").read_text()


def test_a_refused_snapshot_falls_back_to_the_csvs_with_the_reason(files, tmp_path, capsys):
    snap = tmp_path / "data.snap"
    assert main(["ingest", *files, "--out", str(snap)]) == 0
    snap.write_bytes(snap.read_bytes()[:200])
    capsys.readouterr()
    assert main(["report", "--snapshot", str(snap), *files]) == 0
    out = capsys.readouterr()
    assert "snapshot refused" in out.err and "truncated" in out.err
    assert out.out.splitlines()[1] == "A,15.00,1.75,2.25,45.00,0.75,0.75"


def test_a_refused_snapshot_without_csvs_fails_with_one_line(tmp_path, capsys):
    snap = tmp_path / "data.snap"
    snap.write_bytes(b"not a snapshot at all, sorry" * 4)
    assert main(["report", "--snapshot", str(snap)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a storemon snapshot" in err


def test_report_needs_the_csvs_or_a_snapshot(capsys):
    assert main(["report", "--status", "x.csv"]) == 2
    assert "--hours, --timezones required" in capsys.readouterr().err
