"""A store shard's work in the service (issue 18, docs/shards.md): what the coordinator hands
each shard, what a shard computes and hands back, and the one report put back together.

Pure (no AWS): the service (:mod:`storemon.service.shard_jobs`) moves these objects through
S3 as bytes (:func:`to_bytes`, :func:`from_bytes`).

- :func:`plan_shards`: what every shard shares, decided once from every store's polls: the
  report's request (:func:`storemon.history.shards.plan_request`: now, the file counts), the
  page's two reports (the month and the last 30 days, at the report's now) and the span of
  the stores' status now (its now is the newest poll of every store);
- :func:`split_inputs`: each shard's inputs, its buckets' stores only: polls, business hours,
  zones, and the closures of its stores plus every ``*`` row;
- :func:`compute_shard`: the shard's report, page reports and status now, at the shared nows;
- :func:`assemble_outputs`: the one report, its page's periods and the status now, from every
  shard's output (:func:`storemon.history.shards.assemble`), byte for byte one worker's.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from storemon.clock.iso import request_text
from storemon.history.shards import (
    ReportRequest,
    ShardResult,
    assemble,
    bucket_ranges,
    in_store_order,
    plan_request,
    polls_in_range,
    report_of_shard,
    store_buckets,
)
from storemon.inputs.closures import Closures
from storemon.inputs.tables import Hours, Polls, Zones
from storemon.page.periods import DAYS, PagePeriods, last_dates, page_asks
from storemon.report.current_status import status_of_span
from storemon.report.periods import Period
from storemon.report.span import span_evidence

if TYPE_CHECKING:
    from storemon.report.result import ReportResult

ParsedInputs = tuple[Polls, Hours, Zones, Closures | None]
EVERY_STORE = "*"  # a closures row for every store (SPEC §9)


@dataclass(frozen=True)
class ShardPlan:
    """What every shard of one report shares: its bucket ranges, the report's request, the
    page's month and days requests (None: no page) and the status span (None: no status)."""

    ranges: list[tuple[int, int]]
    main: ReportRequest
    month: ReportRequest | None
    days: ReportRequest | None
    status_span: tuple[int, int] | None
    history: dict | None = None  # a report of a poll history: its summary's ``history``

    @property
    def total(self) -> int:
        return len(self.ranges)


@dataclass
class ShardInput:
    """One shard's data: its buckets' stores' polls, hours, zones and closures."""

    shard: int
    polls: Polls
    hours: Hours
    zones: Zones
    closures: Closures | None
    plan: ShardPlan


@dataclass
class ShardOutput:
    """One shard's results (its stores only)."""

    shard: int
    main: ShardResult
    month: ShardResult | None
    days: ShardResult | None
    status: pd.DataFrame | None


def plan_shards(
    parsed: ParsedInputs,
    shards: int,
    *,
    as_of: str | None = None,
    store_ids: list[str] | None = None,
    incidents: bool = False,
    period: Period | None = None,
    page: bool = False,
    status: bool = False,
) -> ShardPlan:
    """The shared part of a report over every store's ``parsed`` inputs in ``shards``
    shards; ``page``: with the page's month and days; ``status``: with every store's status
    now. The one-worker report's checks (InputError when no poll is valid...)."""
    polls, hours, zones, closures = parsed
    tables = (polls, hours, zones, closures)
    main = plan_request(
        *tables, as_of=as_of, store_ids=store_ids, incidents=incidents, period=period
    )
    month = days = None
    if page:
        (month_period, month_as_of), (days_period, days_as_of) = page_asks(
            request_text(main.now_us)
        )
        month = plan_request(*tables, as_of=month_as_of, store_ids=store_ids, period=month_period)
        days = plan_request(*tables, as_of=days_as_of, store_ids=store_ids, period=days_period)
    # the status now: at the newest poll of every store, its calendar from the oldest one
    span = (int(polls.time_us.max()), int(polls.time_us.min())) if status else None
    return ShardPlan(bucket_ranges(shards), main, month, days, span)


def split_inputs(parsed: ParsedInputs, plan: ShardPlan) -> Iterator[ShardInput]:
    """Each shard's inputs, one at a time (the caller writes one, then makes the next): the
    stores whose bucket is in its range (a closures row for every store, ``*``, in each)."""
    polls, hours, zones, closures = parsed
    poll_buckets = store_buckets(polls.store_ids)
    hour_buckets = store_buckets(hours.store_id)
    zone_buckets = store_buckets(zones.store_id)
    closure_buckets = _closure_buckets(closures)
    for k, (lo, hi) in enumerate(plan.ranges):
        yield ShardInput(
            shard=k,
            polls=polls_in_range(polls, poll_buckets, lo, hi),
            hours=_rows(hours, (hour_buckets >= lo) & (hour_buckets < hi)),
            zones=_rows(zones, (zone_buckets >= lo) & (zone_buckets < hi)),
            closures=None
            if closures is None or closure_buckets is None
            else _rows(
                closures,
                (closure_buckets >= lo) & (closure_buckets < hi)
                | (closures.store_id == EVERY_STORE),
            ),
            plan=plan,
        )


