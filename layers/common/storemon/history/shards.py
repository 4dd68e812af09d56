"""Store shards (issue 18): one report computed as several, by store, and put back together.

A report is a function of each store's own polls (SPEC §4-§7: nothing crosses stores) once
its ``now`` is fixed, so it splits by store. A shard owns a contiguous range of the
history's store buckets (:func:`storemon.history.buckets.bucket_of`, the one stable store
hash: the same store is in the same shard in every process and every version), which is
also how the history's partitions are laid out, so a shard reads only its buckets' slices.

The steps, each a function here (pure: no AWS, no files):

1. the coordinator decides once, for every shard, what only the whole data can say
   (:func:`plan_request`): ``now`` (the newest valid poll of every store, unless ``as_of``
   or a range's end), and the summary's ``files`` counts (rows read and skipped are
   file-level: counted once, never summed over shards);
2. the shards: :func:`shard_count` from the polls and ``polls_per_shard``,
   :func:`bucket_ranges` (contiguous, about equal), :func:`split_polls` (each shard's polls;
   the bucket of each distinct store computed once);
3. each shard's report (:func:`report_of_shard`): the engine's own phases at the shared
   ``now``, with its polls' newest and oldest instants;
4. :func:`assemble`: the shards' frames concatenated and put in the one report's order (by
   store id as text, a stable sort that keeps each store's own rows in order), the summary
   made again by the one-worker rules (:func:`storemon.report.result.summary`) from the
   assembled stores and the shards' sums. Every output written from the assembled result
   (report CSV, summary, incidents, per-store file, page) is byte for byte the one-worker
   report's (apart from ``duration_seconds``, which is a measurement).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from storemon.history.buckets import BUCKETS, bucket_of, id_bytes
from storemon.inputs.closures import Closures
from storemon.inputs.tables import Hours, Polls, Zones
from storemon.report.periods import Period
from storemon.report.pipeline import file_counts, report_from_parsed, report_now, require_a_poll
from storemon.report.result import (
    STORE_COLUMNS,
    ReportResult,
    ReportScope,
    StoreFacts,
    finish,
    summary,
)

# the frames of a result that hold rows per store (``store_id`` first), in the report's order
STORE_FRAMES = ("stores", "incidents", "business_intervals", "closures")


@dataclass(frozen=True)
class ReportRequest:
    """What every shard of one report shares, decided once by the coordinator: ``now_us``,
    the request (``as_of``, ``store_ids``, ``incidents``, ``period``) and the summary's
    ``files`` (file-level counts)."""

    now_us: int
    as_of: str | None
    store_ids: list[str] | None
    incidents: bool
    period: Period
    files: dict


@dataclass
class ShardResult:
    """One shard's report (its stores only) and its polls' (newest, oldest) instants in µs
    (None: the shard has no poll)."""

    result: ReportResult
    poll_range: tuple[int, int] | None


def plan_request(
    polls: Polls,
    hours: Hours,
    zones: Zones,
    closures: Closures | None = None,
    *,
    as_of: str | None = None,
    store_ids: list[str] | None = None,
    incidents: bool = False,
    period: Period | None = None,
) -> ReportRequest:
    """The shared part of a report over ``polls`` (every store's): the one-worker report's
    checks (a valid poll, as_of and a range not both) and its ``now``."""
    period = period or Period()
    require_a_poll(polls)
    return ReportRequest(
        now_us=report_now(period, as_of, polls),
        as_of=as_of,
        store_ids=store_ids,
        incidents=incidents,
        period=period,
        files=file_counts(polls, hours, zones, closures),
    )


def shard_count(polls: int, polls_per_shard: int, buckets: int = BUCKETS) -> int:
    """How many shards for ``polls`` polls: enough that each holds about ``polls_per_shard``
    (1 at least, ``buckets`` at most: a shard is at least one bucket)."""
    if polls_per_shard < 1:
        raise ValueError("polls_per_shard must be at least 1")
    return max(1, min(buckets, math.ceil(polls / polls_per_shard)))


def bucket_ranges(shards: int, buckets: int = BUCKETS) -> list[tuple[int, int]]:
    """``shards`` contiguous bucket ranges ``[lo, hi)`` covering ``0 .. buckets``, each of
    ``buckets // shards`` or one more buckets (the hash spreads stores evenly over buckets)."""
    if not 1 <= shards <= buckets:
        raise ValueError(f"shards must be 1 to {buckets}, not {shards}")
    bounds = [k * buckets // shards for k in range(shards + 1)]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def store_buckets(store_ids: np.ndarray) -> np.ndarray:
    """The bucket of each store id (str or object array)."""
    return bucket_of(id_bytes(store_ids))


def split_polls(polls: Polls, ranges: list[tuple[int, int]]) -> list[Polls]:
    """Each range's polls (the stores whose bucket is in it, with only their ids); every
    shard shares the file's ``stats`` (file-level counts, never split)."""
    bucket = store_buckets(polls.store_ids)
    return [_polls_of_stores(polls, (bucket >= lo) & (bucket < hi)) for lo, hi in ranges]


def polls_in_range(polls: Polls, bucket: np.ndarray, lo: int, hi: int) -> Polls:
    """The polls of the stores whose bucket (``bucket``: each of ``polls.store_ids``'s) is
    in ``[lo, hi)``: one shard's of :func:`split_polls`, made alone."""
    return _polls_of_stores(polls, (bucket >= lo) & (bucket < hi))


def _polls_of_stores(polls: Polls, keep_store: np.ndarray) -> Polls:
    kept = np.flatnonzero(keep_store)
    code = np.full(len(polls.store_ids), -1, dtype=np.int64)
    code[kept] = np.arange(len(kept))
    keep = keep_store[polls.store]
    return Polls(
        store_ids=polls.store_ids[kept],
        store=code[polls.store[keep]],
        time_us=polls.time_us[keep],
        active=polls.active[keep],
        stats=polls.stats,
    )


def report_of_shard(
    polls: Polls,
    hours: Hours,
    zones: Zones,
    closures: Closures | None,
    request: ReportRequest,
) -> ShardResult:
    """A shard's report: its stores' rows, computed at the whole report's ``now``."""
    result = report_from_parsed(
        polls,
        hours,
        zones,
        as_of=request.as_of,
        store_ids=request.store_ids,
        incidents=request.incidents,
        period=request.period,
        closures=closures,
        now_us=request.now_us,
    )
    if not len(polls.time_us):
        return ShardResult(result, None)
    return ShardResult(result, (int(polls.time_us.max()), int(polls.time_us.min())))


def assemble(
    shards: list[ShardResult], request: ReportRequest, started: float | None = None
) -> ReportResult:
    """The one report from its shards' (any order, stores disjoint): the same frames and
    summary as one worker computing every store; ``started`` (a ``perf_counter`` value) for
    the summary's duration."""
    started = time.perf_counter() if started is None else started
    results = [shard.result for shard in shards]
    report, order = in_store_order([r.report for r in results])
    percentages = _concatenated([r.percentages for r in results]).take(order)
    frames = {name: _frame_in_store_order(results, name) for name in STORE_FRAMES}
    stores = frames["stores"]
    assert stores is not None
    scope = ReportScope(
        now_us=request.now_us,
        as_of=request.as_of,
        store_ids=request.store_ids,
        files=request.files,
        poll_range=_poll_range(shards, request.now_us),
        polls_used=sum(int(r.summary["polls_used"]) for r in results),
        evidence_polls=sum(int(r.summary["evidence_polls"]) for r in results),
        period=request.period.describe() if request.period.named else None,
    )
    facts = StoreFacts(**{name: stores[name].to_numpy() for name in STORE_COLUMNS})
    result = ReportResult(
        report=report,
        summary=summary(facts, scope),
        stores=stores,
        percentages=percentages.reset_index(drop=True),
        incidents=frames["incidents"],
        business_intervals=frames["business_intervals"],
        closures=frames["closures"],
    )
    return finish(result, started)


def _poll_range(shards: list[ShardResult], now_us: int) -> tuple[int, int]:
    ranges = [shard.poll_range for shard in shards if shard.poll_range is not None]
    if not ranges:
        return now_us, now_us
    return max(newest for newest, _ in ranges), min(oldest for _, oldest in ranges)


def _frame_in_store_order(results: list[ReportResult], name: str) -> pd.DataFrame | None:
    frames = [getattr(result, name) for result in results]
    if any(frame is None for frame in frames):
        return None
    return in_store_order(frames)[0]


def in_store_order(frames: list[pd.DataFrame]) -> tuple[pd.DataFrame, np.ndarray]:
    """The frames as one, sorted by store id as text (stable: each store's rows keep their
    order), and the order applied (positions in the concatenation)."""
    joined = _concatenated(frames)
    ids = joined["store_id"].to_numpy().astype(str) if len(joined) else np.zeros(0, dtype=str)
    order = np.argsort(ids, kind="stable")
    return joined.take(order).reset_index(drop=True), order


def _concatenated(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """One frame of the frames' rows; the empty ones (a shard without stores) are left out
    so they do not change the columns' types; the first when every one is empty."""
    filled = [frame for frame in frames if len(frame)]
    if not filled:
        return frames[0].iloc[0:0]
    if len(filled) == 1:
        return filled[0]
    return pd.concat(filled, ignore_index=True)
