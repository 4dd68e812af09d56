"""The generator's constants: defaults, the files' layout, and the calibration (counts and
shares measured on the real Loop files; docs/generator.md)."""

from __future__ import annotations

import numpy as np

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
