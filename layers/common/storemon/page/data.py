"""The report page's data: everything its script needs, as compact JSON columns.

The data of every store travels inside every page (14,000 stores make a page of a few MB), so
its keys are short; :data:`PAGE_DATA_SCHEMA` says what each one holds, and the page script
(``page.js``) reads exactly these. Times are whole seconds from the start of the week window
``now - 168 h`` (``week_start``); a store's incidents and business intervals are ranges of
flat arrays (``ptr[i] .. ptr[i+1]-1`` for the store at row ``i``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from storemon.clock import tz
from storemon.clock.iso import utc_text
from storemon.page.periods import PagePeriods

WEEK_SECONDS = 168 * 3600
SECONDS_PER_DAY = 86_400
# store flags (bit mask) in the page data
FLAG_DEFAULT_24X7 = 1
FLAG_ZONE_MISSING = 2
FLAG_ZONE_INVALID = 4
# each store's report columns: (key, report column), then (key, percentage window)
REPORT_KEYS = (
    ("uh", "uptime_last_hour"),
    ("ud", "uptime_last_day"),
    ("uw", "uptime_last_week"),
    ("dh", "downtime_last_hour"),
    ("dd", "downtime_last_day"),
    ("dw", "downtime_last_week"),
)
PERCENTAGE_KEYS = (("ph", "hour"), ("pd", "day"), ("pw", "week"))

PAGE_DATA_SCHEMA: dict[str, Any] = {
    "now": "the report's now, ISO 8601 UTC",
    "week_start": "now - 168 h, ISO 8601 UTC",
    "week_start_s": "the same instant, seconds since the epoch (float)",
    "fleet": "fleet-wide figures (fleet_numbers): stores, uptime_pct_day/_week, "
    "uptime_hours_week, downtime_hours_week, stores_down_week/_day/_hour, duration_seconds",
    "quality": "the summary's data-quality counts (quality): files [{kind, file, rows_read, "
    "rows_skipped, reasons}], default_24x7, default_zone, zone_missing, zone_invalid",
    "stores": {
        "id": "store id, one per row, rows in store id order",
        **{key: f"{column} (minutes for the hour, else hours)" for key, column in REPORT_KEYS},
        **{
            key: f"uptime % of the last {window}, 1 decimal; null without business time"
            for key, window in PERCENTAGE_KEYS
        },
        "z": "index into zones",
        "f": "flags: 1 no business hours (open 24/7), 2 no zone, 4 unknown zone (both: the "
        "default zone)",
        "um": "with the periods: uptime in the month window (hours)",
        "dm": "with the periods: downtime in the month window (hours)",
        "pm": "with the periods: uptime % of the month window, 1 decimal; null without "
        "business time",
    },
    "zones": "per zone: {name, first_day (local date, days since 1970-01-01), midnights (local "
    "midnights from first_day on, seconds from week_start)}",
    "incidents": {
        "ptr": "store i's incidents are ptr[i] .. ptr[i+1]-1",
        "s": "start, seconds from week_start",
        "e": "end, seconds from week_start",
        "o": "the UTC offset at the start, minutes",
        "eo": "the UTC offset at the end, minutes",
        "b": "business minutes inside, 2 decimals",
        "g": "ongoing (1) or not (0)",
    },
    "business": {
        "ptr": "store i's business intervals are ptr[i] .. ptr[i+1]-1",
        "o": "open, seconds from week_start",
        "c": "close, seconds from week_start",
    },
    "days": "null, or each store's last 30 local dates (day_columns): ptr, t0 (its first date, "
    "days since 1970-01-01; the dates are consecutive), u, d (up and down minutes, whole; "
    "business time is their sum), p (uptime %, null without business time)",
    "closures": "null without a closures file, else the closures in the week window "
    "(closure_columns): ptr, s, e (seconds from week_start), o, eo (UTC offsets, minutes), r "
    "(reason)",
}


def page_data(result: Any, periods: PagePeriods | None = None) -> dict:
    """Everything the page script needs, as JSON-able columns (with `periods`: the month
    and the last 30 days too)."""
    summary = result.summary
    now_us = _epoch_us(pd.Series([summary["now"]]))[0]
    week_start_us = int(now_us) - WEEK_SECONDS * 1_000_000
    report = result.report.reset_index(drop=True)
    store_id = report["store_id"].astype(str)
    stores = store_columns(result, store_id)
    zones = zone_days(stores.pop("_zone_names"), week_start_us)
    fleet = fleet_numbers(report, summary)
    if periods is not None:
        stores |= month_columns(periods.month, store_id)
        fleet |= fleet_month(periods.month.report)
    return {
        "now": summary["now"],
        "week_start": utc_text(week_start_us),
        "week_start_s": week_start_us / 1e6,
        "fleet": fleet,
        "quality": quality(summary),
        "stores": stores,
        "zones": zones,
        "incidents": incident_columns(getattr(result, "incidents", None), store_id, week_start_us),
        "business": business_columns(result, store_id, stores["f"], week_start_us),
        "days": None if periods is None else day_columns(periods.days, store_id),
        "closures": closure_columns(getattr(result, "closures", None), store_id, week_start_us),
    }


def month_columns(month: Any, store_id: pd.Series) -> dict:
    """Each store's month window: ``um``/``dm`` up and down hours, ``pm`` uptime %."""
    report = month.report.set_index(month.report["store_id"].astype(str)).reindex(store_id)
    pct = month.percentages
    pct = pct.set_index(pct["store_id"].astype(str)).reindex(store_id)
    return {
        "um": _numbers(report["uptime_last_month"].to_numpy(dtype=float), 2),
        "dm": _numbers(report["downtime_last_month"].to_numpy(dtype=float), 2),
        "pm": _numbers(pct["uptime_pct_last_month"].to_numpy(dtype=float), 1),
    }


