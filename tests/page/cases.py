"""Report results for the page tests, with expectations worked out by hand.

Until the engine computes incidents, percentages and business intervals itself, the worked
example's are written here by hand (SPEC §5 and §7): open Monday 09:00-12:00 Chicago (CST,
UTC-6, so 15:00-18:00 UTC on 2023-01-23); polls at 10:00 active and 11:30 inactive; now is
Monday 12:00. One incident 10:45-12:00 local, 75 business minutes, ongoing; the day's uptime
is 1.75 h of 3 h = 58.3 %.
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from storemon.inputs.csv_reader import read_input
from storemon.report.pipeline import report_from_frames

STATUS = "store_id,status,timestamp_utc\n"
HOURS = "store_id,day,start_time_local,end_time_local\n"
ZONES = "store_id,timezone_str\n"
INCIDENT_COLUMNS = [
    "store_id",
    "start_utc",
    "end_utc",
    "start_local",
    "end_local",
    "business_minutes",
    "ongoing",
]
HOSTILE_IDS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    '"><svg onload=alert(3)>',
    "</script><script>alert(4)</script>",
    '=HYPERLINK("http://example.invalid")',
    "&amp;&lt;",
]


WORKED_INPUTS = (
    "A,active,2023-01-23 16:00:00 UTC\nA,inactive,2023-01-23 17:30:00 UTC\n"
    "B,active,2023-01-20 12:00:00 UTC\n"
    "C,active,2023-01-16 12:00:00 UTC\nC,inactive,2023-01-21 00:00:00 UTC\n"
    "C,active,2023-01-23 00:00:00 UTC\n",
    "A,0,09:00:00,12:00:00\n",
    "A,America/Chicago\nC,America/New_York\n",
)


def engine_result(status: str, hours: str = "", zones: str = "", **options):
    return report_from_frames(
        read_input((STATUS + status).encode(), "status"),
        read_input((HOURS + hours).encode(), "hours"),
        read_input((ZONES + zones).encode(), "timezones"),
        **options,
    )


def with_extras(result, incidents, business, percentages=None):
    """The engine's result plus the agreed optional outputs (a stand-in until they land)."""
    return SimpleNamespace(
        report=result.report,
        summary=result.summary,
        stores=result.stores,
        percentages=percentages,
        incidents=pd.DataFrame(incidents, columns=INCIDENT_COLUMNS),
        business_intervals=pd.DataFrame(business, columns=["store_id", "open_utc", "close_utc"]),
    )


def worked_example():
    """Store A is the worked example; B is up all its (24/7) week; C (24/7, New York) is down
    from Wed 18 Jan 13:00 to Sat 21 Jan 19:00 local (the midpoints of its polls), 78 h of its
    168 h week: 53.6 %."""
    result = engine_result(*WORKED_INPUTS, as_of="2023-01-23 18:00:00")
    incidents = [
        (
            "A",
            "2023-01-23T16:45:00.000000Z",
            "2023-01-23T18:00:00.000000Z",
            "2023-01-23T10:45:00.000000-06:00",
            "2023-01-23T12:00:00.000000-06:00",
            75.0,
            True,
        ),
        (
            "C",
            "2023-01-18T18:00:00.000000Z",
            "2023-01-22T00:00:00.000000Z",
            "2023-01-18T13:00:00.000000-05:00",
            "2023-01-21T19:00:00.000000-05:00",
            4680.0,
            False,
        ),
    ]
    business = [
        ("A", "2023-01-23T15:00:00.000000Z", "2023-01-23T18:00:00.000000Z"),
    ]
    percentages = pd.DataFrame(
        {
            "store_id": ["A", "B", "C"],
            "uptime_pct_last_hour": [0.0, 100.0, 100.0],
            "uptime_pct_last_day": [58.3, 100.0, 100.0],
            "uptime_pct_last_week": [58.3, 100.0, 53.6],
        }
    )
    return with_extras(result, incidents, business, percentages)
