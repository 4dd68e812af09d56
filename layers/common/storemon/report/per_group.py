"""Vectorised helpers for arrays of (group, value) pairs: sort keys, run boundaries, sums.

The engine keeps every per-store quantity in flat arrays sorted by (store rank, time); the
helpers here answer "where does each store's run start", "what is the running total within
each store" and "which rows of a sorted table match each query" without a Python loop.
"""

from __future__ import annotations

import numpy as np

_INT63 = 2**62


class GroupSortKeys:
    """Order-preserving int64 keys for (group, value) pairs, comparable across arrays.

    ``key(g, v) < key(g', v')`` exactly when ``(g, v) < (g', v')``. Keys are
    ``g * span + (v - base)`` when that fits in 63 bits, otherwise the values are replaced by
    their dense rank (so extreme time spans can never overflow).

    Parameters
    ----------
    groups : int
        Number of groups (group numbers are ``0 .. groups - 1``).
    values : list of int64 ndarray
        Every value that will ever be keyed (so the keys of different arrays compare).
    factor : int
        Keys are multiplied by ``factor``, leaving ``factor - 1`` free low values for a
        tie-breaking term (``key + kind`` with ``kind < factor``).
    """

    def __init__(self, groups: int, values: list[np.ndarray], factor: int = 1):
        present = [v for v in values if len(v)]
        joined = np.concatenate(present) if present else np.zeros(1, dtype=np.int64)
        self.base = int(joined.min())
        span = (int(joined.max()) - self.base + 1) * factor
        self.dense: np.ndarray | None = None
        if max(groups, 1) * span >= _INT63:
            self.dense = np.unique(joined)
            span = len(self.dense) * factor
        self.span = span
        self.factor = factor

    def __call__(self, group: np.ndarray, value: np.ndarray) -> np.ndarray:
        dense = self.dense
        position = value - self.base if dense is None else np.searchsorted(dense, value)
        return group.astype(np.int64) * self.span + position * self.factor


def group_starts(sorted_groups: np.ndarray) -> np.ndarray:
    """Boolean mask of the first element of each run of equal groups."""
    first = np.ones(len(sorted_groups), dtype=bool)
    first[1:] = sorted_groups[1:] != sorted_groups[:-1]
    return first


def group_ends(sorted_groups: np.ndarray) -> np.ndarray:
    """Boolean mask of the last element of each run of equal groups."""
    last = np.ones(len(sorted_groups), dtype=bool)
    last[:-1] = sorted_groups[1:] != sorted_groups[:-1]
    return last


def exclusive_group_cumsum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Per-group cumulative sum of ``values`` before each element (groups contiguous)."""
    total = np.cumsum(values)
    before = total - values
    starts = group_starts(groups)
    offset = np.maximum.accumulate(np.where(starts, np.arange(len(values)), 0))
    return before - before[offset]


def ragged_take(lo: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each i, the indices lo[i] .. lo[i]+counts[i]-1; returns (owner, index)."""
    owner = np.repeat(np.arange(len(lo)), counts)
    first = np.cumsum(counts) - counts
    index = lo[owner] + np.arange(int(counts.sum())) - first[owner]
    return owner, index


def searchsorted_right(table: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """``np.searchsorted(table, queries, side="right")`` (the number of ``table`` values at
    or below each query) for a sorted ``table``. When the queries are sorted too and far
    outnumber the table (polls against business intervals), each table value is placed
    among the queries instead: one binary search per table value, not per query."""
    if len(queries) < 4 * len(table) or not (queries[1:] >= queries[:-1]).all():
        return np.searchsorted(table, queries, side="right")
    # a table value b is at or below query i exactly when fewer than i + 1 queries are below b
    placed = np.searchsorted(queries, table, side="left")
    return np.cumsum(np.bincount(placed, minlength=len(queries) + 1)[:-1])


def merge_intervals(
    rank: np.ndarray, opens: np.ndarray, closes: np.ndarray, n_stores: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each store's union of intervals.

    Parameters
    ----------
    rank, opens, closes : int64 ndarray
        Intervals ``[opens, closes)`` of stores ``rank`` (``0 .. n_stores - 1``), any order,
        possibly overlapping or touching.
    n_stores : int

    Returns
    -------
    rank, opens, closes : int64 ndarray
        The union, sorted by (rank, open): per store disjoint intervals with a gap between
        any two (touching ones are joined).
    """
    if len(rank) == 0:
        return rank, opens, closes
    keys = GroupSortKeys(n_stores, [opens, closes])
    open_keys = keys(rank, opens)
    order = np.argsort(open_keys, kind="stable")
    rank, opens, closes, open_keys = rank[order], opens[order], closes[order], open_keys[order]
    reach = np.maximum.accumulate(keys(rank, closes))  # never crosses stores: rank dominates
    starts = np.ones(len(rank), dtype=bool)
    starts[1:] = open_keys[1:] > reach[:-1]
    first = np.flatnonzero(starts)
    merged_close = np.maximum.reduceat(closes, first)
    return rank[first], opens[first], merged_close
