"""What a report measures (SPEC §5, §8): windows ending at ``now``, a range, or a range day by
day; and the frames that say it.

A :class:`Period` is the request, checked (:meth:`Period.of`). :func:`measure_period` turns it
into :class:`~storemon.report.timeline.Marks` (the window starts, the range's ends, each
store's local midnights, ``now``), runs :func:`~storemon.report.timeline.period_events`
once, and reads every total as two differences of the running sums:

- windows: ``store_id``, ``uptime_last_<w>`` for each asked window in the order hour, day,
  week, month, then ``downtime_last_<w>`` (minutes for the hour, hours otherwise); without a
  period the windows are §5's three and the header is §5's, byte for byte;
- a range ``[from, to)`` (``now`` is ``to``): :data:`RANGE_COLUMNS`;
- day by day: :data:`DAILY_COLUMNS`, one row per store and local date (the store's zone)
  whose midnight-to-midnight overlaps the range, even without business time. Local midnights
  are computed once per distinct (zone, date) and spread to the stores of the zone.

Percentages (§7): uptime / business time × 100, 1 decimal, NaN (an empty cell) without
business time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from storemon.clock.iso import utc_text
from storemon.clock.ticks import TICKS_PER_HOUR, TICKS_PER_SECOND, TICKS_PER_US, US_PER_DAY
from storemon.clock.timestamps import parse_micros
from storemon.errors import InputError
from storemon.report.business_hours import StoreCalendar
from storemon.report.day_grid import DailyPart, DayGrid, daily_totals
from storemon.report.day_midnights import MidnightBusiness
from storemon.report.timeline import Marks, PeriodEvents, Timeline, period_events

WINDOW_ORDER = ("hour", "day", "week", "month")
CLASSIC_WINDOWS = ("hour", "day", "week")
WINDOW_HOURS = {"hour": 1, "day": 24, "week": 168, "month": 720}
WINDOW_UNIT_SECONDS = {"hour": 60, "day": 3600, "week": 3600, "month": 3600}
WEEK_HOURS = WINDOW_HOURS["week"]
MAX_RANGE_DAYS = 366
RANGE_COLUMNS = ["store_id", "uptime_hours", "downtime_hours", "uptime_percent"]
DAILY_COLUMNS = [
    "store_id",
    "date",
    "business_hours",
    "uptime_hours",
    "downtime_hours",
    "uptime_percent",
]
SECONDS_PER_DAY = 86_400


def window_columns(windows: tuple[str, ...]) -> list[str]:
    """The windows report's header (§8; §5's for the three classic windows)."""
    return (
        ["store_id"]
        + [f"uptime_last_{name}" for name in windows]
        + [f"downtime_last_{name}" for name in windows]
    )


def percentage_columns(windows: tuple[str, ...]) -> list[str]:
    return ["store_id"] + [f"uptime_pct_last_{name}" for name in windows]


@dataclass(frozen=True)
class Period:
    """A report's period: ``windows`` (names in :data:`WINDOW_ORDER` order; empty for a
    range), or a range ``[from_us, to_us)`` (µs since the epoch), ``daily`` for one row per
    store and local date. ``named``: the request named it (the summary then describes it)."""

    windows: tuple[str, ...] = CLASSIC_WINDOWS
    from_us: int | None = None
    to_us: int | None = None
    daily: bool = False
    named: bool = False

    @classmethod
    def of(
        cls,
        *,
        windows: list[str] | tuple[str, ...] | str | None = None,
        start: str | None = None,
        end: str | None = None,
        daily: bool = False,
    ) -> Period:
        """The period a request names, checked: InputError (``windows``, ``from``, ``to`` or
        ``daily``) with a sentence a person can act on. Nothing named: §5's windows."""
        if start is None and end is None:
            if daily:
                raise InputError("daily", "day by day needs a range: give from and to")
            if windows is None:
                return cls()
            return cls(windows=_window_names(windows), named=True)
        if windows is not None:
            raise InputError(
                "windows", "windows end at now and a range has its own end: ask for one of them"
            )
        if start is None or end is None:
            raise InputError("from" if start is None else "to", "a range needs both from and to")
        from_us, to_us = _instant(start, "from"), _instant(end, "to")
        if from_us >= to_us:
            raise InputError("from", f"from ({start}) must be before to ({end})")
        if to_us - from_us > MAX_RANGE_DAYS * US_PER_DAY:
            raise InputError("to", f"a range is at most {MAX_RANGE_DAYS} days long")
        return cls(windows=(), from_us=from_us, to_us=to_us, daily=bool(daily), named=True)

    @property
    def is_range(self) -> bool:
        return self.from_us is not None

    def now_us(self, as_of_us: int | None, newest_us: int) -> int:
        """The report's ``now``: the range's end, else ``as_of``, else the newest poll."""
        if self.to_us is not None:
            return self.to_us
        return newest_us if as_of_us is None else as_of_us

    def span_start_us(self, now_us: int, *, incidents: bool) -> int:
        """Where the measured span starts: the range's start or the longest window's, and
        the week's when the incidents are asked too."""
        hours = [WINDOW_HOURS[name] for name in self.windows] + ([WEEK_HOURS] * incidents)
        starts = [now_us - max(hours) * 3_600_000_000] if hours else []
        if self.from_us is not None:
            starts.append(self.from_us)
        return min(starts)

    def describe(self) -> dict:
        """The summary's ``period``: ``windows`` (a list, or None for a range), ``from`` and
        ``to`` (ISO text, or None), ``daily``."""
        return {
            "windows": list(self.windows) if not self.is_range else None,
            "from": None if self.from_us is None else utc_text(self.from_us),
            "to": None if self.to_us is None else utc_text(self.to_us),
            "daily": self.daily,
        }


