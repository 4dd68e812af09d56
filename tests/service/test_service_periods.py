"""SPEC §8 on the service: POST /trigger_report with windows, a range, day by day (checked: 400s
that say what cannot work), the report files and the summary carrying the period; GET
/stores/{id}/report?from=&to= and GET /stores/{id}/days answered from the snapshot.

The worked example (tests/service/helpers.py): store 1001 in UTC, open Mondays 09:00-12:00,
polls Monday 2023-01-23 10:00 active and 11:30 inactive, now 2023-01-23 12:00 (store 2002's
poll). The status changes at the midpoint 10:45; before the first poll it is the first poll's
(active). So on 2023-01-23: 3 business hours, 1.75 up (09:00-10:45), 1.25 down, 58.3 %; on
every earlier Monday (Dec 26, Jan 2, 9, 16): 3 hours, all up; every other date: no business
time (null percent). The month [2022-12-24 12:00, 2023-01-23 12:00) holds the four earlier
Mondays (12 h up) and Jan 23: 13.75 up, 1.25 down; the hour [11:00, 12:00): 0 up, 60 down.
"""

from __future__ import annotations

import json

import pytest

from tests.service.helpers import put_inputs, s3_text

MONDAY = {"business_hours": 3.0, "uptime_hours": 3.0, "downtime_hours": 0.0}
CLOSED = {"business_hours": 0.0, "uptime_hours": 0.0, "downtime_hours": 0.0}
JAN_23 = {"business_hours": 3.0, "uptime_hours": 1.75, "downtime_hours": 1.25}
EARLIER_MONDAYS = {"2022-12-26", "2023-01-02", "2023-01-09", "2023-01-16"}


def report_of(api, worker_queue, body: dict) -> tuple[dict, list[str], dict]:
    status, out, _ = api.post("/trigger_report", body)
    assert status == 202, out
    worker_queue.drain()
    status, record, _ = api.get(f"/get_report/{out['report_id']}")
    assert status == 200 and record["status"] == "Complete", record
    return record, [], out


def files_of(bucket: str, report_id: str) -> tuple[list[str], dict]:
    csv = s3_text(bucket, f"reports/{report_id}/report.csv").splitlines()
    summary = json.loads(s3_text(bucket, f"reports/{report_id}/summary.json"))
    return csv, summary


def test_windows_with_the_month(stack, api, worker_queue):
    put_inputs(stack["bucket"])
    record, _, out = report_of(api, worker_queue, {"windows": ["month", "hour", "month"]})
    csv, summary = files_of(stack["bucket"], out["report_id"])
    assert (
        csv[0]
        == "store_id,uptime_last_hour,uptime_last_month,downtime_last_hour,downtime_last_month"
    )
    assert "1001,0.00,13.75,60.00,1.25" in csv
    period = {"windows": ["hour", "month"], "from": None, "to": None, "daily": False}
    assert summary["period"] == period and record["summary"]["period"] == period
    assert record["request"]["period"] == period
    assert record["page_url"] is None and record["report_url"]  # pages: §5's full reports


def test_a_range_and_day_by_day(stack, api, worker_queue):
    put_inputs(stack["bucket"])
    asked = {"from": "2023-01-23 09:00:00", "to": "2023-01-23T12:00:00Z"}
    record, _, out = report_of(api, worker_queue, asked)
    csv, summary = files_of(stack["bucket"], out["report_id"])
    assert csv[0] == "store_id,uptime_hours,downtime_hours,uptime_percent"
    assert "1001,1.75,1.25,58.3" in csv
    assert summary["period"] == {
        "windows": None,
        "from": "2023-01-23T09:00:00.000000Z",
        "to": "2023-01-23T12:00:00.000000Z",
        "daily": False,
    }
    days = {"from": "2023-01-22 00:00:00", "to": "2023-01-24 00:00:00", "daily": True}
    record, _, out = report_of(api, worker_queue, {**days, "store_ids": ["1001"]})
    csv, summary = files_of(stack["bucket"], out["report_id"])
    assert csv == [
        "store_id,date,business_hours,uptime_hours,downtime_hours,uptime_percent",
        "1001,2023-01-22,0.00,0.00,0.00,",
        "1001,2023-01-23,3.00,1.75,1.25,58.3",
    ]
    assert summary["period"]["daily"] is True and record["rows"] == 2


