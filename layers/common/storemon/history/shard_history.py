"""Store shards of a report from a poll history (issue 18, docs/shards.md): each shard reads
only its buckets' slices of the objects its report's span needs.

Pure (no AWS): objects are read through ``load(key)`` (whole: the manifest's small hours,
zones and closures files, and the carry when the status now needs its oldest poll) and
``read_range(key, offset, size)`` (a slice: an S3 range GET).

- :func:`plan_history` (the coordinator): from the manifest alone (poll counts, the newest
  poll of each partition), which objects each of the report's requests reads
  (:func:`storemon.history.answer.read_set`, as one worker chooses), how many shards, and the
  plan every shard shares (:class:`storemon.history.shard_work.ShardPlan`: now, the file
  counts, the page's requests, the status span, the summary's ``history``). No partition is
  read; None when the report is not to be sharded (few polls, or no poll in its span: one
  worker then reports it, the empty span's error included);
- :func:`compute_history_shard` (a shard): the polls of its bucket range in each request's
  objects (:func:`storemon.history.partition.read_buckets`: the header, the stores section,
  its slice of the polls), its stores' hours, zones and closures, and the shard's output
  (:func:`storemon.history.shard_work.compute_shard_of`). The outputs assemble as any
  shards' do, byte for byte the one-worker report from the history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from storemon.clock.iso import request_text
from storemon.clock.ticks import US_PER_DAY
from storemon.history import partition
from storemon.history.answer import ReadSet, concatenated, history_stats, read_set
from storemon.history.ingest import Load, parsed_inputs
from storemon.history.partition import Partition
from storemon.history.shard_work import ShardOutput, ShardPlan, compute_shard_of, tables_in_range
from storemon.history.shards import ReportRequest, bucket_ranges, plan_request, shard_count
from storemon.inputs.tables import FileStats, Polls
from storemon.page.periods import page_asks
from storemon.report.periods import Period

ReadRange = Callable[[str, int, int], bytes]  # (key, offset, size) -> bytes


@dataclass(frozen=True)
class HistoryShardInput:
    """What one shard of a history report is told (no poll: it reads its own slices): its
    number, the shared plan, each request's objects, and the history's input files."""

    shard: int
    plan: ShardPlan
    main: ReadSet
    month: ReadSet | None
    days: ReadSet | None
    inputs: dict  # the manifest's ``inputs`` (hours, zones, closures objects)


@dataclass(frozen=True)
class HistoryPlan:
    """The coordinator's decision: the shared plan and each request's objects."""

    plan: ShardPlan
    main: ReadSet
    month: ReadSet | None
    days: ReadSet | None
    inputs: dict

    def shard_inputs(self) -> list[HistoryShardInput]:
        fields = (self.plan, self.main, self.month, self.days, self.inputs)
        return [HistoryShardInput(k, *fields) for k in range(self.plan.total)]


def plan_history(
    manifest: dict,
    load: Load,
    polls_per_shard: int,
    *,
    as_of: str | None = None,
    store_ids: list[str] | None = None,
    incidents: bool = False,
    period: Period | None = None,
    page: bool = False,
    status: bool = False,
) -> HistoryPlan | None:
    """The shards of a report of the history (None: one worker reports it); ``page``: with
    the page's month and days; ``status``: with every store's status now."""
    period = period or Period()
    hours, zones, closures = parsed_inputs(manifest, load)
    main_set = read_set(manifest, period=period, as_of=as_of, incidents=incidents)
    if main_set.polls <= polls_per_shard or main_set.newest_us is None:
        return None
    stats = history_stats(manifest, "history")

    def request(chosen: ReadSet, **asked) -> ReportRequest:
        newest = np.array([chosen.newest_us], dtype=np.int64)  # the newest poll it reads
        polls = Polls(np.zeros(0, dtype=object), newest, newest, np.ones(1, bool), stats)
        return plan_request(polls, hours, zones, closures, store_ids=store_ids, **asked)

    main = request(main_set, as_of=as_of, incidents=incidents, period=period)
    month_set = days_set = month = days = None
    if page:
        asks = page_asks(request_text(main.now_us))
        month_set, days_set = (_page_set(manifest, p, a) for p, a in asks)
        if month_set.newest_us is None or days_set.newest_us is None:
            return None
        month = request(month_set, as_of=asks[0][1], period=asks[0][0])
        days = request(days_set, as_of=asks[1][1], period=asks[1][0])
    span = (main_set.newest_us, _oldest_day(main_set, load) * US_PER_DAY) if status else None
    ranges = bucket_ranges(shard_count(main_set.polls, polls_per_shard))
    history = {
        "batches": len(manifest["batches"]),
        "base": manifest["base"]["name"] if manifest["base"] else None,
        "generation": manifest["generation"],
        "read": main_set.read,
    }
    plan = ShardPlan(ranges, main, month, days, span, history)
    return HistoryPlan(plan, main_set, month_set, days_set, dict(manifest.get("inputs") or {}))


def _page_set(manifest: dict, period: Period, as_of: str | None) -> ReadSet:
    return read_set(manifest, period=period, as_of=as_of, incidents=False)


def _oldest_day(chosen: ReadSet, load: Load) -> int:
    """The UTC day of the oldest poll the request reads: the carry's (read whole: a few
    polls per store) when it holds any, else the first partition's day. The status span's
    calendar starts at that day (or at the week's, if earlier), so the day is all it needs."""
    if chosen.first is not None and int(chosen.first["polls"]):
        carry = partition.from_bytes(load(chosen.first["key"]), chosen.first["key"])
        return int(carry.time_us.min()) // US_PER_DAY
    return int(chosen.days[0]["day"])


def compute_history_shard(
    given: HistoryShardInput, load: Load, read_range: ReadRange
) -> ShardOutput:
    """One shard's output: its buckets' slices of each request's objects (each object read
    once), its stores' hours, zones and closures."""
    lo, hi = given.plan.ranges[given.shard]
    hours, zones, closures = parsed_inputs({"inputs": given.inputs}, load)
    files = tables_in_range(hours, zones, closures, lo, hi)
    slices: dict[str, Partition] = {}

    def slice_of(entry: dict | None) -> Partition:
        if entry is None:
            return partition.empty()
        key = entry["key"]
        if key not in slices:
            slices[key] = partition.read_buckets(
                lambda offset, size: read_range(key, offset, size), lo, hi, key
            )
        return slices[key]

    def tables(chosen: ReadSet | None):
        if chosen is None:
            return (_no_polls(), *files)
        parts = [slice_of(chosen.first)] + [slice_of(entry) for entry in chosen.days]
        return (concatenated(parts, FileStats("history")), *files)

    main = tables(given.main)
    month = main if given.month == given.main else tables(given.month)
    days = main if given.days == given.main else tables(given.days)
    return compute_shard_of(given.shard, given.plan, main, month, days)


def _no_polls() -> Polls:
    return concatenated([], FileStats("history"))
