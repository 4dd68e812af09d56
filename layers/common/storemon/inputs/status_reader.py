"""The status file read straight from its bytes with NumPy, for the common case.

``pandas.read_csv(dtype=str)`` spends most of its time creating a Python string per field.
The status file is simple (three short unquoted fields per line), so when the file is ASCII
with no quote character and the canonical header, we find the newlines and commas with one
vectorised scan each and read every field with unaligned 8-byte loads straight from the
buffer. Lines that do not have exactly three fields go through the general path
(:func:`~storemon.inputs.csv_reader.read_text`, then :func:`~storemon.inputs.tables.parse_status`),
as does any file the fast path does not cover, so both paths apply exactly the same rules.

Within a block of lines that all have exactly two commas (the usual case), each row is first
tried in the data's common form (an id with no surrounding space, ``active``/``inactive``
and ``YYYY-MM-DD HH:MM:SS[.ffffff][ UTC]``) with no masking or trimming; the rows not of that
form (few) go through the careful per-field rules (trimming, any case, the full timestamp
grammar, the limits), whose result is the general reader's.

Store ids are never made into per-row Python strings: an id of up to 24 bytes is its three
8-byte words (zero before the id), factorized by a 64-bit key computed from them; every row
is then checked against its key's first row (two words compared, the third follows from the
key), and only a true collision falls back to the ids as strings.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from storemon.inputs import field_parsers, file_text, tables
from storemon.inputs.file_text import IS_WHITESPACE
from storemon.inputs.limits import DEFAULT as DEFAULT_LIMITS
from storemon.inputs.limits import Limits

_HEADER = ["store_id", "status", "timestamp_utc"]
ID_BYTES = 24  # ids up to this long are keyed by their bytes; longer ones are strings
_ID_WORDS = ID_BYTES // 8
# the longest line and field of the common form: 24-byte id, "inactive", 30-byte timestamp
_COMMON_LINE = ID_BYTES + 1 + 8 + 1 + 30
_COMMON_FIELD = 30
_KEY_FACTORS = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))


def _padding_masks() -> list[np.ndarray]:
    """For each of an id's three words, indexed by the padding ``24 - length`` (0-24):
    the bytes of that word that belong to the id (the id ends with the third word)."""
    padding = np.arange(ID_BYTES + 1)
    return [~field_parsers.LOW_BYTES[np.clip(padding - 8 * k, 0, 8)] for k in range(_ID_WORDS)]


_PADDING_MASKS = _padding_masks()


def read_status(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> tables.Polls:
    """Valid polls of a status file's bytes (plain or gzip), with the skip counts."""
    text = file_text.prepare_text(data, name, limits)
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
        return _read_by_general_reader(text, name, limits)
    return _read_simple_file(text, header_end, header, name, limits)


def _read_by_general_reader(text: bytes, name: str, limits: Limits) -> tables.Polls:
    from storemon.inputs import csv_reader

    return tables.parse_status(csv_reader.read_text(text, "status", name, limits))


