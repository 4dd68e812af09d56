"""Issue 17, finding 11: quoted ids keep their insides, and dayOfWeek's integer forms count.

Before, trailing whitespace and commas were cut per physical line, also inside a quoted value
spanning lines: "X \\nY" became "X\\nY" (one store with "X\\nY") and "A,\\nB" lost its comma;
SPEC §1 trims only around a value. A dayOfWeek of 02 or +2 was skipped, which silently made
the store open 24/7."""

from __future__ import annotations

from storemon.report.pipeline import report_from_csv_bytes
from storemon.snapshot.answer import report_from_snapshot
from storemon.snapshot.build import snapshot_from_csv_bytes
from storemon.snapshot.reader import load_snapshot

HEAD = b"store_id,status,timestamp_utc\n"
STATUS = HEAD + (
    b'"X \nY",active,2023-01-23 10:00:00 UTC\n'
    b'"X\nY",inactive,2023-01-23 10:00:00 UTC\n'
    b'"A,\nB",inactive,2023-01-23 11:00:00 UTC\n'
    b'ab"c,active,2023-01-23 11:00:00 UTC\n'  # a literal quote inside an unquoted id
    b"1001,active,2023-01-23 12:00:00 UTC,,\n"  # trailing empty fields are still cut
    b"1002,inactive,2023-01-23 12:00:00 UTC  \n"
)
NO_HOURS = b"store_id,dayOfWeek,start_time_local,end_time_local\n"
ZONES = b"store_id,timezone_str\n"


def test_quoted_ids_keep_their_insides():
    result = report_from_csv_bytes(STATUS, NO_HOURS, ZONES)
    assert result.report["store_id"].tolist() == ["1001", "1002", "A,\nB", "X\nY", "X \nY", 'ab"c']
    assert result.summary["files"]["store_status"]["rows_skipped"] == 0
    # "X \nY" active, "X\nY" inactive: two stores, not one
    rows = result.report.set_index("store_id")
    assert rows.loc["X \nY", "uptime_last_hour"] == 60.0
    assert rows.loc["X\nY", "uptime_last_hour"] == 0.0


def test_the_snapshot_path_reads_them_alike():
    snap = load_snapshot(snapshot_from_csv_bytes(STATUS, NO_HOURS, ZONES))
    from_csv = report_from_csv_bytes(STATUS, NO_HOURS, ZONES).report
    from_snapshot = report_from_snapshot(snap).report
    assert from_snapshot["store_id"].tolist() == from_csv["store_id"].tolist()


HOURS = b"store_id,dayOfWeek,start_time_local,end_time_local\n" + (
    b"1001,02,09:00:00,10:00:00\n"  # Wednesday, written with a leading zero
    b"1001,+4,09:00:00,10:00:00\n"  # Friday, with a sign
    b"1001, 0 ,09:00:00,12:00:00\n"
    b"1001,7,09:00:00,10:00:00\n"  # still refused: no day 7
    b"1001,2.0,09:00:00,10:00:00\n"
    b"1001,-1,09:00:00,10:00:00\n"
    b"1001,Mon,09:00:00,10:00:00\n"
)


def test_day_of_week_integer_forms_are_read_as_integers():
    status = HEAD + b"1001,active,2023-01-23 10:00:00 UTC\n"  # a Monday
    result = report_from_csv_bytes(status, HOURS, b"store_id,timezone_str\n1001,UTC\n")
    stores = result.stores.set_index("store_id")
    assert stores.loc["1001", "hours_days"] == 3  # Monday, Wednesday, Friday
    assert bool(stores.loc["1001", "hours_defined"])
    hours_file = result.summary["files"]["menu_hours"]
    assert hours_file["rows_skipped"] == 4
    assert hours_file["skipped_reasons"] == {"invalid day": 4}
    # the week to Mon 10:00 (from the previous Mon 10:00): that Monday's 10:00-12:00 (2 h), the
    # Wednesday's and Friday's 09:00-10:00 (2 h), this Monday's 09:00-10:00 (1 h): 5 h in all
    # (skipping 02 and +4 would leave 3 h; no valid row at all would be 24/7, 168 h)
    week = result.report.iloc[0]
    assert week["uptime_last_week"] + week["downtime_last_week"] == 5.0
