"""The plain reference of SPEC §8-§10 (``reference_periods``) against hand-computed cases.

The engine's own tests compare the engine with this reference (property tests) and with the
same hand-computed cases (``period_cases``); this file makes sure the reference itself says
what the hand computations say.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings

from .period_cases import CASES, Case
from .reference import reference_incidents as classic_incidents
from .reference import reference_report, to_us
from .reference_periods import (
    percent,
    reference_alerts,
    reference_daily,
    reference_incidents,
    reference_range,
    reference_windows,
    window_columns,
)
from .test_properties import build, dataset

WINDOWS = ("hour", "day", "week", "month")

TICKS_PER_HOUR = 2 * 3_600_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def instant(text: str) -> int:
    """The few timestamp forms the cases use, as µs since the epoch."""
    text = text.removesuffix(" UTC").removesuffix("Z").replace("T", " ")
    return to_us(datetime.fromisoformat(text).replace(tzinfo=UTC))


def seconds(clock: str) -> int:
    parts = [int(p) for p in clock.split(":")]
    return parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) > 2 else 0)


def lines(body: str) -> list[list[str]]:
    return [line.split(",") for line in body.splitlines() if line]


def plain(case: Case):
    """The case's CSV bodies as the reference's tuples."""
    polls = [(s, status == "active", instant(t)) for s, status, t in lines(case.status)]
    hours = [(s, int(w), seconds(a), seconds(b)) for s, w, a, b in lines(case.hours)]
    zones = [(s, z) for s, z in lines(case.zones)]
    closures = [
        (s, datetime.fromisoformat(a), datetime.fromisoformat(b))
        for s, a, b, *_ in lines(case.closures)
    ]
    return polls, hours, zones, closures


def hours_of(ticks: int) -> float:
    return round(ticks / TICKS_PER_HOUR, 2)


def utc_text(ticks: int) -> str:
    moment = EPOCH + timedelta(microseconds=ticks // 2)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def answer(case: Case):
    polls, hours, zones, closures = plain(case)
    request = case.request
    if "windows" in request:
        found = reference_windows(
            polls,
            hours,
            zones,
            closures,
            now_us=instant(request["as_of"]),
            windows=request["windows"],
        )
        return {
            store: {
                column: round(ticks / (unit * 2_000_000), 2)
                for column, (ticks, unit) in row.items()
            }
            for store, row in found.items()
        }
    if request.get("incidents"):
        now_us = instant(request["as_of"] if "as_of" in request else request["to"])
        found = reference_incidents(polls, hours, zones, closures, now_us=now_us)
        now2 = 2 * now_us
        return {
            store: [
                (utc_text(a), utc_text(b), round(m / 120_000_000, 2), b == now2)
                for a, b, m in items
            ]
            for store, (_, items) in found.items()
        }
    period = {"from_us": instant(request["from"]), "to_us": instant(request["to"])}
    if request.get("daily"):
        found = reference_daily(polls, hours, zones, closures, **period)
        return {
            store: [
                (day.isoformat(), hours_of(b), hours_of(u), hours_of(d), percent(u, d))
                for day, b, u, d in days
            ]
            for store, days in found.items()
        }
    found = reference_range(polls, hours, zones, closures, **period)
    return {store: (hours_of(u), hours_of(d), percent(u, d)) for store, (u, d) in found.items()}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_reference_agrees_with_the_hand_computed_case(case):
    assert answer(case) == case.expected


def test_window_columns_keep_the_spec_order():
    assert window_columns(["month", "hour"]) == [
        "store_id",
        "uptime_last_hour",
        "uptime_last_month",
        "downtime_last_hour",
        "downtime_last_month",
    ]


# --------------------------------------------------------------------------- §10 by hand

H = 3_600_000_000
T0 = instant("2023-01-23 15:00:00")  # Monday 09:00 Chicago
ZONES = [("A", "America/Chicago")]
OPEN_ALWAYS: list = []  # no hours rows: 24/7


def down_up(notes):
    return [(kind, start2 // 2, end2 // 2, ongoing) for kind, _, start2, end2, _, ongoing in notes]


def test_an_incident_ongoing_across_batches_is_notified_once_then_recovers():
    # active at T0, inactive at T0+1h (flip at T0+30min), still inactive at T0+2h, active at
    # T0+3h (flip at T0+2h30).
    batches = [
        [("A", True, T0), ("A", False, T0 + H)],
        [("A", False, T0 + 2 * H)],
        [("A", True, T0 + 3 * H)],
    ]
    notes = reference_alerts(batches, OPEN_ALWAYS, ZONES)
    half = H // 2
    assert down_up(notes[0]) == [("store.down", T0 + half, T0 + H, True)]
    assert notes[1] == []
    assert down_up(notes[2]) == [("store.recovered", T0 + half, T0 + 2 * H + half, False)]


def test_a_closed_incident_revealed_by_one_batch_gets_one_down_and_no_recovered():
    batch = [("A", True, T0), ("A", False, T0 + H), ("A", True, T0 + 2 * H)]
    notes = reference_alerts([batch, [("A", True, T0 + 3 * H)]], OPEN_ALWAYS, ZONES)
    assert down_up(notes[0]) == [("store.down", T0 + H // 2, T0 + H + H // 2, False)]
    assert notes[1] == []


def test_a_duplicate_batch_sends_nothing():
    batch = [("A", True, T0), ("A", False, T0 + H)]
    notes = reference_alerts([batch, batch], OPEN_ALWAYS, ZONES)
    assert len(notes[0]) == 1
    assert notes[1] == []


def test_an_outage_longer_than_a_week_keeps_one_identity():
    # inactive from the first poll on, for ten days, polled daily: one down, starting at the
    # first evidence poll, never repeated though the week window moves past its start; one
    # recovered at the end, with the business time of the whole stretch (open 24/7).
    day = 24 * H
    batches = [[("A", False, T0), ("A", False, T0 + H)]]
    batches += [[("A", False, T0 + n * day)] for n in range(1, 10)]
    batches.append([("A", True, T0 + 10 * day)])
    notes = reference_alerts(batches, OPEN_ALWAYS, ZONES)
    assert down_up(notes[0]) == [("store.down", T0, T0 + H, True)]
    assert all(n == [] for n in notes[1:-1])
    end = T0 + 9 * day + day // 2
    assert down_up(notes[-1]) == [("store.recovered", T0, end, False)]
    assert notes[-1][0][4] == 2 * (end - T0)


def test_the_threshold_waits_for_enough_business_minutes():
    # M = 90: inactive from T0+30min; at T0+1h it has 30 min, at T0+2h 90 min: notified then.
    batches = [[("A", True, T0), ("A", False, T0 + H)], [("A", False, T0 + 2 * H)]]
    notes = reference_alerts(batches, OPEN_ALWAYS, ZONES, min_minutes=90)
    assert notes[0] == []
    assert down_up(notes[1]) == [("store.down", T0 + H // 2, T0 + 2 * H, True)]


def test_a_batch_of_only_old_polls_can_move_a_start_and_notify_again():
    # inactive seen at T0+2h after active at T0: incident from T0+1h. A late batch with an
    # inactive poll at T0+30min moves the start to T0+15min: a new identity, a second down.
    batches = [[("A", True, T0), ("A", False, T0 + 2 * H)], [("A", False, T0 + H // 2)]]
    notes = reference_alerts(batches, OPEN_ALWAYS, ZONES)
    assert down_up(notes[0]) == [("store.down", T0 + H, T0 + 2 * H, True)]
    assert down_up(notes[1]) == [("store.down", T0 + H // 4, T0 + 2 * H, True)]


# --------------------------------------------------------- without closures: as before (§9)


@settings(deadline=None)
@given(dataset)
def test_without_closures_the_windows_are_the_classic_report(data):
    polls, hours, zones, as_of = build(data)
    classic = reference_report(polls, hours, zones, as_of)
    now_us = as_of if as_of is not None else max(t for *_, t in polls)
    assert reference_windows(polls, hours, zones, now_us=now_us, windows=WINDOWS[:3]) == classic


@settings(deadline=None)
@given(dataset)
def test_without_closures_the_incidents_are_the_classic_incidents(data):
    polls, hours, zones, as_of = build(data)
    now_us = as_of if as_of is not None else max(t for *_, t in polls)
    classic = classic_incidents(polls, hours, zones, now_us)
    found = reference_incidents(polls, hours, zones, now_us=now_us)
    assert {s: items for s, (_, items) in found.items()} == {
        s: items for s, (_, items) in classic.items()
    }


@settings(deadline=None)
@given(dataset)
def test_a_range_ending_now_over_a_week_is_the_week(data):
    polls, hours, zones, as_of = build(data)
    now_us = as_of if as_of is not None else max(t for *_, t in polls)
    week = reference_windows(polls, hours, zones, now_us=now_us, windows=["week"])
    found = reference_range(polls, hours, zones, (), from_us=now_us - 168 * H, to_us=now_us)
    for store, (up, down) in found.items():
        assert (up, down) == (
            week[store]["uptime_last_week"][0],
            week[store]["downtime_last_week"][0],
        )


@settings(deadline=None)
@given(dataset)
def test_the_days_add_up_to_the_range(data):
    polls, hours, zones, as_of = build(data)
    now_us = as_of if as_of is not None else max(t for *_, t in polls)
    period = {"from_us": now_us - 100 * H, "to_us": now_us}
    whole = reference_range(polls, hours, zones, (), **period)
    days = reference_daily(polls, hours, zones, (), **period)
    for store, (up, down) in whole.items():
        assert sum(u for _, _, u, _ in days[store]) == up
        assert sum(d for _, _, _, d in days[store]) == down
        assert all(b == u + d for _, b, u, d in days[store])
