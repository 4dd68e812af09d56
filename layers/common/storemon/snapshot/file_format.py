"""The snapshot file: a small checksummed header, then named NumPy arrays in checksummed sections.

Layout (all integers little-endian)::

    magic          18 bytes   b"storemon-snapshot\\n"
    header_length   8 bytes   uint64
    header_sha256  32 bytes   sha256 of the header bytes
    header         JSON (UTF-8): {"format", "version", "tz_database", "sections", "arrays"}
    padding        to a multiple of 64
    sections       each 64-aligned: its arrays' raw bytes, each 64-aligned

``sections`` maps a section name to ``{"offset", "bytes", "sha256"}`` (absolute offset, the
sha256 of the section's bytes); ``arrays`` maps an array name to ``{"section", "offset"
(within the section), "dtype" (NumPy ``dtype.str``), "shape"}``. A section is checked against
its sha256 when it is first read, so a report that needs only the small ``derived`` section
never reads the per-poll ``inputs`` section.

Anything unexpected (another format or version, another time-zone database, a damaged
header or section, a truncated file) raises :class:`SnapshotError` with a message saying
what; the caller then reads the CSV files instead. A snapshot is never trusted in part.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import struct
import zoneinfo
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from storemon.errors import SnapshotError

MAGIC = b"storemon-snapshot\n"
FORMAT = "storemon-snapshot"
ALIGN = 64
_PREFIX = len(MAGIC) + 8 + 32


@lru_cache(maxsize=1)
def tz_database_version() -> str:
    """The tz database release zoneinfo reads (business hours depend on it)."""
    for root in zoneinfo.TZPATH:
        try:
            with open(Path(root) / "tzdata.zi", encoding="ascii") as handle:
                first = handle.readline().strip()
        except OSError:
            continue
        if first.startswith("# version "):
            return "system " + first.removeprefix("# version ")
    try:
        import tzdata

        return "tzdata " + str(tzdata.IANA_VERSION)
    except (ImportError, AttributeError):
        return "unknown"


def _pad(size: int) -> int:
    return -size % ALIGN


def encode(
    version: int, sections: dict[str, dict[str, np.ndarray]], *, tz_bound: bool = True
) -> bytes:
    """The file's bytes: header and sections. ``tz_bound=False``: the data does not depend on
    the time-zone database (a reader with another one may use it)."""
    directory: dict[str, dict] = {}
    section_info: dict[str, dict] = {}
    bodies: list[bytes] = []
    for section, arrays in sections.items():
        parts: list[bytes] = []
        offset = 0
        for name, array in arrays.items():
            data = np.ascontiguousarray(array)
            directory[name] = {
                "section": section,
                "offset": offset,
                "dtype": data.dtype.str,
                "shape": list(data.shape),
            }
            raw = data.tobytes()
            parts.append(raw + b"\0" * _pad(len(raw)))
            offset += len(raw) + _pad(len(raw))
        body = b"".join(parts)
        section_info[section] = {"bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}
        bodies.append(body)
    return _assemble(version, directory, section_info, bodies, tz_bound)


def _assemble(
    version: int, directory: dict, section_info: dict, bodies: list[bytes], tz_bound: bool
) -> bytes:
    """Header, padding, sections. The sections' offsets depend on the header's length and the
    header holds the offsets: iterate until they agree (the 64-byte padding absorbs it)."""
    start = 0
    for _ in range(8):
        position = start
        for info in section_info.values():
            info["offset"] = position
            position += info["bytes"]
        header = _header(version, directory, section_info, tz_bound)
        needed = _PREFIX + len(header) + _pad(_PREFIX + len(header))
        if needed == start:
            break
        start = needed
    prefix = MAGIC + struct.pack("<Q", len(header)) + hashlib.sha256(header).digest()
    padding = b"\0" * (start - len(prefix) - len(header))
    return prefix + header + padding + b"".join(bodies)


def _header(version: int, directory: dict, section_info: dict, tz_bound: bool) -> bytes:
    document = {
        "format": FORMAT,
        "version": version,
        "tz_database": tz_database_version() if tz_bound else None,
        "sections": section_info,
        "arrays": directory,
    }
    return json.dumps(document, sort_keys=True).encode()


class SnapshotFile:
    """A snapshot's bytes (a file mapped in memory, or bytes) with its checked header."""

    def __init__(self, buffer: Any, where: str, version: int):
        self.buffer = buffer
        self.where = where
        self.header = _read_header(buffer, where, version)
        self.size = len(buffer)
        self._checked: set[str] = set()

    @classmethod
    def open(cls, source: str | Path | bytes, version: int) -> SnapshotFile:
        if isinstance(source, bytes | bytearray | memoryview):
            return cls(memoryview(source), "snapshot", version)
        path = Path(source)
        try:
            with path.open("rb") as handle:
                size = path.stat().st_size
                buffer: Any = (
                    mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
                )
        except OSError as exc:
            raise SnapshotError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        return cls(buffer, str(path), version)

    def section(self, name: str) -> dict[str, np.ndarray]:
        """The named section's arrays, after checking its sha256 (once)."""
        start, size = section_span(self.header, name, self.where)
        if start + size > self.size:
            raise SnapshotError(
                f"{self.where}: truncated ({self.size:,} bytes, the header describes "
                f"{start + size:,})"
            )
        view = memoryview(self.buffer)[start : start + size]
        arrays = section_arrays(
            self.header, name, view, self.where, check=name not in self._checked
        )
        self._checked.add(name)
        return arrays