class _FileBytes:
    """Byte access to a file buffer: single bytes and 8-byte words at any offset.

    Nothing here copies the file or makes a temporary the size of the file: the scans go
    chunk by chunk and every other array has one value per row. (Arrays above glibc's mmap
    threshold are page-faulted in afresh at every allocation, which in a fresh process cost
    more than the arithmetic.) Every field starts after the header line (the canonical one,
    at least 29 bytes), so the 24 bytes that end at any id are inside the buffer.
    """

    CHUNK = 1 << 22

    def __init__(self, text: bytes):
        if len(text) < 16:
            text = text + b"\0" * 16  # tiny files: room for one whole word
        self.size = len(text)
        self.has_cr = b"\r" in text  # only in CR LF pairs (file_text.normalise_line_ends)
        self.bytes = np.frombuffer(text, dtype=np.uint8)
        self.last_word = self.size - 8
        self.words: np.ndarray = np.ndarray(
            shape=(self.size - 7,), dtype="<u8", buffer=text, strides=(1,)
        )
        self.quads: np.ndarray = np.ndarray(
            shape=(self.size - 3,), dtype="<u4", buffer=text, strides=(1,)
        )
        self.text = text

    def words_from(self, offset: np.ndarray, count: int) -> list[np.ndarray]:
        """The ``count`` 8-byte words from each offset (zero past the end of the buffer),
        read with one gather of ``8 * count`` bytes per offset."""
        width = 8 * count
        if len(offset) == 0 or offset.max() > self.size - width:
            return [self.word_at(offset + 8 * k) for k in range(count)]
        view: np.ndarray = np.ndarray(
            shape=(self.size - width + 1,), dtype=f"V{width}", buffer=self.text, strides=(1,)
        )
        matrix = view[offset].view("<u8").reshape(len(offset), count)
        return list(np.ascontiguousarray(matrix.T))

    def positions(self, char: int, start: int, end: int) -> np.ndarray:
        """Offsets of every ``char`` byte in [start, end), scanning chunk by chunk."""
        found = [
            np.flatnonzero(self.bytes[a : min(a + self.CHUNK, end)] == char) + a
            for a in range(start, end, self.CHUNK)
        ]
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)

    def lines(self, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        """(start, end) of the non-empty lines in [start, end) without their CR LF."""
        newlines = self.positions(10, start, end)
        starts = np.append(start, newlines + 1)
        ends = np.append(newlines, end)
        if self.has_cr:
            ends = ends - (self.bytes[np.maximum(ends - 1, 0)] == 13) * (ends > starts)
        nonblank = ends > starts
        if not nonblank.all():
            starts, ends = starts[nonblank], ends[nonblank]
        return starts, ends

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
            move = (start < end) & IS_WHITESPACE[self.byte_at(start)]
            if not move.any():
                break
            start += move
        while True:
            move = (end > start) & IS_WHITESPACE[self.byte_at(end - 1)]
            if not move.any():
                break
            end -= move
        return start, end

    def field_words(self, start: np.ndarray, length: np.ndarray, width: int) -> list:
        """Each field's bytes as ``width / 8`` uint64 arrays, zero past its length."""
        return [
            self.word_at(start + 8 * k) & field_parsers.LOW_BYTES[np.clip(length - 8 * k, 0, 8)]
            for k in range(width // 8)
        ]

    def matrix(self, start: np.ndarray, length: np.ndarray, width: int) -> np.ndarray:
        """``uint8[N, width]``: each field's bytes, zero past its length."""
        return np.stack(self.field_words(start, length, width), axis=1).view(np.uint8)

    def id_words(self, end: np.ndarray, length: np.ndarray) -> list[np.ndarray]:
        """The 24 bytes that end at each id's end as three uint64 words, zero before the id
        (ids of 1-24 bytes)."""
        return _masked_id_words(self.words_from(end - ID_BYTES, _ID_WORDS), length)


def _masked_id_words(words: list[np.ndarray], length: np.ndarray) -> list[np.ndarray]:
    """The 24 bytes that end at ids of ``length`` (1-24) bytes, zero before the id."""
    padding = ID_BYTES - length
    # ids of 16 bytes or more fill the second and third words
    masked = 1 if len(padding) == 0 or padding.max() <= 8 else _ID_WORDS
    return [
        word & _PADDING_MASKS[k][padding] if k < masked else word for k, word in enumerate(words)
    ]


BLOCK_BYTES = 1 << 23  # lines are parsed 8 MB at a time


@dataclass
class _BlockPolls:
    """The valid polls of a block of lines: those with an id of up to 24 bytes by the id's
    words, the others by their id strings; and the lines for the general path."""

    id_words: list[np.ndarray]
    time_us: np.ndarray
    active: np.ndarray
    named_ids: list[np.ndarray] = field(default_factory=list)  # object arrays
    named_time_us: list[np.ndarray] = field(default_factory=list)
    named_active: list[np.ndarray] = field(default_factory=list)
    irregular: list[tuple[int, int]] = field(default_factory=list)


THREADS = int(os.environ.get("STOREMON_THREADS", "2"))


def _in_threads(work, count: int) -> list:
    """``[work(0), ..., work(count - 1)]``, on two threads when there are two cores: NumPy
    releases the GIL inside each operation, and a block's operations are large."""
    if count < 2 or THREADS < 2 or len(os.sched_getaffinity(0)) < 2:
        return [work(number) for number in range(count)]
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(work, range(count)))


def _no_polls() -> _BlockPolls:
    return _BlockPolls(
        [np.zeros(0, np.uint64)] * _ID_WORDS, np.zeros(0, np.int64), np.zeros(0, bool)
    )


def _read_simple_file(
    text: bytes, header_end: int, header: bytes, name: str, limits: Limits
) -> tables.Polls:
    """Parse the file in line-aligned blocks: every temporary has one value per line of a
    block (small, and reused from block to block); only the results are file-sized. Fresh
    memory is expensive (each new page faults), so this keeps the peak low."""
    source = _FileBytes(text)
    blocks = file_text.line_blocks(text, header_end + 1, BLOCK_BYTES)
    counts = [tables.FileStats(name) for _ in blocks]  # one per block: blocks run in threads

    def read(number: int) -> _BlockPolls:
        start, end = blocks[number]
        return _read_block(source, start, end, counts[number], limits)

    parts = _in_threads(read, len(blocks)) or [_no_polls()]
    stats = tables.FileStats(name)
    for count in counts:
        stats.rows_read += count.rows_read
        stats.skipped.update(count.skipped)
    polls = _polls_of(parts, stats)
    odd_lines = [text[a:b] for part in parts for a, b in part.irregular]
    if not odd_lines:
        return polls
    odd_text = header + b"\n" + b"\n".join(odd_lines) + b"\n"
    return _concat(polls, _read_by_general_reader(odd_text, name, limits))


def _read_block(
    source: _FileBytes, start: int, end: int, stats: tables.FileStats, limits: Limits
) -> _BlockPolls:
    """The lines in [start, end) (``end`` just after a newline, or the end of the file)."""
    starts, ends = source.lines(start, end)
    commas = source.positions(44, start, end)
    # exactly two commas on every line: as many commas as two per line, the 2i-th at or
    # after line i's start and the (2i+1)-th before its end
    if (
        len(commas) == 2 * len(starts)
        and (commas[0::2] >= starts).all()
        and (commas[1::2] < ends).all()
    ):
        return _read_regular(source, (starts, ends, commas[0::2], commas[1::2]), stats, limits)
    return _read_mixed(source, (starts, ends), commas, stats, limits)


def _read_regular(
    source: _FileBytes, lines: tuple, stats: tables.FileStats, limits: Limits
) -> _BlockPolls:
    """Lines of exactly three fields: (starts, ends, first commas, second commas)."""
    starts, ends, comma1, comma2 = lines
    id_length = comma1 - starts
    status_length = comma2 - comma1 - 1
    ts_start = comma2 + 1
    ts_length = ends - ts_start
    # the id's 24 bytes, the comma and the status's first 8 bytes: one read of 40 bytes
    id_status = source.words_from(comma1 - ID_BYTES, _ID_WORDS + 2)
    status_word = (id_status[3] >> np.uint64(8)) | (id_status[4] << np.uint64(56))
    is_active, common = field_parsers.status_words(status_word, status_length)
    time_us, ts_ok = field_parsers.parse_common_timestamps(
        source.words_from(ts_start, 4),
        source.quads[np.maximum(ends - 4, 0)],
        ts_length,
    )
    common &= ts_ok & (id_length >= 1) & (id_length <= ID_BYTES)
    last_id_byte = id_status[_ID_WORDS - 1] >> np.uint64(56)
    common &= ~IS_WHITESPACE[source.bytes[starts]] & ~IS_WHITESPACE[last_id_byte]
    if limits.max_row_bytes < _COMMON_LINE:
        common &= ends - starts <= limits.max_row_bytes
    if limits.max_field_chars < _COMMON_FIELD:
        longest = np.maximum(np.maximum(id_length, status_length), ts_length)
        common &= longest <= limits.max_field_chars
    if common.all():
        stats.rows_read += len(common)
        return _BlockPolls(_masked_id_words(id_status[:_ID_WORDS], id_length), time_us, is_active)
    rows = np.flatnonzero(common)
    stats.rows_read += len(rows)
    id_words = _masked_id_words([word[rows] for word in id_status[:_ID_WORDS]], id_length[rows])
    block = _BlockPolls(id_words, time_us[rows], is_active[rows])
    other = np.flatnonzero(~common)
    kept = _drop_long_lines(starts[other], ends[other], stats, limits)
    _add_by_general_rules(block, source, [a[other][kept] for a in lines], stats, limits)
    return block


def _drop_long_lines(
    starts: np.ndarray, ends: np.ndarray, stats: tables.FileStats, limits: Limits
) -> np.ndarray:
    """Which lines are within ``max_row_bytes`` (the general reader's first rule); the
    others are counted as read and skipped."""
    too_long = ends - starts > limits.max_row_bytes
    if too_long.any():
        stats.rows_read += int(too_long.sum())
        stats.skip("row too long", int(too_long.sum()))
    return ~too_long


def _read_mixed(
    source: _FileBytes, lines: tuple, commas: np.ndarray, stats: tables.FileStats, limits: Limits
) -> _BlockPolls:
    """A block with lines (starts, ends) that do not all have exactly two commas: those
    lines are left for the general path."""
    starts, ends = lines
    kept = _drop_long_lines(starts, ends, stats, limits)
    starts, ends = starts[kept], ends[kept]
    first_comma = np.searchsorted(commas, starts)
    regular = np.searchsorted(commas, ends) - first_comma == 2
    irregular = list(zip(starts[~regular].tolist(), ends[~regular].tolist(), strict=True))
    starts, ends, first_comma = starts[regular], ends[regular], first_comma[regular]
    block = _no_polls()
    block.irregular = irregular
    lines = (starts, ends, commas[first_comma], commas[first_comma + 1])
    _add_by_general_rules(block, source, lines, stats, limits)
    return block


def _add_by_general_rules(
    block: _BlockPolls,
    source: _FileBytes,
    lines: list | tuple,
    stats: tables.FileStats,
    limits: Limits,
) -> None:
    """The valid polls of lines of exactly three fields (starts, ends, first commas, second
    commas; none over ``max_row_bytes``) by the general reader's rules, added to ``block``."""
    starts, ends, comma1, comma2 = lines
    id_start, id_end = source.trim(starts, comma1)
    status_start, status_end = source.trim(comma1 + 1, comma2)
    ts_start, ts_end = source.trim(comma2 + 1, ends)
    id_length = id_end - id_start
    status_length = status_end - status_start
    ts_length = ts_end - ts_start
    nonblank = (id_length > 0) | (status_length > 0) | (ts_length > 0)  # not just ", ,"
    longest = np.maximum(np.maximum(id_length, status_length), ts_length)

    status_word = source.field_words(status_start, status_length, 8)[0]
    is_active, status_ok = field_parsers.status_codes(
        status_word.view(np.uint8).reshape(-1, 8), status_length
    )
    fits = ts_length <= field_parsers.TIMESTAMP_WIDTH
    ts_length = np.where(fits, ts_length, 0)
    time_us, ts_ok = field_parsers.parse_timestamp_words(
        source.field_words(ts_start, ts_length, field_parsers.TIMESTAMP_WIDTH), ts_length
    )
    ts_ok &= fits

    stats.rows_read += int(nonblank.sum())
    checks = tables.status_checks(id_length > 0, status_ok, ts_ok)
    checks.insert(0, ("field too long", longest <= limits.max_field_chars))
    keep = stats.keep_valid([(reason, ok | ~nonblank) for reason, ok in checks]) & nonblank
    id_end, id_length = id_end[keep], id_length[keep]
    time_us, is_active = time_us[keep], is_active[keep]
    short = id_length <= ID_BYTES
    words = source.id_words(id_end[short], id_length[short])
    block.id_words = [np.concatenate([a, b]) for a, b in zip(block.id_words, words, strict=True)]
    block.time_us = np.concatenate([block.time_us, time_us[short]])
    block.active = np.concatenate([block.active, is_active[short]])
    if not short.all():
        long_start, long_length = id_end[~short] - id_length[~short], id_length[~short]
        width = 8 * -(-int(long_length.max()) // 8)
        strings = source.matrix(long_start, long_length, width).view(f"S{width}").ravel()
        block.named_ids.append(strings.astype(str).astype(object))
        block.named_time_us.append(time_us[~short])
        block.named_active.append(is_active[~short])


# ------------------------------------------------------------------------------ the ids
def _polls_of(parts: list[_BlockPolls], stats: tables.FileStats) -> tables.Polls:
    """The polls of every block with one set of store ids."""
    words = [np.concatenate([p.id_words[k] for p in parts]) for k in range(_ID_WORDS)]
    codes, store_ids = _factorize_id_words(words)
    polls = tables.Polls(
        store_ids=store_ids,
        store=codes,
        time_us=np.concatenate([p.time_us for p in parts]),
        active=np.concatenate([p.active for p in parts]),
        stats=stats,
    )
    named = [ids for p in parts for ids in p.named_ids]
    if not named:
        return polls
    other = tables.Polls(
        store_ids=np.zeros(0, dtype=object),
        store=np.zeros(0, dtype=np.int64),
        time_us=np.concatenate([t for p in parts for t in p.named_time_us]),
        active=np.concatenate([a for p in parts for a in p.named_active]),
        stats=tables.FileStats(stats.name),
    )
    other.store, other.store_ids = _factorize_strings(np.concatenate(named))
    return _concat(polls, other)


def _factorize_id_words(words: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(int64 code per row, object array of the distinct id strings) of ids given by their
    three words."""
    import pandas as pd

    key = words[2] ^ (words[1] * _KEY_FACTORS[1]) ^ (words[0] * _KEY_FACTORS[0])
    codes, _ = pd.factorize(key)
    codes = codes.astype(np.int64)
    first = _first_rows(codes)
    # a row whose first two words and key are its code's first row's has its third word too
    same = all(np.array_equal(word, word[first][codes]) for word in words[:2] if word.any())
    if not same:  # two ids share a key: factorize them as strings
        return _factorize_strings(_id_strings(words))
    return codes, _id_strings([word[first] for word in words])


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """Row of each code's first occurrence (pandas numbers codes in order of appearance)."""
    if len(codes) == 0:
        return np.zeros(0, dtype=np.int64)
    running = np.maximum.accumulate(codes)
    new = np.ones(len(codes), dtype=bool)
    new[1:] = running[1:] > running[:-1]
    return np.flatnonzero(new)


def _id_strings(words: list[np.ndarray]) -> np.ndarray:
    """Object array of the ids given by their words (bytes right-aligned, zero before)."""
    matrix = np.stack(words, axis=1).view(np.uint8).reshape(-1, ID_BYTES)
    padding = ID_BYTES - np.count_nonzero(matrix, axis=1)
    column = np.minimum(np.arange(ID_BYTES)[None, :] + padding[:, None], ID_BYTES - 1)
    aligned = np.take_along_axis(matrix, column, axis=1)
    aligned[np.arange(ID_BYTES)[None, :] >= (ID_BYTES - padding)[:, None]] = 0
    return aligned.view(f"S{ID_BYTES}").ravel().astype(str).astype(object)


def _factorize_strings(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import pandas as pd

    codes, uniques = pd.factorize(ids)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _concat(a: tables.Polls, b: tables.Polls) -> tables.Polls:
    """Polls of two parts of one file, with one set of store ids."""
    import pandas as pd

    codes, ids = pd.factorize(np.concatenate([a.store_ids, b.store_ids]))
    stats = a.stats
    stats.rows_read += b.stats.rows_read
    stats.skipped.update(b.stats.skipped)
    return tables.Polls(
        store_ids=np.asarray(ids, dtype=object),
        store=np.concatenate([codes[a.store], codes[len(a.store_ids) + b.store]]),
        time_us=np.concatenate([a.time_us, b.time_us]),
        active=np.concatenate([a.active, b.active]),
        stats=stats,
    )
