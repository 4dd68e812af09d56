"""Time as int64 *ticks* of half a microsecond.

Polls have microsecond precision, so the midpoint of two polls (where the interpolated
status changes, SPEC §4) is an exact whole number of half-microsecond ticks. Every instant
inside the engine is a tick count since 1970-01-01 00:00 UTC (int64); every duration is a
tick count too.

Printing rule (:func:`ticks_to_us`, then :mod:`storemon.clock.iso`): a tick count that falls
on half a microsecond (an odd count, only possible for a midpoint) is printed rounded half to
even on the microsecond since the epoch (``...00.5 µs`` prints as ``...00``, ``...01.5 µs``
as ``...02``), the rule of Python's ``datetime(1970, 1, 1) + timedelta(microseconds=x)`` for a
fractional ``x``.
"""

from __future__ import annotations

import numpy as np

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
