"""One loaded snapshot answering many day-by-day ranges (SPEC §8): the business time at its
stores' midnights is made once per loaded snapshot, at its second day-by-day report
(storemon.report.day_midnights), and read by every later range inside it; a range starting
before it computes them. Each answer equals the
CSV path's on the same files."""

from __future__ import annotations

from unittest.mock import patch

import pytest

from storemon.clock.iso import utc_text
from storemon.report import day_midnights
from storemon.report.periods import Period
from storemon.report.pipeline import report_from_csv_bytes
from storemon.report.result import report_to_csv
from storemon.snapshot.answer import report_from_snapshot
from storemon.snapshot.build import snapshot_from_csv_bytes
from storemon.snapshot.reader import load_snapshot
from storemon_dev.generate.dataset import write_dataset

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000


@pytest.fixture(scope="module")
def contents(tmp_path_factory) -> list[bytes]:
    paths = write_dataset(tmp_path_factory.mktemp("midnights"), stores=80, days=7, seed=11)
    return [paths[kind].read_bytes() for kind in ("status", "hours", "timezones")]


def test_one_loaded_snapshot_answers_many_ranges_as_the_csv_path(contents):
    snap = load_snapshot(snapshot_from_csv_bytes(*contents))
    now = snap.now_us
    ranges = [
        (now - 30 * DAY_US, now),  # the last 30 days: computed, the table not made yet
        (now - 10 * DAY_US - 7 * HOUR_US, now - 2 * DAY_US + 123_000_000),  # made, read
        (now - 31 * DAY_US, now - 3 * DAY_US - 5 * HOUR_US),  # from its first instant
        (now - 36 * DAY_US, now - DAY_US),  # starts before it: computed
        (now - 30 * DAY_US + 17, now + DAY_US),  # later than the newest poll
    ]
    made, read = [], []
    original, original_lookup = (
        day_midnights.MidnightBusiness.of,
        day_midnights.MidnightBusiness.lookup,
    )

    def counted(*args):
        made.append(args)
        return original(*args)

    def looked_up(table, *args):
        lookup = original_lookup(table, *args)
        read.append(lookup is not None)
        return lookup

    with (
        patch.object(day_midnights.MidnightBusiness, "of", side_effect=counted),
        patch.object(day_midnights.MidnightBusiness, "lookup", looked_up),
    ):
        for start, end in ranges:
            period = Period.of(start=utc_text(start), end=utc_text(end), daily=True)
            got = report_from_snapshot(snap, period=period).report
            expected = report_from_csv_bytes(*contents, period=period).report
            assert len(got) > 80, (start, end)
            assert report_to_csv(got) == report_to_csv(expected), (start, end)
    assert len(made) == 1  # at the second range: the first computed them itself
    assert read == [True, True, False, True]
