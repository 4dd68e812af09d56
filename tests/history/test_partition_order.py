"""A partition's polls are ordered by (store, time) with one int64 key when it fits: the same
stable order as ``np.lexsort`` (copies of one instant kept in their given order), whatever the
input order, and the lexsort itself when the key would not fit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from storemon.history import partition
from storemon.history.partition import _by_store_and_time


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(-(2**40), 2**40) | st.integers(0, 5)),
        max_size=60,
    )
)
def test_the_key_order_is_lexsorts(polls):
    rank = np.array([r for r, _ in polls], dtype=np.int64)
    time_us = np.array([t for _, t in polls], dtype=np.int64)
    expected = np.lexsort((time_us, rank))
    assert _by_store_and_time(rank, time_us, 7).tolist() == expected.tolist()


def test_a_span_too_wide_for_one_key_is_lexsorted():
    rank = np.array([1, 0, 1, 0], dtype=np.int64)
    time_us = np.array([2**61, -(2**61), 0, 5], dtype=np.int64)
    assert _by_store_and_time(rank, time_us, 4).tolist() == [1, 3, 2, 0]


def test_a_batch_merged_into_its_day_equals_the_day_built_from_every_poll(monkeypatch):
    rng = np.random.default_rng(3)
    ids = np.array([b"%d" % (10**18 + n) for n in range(50)])

    def polls(n: int, hours: range):
        store = rng.integers(0, len(ids), n)
        time_us = rng.choice(hours, n) * 3_600_000_000 + rng.integers(0, 60, n)
        codes = rng.integers(1, 3, n).astype(np.int8)
        return store, time_us, codes

    day, batch = polls(400, range(0, 20)), polls(60, range(19, 21))
    none_day, none_batch = np.zeros(400, np.int8), np.zeros(60, np.int8)
    merged = partition.merge(
        [
            partition.build(ids, day[0], day[1], day[2], none_day),
            partition.build(ids, batch[0], batch[1], none_batch, batch[2]),
        ]
    )
    whole = partition.build(
        ids,
        np.concatenate([day[0], batch[0]]),
        np.concatenate([day[1], batch[1]]),
        np.concatenate([day[2], none_batch]),
        np.concatenate([none_day, batch[2]]),
    )
    assert partition.to_bytes(merged) == partition.to_bytes(whole)
    monkeypatch.setattr(  # the bytes the lexsort made before
        partition, "_by_store_and_time", lambda rank, time_us, _: np.lexsort((time_us, rank))
    )
    before = partition.merge(
        [
            partition.build(ids, day[0], day[1], day[2], none_day),
            partition.build(ids, batch[0], batch[1], none_batch, batch[2]),
        ]
    )
    assert partition.to_bytes(before) == partition.to_bytes(merged)
