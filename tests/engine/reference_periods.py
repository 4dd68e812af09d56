"""A plain, obviously-correct implementation of SPEC §8 (periods), §9 (closures) and §10
(alert identities), one store at a time, on top of :mod:`tests.engine.reference`.

Slow on purpose, like the reference it extends: Python datetimes and zoneinfo for every opening
and every closure, lists of intervals, and the status found by looking for the nearest poll.
Durations are exact numbers of half-µs ticks (``2 * µs``), so every instant that matters (a
midpoint between two polls) is an integer.

Shapes (all plain Python values):

- ``polls``: ``[(store, is_active, µs)]``; ``hours``: ``[(store, weekday, start_s, end_s)]``;
  ``zones``: ``[(store, zone name)]`` in file order (the last row of a store wins);
- ``closures``: ``[(store or "*", start_wall, end_wall)]`` with naive ``datetime`` wall times,
  read in the store's zone as §3 reads wall times (``fold=0``); each closure is
  ``[start, end)``. Rows with ``end_wall <= start_wall`` are skipped (as §9 says the engine
  skips and counts them).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from .reference import VALID_ZONES, business_intervals, status_at, to_us

US_PER_HOUR = 3_600_000_000
WINDOW_HOURS = {"hour": 1, "day": 24, "week": 168, "month": 720}
WINDOW_UNIT = {"hour": 60, "day": 3600, "week": 3600, "month": 3600}
WINDOW_ORDER = ("hour", "day", "week", "month")
FAR_PAST = -(2**62)
FAR_FUTURE = 2**62


def store_zone(store, zones) -> ZoneInfo:
    name = dict(zones).get(store)
    return ZoneInfo(name if name in VALID_ZONES else "America/Chicago")


def wall_to_us(wall: datetime, zone: ZoneInfo) -> int:
    """A naive wall time in ``zone`` as µs since the epoch, ``fold=0`` (SPEC §3)."""
    return to_us(wall.replace(tzinfo=zone, fold=0))


def closure_intervals(store, zone: ZoneInfo, closures) -> list[tuple[int, int]]:
    """The store's closures (its own rows and the ``*`` rows) as merged [start, end) µs."""
    spans = []
    for who, start_wall, end_wall in closures:
        if who not in (store, "*") or end_wall <= start_wall:
            continue
        start, end = wall_to_us(start_wall, zone), wall_to_us(end_wall, zone)
        if end > start:
            spans.append((start, end))
    return merge(spans)


def merge(spans) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def subtract(intervals, holes) -> list[tuple[int, int]]:
    """``intervals`` minus ``holes`` (both merged, sorted, half-open)."""
    result = []
    for a, b in intervals:
        pieces = [(a, b)]
        for c, d in holes:
            next_pieces = []
            for x, y in pieces:
                if d <= x or c >= y:
                    next_pieces.append((x, y))
                    continue
                if x < c:
                    next_pieces.append((x, c))
                if d < y:
                    next_pieces.append((d, y))
            pieces = next_pieces
        result.extend(pieces)
    return result


def open_at(intervals, t) -> bool:
    return any(a <= t < b for a, b in intervals)


def business_ticks(intervals, start2, end2) -> int:
    """Business time (half-µs ticks) of ``intervals`` (µs) inside [start2, end2) (half-µs)."""
    return sum(max(0, min(end2, 2 * b) - max(start2, 2 * a)) for a, b in intervals)


def effective_hours(store, polls, hours, zones, closures, *, period_start_us, now_us):
    """The store's business intervals minus its closures, in µs, over every date from a few
    days before ``min(first poll, period start)`` to a few days after ``now``; a store without
    hours rows is open from the far past to the far future (minus closures)."""
    zone = store_zone(store, zones)
    rows = [(w, a, b) for s, w, a, b in hours if s == store]
    times = [t for s, _, t in polls if s == store and t <= now_us]
    first_us = min([*times, period_start_us])
    first_day = datetime.fromtimestamp(first_us / 1e6, UTC).date() - timedelta(days=3)
    last_day = datetime.fromtimestamp(now_us / 1e6, UTC).date() + timedelta(days=3)
    base = business_intervals(rows, zone, first_day, last_day) if rows else [(FAR_PAST, FAR_FUTURE)]
    return zone, subtract(base, closure_intervals(store, zone, closures))


def evidence_points(store, polls, intervals, now_us):
    """SPEC §4 with §9: the store's polls at or before now inside business hours that are not
    closed; all of its polls when none is. Sorted (µs, active), one per instant, inactive
    winning."""
    own = sorted((t, act) for s, act, t in polls if s == store and t <= now_us)
    inside = [(t, act) for t, act in own if open_at(intervals, t)]
    by_instant: dict[int, bool] = {}
    for t, act in inside or own:
        by_instant[t] = by_instant.get(t, True) and act
    return sorted(by_instant.items())


