"""trigger -> SQS -> worker -> get_report, in process: requests through the local API Gateway
emulation, the queue through its event source mapping, AWS on the moto server."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import boto3
import pytest

from storemon.service import records
from tests.service.helpers import engine_csv, put_inputs, s3_text


def get_report(api, report_id, **kw):
    return api.get("/get_report", query={"report_id": report_id}, **kw)


def test_full_flow_matches_the_engine(stack, api, worker_queue):
    put_inputs(stack["bucket"])
    status, body, headers = api.post("/trigger_report")
    assert status == 202
    report_id = body["report_id"]
    assert records.is_report_id(report_id) and set(body) == {"report_id"}
    assert headers["location"] == f"/get_report/{report_id}"

    status, body, _ = get_report(api, report_id)
    assert (status, body["status"], body["report_id"]) == (200, "Running", report_id)

    outcomes = worker_queue.drain()
    assert [o.result for o in outcomes] == [{"batchItemFailures": []}]

    status, body, _ = get_report(api, report_id)
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


def test_record_holds_request_and_input_versions(stack, api):
    put_inputs(stack["bucket"])
    s3 = boto3.client("s3")
    versions = {
        name: s3.head_object(Bucket=stack["bucket"], Key=f"input/{name}.csv")["VersionId"]
        for name in ("store_status", "menu_hours", "timezones")
    }
    request = {"store_ids": ["1001", " 0042 ", "1001"], "as_of": "2023-01-23T12:00:00Z"}
    _, body, _ = api.post("/trigger_report", request)
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
    [message] = boto3.client("sqs").receive_message(QueueUrl=stack["queue_url"])["Messages"]
    assert json.loads(message["Body"]) == {"report_id": body["report_id"], "kind": "request"}


def test_report_reads_the_recorded_versions_not_newer_uploads(stack, api, worker_queue):
    put_inputs(stack["bucket"])
    _, body, _ = api.post("/trigger_report", {"store_ids": ["1001"]})
    # a new status file arrives before the worker runs: the report must not see it
    newer = "store_id,status,timestamp_utc\n1001,inactive,2023-01-23 10:00:00 UTC\n"
    put_inputs(stack["bucket"], status=newer)
    worker_queue.drain()
    _, result, _ = get_report(api, body["report_id"])
    assert result["status"] == "Complete"
    csv = s3_text(stack["bucket"], f"reports/{body['report_id']}/report.csv")
    assert csv == engine_csv(store_ids=["1001"])
    assert csv.splitlines()[1] == "1001,0.00,1.75,1.75,60.00,1.25,1.25"


def test_store_route_get_and_post(stack, api, worker_queue):
    put_inputs(stack["bucket"])
    status, get_body, _ = api.get(
        "/stores/1001/trigger_report", query={"as_of": "2023-01-23 12:00:00"}
    )
    assert status == 202
    status, post_body, _ = api.post(
        "/stores/0042/trigger_report", {"as_of": "2023-01-23 12:00:00 UTC"}
    )
    assert status == 202
    worker_queue.drain()
    for body, store in ((get_body, "1001"), (post_body, "0042")):
        csv = s3_text(stack["bucket"], f"reports/{body['report_id']}/report.csv")
        assert csv == engine_csv(store_ids=[store], as_of="2023-01-23 12:00:00")
        assert len(csv.splitlines()) == 2


def test_csv_redirect_and_post_and_path_routes(stack, api, worker_queue):
    put_inputs(stack["bucket"])
    _, body, _ = api.post("/trigger_report")
    report_id = body["report_id"]

    status, running, headers = get_report(api, report_id, headers={"accept": "text/csv"})
    assert (status, running["status"], headers["retry-after"]) == (202, "Running", "5")

    worker_queue.drain()
    status, done, headers = api.get("/get_report", query={"report_id": report_id, "format": "csv"})
    assert status == 303 and headers["location"] == done["report_url"]
    status, _, headers = get_report(api, report_id, headers={"Accept": "text/csv"})
    assert status == 303 and "reports/" in headers["location"]

    status, by_path, _ = api.get(f"/get_report/{report_id}")
    assert (status, by_path["status"]) == (200, "Complete")
    status, by_post, _ = api.post("/get_report", {"report_id": report_id})
    assert (status, by_post["status"], by_post["report_id"]) == (200, "Complete", report_id)
    status, _, headers = api.post("/get_report", {"report_id": report_id, "format": "csv"})
    assert status == 303
    # upper-case ids are the same id
    status, upper, _ = get_report(api, report_id.upper())
    assert (status, upper["report_id"]) == (200, report_id)


def test_logs_carry_the_report_id_as_correlation_id(stack, apps, api, worker_queue):
    import io

    from storemon.service.observability import logger

    put_inputs(stack["bucket"])
    handler = logger.registered_handler  # one handler for the service's loggers
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        _, body, _ = api.post("/trigger_report")
        worker_queue.drain()
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
    from storemon.service import aws

    boto3.client("s3").put_object(Bucket=stack["bucket"], Key="input/a b.csv", Body=b"hello")
    assert aws.read_s3_url(f"s3://{stack['bucket']}/input/a b.csv") == b"hello"
    for bad in ("http://x/y", "s3://bucket-only", "s3:///key"):
        with pytest.raises(ValueError):
            aws.read_s3_url(bad)
