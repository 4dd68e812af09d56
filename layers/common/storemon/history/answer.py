"""The report from a history: only the days its span needs, plus the carry.

A report's span starts at :meth:`Period.span_start_us` (the longest window's start, the
range's start, the week's when incidents are asked). When the carry's cut is at or before
it, the report reads the carry and the partitions from the cut to ``now``'s day; otherwise
(an ``as_of`` or a range further back) the retained carry and every partition to ``now``'s
day. Either way the polls handed to the engine give the same report as every poll of the
history would (docs/history.md), and the engine's own phases compute it.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import numpy as np

from storemon.clock.ticks import US_PER_DAY
from storemon.history import partition
from storemon.history.ingest import Load, newest_poll, parsed_inputs
from storemon.history.part_evidence import PartsOrder
from storemon.history.partition import Partition
from storemon.history.store_codes import store_codes
from storemon.inputs.closures import Closures
from storemon.inputs.tables import FileStats, Hours, Polls, Zones
from storemon.report.last_made import LastMade, Newest
from storemon.report.periods import Period
from storemon.report.pipeline import parse_instant, report_from_parsed
from storemon.report.result import ReportResult


@dataclass(frozen=True)
class HistoryPolls:
    """The polls a report reads from a history, the engine's inputs, and what was read."""

    polls: Polls
    hours: Hours
    zones: Zones
    closures: Closures | None
    read: dict
    order: PartsOrder | None = None  # how the polls were taken from the partitions


def history_stats(manifest: dict, name: str) -> FileStats:
    """The summary's ``store_status`` of a history: rows read and skipped (by reason) summed
    over the base and every batch ingested (each batch counted once, when it was read)."""
    stats = FileStats(name)
    entries = ([manifest["base"]] if manifest["base"] else []) + list(manifest["batches"])
    reasons: Counter = Counter()
    for entry in entries:
        stats.rows_read += int(entry["rows_read"])
        reasons.update(entry["skipped_reasons"])
    for reason, count in sorted(reasons.items()):
        stats.skip(reason, count)
    return stats


def polls_for(
    manifest: dict,
    load: Load,
    *,
    period: Period,
    as_of: str | None = None,
    incidents: bool = False,
    name: str = "history",
) -> HistoryPolls:
    """The carry (or the retained carry) and the partitions the report's span needs. The
    last polls made are kept (per process) and given again, the same object, for the same
    objects and counts: a batch's alerts, its report and its status now read them once (and
    select them once: :func:`storemon.report.timeline.select_polls`)."""
    hours, zones, closures = parsed_inputs(manifest, load)
    chosen = read_set(manifest, period=period, as_of=as_of, incidents=incidents, name=name)
    stats = history_stats(manifest, name)
    objects = [e["key"] for e in ([chosen.first] if chosen.first else []) + chosen.days]
    key = (name, tuple(objects), repr(stats.as_dict()))
    kept = _LAST_POLLS.get(key)
    if kept is not None:
        return HistoryPolls(kept[0], hours, zones, closures, chosen.read, kept[1])
    parts = [_read(load, chosen.first)] + [_read(load, e) for e in chosen.days]
    polls, order = joined(parts, stats)
    if not len(polls.time_us):  # as_of before the history: the engine says so
        polls = concatenated([_read(load, e) for e in manifest["partitions"].values()], polls.stats)
        return HistoryPolls(polls, hours, zones, closures, chosen.read)
    _LAST_POLLS.keep(key, (polls, order))
    return HistoryPolls(polls, hours, zones, closures, chosen.read, order)


# the objects and counts read -> the polls, and how they were taken from the partitions
_LAST_POLLS: LastMade[tuple, tuple[Polls, PartsOrder]] = LastMade()


@dataclass(frozen=True)
class ReadSet:
    """The objects a report of a history reads: ``first`` (the carry's or the retained
    carry's manifest entry, None without one), the partitions' entries ``days`` in day order,
    and the summary's ``read`` (partitions, carry, bytes)."""

    first: dict | None
    days: list[dict]
    read: dict

    @property
    def polls(self) -> int:
        """How many polls the objects hold (from the manifest, nothing read)."""
        return sum(int(e["polls"]) for e in ([self.first] if self.first else []) + self.days)

    @property
    def newest_us(self) -> int | None:
        """The newest poll of the partitions (the carry's are older), None without one."""
        return max((int(e["last_us"]) for e in self.days), default=None)


