"""The uptime report (SPEC §2–§5): pure computation, data frames in, data frame out.

Times are int64 *ticks* of half a microsecond, so that the midpoint of two polls (which have
microsecond precision) is an exact integer. Nothing loops over stores or polls in Python:

1. polls are sorted once by (store, time) with one integer key; polls of one store at one
   instant collapse to one, ``inactive`` winning;
2. business hours become UTC intervals only for the (store, local date) pairs that can matter
   (the dates around the store's polls and the report week), zone work done once per
   (zone, local date) by :mod:`storemon.tz`; each store's intervals are merged into a union;
3. ``searchsorted`` over the merged intervals tells which polls lie in business hours (the
   evidence) and gives each store's cumulative business time ``B(t)``;
4. the interpolated status only changes at the midpoints between evidence polls of different
   status; with the window starts as extra events, one cumulative sum of business time spent
   active gives every window's uptime at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from storemon import inputs, textparse, tz
from storemon.inputs import Hours, InputError, Polls, Zones

TICKS_PER_US = 2
TICKS_PER_SECOND = 1_000_000 * TICKS_PER_US
TICKS_PER_HOUR = 3600 * TICKS_PER_SECOND
US_PER_DAY = 86_400 * 1_000_000

# (name, window length in hours, output unit in seconds)
WINDOWS = (("hour", 1, 60), ("day", 24, 3600), ("week", 168, 3600))
REPORT_COLUMNS = [
    "store_id",
    "uptime_last_hour",
    "uptime_last_day",
    "uptime_last_week",
    "downtime_last_hour",
    "downtime_last_day",
    "downtime_last_week",
]
STORE_COLUMNS = [
    "store_id",
    "polls",
    "first_poll",
    "last_poll",
    "timezone",
    "timezone_source",
    "hours_defined",
    "hours_days",
]
_INT63 = 2**62


@dataclass
class ReportResult:
    report: pd.DataFrame  # REPORT_COLUMNS, one row per store, sorted by store_id
    summary: dict  # JSON-able, SPEC §5
    stores: pd.DataFrame  # STORE_COLUMNS, what the data holds for each reported store


# --------------------------------------------------------------------------- grouped keys


class GroupedKeys:
    """Order-preserving int64 keys for (group, value) pairs, comparable across arrays.

    ``key(g, v) < key(g', v')`` exactly when ``(g, v) < (g', v')``. Keys are
    ``g * span + (v - base)`` when that fits in 63 bits, otherwise the values are replaced by
    their dense rank (so extreme time spans can never overflow).
    """

    def __init__(self, groups: int, values: list[np.ndarray], factor: int = 1):
        present = [v for v in values if len(v)]
        joined = np.concatenate(present) if present else np.zeros(1, dtype=np.int64)
        self.base = int(joined.min())
        span = (int(joined.max()) - self.base + 1) * factor
        self.dense = None
        if max(groups, 1) * span >= _INT63:
            self.dense = np.unique(joined)
            span = len(self.dense) * factor
        self.span = span
        self.factor = factor

    def __call__(self, group: np.ndarray, value: np.ndarray) -> np.ndarray:
        dense = self.dense
        position = value - self.base if dense is None else np.searchsorted(dense, value)
        return group.astype(np.int64) * self.span + position * self.factor


def _group_starts(sorted_groups: np.ndarray) -> np.ndarray:
    """Boolean mask of the first element of each run of equal groups."""
    first = np.ones(len(sorted_groups), dtype=bool)
    first[1:] = sorted_groups[1:] != sorted_groups[:-1]
    return first


def _group_ends(sorted_groups: np.ndarray) -> np.ndarray:
    """Boolean mask of the last element of each run of equal groups."""
    last = np.ones(len(sorted_groups), dtype=bool)
    last[:-1] = sorted_groups[1:] != sorted_groups[:-1]
    return last


def _exclusive_group_cumsum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Per-group cumulative sum of ``values`` before each element (groups contiguous)."""
    total = np.cumsum(values)
    before = total - values
    starts = _group_starts(groups)
    offset = np.maximum.accumulate(np.where(starts, np.arange(len(values)), 0))
    return before - before[offset]


