"""Realistic synthetic store-monitoring data sets (store_status, menu_hours, timezones).

The shapes and quirks are calibrated on the public Loop data (see docs/generator.md for
the figures): 15-19 digit store ids, polls about hourly that land a few minutes after the
hour, gaps and outage runs, business hours with several intervals a day, late-night
closing written as a ``00:00:00``-``HH:MM`` row on the next day, whole days written as
``00:00:00``-``23:59:00`` or ``00:00:00``-``23:59:59``, stores open only some days, about
20 % of stores without hours and 5 % without a zone, the real zones with their real
frequencies, and timestamps like ``2023-01-22 12:09:39.388884 UTC`` whose trailing zeros
are dropped (so 0-6 fraction digits).

Everything is vectorised with numpy: there is no Python loop over stores or polls (only
over the seven weekdays, the six fraction digits and the zones). The CSV text is built as
a byte matrix, one fixed-width row per line with NUL padding that is then squeezed out,
so the full-scale data set (14,092 stores, about 1.8 M polls) takes a few seconds.

The same arguments always give the same bytes (one ``numpy.random.Generator`` seeded
with ``seed`` drives every draw; gzip output carries no file name and a zero mtime).
"""

from __future__ import annotations

import gzip
import io
import pathlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_STORES = 14092
DEFAULT_DAYS = 7
DEFAULT_SEED = 0
# The newest poll of the real store_status file; the newest generated poll is exactly this.
DEFAULT_END = "2023-01-25 18:13:22.47922 UTC"

STATUS_HEADER = "store_id,status,timestamp_utc"
HOURS_HEADER = "store_id,day,start_time_local,end_time_local"
TIMEZONES_HEADER = "store_id,timezone_str"
FILE_NAMES = {
    "status": "store_status.csv",
    "hours": "menu_hours.csv",
    "timezones": "timezones.csv",
}

SECONDS_PER_DAY = 86_400
MICROS_PER_SECOND = 1_000_000
MICROS_PER_MINUTE = 60 * MICROS_PER_SECOND
MICROS_PER_HOUR = 3_600 * MICROS_PER_SECOND
HOURS_PER_WEEK = 168
SMALLEST_STORE_ID = 10**14  # 15 digits
LARGEST_STORE_ID = 2**63 - 1  # 19 digits, 9.2e18
FALLBACK_ZONE = "America/Chicago"  # SPEC §2: the zone of a store without a (valid) zone row

# ---------------------------------------------------------------------------------------
# Calibration (counts and shares measured on the real files; docs/generator.md).
# ---------------------------------------------------------------------------------------
# timezones.csv: 13,559 rows, one per store.
ZONE_COUNTS = (
    ("America/New_York", 8191),
    ("America/Los_Angeles", 3224),
    ("America/Chicago", 1517),
    ("America/Phoenix", 418),
    ("America/Denver", 127),
    ("America/Detroit", 62),
    ("America/Indiana/Indianapolis", 15),
    ("America/Edmonton", 2),
    ("Asia/Beirut", 1),
    ("America/Boise", 1),
    ("Pacific/Honolulu", 1),
)
ZONE_NAMES = np.array([name for name, _ in ZONE_COUNTS])
# Of the stores that poll, 5.0 % have no zone row and 18.7 % no hours row (the status
# sample); a store without a zone almost never has hours (25 of 11,116 hours stores).
SHARE_WITHOUT_ZONE = 0.05
SHARE_WITHOUT_HOURS = 0.20
SHARE_WITH_HOURS_AMONG_ZONELESS = 0.05

# Number of open days per store with hours: 1..7 days (150, 4, 31, 44, 391, 1446, 9050).
OPEN_DAYS_COUNTS = (150, 4, 31, 44, 391, 1446, 9050)
# Which day a six-day store closes, Monday..Sunday (519, 174, 68, 36, 30, 34, 585).
CLOSED_DAY_WEIGHTS = np.array([519, 174, 68, 36, 30, 34, 585], dtype=float)
# The only open day of a one-day store, Monday..Sunday (81 Monday, 44 Sunday, ...).
SINGLE_OPEN_DAY_WEIGHTS = np.array([81, 8, 16, 1, 1, 1, 44], dtype=float)

