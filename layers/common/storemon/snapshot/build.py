"""The snapshot's writer: the three inputs parsed once into the arrays every report needs
(what they are: :mod:`storemon.snapshot`)."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd

from storemon.clock.iso import utc_texts
from storemon.clock.ticks import TICKS_PER_SECOND, TICKS_PER_US, US_PER_DAY
from storemon.inputs.closures import EVERY_STORE, Closures, read_closures
from storemon.inputs.limits import Limits
from storemon.inputs.parse import parse_input_files
from storemon.inputs.tables import Hours, Polls, Zones
from storemon.report.business_hours import (
    HoursRows,
    StoreCalendar,
    business_intervals,
    hours_per_store,
    store_hours,
    store_zones,
    with_sentinel,
)
from storemon.report.closures import closed_spans, closure_rows, subtract_closed
from storemon.report.per_group import exclusive_group_cumsum, group_starts, merge_intervals
from storemon.report.periods import WINDOW_HOURS
from storemon.report.pipeline import file_counts, report_from_parsed
from storemon.report.timeline import status_flips, store_ranks, unique_polls
from storemon.snapshot.file_format import encode
from storemon.snapshot.reader import NEVER, VERSION, ZONE_SOURCES

AS_OF_DAYS_BACK = 35
AS_OF_DAYS_AHEAD = 2
# the calendar covers the longest window (the month, SPEC §8) of the earliest as_of
CALENDAR_HOURS_BACK = WINDOW_HOURS["month"]
US_PER_HOUR = 3_600_000_000


def snapshot_from_csv_bytes(
    status: bytes,
    hours: bytes,
    timezones: bytes,
    *,
    names: tuple[str, str, str] | None = None,
    progress: Callable[[str], None] | None = None,
    limits: Limits | None = None,
    closures: bytes | None = None,
    closures_name: str | None = None,
) -> bytes:
    """The snapshot file's bytes for the three input files' bytes (plain or gzip), and the
    closures file's when given (the snapshot then carries them, SPEC §9)."""
    table = None if closures is None else read_closures(closures, closures_name, limits)
    parsed = parse_input_files(
        status, hours, timezones, names=names, progress=progress, limits=limits
    )
    data = snapshot_from_parsed(*parsed, closures=table)
    if progress:
        progress(f"built the snapshot: {len(data):,} bytes")
    return data


