"""The synthetic data set: deterministic, and shaped like the real Loop files."""

from __future__ import annotations

import gzip
import re

import numpy as np
import pandas as pd
import pytest

from storemon_dev.generate.calibration import DEFAULT_END, ZONE_COUNTS
from storemon_dev.generate.dataset import (
    generate_csv_bytes,
    generate_frames,
    write_dataset,
)

STORES = 1000
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})? UTC$")
CLOCK = re.compile(r"^\d{2}:\d{2}:\d{2}$")


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return generate_frames(stores=STORES, seed=7)


def _seconds(clock: pd.Series) -> np.ndarray:
    parts = clock.str.split(":", expand=True).astype(int).to_numpy()
    return parts[:, 0] * 3600 + parts[:, 1] * 60 + parts[:, 2]


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path):
    first = write_dataset(tmp_path / "a", stores=300, seed=3)
    second = write_dataset(tmp_path / "b", stores=300, seed=3)
    other = write_dataset(tmp_path / "c", stores=300, seed=4)
    assert set(first) == {"status", "hours", "timezones"}
    for kind in first:
        assert first[kind].read_bytes() == second[kind].read_bytes()
        assert first[kind].read_bytes() != other[kind].read_bytes()


def test_file_names_and_gzip_output_are_readable_and_deterministic(tmp_path):
    plain = write_dataset(tmp_path / "plain", stores=300, seed=1)
    packed = write_dataset(tmp_path / "packed", stores=300, seed=1, compress=True)
    again = write_dataset(tmp_path / "again", stores=300, seed=1, compress=True)
    assert {kind: path.name for kind, path in plain.items()} == {
        "status": "store_status.csv",
        "hours": "menu_hours.csv",
        "timezones": "timezones.csv",
    }
    for kind in plain:
        assert packed[kind].name == plain[kind].name + ".gz"
        assert gzip.decompress(packed[kind].read_bytes()) == plain[kind].read_bytes()
        assert packed[kind].read_bytes() == again[kind].read_bytes()
        read_back = pd.read_csv(packed[kind], dtype=str, keep_default_na=False)
        pd.testing.assert_frame_equal(
            read_back, pd.read_csv(plain[kind], dtype=str, keep_default_na=False)
        )


def test_frames_are_the_file_contents():
    contents = generate_csv_bytes(stores=200, seed=5)
    status, hours, zones = generate_frames(stores=200, seed=5)
    for kind, frame in (("status", status), ("hours", hours), ("timezones", zones)):
        text = frame.to_csv(index=False, lineterminator="\n").encode()
        assert text == contents[kind]


def test_headers_are_exact():
    contents = generate_csv_bytes(stores=50, seed=0)
    assert contents["status"].startswith(b"store_id,status,timestamp_utc\n")
    assert contents["hours"].startswith(b"store_id,day,start_time_local,end_time_local\n")
    assert contents["timezones"].startswith(b"store_id,timezone_str\n")
    for data in contents.values():
        assert data.endswith(b"\n")
        assert b"\r" not in data
        assert b"\x00" not in data


def test_store_ids_are_15_to_19_digit_strings_one_per_store(frames):
    status, hours, zones = frames
    ids = status["store_id"].drop_duplicates()
    assert len(ids) == STORES  # every store polls at least once
    assert ids.str.fullmatch(r"[1-9]\d{14,18}").all()
    assert ids.str.len().value_counts().idxmax() == 19
    assert ids.astype("uint64").max() < 2**63
    assert not zones["store_id"].duplicated().any()
    assert set(zones["store_id"]) <= set(ids)
    assert set(hours["store_id"]) <= set(ids)


def test_timestamps_have_the_real_form_with_0_to_6_fraction_digits(frames):
    status, _, _ = frames
    stamps = status["timestamp_utc"]
    assert stamps.str.match(TIMESTAMP).all()
    fraction = stamps.str.extract(r"\.(\d+) UTC$")[0].dropna()
    assert not fraction.str.endswith("0").any()  # trailing zeros are dropped
    digits = fraction.str.len().value_counts(normalize=True)
    assert digits[6] > 0.85
    assert digits[5] > 0.05
    assert stamps.max() == DEFAULT_END
    assert set(status["status"]) == {"active", "inactive"}


def test_polls_are_about_hourly_and_land_minutes_after_the_hour(frames):
    status, _, _ = frames
    polls = status.assign(
        time=pd.to_datetime(status["timestamp_utc"].str.removesuffix(" UTC"), format="ISO8601")
    ).sort_values(["store_id", "time"])
    gaps = polls.groupby("store_id")["time"].diff().dt.total_seconds() / 60
    median_gap_by_store = gaps.groupby(polls["store_id"]).median()
    assert 55 <= median_gap_by_store.median() <= 65
    assert 55 <= gaps.median() <= 65
    assert (gaps > 180).any()  # gaps in the polling
    minutes_after_hour = polls["time"].dt.minute
    assert 2 <= minutes_after_hour.median() <= 12
    polls_per_store = polls.groupby("store_id").size()
    assert (polls_per_store <= 12).any()  # a few very sparse stores
    assert polls_per_store.median() > 100