# Store kinds (the day shape most of a store's days have). Real: single 71.5 %, full day
# 13.9 %, late night 12.9 %, lunch/dinner split 1.7 %, tiny placeholder rows 0.2 % of days.
# "overnight" (a row whose end is before its start) never occurs in the real file, which
# writes late closing as a 00:00 row on the next day, but SPEC §3 defines it, so a small
# share of stores uses it.
KIND_SINGLE, KIND_FULL, KIND_LATE, KIND_SPLIT, KIND_OVERNIGHT, KIND_TINY = range(6)
KIND_SHARES = (0.69, 0.139, 0.129, 0.017, 0.02, 0.005)

SINGLE_OPEN = (
    ("11:00", 336),
    ("06:00", 132),
    ("10:00", 120),
    ("07:00", 78),
    ("08:00", 66),
    ("12:00", 42),
    ("10:30", 41),
    ("09:00", 36),
    ("11:30", 36),
    ("16:00", 16),
    ("06:30", 15),
    ("07:30", 12),
    ("17:00", 11),
    ("00:00", 9),
    ("15:00", 7),
    ("08:30", 6),
)
SINGLE_CLOSE = (
    ("22:00", 124),
    ("21:00", 117),
    ("23:00", 92),
    ("23:59:00", 73),
    ("20:00", 71),
    ("21:30", 62),
    ("20:30", 50),
    ("19:00", 43),
    ("23:59:59", 42),
    ("22:30", 36),
    ("23:30", 28),
    ("20:45", 24),
    ("19:30", 23),
    ("21:45", 21),
    ("15:00", 19),
    ("14:00", 17),
    ("18:00", 17),
    ("16:00", 15),
    ("23:45", 13),
    ("17:00", 11),
)
FULL_DAY_END = (("23:59:00", 665), ("23:59:59", 335))
LATE_CONTINUATION_END = (
    ("01:00", 243),
    ("02:00", 214),
    ("03:00", 87),
    ("01:30", 45),
    ("04:00", 43),
    ("02:30", 36),
    ("01:45", 35),
    ("03:30", 29),
    ("00:29", 29),
    ("05:00", 27),
    ("04:45", 23),
    ("06:00", 22),
)
LATE_OPEN = (
    ("11:00", 249),
    ("10:00", 164),
    ("06:00", 102),
    ("07:00", 96),
    ("10:30", 62),
    ("08:00", 51),
    ("17:00", 43),
    ("16:00", 37),
    ("09:30", 32),
    ("09:00", 28),
    ("05:00", 18),
    ("12:00", 16),
)
LATE_EVENING_END = (("23:59:59", 75), ("23:59:00", 22), ("23:00", 3))
SPLIT_LUNCH = (
    ("11:00-15:00", 228),
    ("11:30-14:30", 203),
    ("11:00-11:59", 95),
    ("11:30-15:00", 89),
    ("12:00-14:00", 82),
    ("11:00-14:30", 76),
    ("12:00-15:00", 27),
    ("11:00-15:30", 25),
)
SPLIT_DINNER = (
    ("17:00-23:30", 169),
    ("16:00-21:30", 124),
    ("15:00-20:45", 94),
    ("17:00-21:30", 71),
    ("17:00-22:00", 63),
    ("17:00-21:00", 46),
    ("17:30-21:30", 44),
)
SPLIT_EARLY_END = (("01:00", 1), ("02:00", 2), ("02:30", 1))
OVERNIGHT_START = (("16:00", 1), ("17:00", 2), ("18:00", 2), ("20:00", 1), ("22:00", 1))
OVERNIGHT_END = (("00:30", 1), ("01:00", 2), ("02:00", 3), ("03:00", 2), ("04:00", 1))
TINY_END = (("00:10", 1), ("00:29", 9), ("00:30", 4))

# Minutes after the hour at which a poll lands. Real: median 5.9, p90 23.6, p99 55.6.
# Model: a per-store offset (gamma) + per-poll jitter (exponential), and some late polls.
POLL_OFFSET_GAMMA_SHAPE = 1.3
POLL_OFFSET_GAMMA_SCALE_MINUTES = 4.5
POLL_JITTER_MEAN_MINUTES = 1.0
LATE_POLL_SHARE = 0.12
LATE_POLL_EARLIEST_MINUTES = 6.0

