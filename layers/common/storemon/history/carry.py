"""The carry: the few polls per store from before a cut that a report after the cut needs.

A report whose span starts at or after the cut ``C`` sees a store's polls before ``C`` only
through its evidence (SPEC §4, §9): which class the evidence is (the polls inside business
hours and not closed, or all polls when the store has none inside) and, for every instant
from ``C`` on, the status of the last evidence poll before ``C``. SPEC §10's alerts also
need where that last poll's inactive (or active) stretch started: the first evidence poll of
its run of equal statuses and the evidence poll before that run (the stretch starts at
their midpoint). So per store the carry keeps, of its evidence class before ``C``:

- the last evidence poll, the first poll of its run and the poll before that run, from the
  business-hours class when the store has any such poll before ``C``, else from all its
  polls (then none of them is inside business hours);
- its newest poll (the status route's "last poll"; outside business hours it is not
  evidence when the store has in-hours polls, and it is the last evidence poll otherwise).

At most four polls per store.

Replacing a store's polls before ``C`` by these gives every report and every alert stretch
from ``C`` on the same answer (docs/history.md, "Why the carry is exact"). It depends on the
hours, zones and closures it was made with: when they change, it is made again.

``carry(A ∪ B) = carry(carry(A) ∪ B)`` when every poll of ``B`` is after every poll of
``A``: moving the cut forward folds only the days it passes over.
"""

from __future__ import annotations

import numpy as np

from storemon.clock.ticks import TICKS_PER_US, US_PER_DAY
from storemon.history import partition
from storemon.history.partition import Partition
from storemon.inputs.closures import Closures
from storemon.inputs.tables import FileStats, Hours, Polls, Zones
from storemon.report.business_hours import store_calendar
from storemon.report.per_group import group_ends, group_starts
from storemon.report.timeline import select_polls


def as_polls(part: Partition, stats: FileStats) -> Polls:
    """A partition's polls as the engine's :class:`Polls` (ids as text)."""
    return Polls(
        store_ids=np.char.decode(part.store_id, "utf-8").astype(object),
        store=part.poll_store(),
        time_us=part.time_us,
        active=part.active(),
        stats=stats,
    )


def carry_of(part: Partition, hours: Hours, zones: Zones, closures: Closures | None) -> Partition:
    """The carry of the polls ``part`` (every poll before the cut)."""
    if not len(part):
        return part
    selected = select_polls(as_polls(part, FileStats("carry")), int(part.time_us.max()), None)
    now_us = selected.now_us
    calendar = store_calendar(
        selected.store_id,
        hours,
        zones,
        period_start_us=now_us - US_PER_DAY,
        now_us=now_us,
        closures=closures,
        closures_from_us=int(selected.time_us.min()),
    )
    rank, time_us, active = selected.rank, selected.time_us, selected.active
    inside = calendar.is_open(rank, time_us * TICKS_PER_US)
    has_inside = np.bincount(rank[inside], minlength=selected.n_stores) > 0
    used = np.flatnonzero(inside | ~has_inside[rank])
    kept = used[_last_run_polls(rank[used], active[used])]
    kept = np.union1d(kept, np.flatnonzero(group_ends(rank)))  # and its newest poll
    # back to the partition's polls: the selected polls are the partition's, re-sorted
    order = _selected_order(part, selected.store_id)
    keep = np.zeros(len(part), dtype=bool)
    keep[order[kept]] = True
    return partition.select(part, keep)


def _last_run_polls(rank: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Indexes (into the sorted evidence) of each store's last poll, the first poll of its
    last run of equal statuses, and the poll before that run (when there is one)."""
    index = np.arange(len(rank))
    first = group_starts(rank)
    run_start = first.copy()
    run_start[1:] |= active[1:] != active[:-1]
    start_of_run = np.maximum.accumulate(np.where(run_start, index, 0))
    last = np.flatnonzero(group_ends(rank))
    run_first = start_of_run[last]
    before = run_first[~first[run_first]] - 1
    return np.unique(np.concatenate([last, run_first, before]))


def _selected_order(part: Partition, store_id_text: np.ndarray) -> np.ndarray:
    """For each selected poll (sorted by (store id as text, time)), its index in ``part``
    (sorted by (bucket, id, time); polls are already one per store and instant)."""
    text = np.char.decode(part.store_id, "utf-8")
    rank_of_store = np.searchsorted(store_id_text, text)
    return np.lexsort((part.time_us, rank_of_store[part.poll_store()]))
