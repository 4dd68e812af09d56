"""Hand-computed cases for SPEC §8 (periods) and §9 (closures), as CSV text and expectations.

Each case is worked out by hand in its comment; ``test_reference_periods`` checks that the
plain reference agrees with every one, and the engine's tests run the same cases on both paths
(the CSV files and a snapshot of them).

Dates: 2023-01-23 is a Monday. Chicago is UTC-6 in winter (CST), UTC-5 in summer (CDT); it
springs forward on 2023-03-12 at 02:00 CST (08:00 UTC) and falls back on 2023-11-05 at 02:00
CDT (07:00 UTC). New York is one hour ahead of Chicago.

Expected values are in the output's units: minutes for ``*_last_hour``, hours otherwise,
2 decimals; percentages with 1 decimal, ``None`` where the output cell is empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STATUS_HEADER = "store_id,status,timestamp_utc\n"
HOURS_HEADER = "store_id,dayOfWeek,start_time_local,end_time_local\n"
ZONES_HEADER = "store_id,timezone_str\n"
CLOSURES_HEADER = "store_id,start_local,end_local,reason\n"


@dataclass(frozen=True)
class Case:
    """One request on small inputs (CSV bodies without their header) and its answer.

    ``request``: ``{"windows": [...], "as_of": ...}`` (§8 windows), ``{"from", "to"}`` (a
    range), ``{"from", "to", "daily": True}`` (day by day) or ``{"incidents": True, "as_of"}``
    (or with ``from``/``to`` instead of ``as_of``: the week ending at ``to``).
    ``expected``: windows: ``{store: {column: value}}``; range: ``{store: (uptime_hours,
    downtime_hours, uptime_percent)}``; daily: ``{store: [(date, business_hours,
    uptime_hours, downtime_hours, uptime_percent)]}``; incidents: ``{store: [(start_utc,
    end_utc, business_minutes, ongoing)]}``.
    """

    name: str
    status: str
    hours: str
    zones: str
    request: dict
    expected: dict
    closures: str = ""
    skipped_closures: int = 0
    notes: list[str] = field(default_factory=list)


CASES = [
    # Open every day 00:00-05:00 Chicago; inactive at 03-11 07:00 UTC (01:00 CST), active at
    # 03-13 07:00 UTC (02:00 CDT): the status flips at 03-12 07:00 UTC (01:00 CST), before the
    # clocks spring forward. now 03-31 12:00 UTC; the month is [03-01 12:00, 03-31 12:00) UTC:
    # the openings of 03-02 .. 03-31 (03-01's ends at 11:00 UTC), 5 h each but 4 h on 03-12
    # (00:00 CST = 06:00 UTC to 05:00 CDT = 10:00 UTC): 149 h. Down: 03-02 .. 03-11 (50 h) and
    # 03-12 06:00-07:00 UTC (1 h) = 51 h; up 03-12 07:00-10:00 (3 h) + 19 days x 5 h = 98 h.
    # Week [03-24 12:00, 03-31 12:00): 03-25 .. 03-31, 35 h up. Day: 03-31 05:00-10:00 UTC,
    # 5 h up. Hour 11:00-12:00 UTC = 06:00-07:00 CDT: closed.
    Case(
        name="month_across_spring_forward",
        status="A,inactive,2023-03-11 07:00:00 UTC\nA,active,2023-03-13 07:00:00 UTC\n",
        hours="".join(f"A,{day},00:00:00,05:00:00\n" for day in range(7)),
        zones="A,America/Chicago\n",
        request={"windows": ["hour", "day", "week", "month"], "as_of": "2023-03-31 12:00:00"},
        expected={
            "A": {
                "uptime_last_hour": 0.0,
                "uptime_last_day": 5.0,
                "uptime_last_week": 35.0,
                "uptime_last_month": 98.0,
                "downtime_last_hour": 0.0,
                "downtime_last_day": 0.0,
                "downtime_last_week": 0.0,
                "downtime_last_month": 51.0,
            }
        },
    ),
    # The same data with only the month and the hour asked: the header keeps §8's order.
    Case(
        name="month_and_hour_only",
        status="A,inactive,2023-03-11 07:00:00 UTC\nA,active,2023-03-13 07:00:00 UTC\n",
        hours="".join(f"A,{day},00:00:00,05:00:00\n" for day in range(7)),
        zones="A,America/Chicago\n",
        request={"windows": ["month", "hour"], "as_of": "2023-03-31 12:00:00"},
        expected={
            "A": {
                "uptime_last_hour": 0.0,
                "uptime_last_month": 98.0,
                "downtime_last_hour": 0.0,
                "downtime_last_month": 51.0,
            }
        },
    ),
    # Open 24/7 in Chicago; a range over the spring-forward date: 03-12 00:00 CST (06:00 UTC)
    # to 03-13 00:00 CDT (05:00 UTC) is 23 hours. Active at 06:00 UTC, inactive at 16:00 UTC:
    # the flip is at 11:00 UTC. Up 5 h, down 18 h, 5/23 = 21.7 %.
    Case(
        name="range_of_a_23_hour_day",
        status="A,active,2023-03-12 06:00:00 UTC\nA,inactive,2023-03-12 16:00:00 UTC\n",
        hours="",
        zones="A,America/Chicago\n",
        request={"from": "2023-03-12T06:00:00Z", "to": "2023-03-13T05:00:00Z"},
        expected={"A": (5.0, 18.0, 21.7)},
    ),
    # The same polls day by day from 03-11 00:00 CST (06:00 UTC) to 03-14 00:00 CDT (05:00
    # UTC): 03-11 is 24 h (active before the first poll), 03-12 23 h (5 up, 18 down), 03-13
    # 24 h down.
    Case(
        name="days_around_spring_forward",
        status="A,active,2023-03-12 06:00:00 UTC\nA,inactive,2023-03-12 16:00:00 UTC\n",
        hours="",
        zones="A,America/Chicago\n",
        request={"from": "2023-03-11T06:00:00Z", "to": "2023-03-14T05:00:00Z", "daily": True},
        expected={
            "A": [
                ("2023-03-11", 24.0, 24.0, 0.0, 100.0),
                ("2023-03-12", 23.0, 5.0, 18.0, 21.7),
                ("2023-03-13", 24.0, 0.0, 24.0, 0.0),
            ]
        },
    ),
    # 11-05 in Chicago runs from 00:00 CDT (05:00 UTC) to 11-06 00:00 CST (06:00 UTC): 25 h.
    Case(
        name="range_of_a_25_hour_day",
        status="A,active,2023-11-05 05:00:00 UTC\n",
        hours="",
        zones="A,America/Chicago\n",
        request={"from": "2023-11-05 05:00:00", "to": "2023-11-06 06:00:00 UTC"},
        expected={"A": (25.0, 0.0, 100.0)},
    ),
    # Day by day around the fall-back night, from 11-04 00:00 CDT (05:00 UTC) to 11-07 00:00
    # CST (06:00 UTC), open 24/7: 11-04 is 24 h, 11-05 runs from 05:00 UTC to 11-06 06:00 UTC,
    # 25 h, 11-06 24 h. Active at 11-05 05:00 UTC, inactive at 17:00 UTC: the flip is at 11:00
    # UTC. 11-04: up 24 h (the first poll's status before it); 11-05: up 05:00-11:00 (6 h),
    # down 11:00-06:00 (19 h), 6/25 = 24.0 %; 11-06: down 24 h.
    Case(
        name="days_around_fall_back",
        status="A,active,2023-11-05 05:00:00 UTC\nA,inactive,2023-11-05 17:00:00 UTC\n",
        hours="",
        zones="A,America/Chicago\n",
        request={"from": "2023-11-04T05:00:00Z", "to": "2023-11-07T06:00:00Z", "daily": True},
        expected={
            "A": [
                ("2023-11-04", 24.0, 24.0, 0.0, 100.0),
                ("2023-11-05", 25.0, 6.0, 19.0, 24.0),
                ("2023-11-06", 24.0, 0.0, 24.0, 0.0),
            ]
        },
    ),
    # The incidents of a range are the week ending at its `to`: the same polls, to = 11-07
    # 06:00 UTC, week from 10-31 06:00 UTC. Inactive from the flip at 11-05 11:00 UTC to the
    # end: one ongoing incident, 43 h = 2580 business minutes (open 24/7).
    Case(
        name="incidents_of_a_range",
        status="A,active,2023-11-05 05:00:00 UTC\nA,inactive,2023-11-05 17:00:00 UTC\n",
        hours="",
        zones="A,America/Chicago\n",
        request={"from": "2023-11-04T05:00:00Z", "to": "2023-11-07T06:00:00Z", "incidents": True},
        expected={
            "A": [("2023-11-05T11:00:00.000000Z", "2023-11-07T06:00:00.000000Z", 2580.0, True)]
        },
    ),
    # Day by day from 11-05 17:00 UTC to 11-06 12:00 UTC: 11-05's part is 17:00 -> 06:00 UTC
    # (13 h), 11-06's is 06:00 -> 12:00 UTC (6 h). One active poll: all up.
    Case(
        name="days_of_a_range_cut_inside_dates",
        status="A,active,2023-11-05 05:00:00 UTC\n",
        hours="",
        zones="A,America/Chicago\n",
        request={"from": "2023-11-05T17:00:00Z", "to": "2023-11-06T12:00:00Z", "daily": True},
        expected={
            "A": [
                ("2023-11-05", 13.0, 13.0, 0.0, 100.0),
                ("2023-11-06", 6.0, 6.0, 0.0, 100.0),
            ]
        },
    ),
    # Open only on Mondays 09:00-17:00 Chicago; days from Sunday 01-22 00:00 CST (06:00 UTC)
    # to Tuesday 01-24 00:00 CST: Sunday holds no business time (empty percent), Monday 8 h,
    # all up after the active poll at 10:00 local (and before it: the first poll's status).
    Case(
        name="a_day_without_business_time",
        status="A,active,2023-01-23 16:00:00 UTC\n",
        hours="A,0,09:00,17:00\n",
        zones="A,America/Chicago\n",
        request={"from": "2023-01-22T06:00:00Z", "to": "2023-01-24T06:00:00Z", "daily": True},
        expected={
            "A": [
                ("2023-01-22", 0.0, 0.0, 0.0, None),
                ("2023-01-23", 8.0, 8.0, 0.0, 100.0),
            ]
        },
    ),
    # The same as one range: 8 h up.
    Case(
        name="a_range_with_a_closed_day",
        status="A,active,2023-01-23 16:00:00 UTC\n",
        hours="A,0,09:00,17:00\n",
        zones="A,America/Chicago\n",
        request={"from": "2023-01-22T06:00:00Z", "to": "2023-01-24T06:00:00Z"},
        expected={"A": (8.0, 0.0, 100.0)},
    ),
    # A range with no business time at all: the percentage is empty. B's only poll is after
    # `to`: B is not in the report.
    Case(
        name="a_range_without_business_time",
        status="A,active,2023-01-23 16:00:00 UTC\nB,active,2023-01-24 16:00:00 UTC\n",
        hours="A,0,09:00,17:00\n",
        zones="A,America/Chicago\n",
        request={"from": "2023-01-23T23:00:00Z", "to": "2023-01-24T06:00:00Z"},
        expected={"A": (0.0, 0.0, None)},
    ),
    # Open Monday 09:00-17:00 Chicago (15:00-23:00 UTC); active 09:30, inactive 11:00, active
    # 15:00 local: inactive from 10:15 to 13:00 local. Closed 12:00-14:00 local (renovation):
    # business time 6 h; down 10:15-12:00 (1.75 h), up 09:00-10:15 and 14:00-17:00 (4.25 h).
    # The last hour (16:00-17:00 local) is up. The incident 10:15-13:00 local (16:15-19:00 UTC)
    # holds 105 business minutes. The backwards row is skipped.
    Case(
        name="closure_over_part_of_an_incident",
        status=(
            "A,active,2023-01-23 15:30:00 UTC\n"
            "A,inactive,2023-01-23 17:00:00 UTC\n"
            "A,active,2023-01-23 21:00:00 UTC\n"
        ),
        hours="A,0,09:00,17:00\n",
        zones="A,America/Chicago\n",
        closures=(
            "A,2023-01-23 12:00,2023-01-23 14:00,renovation\n"
            "A,2023-01-23 14:00,2023-01-23 12:00,backwards\n"
        ),
        skipped_closures=1,
        request={"windows": ["hour", "day", "week"], "as_of": "2023-01-23 23:00:00"},
        expected={
            "A": {
                "uptime_last_hour": 60.0,
                "uptime_last_day": 4.25,
                "uptime_last_week": 4.25,
                "downtime_last_hour": 0.0,
                "downtime_last_day": 1.75,
                "downtime_last_week": 1.75,
            }
        },
    ),
    Case(
        name="closure_over_part_of_an_incident_listed",
        status=(
            "A,active,2023-01-23 15:30:00 UTC\n"
            "A,inactive,2023-01-23 17:00:00 UTC\n"
            "A,active,2023-01-23 21:00:00 UTC\n"
        ),
        hours="A,0,09:00,17:00\n",
        zones="A,America/Chicago\n",
        closures="A,2023-01-23T12:00:00,2023-01-23T14:00:00,renovation\n",
        request={"incidents": True, "as_of": "2023-01-23 23:00:00"},
        expected={
            "A": [("2023-01-23T16:15:00.000000Z", "2023-01-23T19:00:00.000000Z", 105.0, False)]
        },
    ),
    # A `*` closure closes every store on 01-23 in its own zone: A (Chicago) 01-23 06:00 UTC to
    # 01-24 06:00 UTC, B (New York) 05:00 to 05:00 UTC. Both open 24/7; now 01-24 12:00 UTC.
    # Day [01-23 12:00, 01-24 12:00): A 6 h up, B 7 h down; week 168 - 24 = 144 h each.
    Case(
        name="a_star_closure_in_each_stores_zone",
        status="A,active,2023-01-24 12:00:00 UTC\nB,inactive,2023-01-24 12:00:00 UTC\n",
        hours="",
        zones="A,America/Chicago\nB,America/New_York\n",
        closures="*,2023-01-23 00:00,2023-01-24 00:00,holiday\n",
        request={"windows": ["hour", "day", "week"], "as_of": "2023-01-24 12:00:00"},
        expected={
            "A": {
                "uptime_last_hour": 60.0,
                "uptime_last_day": 6.0,
                "uptime_last_week": 144.0,
                "downtime_last_hour": 0.0,
                "downtime_last_day": 0.0,
                "downtime_last_week": 0.0,
            },
            "B": {
                "uptime_last_hour": 0.0,
                "uptime_last_day": 0.0,
                "uptime_last_week": 0.0,
                "downtime_last_hour": 60.0,
                "downtime_last_day": 7.0,
                "downtime_last_week": 144.0,
            },
        },
    ),
    # Open Friday 20:00-02:00 Chicago (overnight: 01-28 02:00-08:00 UTC), closed 23:00-01:00
    # local across midnight (05:00-07:00 UTC): 4 h of business time. Inactive at 21:00 local
    # (03:00 UTC), active at 01:30 local (07:30 UTC): the flip at 05:15 UTC is inside the
    # closure. Down 02:00-05:00 UTC (3 h), up 07:00-08:00 UTC (1 h). now 08:00 UTC.
    Case(
        name="closure_across_midnight_over_overnight_hours",
        status="A,inactive,2023-01-28 03:00:00 UTC\nA,active,2023-01-28 07:30:00 UTC\n",
        hours="A,4,20:00,02:00\n",
        zones="A,America/Chicago\n",
        closures="A,2023-01-27 23:00,2023-01-28 01:00,plumbing\n",
        request={"windows": ["hour", "day"], "as_of": "2023-01-28 08:00:00"},
        expected={
            "A": {
                "uptime_last_hour": 60.0,
                "uptime_last_day": 1.0,
                "downtime_last_hour": 0.0,
                "downtime_last_day": 3.0,
            }
        },
    ),
    # The same as incidents: inactive from the week's start (the first poll is inactive) to
    # 05:15 UTC, 180 business minutes (the previous Friday's opening ends at the week's start).
    Case(
        name="closure_across_midnight_incident",
        status="A,inactive,2023-01-28 03:00:00 UTC\nA,active,2023-01-28 07:30:00 UTC\n",
        hours="A,4,20:00,02:00\n",
        zones="A,America/Chicago\n",
        closures="A,2023-01-27 23:00,2023-01-28 01:00,plumbing\n",
        request={"incidents": True, "as_of": "2023-01-28 08:00:00"},
        expected={
            "A": [("2023-01-21T08:00:00.000000Z", "2023-01-28T05:15:00.000000Z", 180.0, False)]
        },
    ),
    # Open Monday 09:00-17:00 Chicago, closed 09:00-12:00: the only poll inside business hours
    # (active, 10:00 local) is closed, so §4 falls back to all polls: with the inactive poll at
    # 20:00 local (02:00 UTC) the flip is at 21:00 UTC (15:00 local). Business 12:00-17:00
    # local: 3 h up, 2 h down. The last hour (01-24 02:00-03:00 UTC) is closed.
    Case(
        name="a_closure_holding_every_business_poll",
        status="A,active,2023-01-23 16:00:00 UTC\nA,inactive,2023-01-24 02:00:00 UTC\n",
        hours="A,0,09:00,17:00\n",
        zones="A,America/Chicago\n",
        closures="A,2023-01-23 09:00,2023-01-23 12:00,inventory\n",
        request={"windows": ["hour", "day"], "as_of": "2023-01-24 03:00:00"},
        expected={
            "A": {
                "uptime_last_hour": 0.0,
                "uptime_last_day": 3.0,
                "downtime_last_hour": 0.0,
                "downtime_last_day": 2.0,
            }
        },
    ),
    # Without the closure the active poll is the only evidence: 8 h up.
    Case(
        name="the_same_without_the_closure",
        status="A,active,2023-01-23 16:00:00 UTC\nA,inactive,2023-01-24 02:00:00 UTC\n",
        hours="A,0,09:00,17:00\n",
        zones="A,America/Chicago\n",
        request={"windows": ["hour", "day"], "as_of": "2023-01-24 03:00:00"},
        expected={
            "A": {
                "uptime_last_hour": 0.0,
                "uptime_last_day": 8.0,
                "downtime_last_hour": 0.0,
                "downtime_last_day": 0.0,
            }
        },
    ),
]
