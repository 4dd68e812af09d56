"""The store ids of a history's partitions as one sorted dictionary, and each partition's
codes into it, kept per process.

Joining the carry and 8-9 days for a report needs every poll's store as a code into the
sorted distinct ids of those partitions (as ``np.unique`` of their ids gives them). The
stores barely change from one batch to the next, so a dictionary of every id seen (sorted
bytes, with the ids decoded) is kept, and each partition's codes into it (the last
:data:`KEPT` partitions, which never change); a partition holding an id the dictionary
lacks makes it again. The answer is compacted to the ids the partitions hold, so it is
exactly ``np.unique``'s.
"""

from __future__ import annotations

import numpy as np

from storemon.history.partition import Partition
from storemon.report.last_made import Newest

KEPT = 48


class _Dictionary:
    """Sorted distinct ids (``S<n>``) and the same ids decoded (object array of str)."""

    def __init__(self, ids: np.ndarray) -> None:
        self.ids = ids
        self.decoded = np.char.decode(ids, "utf-8").astype(object)

    def codes(self, store_id: np.ndarray) -> np.ndarray | None:
        """Each id's position, None when one is missing (or wider than the dictionary's)."""
        if store_id.dtype.itemsize > self.ids.dtype.itemsize or not len(self.ids):
            return None
        at = np.searchsorted(self.ids, store_id)
        found = self.ids[np.minimum(at, len(self.ids) - 1)] == store_id
        return at if bool(found.all()) else None


_CURRENT: list[_Dictionary] = []
_CODES: Newest[int, tuple[Partition, _Dictionary, np.ndarray]] = Newest(KEPT)


def store_codes(parts: list[Partition]) -> tuple[np.ndarray, np.ndarray]:
    """``(store_ids, code)``: the distinct ids of ``parts`` sorted (decoded, object array)
    and, for each part's stores one after the other, its index into them."""
    dictionary = _CURRENT[0] if _CURRENT else None
    codes = [_codes_of(part, dictionary) for part in parts] if dictionary is not None else []
    if dictionary is None or any(code is None for code in codes):
        width = max(part.store_id.dtype.itemsize for part in parts)
        every = np.concatenate([part.store_id.astype(f"S{width}") for part in parts])
        dictionary = _Dictionary(np.unique(every))
        _CURRENT[:] = [dictionary]
        _CODES.clear()
        codes = [_codes_of(part, dictionary) for part in parts]
    code = np.concatenate([c for c in codes if c is not None])
    present = np.bincount(code, minlength=len(dictionary.ids)) > 0
    if bool(present.all()):
        return dictionary.decoded, code
    renumbered = np.cumsum(present) - 1
    return dictionary.decoded[present], renumbered[code]


def _codes_of(part: Partition, dictionary: _Dictionary) -> np.ndarray | None:
    entry = _CODES.get(id(part))
    if entry is not None and entry[0] is part and entry[1] is dictionary:
        return entry[2]
    codes = dictionary.codes(part.store_id)
    if codes is not None:
        _CODES.keep(id(part), (part, dictionary, codes))
    return codes


def forget() -> None:
    _CURRENT.clear()
    _CODES.clear()