def _ragged_take(lo: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each i, the indices lo[i] .. lo[i]+counts[i]-1; returns (owner, index)."""
    owner = np.repeat(np.arange(len(lo)), counts)
    first = np.cumsum(counts) - counts
    index = lo[owner] + np.arange(int(counts.sum())) - first[owner]
    return owner, index


# --------------------------------------------------------------------------- entry points


def parse_instant(text: str, what: str = "as_of") -> int:
    """An accepted timestamp string as µs since the epoch; InputError when it is not one."""
    matrix, lengths, fits = textparse.byte_matrix(pd.Series([str(text)]), textparse.TIMESTAMP_WIDTH)
    micros, valid = textparse.parse_timestamps(matrix, lengths)
    if not (fits[0] and valid[0]):
        raise InputError(what, f"not a valid timestamp: {text!r}")
    return int(micros[0])


def compute_report(
    status: pd.DataFrame,
    hours: pd.DataFrame,
    timezones: pd.DataFrame,
    *,
    as_of: str | None = None,
    store_ids: list[str] | None = None,
) -> ReportResult:
    """The report from three frames of raw strings (as :func:`inputs.read_input` gives)."""
    started = time.perf_counter()
    return compute_from_parsed(
        inputs.parse_status(status),
        inputs.parse_hours(hours),
        inputs.parse_timezones(timezones),
        as_of=as_of,
        store_ids=store_ids,
        started=started,
    )


def run_report(
    status: bytes,
    hours: bytes,
    timezones: bytes,
    *,
    as_of: str | None = None,
    store_ids: list[str] | None = None,
    names: tuple[str, str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReportResult:
    """The report from the three files' bytes (plain or gzip), on the fastest path.

    ``progress``, when given, is called with the name of each phase as it ends.
    """
    progress = progress or (lambda phase: None)
    from storemon import fastcsv

    started = time.perf_counter()
    status_name, hours_name, zones_name = names or (
        inputs.DEFAULT_NAMES["status"],
        inputs.DEFAULT_NAMES["hours"],
        inputs.DEFAULT_NAMES["timezones"],
    )
    polls = fastcsv.read_status(status, status_name)
    progress(f"parsed {status_name}: {polls.stats.rows_read:,} rows")
    hours_table = inputs.parse_hours(inputs.read_input(hours, "hours", hours_name))
    progress(f"parsed {hours_name}: {hours_table.stats.rows_read:,} rows")
    zones_table = inputs.parse_timezones(inputs.read_input(timezones, "timezones", zones_name))
    progress(f"parsed {zones_name}: {zones_table.stats.rows_read:,} rows")
    result = compute_from_parsed(
        polls, hours_table, zones_table, as_of=as_of, store_ids=store_ids, started=started
    )
    progress(f"computed the report of {len(result.report):,} stores")
    return result


# --------------------------------------------------------------------------- the computation


def compute_from_parsed(
    polls: Polls,
    hours: Hours,
    zones: Zones,
    *,
    as_of: str | None = None,
    store_ids: list[str] | None = None,
    started: float | None = None,
) -> ReportResult:
    started = time.perf_counter() if started is None else started
    if len(polls.time_us) == 0:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(polls.stats.skipped.items()))
        detail = f" ({polls.stats.rows_read} rows read; skipped {reasons})" if reasons else ""
        raise InputError(polls.stats.name, f"no valid poll{detail}")
    now_us = parse_instant(as_of) if as_of is not None else int(polls.time_us.max())

    # ---- polls at or before now, of the requested stores
    keep = polls.time_us <= now_us
    if store_ids is not None:
        wanted = np.zeros(len(polls.store_ids), dtype=bool)
        found = pd.Index(polls.store_ids).get_indexer([str(s).strip() for s in store_ids])
        wanted[found[found >= 0]] = True
        keep &= wanted[polls.store]
    codes = polls.store[keep]
    present = np.flatnonzero(np.bincount(codes, minlength=len(polls.store_ids)))
    ids = polls.store_ids[present]
    by_id = np.argsort(ids.astype(str), kind="stable")
    store_id = ids[by_id].astype(str)  # rank -> id, in string order
    n_stores = len(store_id)
    rank_of_code = np.full(len(polls.store_ids), -1, dtype=np.int64)
    rank_of_code[present[by_id]] = np.arange(n_stores)

    poll_rank, poll_us, poll_active = _sorted_unique_polls(
        rank_of_code[codes], polls.time_us[keep], polls.active[keep], n_stores
    )
    poll_counts = np.bincount(rank_of_code[codes], minlength=n_stores)

    # ---- business hours and zones of the reported stores
    store_index = pd.Index(store_id)
    hours_rank = store_index.get_indexer(hours.store_id)
    in_report = hours_rank >= 0
    hours_rank = hours_rank[in_report]
    weekday = hours.weekday[in_report]
    has_hours = np.bincount(hours_rank, minlength=n_stores) > 0
    days_with_hours = np.bincount(np.unique(hours_rank * 7 + weekday) // 7, minlength=n_stores)
    zone_names, zone_of_rank, zone_source = _store_zones(zones, store_index, n_stores)

    # ---- windows
    now_tick = now_us * TICKS_PER_US
    window_starts = {name: now_tick - back * TICKS_PER_HOUR for name, back, _ in WINDOWS}
    week_start_tick = window_starts["week"]

    # ---- business intervals (UTC ticks) of the stores with hours, merged per store
    open_rank, open_tick, close_tick = _business_intervals(
        hours_rank=hours_rank,
        weekday=weekday,
        start_s=hours.start_s[in_report],
        end_s=hours.end_s[in_report],
        has_hours=has_hours,
        zone_of_rank=zone_of_rank,
        zone_names=zone_names,
        poll_rank=poll_rank,
        poll_us=poll_us,
        now_us=now_us,
        week_start_tick=week_start_tick,
    )
    open_rank, open_tick, close_tick = _merge_intervals(open_rank, open_tick, close_tick, n_stores)
    # a sentinel interval of a store that does not exist keeps the arrays non-empty
    open_rank = np.append(open_rank, n_stores)
    open_tick = np.append(open_tick, now_tick)
    close_tick = np.append(close_tick, now_tick)
    business_before = _exclusive_group_cumsum(close_tick - open_tick, open_rank)

    # ---- evidence: polls inside business hours (all polls for stores with none inside)
    poll_tick = poll_us * TICKS_PER_US
    keys = GroupedKeys(n_stores + 1, [open_tick, poll_tick])
    open_keys = keys(open_rank, open_tick)
    at = np.searchsorted(open_keys, keys(poll_rank, poll_tick), side="right") - 1
    safe = np.maximum(at, 0)
    inside = (
        (at >= 0) & (open_rank[safe] == poll_rank) & (poll_tick < close_tick[safe])
    ) | ~has_hours[poll_rank]
    store_has_inside = np.bincount(poll_rank[inside], minlength=n_stores) > 0
    evidence = inside | ~store_has_inside[poll_rank]
    ev_rank, ev_tick, ev_active = poll_rank[evidence], poll_tick[evidence], poll_active[evidence]

    # ---- status changes: midpoints between consecutive evidence polls of different status
    same_store = ev_rank[1:] == ev_rank[:-1]
    flips = same_store & (ev_active[1:] != ev_active[:-1])
    change_rank = ev_rank[1:][flips]
    change_tick = ev_tick[:-1][flips] + (ev_tick[1:][flips] - ev_tick[:-1][flips]) // 2
    # (ticks are half-µs and polls whole µs, so the midpoint above is exact)
    first_status = np.zeros(n_stores, dtype=bool)
    first_of_store = _group_starts(ev_rank)
    first_status[ev_rank[first_of_store]] = ev_active[first_of_store]
    # the status at the week's start: flipped once per change at or before it
    changes_before = np.bincount(change_rank[change_tick <= week_start_tick], minlength=n_stores)
    status_at_week_start = first_status ^ (changes_before % 2 == 1)
    in_week = (change_tick > week_start_tick) & (change_tick < now_tick)
    change_rank, change_tick = change_rank[in_week], change_tick[in_week]

    # ---- events: the window starts, now, and the changes between; cumulative business time
    ranks = np.arange(n_stores)
    marker_ticks = [window_starts["week"], window_starts["day"], window_starts["hour"], now_tick]
    event_rank = np.concatenate([np.repeat(ranks, 4), change_rank])
    event_tick = np.concatenate([np.tile(marker_ticks, n_stores), change_tick])
    event_kind = np.concatenate([np.tile(np.arange(4), n_stores), np.full(len(change_tick), 4)])
    event_keys = GroupedKeys(n_stores, [event_tick], factor=8)
    order = np.argsort(event_keys(event_rank, event_tick) + event_kind, kind="stable")
    event_rank, event_tick, event_kind = event_rank[order], event_tick[order], event_kind[order]

    keys = GroupedKeys(n_stores + 1, [open_tick, event_tick])
    at = np.searchsorted(keys(open_rank, open_tick), keys(event_rank, event_tick), side="right") - 1
    safe = np.maximum(at, 0)
    matched = (at >= 0) & (open_rank[safe] == event_rank)
    business = np.where(
        matched,
        business_before[safe]
        + np.clip(event_tick - open_tick[safe], 0, close_tick[safe] - open_tick[safe]),
        0,
    )
    business = np.where(has_hours[event_rank], business, event_tick)  # open 24/7: B(t) = t

    last_of_store = _group_ends(event_rank)
    segment = np.zeros(len(event_rank), dtype=np.int64)
    segment[:-1] = business[1:] - business[:-1]
    segment[last_of_store] = 0
    flipped = _exclusive_group_cumsum((event_kind == 4).astype(np.int64), event_rank)
    flipped += event_kind == 4
    active_after = status_at_week_start[event_rank] ^ (flipped % 2 == 1)
    uptime_before = _exclusive_group_cumsum(np.where(active_after, segment, 0), event_rank)

    # every store has exactly one event of each marker kind, in rank order
    at_now = event_kind == 3
    columns: dict[str, np.ndarray] = {"store_id": store_id}
    uptime_cols, downtime_cols = {}, {}
    for kind, (name, _, unit_seconds) in enumerate(WINDOWS[::-1]):
        at_start = event_kind == kind
        up = uptime_before[at_now] - uptime_before[at_start]
        total = business[at_now] - business[at_start]
        unit = unit_seconds * TICKS_PER_SECOND
        uptime_cols[f"uptime_last_{name}"] = np.round(up / unit, 2)
        downtime_cols[f"downtime_last_{name}"] = np.round((total - up) / unit, 2)
    columns.update({c: uptime_cols[c] for c in REPORT_COLUMNS[1:4]})
    columns.update({c: downtime_cols[c] for c in REPORT_COLUMNS[4:]})
    report = pd.DataFrame(columns, columns=REPORT_COLUMNS)

    # ---- per-store facts and the summary
    first_poll = np.full(n_stores, 0, dtype=np.int64)
    last_poll = np.full(n_stores, 0, dtype=np.int64)
    group_first = _group_starts(poll_rank)
    first_poll[poll_rank[group_first]] = poll_us[group_first]
    group_last = _group_ends(poll_rank)
    last_poll[poll_rank[group_last]] = poll_us[group_last]
    stores = pd.DataFrame(
        {
            "store_id": store_id,
            "polls": poll_counts,
            "first_poll": _iso(first_poll),
            "last_poll": _iso(last_poll),
            "timezone": np.asarray(zone_names, dtype=object)[zone_of_rank],
            "timezone_source": zone_source,
            "hours_defined": has_hours,
            "hours_days": days_with_hours,
        },
        columns=STORE_COLUMNS,
    )
    summary = {
        "now": _iso(np.array([now_us]))[0],
        "as_of": as_of,
        "store_filter": None if store_ids is None else len(store_ids),
        "stores_reported": int(n_stores),
        "files": {
            "store_status": polls.stats.as_dict(),
            "menu_hours": hours.stats.as_dict(),
            "timezones": zones.stats.as_dict(),
        },
        "stores_default_24x7": int((~has_hours).sum()),
        "stores_default_timezone": {
            "missing": int((zone_source == "missing").sum()),
            "invalid": int((zone_source == "invalid").sum()),
        },
        "polls_used": int(len(poll_rank)),
        "evidence_polls": int(len(ev_rank)),
        "duration_seconds": round(time.perf_counter() - started, 3),
    }
    return ReportResult(report=report, summary=summary, stores=stores)


def _sorted_unique_polls(
    rank: np.ndarray, time_us: np.ndarray, active: np.ndarray, n_stores: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Polls sorted by (store, time); one per store and instant, ``inactive`` winning."""
    keys = GroupedKeys(n_stores, [time_us], factor=2)
    key = np.sort(keys(rank, time_us) + active)  # inactive (0) sorts first at an instant
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] // 2 != key[:-1] // 2
    key = key[first]
    position = (key % keys.span) // 2
    time_sorted = position + keys.base if keys.dense is None else keys.dense[position]
    return key // keys.span, time_sorted.astype(np.int64), (key % 2).astype(bool)


