"""The status file read straight from its bytes with NumPy, for the common case.

``pandas.read_csv(dtype=str)`` spends most of its time creating a Python string per field.
The status file is simple (three short unquoted fields per line), so when the file is ASCII
with no quote character and the canonical header, we find the newlines and commas with one
vectorised scan each and gather every field's bytes with unaligned 8-byte loads into a byte
matrix that :mod:`storemon.textparse` parses. Lines that do not have exactly three fields go
through the general path (:func:`inputs.read_input` + :func:`inputs.parse_status`), as does any
file the fast path does not cover, so both paths apply exactly the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from storemon import inputs, textparse
from storemon.limits import DEFAULT as DEFAULT_LIMITS
from storemon.limits import Limits

_WHITESPACE = np.zeros(256, dtype=bool)
_WHITESPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True  # what str.strip() removes
_HEADER = ["store_id", "status", "timestamp_utc"]
_MAX_ID_DIGITS = 19  # every such decimal fits in uint64


def read_status(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> inputs.Polls:
    """Valid polls of a status file's bytes (plain or gzip), with the skip counts."""
    text = inputs.prepare_text(data, name, limits)
    header_end = text.find(b"\n")
    header = text[: header_end if header_end >= 0 else len(text)].rstrip(b"\r")
    simple = (
        header_end >= 0
        and text.isascii()
        and b'"' not in text
        and b"\0" not in text
        and [h.strip().lower() for h in header.decode().split(",")] == _HEADER
    )
    if not simple:
        return _general(text, name, limits)
    return _fast(text, header_end, header, name, limits)


def _general(text: bytes, name: str, limits: Limits) -> inputs.Polls:
    return inputs.parse_status(inputs.read_text(text, "status", name, limits))


