"""Tick arithmetic, instant printing and UTC offsets, against Python's datetime/zoneinfo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from storemon.clock import tz
from storemon.clock.iso import local_texts, request_text, utc_text, utc_texts
from storemon.clock.ticks import ticks_to_us
from storemon.clock.timestamps import normalize

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ZONES = ["America/Chicago", "Asia/Beirut", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]


def test_half_microseconds_round_half_to_even():
    ticks = np.array([0, 1, 2, 3, 4, 5, 7, -1, -3])
    assert list(ticks_to_us(ticks)) == [0, 0, 1, 2, 2, 2, 4, 0, -2]


@settings(deadline=None)
@given(st.integers(-(2**50), 2**50))  # halves of these are exact floats
def test_rounding_is_timedeltas(ticks):
    expected = timedelta(microseconds=ticks / 2) // timedelta(microseconds=1)
    assert int(ticks_to_us(np.array([ticks]))[0]) == expected


def test_utc_and_local_text():
    # 2023-03-12 07:59:59.5 UTC is 01:59:59.5 CST; 08:00 UTC is 03:00 CDT
    micros = np.array([1_678_607_999_500_000, 1_678_608_000_000_000])
    assert list(utc_texts(micros)) == ["2023-03-12T07:59:59.500000Z", "2023-03-12T08:00:00.000000Z"]
    assert list(local_texts(micros, np.array([0, 0]), ["America/Chicago"])) == [
        "2023-03-12T01:59:59.500000-06:00",
        "2023-03-12T03:00:00.000000-05:00",
    ]
    kolkata = local_texts(micros[:1], np.array([0]), ["Asia/Kolkata"])
    assert list(kolkata) == ["2023-03-12T13:29:59.500000+05:30"]


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(ZONES) - 1), st.integers(1_640_000_000, 1_720_000_000)),
        min_size=1,
        max_size=30,
    )
)
def test_utc_offsets_agree_with_zoneinfo(cases):
    zone_index = np.array([z for z, _ in cases])
    seconds = np.array([s for _, s in cases])
    offsets = tz.utc_offsets(zone_index, seconds, ZONES)
    for (z, s), offset in zip(cases, offsets, strict=True):
        moment = (EPOCH + timedelta(seconds=s)).astimezone(ZoneInfo(ZONES[z]))
        assert offset == moment.utcoffset().total_seconds()
        local = local_texts(np.array([s * 1_000_000]), np.array([z]), ZONES)[0]
        assert local == moment.isoformat(timespec="microseconds")


# ----------------------------------------------------------------------------- one ISO text
def test_utc_text_of_an_instant_a_datetime_and_a_request():
    micros = 1_674_670_402_479_220  # 2023-01-25T18:13:22.479220Z
    assert utc_text(micros) == "2023-01-25T18:13:22.479220Z"
    assert utc_text(datetime(2023, 1, 25, 18, 13, 22, 479_220)) == "2023-01-25T18:13:22.479220Z"
    chicago = datetime(2023, 1, 25, 12, 13, 22, 479_220, tzinfo=ZoneInfo("America/Chicago"))
    assert utc_text(chicago) == "2023-01-25T18:13:22.479220Z"
    assert request_text(micros) == "2023-01-25 18:13:22.479220"
    # years below 1000 keep four digits (strftime's %Y wrote "999-..." on glibc)
    assert request_text(-30_610_656_000_000_000) == "0999-12-27 00:00:00.000000"
    assert normalize("0999-12-27 00:00:00") == "0999-12-27 00:00:00.000000"


@given(st.integers(min_value=-62_135_596_800_000_000, max_value=253_402_300_799_999_999))
def test_one_instant_and_an_array_of_them_print_the_same(micros):
    """utc_text (no NumPy: the trigger's records) and utc_texts (the engine's arrays) are one
    rule over the years 1-9999."""
    assert utc_text(micros) == utc_texts(np.array([micros]))[0]
    assert utc_text(EPOCH + timedelta(microseconds=micros)) == utc_text(micros)


def test_an_instant_outside_the_years_1_to_9999_prints_as_numpy_does():
    year_0 = -62_135_596_800_000_000 - 3_600_000_000  # an hour before 0001-01-01
    assert utc_text(year_0) == utc_texts(np.array([year_0]))[0] == "0000-12-31T23:00:00.000000Z"
