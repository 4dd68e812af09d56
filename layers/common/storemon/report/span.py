"""SPEC §4's evidence over a store's whole span, shared by the status now and the alerts.

:mod:`storemon.report.current_status` (each store's stretch now) and
:mod:`storemon.report.alerts` (every inactive stretch, not clipped to the week) read the same
things: the polls at or before ``now``, a calendar from the oldest of them (and at least from
the week's start) to ``now``, and the evidence polls (§4 with §9). :func:`span_evidence`
computes them once; a full report's status file and its alert view are made from one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storemon.clock.ticks import TICKS_PER_HOUR, TICKS_PER_US, US_PER_DAY
from storemon.inputs.closures import Closures
from storemon.inputs.tables import Hours, Polls, Zones
from storemon.report.business_hours import StoreCalendar
from storemon.report.last_made import LastMade, identical
from storemon.report.periods import WEEK_HOURS
from storemon.report.pipeline import calendar_and_evidence, require_a_poll
from storemon.report.timeline import SelectedPolls, select_polls


@dataclass(frozen=True)
class SpanEvidence:
    """``now_tick``; the polls at or before now (``selected``); the ``calendar`` of their
    stores from the UTC day of the oldest poll (or of the week's start, if earlier) to now;
    the evidence polls as (``rank``, ``tick``, ``active``), sorted by (rank, tick)."""

    now_tick: int
    selected: SelectedPolls
    calendar: StoreCalendar
    rank: np.ndarray
    tick: np.ndarray
    active: np.ndarray

    @property
    def week_start(self) -> int:
        """The week window's start, ``now - 168 h``, in ticks."""
        return self.now_tick - WEEK_HOURS * TICKS_PER_HOUR


def span_evidence(
    polls: Polls,
    hours: Hours,
    zones: Zones,
    closures: Closures | None = None,
    *,
    now_us: int | None = None,
    first_us: int | None = None,
) -> SpanEvidence:
    """The evidence of every store up to ``now_us`` (default: the newest poll); ``first_us``:
    the oldest poll at or before it when these polls are a store shard's (every store's
    oldest: the calendar spans the same days in every shard, storemon.history.shard_work).
    The last one is kept (per process): asked again with the same objects (a batch's alerts,
    then its status now), it is given again."""
    asked = (polls, hours, zones, closures, now_us, first_us)
    kept = _LAST_SPAN.get(asked)
    if kept is not None:
        return kept
    made = _span_evidence(polls, hours, zones, closures, now_us=now_us, first_us=first_us)
    return _LAST_SPAN.keep(asked, made)


_LAST_SPAN: LastMade[tuple, SpanEvidence] = LastMade(identical)


def _span_evidence(
    polls: Polls,
    hours: Hours,
    zones: Zones,
    closures: Closures | None,
    *,
    now_us: int | None,
    first_us: int | None,
) -> SpanEvidence:
    if now_us is None:
        require_a_poll(polls)
        now_us = int(polls.time_us.max())
    now_tick = now_us * TICKS_PER_US
    week_start_us = (now_tick - WEEK_HOURS * TICKS_PER_HOUR) // TICKS_PER_US
    selected = select_polls(polls, now_us, None)
    if first_us is None:
        first_us = int(selected.time_us.min()) if len(selected.time_us) else now_us
    span_start_us = min(first_us, week_start_us) // US_PER_DAY * US_PER_DAY
    calendar, rank, tick, active = calendar_and_evidence(
        selected, hours, zones, closures, span_start_us, closures_from_us=span_start_us
    )
    return SpanEvidence(now_tick, selected, calendar, rank, tick, active)
