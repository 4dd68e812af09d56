"""Property tests: the vectorised engine against the plain reference, and invariants."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storemon.inputs.csv_reader import read_input
from storemon.report.pipeline import report_from_frames
from storemon.report.result import REPORT_COLUMNS

from .reference import reference_report, to_us

ANCHORS = [
    datetime(2023, 1, 25, 18, 0, tzinfo=UTC),  # the real data's week, no transition
    datetime(2023, 3, 12, 12, 0, tzinfo=UTC),  # US spring forward (02:00 -> 03:00)
    datetime(2023, 11, 5, 12, 0, tzinfo=UTC),  # US fall back (02:00 -> 01:00)
    datetime(2023, 3, 26, 6, 0, tzinfo=UTC),  # Beirut spring forward at midnight
    datetime(2023, 10, 1, 12, 0, tzinfo=UTC),  # Lord Howe: 30-minute shift
]
ZONES = [
    "America/Chicago",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Beirut",
    "Australia/Lord_Howe",
    "Pacific/Honolulu",
    "Not/A_Zone",
    None,
]
TIMES = [0, 1800, 3600, 5400, 7200, 9000, 10800, 36000, 43200, 61200, 82800, 84600, 86399]

seconds_of_day = st.one_of(st.sampled_from(TIMES), st.integers(0, 86_399))
end_of_day = st.one_of(st.sampled_from([*TIMES, 86_400]), st.integers(0, 86_399))
hours_row = st.tuples(st.integers(0, 6), seconds_of_day, end_of_day)
store_strategy = st.fixed_dictionaries(
    {
        "zone": st.sampled_from(ZONES),
        "rows": st.lists(hours_row, max_size=4),
        "polls": st.lists(
            st.tuples(
                st.booleans(),
                st.one_of(
                    st.integers(-9 * 86_400, 3600).map(lambda s: s * 1_000_000),
                    st.integers(-9 * 86_400_000_000, 3_600_000_000),
                    st.sampled_from([-3_600_000_000, -1_800_000_000, 0]),
                ),
            ),
            min_size=1,
            max_size=12,
        ),
    }
)
dataset = st.fixed_dictionaries(
    {
        "anchor": st.sampled_from(ANCHORS),
        "stores": st.lists(store_strategy, min_size=1, max_size=3),
        "as_of": st.one_of(st.none(), st.integers(-2 * 86_400, 2 * 86_400)),
    }
)
# Polls spread over decades (up to 60 years before the anchor): those far from the week are
# classified one by one instead of through the week's calendar (business_hours.is_open_each).
YEAR_US = 365 * 86_400_000_000
far_store = store_strategy.map(lambda store: {**store, "polls": store["polls"][:6]}).flatmap(
    lambda store: st.fixed_dictionaries(
        {
            "zone": st.just(store["zone"]),
            "rows": st.just(store["rows"]),
            "polls": st.lists(
                st.tuples(st.booleans(), st.integers(-60 * YEAR_US, 0)), max_size=4
            ).map(lambda far: store["polls"] + far),
        }
    )
)
far_dataset = st.fixed_dictionaries(
    {
        "anchor": st.sampled_from(ANCHORS),
        "stores": st.lists(far_store, min_size=1, max_size=2),
        "as_of": st.one_of(st.none(), st.integers(-2 * 86_400, 2 * 86_400)),
    }
)


def _clock(seconds: int) -> str:
    if seconds == 86_400:
        return "24:00:00"
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _stamp(us: int) -> str:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") + " UTC"


def build(data):
    """CSV frames for the engine and plain tuples for the reference."""
    anchor = to_us(data["anchor"])
    polls, hours, zones = [], [], []
    for number, store in enumerate(data["stores"]):
        store_id = f"{9_000_000_000_000_000_000 + number}"
        if store["zone"] is not None:
            zones.append((store_id, store["zone"]))
        for weekday, start, end in store["rows"]:
            hours.append((store_id, weekday, start, end))
        for active, offset in store["polls"]:
            polls.append((store_id, active, anchor + offset))
    as_of = None if data["as_of"] is None else anchor + data["as_of"] * 1_000_000
    return polls, hours, zones, as_of


def frames(polls, hours, zones, shuffle_seed=None):
    status_rows = [f"{s},{'active' if a else 'inactive'},{_stamp(t)}" for s, a, t in polls]
    hours_rows = [f"{s},{w},{_clock(a)},{_clock(b)}" for s, w, a, b in hours]
    zone_rows = [f"{s},{z}" for s, z in zones]
    if shuffle_seed is not None:
        rng = random.Random(shuffle_seed)
        rng.shuffle(status_rows)
        rng.shuffle(hours_rows)
    text = {
        "status": "store_id,status,timestamp_utc\n" + "\n".join(status_rows) + "\n",
        "hours": "store_id,day,start_time_local,end_time_local\n" + "\n".join(hours_rows) + "\n",
        "timezones": "store_id,timezone_str\n" + "\n".join(zone_rows) + "\n",
    }
    return {kind: read_input(body.encode(), kind) for kind, body in text.items()}


def run(polls, hours, zones, as_of, *, store_ids=None, shuffle_seed=None):
    f = frames(polls, hours, zones, shuffle_seed)
    return report_from_frames(
        f["status"],
        f["hours"],
        f["timezones"],
        as_of=None if as_of is None else _stamp(as_of),
        store_ids=store_ids,
    ).report


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dataset)
def test_engine_agrees_with_reference(data):
    polls, hours, zones, as_of = build(data)
    report = run(polls, hours, zones, as_of)
    expected = reference_report(polls, hours, zones, as_of)
    assert list(report["store_id"]) == sorted(expected)
    for row in report.to_dict("records"):
        for column, (ticks, unit) in expected[row["store_id"]].items():
            assert row[column] == np.round(ticks / (unit * 2_000_000), 2), (column, row)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(far_dataset)
def test_engine_agrees_with_reference_on_polls_decades_away(data):
    polls, hours, zones, as_of = build(data)
    report = run(polls, hours, zones, as_of)
    expected = reference_report(polls, hours, zones, as_of)
    assert list(report["store_id"]) == sorted(expected)
    for row in report.to_dict("records"):
        for column, (ticks, unit) in expected[row["store_id"]].items():
            assert row[column] == np.round(ticks / (unit * 2_000_000), 2), (column, row)


@settings(deadline=None)
@given(dataset)
def test_uptime_plus_downtime_is_business_time(data):
    polls, hours, zones, as_of = build(data)
    report = run(polls, hours, zones, as_of)
    no_hours = {s for s, *_ in polls} - {s for s, *_ in hours}
    for row in report.to_dict("records"):
        for name, full in (("hour", 60.0), ("day", 24.0), ("week", 168.0)):
            total = row[f"uptime_last_{name}"] + row[f"downtime_last_{name}"]
            assert total <= full + 0.011
            if row["store_id"] in no_hours:
                assert abs(total - full) <= 0.011


@settings(deadline=None)
@given(dataset, st.integers(0, 10_000))
def test_row_order_does_not_matter(data, seed):
    polls, hours, zones, as_of = build(data)
    pd.testing.assert_frame_equal(
        run(polls, hours, zones, as_of), run(polls, hours, zones, as_of, shuffle_seed=seed)
    )


@settings(deadline=None)
@given(dataset)
def test_a_store_does_not_depend_on_the_others(data):
    polls, hours, zones, as_of = build(data)
    if as_of is None:
        as_of = max(t for *_, t in polls)
    report = run(polls, hours, zones, as_of)
    for store_id in report["store_id"]:
        alone = run(
            [p for p in polls if p[0] == store_id],
            [h for h in hours if h[0] == store_id],
            [z for z in zones if z[0] == store_id],
            as_of,
        )
        together = report[report["store_id"] == store_id].reset_index(drop=True)
        pd.testing.assert_frame_equal(alone[REPORT_COLUMNS], together[REPORT_COLUMNS])
