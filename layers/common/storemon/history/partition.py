"""One UTC day's polls of the history, in the snapshot file format.

A partition holds the day's polls deduplicated (one per store and instant) and sorted by
(bucket, store id, time) (:mod:`storemon.history.buckets`), with two offset tables: where
each store's polls start, and where each bucket's stores start. A store shard reads the
``stores`` section (small), then only its buckets' slices of the ``polls`` arrays.

Each poll keeps its status per source, ``base`` (the classic ``store_status.csv``) and
``batch`` (every object under ``input/polls/``), coded 0 none, 1 active, 2 inactive, so
combining copies is a maximum (``inactive`` wins, SPEC §4) and a new base replaces only the
base's part. The poll's status is ``inactive`` when either source says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from storemon.errors import SnapshotError
from storemon.history.buckets import BUCKETS, bucket_of
from storemon.snapshot.file_format import (
    SnapshotFile,
    encode,
    header_size,
    read_header,
    section_span,
)

FORMAT_VERSION = 1
NONE, ACTIVE, INACTIVE = 0, 1, 2


@dataclass(frozen=True)
class Partition:
    """``store_id`` (``S<n>``: distinct ids in (bucket, id) order), ``poll_start`` (int64,
    one more than the stores: store ``i``'s polls are ``poll_start[i]:poll_start[i + 1]``),
    ``bucket_start`` (int64, ``BUCKETS + 1``: bucket ``b``'s stores are
    ``bucket_start[b]:bucket_start[b + 1]``); per poll ``time_us`` (int64), ``base`` and
    ``batch`` (int8 status codes)."""

    store_id: np.ndarray
    poll_start: np.ndarray
    bucket_start: np.ndarray
    time_us: np.ndarray
    base: np.ndarray
    batch: np.ndarray

    def __len__(self) -> int:
        return len(self.time_us)

    def poll_store(self) -> np.ndarray:
        """The store index (into ``store_id``) of each poll."""
        counts = np.diff(self.poll_start)
        return np.repeat(np.arange(len(self.store_id), dtype=np.int64), counts)

    def active(self) -> np.ndarray:
        """Each poll's status (``inactive`` wins across sources)."""
        return np.maximum(self.base, self.batch) == ACTIVE


def empty() -> Partition:
    return build(np.zeros(0, dtype="S1"), *(np.zeros(0, dtype=np.int64),) * 2, *_no_codes(0))


def _no_codes(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(n, dtype=np.int8), np.zeros(n, dtype=np.int8)


def build(
    ids: np.ndarray,
    store: np.ndarray,
    time_us: np.ndarray,
    base: np.ndarray,
    batch: np.ndarray,
) -> Partition:
    """A partition from polls: ``store`` indexes ``ids`` (``S<n>``, any order, repeats
    allowed); copies of one (store, instant) combine (the maximum code of each source);
    polls with no status in either source are dropped."""
    distinct, code = np.unique(ids, return_inverse=True)
    buckets = bucket_of(distinct)
    order = np.lexsort((np.arange(len(distinct)), buckets))  # (bucket, id): ids are sorted
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[order] = np.arange(len(distinct))
    poll_rank = rank[code.reshape(-1)[store]] if len(store) else np.zeros(0, dtype=np.int64)
    by_poll = _by_store_and_time(poll_rank, time_us, len(distinct))
    poll_rank, time_us = poll_rank[by_poll], time_us[by_poll]
    base, batch = base[by_poll], batch[by_poll]
    first = np.ones(len(time_us), dtype=bool)
    first[1:] = (poll_rank[1:] != poll_rank[:-1]) | (time_us[1:] != time_us[:-1])
    starts = np.flatnonzero(first)
    if len(starts):
        base = np.maximum.reduceat(base, starts)
        batch = np.maximum.reduceat(batch, starts)
    poll_rank, time_us = poll_rank[starts], time_us[starts]
    keep = (base > NONE) | (batch > NONE)
    poll_rank, time_us, base, batch = poll_rank[keep], time_us[keep], base[keep], batch[keep]
    return _indexed(
        distinct[order],
        buckets[order],
        poll_rank=poll_rank,
        time_us=time_us,
        base=base,
        batch=batch,
    )


def _by_store_and_time(poll_rank: np.ndarray, time_us: np.ndarray, stores: int) -> np.ndarray:
    """``np.lexsort((time_us, poll_rank))``: the stable order by (rank, time). As one int64
    key when it fits, sorted stably (timsort: partitions merged are sorted runs already,
    so a batch merged into its day costs about one pass, not a sort)."""
    if not len(time_us):
        return np.zeros(0, dtype=np.int64)
    low = int(time_us.min())
    span = int(time_us.max()) - low + 1
    if stores * span >= 2**62:
        return np.lexsort((time_us, poll_rank))
    return np.argsort(poll_rank * span + (time_us - low), kind="stable")


def _indexed(
    store_id: np.ndarray,
    buckets: np.ndarray,
    *,
    poll_rank: np.ndarray,
    time_us: np.ndarray,
    base: np.ndarray,
    batch: np.ndarray,
) -> Partition:
    """The offset tables, dropping stores left without a poll."""
    present = np.bincount(poll_rank, minlength=len(store_id)) > 0
    renumber = np.cumsum(present) - 1
    store_id, buckets = store_id[present], buckets[present]
    counts = np.bincount(renumber[poll_rank], minlength=len(store_id))
    return Partition(
        store_id=store_id,
        poll_start=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        bucket_start=np.searchsorted(buckets, np.arange(BUCKETS + 1)).astype(np.int64),
        time_us=time_us.astype(np.int64),
        base=base.astype(np.int8),
        batch=batch.astype(np.int8),
    )


def merge(parts: list[Partition]) -> Partition:
    """The union of partitions (copies combined as :func:`build` does)."""
    parts = [part for part in parts if len(part)]
    if not parts:
        return empty()
    if len(parts) == 1:
        return parts[0]
    ids, store = pooled(parts)
    return build(
        ids,
        store,
        np.concatenate([part.time_us for part in parts]),
        np.concatenate([part.base for part in parts]),
        np.concatenate([part.batch for part in parts]),
    )


def pooled(parts: list[Partition]) -> tuple[np.ndarray, np.ndarray]:
    """The store dictionaries of ``parts`` one after the other (``S<n>``, repeats kept) and
    each poll's index into them, in the parts' order."""
    width = max(part.store_id.dtype.itemsize for part in parts)
    ids = np.concatenate([part.store_id.astype(f"S{width}") for part in parts])
    offsets = np.cumsum([0] + [len(part.store_id) for part in parts[:-1]])
    store = [part.poll_store() + offset for part, offset in zip(parts, offsets, strict=True)]
    return ids, np.concatenate(store)


def select(part: Partition, keep: np.ndarray) -> Partition:
    """The polls where ``keep`` is true (stores left without a poll dropped)."""
    return _indexed(
        part.store_id,
        bucket_of(part.store_id),
        poll_rank=part.poll_store()[keep],
        time_us=part.time_us[keep],
        base=part.base[keep],
        batch=part.batch[keep],
    )


def without_base(part: Partition) -> Partition:
    """The partition without the base's statuses (polls only the base had dropped)."""
    cleared = Partition(
        part.store_id,
        part.poll_start,
        part.bucket_start,
        part.time_us,
        np.zeros(len(part), dtype=np.int8),
        part.batch,
    )
    return select(cleared, cleared.batch > NONE)


def to_bytes(part: Partition) -> bytes:
    """The partition as a snapshot-format file (independent of the time-zone database)."""
    sections = {
        "stores": {
            "store_id": part.store_id,
            "poll_start": part.poll_start,
            "bucket_start": part.bucket_start,
        },
        "polls": {"time_us": part.time_us, "base": part.base, "batch": part.batch},
    }
    return encode(FORMAT_VERSION, sections, tz_bound=False)


def from_bytes(data: bytes, where: str) -> Partition:
    """A partition back from :func:`to_bytes`'s bytes (SnapshotError when damaged)."""
    file = SnapshotFile(memoryview(data), where, FORMAT_VERSION)
    stores, polls = file.section("stores"), file.section("polls")
    return Partition(
        store_id=stores["store_id"],
        poll_start=stores["poll_start"],
        bucket_start=stores["bucket_start"],
        time_us=polls["time_us"],
        base=polls["base"],
        batch=polls["batch"],
    )


def read_buckets(
    read_range: Callable[[int, int], bytes], lo: int, hi: int, where: str
) -> Partition:
    """The polls of buckets ``lo .. hi - 1`` of a partition file, reading only the header
    and the buckets' slices of its arrays (``bucket_start``'s entries of the range, then the
    stores' ids and poll offsets, then the three ``polls`` arrays): ``read_range(offset,
    size)`` is a file read or an S3 range GET (a store shard, issue 18), so a shard reads
    about its share of the file. The slices are not checked against their sections' sha256
    (that needs the whole sections); a slice out of the file is a SnapshotError."""
    first = read_range(0, 4096)
    size = header_size(first, where)
    if size > len(first):
        first = first + read_range(len(first), size - len(first))
    header = read_header(first, where, FORMAT_VERSION)

    def array(name: str, start: int, stop: int) -> np.ndarray:
        return _array_slice(read_range, header, name, (start, stop), where)

    bounds = array("bucket_start", lo, hi + 1)
    store_lo, store_hi = int(bounds[0]), int(bounds[-1])
    starts = array("poll_start", store_lo, store_hi + 1)
    poll_lo, poll_hi = int(starts[0]), int(starts[-1])
    bucket_start = np.full(BUCKETS + 1, store_hi - store_lo, dtype=np.int64)
    bucket_start[:lo] = 0
    bucket_start[lo : hi + 1] = bounds - store_lo
    return Partition(
        store_id=array("store_id", store_lo, store_hi),
        poll_start=(starts - poll_lo).astype(np.int64),
        bucket_start=bucket_start,
        **{name: array(name, poll_lo, poll_hi) for name in ("time_us", "base", "batch")},
    )


def _array_slice(
    read_range: Callable[[int, int], bytes],
    header: dict,
    name: str,
    span: tuple[int, int],
    where: str,
) -> np.ndarray:
    """Items ``start .. stop - 1`` of a one-dimensional array of the file."""
    entry = header["arrays"].get(name)
    if not isinstance(entry, dict):
        raise SnapshotError(f"{where}: damaged header (no array {name!r})")
    dtype = np.dtype(entry["dtype"])
    (start, stop), length = span, int(entry["shape"][0])
    if not 0 <= start <= stop <= length:
        raise SnapshotError(f"{where}: damaged (items {start}-{stop} of {name!r} out of bounds)")
    section_at, _ = section_span(header, entry["section"], where)
    at = section_at + int(entry["offset"]) + start * dtype.itemsize
    data = read_range(at, (stop - start) * dtype.itemsize) if stop > start else b""
    if len(data) != (stop - start) * dtype.itemsize:
        raise SnapshotError(f"{where}: truncated (array {name!r})")
    return np.frombuffer(data, dtype=dtype)
