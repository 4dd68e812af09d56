"""The grouped helpers against plain NumPy."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from storemon.report.per_group import searchsorted_right

sorted_ints = st.lists(st.integers(-20, 60), max_size=60).map(sorted)


@settings(deadline=None)
@given(sorted_ints, st.lists(st.integers(-30, 70), max_size=300), st.booleans())
def test_searchsorted_right_is_numpys(table, queries, sort_queries):
    """Sorted queries that outnumber the table take the placing path, others NumPy's."""
    table_array = np.array(table, dtype=np.int64)
    query_array = np.array(sorted(queries) if sort_queries else queries, dtype=np.int64)
    expected = np.searchsorted(table_array, query_array, side="right")
    assert searchsorted_right(table_array, query_array).tolist() == expected.tolist()