def header_size(first: bytes, where: str) -> int:
    """How many bytes the magic, the header's length and digest and the header take, from the
    file's first bytes (at least 58 of them); :class:`SnapshotError` when it is not a
    storemon snapshot file."""
    if len(first) < _PREFIX or bytes(first[: len(MAGIC)]) != MAGIC:
        raise SnapshotError(f"{where}: not a storemon snapshot (or truncated before its header)")
    (length,) = struct.unpack("<Q", bytes(first[len(MAGIC) : len(MAGIC) + 8]))
    return _PREFIX + int(length)


def read_header(buffer: Any, where: str, version: int) -> dict:
    """The checked header of a file whose first bytes (at least :func:`header_size`) are
    ``buffer``."""
    return _read_header(buffer, where, version)


def section_span(header: dict, name: str, where: str) -> tuple[int, int]:
    """(offset, size) of a section in the file; :class:`SnapshotError` when it has none."""
    info = header["sections"].get(name)
    if not isinstance(info, dict):
        raise SnapshotError(f"{where}: damaged header (no section {name!r})")
    return int(info["offset"]), int(info["bytes"])


def section_arrays(
    header: dict, section: str, view: Any, where: str, *, check: bool = True
) -> dict[str, np.ndarray]:
    """The arrays of one section from its bytes ``view`` (checked against its sha256 unless
    ``check`` is false: already checked)."""
    if check and hashlib.sha256(view).hexdigest() != header["sections"][section]["sha256"]:
        raise SnapshotError(f"{where}: damaged (section {section!r} fails its sha256)")
    arrays = {}
    for name, entry in header["arrays"].items():
        if entry["section"] != section:
            continue
        dtype = np.dtype(entry["dtype"])
        shape = tuple(int(n) for n in entry["shape"])
        count = int(np.prod(shape, dtype=np.int64))
        offset = int(entry["offset"])
        if offset + count * dtype.itemsize > len(view):
            raise SnapshotError(f"{where}: damaged header (array {name!r} out of bounds)")
        flat = np.frombuffer(view, dtype=dtype, count=count, offset=offset)
        arrays[name] = flat.reshape(shape)
    return arrays


def _read_header(buffer: Any, where: str, version: int) -> dict:
    if len(buffer) < _PREFIX or bytes(buffer[: len(MAGIC)]) != MAGIC:
        raise SnapshotError(f"{where}: not a storemon snapshot (or truncated before its header)")
    (length,) = struct.unpack("<Q", bytes(buffer[len(MAGIC) : len(MAGIC) + 8]))
    digest = bytes(buffer[len(MAGIC) + 8 : _PREFIX])
    if _PREFIX + length > len(buffer):
        raise SnapshotError(f"{where}: truncated inside its header")
    raw = bytes(buffer[_PREFIX : _PREFIX + length])
    if hashlib.sha256(raw).digest() != digest:
        raise SnapshotError(f"{where}: damaged header (sha256 mismatch)")
    try:
        header = json.loads(raw)
    except ValueError:
        raise SnapshotError(f"{where}: damaged header (not JSON)") from None
    if header.get("format") != FORMAT or header.get("version") != version:
        raise SnapshotError(
            f"{where}: snapshot format version {header.get('version')!r}, this storemon reads "
            f"version {version}: run `storemon ingest` again"
        )
    # None: data that does not depend on the time-zone database (encode's tz_bound=False)
    if header.get("tz_database") not in (None, tz_database_version()):
        raise SnapshotError(
            f"{where}: made with time-zone database {header.get('tz_database')!r}, this "
            f"system has {tz_database_version()!r}: business hours may differ, ingest again"
        )
    return header
