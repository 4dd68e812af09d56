"""Property tests of SPEC §8-§9: the engine against the plain reference
(``reference_periods``) with random closures, windows, ranges and day-by-day periods, on the
CSV path and on the snapshot path (a snapshot whose calendar answers the request itself, and
one with the default calendar, which falls back to the engine on its parsed inputs when the
period is outside it).

The data sets are :mod:`tests.engine.test_properties`' (stores with random zones, hours rows
and polls around an anchor instant near a DST change), with closures added: a store's own or
``*``, local wall times near the anchor, some with an end at or before the start (skipped).
Durations are compared exactly in half-µs ticks, through the output's rounding.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storemon.inputs import tables
from storemon.inputs.closures import parse_closures
from storemon.inputs.csv_reader import read_input
from storemon.report import day_grid
from storemon.report.alerts import alert_incidents
from storemon.report.periods import WINDOW_ORDER, Period
from storemon.report.pipeline import report_from_frames
from storemon.snapshot.answer import report_from_snapshot
from storemon.snapshot.build import snapshot_from_parsed
from storemon.snapshot.reader import load_snapshot

from .paths import AS_OF_DAYS
from .reference import to_us
from .reference_periods import alert_incidents as reference_alert_incidents
from .reference_periods import (
    reference_daily,
    reference_incidents,
    reference_range,
    reference_windows,
)
from .test_properties import _stamp, build, dataset, frames

PATHS = ("csv", "snapshot", "snapshot-default")
TICKS_PER_HOUR = 2 * 3_600_000_000
TICKS_PER_MINUTE = 2 * 60_000_000
HOUR_S = 3600
DAY_S = 86_400
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

# closures: (store number or None for "*", start seconds after the anchor's wall digits,
# length in seconds; 0 or less is a row the engine skips)
offsets = st.one_of(
    st.sampled_from([-7 * DAY_S, -DAY_S, -6 * HOUR_S, -HOUR_S, -1800, 0, 1800, HOUR_S]),
    st.integers(-10 * DAY_S, 2 * DAY_S),
)
lengths = st.one_of(
    st.sampled_from([-HOUR_S, 0, 1800, HOUR_S, 6 * HOUR_S, DAY_S, 3 * DAY_S]),
    st.integers(1, 4 * DAY_S),
)
closure = st.tuples(st.one_of(st.none(), st.integers(0, 2)), offsets, lengths)
closures_strategy = st.lists(closure, max_size=4)
window_sets = st.sets(st.sampled_from(WINDOW_ORDER), min_size=1)
# a range: start seconds after the anchor, length in seconds
ranges = st.tuples(
    st.one_of(st.sampled_from([-8 * DAY_S, -DAY_S, -HOUR_S, 0]), st.integers(-10 * DAY_S, DAY_S)),
    st.one_of(st.sampled_from([HOUR_S, DAY_S, 7 * DAY_S]), st.integers(1, 9 * DAY_S)),
)


def closure_rows(data, drawn):
    """The drawn closures as the reference's tuples (naive wall datetimes) and CSV lines."""
    anchor_wall = data["anchor"].replace(tzinfo=None)
    numbers = len(data["stores"])
    plain, lines = [], []
    for who, start, length in drawn:
        store = "*" if who is None or who >= numbers else f"{9_000_000_000_000_000_000 + who}"
        start_wall = anchor_wall + timedelta(seconds=start)
        end_wall = start_wall + timedelta(seconds=length)
        plain.append((store, start_wall, end_wall))
        lines.append(f"{store},{start_wall:%Y-%m-%d %H:%M:%S},{end_wall:%Y-%m-%dT%H:%M:%S},r")
    return plain, lines


def engine(path, polls, hours, zones, closure_lines, *, repeat=1, **options):
    """The report on ``path``; on a snapshot path, the last of ``repeat`` answers of one
    loaded snapshot (from the second day-by-day report on, it reads the business time at
    its midnights once made: storemon.report.day_midnights)."""
    f = frames(polls, hours, zones)
    body = "store_id,start_local,end_local,reason\n" + "\n".join(closure_lines) + "\n"
    closures = read_input(body.encode(), "closures")
    if path == "csv":
        return report_from_frames(
            f["status"], f["hours"], f["timezones"], closures=closures, **options
        )
    data_bytes = snapshot_from_parsed(
        tables.parse_status(f["status"]),
        tables.parse_hours(f["hours"]),
        tables.parse_timezones(f["timezones"]),
        closures=parse_closures(closures),
        **({"as_of_days": AS_OF_DAYS} if path == "snapshot" else {}),
    )
    snap = load_snapshot(data_bytes)
    for _ in range(repeat - 1):
        report_from_snapshot(snap, **options)
    return report_from_snapshot(snap, **options)


def now_of(polls, as_of):
    return as_of if as_of is not None else max(t for *_, t in polls)


def hours_of(ticks: int) -> float:
    return float(np.round(ticks / TICKS_PER_HOUR, 2))


def percent_of(up: int, down: int) -> float | None:
    """The engine's percentage rule on exact ticks (NaN -> None)."""
    return None if up + down == 0 else float(np.round(up * 100.0 / (up + down), 1))


def nan_as_none(value):
    return None if isinstance(value, float) and math.isnan(value) else value