def test_rows_are_in_random_order(frames):
    status, hours, _ = frames
    assert not status["store_id"].is_monotonic_increasing
    assert not status["timestamp_utc"].is_monotonic_increasing
    runs = (status["store_id"] != status["store_id"].shift()).sum()
    assert runs > 0.9 * len(status)
    assert not hours["store_id"].is_monotonic_increasing


def test_most_stores_are_mostly_active_with_outage_runs(frames):
    status, _, _ = frames
    active = status["status"] == "active"
    assert 0.8 <= active.mean() <= 0.97
    active_share_by_store = active.groupby(status["store_id"]).mean()
    assert active_share_by_store.median() > 0.95
    polls = status.assign(
        time=pd.to_datetime(status["timestamp_utc"].str.removesuffix(" UTC"), format="ISO8601"),
        inactive=~active,
    ).sort_values(["store_id", "time"])
    starts = (polls["inactive"] != polls["inactive"].shift()) | (
        polls["store_id"] != polls["store_id"].shift()
    )
    runs = polls.groupby(starts.cumsum()).agg(
        inactive=("inactive", "first"), length=("inactive", "size")
    )
    inactive_runs = runs.loc[runs["inactive"], "length"]
    assert (inactive_runs == 1).any()
    assert (inactive_runs >= 5).any()


def test_about_a_fifth_without_hours_and_a_twentieth_without_zone(frames):
    status, hours, zones = frames
    stores = status["store_id"].nunique()
    without_hours = 1 - hours["store_id"].nunique() / stores
    without_zone = 1 - zones["store_id"].nunique() / stores
    assert 0.14 <= without_hours <= 0.26
    assert 0.02 <= without_zone <= 0.09


def test_zones_are_the_real_ones_new_york_first(frames):
    _, _, zones = frames
    real_zones = {name for name, _ in ZONE_COUNTS}
    counts = zones["timezone_str"].value_counts()
    assert set(counts.index) <= real_zones
    assert list(counts.index[:3]) == ["America/New_York", "America/Los_Angeles", "America/Chicago"]


def test_business_hours_have_the_real_quirks(frames):
    _, hours, _ = frames
    assert set(hours["day"]) <= {str(day) for day in range(7)}
    assert hours["start_time_local"].str.match(CLOCK).all()
    assert hours["end_time_local"].str.match(CLOCK).all()
    start = _seconds(hours["start_time_local"])
    end = _seconds(hours["end_time_local"])
    assert (end < start).any()  # overnight rows
    whole_day = (hours["start_time_local"] == "00:00:00") & (
        hours["end_time_local"].isin(["23:59:59", "23:59:00"])
    )
    assert (whole_day & (hours["end_time_local"] == "23:59:59")).any()
    assert (whole_day & (hours["end_time_local"] == "23:59:00")).any()
    # Late closing written as 00:00-HH:MM on the next day, beside that day's own opening.
    intervals_per_day = hours.groupby(["store_id", "day"]).size()
    assert (intervals_per_day >= 2).any()
    assert (intervals_per_day == 3).any()
    assert 0.75 <= (intervals_per_day == 1).mean() <= 0.95
    days_per_store = hours.groupby("store_id")["day"].nunique()
    assert (days_per_store < 7).any()
    assert (days_per_store == 1).any() or (days_per_store <= 5).any()
    assert (days_per_store == 7).mean() > 0.7
    assert not hours.duplicated().any()


def test_days_sets_the_polling_window():
    status, _, _ = generate_frames(stores=100, days=2, seed=2)
    first = pd.Timestamp(status["timestamp_utc"].min().removesuffix(" UTC"))
    assert first >= pd.Timestamp("2023-01-23 00:00:00")
    assert status["timestamp_utc"].max() == DEFAULT_END


def test_rejects_nonsense_sizes():
    with pytest.raises(ValueError):
        generate_csv_bytes(stores=0)
    with pytest.raises(ValueError):
        generate_csv_bytes(days=0)


def test_the_engine_reads_every_generated_row():
    engine = pytest.importorskip("storemon.report.pipeline")
    contents = generate_csv_bytes(stores=300, seed=11)
    result = engine.report_from_csv_bytes(
        contents["status"], contents["hours"], contents["timezones"]
    )
    assert len(result.report) == 300
    assert result.summary["now"].startswith("2023-01-25T18:13:22.47922")
    file_summaries = result.summary["files"].values()
    assert sum(file_summary["rows_read"] for file_summary in file_summaries) == sum(
        data.count(b"\n") - 1 for data in contents.values()
    )
    assert all(file_summary["rows_skipped"] == 0 for file_summary in file_summaries)
