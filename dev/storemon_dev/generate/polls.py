"""Polls: about hourly, a few minutes after the hour, with gaps, outages and stores that
switch their device off when they close."""

from __future__ import annotations

import numpy as np
import pandas as pd

from storemon_dev.generate.calibration import (
    CLOSED_INACTIVE_POLL_SHARE,
    CLOSED_INACTIVE_STORE_SHARE,
    DROP_BETA,
    EARLY_STOPPED_SHARE,
    GAP_EPISODES_PER_WEEK_MEAN,
    GAP_LENGTH_MEAN_HOURS,
    GAP_LONG_FACTOR,
    GAP_LONG_SHARE,
    HOURS_PER_WEEK,
    KIND_FULL,
    LATE_ONBOARDED_SHARE,
    LATE_POLL_EARLIEST_MINUTES,
    LATE_POLL_SHARE,
    MICROS_PER_HOUR,
    MICROS_PER_MINUTE,
    OUTAGE_LENGTH_HOURS,
    OUTAGE_LENGTH_SHARES,
    OUTAGE_PROFILE_EPISODES_PER_WEEK,
    OUTAGE_PROFILE_SHARES,
    POLL_JITTER_MEAN_MINUTES,
    POLL_OFFSET_GAMMA_SCALE_MINUTES,
    POLL_OFFSET_GAMMA_SHAPE,
    SECONDS_PER_DAY,
    SPARSE_STORE_POLLS,
    SPARSE_STORE_SHARE,
    WEEK_BIN_SECONDS,
)


# ---------------------------------------------------------------------------------------
# Polls
# ---------------------------------------------------------------------------------------
def _episodes(
    rng: np.random.Generator, starts_per_slot: np.ndarray, lengths: np.ndarray
) -> np.ndarray:
    """(stores, slots) mask covered by episodes that start with the given per-store chance.

    ``lengths`` holds, for each cell, the length in slots an episode starting there has.
    An episode starting at slot k covers k .. k + length - 1; the running maximum of the
    episode ends along each row marks every covered slot.
    """
    slot_count = lengths.shape[1]
    slot = np.arange(slot_count, dtype=np.int32)[None, :]
    starts = rng.random(lengths.shape) < starts_per_slot[:, None]
    episode_end = np.where(starts, slot + lengths, 0)
    return np.maximum.accumulate(episode_end, axis=1) > slot