def iso(ticks: int) -> str:
    us = (ticks + (ticks // 2) % 2) // 2  # half a µs rounded half to even
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def range_request(data, drawn_range):
    anchor = to_us(data["anchor"])
    start_s, length_s = drawn_range
    from_us = anchor + start_s * 1_000_000
    return from_us, from_us + length_s * 1_000_000


@SETTINGS
@given(dataset, closures_strategy, window_sets, st.sampled_from(PATHS))
def test_windows_agree_with_the_reference(data, drawn, windows, path):
    polls, hours, zones, as_of = build(data)
    plain, lines = closure_rows(data, drawn)
    result = engine(
        path,
        polls,
        hours,
        zones,
        lines,
        as_of=None if as_of is None else _stamp(as_of),
        period=Period.of(windows=sorted(windows)),
    )
    expected = reference_windows(
        polls, hours, zones, plain, now_us=now_of(polls, as_of), windows=windows
    )
    assert list(result.report["store_id"]) == sorted(expected)
    for row in result.report.to_dict("records"):
        for column, (ticks, unit) in expected[row["store_id"]].items():
            assert row[column] == np.round(ticks / (unit * 2_000_000), 2), (column, row)


@SETTINGS
@given(dataset, closures_strategy, ranges, st.sampled_from(PATHS))
def test_a_range_agrees_with_the_reference(data, drawn, drawn_range, path):
    polls, hours, zones, _ = build(data)
    plain, lines = closure_rows(data, drawn)
    from_us, to_us_ = range_request(data, drawn_range)
    period = Period.of(start=_stamp(from_us), end=_stamp(to_us_))
    result = engine(path, polls, hours, zones, lines, period=period)
    expected = reference_range(polls, hours, zones, plain, from_us=from_us, to_us=to_us_)
    found = {
        row["store_id"]: (
            row["uptime_hours"],
            row["downtime_hours"],
            nan_as_none(row["uptime_percent"]),
        )
        for row in result.report.to_dict("records")
    }
    assert found == {
        store: (hours_of(up), hours_of(down), percent_of(up, down))
        for store, (up, down) in expected.items()
    }


@SETTINGS
@given(dataset, closures_strategy, ranges, st.sampled_from(PATHS), st.sampled_from([1, 5, 4096]))
def test_day_by_day_agrees_with_the_reference(data, drawn, drawn_range, path, part_boundaries):
    """(The engine works through the stores in parts of about ``part_boundaries`` day
    boundaries: one store per part, a few, or every store in one.)"""
    polls, hours, zones, _ = build(data)
    plain, lines = closure_rows(data, drawn)
    from_us, to_us_ = range_request(data, drawn_range)
    period = Period.of(start=_stamp(from_us), end=_stamp(to_us_), daily=True)
    with patch.object(day_grid, "PART_BOUNDARIES", part_boundaries):
        result = engine(path, polls, hours, zones, lines, period=period, repeat=2)
    expected = reference_daily(polls, hours, zones, plain, from_us=from_us, to_us=to_us_)
    found: dict = {}
    for row in result.report.to_dict("records"):
        found.setdefault(row["store_id"], []).append(
            (
                row["date"],
                row["business_hours"],
                row["uptime_hours"],
                row["downtime_hours"],
                nan_as_none(row["uptime_percent"]),
            )
        )
    assert found == {
        store: [
            (day.isoformat(), hours_of(b), hours_of(u), hours_of(d), percent_of(u, d))
            for day, b, u, d in days
        ]
        for store, days in expected.items()
    }


@SETTINGS
@given(dataset, closures_strategy, st.sampled_from(PATHS), st.booleans())
def test_incidents_with_closures_agree_with_the_reference(data, drawn, path, with_month):
    polls, hours, zones, as_of = build(data)
    plain, lines = closure_rows(data, drawn)
    windows = ["hour", "month"] if with_month else None  # the week's start is an extra mark
    result = engine(
        path,
        polls,
        hours,
        zones,
        lines,
        as_of=None if as_of is None else _stamp(as_of),
        incidents=True,
        period=Period.of(windows=windows),
    )
    expected = reference_incidents(polls, hours, zones, plain, now_us=now_of(polls, as_of))
    now2 = 2 * now_of(polls, as_of)
    found: dict = {store: [] for store in result.report["store_id"]}
    for item in result.incidents.to_dict("records"):
        found[item["store_id"]].append(
            (item["start_utc"], item["end_utc"], item["business_minutes"], item["ongoing"])
        )
    assert found == {
        store: [
            (iso(a), iso(b), float(np.round(m / TICKS_PER_MINUTE, 2)), b == now2)
            for a, b, m in items
        ]
        for store, (_, items) in expected.items()
    }


@SETTINGS
@given(dataset, closures_strategy)
def test_alert_incidents_agree_with_the_reference(data, drawn):
    polls, hours, zones, as_of = build(data)
    plain, lines = closure_rows(data, drawn)
    f = frames(polls, hours, zones)
    body = "store_id,start_local,end_local,reason\n" + "\n".join(lines) + "\n"
    found = alert_incidents(
        tables.parse_status(f["status"]),
        tables.parse_hours(f["hours"]),
        tables.parse_timezones(f["timezones"]),
        parse_closures(read_input(body.encode(), "closures")),
        now_us=as_of,
    )
    expected = reference_alert_incidents(polls, hours, zones, plain, now_us=as_of)
    assert {
        (store, int(start)): (int(end), int(business), bool(ongoing), bool(in_week))
        for store, start, end, business, ongoing, in_week in zip(
            found.store_id,
            found.start_tick,
            found.end_tick,
            found.business_ticks,
            found.ongoing,
            found.in_week,
            strict=True,
        )
    } == expected
    assert list(found.frame()["store_id"]) == sorted(found.store_id, key=str)
