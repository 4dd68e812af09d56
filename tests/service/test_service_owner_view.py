"""The owner's view in the service (issue 11): every full report also writes its incidents
(SPEC §7) as CSV and JSON and the report page; get_report redirects to the page (format=html,
Accept: text/html); GET /stores/{store_id}/incidents answers one store's incidents and uptime
percentages.

The inputs are tests/service/helpers.py's. Store 1001 is the worked example in UTC: open Monday
09:00-12:00, active at 10:00, inactive at 11:30, now Monday 12:00 (the newest poll of the file):
the status turns inactive at the midpoint 10:45, so one incident 10:45-12:00, 75 business
minutes, ongoing; uptime 0 of 60 min in the hour (0.0 %), 1.75 of 3 h in the day and the week
(58.3 %). Stores 0042 (one inactive poll on Sunday, outside its Monday hours, then active) and
2002 (one active poll) have no incident and 100 % uptime.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlparse

import boto3
import pytest

from storemon.service.cache import clear_caches
from tests.service.helpers import put_inputs, s3_text

INCIDENTS_CSV = (
    "store_id,start_utc,end_utc,start_local,end_local,business_minutes,ongoing\n"
    "1001,2023-01-23T10:45:00.000000Z,2023-01-23T12:00:00.000000Z,"
    "2023-01-23T10:45:00.000000+00:00,2023-01-23T12:00:00.000000+00:00,75.00,true\n"
)
WORKED_INCIDENT = {
    "start_utc": "2023-01-23T10:45:00.000000Z",
    "end_utc": "2023-01-23T12:00:00.000000Z",
    "start_local": "2023-01-23T10:45:00.000000+00:00",
    "end_local": "2023-01-23T12:00:00.000000+00:00",
    "business_minutes": 75.0,
    "ongoing": True,
}


@pytest.fixture(autouse=True)
def cold_cache():
    clear_caches()
    yield
    clear_caches()


def finished(stack, api, worker_queue, request: dict | None = None) -> dict:
    put_inputs(stack["bucket"])
    status, body, _ = api.post("/trigger_report", request or {})
    assert status == 202
    worker_queue.drain()
    status, body, _ = api.get(f"/get_report/{body['report_id']}")
    assert status == 200 and body["status"] == "Complete", body
    return body


def key_of(url: str) -> str:
    path = urlparse(url).path
    return path[path.index("reports/") :]


def test_a_full_report_writes_its_incidents_and_its_page(stack, api, worker_queue):
    body = finished(stack, api, worker_queue)
    rid = body["report_id"]
    assert key_of(body["incidents_url"]) == f"reports/{rid}/incidents.csv"
    assert key_of(body["page_url"]) == f"reports/{rid}/report.html"
    assert s3_text(stack["bucket"], f"reports/{rid}/incidents.csv") == INCIDENTS_CSV
    head = boto3.client("s3").head_object(Bucket=stack["bucket"], Key=f"reports/{rid}/report.html")
    assert head["ContentType"] == "text/html; charset=utf-8"
    page = s3_text(stack["bucket"], f"reports/{rid}/report.html")
    data = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page)
    assert data and json.loads(data.group(1))["stores"]["id"] == ["0042", "1001", "2002"]
    # the report CSV keeps exactly its SPEC §5 columns
    header = s3_text(stack["bucket"], f"reports/{rid}/report.csv").splitlines()[0]
    assert header == (
        "store_id,uptime_last_hour,uptime_last_day,uptime_last_week,"
        "downtime_last_hour,downtime_last_day,downtime_last_week"
    )


def test_format_html_and_accept_html_redirect_to_the_page(stack, api, worker_queue):
    rid = finished(stack, api, worker_queue)["report_id"]
    status, body, headers = api.get("/get_report", query={"report_id": rid, "format": "html"})
    assert status == 303 and headers["location"] == body["page_url"]
    browser = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    status, _, headers = api.get(f"/get_report/{rid}", headers=browser)
    assert status == 303 and key_of(headers["location"]) == f"reports/{rid}/report.html"
    status, _, headers = api.post("/get_report", {"report_id": rid, "format": "html"})
    assert status == 303 and key_of(headers["location"]) == f"reports/{rid}/report.html"
    status, body, headers = api.get("/get_report", query={"report_id": rid, "format": "csv"})
    assert status == 303 and headers["location"] == body["report_url"]
    status, body, _ = api.get("/get_report", query={"report_id": rid, "format": "json"})
    assert status == 200 and body["status"] == "Complete"
    status, body, _ = api.get("/get_report", query={"report_id": rid, "format": "pdf"})
    assert status == 400 and "format" in body["error"]


def test_a_report_of_some_stores_has_its_page_but_no_incidents_files(stack, api, worker_queue):
    """Issue 19: an owner opens a page of their own stores (the page of a report of some
    stores shows only them, without the data set's file counts); the incidents' files stay
    with full reports."""
    body = finished(stack, api, worker_queue, {"store_ids": ["1001"]})
    assert body["incidents_url"] is None
    rid = body["report_id"]
    assert key_of(body["page_url"]) == f"reports/{rid}/report.html"
    status, body, headers = api.get("/get_report", query={"report_id": rid, "format": "html"})
    assert status == 303 and key_of(headers["location"]) == f"reports/{rid}/report.html"
    page = s3_text(stack["bucket"], f"reports/{rid}/report.html")
    data = page.split('id="report-data">')[1].split("</script>")[0]
    assert '"id":["1001"]' in data and '"files":[]' in data  # one store; no file counts
    status, body, _ = api.get("/stores/1001/incidents", query={"report_id": rid})
    assert status == 404 and "reports of every store" in body["error"]


def test_a_periods_report_has_no_page(stack, api, worker_queue):
    body = finished(stack, api, worker_queue, {"windows": ["month"]})
    assert body["page_url"] is None
    query = {"report_id": body["report_id"], "format": "html"}
    status, body, _ = api.get("/get_report", query=query)
    assert status == 404 and "not of a period's" in body["error"]


def test_a_stores_page_from_the_latest_data(stack, api, worker_queue):
    put_inputs(stack["bucket"])
    owner = api.as_user("olivia", stores=("1001",))
    status, body, headers = owner.get("/stores/1001/page")
    assert status == 303 and headers["location"] == f"/get_report/{body['report_id']}?format=html"
    status, _, headers = owner.get(f"/get_report/{body['report_id']}", query={"format": "html"})
    assert status == 202 and headers["retry-after"] == "5"  # while it runs
    worker_queue.drain()
    status, _, headers = owner.get(f"/get_report/{body['report_id']}", query={"format": "html"})
    assert status == 303 and key_of(headers["location"]).endswith("/report.html")
    status, body, _ = owner.get("/stores/1002/page")
    assert status == 403


def test_the_page_of_a_running_report_says_retry(stack, api):
    put_inputs(stack["bucket"])
    _, body, _ = api.post("/trigger_report")
    query = {"report_id": body["report_id"], "format": "html"}
    status, body, headers = api.get("/get_report", query=query)
    assert status == 202 and body["status"] == "Running" and headers["retry-after"] == "5"
    status, body, _ = api.get("/stores/1001/incidents", query={"report_id": body["report_id"]})
    assert status == 409 and "Running" in body["error"]


def test_one_stores_incidents_and_percentages(live_stack, api, worker_queue):
    status, body, _ = api.get("/stores/1001/incidents")  # no full report yet: no latest
    assert status == 404
    put_inputs(live_stack["bucket"])  # the upload refresh makes latest
    worker_queue.drain()
    _, latest, _ = api.get("/get_report/latest")
    status, body, _ = api.get("/stores/1001/incidents")
    assert status == 200, body
    assert body == {
        "store_id": "1001",
        "uptime_pct_last_hour": 0.0,
        "uptime_pct_last_day": 58.3,
        "uptime_pct_last_week": 58.3,
        "incidents": [WORKED_INCIDENT],
        "now": "2023-01-23T12:00:00.000000Z",
        "report_id": latest["report_id"],
    }
    status, same, _ = api.get("/stores/1001/incidents", query={"report_id": latest["report_id"]})
    assert (status, same) == (200, body)
    status, body, _ = api.get("/stores/2002/incidents", query={"report_id": "latest"})
    assert status == 200 and body["incidents"] == [] and body["uptime_pct_last_week"] == 100.0
    status, body, _ = api.get("/stores/9999/incidents")
    assert status == 404 and "9999" in body["error"]
    status, body, _ = api.get("/stores/1001/incidents", query={"report_id": "not-an-id"})
    assert status == 400
    status, body, _ = api.get("/stores/1001/incidents", query={"colour": "red"})
    assert status == 400
