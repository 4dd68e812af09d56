"""Incidents (SPEC §7): hand cases, the CSV, and properties against the plain reference.

Dates: 2023-01-23 is a Monday; Chicago is UTC-6 in January and springs forward at
2023-03-12 08:00 UTC (02:00 CST -> 03:00 CDT).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storemon.inputs.csv_reader import read_input
from storemon.report.incidents import INCIDENT_COLUMNS, incidents_to_csv
from storemon.report.pipeline import report_from_frames

from .reference import reference_incidents
from .test_properties import build, dataset, frames

STATUS = "store_id,status,timestamp_utc\n"
HOURS = "store_id,day,start_time_local,end_time_local\n"
ZONES = "store_id,timezone_str\n"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def result_of(status, hours="", zones="", **options):
    return report_from_frames(
        read_input((STATUS + status).encode(), "status"),
        read_input((HOURS + hours).encode(), "hours"),
        read_input((ZONES + zones).encode(), "timezones"),
        incidents=True,
        **options,
    )


def incidents(status, hours="", zones="", **options):
    return result_of(status, hours, zones, **options).incidents.to_dict("records")


def incident(*values):
    """One incident row: store_id, start/end UTC, start/end local, minutes, ongoing."""
    return dict(zip(INCIDENT_COLUMNS, values, strict=True))


def test_worked_example():
    result = result_of(
        "A,active,2023-01-23 16:00:00 UTC\nA,inactive,2023-01-23 17:30:00 UTC\n",
        "A,0,09:00:00,12:00:00\n",
        "A,America/Chicago\n",
        as_of="2023-01-23 18:00:00",
    )
    assert result.incidents.to_dict("records") == [
        incident(
            "A",
            "2023-01-23T16:45:00.000000Z",
            "2023-01-23T18:00:00.000000Z",
            "2023-01-23T10:45:00.000000-06:00",
            "2023-01-23T12:00:00.000000-06:00",
            75.0,
            True,
        )
    ]
    assert result.percentages["uptime_pct_last_day"].tolist() == [58.3]
    assert incidents_to_csv(result.incidents).splitlines() == [
        ",".join(INCIDENT_COLUMNS),
        "A,2023-01-23T16:45:00.000000Z,2023-01-23T18:00:00.000000Z,"
        "2023-01-23T10:45:00.000000-06:00,2023-01-23T12:00:00.000000-06:00,75.00,true",
    ]


def test_business_intervals_of_the_week_come_with_the_incidents():
    # Open Mon 09:00-12:00 Chicago (15:00-18:00 UTC); now Mon 01-23 10:00 local: the week
    # [01-16 16:00, 01-23 16:00) UTC clips both Monday openings. B (24/7) has no rows.
    result = result_of(
        "A,active,2023-01-23 15:30:00\nB,active,2023-01-23 15:30:00\n",
        "A,0,09:00,12:00\n",
        "A,America/Chicago\n",
        as_of="2023-01-23 16:00:00",
    )
    assert result.business_intervals.values.tolist() == [
        ["A", "2023-01-16T16:00:00.000000Z", "2023-01-16T18:00:00.000000Z"],
        ["A", "2023-01-23T15:00:00.000000Z", "2023-01-23T16:00:00.000000Z"],
    ]


def test_incidents_only_when_asked():
    result = report_from_frames(
        read_input((STATUS + "A,inactive,2023-01-23 16:00:00\n").encode(), "status"),
        read_input(HOURS.encode(), "hours"),
        read_input(ZONES.encode(), "timezones"),
    )
    assert result.incidents is None
    assert result.business_intervals is None


def test_incidents_made_later_are_the_same_once_completed():
    """A refresh's report asks its incidents for later (``incidents_later``): the report and
    summary come first, the incidents and business intervals when ``complete()`` is called,
    the same as made at once."""
    from storemon.inputs import tables
    from storemon.report.pipeline import report_from_parsed

    status = "A,active,2023-01-23 16:00:00 UTC\nA,inactive,2023-01-23 17:30:00 UTC\n"
    parsed = (
        tables.parse_status(read_input((STATUS + status).encode(), "status")),
        tables.parse_hours(read_input((HOURS + "A,0,09:00:00,12:00:00\n").encode(), "hours")),
        tables.parse_timezones(read_input((ZONES + "A,America/Chicago\n").encode(), "timezones")),
    )
    at_once = report_from_parsed(*parsed, as_of="2023-01-23 18:00:00", incidents=True)
    later = report_from_parsed(
        *parsed, as_of="2023-01-23 18:00:00", incidents=True, incidents_later=True
    )
    assert later.incidents is None and later.business_intervals is None
    assert later.report.equals(at_once.report)
    assert later.complete() is later and later.later is None
    assert (
        later.incidents.to_dict("records")
        == at_once.incidents.to_dict("records")
        == [
            incident(
                "A",
                "2023-01-23T16:45:00.000000Z",
                "2023-01-23T18:00:00.000000Z",
                "2023-01-23T10:45:00.000000-06:00",
                "2023-01-23T12:00:00.000000-06:00",
                75.0,
                True,
            )
        ]
    )
    assert later.business_intervals.equals(at_once.business_intervals)


def test_an_outage_across_a_closed_night_is_one_incident():
    # Open Mon and Tue 09:00-17:00. Mon 16:00 active, 16:30 inactive (change 16:15); Tue 10:00
    # inactive, 11:00 active (change 10:30); now Tue 12:00. Business inside: Mon 16:15-17:00
    # and Tue 09:00-10:30 = 45 + 90 minutes.
    found = incidents(
        "A,active,2023-01-23 22:00:00\nA,inactive,2023-01-23 22:30:00\n"
        "A,inactive,2023-01-24 16:00:00\nA,active,2023-01-24 17:00:00\n",
        "A,0,09:00,17:00\nA,1,09:00,17:00\n",
        "A,America/Chicago\n",
        as_of="2023-01-24 18:00:00",
    )
    assert found == [
        incident(
            "A",
            "2023-01-23T22:15:00.000000Z",
            "2023-01-24T16:30:00.000000Z",
            "2023-01-23T16:15:00.000000-06:00",
            "2023-01-24T10:30:00.000000-06:00",
            135.0,
            False,
        )
    ]


def test_an_incident_is_clipped_at_the_week_start():
    # 24/7 (no hours, no zone: Chicago). Inactive at now - 200 h, active at now - 100 h: the
    # change is at now - 150 h, so the week [now - 168 h, now) starts with 18 h down.
    found = incidents(
        "A,inactive,2023-01-22 04:00:00\nA,active,2023-01-26 08:00:00\n",
        as_of="2023-01-30 12:00:00",
    )
    assert found == [
        incident(
            "A",
            "2023-01-23T12:00:00.000000Z",
            "2023-01-24T06:00:00.000000Z",
            "2023-01-23T06:00:00.000000-06:00",
            "2023-01-24T00:00:00.000000-06:00",
            1080.0,
            False,
        )
    ]


def test_an_incident_entirely_outside_business_hours_is_not_listed():
    # Open Mon 09:00-12:00; every poll is outside (so all are evidence): 14:00 active, 15:00
    # inactive, 16:00 active local: down 14:30-15:30, after closing.
    result = result_of(
        "A,active,2023-01-23 20:00:00\nA,inactive,2023-01-23 21:00:00\n"
        "A,active,2023-01-23 22:00:00\n",
        "A,0,09:00,12:00\n",
        "A,America/Chicago\n",
        as_of="2023-01-24 00:00:00",
    )
    assert result.incidents.empty
    assert list(result.incidents.columns) == INCIDENT_COLUMNS
    assert incidents_to_csv(result.incidents) == ",".join(INCIDENT_COLUMNS) + "\n"
    assert result.report["downtime_last_week"].tolist() == [0.0]


def test_a_store_always_inactive_has_one_incident_over_the_week():
    # Open Mon 09:00-12:00; one inactive poll; now Wed 12:00 local: the week holds one
    # opening (Mon 01-23), the one of Mon 01-16 ended before the week started.
    found = incidents(
        "A,inactive,2023-01-23 16:00:00\n",
        "A,0,09:00,12:00\n",
        "A,America/Chicago\n",
        as_of="2023-01-25 18:00:00",
    )
    assert found == [
        incident(
            "A",
            "2023-01-18T18:00:00.000000Z",
            "2023-01-25T18:00:00.000000Z",
            "2023-01-18T12:00:00.000000-06:00",
            "2023-01-25T12:00:00.000000-06:00",
            180.0,
            True,
        )
    ]


def test_a_store_without_hours_counts_every_minute():
    # 24/7: active 10:00, inactive 12:00, active 13:00 UTC: down 11:00-12:30, 90 minutes.
    found = incidents(
        "A,active,2023-01-23 10:00:00\nA,inactive,2023-01-23 12:00:00\n"
        "A,active,2023-01-23 13:00:00\n",
        as_of="2023-01-23 14:00:00",
    )
    assert found == [
        incident(
            "A",
            "2023-01-23T11:00:00.000000Z",
            "2023-01-23T12:30:00.000000Z",
            "2023-01-23T05:00:00.000000-06:00",
            "2023-01-23T06:30:00.000000-06:00",
            90.0,
            False,
        )
    ]


def test_local_times_take_the_offset_of_their_instant_across_a_dst_change():
    # Chicago springs forward at 08:00 UTC: down 06:30-08:30 UTC = 00:30 CST to 03:30 CDT,
    # two real hours.
    found = incidents(
        "A,active,2023-03-12 06:00:00\nA,inactive,2023-03-12 07:00:00\n"
        "A,active,2023-03-12 10:00:00\n",
        zones="A,America/Chicago\n",
        as_of="2023-03-12 11:00:00",
    )
    assert [(i["start_local"], i["end_local"], i["business_minutes"]) for i in found] == [
        ("2023-03-12T00:30:00.000000-06:00", "2023-03-12T03:30:00.000000-05:00", 120.0)
    ]


def test_a_midpoint_on_half_a_microsecond_prints_rounded_half_to_even():
    # active at .000001, inactive at .000004: the change is at 2.5 µs, printed as .000002
    found = incidents(
        "A,active,2023-01-23 10:00:00.000001\nA,inactive,2023-01-23 10:00:00.000004\n",
        as_of="2023-01-23 11:00:00",
    )
    assert [i["start_utc"] for i in found] == ["2023-01-23T10:00:00.000002Z"]


def test_incidents_are_ordered_by_store_id_as_text_then_start():
    # 24/7 stores "9" and "10": inactive 10:00, active 12:00, inactive 14:00, now 16:00: down
    # from the week's start to 11:00 and from 13:00 on.
    status = "".join(
        f"{store},{state},2023-01-23 {hour}:00:00\n"
        for store in ("9", "10")
        for hour, state in (("10", "inactive"), ("12", "active"), ("14", "inactive"))
    )
    found = incidents(status, as_of="2023-01-23 16:00:00")
    assert [(i["store_id"], i["start_utc"], i["ongoing"]) for i in found] == [
        ("10", "2023-01-16T16:00:00.000000Z", False),
        ("10", "2023-01-23T13:00:00.000000Z", True),
        ("9", "2023-01-16T16:00:00.000000Z", False),
        ("9", "2023-01-23T13:00:00.000000Z", True),
    ]


# --------------------------------------------------------------------------- properties


def _text_utc(ticks: int) -> str:
    moment = EPOCH + timedelta(microseconds=ticks / 2)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text_local(ticks: int, zone: ZoneInfo) -> str:
    moment = (EPOCH + timedelta(microseconds=ticks / 2)).astimezone(zone)
    return moment.isoformat(timespec="microseconds")


def engine_incidents(polls, hours, zones, as_of, shuffle_seed=None):
    from .test_properties import _stamp

    f = frames(polls, hours, zones, shuffle_seed)
    return report_from_frames(
        f["status"],
        f["hours"],
        f["timezones"],
        as_of=None if as_of is None else _stamp(as_of),
        incidents=True,
    )


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dataset)
def test_incidents_agree_with_reference(data):
    polls, hours, zones, as_of = build(data)
    found = engine_incidents(polls, hours, zones, as_of).incidents
    expected = []
    for store, (zone, stretches) in sorted(reference_incidents(polls, hours, zones, as_of).items()):
        now2 = 2 * (as_of if as_of is not None else max(t for *_, t in polls))
        for start2, end2, business2 in stretches:
            expected.append(
                incident(
                    store,
                    _text_utc(start2),
                    _text_utc(end2),
                    _text_local(start2, zone),
                    _text_local(end2, zone),
                    float(np.round(business2 / 120_000_000, 2)),
                    end2 == now2,
                )
            )
    assert found.to_dict("records") == expected


@settings(deadline=None)
@given(dataset)
def test_business_minutes_add_up_to_the_week_downtime(data):
    polls, hours, zones, as_of = build(data)
    result = engine_incidents(polls, hours, zones, as_of)
    by_store = result.incidents.groupby("store_id")["business_minutes"].agg(["sum", "size"])
    for row in result.report.to_dict("records"):
        total, count = (
            by_store.loc[row["store_id"]] if row["store_id"] in by_store.index else (0, 0)
        )
        # each incident rounds to 0.005 min, the report's hours to 0.005 h = 0.3 min
        assert abs(total - row["downtime_last_week"] * 60) <= 0.005 * count + 0.3 + 1e-9
        if row["downtime_last_week"] == 0 and count == 0:
            continue
        assert count > 0 or row["downtime_last_week"] * 60 <= 0.3


@settings(deadline=None)
@given(dataset, st.integers(0, 10_000))
def test_row_order_does_not_change_the_incidents(data, seed):
    polls, hours, zones, as_of = build(data)
    pd.testing.assert_frame_equal(
        engine_incidents(polls, hours, zones, as_of).incidents,
        engine_incidents(polls, hours, zones, as_of, shuffle_seed=seed).incidents,
    )
