"""Vectorised parsing of the text fields of the inputs (timestamps, times of day, statuses).

Every parser here works on a byte matrix: one row per value, left-aligned, zero-padded
(``uint8[N, W]``) plus the length of each value. Building that matrix is cheap with NumPy
(``astype("S{W}")`` for strings, or unaligned word gathers straight from a file buffer in
:mod:`storemon.inputs.status_reader`), and parsing it is plain integer arithmetic on columns:
no Python loop over rows, no ``datetime`` objects.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

US_PER_SECOND = 1_000_000
SECONDS_PER_DAY = 86_400

# Wide enough for the longest accepted timestamp ("YYYY-MM-DDTHH:MM:SS.ffffff UTC" is 30,
# "... +HH:MM" 33); anything longer is invalid anyway.
TIMESTAMP_WIDTH = 40

_DIGIT0 = ord("0")


def byte_matrix(values: pd.Series, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Strip ``values`` and lay them out as a zero-padded ``uint8[N, width]`` matrix.

    Returns ``(matrix, lengths, fits)``; ``fits`` is False for values that are missing,
    not ASCII, or longer than ``width`` (their matrix row is empty).
    """
    text = values.astype("str").str.strip()
    lengths = text.str.len().to_numpy(dtype=np.int64, na_value=0)
    fits = (lengths <= width) & text.str.isascii().to_numpy(dtype=bool, na_value=False)
    usable = text.where(fits, "").to_numpy(dtype=object)
    matrix = usable.astype(f"S{width}").view(np.uint8).reshape(len(usable), width)
    return matrix, np.where(fits, lengths, 0), fits