def snapshot_from_parsed(
    polls: Polls,
    hours: Hours,
    zones: Zones,
    *,
    closures: Closures | None = None,
    as_of_days: tuple[int, int] = (AS_OF_DAYS_BACK, AS_OF_DAYS_AHEAD),
) -> bytes:
    """The snapshot of parsed inputs (see :mod:`storemon.snapshot`); its calendar answers
    every ``now`` from ``as_of_days[0]`` days before the newest poll (or the first poll,
    if later) to ``as_of_days[1]`` days after it, and periods starting up to a month
    before that."""
    if len(polls.time_us) == 0:
        report_from_parsed(polls, hours, zones)  # raises the engine's "no valid poll"
    store_id, rank_of_code = store_ranks(polls.store_ids, polls.store)
    n = len(store_id)
    rank, poll_us, active, copies = unique_polls(
        rank_of_code[polls.store], polls.time_us, polls.active, n, count_copies=True
    )
    assert copies is not None
    store_index = pd.Index(store_id)
    now_us, first_us = int(polls.time_us.max()), int(polls.time_us.min())
    as_of_range = (
        max(first_us, now_us - as_of_days[0] * US_PER_DAY),
        now_us + as_of_days[1] * US_PER_DAY,
    )
    calendar_from_us = as_of_range[0] - CALENDAR_HOURS_BACK * US_PER_HOUR
    rows = store_hours(hours, store_index)
    span_us = (calendar_from_us, as_of_range[1])
    calendar = _calendar(rows, store_index, zones, closures, polls=(rank, poll_us), span_us=span_us)
    inside = calendar.is_open(rank, poll_us * TICKS_PER_US)
    calendar_arrays, base_s = _calendar_arrays(calendar)
    derived = {
        **_store_facts((rank, poll_us, active, copies), inside, n),
        "store_ids": store_id,
        "has_hours": calendar.has_hours,
        "hours_days": calendar.days_with_hours,
        "zone_index": calendar.zone_of_rank,
        "zone_source": _zone_source_codes(calendar.zone_source),
        **calendar_arrays,
        **_timeline(rank, poll_us, active, inside, n),
    }
    meta = {
        "now_us": now_us,
        "first_us": first_us,
        "as_of_range_us": list(as_of_range),
        "calendar_from_us": calendar_from_us,
        "calendar_base_s": base_s,
        "zone_names": list(calendar.zone_names),
        "files": file_counts(polls, hours, zones, closures),
        "polls": int(len(poll_us)),
    }
    if closures is not None:
        closure_arrays, meta["closure_reasons"] = _closure_table(closures, store_index)
        derived |= closure_arrays
    derived["meta_json"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    return encode(
        VERSION, {"derived": derived, "inputs": _inputs(rows, poll_us, active, inside, copies)}
    )


def _closure_table(closures: Closures, store_index: pd.Index) -> tuple[dict, list[str]]:
    """The closure rows of the snapshot's stores and the ``*`` rows, as arrays (rank -1 for
    ``*``), and the distinct reasons their codes index."""
    every = closures.store_id == EVERY_STORE
    rank = store_index.get_indexer(closures.store_id) if len(closures) else np.zeros(0)
    kept = every | (rank >= 0)
    reasons, code = np.unique(closures.reason[kept].astype(str), return_inverse=True)
    arrays = {
        "closure_rank": np.where(every[kept], -1, rank[kept]).astype(np.int64),
        "closure_start_day": closures.start_day[kept],
        "closure_start_s": closures.start_s[kept].astype(np.int32),
        "closure_end_day": closures.end_day[kept],
        "closure_end_s": closures.end_s[kept].astype(np.int32),
        "closure_reason": code.reshape(int(kept.sum())).astype(np.int32),
    }
    return arrays, [str(reason) for reason in reasons]


def _inputs(rows: HoursRows, poll_us, active, inside, copies) -> dict[str, np.ndarray]:
    """The ``inputs`` section: the unique polls (flags bit-packed), which had copies and how
    many, and the reported stores' hours rows (narrow types)."""
    return {
        "poll_us": poll_us,
        "poll_active": np.packbits(active),
        "poll_inside": np.packbits(inside),
        "dup_index": np.flatnonzero(copies),
        "dup_extra": copies[copies > 0],
        "hours_rank": rows.rank.astype(np.int64),
        "hours_weekday": rows.weekday.astype(np.int8),
        "hours_start": rows.start_s.astype(np.int32),
        "hours_end": rows.end_s.astype(np.int32),
    }


def _zone_source_codes(source: np.ndarray) -> np.ndarray:
    codes = np.zeros(len(source), dtype=np.int8)
    for code, name in enumerate(ZONE_SOURCES):
        codes[source == name] = code
    return codes


def _calendar(
    rows: HoursRows,
    store_index: pd.Index,
    zones: Zones,
    closures: Closures | None,
    *,
    polls: tuple[np.ndarray, np.ndarray],
    span_us: tuple[int, int],
) -> StoreCalendar:
    """The stores' calendar: merged business intervals (minus closed time) exact around
    every poll and over every instant of ``span_us`` (from a month before the earliest
    as_of to the latest), the closures near the polls and the span."""
    n = len(store_index)
    has_hours, days_with_hours = hours_per_store(rows, n)
    zone_names, zone_of_rank, zone_source = store_zones(zones, store_index, n)
    opens = business_intervals(
        rows,
        has_hours=has_hours,
        zone_of_rank=zone_of_rank,
        zone_names=zone_names,
        poll_rank=polls[0],
        poll_us=polls[1],
        first_us=span_us[0],
        now_us=span_us[1],
    )
    intervals = merge_intervals(*opens, n)
    closed = None
    if closures is not None:
        first_poll = int(polls[1].min()) if len(polls[1]) else span_us[0]
        within = (min(first_poll, span_us[0]), span_us[1])
        listed = closure_rows(closures, store_index, zone_of_rank, zone_names, within_us=within)
        closed = closed_spans(listed, n)
        intervals = subtract_closed(intervals, closed)
    return StoreCalendar.from_intervals(
        (has_hours, days_with_hours),
        (zone_names, zone_of_rank, zone_source),
        with_sentinel(intervals, n, span_us[1] * TICKS_PER_US),
        closed=closed,
    )


def _store_facts(unique: tuple, inside: np.ndarray, n: int) -> dict[str, np.ndarray]:
    rank, poll_us, active, copies = unique
    counts = np.bincount(rank, minlength=n)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    first_poll_us = poll_us[offsets[:-1]]
    last_poll_us = poll_us[offsets[1:] - 1]
    inside_rank = rank[inside]
    first_inside = group_starts(inside_rank)
    first_inside_us = np.full(n, NEVER, dtype=np.int64)
    first_inside_us[inside_rank[first_inside]] = poll_us[inside][first_inside]
    first_inside_active = np.zeros(n, dtype=bool)
    first_inside_active[inside_rank[first_inside]] = active[inside][first_inside]
    return {
        "poll_offsets": offsets,
        "first_poll_us": first_poll_us,
        "last_poll_us": last_poll_us,
        "first_poll_iso": utc_texts(first_poll_us).astype(str).astype(np.bytes_),
        "last_poll_iso": utc_texts(last_poll_us).astype(str).astype(np.bytes_),
        "raw_polls": counts + np.bincount(rank, weights=copies, minlength=n).astype(np.int64),
        "inside_polls": np.bincount(inside_rank, minlength=n),
        "first_inside_us": first_inside_us,
        "first_active": active[offsets[:-1]],
        "first_inside_active": first_inside_active,
    }


def _calendar_arrays(calendar: StoreCalendar) -> tuple[dict[str, np.ndarray], int]:
    """The calendar's intervals (not the sentinel) as whole seconds after a base second
    (int32 when they fit), and the base. Wall times and zone offsets are whole seconds, so
    nothing is lost."""
    real = calendar.open_rank < calendar.n_stores
    rank = calendar.open_rank[real]
    open_s = calendar.open_tick[real] // TICKS_PER_SECOND
    close_s = calendar.close_tick[real] // TICKS_PER_SECOND
    base_s = int(open_s.min()) if len(open_s) else 0
    before_s = exclusive_group_cumsum(close_s - open_s, rank)
    top = max(int(close_s.max()) - base_s, int(before_s.max())) if len(open_s) else 0
    dtype = np.int32 if top < 2**31 else np.int64
    counts = np.bincount(rank, minlength=calendar.n_stores)
    arrays = {
        "interval_offsets": np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        "interval_open": (open_s - base_s).astype(dtype),
        "interval_close": (close_s - base_s).astype(dtype),
        "interval_before": before_s.astype(dtype),
    }
    return arrays, base_s


def _timeline(rank, poll_us, active, inside, n) -> dict[str, np.ndarray]:
    """Both timelines a report can need, sorted by (store, kind, time): kind 0 between the
    polls inside business hours, kind 1 between all polls before the first inside one."""
    tick = poll_us * TICKS_PER_US
    in_rank, in_tick, in_later = status_flips(rank[inside], tick[inside], active[inside])
    all_rank, all_tick, all_later = status_flips(rank, tick, active)
    first_inside_tick = np.full(n, NEVER, dtype=np.int64)
    starts = group_starts(rank[inside])
    first_inside_tick[rank[inside][starts]] = tick[inside][starts]
    early = all_later < first_inside_tick[all_rank]
    change_rank = np.concatenate([in_rank, all_rank[early]])
    change_kind = np.concatenate([np.zeros(len(in_rank), np.int8), np.ones(early.sum(), np.int8)])
    change_tick = np.concatenate([in_tick, all_tick[early]])
    later = np.concatenate([in_later, all_later[early]])
    order = np.lexsort((change_tick, change_kind, change_rank))
    counts = np.bincount(change_rank, minlength=n)
    return {
        "change_offsets": np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        "change_tick": change_tick[order],
        "change_later_us": later[order] // TICKS_PER_US,
        "change_kind": change_kind[order],
    }
