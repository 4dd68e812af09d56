"""SPEC §10's status now (storemon.report.current_status), hand-computed."""

from __future__ import annotations

from storemon.inputs.closures import read_closures
from storemon.inputs.parse import parse_input_files
from storemon.report.current_status import current_status

HOURS = "store_id,day,start_time_local,end_time_local\nA,0,09:00:00,12:00:00\n"
ZONES = "store_id,timezone_str\nA,UTC\nB,America/New_York\n"


def status_of(polls: str, closures: str | None = None):
    parsed = parse_input_files(
        ("store_id,status,timestamp_utc\n" + polls).encode(), HOURS.encode(), ZONES.encode()
    )
    closed = read_closures(closures.encode()) if closures else None
    frame = current_status(*parsed, closed)
    return {row.store_id: row for row in frame.itertuples()}


def test_the_worked_example_is_down_since_the_midpoint():
    """Open Monday 09:00-12:00 UTC; active 10:00, inactive 11:30; B's poll at 12:00 makes
    now 12:00: A is inactive since 10:45, 75 business minutes, closed now (12:00 is the end)."""
    rows = status_of(
        "A,active,2023-01-23 10:00:00\nA,inactive,2023-01-23 11:30:00\n"
        "B,active,2023-01-23 12:00:00\n"
    )
    a = rows["A"]
    assert (a.status, a.since_utc, a.open_now) == ("inactive", "2023-01-23T10:45:00.000000Z", False)
    assert a.last_poll_utc == "2023-01-23T11:30:00.000000Z"
    assert (a.incident_start_utc, a.incident_business_minutes) == (a.since_utc, 75.0)
    b = rows["B"]  # 24/7 in New York: active since its first poll, open now
    assert (b.status, b.since_local, b.open_now) == (
        "active",
        "2023-01-23T07:00:00.000000-05:00",
        True,
    )
    assert b.incident_start_utc is None


def test_inactive_from_the_first_poll_and_polls_outside_hours():
    """A's polls: inactive at 09:30 (in hours), active at 13:00 (outside: not evidence, but
    its last poll); B at 14:00 makes now 14:00. A is inactive since its first evidence poll,
    09:30: 150 business minutes (to 12:00)."""
    rows = status_of(
        "A,inactive,2023-01-23 09:30:00\nA,active,2023-01-23 13:00:00\n"
        "B,active,2023-01-23 14:00:00\n"
    )
    a = rows["A"]
    assert (a.status, a.since_utc) == ("inactive", "2023-01-23T09:30:00.000000Z")
    assert a.last_poll_utc == "2023-01-23T13:00:00.000000Z"
    assert a.incident_business_minutes == 150.0


def test_a_closure_makes_the_store_closed_now():
    rows = status_of(
        "A,active,2023-01-23 09:30:00\nA,active,2023-01-23 10:30:00\n",
        "store_id,start_local,end_local\nA,2023-01-23 10:00,2023-01-23 11:00\n",
    )
    assert not rows["A"].open_now  # now 10:30, inside the closure (10:00-11:00)