def fleet_month(report: pd.DataFrame) -> dict:
    """The fleet's month: total uptime / total business time of the month window."""
    up = float(report["uptime_last_month"].sum())
    total = up + float(report["downtime_last_month"].sum())
    return {
        "uptime_pct_month": round(up / total * 100, 1) if total > 0 else None,
        "downtime_hours_month": round(float(report["downtime_last_month"].sum()), 2),
    }


def day_columns(days: pd.DataFrame, store_id: pd.Series) -> dict:
    """The last 30 local dates of each store, grouped like the incidents (consecutive dates
    from ``t0``, days since 1970-01-01, null for a store without any): ``u``/``d`` up and down
    minutes (whole: the page writes h:mm; business time is their sum), ``p`` uptime % (null
    without business time). Compact: a month of 14,000 stores is 420,000 days."""
    rank = pd.Index(store_id).get_indexer(days["store_id"].astype(str))
    keep = rank >= 0
    frame, rank = days[keep], rank[keep]
    dates = pd.to_datetime(frame["date"].astype(str), format="%Y-%m-%d").to_numpy()
    day = dates.astype("datetime64[D]").astype(np.int64)
    order, ptr = _per_store(rank, day, len(store_id))
    counts = np.diff(ptr)
    starts = day[order][ptr[:-1][counts > 0]]  # each store's first date, if it has any
    first = np.zeros(len(store_id), dtype=np.int64)
    first[counts > 0] = starts

    def minutes(name: str) -> list:
        values = np.round(frame[name].to_numpy(dtype=float)[order] * 60)
        return values.astype(np.int64).tolist()

    return {
        "ptr": ptr.astype(int).tolist(),
        "t0": [int(t) if n else None for t, n in zip(first.tolist(), counts.tolist(), strict=True)],
        "u": minutes("uptime_hours"),
        "d": minutes("downtime_hours"),
        "p": _numbers(frame["uptime_percent"].to_numpy(dtype=float)[order], 1),
    }


