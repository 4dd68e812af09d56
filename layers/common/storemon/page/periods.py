"""What the page draws beyond its report (SPEC §8): the month window ``[now - 720 h, now)`` and
each store's last 30 local dates, computed by the same source as the report (the CSV files, a
snapshot, the history) through a ``compute(period, as_of)`` the caller gives.

The 30 days are a day-by-day range ``[now - 30 days, now)``: its first local date lies only
partly inside and is left out, so a store has the 30 dates ending with the one ``now`` is in
(that last one up to ``now``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from storemon.clock.iso import request_text
from storemon.clock.ticks import US_PER_DAY
from storemon.clock.timestamps import parse_micros
from storemon.report.periods import Period
from storemon.report.result import ReportResult

DAYS = 30
# a report over a period and as_of (None: the data's own now), from the caller's source
Compute = Callable[[Period, "str | None"], ReportResult]


@dataclass(frozen=True)
class PagePeriods:
    """``month``: the month window's result (``uptime_last_month``, ``downtime_last_month``,
    ``uptime_pct_last_month``); ``days``: DAILY_COLUMNS, each store's last :data:`DAYS` local
    dates, by store then date."""

    month: ReportResult
    days: pd.DataFrame


def page_periods(compute: Compute, now: str) -> PagePeriods:
    """The month and the last 30 days at ``now`` (the page's report's now, ISO text)."""
    (month_period, month_as_of), (days_period, days_as_of) = page_asks(now)
    month = compute(month_period, month_as_of)
    days = compute(days_period, days_as_of).report
    return PagePeriods(month=month, days=last_dates(days, DAYS))


def page_asks(now: str) -> tuple[tuple[Period, str | None], tuple[Period, str | None]]:
    """The two reports the page needs at ``now``, as (period, as_of): the month window at
    ``now``, and the day-by-day range of the :data:`DAYS` days ending at ``now``."""
    now_us = parse_micros(str(now))
    at = request_text(now_us)
    start = request_text(now_us - DAYS * US_PER_DAY)
    return (Period.of(windows=["month"]), at), (Period.of(start=start, end=at, daily=True), None)


def last_dates(days: pd.DataFrame, count: int) -> pd.DataFrame:
    """Each store's last `count` rows of a day-by-day frame (sorted by store, then date)."""
    from_end = days.groupby("store_id", observed=True, sort=False).cumcount(ascending=False)
    return days[from_end.to_numpy() < count].reset_index(drop=True)
