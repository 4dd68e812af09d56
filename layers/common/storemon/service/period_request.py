"""A request's period (SPEC §8), checked by the service itself: windows ending at ``now``, or a
range ``[from, to)``, optionally day by day. The rules are the engine's
(:meth:`storemon.report.periods.Period.of`; ``tests/service/test_period_request.py`` checks
that both refuse the same requests), said here without the engine so that the trigger's cold
start loads no pandas and a request that cannot work is a 400 at once, never a Failed report.
"""

from __future__ import annotations

from storemon.clock import timestamps
from storemon.errors import InvalidRequest
from storemon.service.records import RequestPeriod

WINDOWS = ("hour", "day", "week", "month")  # SPEC §8's order (the report's header)
MAX_RANGE_DAYS = 366
_US_PER_DAY = 86_400_000_000


def check_period(
    *,
    windows: list[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    daily: bool | None = None,
    as_of: str | None = None,
) -> RequestPeriod | None:
    """The period a request names (None: none, §5's three windows), or InvalidRequest saying
    which field cannot work and why. `start`, `end` and `as_of` are already timestamps in one
    of the accepted forms (the request models check them)."""
    if start is None and end is None:
        if daily:
            raise InvalidRequest("daily: day by day needs a range: give from and to")
        if windows is None:
            return None
        return {"windows": _windows(windows), "from": None, "to": None, "daily": False}
    if windows is not None:
        raise InvalidRequest(
            "windows: windows end at now and a range has its own end: ask for one of them"
        )
    if start is None or end is None:
        raise InvalidRequest(f"{'from' if start is None else 'to'}: a range needs both from and to")
    if as_of is not None:
        raise InvalidRequest("as_of: a range ends at its to: leave as_of out")
    from_us, to_us = timestamps.parse_micros(start), timestamps.parse_micros(end)
    if from_us >= to_us:
        raise InvalidRequest(f"from: from ({start}) must be before to ({end})")
    if to_us - from_us > MAX_RANGE_DAYS * _US_PER_DAY:
        raise InvalidRequest(f"to: a range is at most {MAX_RANGE_DAYS} days long")
    return {"windows": None, "from": start, "to": end, "daily": bool(daily)}


def _windows(names: list[str]) -> list[str]:
    unknown = sorted(set(names) - set(WINDOWS))
    if unknown:
        raise InvalidRequest(f"windows: unknown window {unknown[0]!r}: choose from {WINDOWS}")
    if not names:
        raise InvalidRequest(f"windows: no window named: choose from {', '.join(WINDOWS)}")
    return [name for name in WINDOWS if name in names]