def _store_zones(zones: Zones, store_index: pd.Index, n_stores: int):
    """Zone name list, each store's index into it, and where it came from."""
    zone_rank = store_index.get_indexer(zones.store_id)
    matched = zone_rank >= 0
    names = np.full(n_stores, tz.DEFAULT_ZONE, dtype=object)
    source = np.full(n_stores, "missing", dtype=object)
    given = zones.zone[matched]
    distinct, which = np.unique(given.astype(str), return_inverse=True)
    valid = np.array([tz.is_valid_zone(z) for z in distinct], dtype=bool)[which]
    valid = valid.reshape(len(given))
    names[zone_rank[matched][valid]] = given[valid]
    source[zone_rank[matched]] = np.where(valid, "file", "invalid")
    zone_names, zone_of_rank = np.unique(names.astype(str), return_inverse=True)
    return list(zone_names), zone_of_rank.astype(np.int64), source


def _business_intervals(
    *,
    hours_rank,
    weekday,
    start_s,
    end_s,
    has_hours,
    zone_of_rank,
    zone_names,
    poll_rank,
    poll_us,
    now_us,
    week_start_tick,
):
    """UTC intervals (ticks) of every opening that can matter, for the stores with hours.

    An opening that starts on local date D covers instants whose local date is D or D + 1,
    and a local date is within a day of the UTC date, so the openings starting on UTC dates
    d - 2 .. d + 1 cover every instant of UTC date d.
    """
    day_of = lambda us: np.floor_divide(us, US_PER_DAY)  # noqa: E731
    with_hours = has_hours[poll_rank]
    poll_days = day_of(poll_us[with_hours])
    first_window_day = int(day_of(week_start_tick // TICKS_PER_US)) - 2
    last_window_day = int(day_of(now_us)) + 1
    low = min(int(poll_days.min()) if len(poll_days) else first_window_day, first_window_day) - 2
    high = max(int(poll_days.max()) if len(poll_days) else last_window_day, last_window_day) + 2
    span = high - low + 1

    pair = poll_rank[with_hours] * span + (poll_days - low)  # sorted: polls are
    pair = pair[_group_starts(pair)]  # in (store, time) order
    pair = np.unique((pair[:, None] + np.arange(-2, 2)[None, :]).ravel())
    stores_with_hours = np.flatnonzero(has_hours)
    window_days = np.arange(first_window_day, last_window_day + 1) - low
    window_pair = (stores_with_hours[:, None] * span + window_days[None, :]).ravel()
    pair = np.union1d(pair, window_pair)
    date_rank, date = pair // span, pair % span + low

    # join each (store, date) with the store's rows for that weekday (1970-01-01: Thursday)
    row_key = hours_rank * 7 + weekday
    row_order = np.argsort(row_key, kind="stable")
    row_key = row_key[row_order]
    wanted = date_rank * 7 + (date + 3) % 7
    lo = np.searchsorted(row_key, wanted, side="left")
    hi = np.searchsorted(row_key, wanted, side="right")
    owner, index = _ragged_take(lo, hi - lo)
    row = row_order[index]
    rank, open_day = date_rank[owner], date[owner]
    start, end = start_s[row], end_s[row]
    close_day = open_day + (end <= start)
    close_day = close_day + (end == 86_400)
    close_sec = np.where(end == 86_400, 0, end)

    zone = zone_of_rank[rank]
    instants = (
        tz.wall_to_utc(
            np.concatenate([zone, zone]),
            np.concatenate([open_day, close_day]),
            np.concatenate([start, close_sec]),
            zone_names,
        )
        * TICKS_PER_SECOND
    )
    opens, closes = instants[: len(rank)], instants[len(rank) :]
    positive = closes > opens  # a span that a spring-forward gap swallows is empty
    return rank[positive], opens[positive], closes[positive]


def _merge_intervals(rank, opens, closes, n_stores):
    """Each store's union of intervals, sorted by (store, open)."""
    if len(rank) == 0:
        return rank, opens, closes
    keys = GroupedKeys(n_stores, [opens, closes])
    open_keys = keys(rank, opens)
    order = np.argsort(open_keys, kind="stable")
    rank, opens, closes, open_keys = rank[order], opens[order], closes[order], open_keys[order]
    reach = np.maximum.accumulate(keys(rank, closes))  # never crosses stores: rank dominates
    starts = np.ones(len(rank), dtype=bool)
    starts[1:] = open_keys[1:] > reach[:-1]
    first = np.flatnonzero(starts)
    merged_close = np.maximum.reduceat(closes, first)
    return rank[first], opens[first], merged_close


def _iso(micros: np.ndarray) -> np.ndarray:
    stamps = pd.to_datetime(micros, unit="us", utc=True)
    return np.asarray(stamps.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), dtype=object)


def report_to_csv(report: pd.DataFrame) -> str:
    """The report as CSV text: SPEC §5 header, numbers as plain decimals with 2 places."""
    return report.to_csv(index=False, float_format="%.2f", lineterminator="\n")
