"""The service checks a request's period without the engine (service.period_request, so the
trigger's cold start loads no pandas): it refuses exactly what the engine's Period.of refuses,
and what it accepts the engine reads as the same period."""

from __future__ import annotations

import itertools

import pytest

from storemon.errors import InputError, InvalidRequest
from storemon.report.periods import Period
from storemon.service.period_request import check_period

WINDOWS = [None, ["month"], ["week", "hour", "week"], ["hour", "day", "week", "month"]]
INSTANTS = [
    None,
    "2023-01-22 00:00:00.000000",
    "2023-01-23 00:00:00.000000",
    "2024-01-23 00:00:00.000000",  # 366 days after 2023-01-22
    "2024-01-23 00:00:00.000001",
]


@pytest.mark.parametrize(
    ("windows", "start", "end", "daily"),
    list(itertools.product(WINDOWS, INSTANTS, INSTANTS, [None, False, True])),
)
def test_the_service_refuses_what_the_engine_refuses(windows, start, end, daily):
    try:
        engine = Period.of(windows=windows, start=start, end=end, daily=bool(daily))
    except InputError as exc:
        with pytest.raises(InvalidRequest) as refused:
            check_period(windows=windows, start=start, end=end, daily=daily)
        assert str(refused.value).startswith(f"{exc.file}: ")  # the same field named
        return
    period = check_period(windows=windows, start=start, end=end, daily=daily)
    if period is None:
        assert engine == Period()
        return
    again = Period.of(
        windows=period["windows"], start=period["from"], end=period["to"], daily=period["daily"]
    )
    assert again == engine


def test_as_of_goes_with_windows_not_with_a_range():
    at = "2023-01-23 11:00:00.000000"
    assert check_period(windows=["day"], as_of=at) == {
        "windows": ["day"],
        "from": None,
        "to": None,
        "daily": False,
    }
    with pytest.raises(InvalidRequest, match="^as_of: a range ends at its to"):
        check_period(start="2023-01-22 00:00:00", end="2023-01-23 00:00:00", as_of=at)