@pytest.mark.shared_stack
@pytest.mark.parametrize(
    ("body", "says"),
    [
        (
            {"windows": ["day"], "from": "2023-01-22 00:00:00", "to": "2023-01-23 00:00:00"},
            "windows: ",
        ),
        ({"from": "2023-01-22 00:00:00"}, "to: a range needs both"),
        ({"to": "2023-01-22 00:00:00"}, "from: a range needs both"),
        ({"from": "2023-01-23 00:00:00", "to": "2023-01-23 00:00:00"}, "must be before to"),
        ({"from": "2023-01-24 00:00:00", "to": "2023-01-23 00:00:00"}, "must be before to"),
        ({"from": "2022-01-01 00:00:00", "to": "2023-01-03 00:00:00"}, "at most 366 days"),
        ({"daily": True}, "daily: day by day needs a range"),
        ({"windows": ["day"], "daily": True}, "daily: day by day needs a range"),
        ({"windows": ["year"]}, "windows[0]: Input should be 'hour', 'day', 'week' or 'month'"),
        ({"windows": []}, "windows: List should have at least 1 item"),
        ({"daily": "yes"}, "daily: Input should be a valid boolean"),
        (
            {
                "as_of": "2023-01-23 11:00:00",
                "from": "2023-01-22 00:00:00",
                "to": "2023-01-23 00:00:00",
            },
            "as_of: a range ends at its to",
        ),
        ({"from_": "2023-01-22 00:00:00"}, "from_: unknown field"),
    ],
)
def test_a_period_that_cannot_work_is_a_400(stack, api, body, says):
    status, out, _ = api.post("/trigger_report", body)
    assert status == 400 and says in out["error"], out


def test_the_store_routes_answer_a_range_and_the_days(live_stack, api, worker_queue):
    put_inputs(live_stack["bucket"])
    worker_queue.drain()  # the refresh: latest and its snapshot
    hours = {"from": "2023-01-23 09:00:00", "to": "2023-01-23 12:00:00"}
    status, one, _ = api.get("/stores/1001/report", query=hours)
    assert status == 200, one
    assert (one["uptime_hours"], one["downtime_hours"], one["uptime_percent"]) == (1.75, 1.25, 58.3)
    assert (one["from"], one["to"], one["now"]) == (
        "2023-01-23T09:00:00.000000Z",
        "2023-01-23T12:00:00.000000Z",
        "2023-01-23T12:00:00.000000Z",
    )
    assert one["source"] == "snapshot" and "uptime_last_hour" not in one
    status, one, _ = api.get("/stores/1001/report", query={"as_of": "2023-01-23 11:00:00"})
    assert (one["as_of"], one["now"]) == ("2023-01-23T11:00:00.000000Z",) * 2  # one ISO form

    status, body, _ = api.get("/stores/1001/days")
    assert status == 200, body
    days = body["days"]
    assert len(days) == 30 and (days[0]["date"], days[-1]["date"]) == ("2022-12-25", "2023-01-23")
    for day in days[:-1]:
        expected = MONDAY if day["date"] in EARLIER_MONDAYS else CLOSED
        percent = 100.0 if day["date"] in EARLIER_MONDAYS else None
        assert day == {"date": day["date"], **expected, "uptime_percent": percent}
    assert days[-1] == {"date": "2023-01-23", **JAN_23, "uptime_percent": 58.3}
    assert (body["from"], body["to"]) == (
        "2022-12-24T12:00:00.000000Z",
        "2023-01-23T12:00:00.000000Z",
    )

    two_days = {"from": "2023-01-22 00:00:00", "to": "2023-01-24 00:00:00"}
    status, body, _ = api.get("/stores/1001/days", query=two_days)
    assert status == 200 and body["days"] == [
        {"date": "2023-01-22", **CLOSED, "uptime_percent": None},
        {"date": "2023-01-23", **JAN_23, "uptime_percent": 58.3},
    ]


@pytest.mark.shared_stack
@pytest.mark.parametrize(
    ("route", "query", "says"),
    [
        ("days", {"from": "2023-01-22 00:00:00"}, "to: a range needs both"),
        ("days", {"from": "2023-01-22 00:00:00", "to": "2023-01-21 00:00:00"}, "must be before"),
        ("days", {"from": "yesterday", "to": "2023-01-21 00:00:00"}, "from"),
        ("days", {"days": "3"}, "days"),
        ("report", {"to": "2023-01-22 00:00:00"}, "from: a range needs both"),
        (
            "report",
            {"from": "2023-01-22 00:00:00", "to": "2023-01-23"},
            "to",
        ),
        (
            "report",
            {
                "as_of": "2023-01-23 11:00:00",
                "from": "2023-01-22 00:00:00",
                "to": "2023-01-23 00:00:00",
            },
            "as_of: a range ends at its to",
        ),
    ],
)
@pytest.mark.usefixtures("stack")
def test_the_store_routes_refuse_a_range_that_cannot_work(api, route, query, says):
    status, out, _ = api.get(f"/stores/1001/{route}", query=query)
    assert status == 400 and says in out["error"], out


def test_the_days_of_an_unknown_store_and_without_a_snapshot(live_stack, api, worker_queue):
    import boto3

    bucket = live_stack["bucket"]
    put_inputs(bucket)
    worker_queue.drain()
    status, out, _ = api.get("/stores/9999/days")
    assert status == 404 and "9999" in out["error"]
    s3 = boto3.client("s3")
    for item in s3.list_object_versions(Bucket=bucket, Prefix="snapshots/").get("Versions", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])
    from storemon.service.cache import clear_caches

    clear_caches()
    status, out, headers = api.get("/stores/1001/days")
    assert status == 503 and headers["retry-after"] == "60", out
    worker_queue.drain()  # the worker builds it
    status, out, _ = api.get("/stores/1001/days")
    assert status == 200 and len(out["days"]) == 30