def generate_polls(
    rng: np.random.Generator, stores: int, days: int, end_us: int
) -> dict[str, np.ndarray]:
    """Poll store index, time (µs since the epoch, UTC) and outage flag, by store then time.

    Polls sit on an hourly slot grid from midnight of the day ``days`` before ``end`` up to
    ``end``; each lands some minutes after its hour.
    """
    start_us = (
        (end_us - days * 24 * MICROS_PER_HOUR) // (24 * MICROS_PER_HOUR) * (24 * MICROS_PER_HOUR)
    )
    slot_count = -(-(end_us - start_us) // MICROS_PER_HOUR)
    time_us = _slot_times(rng, stores, slot_count, start_us)
    polled = _polled_slots(rng, stores, slot_count) & (time_us <= end_us)
    # Every store polls at least once (so the report has one row per generated store).
    silent = np.flatnonzero(~polled.any(axis=1))
    polled[silent, rng.integers(0, max(slot_count - 1, 1), size=silent.size)] = True
    in_outage = _outage_slots(rng, stores, slot_count)

    store, poll_slot = np.nonzero(polled)
    time_us = time_us[store, poll_slot]
    # The newest poll is exactly `end`, so a report's "now" is known in advance.
    time_us[int(np.argmax(time_us))] = end_us
    return {"store": store, "time_us": time_us, "in_outage": in_outage[store, poll_slot]}


def _slot_times(
    rng: np.random.Generator, stores: int, slot_count: int, start_us: int
) -> np.ndarray:
    """(stores, slots) poll times: the slot's hour plus a per-store offset and a jitter."""
    shape = (stores, slot_count)
    slot = np.arange(slot_count, dtype=np.int32)[None, :]
    offset_minutes = rng.gamma(POLL_OFFSET_GAMMA_SHAPE, POLL_OFFSET_GAMMA_SCALE_MINUTES, stores)
    delay_minutes = offset_minutes[:, None] + rng.exponential(POLL_JITTER_MEAN_MINUTES, shape)
    late_poll = rng.random(shape) < LATE_POLL_SHARE
    delay_minutes = np.where(
        late_poll, rng.uniform(LATE_POLL_EARLIEST_MINUTES, 60.0, shape), delay_minutes
    )
    delay_us = np.minimum((delay_minutes * MICROS_PER_MINUTE).astype(np.int64), MICROS_PER_HOUR - 1)
    return start_us + slot.astype(np.int64) * MICROS_PER_HOUR + delay_us


def _polled_slots(rng: np.random.Generator, stores: int, slot_count: int) -> np.ndarray:
    """(stores, slots) mask of the slots that have a poll: single drops, gap episodes, late
    onboarding, early stops and a few sparse stores."""
    shape = (stores, slot_count)
    slot = np.arange(slot_count, dtype=np.int32)[None, :]
    polled = rng.random(shape) >= rng.beta(*DROP_BETA, size=stores)[:, None]
    gap_length = 1 + rng.exponential(GAP_LENGTH_MEAN_HOURS - 1, shape).astype(np.int32)
    gap_length = np.where(
        rng.random(shape) < GAP_LONG_SHARE, gap_length * GAP_LONG_FACTOR, gap_length
    )
    gap_rate = rng.exponential(GAP_EPISODES_PER_WEEK_MEAN, stores) / HOURS_PER_WEEK
    polled &= ~_episodes(rng, gap_rate, gap_length)

    onboarded = rng.random(stores) < LATE_ONBOARDED_SHARE
    first_slot = np.where(
        onboarded, rng.integers(slot_count // 10, slot_count * 8 // 10, size=stores), 0
    )
    stopped = rng.random(stores) < EARLY_STOPPED_SHARE
    last_slot = np.where(
        stopped, rng.integers(slot_count * 2 // 10, slot_count * 9 // 10, size=stores), slot_count
    )
    last_slot = np.maximum(last_slot, first_slot + 1)
    polled &= (slot >= first_slot[:, None]) & (slot <= last_slot[:, None])

    sparse = rng.random(stores) < SPARSE_STORE_SHARE
    sparse_polls = rng.integers(SPARSE_STORE_POLLS[0], SPARSE_STORE_POLLS[1] + 1, size=stores)
    sparse_polled = rng.random(shape) < (sparse_polls / slot_count)[:, None]
    return np.where(sparse[:, None], sparse_polled, polled)


def _outage_slots(rng: np.random.Generator, stores: int, slot_count: int) -> np.ndarray:
    """(stores, slots) mask of outage episodes (runs of inactive polls), by store profile."""
    shape = (stores, slot_count)
    profile = rng.choice(len(OUTAGE_PROFILE_SHARES), size=stores, p=OUTAGE_PROFILE_SHARES)
    outage_rate = np.array(OUTAGE_PROFILE_EPISODES_PER_WEEK)[profile] / HOURS_PER_WEEK
    length_class = rng.choice(len(OUTAGE_LENGTH_SHARES), size=shape, p=OUTAGE_LENGTH_SHARES)
    length_low = np.array([low for low, _ in OUTAGE_LENGTH_HOURS], dtype=np.int32)
    length_high = np.array([high for _, high in OUTAGE_LENGTH_HOURS], dtype=np.int32)
    outage_length = length_low[length_class] + (
        rng.random(shape) * (length_high - length_low + 1)[length_class]
    ).astype(np.int32)
    return _episodes(rng, outage_rate, outage_length)


def closed_inactive(
    rng: np.random.Generator,
    schedule: dict[str, np.ndarray],
    polls: dict[str, np.ndarray],
    stores: int,
    store_zone: np.ndarray,
) -> np.ndarray:
    """Mask of polls that are inactive because the store is closed and turns its device off."""
    hours_stores = schedule["hours_stores"]
    chosen = (rng.random(hours_stores.size) < CLOSED_INACTIVE_STORE_SHARE) & (
        schedule["kind"] != KIND_FULL
    )
    poll_count = polls["store"].size
    roll = rng.random(poll_count)
    result = np.zeros(poll_count, dtype=bool)
    if not chosen.any():
        return result

    # Weekly open bitmap (5-minute bins) of the chosen stores, from the schedule rows.
    bins_per_week = 7 * SECONDS_PER_DAY // WEEK_BIN_SECONDS
    bitmap_row_of_schedule_row = np.cumsum(chosen) - 1
    bitmap_row_of_store = np.full(stores, -1, dtype=np.int64)
    bitmap_row_of_store[hours_stores[chosen]] = bitmap_row_of_schedule_row[chosen]
    row_is_chosen = chosen[schedule["schedule_row"]]
    bitmap_row = bitmap_row_of_schedule_row[schedule["schedule_row"][row_is_chosen]]
    day = schedule["day"][row_is_chosen].astype(np.int64)
    start = schedule["start"][row_is_chosen].astype(np.int64)
    end = schedule["end"][row_is_chosen].astype(np.int64)
    end = np.where(end == SECONDS_PER_DAY - 1, SECONDS_PER_DAY, end)  # 23:59:59 = midnight
    end = np.where(end <= start, end + SECONDS_PER_DAY, end)  # overnight
    start_bin = (day * SECONDS_PER_DAY + start) // WEEK_BIN_SECONDS
    end_bin = -(-(day * SECONDS_PER_DAY + end) // WEEK_BIN_SECONDS)
    wraps = end_bin > bins_per_week
    end_bin = np.where(wraps, end_bin - bins_per_week, end_bin)
    changes = np.zeros((int(chosen.sum()), bins_per_week + 1), dtype=np.int16)
    np.add.at(changes, (bitmap_row, start_bin), 1)
    np.add.at(changes, (bitmap_row, end_bin), -1)
    np.add.at(changes, (bitmap_row[wraps], np.zeros(int(wraps.sum()), dtype=np.int64)), 1)
    is_open = np.cumsum(changes, axis=1, dtype=np.int16)[:, :bins_per_week] > 0

    poll_bitmap_row = bitmap_row_of_store[polls["store"]]
    affected = np.flatnonzero(poll_bitmap_row >= 0)
    affected_zone = store_zone[polls["store"][affected]]
    for zone in np.unique(affected_zone):
        in_zone = affected[affected_zone == zone]
        local = pd.to_datetime(polls["time_us"][in_zone], unit="us", utc=True).tz_convert(str(zone))
        week_bin = (
            local.day_of_week.to_numpy() * SECONDS_PER_DAY
            + local.hour.to_numpy() * 3600
            + local.minute.to_numpy() * 60
        ) // WEEK_BIN_SECONDS
        closed = ~is_open[poll_bitmap_row[in_zone], week_bin]
        result[in_zone] = closed & (roll[in_zone] < CLOSED_INACTIVE_POLL_SHARE)
    return result
