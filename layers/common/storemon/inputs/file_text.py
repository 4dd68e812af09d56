"""A file's bytes made checked text, and the line rules both readers apply (SPEC §1).

:func:`prepare_text`: size limits, gunzip (streamed, bounded), BOM removed, refused when
empty, binary or not UTF-8, every line end made a LF. :func:`clean_lines`: lines over
``max_row_bytes`` and lines with a NUL byte dropped and counted, trailing whitespace and
commas cut. :data:`IS_WHITESPACE` is the one table of what ``str.strip()`` removes (ASCII),
for every reader that trims on bytes.
"""

from __future__ import annotations

import codecs
import zlib
from collections import Counter

import numpy as np

from storemon.errors import InputError
from storemon.inputs.limits import DEFAULT as DEFAULT_LIMITS
from storemon.inputs.limits import Limits

# What str.strip() removes (ASCII), as bytes and as a table indexed by byte value.
# the name a file goes by in messages when its caller gives none
DEFAULT_NAMES = {
    "status": "store_status.csv",
    "hours": "menu_hours.csv",
    "timezones": "timezones.csv",
    "closures": "closures.csv",
}
WHITESPACE_BYTES = b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "
IS_WHITESPACE = np.zeros(256, dtype=bool)
IS_WHITESPACE[list(WHITESPACE_BYTES)] = True
# the bytes cut from the end of a line: whitespace and the commas of empty trailing fields
CUT_BYTES = WHITESPACE_BYTES + b","
_IS_CUT = IS_WHITESPACE.copy()
_IS_CUT[ord(",")] = True
LINE_BLOCK_BYTES = 1 << 23  # lines are cleaned 8 MB at a time
QUOTE = ord('"')

_GZIP_CHUNK = 1 << 20  # compressed bytes fed to the inflater at a time
_SNIFF_BYTES = 65536  # a NUL byte this early means a binary file


def prepare_text(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The checked text of one file (both readers start here): size limits, gunzip, BOM
    removed, refused when empty, binary or not UTF-8, every line end (CR, LF or CR LF)
    made a LF."""
    text = decompress(data, name, limits)
    check_text(text, name)
    return normalise_line_ends(text)


def decompress(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The file's text bytes: gunzipped (streamed, stopping at ``max_text_bytes``) when it
    starts with the gzip magic, BOM removed; InputError over a size limit."""
    if len(data) > limits.max_input_bytes:
        raise InputError(
            name,
            f"file is {len(data):,} bytes, over the limit of {limits.max_input_bytes:,} "
            "(max_input_bytes)",
        )
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, name, limits.max_text_bytes)
    elif len(data) > limits.max_text_bytes:
        raise _too_big(name, limits.max_text_bytes)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data


def _too_big(name: str, limit: int) -> InputError:
    return InputError(name, f"text is over the limit of {limit:,} bytes (max_text_bytes)")


def _gunzip(data: bytes, name: str, limit: int) -> bytes:
    """Every gzip member of ``data``, inflated chunk by chunk; never more than ``limit + 1``
    bytes of output (a gzip bomb stops there with InputError, having held about ``limit``)."""
    pieces: list[bytes] = []
    size = 0
    view = memoryview(data)
    try:
        while True:
            inflater = zlib.decompressobj(wbits=31)  # gzip wrapper: header, CRC and size
            fed = 0
            while not inflater.eof:
                chunk = inflater.unconsumed_tail
                if not chunk:
                    if fed >= len(view):
                        raise InputError(name, "not a valid gzip file (truncated)")
                    chunk, fed = bytes(view[fed : fed + _GZIP_CHUNK]), fed + _GZIP_CHUNK
                pieces.append(inflater.decompress(chunk, limit + 1 - size))
                size += len(pieces[-1])
                if size > limit:
                    raise _too_big(name, limit)
            view = view[min(fed, len(view)) - len(inflater.unused_data) :]
            if view[:2] != b"\x1f\x8b":  # no further member
                break
    except zlib.error as exc:
        raise InputError(name, f"not a valid gzip file ({exc})") from None
    if view.tobytes().strip(b"\0"):
        raise InputError(name, "not a valid gzip file (data after the end)")
    return b"".join(pieces)


def check_text(data: bytes, name: str) -> None:
    """Refuse empty and binary files, and files that are not UTF-8 (no copy of the text)."""
    if not data or data.isspace():
        raise InputError(name, "file is empty")
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise InputError(name, "not a CSV file (binary content)")
    if data.isascii():
        return
    decoder = codecs.getincrementaldecoder("utf-8")()
    for offset in range(0, len(data), _GZIP_CHUNK):
        pending = len(decoder.getstate()[0])  # bytes of a character cut by the last chunk
        try:
            decoder.decode(data[offset : offset + _GZIP_CHUNK], offset + _GZIP_CHUNK >= len(data))
        except UnicodeDecodeError as exc:
            byte = offset - pending + exc.start
            raise InputError(name, f"not UTF-8 text (byte {byte})") from None


