"""Incidents (SPEC §7): each store's stretches of ``inactive`` status in the week, located.

An incident is a maximal stretch of time during which the store's interpolated status (§4,
over all time, not only business hours: an outage across a closed night is one incident) is
``inactive``, clipped to the week window ``[now - 168 h, now)``. It is listed when it holds
business time (more than zero). Its ``business_minutes`` is that business time, so per store
the incidents add up to ``downtime_last_week × 60`` (up to rounding).

Computed from the report's events (:class:`storemon.report.timeline.PeriodEvents`), which
already hold, per store and in time order, the week's start, every status change and ``now``,
each with the cumulative business time ``B(t)`` (closed time excluded, SPEC §9) and the
status after it: an incident is an event after
which the status is inactive, up to the store's next change (or ``now``). No loop over
stores or incidents; the zone work for local times is done once per zone (:mod:`storemon.clock.tz`).

The frame has exactly :data:`INCIDENT_COLUMNS`:

- ``store_id`` (str); rows ordered by store_id as a string, then start;
- ``start_utc``/``end_utc``: ``YYYY-MM-DDTHH:MM:SS.ffffffZ``;
- ``start_local``/``end_local``: the same instants in the store's zone, ISO 8601 with the
  offset, e.g. ``2023-01-23T10:45:00.000000-06:00``;
- ``business_minutes`` (float64): business time inside, minutes, rounded to 2 decimals;
- ``ongoing`` (bool): the incident ends at ``now`` (written ``true``/``false`` in CSV).

A start or end between two polls is their midpoint, which can fall on half a microsecond:
it is printed rounded half to even on the microsecond (:mod:`storemon.clock.ticks`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from storemon.clock.iso import local_texts, utc_texts
from storemon.clock.ticks import TICKS_PER_MINUTE, ticks_to_us
from storemon.report import csv_output
from storemon.report.business_hours import StoreCalendar
from storemon.report.timeline import PeriodEvents

BUSINESS_COLUMNS = ["store_id", "open_utc", "close_utc"]
INCIDENT_COLUMNS = [
    "store_id",
    "start_utc",
    "end_utc",
    "start_local",
    "end_local",
    "business_minutes",
    "ongoing",
]


def find_incidents(
    events: PeriodEvents, store_id: np.ndarray, calendar: StoreCalendar, week_start_tick: int
) -> pd.DataFrame:
    """The incidents of every store (see the module docstring), as a frame.

    ``events`` hold the week's start among their marks; ``store_id`` maps rank -> id;
    ``calendar`` gives each store's zone.
    """
    now_tick = events.now_tick
    tick, is_change = events.tick, events.is_change
    # the week's start, the changes after it and now: the other marks split nothing
    bound = (tick >= week_start_tick) & (is_change | (tick == week_start_tick) | (tick == now_tick))
    rank, tick, is_change = events.rank[bound], tick[bound], is_change[bound]
    business, active = events.business[bound], events.active_after[bound]
    # a store's last event is now; every other one opens a stretch up to the next event
    first = np.flatnonzero((is_change | (tick != now_tick)) & ~active)
    business_ticks = business[first + 1] - business[first]
    first = first[business_ticks > 0]
    return incidents_frame(
        store_id[rank[first]],
        start_tick=tick[first],
        end_tick=tick[first + 1],
        business_ticks=business_ticks[business_ticks > 0],
        zone_index=calendar.zone_of_rank[rank[first]],
        zone_names=calendar.zone_names,
        now_tick=now_tick,
    )


def incidents_frame(
    store_id: np.ndarray,
    *,
    start_tick: np.ndarray,
    end_tick: np.ndarray,
    business_ticks: np.ndarray,
    zone_index: np.ndarray,
    zone_names: list[str],
    now_tick: int,
) -> pd.DataFrame:
    """The §7 frame from incidents given in ticks (int64 arrays, one entry per incident)."""
    start_us, end_us = ticks_to_us(start_tick), ticks_to_us(end_tick)
    return pd.DataFrame(
        {
            "store_id": np.asarray(store_id, dtype=object),
            "start_utc": utc_texts(start_us),
            "end_utc": utc_texts(end_us),
            "start_local": local_texts(start_us, zone_index, zone_names),
            "end_local": local_texts(end_us, zone_index, zone_names),
            "business_minutes": np.round(business_ticks / TICKS_PER_MINUTE, 2),
            "ongoing": np.asarray(end_tick == now_tick, dtype=bool),
        },
        columns=INCIDENT_COLUMNS,
    )


def week_business_intervals(
    calendar: StoreCalendar, store_id: np.ndarray, week_start_tick: int, now_tick: int
) -> pd.DataFrame:
    """Each store's business intervals inside the week window, for drawing beside the
    incidents: :data:`BUSINESS_COLUMNS`, ``open_utc``/``close_utc`` as
    ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, clipped to ``[week start, now)``, by store then open.
    A store open 24/7 (``stores.hours_defined`` false) has no rows: it is open all week."""
    real = calendar.open_rank < calendar.n_stores  # not the sentinel
    opens = np.maximum(calendar.open_tick[real], week_start_tick)
    closes = np.minimum(calendar.close_tick[real], now_tick)
    inside = closes > opens
    return pd.DataFrame(
        {
            "store_id": np.asarray(store_id, dtype=object)[calendar.open_rank[real][inside]],
            "open_utc": utc_texts(ticks_to_us(opens[inside])),
            "close_utc": utc_texts(ticks_to_us(closes[inside])),
        },
        columns=BUSINESS_COLUMNS,
    )


def incidents_to_csv(frame: pd.DataFrame) -> str:
    """The incidents as CSV text: SPEC §7 header, minutes with 2 decimals, true/false,
    store ids that look like spreadsheet formulas neutralised
    (:mod:`storemon.report.csv_output`)."""
    text = frame.assign(ongoing=np.where(frame["ongoing"].astype(bool), "true", "false"))
    return csv_output.to_csv(text, float_format="%.2f")
