"""A plain, obviously-correct implementation of SPEC §2–§5, one store at a time.

Slow on purpose: Python datetimes and zoneinfo for every opening, a list of intervals per
store, and the status found by looking for the nearest poll. The property tests check that
the vectorised engine agrees with it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
VALID_ZONES = available_timezones()


def to_us(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def local_to_us(day: date, seconds: int, zone: ZoneInfo) -> int:
    """Wall time ``seconds`` after midnight of ``day`` (may be 86400) in ``zone``, fold=0."""
    if seconds == 86_400:
        day, seconds = day + timedelta(days=1), 0
    wall = datetime.combine(day, time(seconds // 3600, seconds // 60 % 60, seconds % 60))
    return to_us(wall.replace(tzinfo=zone))


def business_intervals(rows, zone: ZoneInfo, first: date, last: date) -> list[tuple[int, int]]:
    """Merged [open, close) intervals in µs of the openings starting on first..last."""
    intervals = []
    day = first
    while day <= last:
        for weekday, start, end in rows:
            if weekday != day.weekday():
                continue
            if end in (86_399, 86_400):
                close = local_to_us(day, 86_400, zone)
            elif end <= start:
                close = local_to_us(day + timedelta(days=1), end, zone)
            else:
                close = local_to_us(day, end, zone)
            opening = local_to_us(day, start, zone)
            if close > opening:
                intervals.append((opening, close))
        day += timedelta(days=1)
    intervals.sort()
    merged: list[list[int]] = []
    for opening, close in intervals:
        if merged and opening <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], close)
        else:
            merged.append([opening, close])
    return [(a, b) for a, b in merged]


def store_model(store, polls, hours, zone_of, now_us):
    """One store's (zone, merged business intervals or None for 24/7, evidence points).

    Evidence points are sorted (µs, is_active) pairs, one per instant, inactive winning."""
    name = zone_of.get(store)
    zone = ZoneInfo(name if name in VALID_ZONES else "America/Chicago")
    rows = [(w, a, b) for s, w, a, b in hours if s == store]
    own = sorted((t, act) for s, act, t in polls if s == store and t <= now_us)
    first_day = datetime.fromtimestamp(own[0][0] / 1e6, UTC).date() - timedelta(days=3)
    last_day = datetime.fromtimestamp(now_us / 1e6, UTC).date() + timedelta(days=2)
    first_day = min(
        first_day,
        (datetime.fromtimestamp(now_us / 1e6, UTC) - timedelta(hours=168)).date()
        - timedelta(days=3),
    )
    intervals = business_intervals(rows, zone, first_day, last_day) if rows else None
    inside = [(t, act) for t, act in own if open_at(intervals, t)]
    evidence = inside or own
    by_instant: dict[int, bool] = {}
    for t, act in evidence:
        by_instant[t] = by_instant.get(t, True) and act
    return zone, intervals, sorted(by_instant.items())


def open_at(intervals, t):
    return intervals is None or any(a <= t < b for a, b in intervals)


def status_at(points, x2):
    """The status at ``x2`` (half-µs): the nearest poll's, a tie going to the later poll."""
    best = None
    for t, act in points:
        distance = abs(2 * t - x2)
        if best is None or distance < best[0] or (distance == best[0] and t > best[1]):
            best = (distance, t, act)
    return best[2]


def reported_stores(polls, now_us, store_ids):
    stores = sorted({s for s, _, t in polls if t <= now_us})
    if store_ids is not None:
        stores = [s for s in stores if s in set(store_ids)]
    return stores


def reference_report(polls, hours, zones, now_us: int | None = None, store_ids=None):
    """polls: [(store, is_active, µs)], hours: [(store, weekday, start_s, end_s)],
    zones: [(store, zone string)] in file order. Returns {store: {column: (ticks, unit)}}:
    each duration as an exact number of half-µs ticks, and its unit in seconds."""
    if now_us is None:
        now_us = max(t for _, _, t in polls)
    zone_of = dict(zones)
    result = {}
    for store in reported_stores(polls, now_us, store_ids):
        _, intervals, points = store_model(store, polls, hours, zone_of, now_us)
        row = {}
        for label, hours_back, unit in (("hour", 1, 60), ("day", 24, 3600), ("week", 168, 3600)):
            start2 = 2 * (now_us - hours_back * 3_600_000_000)
            end2 = 2 * now_us
            cuts = {start2, end2}
            if intervals is not None:
                for a, b in intervals:
                    cuts.update(c for c in (2 * a, 2 * b) if start2 < c < end2)
            for (t1, _), (t2, _) in zip(points, points[1:], strict=False):
                if start2 < t1 + t2 < end2:
                    cuts.add(t1 + t2)
            cuts = sorted(cuts)
            up = down = 0
            for u, v in zip(cuts, cuts[1:], strict=False):
                if not open_at(intervals, u / 2):
                    continue
                if status_at(points, u):
                    up += v - u
                else:
                    down += v - u
            row[f"uptime_last_{label}"] = (up, unit)
            row[f"downtime_last_{label}"] = (down, unit)
        result[store] = row
    return result


def business_ticks(intervals, start2, end2):
    """Business time (half-µs ticks) in [start2, end2) (half-µs)."""
    if intervals is None:
        return end2 - start2
    return sum(max(0, min(end2, 2 * b) - max(start2, 2 * a)) for a, b in intervals)


def reference_incidents(polls, hours, zones, now_us: int | None = None, store_ids=None):
    """SPEC §7, one store at a time: {store: (zone, [(start2, end2, business2), ...])} in
    half-µs ticks, the inactive stretches of the week that hold business time."""
    if now_us is None:
        now_us = max(t for _, _, t in polls)
    zone_of = dict(zones)
    week_start2, now2 = 2 * (now_us - 168 * 3_600_000_000), 2 * now_us
    result = {}
    for store in reported_stores(polls, now_us, store_ids):
        zone, intervals, points = store_model(store, polls, hours, zone_of, now_us)
        midpoints = {t1 + t2 for (t1, _), (t2, _) in zip(points, points[1:], strict=False)}
        cuts = sorted({week_start2, now2} | {c for c in midpoints if week_start2 < c < now2})
        stretches: list[list[int]] = []
        for u, v in zip(cuts, cuts[1:], strict=False):
            if status_at(points, u):
                continue
            if stretches and stretches[-1][1] == u:
                stretches[-1][1] = v
            else:
                stretches.append([u, v])
        listed = [(u, v, business_ticks(intervals, u, v)) for u, v in stretches]
        result[store] = (zone, [item for item in listed if item[2] > 0])
    return result
