"""The three files' text, built as a byte matrix: one fixed-width row per line, NUL where a
field is shorter than its column, then the NULs are squeezed out."""

from __future__ import annotations

import numpy as np

from storemon_dev.generate.calibration import (
    HOURS_HEADER,
    MICROS_PER_SECOND,
    SECONDS_PER_DAY,
    STATUS_HEADER,
    TIMEZONES_HEADER,
)

_DIGIT_ZERO = ord("0")


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


def status_csv(id_bytes: np.ndarray, inactive: np.ndarray, time_us: np.ndarray) -> bytes:
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


def hours_csv(id_bytes: np.ndarray, day: np.ndarray, start: np.ndarray, end: np.ndarray) -> bytes:
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


def timezones_csv(id_bytes: np.ndarray, zone_bytes: np.ndarray) -> bytes:
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
