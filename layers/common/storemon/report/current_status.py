"""Each store's status now (SPEC §10's ``GET /stores/{store_id}/status``).

``now`` is the newest poll. Per store, from the report's own evidence (§4 with §9):

- ``status``: the interpolated status at ``now`` (its last evidence poll's);
- ``since_utc``: where the current stretch started, as §10 defines an incident's start: the
  midpoint of the last two evidence polls of different status, or the store's first evidence
  poll when its status never changed;
- ``last_poll_utc``: its newest poll (any poll at or before ``now``);
- ``open_now``: inside business hours and not closed at ``now``;
- when ``inactive``: the ongoing incident (``incident_start_utc`` = ``since_utc``,
  ``incident_business_minutes`` over the whole stretch, as the alerts count it).

Times as §7 writes them (``YYYY-MM-DDTHH:MM:SS.ffffffZ``), the start also in the store's zone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from storemon.clock.iso import utc_texts
from storemon.inputs.closures import Closures
from storemon.inputs.tables import Hours, Polls, Zones
from storemon.report.incidents import incidents_frame
from storemon.report.per_group import group_ends, group_starts
from storemon.report.span import SpanEvidence, span_evidence

STATUS_COLUMNS = [
    "store_id",
    "status",
    "since_utc",
    "since_local",
    "last_poll_utc",
    "open_now",
    "incident_start_utc",
    "incident_business_minutes",
]


def current_status(
    polls: Polls, hours: Hours, zones: Zones, closures: Closures | None = None
) -> pd.DataFrame:
    """One row per store with a poll (sorted by store id as text): :data:`STATUS_COLUMNS`
    (the incident's columns None for an active store)."""
    return status_of_span(span_evidence(polls, hours, zones, closures))


def status_of_span(span: SpanEvidence) -> pd.DataFrame:
    """:func:`current_status` from the evidence at the newest poll (:func:`span_evidence`)."""
    now_tick, selected, calendar = span.now_tick, span.selected, span.calendar
    store_rank, since, active_now = current_stretches(span.rank, span.tick, span.active)
    business = calendar.business_time(store_rank, np.full(len(store_rank), now_tick))
    business = business - calendar.business_time(store_rank, since)
    stretch = incidents_frame(
        selected.store_id[store_rank],
        start_tick=since,
        end_tick=np.full(len(store_rank), now_tick),
        business_ticks=business,
        zone_index=calendar.zone_of_rank[store_rank],
        zone_names=calendar.zone_names,
        now_tick=now_tick,
    )
    last_poll = selected.time_us[group_ends(selected.rank)]
    open_now = calendar.is_open(store_rank, np.full(len(store_rank), now_tick))
    frame = pd.DataFrame(
        {
            "store_id": stretch["store_id"],
            "status": np.where(active_now, "active", "inactive"),
            "since_utc": stretch["start_utc"],
            "since_local": stretch["start_local"],
            "last_poll_utc": utc_texts(last_poll[store_rank]),
            "open_now": open_now,
            "incident_start_utc": pd.Series(
                _unless(active_now, stretch["start_utc"]), dtype=object
            ),
            "incident_business_minutes": _unless(active_now, stretch["business_minutes"]),
        },
        columns=STATUS_COLUMNS,
    )
    return frame


def _unless(active: np.ndarray, values: pd.Series) -> np.ndarray:
    """The values (object array), None where the store is active (no ongoing incident)."""
    out = values.to_numpy(dtype=object).copy()
    out[active] = None
    return out


def current_stretches(
    rank: np.ndarray, tick: np.ndarray, active: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From the evidence polls (sorted by (rank, tick), one per instant): per store with
    evidence, (rank, the tick its current stretch started, its status now)."""
    first = group_starts(rank)
    flips = np.zeros(len(rank), dtype=bool)
    flips[1:] = (rank[1:] == rank[:-1]) & (active[1:] != active[:-1])
    midpoint = np.zeros(len(rank), dtype=np.int64)
    midpoint[1:] = tick[:-1] + (tick[1:] - tick[:-1]) // 2
    at = np.flatnonzero(first | flips)
    start = np.where(first[at], tick[at], midpoint[at])
    last = group_ends(rank[at])
    return rank[at][last], start[last], active[at][last]