# Poll coverage: the real file has about 1.8 M polls for 14,092 stores over 7.75 days,
# i.e. about 69 % of the hourly slots.
SPARSE_STORE_SHARE = 0.015  # a handful of polls in the whole window
SPARSE_STORE_POLLS = (2, 12)
LATE_ONBOARDED_SHARE = 0.02  # polls start part way through the window
EARLY_STOPPED_SHARE = 0.02  # polls stop part way through the window
DROP_BETA = (1.5, 15.0)  # per-store chance of missing a single poll, mean 0.09
GAP_EPISODES_PER_WEEK_MEAN = 6.5
GAP_LENGTH_MEAN_HOURS = 6.0
GAP_LONG_SHARE = 0.1
GAP_LONG_FACTOR = 4

# Outages (runs of consecutive inactive polls): episodes per week by store profile
# (none / rare / moderate / flaky) and a mixture of episode lengths in hours.
OUTAGE_PROFILE_SHARES = (0.35, 0.45, 0.15, 0.05)
OUTAGE_PROFILE_EPISODES_PER_WEEK = (0.0, 1.5, 6.0, 20.0)
OUTAGE_LENGTH_SHARES = (0.55, 0.25, 0.15, 0.05)
OUTAGE_LENGTH_HOURS = ((1, 1), (2, 4), (5, 12), (13, 72))
# Some stores switch their device off when they close: their polls outside business hours
# are mostly inactive.
CLOSED_INACTIVE_STORE_SHARE = 0.15
CLOSED_INACTIVE_POLL_SHARE = 0.9
WEEK_BIN_SECONDS = 300  # resolution of the business-hours lookup for that rule

_DIGIT_ZERO = ord("0")


# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------
def generate_frames(
    stores: int = DEFAULT_STORES,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    end: str = DEFAULT_END,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (status, hours, timezones) frames of strings, exactly as the files hold them."""
    csv_bytes = generate_csv_bytes(stores=stores, days=days, seed=seed, end=end)

    def frame(kind: str) -> pd.DataFrame:
        return pd.read_csv(io.BytesIO(csv_bytes[kind]), dtype=str, keep_default_na=False)

    return frame("status"), frame("hours"), frame("timezones")


def write_dataset(
    out_dir: str | pathlib.Path,
    stores: int = DEFAULT_STORES,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    compress: bool = False,
    *,
    end: str = DEFAULT_END,
) -> dict[str, pathlib.Path]:
    """Write store_status.csv, menu_hours.csv and timezones.csv (``.csv.gz`` if compress).

    Returns the paths keyed "status", "hours" and "timezones".
    """
    out_path = pathlib.Path(out_dir)
    out_path.mkdir(parents=True, exist_ok=True)
    csv_bytes = generate_csv_bytes(stores=stores, days=days, seed=seed, end=end)
    paths: dict[str, pathlib.Path] = {}
    for kind, text in csv_bytes.items():
        path = out_path / (FILE_NAMES[kind] + (".gz" if compress else ""))
        path.write_bytes(gzip.compress(text, compresslevel=6, mtime=0) if compress else text)
        paths[kind] = path
    return paths


def generate_csv_bytes(
    stores: int = DEFAULT_STORES,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    end: str = DEFAULT_END,
) -> dict[str, bytes]:
    """The three files' contents, keyed "status", "hours" and "timezones"."""
    if stores < 1:
        raise ValueError("stores must be at least 1")
    if days < 1:
        raise ValueError("days must be at least 1")
    rng = np.random.default_rng(seed)
    end_us = _parse_end(end)

    store_ids = _unique_store_ids(rng, stores)
    has_zone, zone_index, has_hours = _store_attributes(rng, stores)
    schedule = _business_hours(rng, np.flatnonzero(has_hours))

    polls = _polls(rng, stores, days, end_us)
    inactive = polls["in_outage"]
    store_zone = np.where(has_zone, ZONE_NAMES[zone_index], FALLBACK_ZONE)
    inactive |= _closed_inactive(rng, schedule, polls, stores, store_zone)
    return _files(
        rng,
        store_ids.astype("S19"),
        schedule=schedule,
        polls=polls,
        inactive=inactive,
        has_zone=has_zone,
        zone_index=zone_index,
    )


def _store_attributes(
    rng: np.random.Generator, stores: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per store: whether it has a zone row, its zone (index into ``ZONE_NAMES``) and
    whether it has hours rows."""
    has_zone = rng.random(stores) >= SHARE_WITHOUT_ZONE
    zone_weights = np.array([count for _, count in ZONE_COUNTS], dtype=float)
    zone_index = rng.choice(len(ZONE_NAMES), size=stores, p=zone_weights / zone_weights.sum())

    hours_share_with_zone = (
        SHARE_WITHOUT_HOURS - SHARE_WITHOUT_ZONE * (1 - SHARE_WITH_HOURS_AMONG_ZONELESS)
    ) / (1 - SHARE_WITHOUT_ZONE)
    has_hours = rng.random(stores) < np.where(
        has_zone, 1 - hours_share_with_zone, SHARE_WITH_HOURS_AMONG_ZONELESS
    )
    return has_zone, zone_index, has_hours


def _files(
    rng: np.random.Generator,
    id_bytes: np.ndarray,
    *,
    schedule: dict[str, np.ndarray],
    polls: dict[str, np.ndarray],
    inactive: np.ndarray,
    has_zone: np.ndarray,
    zone_index: np.ndarray,
) -> dict[str, bytes]:
    """The three CSV texts, each file's rows in a random order."""
    status_order = rng.permutation(polls["store"].size)
    hours_order = rng.permutation(schedule["store"].size)
    zone_stores = np.flatnonzero(has_zone)
    zone_stores = zone_stores[rng.permutation(zone_stores.size)]
    return {
        "status": _status_csv(
            id_bytes[polls["store"][status_order]],
            inactive[status_order],
            polls["time_us"][status_order],
        ),
        "hours": _hours_csv(
            id_bytes[schedule["store"][hours_order]],
            schedule["day"][hours_order],
            schedule["start"][hours_order],
            schedule["end"][hours_order],
        ),
        "timezones": _timezones_csv(
            id_bytes[zone_stores], ZONE_NAMES.astype("S")[zone_index[zone_stores]]
        ),
    }


# ---------------------------------------------------------------------------------------
# Stores
# ---------------------------------------------------------------------------------------
def _parse_end(end: str) -> int:
    text = end.strip()
    if text.endswith(" UTC"):
        text = text[: -len(" UTC")]
    stamp = pd.Timestamp(text)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return int(stamp.to_datetime64().astype("datetime64[us]").astype(np.int64))


def _unique_store_ids(rng: np.random.Generator, count: int) -> np.ndarray:
    """Distinct int64 ids, uniform over [1e14, 2**63): 89 % have 19 digits, like the real."""
    ids = rng.integers(SMALLEST_STORE_ID, LARGEST_STORE_ID, size=count, dtype=np.int64)
    while True:
        _, first_index = np.unique(ids, return_index=True)
        if first_index.size == count:
            return ids
        repeated = np.ones(count, dtype=bool)
        repeated[first_index] = False
        ids[repeated] = rng.integers(
            SMALLEST_STORE_ID, LARGEST_STORE_ID, size=int(repeated.sum()), dtype=np.int64
        )


def _draw_seconds(rng: np.random.Generator, table, size: int) -> np.ndarray:
    """Seconds of day drawn from a (("HH:MM[:SS]", weight), ...) table."""
    seconds = np.array([_time_to_seconds(text) for text, _ in table], dtype=np.int32)
    weights = np.array([weight for _, weight in table], dtype=float)
    return seconds[rng.choice(seconds.size, size=size, p=weights / weights.sum())]


def _draw_ranges(rng: np.random.Generator, table, size: int) -> tuple[np.ndarray, np.ndarray]:
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


def _business_hours(rng: np.random.Generator, hours_stores: np.ndarray) -> dict[str, np.ndarray]:
    """Rows (store, day, start, end) for the given stores; times in seconds of day.

    Each store gets a kind (its day shape) and up to three intervals per weekday in a
    :class:`_WeekGrid`; the draws happen in a fixed order (the same seed, the same bytes).
    """
    count = hours_stores.size
    grid = _WeekGrid.empty(count)
    kind = rng.choice(len(KIND_SHARES), size=count, p=np.array(KIND_SHARES) / sum(KIND_SHARES))
    _single_openings(rng, grid, kind == KIND_SINGLE)
    full = kind == KIND_FULL  # whole days: 00:00:00-23:59:00 or 00:00:00-23:59:59
    grid.ends[full, :, 1] = _draw_seconds(rng, FULL_DAY_END, count)[full, None]
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
    opens = _draw_seconds(rng, SINGLE_OPEN, count)
    closes = _draw_seconds(rng, SINGLE_CLOSE, count)
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
    continuation_end = _draw_seconds(rng, LATE_CONTINUATION_END, count)
    later_weekend_night = rng.random(count) < 0.3
    continuation_by_day = np.where(
        later_weekend_night[:, None] & SATURDAY_SUNDAY[None, :],
        np.minimum(continuation_end + 3600, 6 * 3600)[:, None],
        continuation_end[:, None],
    )
    late_open = _draw_seconds(rng, LATE_OPEN, count)
    continuation_by_day = np.minimum(continuation_by_day, (late_open - 1800)[:, None])
    evening_end = _draw_seconds(rng, LATE_EVENING_END, count)
    grid.ends[late, :, 0] = continuation_by_day[late]
    grid.present[late, :, 0] = True
    grid.starts[late, :, 1] = late_open[late, None]
    grid.ends[late, :, 1] = evening_end[late, None]
    grid.present[late, :, 1] = True


def _split_openings(rng: np.random.Generator, grid: _WeekGrid, split: np.ndarray) -> None:
    """Lunch and dinner; some also have the tail of the previous night (three intervals)."""
    count = split.size
    lunch_start, lunch_end = _draw_ranges(rng, SPLIT_LUNCH, count)
    dinner_start, dinner_end = _draw_ranges(rng, SPLIT_DINNER, count)
    dinner_start = np.maximum(dinner_start, lunch_end + 1800)
    early_end = _draw_seconds(rng, SPLIT_EARLY_END, count)
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
    grid.starts[overnight, :, 1] = _draw_seconds(rng, OVERNIGHT_START, count)[overnight, None]
    grid.ends[overnight, :, 1] = _draw_seconds(rng, OVERNIGHT_END, count)[overnight, None]
    grid.present[overnight, :, 1] = True
    tiny = kind == KIND_TINY
    grid.ends[tiny, :, 1] = _draw_seconds(rng, TINY_END, count)[tiny, None]
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


def _polls(rng: np.random.Generator, stores: int, days: int, end_us: int) -> dict[str, np.ndarray]:
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


def _closed_inactive(
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


# ---------------------------------------------------------------------------------------
# CSV text, built as a byte matrix: one fixed-width row per line, NUL where a field is
# shorter than its column, then the NULs are squeezed out.
# ---------------------------------------------------------------------------------------
def _squeeze(columns: list[np.ndarray], header: str) -> bytes:
    row_count = columns[0].shape[0]
    width = sum(column.shape[1] for column in columns)
    matrix = np.empty((row_count, width), dtype=np.uint8)
    position = 0
    for column in columns:
        matrix[:, position : position + column.shape[1]] = column
        position += column.shape[1]
    flat = matrix.reshape(-1)
    return (header + "\n").encode() + flat[flat != 0].tobytes()


def _bytes_column(values: np.ndarray) -> np.ndarray:
    """(n, itemsize) uint8 view of an ``S`` array (NUL-padded on the right)."""
    return values.view(np.uint8).reshape(values.size, values.dtype.itemsize)


def _literal(text: str, row_count: int) -> np.ndarray:
    return np.broadcast_to(np.frombuffer(text.encode(), dtype=np.uint8), (row_count, len(text)))


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) ASCII digits of non-negative integers, zero-padded on the left."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values.astype(np.int64)[:, None] // powers[None, :] % 10 + _DIGIT_ZERO).astype(np.uint8)


def _two_digit_table() -> np.ndarray:
    """(100, 2) ASCII "00".."99"."""
    return _digits(np.arange(100), 2)


def _micro_digits(micros: np.ndarray) -> np.ndarray:
    """(n, 6) ASCII digits of microseconds 0..999999, by table look-up of digit pairs."""
    pairs = _two_digit_table()
    out = np.empty((micros.size, 6), dtype=np.uint8)
    out[:, 0:2] = pairs[micros // 10_000]
    out[:, 2:4] = pairs[micros // 100 % 100]
    out[:, 4:6] = pairs[micros % 100]
    return out


def _clock_table() -> np.ndarray:
    """(86400, 8) ASCII "HH:MM:SS" for every second of the day."""
    seconds = np.arange(SECONDS_PER_DAY)
    pairs = _two_digit_table()
    table = np.empty((SECONDS_PER_DAY, 8), dtype=np.uint8)
    table[:, 0:2] = pairs[seconds // 3600]
    table[:, 2] = ord(":")
    table[:, 3:5] = pairs[seconds // 60 % 60]
    table[:, 5] = ord(":")
    table[:, 6:8] = pairs[seconds % 60]
    return table


def _clock_columns(seconds: np.ndarray) -> list[np.ndarray]:
    """The HH:MM:SS column for seconds of day."""
    return [_clock_table()[seconds]]


def _status_csv(id_bytes: np.ndarray, inactive: np.ndarray, time_us: np.ndarray) -> bytes:
    row_count = id_bytes.size
    status_text = np.array([b"active", b"inactive"], dtype="S8")
    days_since_epoch, micros_of_day = np.divmod(time_us, SECONDS_PER_DAY * MICROS_PER_SECOND)
    seconds_of_day, micros = np.divmod(micros_of_day, MICROS_PER_SECOND)

    first_day = int(days_since_epoch.min())
    day_count = int(days_since_epoch.max()) - first_day + 1
    day_text = np.datetime_as_string(
        np.arange(first_day, first_day + day_count).astype("datetime64[D]")
    ).astype("S10")
    date_columns = _bytes_column(day_text)[days_since_epoch - first_day]

    # ".ffffff" with the trailing zeros dropped (and no dot at all for a whole second),
    # as the real file's timestamps are written.
    fraction = np.empty((row_count, 7), dtype=np.uint8)
    fraction[:, 0] = ord(".")
    fraction[:, 1:] = _micro_digits(micros)
    significant = np.full(row_count, 6, dtype=np.int64)
    for digit_count in range(6, 0, -1):
        trailing_zero = (micros % 10 ** (7 - digit_count) == 0) & (significant == digit_count)
        significant[trailing_zero] = digit_count - 1
    fraction[np.arange(7)[None, :] > significant[:, None]] = 0
    fraction[significant == 0, 0] = 0

    columns = [
        _bytes_column(id_bytes),
        _literal(",", row_count),
        _bytes_column(status_text)[inactive.astype(np.int64)],
        _literal(",", row_count),
        date_columns,
        _literal(" ", row_count),
        *_clock_columns(seconds_of_day),
        fraction,
        _literal(" UTC\n", row_count),
    ]
    return _squeeze(columns, STATUS_HEADER)


def _hours_csv(id_bytes: np.ndarray, day: np.ndarray, start: np.ndarray, end: np.ndarray) -> bytes:
    row_count = id_bytes.size
    if row_count == 0:
        return (HOURS_HEADER + "\n").encode()
    columns = [
        _bytes_column(id_bytes),
        _literal(",", row_count),
        _digits(day, 1),
        _literal(",", row_count),
        *_clock_columns(start),
        _literal(",", row_count),
        *_clock_columns(end),
        _literal("\n", row_count),
    ]
    return _squeeze(columns, HOURS_HEADER)


def _timezones_csv(id_bytes: np.ndarray, zone_bytes: np.ndarray) -> bytes:
    row_count = id_bytes.size
    if row_count == 0:
        return (TIMEZONES_HEADER + "\n").encode()
    columns = [
        _bytes_column(id_bytes),
        _literal(",", row_count),
        _bytes_column(zone_bytes),
        _literal("\n", row_count),
    ]
    return _squeeze(columns, TIMEZONES_HEADER)
