"""The stable store bucket: which of :data:`BUCKETS` buckets a store id falls in.

The history's partitions are sorted by (bucket, store, time) with per-bucket offsets, so a
store shard (issue 18) that owns a range of buckets reads only that range. The bucket must
never change for a store id across processes, machines or versions: it is FNV-1a (32-bit)
over the id's UTF-8 bytes, modulo :data:`BUCKETS`, computed for many ids at once over their
byte matrix (one NumPy step per byte position, never per id). Import :func:`bucket_of` from
here; never re-implement it.
"""

from __future__ import annotations

import numpy as np

BUCKETS = 256
FNV_OFFSET = np.uint32(2166136261)
FNV_PRIME = np.uint32(16777619)


def fnv1a_32(ids: np.ndarray) -> np.ndarray:
    """FNV-1a (32-bit) of each id (a NumPy bytes array ``S<n>``: the UTF-8 bytes, which hold
    no NUL) as uint32."""
    ids = np.asarray(ids)
    if ids.dtype.kind != "S":
        raise TypeError(f"store ids as a bytes array (S dtype), not {ids.dtype}")
    width = ids.dtype.itemsize
    matrix = ids.view(np.uint8).reshape(len(ids), width) if width else None
    lengths = np.char.str_len(ids) if len(ids) else np.zeros(0, dtype=np.int64)
    digest: np.ndarray = np.full(len(ids), FNV_OFFSET, dtype=np.uint32)
    with np.errstate(over="ignore"):
        for position in range(width):  # one step per byte position, for every id at once
            inside = lengths > position
            mixed = (digest ^ matrix[:, position].astype(np.uint32)) * FNV_PRIME  # type: ignore[index]
            digest = np.where(inside, mixed, digest)
    return digest


def bucket_of(ids: np.ndarray, buckets: int = BUCKETS) -> np.ndarray:
    """The bucket (int64 in ``0 .. buckets - 1``) of each id (bytes array ``S<n>``)."""
    return (fnv1a_32(ids) % np.uint32(buckets)).astype(np.int64)


def id_bytes(store_ids: np.ndarray) -> np.ndarray:
    """Store ids (str or object array) as their UTF-8 bytes (``S<n>``)."""
    if len(store_ids) == 0:
        return np.zeros(0, dtype="S1")
    return np.char.encode(np.asarray(store_ids, dtype=str), "utf-8")