def _window_names(windows: list[str] | tuple[str, ...] | str) -> tuple[str, ...]:
    names = windows.split(",") if isinstance(windows, str) else list(windows)
    asked = {str(name).strip().lower() for name in names if str(name).strip()}
    unknown = sorted(asked - set(WINDOW_ORDER))
    if unknown:
        raise InputError(
            "windows", f"unknown window {unknown[0]!r}: choose from {', '.join(WINDOW_ORDER)}"
        )
    if not asked:
        raise InputError("windows", f"no window named: choose from {', '.join(WINDOW_ORDER)}")
    return tuple(name for name in WINDOW_ORDER if name in asked)


def _instant(text: str, what: str) -> int:
    try:
        return parse_micros(str(text))
    except ValueError:
        raise InputError(what, f"not a valid timestamp: {text!r}") from None


# ------------------------------------------------------------------------------ measuring


def measure_period(
    period: Period,
    timeline: Timeline,
    calendar: StoreCalendar,
    store_id: np.ndarray,
    now_tick: int,
    *,
    incidents: bool = False,
    midnights: MidnightBusiness | None = None,
) -> tuple[PeriodEvents, pd.DataFrame, pd.DataFrame]:
    """The period's events (with the week's start among the marks when ``incidents``), its
    report frame and its percentages frame. ``midnights``: the calendar's ``B`` at its
    stores' midnights, made once per loaded snapshot (day by day reads it when it covers the
    range)."""
    n_stores = calendar.n_stores
    extra = [now_tick - WEEK_HOURS * TICKS_PER_HOUR] if incidents else []
    starts = [now_tick - WINDOW_HOURS[name] * TICKS_PER_HOUR for name in period.windows]
    if period.from_us is not None:
        starts.append(period.from_us * TICKS_PER_US)
    ticks = sorted(set(starts + extra + [now_tick]))
    events = period_events(timeline, calendar, Marks.common(n_stores, ticks), now_tick)
    if period.daily:
        grid = DayGrid.of(calendar, period.from_us * TICKS_PER_US, now_tick)  # type: ignore[operator]
        lookup = None
        if midnights is not None:
            lookup = midnights.lookup(calendar, grid, _at_the_ends(events, ticks, grid.from_tick))
        return events, *daily_frames(store_id, grid, daily_totals(events, calendar, grid, lookup))
    first_mark = np.arange(n_stores) * len(ticks)
    now_mark = first_mark + len(ticks) - 1

    def since(tick: int) -> tuple[np.ndarray, np.ndarray]:
        return events.between(first_mark + ticks.index(tick), now_mark)

    if period.from_us is not None:
        return events, *range_frames(store_id, since(period.from_us * TICKS_PER_US))
    hours = WINDOW_HOURS
    totals = {name: since(now_tick - hours[name] * TICKS_PER_HOUR) for name in period.windows}
    return events, *window_frames(store_id, totals)


def _at_the_ends(
    events: PeriodEvents, ticks: list[int], from_tick: int
) -> tuple[np.ndarray, np.ndarray]:
    """``B`` at ``from_tick`` and at now of every store: at its marks (each store has one
    at each of ``ticks``, the last now)."""
    at = events.mark_at.reshape(events.n_stores, len(ticks))
    return events.business[at[:, ticks.index(from_tick)]], events.business[at[:, -1]]


# ------------------------------------------------------------------------------ the frames


