"""Instants as text: the one ISO 8601 form storemon writes, and a request's normal form.

Every instant storemon writes (a report's ``now``, first and last polls, incidents, business
intervals, the page's week, record and file times) is UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``:
six fraction digits always, then ``Z``. :func:`utc_text` writes one instant (µs since the
epoch, or a datetime), :func:`utc_texts` an array of them (NumPy, the same text), and
:func:`local_texts` the same instants in their store's zone, with the offset. A request's
``as_of`` is kept in :func:`request_text`'s form (``YYYY-MM-DD HH:MM:SS.ffffff``, UTC), the
normal form of :func:`storemon.clock.timestamps.normalize`.

NumPy is imported only by the array functions: the trigger's cold start imports this module.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

US_PER_SECOND = 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc_text(moment: int | datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` of µs since the epoch or of a datetime (naive: UTC).
    Instants outside the years 1-9999 are written as :func:`utc_texts` writes them."""
    if isinstance(moment, datetime):
        at = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    else:
        try:
            at = _EPOCH + timedelta(microseconds=int(moment))
        except OverflowError:
            import numpy as np

            return str(utc_texts(np.array([int(moment)]))[0])
    return f"{_date_and_time(at, 'T')}Z"


def request_text(micros: int) -> str:
    """µs since the epoch as UTC ``YYYY-MM-DD HH:MM:SS.ffffff`` (a request's ``as_of`` as the
    engine reads it); ValueError outside the years 0001-9999."""
    try:
        at = _EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        raise ValueError("the timestamp is outside the years 0001-9999") from None
    return _date_and_time(at, " ")


def _date_and_time(at: datetime, separator: str) -> str:
    return (
        f"{at.year:04d}-{at.month:02d}-{at.day:02d}{separator}"
        f"{at.hour:02d}:{at.minute:02d}:{at.second:02d}.{at.microsecond:06d}"
    )


def utc_texts(micros: np.ndarray) -> np.ndarray:
    """:func:`utc_text` of each µs since the epoch (object array of str)."""
    import numpy as np

    text = np.datetime_as_string(np.asarray(micros, dtype=np.int64).astype("datetime64[us]"))
    return np.char.add(text, "Z").astype(object)


def local_texts(micros: np.ndarray, zone_index: np.ndarray, zone_names: list[str]) -> np.ndarray:
    """The same instants as local ISO 8601 text with their offset (object array).

    ``zone_index`` (int64, one per instant) indexes ``zone_names``. Example:
    ``2023-01-23T10:45:00.000000-06:00``; an offset with seconds (old local mean times)
    prints as ``+HH:MM:SS``. Zone work is done once per zone (:mod:`storemon.clock.tz`).
    """
    import numpy as np

    from storemon.clock import tz

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
