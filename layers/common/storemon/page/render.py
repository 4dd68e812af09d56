"""The report page: one self-contained HTML file an owner reads at a glance (issue 11).

``render_report_page(result)`` turns a :class:`storemon.report.pipeline.ReportResult` into a
single HTML document with no external reference at all (inline CSS, inline SVG, one inline
script), so it works offline, from a file and from a presigned S3 URL:

- a fleet summary (stores, business-hour uptime % of the day and the week, stores with any
  downtime, the data's ``now``, the data-quality counts of the summary);
- a histogram of the stores' week uptime % (inline SVG, drawn here);
- the stores ranked by week downtime, searchable, sortable and paginated in the browser;
- per store, drawn when its row is opened: a week timeline in the store's local time (business
  hours shaded, up and down bands) and its incidents with local start, end and duration.

The data travels as compact JSON arrays (columns, not records) inside
``<script type="application/json">``, with ``<``, ``>`` and ``&`` written as ``\\u003c`` etc.,
so no value can close the script element; the page script builds the DOM with ``textContent``
only. Nothing from the data is ever parsed as HTML.

Times in the page data are whole seconds from the start of the week window ``now - 168 h``.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from storemon.clock import tz
from storemon.clock.iso import utc_text

WEEK_SECONDS = 168 * 3600
SECONDS_PER_DAY = 86_400
ASSETS = Path(__file__).parent
# store flags (bit mask) in the page data
FLAG_DEFAULT_24X7 = 1
FLAG_ZONE_MISSING = 2
FLAG_ZONE_INVALID = 4
# the histogram's bins of week uptime %: 0-5, 5-10, ..., 95-<100, and exactly 100
HISTOGRAM_EDGES = np.arange(0, 101, 5)


def render_report_page(result: Any, title: str = "Store uptime report") -> str:
    """The report page of ``result`` (a ReportResult; ``incidents`` should be computed)."""
    data = page_data(result)
    css = (ASSETS / "page.css").read_text()
    script = (ASSETS / "page.js").read_text()
    chart = histogram_svg(data["stores"]["pw"])
    now = html.escape(str(data["now"]))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
        '<link rel="icon" href="data:,">\n'
        f"<title>{html.escape(title)} · {now}</title>\n"
        f"<style>\n{css}</style>\n</head>\n<body>\n"
        f"<header><h1>{html.escape(title)}</h1>"
        f'<p class="now">Data as of <time id="now">{now}</time> (UTC)</p></header>\n'
        '<main>\n<section id="fleet" aria-label="Fleet summary"></section>\n'
        '<section id="chart" aria-label="Week uptime distribution">'
        "<h2>Week uptime across stores</h2>\n"
        f"{chart}</section>\n"
        '<section id="stores" aria-label="Stores"></section>\n'
        '<section id="quality" aria-label="Data quality"></section>\n</main>\n'
        '<script type="application/json" id="report-data">'
        f"{script_json(data)}</script>\n"
        f"<script>\n{script}</script>\n</body>\n</html>\n"
    )


def script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` survives."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# --------------------------------------------------------------------------- page data


def page_data(result: Any) -> dict:
    """Everything the page script needs, as JSON-able columns."""
    summary = result.summary
    now_us = _epoch_us(pd.Series([summary["now"]]))[0]
    week_start_us = int(now_us) - WEEK_SECONDS * 1_000_000
    report = result.report.reset_index(drop=True)
    store_id = report["store_id"].astype(str)
    stores = store_columns(result, store_id)
    zones = zone_days(stores.pop("_zone_names"), week_start_us)
    return {
        "now": summary["now"],
        "week_start": utc_text(week_start_us),
        "week_start_s": week_start_us / 1e6,
        "fleet": fleet_numbers(report, summary),
        "quality": quality(summary),
        "stores": stores,
        "zones": zones,
        "incidents": incident_columns(getattr(result, "incidents", None), store_id, week_start_us),
        "business": business_columns(result, store_id, stores["f"], week_start_us),
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
    for short, column in (
        ("uh", "uptime_last_hour"),
        ("ud", "uptime_last_day"),
        ("uw", "uptime_last_week"),
        ("dh", "downtime_last_hour"),
        ("dd", "downtime_last_day"),
        ("dw", "downtime_last_week"),
    ):
        columns[short] = _numbers(report[column].to_numpy(dtype=float), 2)
    for short, window in (("ph", "hour"), ("pd", "day"), ("pw", "week")):
        columns[short] = _numbers(pct[f"uptime_pct_last_{window}"].to_numpy(dtype=float), 1)
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
    order = np.lexsort((start, rank))
    counts = np.bincount(rank, minlength=len(store_id))
    ongoing = frame["ongoing"]
    if not pd.api.types.is_bool_dtype(ongoing):  # CSV text: "true" / "false"
        ongoing = ongoing.astype(str).str.strip().str.lower().isin(["true", "1"])
    return {
        "ptr": np.concatenate([[0], np.cumsum(counts)]).astype(int).tolist(),
        "s": np.round(start[order] / 1e6).astype(np.int64).tolist(),
        "e": np.round(end[order] / 1e6).astype(np.int64).tolist(),
        "o": _offset_minutes(frame["start_local"])[order].tolist(),
        "eo": _offset_minutes(frame["end_local"])[order].tolist(),
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
    always = np.flatnonzero(np.asarray(flags) & FLAG_DEFAULT_24X7)
    always = always[~np.isin(always, rank)]
    rank = np.concatenate([rank, always])
    opens = np.concatenate([opens, np.zeros(len(always), dtype=np.int64)])
    closes = np.concatenate([closes, np.full(len(always), WEEK_SECONDS * 10**6)])
    order = np.lexsort((opens, rank))
    counts = np.bincount(rank, minlength=len(store_id))
    return {
        "ptr": np.concatenate([[0], np.cumsum(counts)]).astype(int).tolist(),
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


# --------------------------------------------------------------------------- the chart


def histogram_svg(week_pct: list) -> str:
    """Inline SVG bar chart: how many stores have each band of week uptime %."""
    values = np.array([np.nan if v is None else v for v in week_pct], dtype=float)
    known = values[np.isfinite(values)]
    full = int((known >= 100).sum())
    counts = np.histogram(known[known < 100], bins=HISTOGRAM_EDGES)[0].tolist() + [full]
    labels = [f"{lo}–{lo + 5}%" for lo in HISTOGRAM_EDGES[:-1]] + ["100%"]
    width, height, left, bottom, top = 640, 230, 44, 40, 30
    bar = (width - left - 8) / len(counts)
    peak = max(*counts, 1)
    parts = [
        f'<svg class="histogram" viewBox="0 0 {width} {height}" role="img" '
        'aria-labelledby="chart-title chart-desc" preserveAspectRatio="xMidYMid meet">',
        '<title id="chart-title">Stores by week uptime %</title>',
        f'<desc id="chart-desc">{len(known)} stores with business time in the week; '
        f"{int(len(values) - len(known))} without.</desc>",
    ]
    plot = height - bottom - top
    for i, (count, label) in enumerate(zip(counts, labels, strict=True)):
        h = plot * count / peak
        x = left + i * bar
        y = height - bottom - h
        parts.append(
            f'<g class="bar{" full" if i == len(counts) - 1 else ""}"><title>{label}: {count} '
            f'stores</title><rect x="{x + 1:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" '
            f'height="{max(h, 0.5):.1f}"></rect>'
            f'<text class="count" x="{x + bar / 2:.1f}" y="{y - 3:.1f}">{count or ""}</text></g>'
        )
    for lo in range(0, 101, 25):
        x = left + (lo / 5) * bar
        parts.append(f'<text class="tick" x="{x:.1f}" y="{height - bottom + 14}">{lo}%</text>')
    parts.append(
        f'<text class="axis y" x="{left}" y="12">stores</text>'
        f'<text class="axis" x="{width / 2:.0f}" y="{height - 6}">'
        "week uptime % (last bar: exactly 100 %)</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
