"""Ingest once, answer reports in milliseconds: the columnar snapshot of the three inputs.

:func:`ingest` parses and validates the three files exactly as a report does (same rules,
same skip counts) and keeps what every later report needs, in the report's store order
(store ids as text; a store's position in that order is its *rank*):

- the valid polls, deduplicated (SPEC §4: one poll per store and instant, ``inactive``
  winning) and sorted by (store, time), with a per-store offset index;
- the business-hours calendar: each store's merged business intervals (UTC) over every date
  near its polls and over the weeks of any ``as_of`` from the first poll (at most
  ``AS_OF_DAYS_BACK`` days before the newest) to ``AS_OF_DAYS_AHEAD`` days after it;
- the evidence classification (polls inside business hours) and the status-change timeline
  (the midpoints between consecutive evidence polls of different status);
- per-store facts (first and last poll, counts, zone, hours) and the three files' counts.

:func:`report` then answers any ``as_of`` and store subset with the same bytes as the CSV
path: it never touches the per-poll arrays unless ``as_of`` falls before some store's last
poll, and works per store (offsets) so one store costs microseconds. An ``as_of`` outside the
calendar's range runs the engine on the snapshot's parsed inputs instead (still no CSV).

File format: :mod:`storemon.snapfile` (header + checksummed sections). Arrays, by section:

``derived`` (read by every report; ``n`` stores, ranks ``0..n-1``)
    meta_json (uint8: JSON with now_us, as-of range, zone names, the files' counts),
    store_ids (<U), poll_offsets (n+1), first_poll_us, last_poll_us, first_poll_iso,
    last_poll_iso (ASCII), raw_polls (duplicates included), inside_polls, first_inside_us (int64 max
    when none), first_active, first_inside_active, has_hours, hours_days, zone_index,
    zone_source (0 file, 1 missing, 2 invalid); interval_offsets (n+1), interval_open,
    interval_close (seconds after meta's calendar_base_s), interval_before (business
    seconds of the store before the interval); change_offsets (n+1), change_tick,
    change_later_us (the later poll of the pair), change_kind (0: between polls inside
    business hours, 1: between any polls, before the store's first poll inside business
    hours).
``inputs`` (read only for an early ``as_of`` or the engine fallback)
    poll_us, poll_active and poll_inside (bit-packed), dup_index / dup_extra (unique polls
    that had extra copies, and how many), hours_rank, hours_weekday, hours_start, hours_end.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from storemon import engine
from storemon.business_hours import (
    HoursRows,
    StoreCalendar,
    business_intervals,
    merge_intervals,
    store_zones,
)
from storemon.engine import ReportResult
from storemon.grouped import GroupedKeys, exclusive_group_cumsum, group_starts
from storemon.incidents import find_incidents, week_business_intervals
from storemon.inputs import FileStats, Hours, Polls, Zones
from storemon.limits import Limits
from storemon.snapfile import SnapshotError, SnapshotFile, encode
from storemon.ticks import TICKS_PER_HOUR, TICKS_PER_SECOND, TICKS_PER_US, US_PER_DAY, iso_utc
from storemon.timeline import WEEK_HOURS, SelectedPolls, Timeline, WindowTotals, week_events

__all__ = ["Snapshot", "SnapshotError", "build", "ingest", "load", "report"]

VERSION = 1
AS_OF_DAYS_BACK = 35
AS_OF_DAYS_AHEAD = 2
NEVER = np.iinfo(np.int64).max
ZONE_SOURCES = np.array(["file", "missing", "invalid"], dtype=object)
WEEK_TICKS = 168 * TICKS_PER_HOUR

logger = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- ingest


def ingest(
    status: bytes,
    hours: bytes,
    timezones: bytes,
    *,
    names: tuple[str, str, str] | None = None,
    progress: Callable[[str], None] | None = None,
    limits: Limits | None = None,
) -> bytes:
    """The snapshot file's bytes for the three input files' bytes (plain or gzip)."""
    parsed = engine.parse_inputs(
        status, hours, timezones, names=names, progress=progress, limits=limits
    )
    data = build(*parsed)
    if progress:
        progress(f"built the snapshot: {len(data):,} bytes")
    return data


def build(polls: Polls, hours: Hours, zones: Zones) -> bytes:
    """The snapshot of parsed inputs (see the module docstring)."""
    if len(polls.time_us) == 0:
        engine.compute_from_parsed(polls, hours, zones)  # raises the engine's "no valid poll"
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


# ----------------------------------------------------------------------------- loading


class Snapshot:
    """A loaded snapshot: the ``derived`` arrays now, the ``inputs`` ones when first needed."""

    def __init__(self, file: SnapshotFile):
        self.file = file
        self.derived = file.section("derived")
        try:
            self.meta = json.loads(self.derived["meta_json"].tobytes())
        except ValueError:
            raise SnapshotError(f"{file.where}: damaged (metadata is not JSON)") from None
        self.now_us = int(self.meta["now_us"])
        self.store_ids = self.derived["store_ids"]
        self._inputs: dict[str, np.ndarray] | None = None
        self._cumulative: dict[str, np.ndarray] = {}

    @property
    def where(self) -> str:
        return self.file.where

    def inputs(self) -> dict[str, np.ndarray]:
        if self._inputs is None:
            self._inputs = self.file.section("inputs")
        return self._inputs

    def covers(self, now_us: int) -> bool:
        low, high = self.meta["as_of_range_us"]
        return int(low) <= now_us <= int(high)

    def cumulative(self, name: str) -> np.ndarray:
        """Running count (exclusive) of the packed per-poll flag ``name``, computed once."""
        if name not in self._cumulative:
            bits = np.unpackbits(self.inputs()[name], count=int(self.meta["polls"]))
            self._cumulative[name] = np.concatenate([[0], np.cumsum(bits, dtype=np.int64)])
        return self._cumulative[name]

    def parsed_inputs(self) -> tuple[Polls, Hours, Zones]:
        """The parsed inputs as the engine takes them (stores without polls left out)."""
        return _parsed_inputs(self)


def load(source: str | Path | bytes) -> Snapshot:
    """A snapshot from a file path or bytes; :class:`SnapshotError` when it cannot be used."""
    return Snapshot(SnapshotFile.open(source, VERSION))


def _stats(document: dict) -> FileStats:
    return FileStats(
        document["file"], int(document["rows_read"]), Counter(document["skipped_reasons"])
    )


def _parsed_inputs(snap: Snapshot) -> tuple[Polls, Hours, Zones]:
    d, raw, files = snap.derived, snap.inputs(), snap.meta["files"]
    count = int(snap.meta["polls"])
    ids = np.asarray(snap.store_ids, dtype=object)
    copies = np.ones(count, dtype=np.int64)
    copies[raw["dup_index"]] += raw["dup_extra"]
    rank = np.repeat(np.arange(len(ids)), np.diff(d["poll_offsets"]))
    active = np.unpackbits(raw["poll_active"], count=count).astype(bool)
    polls = Polls(
        store_ids=ids,
        store=np.repeat(rank, copies),
        time_us=np.repeat(np.asarray(raw["poll_us"]), copies),
        active=np.repeat(active, copies),
        stats=_stats(files["store_status"]),
    )
    hours = Hours(
        store_id=ids[raw["hours_rank"]],
        weekday=raw["hours_weekday"].astype(np.int64),
        start_s=raw["hours_start"].astype(np.int64),
        end_s=raw["hours_end"].astype(np.int64),
        stats=_stats(files["menu_hours"]),
    )
    names = np.asarray(snap.meta["zone_names"], dtype=object)
    given = d["zone_source"] != 1
    zone = np.where(d["zone_source"] == 0, names[d["zone_index"]], "")
    zones = Zones(
        store_id=ids[given], zone=zone[given].astype(object), stats=_stats(files["timezones"])
    )
    return polls, hours, zones


# ----------------------------------------------------------------------------- reports


def report(
    snap: Snapshot,
    *,
    as_of: str | None = None,
    store_ids: list[str] | None = None,
    started: float | None = None,
    incidents: bool = False,
) -> ReportResult:
    """The report from a snapshot: the same result as the CSV path for these inputs
    (``incidents=True``: with the week's incidents and business intervals, as the engine)."""
    started = time.perf_counter() if started is None else started
    now_us = engine.parse_instant(as_of) if as_of is not None else snap.now_us
    if not snap.covers(now_us):
        logger.info("as_of outside the snapshot's calendar: the engine runs on its inputs")
        polls, hours, zones = snap.parsed_inputs()
        return engine.compute_from_parsed(
            polls,
            hours,
            zones,
            as_of=as_of,
            store_ids=store_ids,
            started=started,
            incidents=incidents,
        )
    ranks = _selection(snap.store_ids, store_ids)
    facts = _facts_at(snap, ranks, now_us)
    view = _View(snap, facts.pop("rank"))
    totals = _window_totals(view, facts, now_us)
    result = _result(
        snap, view, facts, totals, now_us=now_us, as_of=as_of, store_ids=store_ids, started=started
    )
    if incidents:
        _add_incidents(result, view, facts, now_us)
        result.summary["duration_seconds"] = round(time.perf_counter() - started, 3)
    return result


def _add_incidents(result: ReportResult, view: _View, facts: dict, now_us: int) -> None:
    """The engine's week events on the snapshot's calendar and timeline, then its incidents
    and the week's business intervals."""
    selected = SelectedPolls(
        now_us=now_us,
        store_id=np.asarray(view.pick(view.derived["store_ids"])),
        rank=np.zeros(0, dtype=np.int64),
        time_us=np.zeros(0, dtype=np.int64),
        active=np.zeros(0, dtype=bool),
        rows_per_store=np.asarray(facts["raw"], dtype=np.int64),
    )
    calendar = _view_calendar(view, selected.now_tick)
    events = week_events(selected, _view_timeline(view, facts, now_us), calendar)
    result.incidents = find_incidents(events, selected.store_id, calendar, selected.now_tick)
    result.business_intervals = week_business_intervals(
        calendar, selected.store_id, selected.window_start(WEEK_HOURS), selected.now_tick
    )


def _view_calendar(view: _View, now_tick: int) -> StoreCalendar:
    """The selected stores' calendar, with the engine's sentinel interval at the end."""
    d, pick = view.derived, view.pick
    owner, at = view.intervals
    base_s = int(view.meta["calendar_base_s"])
    return StoreCalendar(
        n_stores=view.count,
        has_hours=np.asarray(pick(d["has_hours"]), dtype=bool),
        days_with_hours=np.asarray(pick(d["hours_days"]), dtype=np.int64),
        zone_names=list(view.meta["zone_names"]),
        zone_of_rank=np.asarray(pick(d["zone_index"]), dtype=np.int64),
        zone_source=ZONE_SOURCES[pick(d["zone_source"])],
        open_rank=np.append(owner, view.count),
        open_tick=_ticks(d["interval_open"][at], base_s, now_tick),
        close_tick=_ticks(d["interval_close"][at], base_s, now_tick),
        business_before=_ticks(d["interval_before"][at], 0, 0),
    )


def _view_timeline(view: _View, facts: dict, now_us: int) -> Timeline:
    """The status at the week's start and the changes inside the week (see _window_totals)."""
    d = view.derived
    now_tick = now_us * TICKS_PER_US
    week_start = now_tick - WEEK_TICKS
    owner, at = view.changes
    tick = d["change_tick"][at]
    has_inside = facts["has_inside"]
    use = (d["change_later_us"][at] <= now_us) & (d["change_kind"][at] == (~has_inside)[owner])
    first_active = view.pick(d["first_active"])
    status = np.where(has_inside, view.pick(d["first_inside_active"]), first_active)
    before = use & (tick <= week_start)
    status = status ^ (np.bincount(owner[before], minlength=view.count) % 2 == 1)
    in_week = use & (tick > week_start) & (tick < now_tick)
    return Timeline(
        status_at_week_start=status,
        change_rank=owner[in_week],
        change_tick=tick[in_week],
        evidence_polls=int(facts["evidence"].sum()),
    )


def _selection(all_ids: np.ndarray, store_ids: list[str] | None) -> np.ndarray | None:
    """Ranks of the requested stores that the data holds (None: every store)."""
    if store_ids is None:
        return None
    wanted = np.array([str(s).strip() for s in store_ids], dtype=str)
    if not len(wanted) or not len(all_ids):
        return np.zeros(0, dtype=np.int64)
    at = np.minimum(np.searchsorted(all_ids, wanted), len(all_ids) - 1)
    return np.unique(at[all_ids[at] == wanted])


def _facts_at(snap: Snapshot, ranks: np.ndarray | None, now_us: int) -> dict[str, np.ndarray]:
    """Per store: the polls at or before now (unique, raw, inside), the last of them, and
    whether any lies inside business hours; only stores with such a poll are kept."""
    d = snap.derived
    rank = np.arange(len(snap.store_ids)) if ranks is None else ranks
    first = d["first_poll_us"] if ranks is None else d["first_poll_us"][rank]
    if ranks is not None or not (first <= now_us).all():
        rank = rank[first <= now_us]
    every = len(rank) == len(snap.store_ids)

    def pick(array: np.ndarray) -> np.ndarray:
        return array if every else array[rank]

    lo, hi = d["poll_offsets"][rank], d["poll_offsets"][rank + 1]
    facts = {
        "rank": rank,
        "unique": hi - lo,
        "raw": pick(d["raw_polls"]),
        "inside": pick(d["inside_polls"]),
        "last_iso": pick(d["last_poll_iso"]),
        "has_inside": pick(d["first_inside_us"]) <= now_us,
    }
    partial = pick(d["last_poll_us"]) > now_us
    if partial.any():
        _cut_partial(snap, facts, lo=lo, hi=hi, partial=partial, now_us=now_us)
    facts["evidence"] = np.where(facts["has_inside"], facts["inside"], facts["unique"])
    return facts


def _cut_partial(snap, facts, *, lo, hi, partial, now_us) -> None:
    """Counts and last poll of the stores with polls after now, from the per-poll arrays."""
    poll_us = snap.inputs()["poll_us"]
    lo, hi = lo[partial], hi[partial]
    cut = _first_after(poll_us, lo, hi, now_us)
    dup_index, dup_extra = snap.inputs()["dup_index"], snap.inputs()["dup_extra"]
    extra_before = np.concatenate([[0], np.cumsum(dup_extra)])
    extras = (
        extra_before[np.searchsorted(dup_index, cut)] - extra_before[np.searchsorted(dup_index, lo)]
    )
    inside = snap.cumulative("poll_inside")
    facts["unique"] = facts["unique"].copy()
    facts["unique"][partial] = cut - lo
    facts["raw"] = facts["raw"].copy()
    facts["raw"][partial] = cut - lo + extras
    facts["inside"] = facts["inside"].copy()
    facts["inside"][partial] = inside[cut] - inside[lo]
    facts["last_iso"] = _text(facts["last_iso"])
    facts["last_iso"][partial] = iso_utc(np.asarray(poll_us[cut - 1]))


def _text(values: np.ndarray) -> np.ndarray:
    """Stored ASCII text (bytes) as an object array of str (a new array)."""
    if values.dtype.kind == "S":
        return values.astype(str).astype(object)
    return np.array(values, dtype=object)


def _first_after(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, limit: int) -> np.ndarray:
    """For each [lo, hi) range of ascending ``values``: the first index whose value is above
    ``limit`` (a vectorised binary search, one step for all ranges at a time)."""
    lo, hi = lo.copy(), hi.copy()
    last = len(values) - 1
    while True:
        open_ = lo < hi
        if not open_.any():
            return lo
        middle = (lo + hi) // 2
        right = values[np.minimum(middle, last)] <= limit
        lo = np.where(open_ & right, middle + 1, lo)
        hi = np.where(open_ & ~right, middle, hi)


class _View:
    """The reported stores' slices of the per-store, interval and change arrays."""

    def __init__(self, snap: Snapshot, rank: np.ndarray):
        d = snap.derived
        self.derived = d
        self.meta = snap.meta
        self.rank = rank
        self.count = len(rank)
        every = self.count == len(snap.store_ids)  # all stores: no gathering
        self.pick: Callable[[np.ndarray], Any] = (lambda a: a) if every else (lambda a: a[rank])
        self.intervals = self._ragged(d, "interval_offsets", every)
        self.changes = self._ragged(d, "change_offsets", every)

    def _ragged(self, d: dict, offsets_name: str, every: bool) -> tuple[np.ndarray, Any]:
        """(local rank of each element, index into the arrays or a slice)."""
        offsets = d[offsets_name]
        lo, hi = offsets[self.rank], offsets[self.rank + 1]
        owner = np.repeat(np.arange(self.count), hi - lo)
        if every:
            return owner, slice(None)
        return owner, lo[owner] + np.arange(len(owner)) - (np.cumsum(hi - lo) - (hi - lo))[owner]


def _window_totals(view: _View, facts: dict, now_us: int) -> dict[str, tuple[Any, Any]]:
    """Uptime and business time of each window, in ticks, per reported store."""
    d, m = view.derived, view.count
    now_tick = now_us * TICKS_PER_US
    starts = [now_tick - hours * TICKS_PER_HOUR for hours in (168, 24, 1)]
    owner, at = view.changes
    tick = d["change_tick"][at]
    has_inside = facts["has_inside"]
    use = (d["change_later_us"][at] <= now_us) & (d["change_kind"][at] == (~has_inside)[owner])
    status0 = np.where(
        has_inside, view.pick(d["first_inside_active"]), view.pick(d["first_active"])
    )
    before = use & (tick <= starts[0])
    status = status0 ^ (np.bincount(owner[before], minlength=m) % 2 == 1)
    in_week = use & (tick > starts[0]) & (tick < now_tick)
    events = _events(owner[in_week], tick[in_week], starts, now_tick, m)
    business = _business_at(view, events["rank"], events["tick"])
    return _integrate(events, business, status, m)


def _events(rank, tick, starts, now_tick, m) -> dict[str, np.ndarray]:
    """Each store's events in time order: the week, day and hour starts, the changes inside
    the week, and now (a window start sorts before a change at the same instant). Changes
    come sorted by (store, time), so positions are counted, not sorted."""
    week, day, hour = starts
    per_store = np.bincount(rank, minlength=m)
    before_store = np.cumsum(per_store) - per_store
    base = 4 * np.arange(m) + before_store
    markers = np.stack(
        [
            base,
            base + 1 + np.bincount(rank[tick < day], minlength=m),
            base + 2 + np.bincount(rank[tick < hour], minlength=m),
            base + 3 + per_store,
        ]
    )
    event_tick = np.empty(4 * m + len(tick), dtype=np.int64)
    for kind, marker_tick in enumerate((week, day, hour, now_tick)):
        event_tick[markers[kind]] = marker_tick
    position = base[rank] + np.arange(len(tick)) - before_store[rank] + 1
    position += (tick >= day).astype(np.int64) + (tick >= hour)
    event_tick[position] = tick
    is_change = np.zeros(len(event_tick), dtype=bool)
    is_change[position] = True
    return {
        "tick": event_tick,
        "rank": np.repeat(np.arange(m), 4 + per_store),
        "change": is_change,
        "markers": markers,
    }


def _ticks(seconds: np.ndarray, base_s: int, sentinel: int) -> np.ndarray:
    """Stored seconds as ticks, with one more entry (the sentinel) at the end."""
    out = np.empty(len(seconds) + 1, dtype=np.int64)
    out[:-1] = seconds
    out[:-1] += base_s
    out[:-1] *= TICKS_PER_SECOND
    out[-1] = sentinel
    return out


def _business_at(view: _View, event_rank: np.ndarray, event_tick: np.ndarray) -> np.ndarray:
    """Each store's cumulative business time B(t) at its events (t itself when open 24/7)."""
    d = view.derived
    owner, at = view.intervals
    first_tick = int(event_tick[0]) if len(event_tick) else 0
    base_s = int(view.meta["calendar_base_s"])
    rank = np.append(owner, view.count)
    opens = _ticks(d["interval_open"][at], base_s, first_tick)
    closes = _ticks(d["interval_close"][at], base_s, first_tick)
    before = _ticks(d["interval_before"][at], 0, 0)
    keys = GroupedKeys(view.count + 1, [opens, event_tick])
    found = np.searchsorted(keys(rank, opens), keys(event_rank, event_tick), side="right") - 1
    safe = np.maximum(found, 0)
    matched = (found >= 0) & (rank[safe] == event_rank)
    inside = np.clip(event_tick - opens[safe], 0, closes[safe] - opens[safe])
    business = np.where(matched, before[safe] + inside, 0)
    return np.where(view.pick(d["has_hours"])[event_rank], business, event_tick)


def _integrate(events, business, status, m) -> dict[str, tuple[Any, Any]]:
    """(uptime, business time) in ticks of each window, per store."""
    markers, event_rank = events["markers"], events["rank"]
    segment = np.zeros(len(business), dtype=np.int64)
    segment[:-1] = business[1:] - business[:-1]
    segment[markers[3]] = 0  # now: each store's last event
    flips = np.cumsum(events["change"])
    parity = (flips - flips[markers[0]][event_rank]) % 2 == 1
    active = np.where(status[event_rank] ^ parity, segment, 0)
    up_before = np.cumsum(active) - active
    now = markers[3]
    return {
        name: (up_before[now] - up_before[markers[k]], business[now] - business[markers[k]])
        for k, name in enumerate(("week", "day", "hour"))
    }


def _result(snap, view, facts, totals, *, now_us, as_of, store_ids, started) -> ReportResult:
    d, pick = snap.derived, view.pick
    store_id = np.asarray(pick(snap.store_ids))  # str array, as the engine passes it
    window_totals = WindowTotals(
        business={name: total for name, (_, total) in totals.items()},
        uptime={name: up for name, (up, _) in totals.items()},
    )
    zone_names = np.asarray(snap.meta["zone_names"], dtype=object)
    has_hours, source = pick(d["has_hours"]), pick(d["zone_source"])
    stores = pd.DataFrame(
        {
            "store_id": store_id,
            "polls": np.asarray(facts["raw"], dtype=np.int64),
            "first_poll": _text(pick(d["first_poll_iso"])),
            "last_poll": _text(facts["last_iso"]),
            "timezone": zone_names[pick(d["zone_index"])],
            "timezone_source": ZONE_SOURCES[source],
            "hours_defined": np.asarray(has_hours, dtype=bool),
            "hours_days": np.asarray(pick(d["hours_days"]), dtype=np.int64),
        },
        columns=engine.STORE_COLUMNS,
    )
    not_found = engine.ids_not_found(store_id, store_ids)
    poll_range = (snap.now_us, int(snap.meta["first_us"]))
    summary = {
        "now": iso_utc(np.array([now_us]))[0],
        "as_of": as_of,
        "store_filter": None if store_ids is None else len(store_ids),
        "stores_reported": int(view.count),
        "store_ids_not_found": not_found,
        "files": json.loads(json.dumps(snap.meta["files"])),
        "stores_default_24x7": int((~has_hours).sum()),
        "stores_default_timezone": {
            "missing": int((source == 1).sum()),
            "invalid": int((source == 2).sum()),
        },
        "polls_used": int(facts["unique"].sum()),
        "evidence_polls": int(facts["evidence"].sum()),
        "warnings": engine.request_warnings(poll_range, now_us, as_of, not_found, store_ids),
        "duration_seconds": round(time.perf_counter() - started, 3),
    }
    return ReportResult(
        report=engine.report_frame(store_id, window_totals),
        summary=summary,
        stores=stores,
        percentages=engine.percentages_frame(store_id, window_totals),
    )