def measure(intervals, points, start2, end2) -> tuple[int, int]:
    """(uptime, downtime) in half-µs ticks of business time inside [start2, end2)."""
    cuts = {start2, end2}
    for a, b in intervals:
        cuts.update(c for c in (2 * a, 2 * b) if start2 < c < end2)
    for (t1, _), (t2, _) in zip(points, points[1:], strict=False):
        if start2 < t1 + t2 < end2:
            cuts.add(t1 + t2)
    up = down = 0
    ordered = sorted(cuts)
    for u, v in zip(ordered, ordered[1:], strict=False):
        if not open_at(intervals, u / 2):
            continue
        if status_at(points, u):
            up += v - u
        else:
            down += v - u
    return up, down


def reported_stores(polls, now_us, store_ids=None) -> list:
    stores = sorted({s for s, _, t in polls if t <= now_us})
    if store_ids is not None:
        stores = [s for s in stores if s in set(store_ids)]
    return stores


def store_view(store, polls, hours, zones, closures, *, period_start_us, now_us):
    zone, intervals = effective_hours(
        store, polls, hours, zones, closures, period_start_us=period_start_us, now_us=now_us
    )
    return zone, intervals, evidence_points(store, polls, intervals, now_us)


# --------------------------------------------------------------------------- §8 windows


def reference_windows(
    polls, hours, zones, closures=(), *, now_us=None, store_ids=None, windows=WINDOW_ORDER
):
    """{store: {column: (ticks, unit seconds)}} for the asked windows (§8, §9)."""
    if now_us is None:
        now_us = max(t for _, _, t in polls)
    longest = max(WINDOW_HOURS[w] for w in windows)
    result = {}
    for store in reported_stores(polls, now_us, store_ids):
        _, intervals, points = store_view(
            store,
            polls,
            hours,
            zones,
            closures,
            period_start_us=now_us - longest * US_PER_HOUR,
            now_us=now_us,
        )
        row = {}
        for name in windows:
            start2 = 2 * (now_us - WINDOW_HOURS[name] * US_PER_HOUR)
            up, down = measure(intervals, points, start2, 2 * now_us)
            row[f"uptime_last_{name}"] = (up, WINDOW_UNIT[name])
            row[f"downtime_last_{name}"] = (down, WINDOW_UNIT[name])
        result[store] = row
    return result


def window_columns(windows) -> list[str]:
    """§8's header for a set of windows: fixed order hour, day, week, month."""
    asked = [w for w in WINDOW_ORDER if w in set(windows)]
    return (
        ["store_id"] + [f"uptime_last_{w}" for w in asked] + [f"downtime_last_{w}" for w in asked]
    )


# --------------------------------------------------------------------------- §8 ranges


def reference_range(polls, hours, zones, closures, *, from_us, to_us, store_ids=None):
    """{store: (uptime ticks, downtime ticks)} over [from, to); ``now`` is ``to``."""
    result = {}
    for store in reported_stores(polls, to_us, store_ids):
        _, intervals, points = store_view(
            store, polls, hours, zones, closures, period_start_us=from_us, now_us=to_us
        )
        result[store] = measure(intervals, points, 2 * from_us, 2 * to_us)
    return result


def local_dates(zone: ZoneInfo, from_us: int, to_us: int) -> list[tuple[date, int, int]]:
    """(date, its midnight µs, the next midnight µs) of every local date whose
    midnight-to-midnight overlaps [from, to) by more than zero time."""
    first = datetime.fromtimestamp(from_us / 1e6, UTC).astimezone(zone).date() - timedelta(1)
    last = datetime.fromtimestamp(to_us / 1e6, UTC).astimezone(zone).date() + timedelta(1)
    found = []
    day = first
    while day <= last:
        start = wall_to_us(datetime.combine(day, datetime.min.time()), zone)
        end = wall_to_us(datetime.combine(day + timedelta(1), datetime.min.time()), zone)
        if max(start, from_us) < min(end, to_us):
            found.append((day, start, end))
        day += timedelta(1)
    return found


def reference_daily(polls, hours, zones, closures, *, from_us, to_us, store_ids=None):
    """{store: [(date, business ticks, uptime ticks, downtime ticks)]}, one entry per local
    date of the store's zone overlapping [from, to), in date order (§8 day by day)."""
    result = {}
    for store in reported_stores(polls, to_us, store_ids):
        zone, intervals, points = store_view(
            store, polls, hours, zones, closures, period_start_us=from_us, now_us=to_us
        )
        days = []
        for day, start, end in local_dates(zone, from_us, to_us):
            lo, hi = 2 * max(start, from_us), 2 * min(end, to_us)
            up, down = measure(intervals, points, lo, hi)
            days.append((day, business_ticks(intervals, lo, hi), up, down))
        result[store] = days
    return result