class _Fields:
    """Byte access to a file buffer: single bytes and 8-byte words at any offset.

    Nothing here copies the file or makes a temporary the size of the file: the scans go
    chunk by chunk and every other array has one value per row. (Arrays above glibc's mmap
    threshold are page-faulted in afresh at every allocation, which in a fresh process cost
    more than the arithmetic.)
    """

    CHUNK = 1 << 22

    def __init__(self, text: bytes):
        if len(text) < 16:
            text = text + b"\0" * 16  # tiny files: room for one whole word
        self.size = len(text)
        self.bytes = np.frombuffer(text, dtype=np.uint8)
        self.last_word = self.size - 8
        self.words: np.ndarray = np.ndarray(
            shape=(self.size - 7,), dtype="<u8", buffer=text, strides=(1,)
        )

    def positions(self, char: int, start: int, end: int) -> np.ndarray:
        """Offsets of every ``char`` byte in [start, end), scanning chunk by chunk."""
        found = [
            np.flatnonzero(self.bytes[a : min(a + self.CHUNK, end)] == char) + a
            for a in range(start, end, self.CHUNK)
        ]
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)

    def byte_at(self, offset: np.ndarray) -> np.ndarray:
        if len(offset) and offset.max() >= self.size:  # only a field at the very end
            offset = np.minimum(offset, self.size - 1)
        return self.bytes[offset]

    def word_at(self, offset: np.ndarray) -> np.ndarray:
        """The 8 bytes from each offset, zero past the end of the buffer."""
        if not len(offset) or offset.max() <= self.last_word:
            return self.words[offset]
        clamped = np.minimum(offset, self.last_word)
        word = self.words[clamped]
        past = offset - clamped  # bytes of this word beyond the buffer's last word start
        if past.any():
            shifted = word >> (8 * np.minimum(past, 7)).astype(np.uint64)
            word = np.where(past >= 8, np.uint64(0), np.where(past > 0, shifted, word))
        return word

    def trim(self, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Move ``start`` / ``end`` past leading and trailing whitespace."""
        start, end = start.copy(), end.copy()
        while True:
            move = (start < end) & _WHITESPACE[self.byte_at(start)]
            if not move.any():
                break
            start += move
        while True:
            move = (end > start) & _WHITESPACE[self.byte_at(end - 1)]
            if not move.any():
                break
            end -= move
        return start, end

    def field_words(self, start: np.ndarray, length: np.ndarray, width: int) -> list:
        """Each field's bytes as ``width / 8`` uint64 arrays, zero past its length."""
        return [
            self.word_at(start + 8 * k) & textparse.LOW_BYTES[np.clip(length - 8 * k, 0, 8)]
            for k in range(width // 8)
        ]

    def matrix(self, start: np.ndarray, length: np.ndarray, width: int) -> np.ndarray:
        """``uint8[N, width]``: each field's bytes, zero past its length."""
        return np.stack(self.field_words(start, length, width), axis=1).view(np.uint8)

    def decimal_ids(self, end: np.ndarray, length: np.ndarray) -> np.ndarray | None:
        """The ids as uint64 when each is 1-19 digits without a leading zero, else None.

        Reads the 24 bytes that end where the id ends, turns the bytes before the id into
        '0' characters, and converts each 8-character word with SWAR arithmetic.
        """
        if len(end) == 0 or int(length.min()) < 1 or int(length.max()) > _MAX_ID_DIGITS:
            return None
        if int((end - 24).min()) < 0:
            return None
        start = end - length
        if ((self.bytes[start] == ord("0")) & (length > 1)).any():
            return None
        value = np.zeros(len(end), dtype=np.uint64)
        for k in range(3):
            word = self.words[end - 24 + 8 * k]
            padding = np.clip(24 - length - 8 * k, 0, 8)  # leading bytes of this word
            mask = textparse.LOW_BYTES[padding]
            word = (word & ~mask) | (np.uint64(textparse.ASCII_ZEROS) & mask)
            _, digits_ok = textparse.digits_in_place(word, textparse.ALL_BYTES)
            if not digits_ok.all():
                return None
            value = value * np.uint64(100_000_000) + textparse.swar_eight_digits(word)
        return value


BLOCK_BYTES = 1 << 23  # lines are parsed 8 MB at a time


def _fast(text: bytes, header_end: int, header: bytes, name: str, limits: Limits) -> inputs.Polls:
    """Parse the file in line-aligned blocks: every temporary has one value per line of a
    block (small, and reused from block to block); only the results are file-sized. Fresh
    memory is expensive (each new page faults), so this keeps the peak low."""
    fields = _Fields(text)
    stats = inputs.FileStats(name)
    parts = [
        _read_block(fields, start, end, stats, limits)
        for start, end in inputs.line_blocks(text, header_end + 1, BLOCK_BYTES)
    ]
    ids = [part.ids for part in parts]
    if all(block_ids.dtype == np.uint64 for block_ids in ids):
        codes, uniques = pd.factorize(np.concatenate(ids) if ids else np.zeros(0, np.uint64))
        store_ids = np.asarray(uniques).astype(str).astype(object)
    else:
        codes, uniques = pd.factorize(np.concatenate([i.astype(str).astype(object) for i in ids]))
        store_ids = np.asarray(uniques, dtype=object)
    polls = inputs.Polls(
        store_ids=store_ids,
        store=codes.astype(np.int64),
        time_us=np.concatenate([p.time_us for p in parts]) if parts else np.zeros(0, np.int64),
        active=np.concatenate([p.active for p in parts]) if parts else np.zeros(0, bool),
        stats=stats,
    )
    odd_lines = [text[a:b] for part in parts for a, b in part.irregular]
    if not odd_lines:
        return polls
    odd_text = header + b"\n" + b"\n".join(odd_lines) + b"\n"
    return _concat(polls, _general(odd_text, name, limits))


@dataclass
class _Block:
    ids: np.ndarray  # uint64 decimal ids, or the id strings (object)
    time_us: np.ndarray
    active: np.ndarray
    irregular: list[tuple[int, int]]  # lines without exactly three fields, for the general path


def _lines(
    fields: _Fields, start: int, end: int, stats: inputs.FileStats, limits: Limits
) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) of the non-empty lines in [start, end) without their CR LF; the lines
    over ``max_row_bytes`` are counted and left out (the general reader's first rule)."""
    newlines = fields.positions(10, start, end)
    starts = np.append(start, newlines + 1)
    ends = np.append(newlines, end)
    body = fields.bytes
    ends = ends - (body[np.maximum(ends - 1, 0)] == 13) * (ends > starts)  # CRLF
    nonblank = ends > starts
    starts, ends = starts[nonblank], ends[nonblank]
    too_long = ends - starts > limits.max_row_bytes
    if too_long.any():
        stats.rows_read += int(too_long.sum())
        stats.skip("row too long", int(too_long.sum()))
        starts, ends = starts[~too_long], ends[~too_long]
    return starts, ends


def _read_block(
    fields: _Fields, start: int, end: int, stats: inputs.FileStats, limits: Limits
) -> _Block:
    """The lines in [start, end) (``end`` just after a newline, or the end of the file)."""
    starts, ends = _lines(fields, start, end, stats, limits)
    commas = fields.positions(44, start, end)
    first_comma = np.searchsorted(commas, starts)
    regular = np.searchsorted(commas, ends) - first_comma == 2
    irregular = list(zip(starts[~regular].tolist(), ends[~regular].tolist(), strict=True))
    starts, ends, first_comma = starts[regular], ends[regular], first_comma[regular]
    comma1, comma2 = commas[first_comma], commas[first_comma + 1]

    id_start, id_end = fields.trim(starts, comma1)
    status_start, status_end = fields.trim(comma1 + 1, comma2)
    ts_start, ts_end = fields.trim(comma2 + 1, ends)
    id_length = id_end - id_start
    status_length = status_end - status_start
    ts_length = ts_end - ts_start
    nonblank = (id_length > 0) | (status_length > 0) | (ts_length > 0)  # not just ", ,"
    longest = np.maximum(np.maximum(id_length, status_length), ts_length)

    status_word = fields.field_words(status_start, status_length, 8)[0]
    is_active, status_ok = textparse.status_codes(
        status_word.view(np.uint8).reshape(-1, 8), status_length
    )
    fits = ts_length <= textparse.TIMESTAMP_WIDTH
    ts_length = np.where(fits, ts_length, 0)
    time_us, ts_ok = textparse.parse_timestamp_words(
        fields.field_words(ts_start, ts_length, textparse.TIMESTAMP_WIDTH), ts_length
    )
    ts_ok &= fits

    stats.rows_read += int(nonblank.sum())
    checks = inputs.status_checks(id_length > 0, status_ok, ts_ok)
    checks.insert(0, ("field too long", longest <= limits.max_field_chars))
    keep = stats.keep_valid([(reason, ok | ~nonblank) for reason, ok in checks]) & nonblank
    return _Block(
        ids=_block_ids(fields, id_start[keep], id_length[keep]),
        time_us=time_us[keep],
        active=is_active[keep],
        irregular=irregular,
    )


def _block_ids(fields: _Fields, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """A block's ids: uint64 when every one is a canonical decimal, else their strings."""
    numbers = fields.decimal_ids(start + length, length)
    if numbers is not None or len(length) == 0:
        return numbers if numbers is not None else np.zeros(0, dtype=np.uint64)
    width = 8 * max(1, -(-int(length.max()) // 8))
    strings = fields.matrix(start, length, width).view(f"S{width}").ravel()
    return strings.astype(str).astype(object)


def _concat(a: inputs.Polls, b: inputs.Polls) -> inputs.Polls:
    """Polls of two parts of one file, with one set of store ids."""
    codes, ids = pd.factorize(np.concatenate([a.store_ids, b.store_ids]))
    stats = a.stats
    stats.rows_read += b.stats.rows_read
    stats.skipped.update(b.stats.skipped)
    return inputs.Polls(
        store_ids=np.asarray(ids, dtype=object),
        store=np.concatenate([codes[a.store], codes[len(a.store_ids) + b.store]]),
        time_us=np.concatenate([a.time_us, b.time_us]),
        active=np.concatenate([a.active, b.active]),
        stats=stats,
    )