def uptime_percent(
    uptime: np.ndarray, business: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """§7: uptime / business time × 100, 1 decimal; NaN without business time."""
    share = np.full(len(uptime), np.nan) if out is None else out
    if out is not None:
        share.fill(np.nan)
    np.divide(uptime * 100.0, business, out=share, where=business > 0)
    return np.round(share, 1, out=share)


def window_frames(
    store_id: np.ndarray, totals: dict[str, tuple[np.ndarray, np.ndarray]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The windows report (minutes for the hour, hours otherwise, 2 decimals) and the
    percentages, one row per store in rank order; ``totals``: (business, uptime) per window,
    in :data:`WINDOW_ORDER` order."""
    windows = tuple(totals)
    uptime, downtime = {}, {}
    percent: dict[str, np.ndarray] = {"store_id": store_id}
    for name, (business, up) in totals.items():
        unit = WINDOW_UNIT_SECONDS[name] * TICKS_PER_SECOND
        uptime[f"uptime_last_{name}"] = np.round(up / unit, 2)
        downtime[f"downtime_last_{name}"] = np.round((business - up) / unit, 2)
        percent[f"uptime_pct_last_{name}"] = uptime_percent(up, business)
    report = pd.DataFrame(
        {"store_id": store_id, **uptime, **downtime}, columns=window_columns(windows)
    )
    return report, pd.DataFrame(percent, columns=percentage_columns(windows))


def range_frames(
    store_id: np.ndarray, totals: tuple[np.ndarray, np.ndarray]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The range report (:data:`RANGE_COLUMNS`) and its percentages (store_id,
    uptime_percent)."""
    business, up = totals
    report = pd.DataFrame(
        {
            "store_id": store_id,
            "uptime_hours": np.round(up / TICKS_PER_HOUR, 2),
            "downtime_hours": np.round((business - up) / TICKS_PER_HOUR, 2),
            "uptime_percent": uptime_percent(up, business),
        },
        columns=RANGE_COLUMNS,
    )
    return report, report[["store_id", "uptime_percent"]].copy()


def daily_frames(
    store_id: np.ndarray, grid: DayGrid, parts: Iterator[DailyPart]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The day-by-day report (:data:`DAILY_COLUMNS`) and its percentages (store_id, date,
    uptime_percent). ``store_id`` and ``date`` are categorical (one text per store and per
    date, not per row: a month of days of every store is a long frame); the codes and the
    four figures are written part by part straight into the frame's arrays."""
    first_day, last_day = grid.date_range()
    dates = np.datetime_as_string(np.arange(first_day, last_day + 1).astype("datetime64[D]"))
    store_code = np.empty(grid.n_days, dtype=_code_type(len(store_id)))
    date_code = np.empty(grid.n_days, dtype=_code_type(len(dates)))
    figures = np.empty((4, grid.n_days))
    for part in parts:
        business, up, rows = part.business, part.uptime, part.rows
        store_code[rows] = part.rank
        np.subtract(part.day, first_day, out=date_code[rows], casting="unsafe")
        _hours(business, out=figures[0, rows])
        _hours(up, out=figures[1, rows])
        uptime_percent(up, business, out=figures[3, rows])
        business -= up  # the downtime, in place (the part is not read again)
        _hours(business, out=figures[2, rows])
    report = pd.DataFrame(figures.T, columns=DAILY_COLUMNS[2:], copy=False)
    stores = pd.Categorical.from_codes(store_code, categories=_distinct(store_id), validate=False)
    report.insert(0, "store_id", stores)
    days = pd.Categorical.from_codes(date_code, categories=dates.tolist(), validate=False)
    report.insert(1, "date", days)
    return report, report[["store_id", "date", "uptime_percent"]].copy()


def _code_type(categories: int) -> type[np.signedinteger]:
    """The integer type pandas keeps the codes of so many categories in (so that they are
    not copied)."""
    for kind in (np.int8, np.int16, np.int32):
        if categories < np.iinfo(kind).max:
            return kind
    return np.int64


def _hours(ticks: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Ticks as hours rounded to 2 decimals into ``out``: ``np.round(ticks /
    TICKS_PER_HOUR, 2)`` (the same steps: times 100, rint, divided by 100)."""
    np.divide(ticks, TICKS_PER_HOUR, out=out)
    np.multiply(out, 100.0, out=out)
    np.rint(out, out=out)
    np.divide(out, 100.0, out=out)
    return out


def _distinct(store_id: np.ndarray) -> pd.Index:
    """The store ids (distinct, in rank order) as categories of text."""
    return pd.Index(np.asarray(store_id, dtype=object), dtype=object)
