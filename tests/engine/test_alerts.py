"""SPEC §10's alert incidents (``storemon.report.alerts``), computed by hand.

2023-01-23 is a Monday; Chicago is UTC-6. A store without hours rows is open 24/7.
"""

from __future__ import annotations

from storemon.inputs import tables
from storemon.inputs.closures import parse_closures
from storemon.inputs.csv_reader import read_input
from storemon.report.alerts import alert_incidents

TICKS_PER_HOUR = 7_200_000_000


def inputs(status: str, closures: str = ""):
    polls = tables.parse_status(
        read_input(("store_id,status,timestamp_utc\n" + status).encode(), "status")
    )
    hours = tables.parse_hours(
        read_input(b"store_id,dayOfWeek,start_time_local,end_time_local\n", "hours")
    )
    zones = tables.parse_timezones(
        read_input(b"store_id,timezone_str\nA,America/Chicago\n", "timezones")
    )
    closed = None
    if closures:
        body = "store_id,start_local,end_local,reason\n" + closures
        closed = parse_closures(read_input(body.encode(), "closures"))
    return polls, hours, zones, closed


def test_an_outage_longer_than_a_week_keeps_its_start():
    # inactive from the first poll (01-10 12:00 UTC) to now (01-23 12:00 UTC): one stretch of
    # 13 days = 312 business hours, ongoing, and a §7 incident of the week.
    polls, hours, zones, _ = inputs(
        "A,inactive,2023-01-10 12:00:00\nA,inactive,2023-01-20 12:00:00\n"
        "A,inactive,2023-01-23 12:00:00\n"
    )
    found = alert_incidents(polls, hours, zones).frame()
    assert found.to_dict("records") == [
        {
            "store_id": "A",
            "start_utc": "2023-01-10T12:00:00.000000Z",
            "end_utc": "2023-01-23T12:00:00.000000Z",
            "start_local": "2023-01-10T06:00:00.000000-06:00",
            "end_local": "2023-01-23T06:00:00.000000-06:00",
            "business_minutes": 312 * 60.0,
            "ongoing": True,
            "in_week": True,
        }
    ]


def test_a_closure_inside_a_stretch_is_not_business_time_and_an_old_stretch_is_listed():
    # active 01-10 12:00, inactive 01-10 14:00 (flip at 13:00), active 01-10 16:00 (flip at
    # 15:00): an old incident of 2 h, outside the week of now = 01-23 12:00 UTC. Then inactive
    # at 01-23 10:00: the flip is at the midpoint of 01-10 16:00 and 01-23 10:00 (306 h apart),
    # 01-17 01:00 UTC, and the stretch runs to now: 155 h, minus a closure of 01-20
    # 00:00-12:00 local (06:00-18:00 UTC, 12 h): 143 business hours.
    polls, hours, zones, closures = inputs(
        "A,active,2023-01-10 12:00:00\nA,inactive,2023-01-10 14:00:00\n"
        "A,active,2023-01-10 16:00:00\nA,inactive,2023-01-23 10:00:00\n"
        "A,inactive,2023-01-23 12:00:00\n",
        "A,2023-01-20 00:00,2023-01-20 12:00,inventory\n",
    )
    found = alert_incidents(polls, hours, zones, closures).frame()
    assert found[["start_utc", "end_utc", "business_minutes", "ongoing", "in_week"]].to_dict(
        "records"
    ) == [
        {
            "start_utc": "2023-01-10T13:00:00.000000Z",
            "end_utc": "2023-01-10T15:00:00.000000Z",
            "business_minutes": 120.0,
            "ongoing": False,
            "in_week": False,
        },
        {
            "start_utc": "2023-01-17T01:00:00.000000Z",
            "end_utc": "2023-01-23T12:00:00.000000Z",
            "business_minutes": 143 * 60.0,
            "ongoing": True,
            "in_week": True,
        },
    ]
