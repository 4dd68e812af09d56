"""``storemon report --html FILE``: the report page (one self-contained HTML file,
:mod:`storemon.page`) of any report the command makes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any


def write_page(path: str, result: Any, compute: Callable[..., Any], *, period_named: bool) -> None:
    """The page: §5's windows at the report's now (a report of another period is drawn at its
    now: a range's to), the month and each store's last 30 days, all from the report's source
    (``compute(**options)`` makes another report of it)."""
    from storemon.clock.iso import request_text
    from storemon.clock.timestamps import parse_micros
    from storemon.page.periods import page_periods
    from storemon.page.render import render_report_page

    shown = result
    if period_named:  # the page draws §5's windows
        at = request_text(parse_micros(str(result.summary["now"])))
        shown = compute(period=None, as_of=at, incidents=True)
    periods = page_periods(
        lambda period, as_of: compute(period=period, as_of=as_of), shown.summary["now"]
    )
    Path(path).write_text(render_report_page(shown, periods=periods), encoding="utf-8")