def _digits(matrix: np.ndarray, columns: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Decimal value of the given columns and whether all of them are digits."""
    block = matrix[:, columns].astype(np.int64) - _DIGIT0
    ok = np.asarray(((block >= 0) & (block <= 9)).all(axis=1))
    value: np.ndarray = np.zeros(len(matrix), dtype=np.int64)
    for column in range(block.shape[1]):
        value = value * 10 + block[:, column]
    return value, ok


def _at(matrix: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Byte at a per-row position (0 where the position is past the matrix width)."""
    rows = np.arange(len(matrix))
    inside = positions < matrix.shape[1]
    return np.where(inside, matrix[rows, np.minimum(positions, matrix.shape[1] - 1)], 0)


def _upper(byte: np.ndarray) -> np.ndarray:
    return np.where((byte >= ord("a")) & (byte <= ord("z")), byte - 32, byte)


def days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y = year - (month <= 2)
    era = np.floor_divide(y, 400)
    year_of_era = y - era * 400
    shifted_month = (month + 9) % 12
    day_of_year = (153 * shifted_month + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


@lru_cache(maxsize=1)
def _month_tables() -> tuple[np.ndarray, np.ndarray]:
    """Days since the epoch of the 1st of each month, and each month's length, for the years
    0-9999, indexed by ``year * 12 + month - 1``."""
    year = np.repeat(np.arange(10_000, dtype=np.int64), 12)
    month = np.tile(np.arange(1, 13, dtype=np.int64), 10_000)
    first = days_from_civil(year, month, np.ones_like(year))
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    lengths = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    return first, lengths[month - 1] + ((month == 2) & leap)


def _date_days(year: np.ndarray, month: np.ndarray, day: np.ndarray):
    """(days since the epoch, whether the date exists) for 4-digit years."""
    first, lengths = _month_tables()
    month_ok = (month >= 1) & (month <= 12) & (year >= 1) & (year <= 9999)
    index = np.clip(year, 0, 9999) * 12 + np.clip(month, 1, 12) - 1
    exists = month_ok & (day >= 1) & (day <= lengths[index])
    return first[index] + day - 1, exists


def _pad(matrix: np.ndarray, width: int) -> np.ndarray:
    if matrix.shape[1] >= width:
        return np.ascontiguousarray(matrix)
    return np.pad(matrix, ((0, 0), (0, width - matrix.shape[1])))


WORDS = TIMESTAMP_WIDTH // 8


def parse_timestamps(matrix: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parse timestamps into microseconds since the epoch (UTC).

    Accepted (SPEC §1): ``YYYY-MM-DD HH:MM:SS`` or with ``T``; 1–6 fraction digits after a
    dot; then nothing (UTC), ``UTC`` or ``Z`` (optionally after one space, any case), or a
    numeric offset ``±HH``, ``±HHMM``, ``±HH:MM`` (converted to UTC). Returns
    ``(microseconds, valid)``; invalid rows hold 0.
    """
    if len(matrix) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    words = _pad(matrix, TIMESTAMP_WIDTH)[:, :TIMESTAMP_WIDTH].copy().view("<u8")
    return parse_timestamp_words([words[:, k] for k in range(WORDS)], lengths)


def parse_timestamp_words(
    words: list[np.ndarray], lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`parse_timestamps` on the values' bytes given as ``WORDS`` little-endian uint64
    arrays (bytes 0-7, 8-15, ...; zero past each value's end).

    The real data's form (``2023-01-22 12:09:39.388884 UTC``, any number of fraction digits,
    with or without `` UTC``) is parsed by arithmetic on bytes shifted out of the words, each
    step a one-dimensional array of one value per row (small temporaries that the allocator
    reuses); only the other rows are laid out as a byte matrix for the general grammar.
    """
    micros, valid = _parse_canonical(words, lengths)
    other = np.flatnonzero(~valid)
    if len(other):
        matrix = np.stack([word[other] for word in words], axis=1).view(np.uint8)
        micros[other], valid[other] = _parse_general(matrix, lengths[other])
    return micros, valid


def _word_masks(template: str) -> list[tuple[int, int, int]]:
    """Per 8-character word of ``template`` ('d' = a digit, anything else = that character):
    (digit byte mask, literal byte mask, literal bytes)."""
    masks = []
    for k in range(0, len(template), 8):
        digit = literal = value = 0
        for i, char in enumerate(template[k : k + 8]):
            if char == "d":
                digit |= 0xFF << (8 * i)
            else:
                literal |= 0xFF << (8 * i)
                value |= ord(char) << (8 * i)
        masks.append((digit, literal, value))
    return masks


_CANONICAL = _word_masks("dddd-dd-dd dd:dd:dd")  # bytes 0-18 of the real data's form
_NIBBLE_HIGH = 0xF0F0F0F0F0F0F0F0
ASCII_ZEROS = 0x3030303030303030  # '0' in every byte
_ASCII_SIX = 0x0606060606060606
ALL_BYTES = 0xFFFFFFFFFFFFFFFF
LOW_BYTES = np.array([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)  # n low bytes
_U64 = np.uint64


def digits_in_place(word: np.ndarray, digit_mask: int) -> tuple[np.ndarray, np.ndarray]:
    """(the word with '0' subtracted from its digit bytes, whether those bytes are digits)."""
    masked = word & _U64(digit_mask)
    high, zeros = _U64(digit_mask & _NIBBLE_HIGH), _U64(digit_mask & ASCII_ZEROS)
    ok = ((masked & high) == zeros) & (((masked + _U64(digit_mask & _ASCII_SIX)) & high) == zeros)
    return masked - zeros, ok


def swar_eight_digits(word: np.ndarray) -> np.ndarray:
    """Value of 8 ASCII digits in a little-endian word (first character most significant)."""
    x = word - _U64(ASCII_ZEROS)
    x = (x * _U64(10) + (x >> _U64(8))) & _U64(0x00FF00FF00FF00FF)
    x = (x * _U64(100) + (x >> _U64(16))) & _U64(0x0000FFFF0000FFFF)
    return (x * _U64(10_000) + (x >> _U64(32))) & _U64(0xFFFFFFFF)


def _pair(pairs: np.ndarray, first_byte: int) -> np.ndarray:
    return ((pairs >> _U64(8 * first_byte)) & _U64(0xFF)).astype(np.int64)


def _parse_canonical(words: list[np.ndarray], lengths: np.ndarray):
    """``YYYY-MM-DD HH:MM:SS[.f{1,6}][ UTC]`` by SWAR arithmetic on whole words."""
    valid = lengths >= 19
    pairs = []
    for k, (digit_mask, literal_mask, literal) in enumerate(_CANONICAL):
        word = words[k]
        valid &= (word & _U64(literal_mask)) == _U64(literal)
        x, ok = digits_in_place(word, digit_mask)
        valid &= ok
        # each byte i becomes 10 * digit_i + digit_{i+1}: two-digit numbers in place
        pairs.append(x * _U64(10) + (x >> _U64(8)))
    year = _pair(pairs[0], 0) * 100 + _pair(pairs[0], 2)
    days, exists = _date_days(year, _pair(pairs[0], 5), _pair(pairs[1], 0))
    hour, minute, second = _pair(pairs[1], 3), _pair(pairs[1], 6), _pair(pairs[2], 1)
    valid &= exists & (hour <= 23) & (minute <= 59) & (second <= 59)

    # " UTC" in the last four bytes, which start 0-10 bytes into word 2
    start = np.clip(lengths - 20, 0, 10).astype(np.uint64)
    in_word2 = start < _U64(8)
    window = np.where(in_word2, words[2], words[3]) >> (
        _U64(8) * np.where(in_word2, start, start - _U64(8))
    )
    spill = words[3] << (_U64(64) - _U64(8) * np.clip(start, 1, 7))  # from word 3
    window |= np.where(in_word2 & (start > _U64(0)), spill, _U64(0))
    has_utc = (lengths >= 23) & ((window & _U64(0xFFFFFFFF)) == _U64(_UTC_WORD))
    body = lengths - 4 * has_utc
    fraction_digits = np.clip(body - 20, 0, 6)
    has_fraction = body > 19
    # bytes 20-27: the fraction digits, then '0's in place of whatever follows them
    fraction = (words[2] >> _U64(32)) | (words[3] << _U64(32))
    kept = LOW_BYTES[fraction_digits]
    fraction = (fraction & kept) | (_U64(ASCII_ZEROS) & ~kept)
    _, fraction_ok = digits_in_place(fraction, ALL_BYTES)
    fraction_ok &= (
        (((words[2] >> _U64(24)) & _U64(0xFF)) == _U64(ord(".")))
        & (body - 20 >= 1)
        & (body - 20 <= 6)
    )
    valid &= ~has_fraction | fraction_ok
    fraction_us = (swar_eight_digits(fraction) // _U64(100)).astype(np.int64)
    seconds = days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second
    micros = seconds * US_PER_SECOND + np.where(has_fraction & fraction_ok, fraction_us, 0)
    return np.where(valid, micros, 0), valid


_UTC_WORD = int.from_bytes(b" UTC", "little")


def _parse_general(matrix: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every accepted form (see :func:`parse_timestamps`), one column at a time."""
    seconds, valid = _date_and_time(matrix, lengths)
    fraction_us, fraction_end, fraction_ok = _fraction(matrix, lengths)
    offset_seconds, suffix_ok = _suffix(matrix, lengths, fraction_end)
    valid &= fraction_ok & suffix_ok
    micros = (seconds - offset_seconds) * US_PER_SECOND + fraction_us
    return np.where(valid, micros, 0), valid


def _date_and_time(matrix: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seconds since the epoch of the ``YYYY-MM-DD[ T]HH:MM:SS`` in columns 0-18 (taken as
    UTC), and whether those columns hold an existing date and a valid time."""
    year, ok_y = _digits(matrix, [0, 1, 2, 3])
    month, ok_mo = _digits(matrix, [5, 6])
    day, ok_d = _digits(matrix, [8, 9])
    hour, ok_h = _digits(matrix, [11, 12])
    minute, ok_mi = _digits(matrix, [14, 15])
    second, ok_s = _digits(matrix, [17, 18])
    separator = _upper(matrix[:, 10])
    valid = (
        (lengths >= 19)
        & ok_y
        & ok_mo
        & ok_d
        & ok_h
        & ok_mi
        & ok_s
        & (matrix[:, 4] == ord("-"))
        & (matrix[:, 7] == ord("-"))
        & ((separator == ord(" ")) | (separator == ord("T")))
        & (matrix[:, 13] == ord(":"))
        & (matrix[:, 16] == ord(":"))
        & (hour <= 23)
        & (minute <= 59)
        & (second <= 59)
    )
    days, exists = _date_days(year, month, day)
    seconds = days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second
    return seconds, valid & exists


def _fraction(matrix: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A dot at column 19 followed by 1-6 digits: (microseconds, the column after the
    fraction, or 19 without a dot; whether the fraction is valid or absent)."""
    n = len(matrix)
    fraction_digits = np.zeros(n, dtype=np.int64)
    has_dot = (lengths > 19) & (matrix[:, 19] == ord("."))
    counting = has_dot.copy()
    fraction: np.ndarray = np.zeros(n, dtype=np.int64)
    for k in range(7):
        byte = matrix[:, 20 + k].astype(np.int64)
        is_digit = counting & (byte >= _DIGIT0) & (byte <= _DIGIT0 + 9) & (20 + k < lengths)
        if k < 6:
            fraction = np.where(is_digit, fraction * 10 + (byte - _DIGIT0), fraction)
        fraction_digits += is_digit
        counting &= is_digit
    ok = ~has_dot | ((fraction_digits >= 1) & (fraction_digits <= 6))
    scale = 10 ** (6 - np.minimum(fraction_digits, 6))
    fraction_us = np.where(has_dot, fraction * scale, 0)
    return fraction_us, 19 + has_dot * (1 + fraction_digits), ok


def _suffix(
    matrix: np.ndarray, lengths: np.ndarray, suffix_start: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """What follows the seconds (and fraction): nothing, ``UTC`` or ``Z`` (after at most one
    space, any case) or a numeric offset. Returns (offset east of UTC in seconds, valid)."""
    space = _at(matrix, suffix_start) == ord(" ")
    q = suffix_start + space
    remaining = lengths - q
    first = _upper(_at(matrix, q))
    no_suffix = remaining == 0
    is_utc = (
        (remaining == 3)
        & (first == ord("U"))
        & (_upper(_at(matrix, q + 1)) == ord("T"))
        & (_upper(_at(matrix, q + 2)) == ord("C"))
    )
    is_z = (remaining == 1) & (first == ord("Z"))
    offset_seconds, offset_ok = _numeric_offset(matrix, q, remaining, first)
    valid = (no_suffix & ~space) | is_utc | is_z | offset_ok
    return offset_seconds, valid


def _numeric_offset(
    matrix: np.ndarray, q: np.ndarray, remaining: np.ndarray, first: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``±HH``, ``±HHMM`` or ``±HH:MM`` starting at column ``q`` (``remaining`` bytes
    long): (signed offset in seconds, 0 where invalid; valid)."""

    def digit_at(pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b = _at(matrix, pos).astype(np.int64) - _DIGIT0
        return b, (b >= 0) & (b <= 9)

    sign = np.where(first == ord("-"), -1, 1)
    is_signed = (first == ord("+")) | (first == ord("-"))
    h1, okh1 = digit_at(q + 1)
    h2, okh2 = digit_at(q + 2)
    colon = _at(matrix, q + 3) == ord(":")
    minute_pos = np.where(colon, q + 4, q + 3)
    m1, okm1 = digit_at(minute_pos)
    m2, okm2 = digit_at(minute_pos + 1)
    offset_hours = h1 * 10 + h2
    offset_minutes = np.where(remaining == 3, 0, m1 * 10 + m2)
    offset_ok = (
        is_signed
        & okh1
        & okh2
        & (
            (remaining == 3)
            | ((remaining == 5) & ~colon & okm1 & okm2)
            | ((remaining == 6) & colon & okm1 & okm2)
        )
        & (offset_hours <= 23)
        & (offset_minutes <= 59)
    )
    offset = np.where(offset_ok, sign * (offset_hours * 3600 + offset_minutes * 60), 0)
    return offset, offset_ok


_ACTIVE_WORD = np.frombuffer(b"active  ", dtype="<u8")[0]
_INACTIVE_WORD = np.frombuffer(b"inactive", dtype="<u8")[0]
_LOWER = np.uint64(0x2020202020202020)


def status_codes(matrix: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``active`` / ``inactive`` in any case (already stripped). Returns (is_active, valid).

    Each value's 8 bytes are compared as one word; OR-ing 0x20 into every byte folds case
    (and the zero padding into spaces), which is exact for words made of letters only.
    """
    words = np.ascontiguousarray(_pad(matrix, 8)[:, :8]).view("<u8").ravel() | _LOWER
    is_active = (lengths == 6) & (words == _ACTIVE_WORD)
    is_inactive = (lengths == 8) & (words == _INACTIVE_WORD)
    return is_active, is_active | is_inactive


# ----------------------------------------------------------- the common form, unmasked words
def _strict_words(template: str) -> tuple[list[int], list[int]]:
    """Per 8-character word of ``template``: the bytes to XOR (``'0'`` for a digit, else the
    character) and the bytes to add before testing the high bits (``0x76`` for a digit: a
    byte XOR ``'0'`` is a digit exactly when it is at most 9; ``0x7F`` for a character: the
    byte must XOR to 0); bytes past the template are 0 in both."""
    xors, adds = [], []
    for k in range(0, 24, 8):
        xor = add = 0
        for i, char in enumerate(template[k : k + 8]):
            xor |= (ord("0") if char == "d" else ord(char)) << (8 * i)
            add |= (0x76 if char == "d" else 0x7F) << (8 * i)
        xors.append(xor)
        adds.append(add)
    return xors, adds


_STRICT_XOR, _STRICT_ADD = _strict_words("dddd-dd-dd dd:dd:dd")
_HIGH_BITS = 0x8080808080808080
_DIGITS_ADD = 0x7676767676767676
# bytes 3 (hour) and 6 (minute) of the second word's digit pairs, and what takes each over 127
# when it is out of range (hour > 23, minute > 59)
_CLOCK_BYTES = (0xFF << 24) | (0xFF << 48)
_CLOCK_ADD = ((128 - 24) << 24) | ((128 - 60) << 48)
_UTC_TAIL = int.from_bytes(b" UTC", "little")
_LAST_MONTH = 10_000 * 12 - 1


def _fraction_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indexed by the value's length without " UTC" minus 19 (capped at 8): whether that
    length is one of the form's (19, or 21-26: a dot and 1-6 digits), which bytes of the
    fraction word are digits of the value (bytes 2-7 hold fraction digits 1-6), and '0'
    in the other bytes."""
    ok = np.zeros(9, dtype=bool)
    keep = np.zeros(9, dtype=np.uint64)
    fill = np.full(9, ASCII_ZEROS, dtype=np.uint64)
    ok[0] = True
    for form in range(2, 8):
        ok[form] = True
        mask = ((1 << (8 * (form + 1))) - 1) & ~0xFFFF  # bytes 2 .. form
        keep[form], fill[form] = mask, ASCII_ZEROS & ~mask
    return ok, keep, fill


_FORM_OK, _FRACTION_KEEP, _FRACTION_FILL = _fraction_tables()


def parse_common_timestamps(
    words: list[np.ndarray], tail: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The real data's form only, ``YYYY-MM-DD HH:MM:SS[.f{1,6}][ UTC]``, from the value's
    bytes 0-31 as four little-endian uint64 words that need not be zero past the value's
    end, and its last four bytes as a uint32 (``tail``).

    Returns ``(microseconds, ok)``. ``ok`` is True only for values of this form, and then
    the microseconds are exactly :func:`parse_timestamp_words`'s; any other value (valid in
    the full grammar or not) has ``ok`` False, for the caller to parse in full. No byte past
    a value's length decides anything.
    """
    t0 = words[0] ^ _U64(_STRICT_XOR[0])
    t1 = words[1] ^ _U64(_STRICT_XOR[1])
    t2 = (words[2] & _U64(0xFFFFFF)) ^ _U64(_STRICT_XOR[2])
    bad = (t0 + _U64(_STRICT_ADD[0])) | t0 | (t1 + _U64(_STRICT_ADD[1])) | t1
    bad |= (t2 + _U64(_STRICT_ADD[2])) | t2
    ok = (bad & _U64(_HIGH_BITS)) == _U64(0)
    # digit pairs in place: byte i becomes 10 * digit_i + digit_{i+1}
    p0 = t0 * _U64(10) + (t0 >> _U64(8))
    p1 = t1 * _U64(10) + (t1 >> _U64(8))
    ok &= ((p1 & _U64(_CLOCK_BYTES)) + _U64(_CLOCK_ADD)) & _U64(_HIGH_BITS) == _U64(0)
    second = ((t2 >> _U64(8)) & _U64(0xFF)) * _U64(10) + (t2 >> _U64(16))
    ok &= second < _U64(60)
    days, date_ok = _common_date(p0, p1 & _U64(0xFF))
    ok &= date_ok
    fraction, fraction_ok = _common_fraction(words[2], words[3], tail, lengths)
    ok &= fraction_ok
    clock = ((p1 >> _U64(24)) & _U64(0xFF)) * _U64(3600)
    clock += ((p1 >> _U64(48)) & _U64(0xFF)) * _U64(60) + second
    micros = (days * _U64(SECONDS_PER_DAY) + clock) * _U64(US_PER_SECOND) + fraction
    return np.where(ok, micros.view(np.int64), 0), ok


def _common_date(pairs: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Days since the epoch (uint64) of year (bytes 0 and 2) and month (byte 5) of the first
    word's digit pairs and ``day``, and whether that date exists (years 1-9999)."""
    first, lengths = _month_tables()
    year = (pairs & _U64(0xFF)) * _U64(100) + ((pairs >> _U64(16)) & _U64(0xFF))
    month_index = ((pairs >> _U64(40)) & _U64(0xFF)) - _U64(1)  # wraps when the month is 0
    ok = (month_index < _U64(12)) & (year > _U64(0))
    index = np.minimum(year * _U64(12) + month_index, _U64(_LAST_MONTH)).view(np.int64)
    ok &= (day - _U64(1)) < lengths[index].view(np.uint64)  # wraps when the day is 0
    return first[index].view(np.uint64) + day - _U64(1), ok


def _common_fraction(
    word2: np.ndarray, word3: np.ndarray, tail: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(microseconds of the fraction, uint64; whether the value's end is of the form):
    nothing, " UTC", a dot and 1-6 digits, or both, after the seconds."""
    has_utc = (tail == np.uint32(_UTC_TAIL)) & (lengths >= 23)
    form = np.minimum((lengths - 19 - 4 * has_utc).view(np.uint64), _U64(8)).view(np.int64)
    dot = ((word2 >> _U64(24)) & _U64(0xFF)) == _U64(ord("."))
    ok = _FORM_OK[form] & (dot | (form == 0))
    # bytes 20-25 of the value (fraction digits 1-6) moved to bytes 2-7
    digits = ((word2 >> _U64(16)) & _U64(0xFFFFFFFFFFFF0000)) | (word3 << _U64(48))
    digits = ((digits & _FRACTION_KEEP[form]) | _FRACTION_FILL[form]) ^ _U64(ASCII_ZEROS)
    ok &= ((digits + _U64(_DIGITS_ADD)) | digits) & _U64(_HIGH_BITS) == _U64(0)
    x = (digits * _U64(10) + (digits >> _U64(8))) & _U64(0x00FF00FF00FF00FF)
    x = (x * _U64(100) + (x >> _U64(16))) & _U64(0x0000FFFF0000FFFF)
    return (x * _U64(10_000) + (x >> _U64(32))) & _U64(0xFFFFFFFF), ok


_ACTIVE_SIX = int.from_bytes(b"active", "little")


def status_words(word: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`status_codes` on each value's first 8 bytes as a uint64 that need not be zero
    past the value's end. Returns (is_active, valid)."""
    folded = word | _LOWER
    is_active = (lengths == 6) & ((folded & _U64((1 << 48) - 1)) == _U64(_ACTIVE_SIX))
    is_inactive = (lengths == 8) & (folded == _INACTIVE_WORD)
    return is_active, is_active | is_inactive