def closure_columns(
    closures: pd.DataFrame | None, store_id: pd.Series, week_start_us: int
) -> dict | None:
    """The closures (SPEC §9) overlapping the week window, grouped like the incidents: ``s``
    and ``e`` seconds from the week start, ``o`` the UTC offset at the start (minutes), ``eo``
    at the end, ``r`` the reason. None without a closures file."""
    if closures is None:
        return None
    rank = pd.Index(store_id).get_indexer(closures["store_id"].astype(str))
    start = _epoch_us(closures["start_utc"]) - week_start_us
    end = _epoch_us(closures["end_utc"]) - week_start_us
    keep = (rank >= 0) & (end > 0) & (start < WEEK_SECONDS * 1_000_000)
    rank, start, end = rank[keep], start[keep], end[keep]
    frame = closures[keep]
    order, ptr = _per_store(rank, start, len(store_id))
    return {
        "ptr": ptr.astype(int).tolist(),
        **_stretches(start, end, frame, order),
        "r": frame["reason"].fillna("").astype(str).to_numpy()[order].tolist(),
    }


def fleet_numbers(report: pd.DataFrame, summary: dict) -> dict:
    """Fleet-wide figures: business-hour uptime % = total uptime / total business time."""

    def pct(window: str) -> float | None:
        up = float(report[f"uptime_last_{window}"].sum())
        total = up + float(report[f"downtime_last_{window}"].sum())
        return round(up / total * 100, 1) if total > 0 else None

    return {
        "stores": int(len(report)),
        "uptime_pct_day": pct("day"),
        "uptime_pct_week": pct("week"),
        "uptime_hours_week": round(float(report["uptime_last_week"].sum()), 2),
        "downtime_hours_week": round(float(report["downtime_last_week"].sum()), 2),
        "stores_down_week": int((report["downtime_last_week"] > 0).sum()),
        "stores_down_day": int((report["downtime_last_day"] > 0).sum()),
        "stores_down_hour": int((report["downtime_last_hour"] > 0).sum()),
        "duration_seconds": summary.get("duration_seconds"),
    }


def quality(summary: dict) -> dict:
    """The summary's data-quality counts: rows per file, defaults used."""
    files = [
        {
            "kind": kind,
            "file": str(stats.get("file", kind)),
            "rows_read": int(stats.get("rows_read", 0)),
            "rows_skipped": int(stats.get("rows_skipped", 0)),
            "reasons": {str(k): int(v) for k, v in (stats.get("skipped_reasons") or {}).items()},
        }
        for kind, stats in (summary.get("files") or {}).items()
    ]
    zones = summary.get("stores_default_timezone") or {}
    return {
        "files": files,
        "default_24x7": int(summary.get("stores_default_24x7", 0)),
        "default_zone": tz.DEFAULT_ZONE,
        "zone_missing": int(zones.get("missing", 0)),
        "zone_invalid": int(zones.get("invalid", 0)),
    }


def store_columns(result: Any, store_id: pd.Series) -> dict:
    """One array per column, in report (store id) order; percentages null when undefined."""
    report = result.report.reset_index(drop=True)
    pct = _percentages(result, store_id)
    facts = result.stores.set_index(result.stores["store_id"].astype(str)).reindex(store_id)
    zone_names, zone_index = np.unique(
        facts["timezone"].fillna(tz.DEFAULT_ZONE).astype(str), return_inverse=True
    )
    source = facts["timezone_source"].astype(str).to_numpy()
    flags = (
        np.where(facts["hours_defined"].fillna(False).astype(bool), 0, FLAG_DEFAULT_24X7)
        | np.where(source == "missing", FLAG_ZONE_MISSING, 0)
        | np.where(source == "invalid", FLAG_ZONE_INVALID, 0)
    )
    columns: dict[str, Any] = {"id": store_id.tolist()}
    for key, column in REPORT_KEYS:
        columns[key] = _numbers(report[column].to_numpy(dtype=float), 2)
    for key, window in PERCENTAGE_KEYS:
        columns[key] = _numbers(pct[f"uptime_pct_last_{window}"].to_numpy(dtype=float), 1)
    columns["z"] = zone_index.astype(int).tolist()
    columns["f"] = flags.astype(int).tolist()
    columns["_zone_names"] = list(zone_names)
    return columns