def normalise_line_ends(text: bytes) -> bytes:
    """CR LF and a lone CR (classic Mac) become LF; text without a lone CR is returned as is
    (both readers handle CR LF themselves)."""
    if b"\r" not in text or text.count(b"\r") == text.count(b"\r\n"):
        return text
    return text.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def clean_lines(text: bytes, start: int, max_row_bytes: int) -> tuple[bytes, Counter]:
    """``text[start:]`` with the line rules applied, and the dropped lines by reason.

    A line (ended by a LF; a CR before it is not counted) longer than ``max_row_bytes``
    is dropped ("row too long"), then a line with a NUL byte ("NUL character"); every other
    line loses its trailing whitespace and commas (empty trailing fields; a line of only
    those becomes blank). The text is copied only when a line changes.
    """
    skipped: Counter = Counter()
    buffer = np.frombuffer(text, dtype=np.uint8)
    pieces, changed = [], False
    quoted = False  # whether the text so far ends inside a quoted field
    for block_start, block_end in line_blocks(text, start, LINE_BLOCK_BYTES):
        block = buffer[block_start:block_end]
        inside, quoted = quote_states(block, quoted)
        piece = _clean_block(block, max_row_bytes, skipped, inside)
        changed |= piece is not None
        pieces.append(text[block_start:block_end] if piece is None else piece)
    if not changed:
        return (text[start:] if start else text), skipped
    return b"".join(pieces), skipped


def line_blocks(text: bytes, start: int, size: int) -> list[tuple[int, int]]:
    """[start, len(text)) cut into pieces of about ``size`` bytes that end after a LF."""
    blocks = []
    while start < len(text):
        end = len(text)
        if start + size < len(text):
            newline = text.find(b"\n", start + size)
            end = len(text) if newline < 0 else newline + 1
        blocks.append((start, end))
        start = end
    return blocks


def quote_states(block: np.ndarray, quoted: bool) -> tuple[np.ndarray, bool]:
    """For each LF of a block of whole lines, whether it falls inside a quoted field (then it
    is part of a value, "X \\n Y", not a line's end); and whether the block ends inside one.

    As Python's csv reader: outside a field, a quote opens a quoted field only at the start of
    a field (after a comma or a line start; elsewhere it is a literal character); inside, every
    quote toggles (a doubled "" toggles twice). A loop over the quotes only (rare in real
    data), the LFs placed among them by one search."""
    newlines = np.flatnonzero(block == 10)
    quotes = np.flatnonzero(block == QUOTE)
    if len(quotes) == 0:
        return np.full(len(newlines), quoted), quoted
    before = block[np.maximum(quotes - 1, 0)]
    opens_field = (quotes == 0) | (before == ord(",")) | (before == 10)
    state_after = np.empty(len(quotes), dtype=bool)
    state = quoted
    for i, opener in enumerate(opens_field.tolist()):
        if state or opener:
            state = not state
        state_after[i] = state
    last_quote = np.searchsorted(quotes, newlines) - 1
    inside = np.where(last_quote >= 0, state_after[np.maximum(last_quote, 0)], quoted)
    return inside, bool(state)


def _clean_block(
    block: np.ndarray, max_row_bytes: int, skipped: Counter, inside: np.ndarray | None = None
) -> bytes | None:
    """:func:`clean_lines` on a block of whole lines (`inside`: for each LF, whether it falls
    inside a quoted field, see :func:`quote_states`); None when no line changes."""
    newlines = np.flatnonzero(block == 10)
    starts = np.append(0, newlines + 1)
    ends = np.append(newlines, len(block))
    ends = ends - ((ends > starts) & (block[np.maximum(ends - 1, 0)] == 13))  # CR LF
    # a physical line that ends inside a quoted field ("X \n Y") is the middle of one value:
    # it keeps its trailing whitespace and commas (the last line has no LF: never inside)
    open_at_end = np.append(inside if inside is not None else np.zeros(len(newlines), bool), False)
    too_long = ends - starts > max_row_bytes
    has_nul = np.zeros(len(starts), dtype=bool)
    if (block == 0).any():
        has_nul[np.searchsorted(starts, np.flatnonzero(block == 0), side="right") - 1] = True
        has_nul &= ~too_long
    skipped["row too long"] += int(too_long.sum())
    skipped["NUL character"] += int(has_nul.sum())
    drop = too_long | has_nul
    cut = ends.copy()
    moving = np.flatnonzero(~drop & (cut > starts) & ~open_at_end)
    while len(moving):  # at most max_row_bytes rounds
        moving = moving[_IS_CUT[block[cut[moving] - 1]]]
        cut[moving] -= 1
        moving = moving[cut[moving] > starts[moving]]
    trimmed = ~drop & (cut < ends)
    if not (drop.any() or trimmed.any()):
        return None
    removed_from = np.concatenate([starts[drop], cut[trimmed]])
    removed_to = np.concatenate([np.minimum(ends[drop] + 1, len(block)), ends[trimmed]])
    delta = np.zeros(len(block) + 1, dtype=np.int8)
    np.add.at(delta, removed_from, 1)
    np.add.at(delta, removed_to, -1)
    return block[np.cumsum(delta[:-1], dtype=np.int8) == 0].tobytes()