def _closure_buckets(closures: Closures | None) -> np.ndarray | None:
    if closures is None:
        return None
    return store_buckets(closures.store_id)


def tables_in_range(
    hours: Hours, zones: Zones, closures: Closures | None, lo: int, hi: int
) -> tuple[Hours, Zones, Closures | None]:
    """The hours, zones and closures rows of the stores whose bucket is in ``[lo, hi)``
    (and every ``*`` closures row)."""
    hour_buckets, zone_buckets = store_buckets(hours.store_id), store_buckets(zones.store_id)
    closure_buckets = _closure_buckets(closures)
    in_hours = _rows(hours, (hour_buckets >= lo) & (hour_buckets < hi))
    in_zones = _rows(zones, (zone_buckets >= lo) & (zone_buckets < hi))
    if closures is None or closure_buckets is None:
        return in_hours, in_zones, None
    keep = (closure_buckets >= lo) & (closure_buckets < hi) | (closures.store_id == EVERY_STORE)
    return in_hours, in_zones, _rows(closures, keep)


def _rows(table, keep: np.ndarray):
    """The table (a dataclass of row arrays and its ``stats``) with the rows in ``keep``."""
    fields = {
        name: (value if name == "stats" else value[keep]) for name, value in vars(table).items()
    }
    return type(table)(**fields)


def compute_shard(given: ShardInput) -> ShardOutput:
    """The shard's report (and the page's reports, the status now) at the shared nows."""
    tables = (given.polls, given.hours, given.zones, given.closures)
    return compute_shard_of(given.shard, given.plan, tables, tables, tables)


def compute_shard_of(
    shard: int,
    plan: ShardPlan,
    main: ParsedInputs,
    month: ParsedInputs,
    days: ParsedInputs,
) -> ShardOutput:
    """A shard's output from its inputs for each of the plan's requests (the same tables,
    or, for a poll history, the polls each request's span reads); the status now from the
    main request's."""

    def report(request: ReportRequest | None, tables: ParsedInputs) -> ShardResult | None:
        return None if request is None else report_of_shard(*tables, request)

    result = report(plan.main, main)
    assert result is not None
    status = None
    if plan.status_span is not None and len(main[0].time_us):
        now_us, first_us = plan.status_span
        status = status_of_span(span_evidence(*main, now_us=now_us, first_us=first_us))
    return ShardOutput(shard, result, report(plan.month, month), report(plan.days, days), status)


def assemble_outputs(
    outputs: list[ShardOutput], plan: ShardPlan, started: float | None = None
) -> tuple[ReportResult, pd.DataFrame | None, PagePeriods | None]:
    """The one report, every store's status now (None without) and the page's periods (None
    without), from every shard's output (any order)."""
    if sorted(out.shard for out in outputs) != list(range(plan.total)):
        raise ValueError(f"the outputs are not those of the {plan.total} shards")
    result = assemble([out.main for out in outputs], plan.main, started)
    if plan.history is not None:
        result.summary["history"] = plan.history
    periods = None
    if plan.month is not None and plan.days is not None:
        month = assemble([_of(out.month) for out in outputs], plan.month)
        days = assemble([_of(out.days) for out in outputs], plan.days)
        periods = PagePeriods(month=month, days=last_dates(days.report, DAYS))
    status = None
    if plan.status_span is not None:
        frames = [out.status for out in outputs if out.status is not None]
        status = in_store_order(frames)[0]
    return result, status, periods


def _of(shard: ShardResult | None) -> ShardResult:
    assert shard is not None
    return shard


def to_bytes(value: ShardInput | ShardOutput | ShardPlan) -> bytes:
    """An object the service writes under its report's ``shards/`` prefix and reads back.
    pickle: written and read by the worker role only (the bucket is private, and no other
    role may write under ``reports/``), never from an outside party."""
    return pickle.dumps(value, protocol=5)


def from_bytes(data: bytes, kind: type) -> object:
    """What :func:`to_bytes` wrote; ValueError when it is not a ``kind``."""
    value = pickle.loads(data)  # noqa: S301 (the worker's own objects: see to_bytes)
    if not isinstance(value, kind):
        raise ValueError(f"expected a {kind.__name__}, found a {type(value).__name__}")
    return value
