"""The snapshot's writer: the three inputs parsed once into the arrays every report needs
(what they are: :mod:`storemon.snapshot`)."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd

from storemon.clock.ticks import TICKS_PER_HOUR, TICKS_PER_SECOND, TICKS_PER_US, US_PER_DAY, iso_utc
from storemon.inputs.limits import Limits
from storemon.inputs.parse import parse_input_files
from storemon.inputs.tables import Hours, Polls, Zones
from storemon.report.business_hours import (
    HoursRows,
    business_intervals,
    merge_intervals,
    store_zones,
)
from storemon.report.per_group import GroupedKeys, exclusive_group_cumsum, group_starts
from storemon.report.pipeline import report_from_parsed
from storemon.snapshot.file_format import encode
from storemon.snapshot.reader import NEVER, VERSION, ZONE_SOURCES

AS_OF_DAYS_BACK = 35
AS_OF_DAYS_AHEAD = 2
WEEK_TICKS = 168 * TICKS_PER_HOUR


def snapshot_from_csv_bytes(
    status: bytes,
    hours: bytes,
    timezones: bytes,
    *,
    names: tuple[str, str, str] | None = None,
    progress: Callable[[str], None] | None = None,
    limits: Limits | None = None,
) -> bytes:
    """The snapshot file's bytes for the three input files' bytes (plain or gzip)."""
    parsed = parse_input_files(
        status, hours, timezones, names=names, progress=progress, limits=limits
    )
    data = snapshot_from_parsed(*parsed)
    if progress:
        progress(f"built the snapshot: {len(data):,} bytes")
    return data


def snapshot_from_parsed(polls: Polls, hours: Hours, zones: Zones) -> bytes:
    """The snapshot of parsed inputs (see the module docstring)."""
    if len(polls.time_us) == 0:
        report_from_parsed(polls, hours, zones)  # raises the engine's "no valid poll"
    order = _store_order(polls)
    n = len(order["store_id"])
    rank, poll_us, active, extra = _unique_polls(
        order["rank_of_code"][polls.store], polls.time_us, polls.active, n
    )
    store_index = pd.Index(order["store_id"])
    hours_rows = _hours_rows(hours, store_index)
    has_hours = np.bincount(hours_rows["hours_rank"], minlength=n) > 0
    zone_names, zone_of_rank, zone_source = store_zones(zones, store_index, n)
    now_us, first_us = int(polls.time_us.max()), int(polls.time_us.min())
    as_of_range = (
        max(first_us, now_us - AS_OF_DAYS_BACK * US_PER_DAY),
        now_us + AS_OF_DAYS_AHEAD * US_PER_DAY,
    )
    calendar = _calendar(
        hours_rows,
        has_hours=has_hours,
        zones=(zone_of_rank, zone_names),
        polls=(rank, poll_us),
        as_of_range=as_of_range,
    )
    inside = _inside(rank, poll_us * TICKS_PER_US, calendar, has_hours, n)
    calendar_arrays, calendar_base_s = _calendar_arrays(calendar, n)
    derived = {
        **_store_facts((rank, poll_us, active, extra), inside, n),
        "store_ids": order["store_id"],
        "has_hours": has_hours,
        "hours_days": _hours_days(hours_rows, n),
        "zone_index": zone_of_rank,
        "zone_source": _zone_source_codes(zone_source),
        **calendar_arrays,
        **_timeline(rank, poll_us, active, inside, n),
    }
    meta = {
        "now_us": now_us,
        "first_us": first_us,
        "as_of_range_us": list(as_of_range),
        "calendar_base_s": calendar_base_s,
        "zone_names": list(zone_names),
        "files": {
            "store_status": polls.stats.as_dict(),
            "menu_hours": hours.stats.as_dict(),
            "timezones": zones.stats.as_dict(),
        },
        "polls": int(len(poll_us)),
    }
    derived["meta_json"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    packed = {
        "poll_us": poll_us,
        "poll_active": np.packbits(active),
        "poll_inside": np.packbits(inside),
        "dup_index": np.flatnonzero(extra),
        "dup_extra": extra[extra > 0],
        **hours_rows,
    }
    return encode(VERSION, {"derived": derived, "inputs": packed})


def _hours_rows(hours: Hours, store_index: pd.Index) -> dict[str, np.ndarray]:
    """The valid hours rows of stores that poll, by rank."""
    hours_rank = store_index.get_indexer(hours.store_id)
    in_data = hours_rank >= 0
    return {
        "hours_rank": hours_rank[in_data].astype(np.int64),
        "hours_weekday": hours.weekday[in_data].astype(np.int8),
        "hours_start": hours.start_s[in_data].astype(np.int32),
        "hours_end": hours.end_s[in_data].astype(np.int32),
    }


def _store_order(polls: Polls) -> dict[str, np.ndarray]:
    """Stores with a poll, in the report's order (id as text), and each code's rank."""
    present = np.flatnonzero(np.bincount(polls.store, minlength=len(polls.store_ids)))
    ids = polls.store_ids[present]
    by_id = np.argsort(ids.astype(str), kind="stable")
    store_id = ids[by_id].astype(str)
    rank_of_code = np.full(len(polls.store_ids), -1, dtype=np.int64)
    rank_of_code[present[by_id]] = np.arange(len(store_id))
    return {"store_id": store_id, "rank_of_code": rank_of_code}


def _unique_polls(
    rank: np.ndarray, time_us: np.ndarray, active: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Polls sorted by (store, time), one per store and instant (``inactive`` winning), and
    how many extra copies each had."""
    keys = GroupedKeys(n, [time_us], factor=2)
    key = np.sort(keys(rank, time_us) + active)  # inactive (0) sorts first at an instant
    first = group_starts(key // 2)
    starts = np.flatnonzero(first)
    extra = np.diff(np.append(starts, len(key))) - 1
    key = key[first]
    position = (key % keys.span) // 2
    time_sorted = position + keys.base if keys.dense is None else keys.dense[position]
    return key // keys.span, time_sorted.astype(np.int64), (key % 2).astype(bool), extra


def _hours_days(hours_rows: dict[str, np.ndarray], n: int) -> np.ndarray:
    day_keys = np.unique(hours_rows["hours_rank"] * 7 + hours_rows["hours_weekday"])
    return np.bincount(day_keys // 7, minlength=n)


def _zone_source_codes(source: np.ndarray) -> np.ndarray:
    codes = np.zeros(len(source), dtype=np.int8)
    for code, name in enumerate(ZONE_SOURCES):
        codes[source == name] = code
    return codes


def _calendar(
    hours_rows: dict[str, np.ndarray],
    *,
    has_hours: np.ndarray,
    zones: tuple[np.ndarray, list[str]],
    polls: tuple[np.ndarray, np.ndarray],
    as_of_range: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merged business intervals (rank, open tick, close tick) exact around every poll and
    over the report week of any as_of in ``as_of_range``."""
    n = len(has_hours)
    rows = HoursRows(
        rank=hours_rows["hours_rank"].astype(np.int64),
        weekday=hours_rows["hours_weekday"].astype(np.int64),
        start_s=hours_rows["hours_start"].astype(np.int64),
        end_s=hours_rows["hours_end"].astype(np.int64),
    )
    intervals = business_intervals(
        rows,
        has_hours=has_hours,
        zone_of_rank=zones[0],
        zone_names=zones[1],
        poll_rank=polls[0],
        poll_us=polls[1],
        first_us=as_of_range[0] - WEEK_TICKS // TICKS_PER_US,
        now_us=as_of_range[1],
    )
    rank, opens, closes = intervals
    return merge_intervals(rank, opens, closes, n)


def _with_sentinel(rank, opens, closes, n, tick):
    """A sentinel interval of a store that does not exist keeps the arrays non-empty."""
    return np.append(rank, n), np.append(opens, tick), np.append(closes, tick)


def _inside(rank, tick, calendar, has_hours, n) -> np.ndarray:
    """Which polls lie inside their store's business hours (all, for a store open 24/7)."""
    rank_of_interval, opens, closes = calendar
    open_rank, open_tick, close_tick = _with_sentinel(
        rank_of_interval, opens, closes, n, int(tick[0])
    )
    keys = GroupedKeys(n + 1, [open_tick, tick])
    at = np.searchsorted(keys(open_rank, open_tick), keys(rank, tick), side="right") - 1
    safe = np.maximum(at, 0)
    hit = (at >= 0) & (open_rank[safe] == rank) & (tick < close_tick[safe])
    return hit | ~has_hours[rank]


def _store_facts(unique: tuple, inside: np.ndarray, n: int) -> dict[str, np.ndarray]:
    rank, poll_us, active, extra = unique
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
        "first_poll_iso": iso_utc(first_poll_us).astype(str).astype(np.bytes_),
        "last_poll_iso": iso_utc(last_poll_us).astype(str).astype(np.bytes_),
        "raw_polls": counts + np.bincount(rank, weights=extra, minlength=n).astype(np.int64),
        "inside_polls": np.bincount(inside_rank, minlength=n),
        "first_inside_us": first_inside_us,
        "first_active": active[offsets[:-1]],
        "first_inside_active": first_inside_active,
    }


def _calendar_arrays(calendar, n) -> tuple[dict[str, np.ndarray], int]:
    """The intervals as whole seconds after a base second (int32 when they fit), and the
    base. Wall times and zone offsets are whole seconds, so nothing is lost."""
    rank, opens, closes = calendar
    counts = np.bincount(rank, minlength=n)
    open_s, close_s = opens // TICKS_PER_SECOND, closes // TICKS_PER_SECOND
    base_s = int(open_s.min()) if len(open_s) else 0
    before_s = exclusive_group_cumsum(close_s - open_s, rank)
    top = max(int(close_s.max()) - base_s, int(before_s.max())) if len(open_s) else 0
    dtype = np.int32 if top < 2**31 else np.int64
    arrays = {
        "interval_offsets": np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        "interval_open": (open_s - base_s).astype(dtype),
        "interval_close": (close_s - base_s).astype(dtype),
        "interval_before": before_s.astype(dtype),
    }
    return arrays, base_s


def _changes(rank, tick, active):
    """Status changes between consecutive polls of one store: (rank, midpoint, later tick)."""
    flips = (rank[1:] == rank[:-1]) & (active[1:] != active[:-1])
    earlier, later = tick[:-1][flips], tick[1:][flips]
    return rank[1:][flips], earlier + (later - earlier) // 2, later


def _timeline(rank, poll_us, active, inside, n) -> dict[str, np.ndarray]:
    """Both timelines a report can need, sorted by (store, kind, time): kind 0 between the
    polls inside business hours, kind 1 between all polls before the first inside one."""
    tick = poll_us * TICKS_PER_US
    in_rank, in_tick, in_later = _changes(rank[inside], tick[inside], active[inside])
    all_rank, all_tick, all_later = _changes(rank, tick, active)
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