def _percentages(result: Any, store_id: pd.Series) -> pd.DataFrame:
    """The engine's percentages, aligned on the report; computed from the report without them."""
    frame = getattr(result, "percentages", None)
    if frame is not None:
        return frame.set_index(frame["store_id"].astype(str)).reindex(store_id)
    report = result.report.reset_index(drop=True)
    out = {}
    for window in ("hour", "day", "week"):
        up = report[f"uptime_last_{window}"].to_numpy(dtype=float)
        total = up + report[f"downtime_last_{window}"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"uptime_pct_last_{window}"] = np.where(
                total > 0, np.round(up / total * 100, 1), np.nan
            )
    return pd.DataFrame(out)


def _numbers(values: np.ndarray, decimals: int) -> list:
    """Floats rounded for the page, ``None`` for NaN; whole numbers as ints (shorter JSON)."""
    rounded = np.round(values, decimals)
    whole = np.isfinite(rounded) & (rounded == np.trunc(rounded))
    out = np.where(np.isfinite(rounded), rounded, 0).astype(object)
    out[whole] = rounded[whole].astype(np.int64)
    out[~np.isfinite(rounded)] = None
    return out.tolist()


def zone_days(zone_names: list[str], week_start_us: int) -> list[dict]:
    """Per zone: the local midnights around the week window, as seconds from its start.

    ``first_day`` is the local date (days since 1970-01-01) of the first midnight; the page
    draws one timeline row per local day from midnight to the next midnight.
    """
    if not zone_names:
        return []
    first = week_start_us // 1_000_000 // SECONDS_PER_DAY - 1
    days = np.arange(first, first + 10, dtype=np.int64)
    zone_index = np.repeat(np.arange(len(zone_names)), len(days))
    midnights = tz.wall_to_utc(
        zone_index,
        np.tile(days, len(zone_names)),
        np.zeros(len(zone_index), dtype=np.int64),
        list(zone_names),
    ).reshape(len(zone_names), len(days))
    relative = midnights - week_start_us // 1_000_000
    return [
        {"name": name, "first_day": int(first), "midnights": relative[i].tolist()}
        for i, name in enumerate(zone_names)
    ]


def incident_columns(
    incidents: pd.DataFrame | None, store_id: pd.Series, week_start_us: int
) -> dict | None:
    """The incidents (SPEC §7 frame) as columns grouped by store: store ``i``'s incidents are
    ``ptr[i] .. ptr[i+1]-1``; ``s``/``e`` seconds from the week start, ``o``/``eo`` the local
    UTC offset in minutes at start and end, ``b`` business minutes, ``g`` ongoing."""
    if incidents is None:
        return None
    rank = pd.Index(store_id).get_indexer(incidents["store_id"].astype(str))
    keep = rank >= 0
    frame, rank = incidents[keep], rank[keep]
    start = _epoch_us(frame["start_utc"]) - week_start_us
    end = _epoch_us(frame["end_utc"]) - week_start_us
    order, ptr = _per_store(rank, start, len(store_id))
    ongoing = frame["ongoing"]
    if not pd.api.types.is_bool_dtype(ongoing):  # CSV text: "true" / "false"
        ongoing = ongoing.astype(str).str.strip().str.lower().isin(["true", "1"])
    return {
        "ptr": ptr.astype(int).tolist(),
        **_stretches(start, end, frame, order),
        "b": _numbers(frame["business_minutes"].to_numpy(dtype=float)[order], 2),
        "g": ongoing.to_numpy()[order].astype(int).tolist(),
    }


