"""Business hours: each store's kind of day and its weekly openings, as hours rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storemon_dev.generate.calibration import (
    CLOSED_DAY_WEIGHTS,
    FULL_DAY_END,
    KIND_FULL,
    KIND_LATE,
    KIND_OVERNIGHT,
    KIND_SHARES,
    KIND_SINGLE,
    KIND_SPLIT,
    KIND_TINY,
    LATE_CONTINUATION_END,
    LATE_EVENING_END,
    LATE_OPEN,
    OPEN_DAYS_COUNTS,
    OVERNIGHT_END,
    OVERNIGHT_START,
    SINGLE_CLOSE,
    SINGLE_OPEN,
    SINGLE_OPEN_DAY_WEIGHTS,
    SPLIT_DINNER,
    SPLIT_EARLY_END,
    SPLIT_LUNCH,
    TINY_END,
)


def draw_seconds(rng: np.random.Generator, table, size: int) -> np.ndarray:
    """Seconds of day drawn from a (("HH:MM[:SS]", weight), ...) table."""
    seconds = np.array([_time_to_seconds(text) for text, _ in table], dtype=np.int32)
    weights = np.array([weight for _, weight in table], dtype=float)
    return seconds[rng.choice(seconds.size, size=size, p=weights / weights.sum())]


def draw_ranges(rng: np.random.Generator, table, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) seconds drawn from a (("HH:MM-HH:MM", weight), ...) table."""
    starts = np.array([_time_to_seconds(text.split("-")[0]) for text, _ in table], np.int32)
    ends = np.array([_time_to_seconds(text.split("-")[1]) for text, _ in table], np.int32)
    weights = np.array([weight for _, weight in table], dtype=float)
    chosen = rng.choice(starts.size, size=size, p=weights / weights.sum())
    return starts[chosen], ends[chosen]


def _time_to_seconds(text: str) -> int:
    parts = [int(part) for part in text.split(":")]
    parts += [0] * (3 - len(parts))
    return parts[0] * 3600 + parts[1] * 60 + parts[2]


# ---------------------------------------------------------------------------------------
# Business hours
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _WeekGrid:
    """Up to three intervals per weekday per store, (stores, 7, 3) arrays filled in place.

    Slot 0 is an early-morning piece (00:00 until the previous night's closing), slot 1 the
    main opening, slot 2 the dinner opening of a lunch/dinner store; times are seconds of day.
    """

    starts: np.ndarray
    ends: np.ndarray
    present: np.ndarray

    @classmethod
    def empty(cls, count: int) -> _WeekGrid:
        return cls(
            starts=np.zeros((count, 7, 3), dtype=np.int32),
            ends=np.zeros((count, 7, 3), dtype=np.int32),
            present=np.zeros((count, 7, 3), dtype=bool),
        )


DAY_OF_WEEK = np.arange(7)
FRIDAY_SATURDAY = (DAY_OF_WEEK == 4) | (DAY_OF_WEEK == 5)
SATURDAY_SUNDAY = (DAY_OF_WEEK == 5) | (DAY_OF_WEEK == 6)


def business_hours_rows(
    rng: np.random.Generator, hours_stores: np.ndarray
) -> dict[str, np.ndarray]:
    """Rows (store, day, start, end) for the given stores; times in seconds of day.

    Each store gets a kind (its day shape) and up to three intervals per weekday in a
    :class:`_WeekGrid`; the draws happen in a fixed order (the same seed, the same bytes).
    """
    count = hours_stores.size
    grid = _WeekGrid.empty(count)
    kind = rng.choice(len(KIND_SHARES), size=count, p=np.array(KIND_SHARES) / sum(KIND_SHARES))
    _single_openings(rng, grid, kind == KIND_SINGLE)
    full = kind == KIND_FULL  # whole days: 00:00:00-23:59:00 or 00:00:00-23:59:59
    grid.ends[full, :, 1] = draw_seconds(rng, FULL_DAY_END, count)[full, None]
    grid.present[full, :, 1] = True
    _late_night_openings(rng, grid, kind == KIND_LATE)
    _split_openings(rng, grid, kind == KIND_SPLIT)
    _overnight_and_tiny_openings(rng, grid, kind)

    present = grid.present & _open_days(rng, count)[:, :, None]
    store_row, day, slot = np.nonzero(present)
    return {
        "store": hours_stores[store_row],
        "schedule_row": store_row,
        "day": day.astype(np.int32),
        "start": grid.starts[store_row, day, slot],
        "end": grid.ends[store_row, day, slot],
        "hours_stores": hours_stores,
        "kind": kind,
    }


