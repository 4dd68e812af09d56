"""The report page: one self-contained HTML file an owner reads at a glance (issue 11).

``render_report_page(result)`` turns a :class:`storemon.report.result.ReportResult` into a
single HTML document with no external reference at all (inline CSS, inline SVG, one inline
script), so it works offline, from a file and from a presigned S3 URL:

- a fleet summary (stores, business-hour uptime % of the day and the week, stores with any
  downtime, the data's ``now``, the data-quality counts of the summary);
- a histogram of the stores' week uptime % (inline SVG, drawn here);
- the stores ranked by week downtime, searchable, sortable and paginated in the browser;
- per store, drawn when its row is opened: a week timeline in the store's local time (business
  hours shaded, up and down bands) and its incidents with local start, end and duration.

The page is ``page.html`` with ``page.css``, the chart, the data (:mod:`storemon.page.data`)
and ``page.js`` put in its places. The data travels as compact JSON arrays (columns, not
records) inside ``<script type="application/json">``, with ``<``, ``>`` and ``&`` written as
``\\u003c`` etc., so no value can close the script element; the page script builds the DOM with
``textContent`` only. Nothing from the data is ever parsed as HTML.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path
from string import Template
from typing import Any

import numpy as np

from storemon.page.data import page_data
from storemon.page.periods import PagePeriods

ASSETS = Path(__file__).parent
# the histogram's bins of week uptime %: 0-5, 5-10, ..., 95-<100, and exactly 100
HISTOGRAM_EDGES = np.arange(0, 101, 5)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # the page's words, any locale
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def render_report_page(
    result: Any,
    title: str = "Store uptime report",
    periods: PagePeriods | None = None,
    *,
    fleet_facts: bool = True,
) -> str:
    """The report page of ``result`` (a ReportResult of §5's windows; ``incidents`` should be
    computed); with `periods` (:func:`storemon.page.periods.page_periods`) the month column,
    the fleet's month and each store's last 30 days as bars. Without `fleet_facts` (the page
    of a store owner's report) the input files' row counts, facts of the whole data set, are
    left out."""
    data = page_data(result, periods)
    if not fleet_facts:
        data["quality"]["files"] = []
    return Template((ASSETS / "page.html").read_text()).substitute(
        title=html.escape(title),
        now=html.escape(str(data["now"])),
        now_text=html.escape(time_for_people(str(data["now"]))),
        css=(ASSETS / "page.css").read_text(),
        chart=histogram_svg(data["stores"]["pw"]),
        data=script_json(data),
        script=(ASSETS / "page.js").read_text(),
    )


def time_for_people(iso: str) -> str:
    """An ISO 8601 UTC instant as a person reads it: ``Wed 25 Jan 2023, 18:13 UTC``."""
    at = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)
    day, month = WEEKDAYS[at.weekday()], MONTHS[at.month - 1]
    return f"{day} {at.day} {month} {at.year}, {at.hour:02d}:{at.minute:02d} UTC"


def script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` survives."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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