def percent(up: int, down: int) -> float | None:
    """§7's percentage: 1 decimal, None (empty) without business time."""
    total = up + down
    return None if total == 0 else round(up * 100 / total, 1)


# --------------------------------------------------------------------------- §7 with §9


def inactive_stretches(points, lo2, hi2) -> list[list[int]]:
    """The maximal stretches of [lo2, hi2) (half-µs) with an inactive status."""
    midpoints = {t1 + t2 for (t1, _), (t2, _) in zip(points, points[1:], strict=False)}
    cuts = sorted({lo2, hi2} | {c for c in midpoints if lo2 < c < hi2})
    stretches: list[list[int]] = []
    for u, v in zip(cuts, cuts[1:], strict=False):
        if status_at(points, u):
            continue
        if stretches and stretches[-1][1] == u:
            stretches[-1][1] = v
        else:
            stretches.append([u, v])
    return stretches


def reference_incidents(polls, hours, zones, closures=(), *, now_us=None, store_ids=None):
    """§7 with §9: {store: (zone, [(start2, end2, business2)])}, the inactive stretches of
    the week window holding business time that is not closed."""
    if now_us is None:
        now_us = max(t for _, _, t in polls)
    week_start = now_us - 168 * US_PER_HOUR
    result = {}
    for store in reported_stores(polls, now_us, store_ids):
        zone, intervals, points = store_view(
            store, polls, hours, zones, closures, period_start_us=week_start, now_us=now_us
        )
        listed = [
            (u, v, business_ticks(intervals, u, v))
            for u, v in inactive_stretches(points, 2 * week_start, 2 * now_us)
        ]
        result[store] = (zone, [item for item in listed if item[2] > 0])
    return result


# --------------------------------------------------------------------------- §10 alerts


def alert_incidents(polls, hours, zones, closures=(), *, now_us=None):
    """§10's incidents at ``now`` (the newest poll), unclipped: each inactive stretch of the
    whole history starts where it starts (the store's first evidence poll when the store was
    inactive from its first poll on), its business minutes counted over the whole stretch.
    {(store, start2): (end2, business2, ongoing, in_week)}; ``in_week``: it is a §7 incident
    (it overlaps the week window and holds business time there)."""
    if now_us is None:
        now_us = max(t for _, _, t in polls)
    week_start2 = 2 * (now_us - 168 * US_PER_HOUR)
    found = {}
    for store in reported_stores(polls, now_us):
        first_us = min(t for s, _, t in polls if s == store)
        _, intervals, points = store_view(
            store,
            polls,
            hours,
            zones,
            closures,
            period_start_us=min(week_start2 // 2, first_us),
            now_us=now_us,
        )
        origin2 = 2 * points[0][0]
        for u, v in inactive_stretches(points, min(origin2, week_start2), 2 * now_us):
            start2 = max(u, origin2)
            if start2 >= v:
                continue
            in_week = v > week_start2 and business_ticks(intervals, max(u, week_start2), v) > 0
            found[(store, start2)] = (
                v,
                business_ticks(intervals, start2, v),
                v == 2 * now_us,
                in_week,
            )
    return found


def reference_alerts(batches, hours, zones, closures=(), *, min_minutes=0):
    """The notifications of §10 for a sequence of batches (each a list of polls), ingested
    one after another. Returns one list per ingest of (type, store, start2, end2, business2,
    ongoing), in (store, start) order: a ``store.down`` the first time a §7 incident with at
    least ``min_minutes`` business minutes is seen, and a ``store.recovered`` when an incident
    notified as ongoing is seen ended."""
    history: set = set()
    notified: set = set()
    notified_ongoing: set = set()
    threshold2 = min_minutes * 60 * 2_000_000
    per_ingest = []
    for batch in batches:
        history |= set(batch)
        polls = sorted(history, key=lambda p: (p[0], p[2], p[1]))
        sent = []
        incidents = alert_incidents(polls, hours, zones, closures)
        for key, (end2, business2, ongoing, in_week) in sorted(incidents.items()):
            store, start2 = key
            item = (store, start2, end2, business2, ongoing)
            if key not in notified and in_week and business2 >= threshold2:
                notified.add(key)
                sent.append(("store.down", *item))
                if ongoing:
                    notified_ongoing.add(key)
            elif key in notified_ongoing and not ongoing:
                notified_ongoing.discard(key)
                sent.append(("store.recovered", *item))
        per_ingest.append(sent)
    return per_ingest