def _single_openings(rng: np.random.Generator, grid: _WeekGrid, single: np.ndarray) -> None:
    """One interval a day, with the real data's weekday variations: later closing on
    Friday and Saturday, later opening and earlier closing on Sunday, an odd shorter
    weekday now and then. (Drawn for every store, used for ``single`` ones.)"""
    count = single.size
    opens = draw_seconds(rng, SINGLE_OPEN, count)
    closes = draw_seconds(rng, SINGLE_CLOSE, count)
    closes = np.where(closes < opens + 2 * 3600, np.minimum(opens + 8 * 3600, 86_340), closes)
    open_by_day = np.repeat(opens[:, None], 7, axis=1)
    close_by_day = np.repeat(closes[:, None], 7, axis=1)
    weekend_extension = rng.choice(np.array([1800, 3600, 7200]), size=count)
    later_weekend = (rng.random(count) < 0.22) & (closes < 86_340)
    close_by_day = np.where(
        later_weekend[:, None] & FRIDAY_SATURDAY[None, :],
        np.minimum(close_by_day + weekend_extension[:, None], 86_340),
        close_by_day,
    )
    later_sunday = rng.random(count) < 0.15
    open_by_day[:, 6] = np.where(
        later_sunday, np.minimum(opens + 3600, closes - 3600), open_by_day[:, 6]
    )
    earlier_sunday_close = (rng.random(count) < 0.2) & (closes - opens > 6 * 3600)
    close_by_day[:, 6] -= np.where(earlier_sunday_close, 3600, 0).astype(np.int32)
    short_day = rng.integers(0, 6, size=count)
    has_short_day = (rng.random(count) < 0.15) & (closes - opens > 6 * 3600)
    close_by_day[np.arange(count), short_day] -= np.where(has_short_day, 3600, 0).astype(np.int32)
    grid.starts[single, :, 1] = open_by_day[single]
    grid.ends[single, :, 1] = close_by_day[single]
    grid.present[single, :, 1] = True


def _late_night_openings(rng: np.random.Generator, grid: _WeekGrid, late: np.ndarray) -> None:
    """Late night, written like the real file: open-23:59:59 plus 00:00-HH:MM (the tail of
    the previous night) on each day; some stay open longer on Friday and Saturday nights."""
    count = late.size
    continuation_end = draw_seconds(rng, LATE_CONTINUATION_END, count)
    later_weekend_night = rng.random(count) < 0.3
    continuation_by_day = np.where(
        later_weekend_night[:, None] & SATURDAY_SUNDAY[None, :],
        np.minimum(continuation_end + 3600, 6 * 3600)[:, None],
        continuation_end[:, None],
    )
    late_open = draw_seconds(rng, LATE_OPEN, count)
    continuation_by_day = np.minimum(continuation_by_day, (late_open - 1800)[:, None])
    evening_end = draw_seconds(rng, LATE_EVENING_END, count)
    grid.ends[late, :, 0] = continuation_by_day[late]
    grid.present[late, :, 0] = True
    grid.starts[late, :, 1] = late_open[late, None]
    grid.ends[late, :, 1] = evening_end[late, None]
    grid.present[late, :, 1] = True


def _split_openings(rng: np.random.Generator, grid: _WeekGrid, split: np.ndarray) -> None:
    """Lunch and dinner; some also have the tail of the previous night (three intervals)."""
    count = split.size
    lunch_start, lunch_end = draw_ranges(rng, SPLIT_LUNCH, count)
    dinner_start, dinner_end = draw_ranges(rng, SPLIT_DINNER, count)
    dinner_start = np.maximum(dinner_start, lunch_end + 1800)
    early_end = draw_seconds(rng, SPLIT_EARLY_END, count)
    split_early = split & (rng.random(count) < 0.15)
    grid.ends[split_early, :, 0] = early_end[split_early, None]
    grid.present[split_early, :, 0] = True
    grid.starts[split, :, 1] = lunch_start[split, None]
    grid.ends[split, :, 1] = lunch_end[split, None]
    grid.starts[split, :, 2] = dinner_start[split, None]
    grid.ends[split, :, 2] = dinner_end[split, None]
    grid.present[split, :, 1:] = True


def _overnight_and_tiny_openings(
    rng: np.random.Generator, grid: _WeekGrid, kind: np.ndarray
) -> None:
    """Overnight rows (end before start, as SPEC §3 allows) and placeholder stores'
    00:00:00-00:10:00 or 00:00:00-00:29:00 rows."""
    count = kind.size
    overnight = kind == KIND_OVERNIGHT
    grid.starts[overnight, :, 1] = draw_seconds(rng, OVERNIGHT_START, count)[overnight, None]
    grid.ends[overnight, :, 1] = draw_seconds(rng, OVERNIGHT_END, count)[overnight, None]
    grid.present[overnight, :, 1] = True
    tiny = kind == KIND_TINY
    grid.ends[tiny, :, 1] = draw_seconds(rng, TINY_END, count)[tiny, None]
    grid.present[tiny, :, 1] = True


def _open_days(rng: np.random.Generator, count: int) -> np.ndarray:
    """(count, 7) mask of the weekdays a store opens, with the real open-day counts."""
    day_counts = np.array(OPEN_DAYS_COUNTS, dtype=float)
    open_days = 1 + rng.choice(7, size=count, p=day_counts / day_counts.sum())
    # Which days close: an exponential race weighted towards Sunday and Monday.
    race = rng.exponential(size=(count, 7)) / CLOSED_DAY_WEIGHTS[None, :]
    closing_rank = np.argsort(np.argsort(race, axis=1), axis=1)
    is_open = closing_rank >= (7 - open_days)[:, None]
    only_day = rng.choice(7, size=count, p=SINGLE_OPEN_DAY_WEIGHTS / SINGLE_OPEN_DAY_WEIGHTS.sum())
    one_day = open_days == 1
    is_open[one_day] = np.arange(7)[None, :] == only_day[one_day, None]
    return is_open