def business_columns(
    result: Any, store_id: pd.Series, flags: list[int], week_start_us: int
) -> dict | None:
    """Each store's business intervals inside the week window, grouped like the incidents
    (``o``/``c`` seconds from the week start). A store without hours (24/7) is open all week.
    ``None`` when the result does not carry the business intervals."""
    frame = getattr(result, "business_intervals", None)
    if frame is None:
        return None
    rank = pd.Index(store_id).get_indexer(frame["store_id"].astype(str))
    keep = rank >= 0
    rank = rank[keep]
    opens = np.clip(_epoch_us(frame["open_utc"][keep]) - week_start_us, 0, WEEK_SECONDS * 10**6)
    closes = np.clip(_epoch_us(frame["close_utc"][keep]) - week_start_us, 0, WEEK_SECONDS * 10**6)
    always = np.flatnonzero(np.asarray(flags, dtype=np.int64) & FLAG_DEFAULT_24X7)
    always = always[~np.isin(always, rank)]
    rank = np.concatenate([rank, always])
    opens = np.concatenate([opens, np.zeros(len(always), dtype=np.int64)])
    closes = np.concatenate([closes, np.full(len(always), WEEK_SECONDS * 10**6)])
    order, ptr = _per_store(rank, opens, len(store_id))
    return {
        "ptr": ptr.astype(int).tolist(),
        "o": np.round(opens[order] / 1e6).astype(np.int64).tolist(),
        "c": np.round(closes[order] / 1e6).astype(np.int64).tolist(),
    }


def _epoch_us(values: pd.Series) -> np.ndarray:
    """Microseconds since the epoch of ISO strings, datetimes or epoch µs integers."""
    if pd.api.types.is_integer_dtype(values):
        return values.to_numpy(dtype=np.int64)
    stamps = pd.to_datetime(values, utc=True, format="ISO8601")
    return stamps.to_numpy(dtype="datetime64[us]").astype(np.int64)


def _offset_minutes(local: pd.Series) -> np.ndarray:
    """The UTC offset in minutes written at the end of ISO 8601 local times (``±HH:MM``; 0
    when a text does not end so), read from the bytes (no per-row Python)."""
    width = 48
    raw = np.asarray(local.astype(str).to_numpy(dtype=object).astype(f"S{width}"))
    chars = raw.view(np.uint8).reshape(len(raw), width).astype(np.int64)
    length = np.maximum((chars != 0).sum(axis=1), 6)
    rows = np.arange(len(raw))
    sign, h1, h2, colon, m1, m2 = (chars[rows, length - k] for k in range(6, 0, -1))
    digits = np.stack([h1, h2, m1, m2]) - ord("0")
    valid = (
        ((sign == ord("+")) | (sign == ord("-")))
        & (colon == ord(":"))
        & ((digits >= 0) & (digits <= 9)).all(axis=0)
    )
    minutes = (digits[0] * 10 + digits[1]) * 60 + digits[2] * 10 + digits[3]
    return np.where(valid, np.where(sign == ord("-"), -minutes, minutes), 0).astype(np.int64)


def _per_store(rank: np.ndarray, key: np.ndarray, n_stores: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows' order by store, then ``key``, and the page's ``ptr``: store ``i``'s rows are
    ``order[ptr[i]:ptr[i + 1]]``."""
    order = np.lexsort((key, rank))
    counts = np.bincount(rank, minlength=n_stores)
    return order, np.concatenate([[0], np.cumsum(counts)])


def _stretches(start: np.ndarray, end: np.ndarray, frame: pd.DataFrame, order: np.ndarray) -> dict:
    """Stretches of the week in store order (incidents, closures): ``s``/``e`` seconds from
    the week's start, ``o``/``eo`` their local UTC offsets in minutes."""
    return {
        "s": np.round(start[order] / 1e6).astype(np.int64).tolist(),
        "e": np.round(end[order] / 1e6).astype(np.int64).tolist(),
        "o": _offset_minutes(frame["start_local"])[order].tolist(),
        "eo": _offset_minutes(frame["end_local"])[order].tolist(),
    }