def read_set(
    manifest: dict, *, period: Period, as_of: str | None, incidents: bool, name: str = "history"
) -> ReadSet:
    """Which objects a report's span needs (docs/history.md): the carry and the partitions
    from its cut to ``now``'s day, or the retained carry and every partition to it."""
    newest = newest_poll(manifest)
    if newest is None:
        from storemon.errors import InputError

        raise InputError(name, "the history holds no poll yet")
    as_of_us = None if as_of is None or period.is_range else parse_instant(as_of)
    now_us = period.now_us(as_of_us, newest)
    span_start = period.span_start_us(now_us, incidents=incidents)
    carry = manifest["carry"]
    use_carry = carry is not None and carry["cut_day"] * US_PER_DAY <= span_start
    first = carry if use_carry else manifest["retained"]
    from_day = carry["cut_day"] if use_carry else -(2**40)
    now_day = now_us // US_PER_DAY
    days = [e for e in manifest["partitions"].values() if from_day <= e["day"] <= now_day]
    days.sort(key=lambda e: e["day"])
    read = {
        "partitions": len(days),
        "carry": "carry" if use_carry else "retained",
        "bytes": sum(int(e["bytes"]) for e in days) + (int(first["bytes"]) if first else 0),
    }
    return ReadSet(first, days, read)


def _read(load: Load, entry: dict | None) -> Partition:
    """The partition (or carry) of a manifest entry; decoded once per process while it is
    among the last :data:`DECODED` read (its key names immutable bytes)."""
    if entry is None:
        return partition.empty()
    key = entry["key"]
    part = _DECODED.get(key)
    if part is None:
        part = _DECODED.keep(key, partition.from_bytes(load(key), key))
    return part


# a report's carry and days, its page's month, the alerts' (about 2.3 MB each at full scale):
# a partition read again is a new object, and what is kept of it (its codes, which of its
# polls are inside business hours) is asked again
DECODED = 40
_DECODED: Newest[str, Partition] = Newest(DECODED)


def concatenated(parts: list[Partition], stats: FileStats) -> Polls:
    """The polls of partitions with disjoint times, as one :class:`Polls` (the store
    dictionaries joined, never the polls sorted). Each partition holds each store's polls
    together and in time order, so taken store by store (by id) and partition by partition,
    they come out sorted by (store, time) when the partitions are given in time order: the
    engine's selection then finds them in order (:func:`storemon.report.timeline.select_polls`)."""
    return joined(parts, stats)[0]


def joined(parts: list[Partition], stats: FileStats) -> tuple[Polls, PartsOrder]:
    """:func:`concatenated`, and how its polls were taken from the partitions."""
    parts = [part for part in parts if len(part)]
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        polls = Polls(np.zeros(0, dtype=object), empty, empty, np.zeros(0, dtype=bool), stats)
        return polls, PartsOrder((), empty, polls.time_us)
    store_ids, code = store_codes(parts)  # np.unique's answer, kept from batch to batch
    lengths = np.concatenate([np.diff(part.poll_start) for part in parts])
    order = np.argsort(code, kind="stable")  # by store, then partition (the parts' order)
    length = lengths[order]
    moved = (np.cumsum(lengths) - lengths)[order] - (np.cumsum(length) - length)
    take = np.repeat(moved, length)
    take += np.arange(len(take))
    polls = Polls(
        store_ids=store_ids,
        store=np.repeat(code[order], length),
        time_us=np.concatenate([part.time_us for part in parts])[take],
        active=np.concatenate([part.active() for part in parts])[take],
        stats=stats,
    )
    return polls, PartsOrder(tuple(parts), take, polls.time_us)


def report_from_history(
    manifest: dict,
    load: Load,
    *,
    as_of: str | None = None,
    store_ids: list[str] | None = None,
    incidents: bool = False,
    period: Period | None = None,
    name: str = "history",
) -> ReportResult:
    """The report from a history (``load(key)`` reads its objects): the same report as one
    status file holding every poll of the history; the summary's ``store_status`` counts the
    rows of the base and every batch, and ``history`` says what the report read."""
    return report_and_polls(
        manifest,
        load,
        as_of=as_of,
        store_ids=store_ids,
        incidents=incidents,
        period=period,
        name=name,
    )[0]


def report_and_polls(
    manifest: dict,
    load: Load,
    *,
    as_of: str | None = None,
    store_ids: list[str] | None = None,
    incidents: bool = False,
    period: Period | None = None,
    name: str = "history",
    incidents_later: bool = False,
) -> tuple[ReportResult, HistoryPolls]:
    """:func:`report_from_history`, and the polls and files it read (for the stores' status
    now, which needs the same carry and days); ``incidents_later``: as
    :func:`storemon.report.pipeline.report_from_parsed`'s."""
    started = time.perf_counter()
    period = period or Period()
    found = polls_for(manifest, load, period=period, as_of=as_of, incidents=incidents, name=name)
    result = report_from_parsed(
        found.polls,
        found.hours,
        found.zones,
        as_of=as_of,
        store_ids=store_ids,
        started=started,
        incidents=incidents,
        period=period,
        closures=found.closures,
        incidents_later=incidents_later,
        evidence_inside=found.order.inside if found.order else None,
    )
    result.summary["history"] = {
        "batches": len(manifest["batches"]),
        "base": manifest["base"]["name"] if manifest["base"] else None,
        "generation": manifest["generation"],
        "read": found.read,
    }
    return result, found
