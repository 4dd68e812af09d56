"""Time as int64 *ticks* of half a microsecond, and instants printed as ISO 8601 text.

Polls have microsecond precision, so the midpoint of two polls (where the interpolated
status changes, SPEC §4) is an exact whole number of half-microsecond ticks. Every instant
inside the engine is a tick count since 1970-01-01 00:00 UTC (int64); every duration is a
tick count too.

Printing rule: a tick count that falls on half a microsecond (an odd count, only possible
for a midpoint) is printed rounded half to even on the microsecond since the epoch
(``...00.5 µs`` prints as ``...00``, ``...01.5 µs`` as ``...02``), the rule of Python's
``datetime(1970, 1, 1) + timedelta(microseconds=x)`` for a fractional ``x``.
"""

from __future__ import annotations

import numpy as np

from storemon.clock import tz

TICKS_PER_US = 2
TICKS_PER_SECOND = 1_000_000 * TICKS_PER_US
TICKS_PER_MINUTE = 60 * TICKS_PER_SECOND
TICKS_PER_HOUR = 3600 * TICKS_PER_SECOND
US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND


def ticks_to_us(ticks: np.ndarray) -> np.ndarray:
    """Whole microseconds (int64) of tick counts, a half microsecond rounded half to even."""
    ticks = np.asarray(ticks, dtype=np.int64)
    return (ticks + (ticks // 2) % 2) // 2


def iso_utc(micros: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (object array) of microseconds since the epoch."""
    text = np.datetime_as_string(np.asarray(micros, dtype=np.int64).astype("datetime64[us]"))
    return np.char.add(text, "Z").astype(object)


def iso_local(micros: np.ndarray, zone_index: np.ndarray, zone_names: list[str]) -> np.ndarray:
    """The same instants as local ISO 8601 text with their offset (object array).

    ``zone_index`` (int64, one per instant) indexes ``zone_names``. Example:
    ``2023-01-23T10:45:00.000000-06:00``; an offset with seconds (old local mean times)
    prints as ``+HH:MM:SS``. Zone work is done once per zone (:mod:`storemon.clock.tz`).
    """
    micros = np.asarray(micros, dtype=np.int64)
    if len(micros) == 0:
        return np.zeros(0, dtype=object)
    offset_s = tz.utc_offsets(zone_index, np.floor_divide(micros, US_PER_SECOND), zone_names)
    wall = np.datetime_as_string((micros + offset_s * US_PER_SECOND).astype("datetime64[us]"))
    distinct, which = np.unique(offset_s, return_inverse=True)
    suffix = np.array([_offset_text(int(seconds)) for seconds in distinct])[which.ravel()]
    return np.char.add(wall, suffix).astype(object)


def _offset_text(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")
