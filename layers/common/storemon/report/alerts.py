"""SPEC §10's incidents for alerts: each store's inactive stretches, not clipped to the week.

For alerts an incident keeps one identity however long it lasts: it starts where its
inactive stretch starts (the store's first evidence poll when the store was inactive from
its first poll on), it ends at the next status change or at ``now`` (``ongoing``), and its
business time is counted over the whole stretch (closed time excluded, SPEC §9). ``in_week``
says whether it is also a §7 incident of the week: it overlaps ``[now - 168 h, now)`` and
holds business time there (before a store's first poll its status is that poll's, so a
stretch from the first poll counts the week's business time before it too). The caller
(the alerts after each ingest) keys an incident by (store, start) and notifies
``store.down`` for a new one ``in_week`` with enough business minutes, ``store.recovered``
for one it saw ongoing that is not any more.

Evidence and interpolation are the report's (§4 with §9): the same phases as
:mod:`storemon.report.pipeline`, then the stretches from the evidence polls directly (no
window), then the business time from a calendar that reaches back to the oldest stretch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from storemon.inputs.closures import Closures
from storemon.inputs.tables import Hours, Polls, Zones
from storemon.report.incidents import incidents_frame
from storemon.report.per_group import group_ends, group_starts
from storemon.report.span import SpanEvidence, span_evidence


@dataclass(frozen=True)
class AlertIncidents:
    """One entry per incident, ordered by (store_id as text, start): ``store_id`` (str),
    ``start_tick`` / ``end_tick`` / ``business_ticks`` (int64 half-µs ticks), ``ongoing``
    and ``in_week`` (bool); ``zone_index`` into ``zone_names`` (the store's zone), and
    ``now_tick``."""

    now_tick: int
    store_id: np.ndarray
    start_tick: np.ndarray
    end_tick: np.ndarray
    business_ticks: np.ndarray
    ongoing: np.ndarray
    in_week: np.ndarray
    zone_index: np.ndarray
    zone_names: list[str]

    def frame(self) -> pd.DataFrame:
        """SPEC §7's columns (times as §7 writes them, ``business_minutes`` over the whole
        stretch) and ``in_week``."""
        frame = incidents_frame(
            self.store_id,
            start_tick=self.start_tick,
            end_tick=self.end_tick,
            business_ticks=self.business_ticks,
            zone_index=self.zone_index,
            zone_names=self.zone_names,
            now_tick=self.now_tick,
        )
        frame["in_week"] = np.asarray(self.in_week, dtype=bool)
        return frame


def alert_incidents(
    polls: Polls,
    hours: Hours,
    zones: Zones,
    closures: Closures | None = None,
    *,
    now_us: int | None = None,
) -> AlertIncidents:
    """Every inactive stretch of every store up to ``now_us`` (default: the newest poll).

    The calendar reaches back to the oldest stretch's start, so the cost grows with stores x
    days of history kept (as the streaming history keeps it, weeks), not with polls alone.
    """
    return alert_incidents_of_span(span_evidence(polls, hours, zones, closures, now_us=now_us))


def alert_incidents_of_span(
    span: SpanEvidence, ending_after: np.ndarray | None = None
) -> AlertIncidents:
    """:func:`alert_incidents` from the evidence up to now (:func:`span_evidence`);
    ``ending_after`` (ticks, one per store rank): only the incidents that end after it."""
    now_tick, week_start, calendar = span.now_tick, span.week_start, span.calendar
    rank, start, end, from_first = inactive_stretches(span.rank, span.tick, span.active, now_tick)
    if ending_after is not None:
        kept = end > ending_after[rank]
        rank, start, end, from_first = rank[kept], start[kept], end[kept], from_first[kept]
    at_end = calendar.business_time(rank, end)
    business = at_end - calendar.business_time(rank, start)
    # the §7 incident: clipped to the week, and before a store's first poll its status is
    # that poll's (§4), so a stretch from the first poll reaches back to the week's start
    in_week_from = np.where(from_first, week_start, np.maximum(start, week_start))
    in_week = (end > week_start) & (at_end > calendar.business_time(rank, in_week_from))
    return AlertIncidents(
        now_tick=now_tick,
        store_id=np.asarray(span.selected.store_id, dtype=object)[rank],
        start_tick=start,
        end_tick=end,
        business_ticks=business,
        ongoing=end == now_tick,
        in_week=in_week,
        zone_index=calendar.zone_of_rank[rank],
        zone_names=calendar.zone_names,
    )


def inactive_stretches(
    rank: np.ndarray, tick: np.ndarray, active: np.ndarray, now_tick: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """From the evidence polls (sorted by (rank, tick), one per instant): each store's
    inactive stretches as (rank, start, end) ticks, sorted, and whether each starts at the
    store's first poll (the status was inactive before it too). A store's status starts at its
    first poll's and flips at the midpoint of two polls of different status (§4); a
    stretch runs from the first poll or a flip to the next flip or ``now`` (empty ones
    dropped)."""
    first = group_starts(rank)
    flips = (rank[1:] == rank[:-1]) & (active[1:] != active[:-1])
    midpoint = tick[:-1] + (tick[1:] - tick[:-1]) // 2
    boundary = first.copy()
    boundary[1:] |= flips  # a boundary at each store's first poll and at each later flip
    at = np.flatnonzero(boundary)
    b_rank, b_active = rank[at], active[at]
    b_tick = np.where(first[at], tick[at], np.append(0, midpoint)[at])
    last = group_ends(b_rank)
    b_end = np.where(last, now_tick, np.append(b_tick[1:], now_tick))
    kept = ~b_active & (b_end > b_tick)  # (a store's only poll can be at now)
    return b_rank[kept], b_tick[kept], b_end[kept], first[at][kept]
