"""storemon.clock.tz's per-zone transition tables against zoneinfo itself, for every zone."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

import numpy as np
import pytest

from storemon.clock import tz

FIRST = int(datetime(1890, 1, 1, tzinfo=UTC).timestamp())
LAST = int(datetime(2110, 1, 1, tzinfo=UTC).timestamp())


def probes(name: str, rng: np.random.Generator) -> np.ndarray:
    """Seconds around each of the zone's transitions (UTC and wall), and random ones."""
    table = tz.offset_table(name, 1889, 2111)
    near = [table.utc[1:] + step for step in (-1, 0, 1)]
    near += [table.wall[1:] + step for step in (-3601, -1, 0, 1, 3599)]
    seconds = np.concatenate([*near, rng.integers(FIRST, LAST, 40)])
    seconds = seconds[(seconds > FIRST) & (seconds < LAST)]
    return rng.choice(seconds, min(len(seconds), 400), replace=False)


@pytest.mark.parametrize("chunk", range(4))
def test_tables_agree_with_zoneinfo_in_every_zone(chunk):
    names = sorted(zoneinfo.available_timezones())[chunk::4]
    rng = np.random.default_rng(chunk)
    for name in names:
        seconds = probes(name, rng)
        zone = np.zeros(len(seconds), dtype=np.int64)
        day, second = np.divmod(seconds, 86_400)
        utc_expected = [tz.utc_offset(name, d, s) for d, s in zip(day, second, strict=True)]
        wall_expected = [
            d * 86_400 + s - tz.wall_offset(name, d, s) for d, s in zip(day, second, strict=True)
        ]
        assert tz.utc_offsets(zone, seconds, [name]).tolist() == utc_expected, name
        assert tz.wall_to_utc(zone, day, second, [name]).tolist() == wall_expected, name


def test_far_years_follow_the_rule_and_the_edges_of_datetime():
    names = ["America/Chicago", "Australia/Sydney", "Europe/Dublin", "America/Santiago"]
    rng = np.random.default_rng(7)
    low, high = (tz._FIRST_DAY - 5) * 86_400, (tz._LAST_DAY + 3) * 86_400
    seconds = np.concatenate([rng.integers(low, high, 500), [low, high]])
    day, second = np.divmod(seconds, 86_400)
    for index, name in enumerate(names):
        zone = np.full(len(seconds), index, dtype=np.int64)
        expected = [tz.utc_offset(name, d, s) for d, s in zip(day, second, strict=True)]
        assert tz.utc_offsets(zone, seconds, names).tolist() == expected
        wall = [
            d * 86_400 + s - tz.wall_offset(name, d, s) for d, s in zip(day, second, strict=True)
        ]
        assert tz.wall_to_utc(zone, day, second, names).tolist() == wall


def test_zone_names_are_valid_exactly_when_zoneinfo_lists_them():
    """is_valid_zone accepts a file the tz database walk lists without making that walk;
    every other name is looked up in available_timezones()."""
    from zoneinfo import available_timezones

    listed = available_timezones()
    odd = ["posixrules", "right/America/Chicago", "posix/America/Chicago", "America"]
    odd += ["America/", "./UTC", "America//Chicago", "/usr/share/zoneinfo/UTC", "../UTC"]
    odd += ["zone.tab", "tzdata.zi", "America/Nowhere", "", "a\x00b", "america/chicago"]
    for name in sorted(listed) + odd:
        assert tz.is_valid_zone(name) == (name in listed), name
