"""trigger -> SQS -> worker -> get_report, in-process under moto (decorator mode)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import boto3
import pytest

from storemon.service import records
from tests.service.helpers import (
    EventSource,
    call_api,
    engine_csv,
    http_event,
    put_inputs,
    receive,
    s3_text,
)


def trigger(apps, body=None, path="/trigger_report", method="POST", **kw):
    return call_api(apps["trigger"], http_event(method, path, body=body, **kw))


def get_report(apps, report_id, **kw):
    return call_api(
        apps["get_report"], http_event("GET", "/get_report", query={"report_id": report_id}, **kw)
    )


def test_full_flow_matches_the_engine(stack, apps):
    put_inputs(stack["bucket"])
    status, body, headers = trigger(apps)
    assert status == 202
    report_id = body["report_id"]
    assert records.is_report_id(report_id) and set(body) == {"report_id"}
    assert headers["location"] == f"/get_report/{report_id}"

    status, body, _ = get_report(apps, report_id)
    assert (status, body["status"], body["report_id"]) == (200, "Running", report_id)

    outcomes = EventSource(apps["worker"], stack).drain()
    assert [o["response"] for o in outcomes] == [{"batchItemFailures": []}]

    status, body, _ = get_report(apps, report_id)
    assert status == 200 and body["status"] == "Complete"
    assert body["url_expires_in"] == 3600
    url = urlparse(body["report_url"])
    assert "X-Amz-Signature" in parse_qs(url.query) and parse_qs(url.query)["X-Amz-Expires"] == [
        "3600"
    ]
    key = url.path.split("/", 2)[2]  # virtual-host or path style both end in the key
    key = key if key.startswith("reports/") else url.path.lstrip("/")
    assert key == f"reports/{report_id}/report.csv"
    assert s3_text(stack["bucket"], key) == engine_csv()
    assert body["rows"] == 3
    assert body["summary"]["stores_reported"] == 3
    assert body["summary"]["files"]["store_status"]["rows_skipped"] == 1

    summary = json.loads(s3_text(stack["bucket"], f"reports/{report_id}/summary.json"))
    assert summary["report_id"] == report_id and summary["now"] == body["summary"]["now"]


def test_record_holds_request_and_input_versions(stack, apps):
    put_inputs(stack["bucket"])
    s3 = boto3.client("s3")
    versions = {
        name: s3.head_object(Bucket=stack["bucket"], Key=f"input/{name}.csv")["VersionId"]
        for name in ("store_status", "menu_hours", "timezones")
    }
    request = {"store_ids": ["1001", " 0042 ", "1001"], "as_of": "2023-01-23T12:00:00Z"}
    _, body, _ = trigger(apps, request)
    record = boto3.client("dynamodb").get_item(
        TableName=stack["table"], Key={"report_id": {"S": body["report_id"]}}
    )["Item"]
    assert record["status"]["S"] == "Running"
    request = record["request"]["M"]
    assert [v["S"] for v in request["store_ids"]["L"]] == ["1001", "0042"]
    assert request["as_of"]["S"] == "2023-01-23 12:00:00.000000"
    inputs = record["inputs"]["M"]
    assert inputs["status"]["M"]["version_id"]["S"] == versions["store_status"]
    assert inputs["hours"]["M"]["version_id"]["S"] == versions["menu_hours"]
    assert inputs["timezones"]["M"]["key"]["S"] == "input/timezones.csv"
    assert int(record["expires_at"]["N"]) > int(record["deadline"]["N"])
    [message] = receive(stack["queue_url"])
    assert json.loads(message["Body"]) == {"report_id": body["report_id"], "kind": "request"}


def test_report_reads_the_recorded_versions_not_newer_uploads(stack, apps):
    put_inputs(stack["bucket"])
    _, body, _ = trigger(apps, {"store_ids": ["1001"]})
    # a new status file arrives before the worker runs: the report must not see it
    newer = "store_id,status,timestamp_utc\n1001,inactive,2023-01-23 10:00:00 UTC\n"
    put_inputs(stack["bucket"], status=newer)
    EventSource(apps["worker"], stack).drain()
    _, result, _ = get_report(apps, body["report_id"])
    assert result["status"] == "Complete"
    csv = s3_text(stack["bucket"], f"reports/{body['report_id']}/report.csv")
    assert csv == engine_csv(store_ids=["1001"])
    assert csv.splitlines()[1] == "1001,0.00,1.75,1.75,60.00,1.25,1.25"


def test_store_route_get_and_post(stack, apps):
    put_inputs(stack["bucket"])
    status, get_body, _ = trigger(
        apps,
        path="/stores/1001/trigger_report",
        method="GET",
        route="GET /stores/{store_id}/trigger_report",
        path_params={"store_id": "1001"},
        query={"as_of": "2023-01-23 12:00:00"},
    )
    assert status == 202
    status, post_body, _ = trigger(
        apps,
        {"as_of": "2023-01-23 12:00:00 UTC"},
        path="/stores/0042/trigger_report",
        route="POST /stores/{store_id}/trigger_report",
        path_params={"store_id": "0042"},
    )
    assert status == 202
    EventSource(apps["worker"], stack).drain()
    for body, store in ((get_body, "1001"), (post_body, "0042")):
        csv = s3_text(stack["bucket"], f"reports/{body['report_id']}/report.csv")
        assert csv == engine_csv(store_ids=[store], as_of="2023-01-23 12:00:00")
        assert len(csv.splitlines()) == 2


def test_csv_redirect_and_post_and_path_routes(stack, apps):
    put_inputs(stack["bucket"])
    _, body, _ = trigger(apps)
    report_id = body["report_id"]

    status, running, headers = get_report(apps, report_id, headers={"accept": "text/csv"})
    assert (status, running["status"], headers["retry-after"]) == (202, "Running", "5")

    EventSource(apps["worker"], stack).drain()
    status, done, headers = call_api(
        apps["get_report"],
        http_event("GET", "/get_report", query={"report_id": report_id, "format": "csv"}),
    )
    assert status == 303 and headers["location"] == done["report_url"]
    status, _, headers = get_report(apps, report_id, headers={"Accept": "text/csv"})
    assert status == 303 and "reports/" in headers["location"]

    status, by_path, _ = call_api(
        apps["get_report"],
        http_event(
            "GET",
            f"/get_report/{report_id}",
            route="GET /get_report/{report_id}",
            path_params={"report_id": report_id},
        ),
    )
    assert (status, by_path["status"]) == (200, "Complete")
    status, by_post, _ = call_api(
        apps["get_report"], http_event("POST", "/get_report", body={"report_id": report_id})
    )
    assert (status, by_post["status"], by_post["report_id"]) == (200, "Complete", report_id)
    status, _, headers = call_api(
        apps["get_report"],
        http_event("POST", "/get_report", body={"report_id": report_id, "format": "csv"}),
    )
    assert status == 303
    # upper-case ids are the same id
    status, upper, _ = get_report(apps, report_id.upper())
    assert (status, upper["report_id"]) == (200, report_id)


def test_logs_carry_the_report_id_as_correlation_id(stack, apps):
    import io

    put_inputs(stack["bucket"])
    handler = apps["worker"].logger.registered_handler  # one handler for the service's loggers
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        _, body, _ = trigger(apps)
        EventSource(apps["worker"], stack).drain()
    finally:
        handler.setStream(previous)
    report_id = body["report_id"]
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if '"level"' in line]
    messages = {line["message"]: line for line in lines if isinstance(line.get("message"), str)}
    for message in ("report requested", "report complete"):
        assert messages[message]["correlation_id"] == report_id
        assert messages[message]["report_id"] == report_id
    assert messages["report complete"]["function_name"] == "worker"


def test_read_s3_url(stack):
    from storemon import aws

    boto3.client("s3").put_object(Bucket=stack["bucket"], Key="input/a b.csv", Body=b"hello")
    assert aws.read_s3_url(f"s3://{stack['bucket']}/input/a b.csv") == b"hello"
    for bad in ("http://x/y", "s3://bucket-only", "s3:///key"):
        with pytest.raises(ValueError):
            aws.read_s3_url(bad)
