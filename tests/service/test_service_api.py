"""The HTTP API's answers: validation, 400 / 404 / 405, JSON error bodies, stale reports."""

from __future__ import annotations

import json

import boto3
import pytest

from storemon.service import records
from storemon.service.settings import Settings
from storemon.service.trigger import normalize_timestamp
from tests.service.helpers import put_inputs


def post_trigger(api, body):
    if isinstance(body, str):
        return api.post("/trigger_report", body=body, headers={"content-type": "application/json"})
    return api.post("/trigger_report", body)


@pytest.mark.shared_stack
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ({"store_ids": "1001"}, "store_ids: Input should be a valid list"),
        ({"store_ids": []}, "at least 1 item"),
        ({"store_ids": ["1001", ""]}, "store_ids[1]"),
        ({"store_ids": ["1001", 7]}, "store_ids[1]"),
        ({"store_ids": ["  "]}, "store_ids[0]"),
        ({"as_of": 1674475200}, "as_of: Input should be a valid string"),
        ({"as_of": "yesterday"}, "not a valid timestamp"),
        ({"as_of": "2023-02-30 10:00:00"}, "not a valid timestamp"),
        ({"as_of": "2023-01-23 10:00:00.1234567"}, "not a valid timestamp"),
        ({"stores": ["1"]}, "unknown field"),
        ({"store_ids": [str(i) for i in range(1001)]}, "at most 1000"),
    ],
)
def test_trigger_rejects_bad_bodies(stack, api, body, message):
    status, out, headers = post_trigger(api, body)
    assert status == 400
    assert headers["content-type"] == "application/json"
    assert message in out["error"] and out["status"] == 400
    assert boto3.client("dynamodb").scan(TableName=stack["table"])["Count"] == 0


def test_trigger_store_route_refuses_store_ids_in_body(stack, api):
    status, out, _ = api.post("/stores/1001/trigger_report", {"store_ids": ["2"]})
    assert status == 400 and "path names the store" in out["error"]


def test_trigger_accepts_empty_and_base64_bodies(stack, api):
    put_inputs(stack["bucket"])
    binary = {"content-type": "application/octet-stream"}  # API Gateway base64-encodes it
    for answer in (
        api.post("/trigger_report"),
        api.post("/trigger_report", body=""),
        api.post("/trigger_report", {"store_ids": None, "as_of": None}),
        api.post("/trigger_report", body=b'{"store_ids": ["1001"]}', headers=binary),
    ):
        status, out, _ = answer
        assert status == 202 and records.is_report_id(out["report_id"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-01-22 12:09:39.388884 UTC", "2023-01-22 12:09:39.388884"),
        ("2023-01-22 12:09:39", "2023-01-22 12:09:39.000000"),
        ("2023-01-22 12:09:39.5", "2023-01-22 12:09:39.500000"),
        ("2023-01-22T12:09:39Z", "2023-01-22 12:09:39.000000"),
        ("2023-01-22T14:09:39+02:00", "2023-01-22 12:09:39.000000"),
        ("2023-01-22T07:09:39.25-0500", "2023-01-22 12:09:39.250000"),
    ],
)
def test_as_of_normal_form_is_what_the_engine_reads(text, expected):
    from storemon.report import pipeline

    assert normalize_timestamp(text) == expected
    assert pipeline.parse_instant(expected) == pipeline.parse_instant(text)


@pytest.mark.shared_stack
@pytest.mark.parametrize("bad", ["abc", "1234", "00000000-0000-1000-8000-000000000000", "../x"])
def test_get_report_malformed_id_is_400(stack, api, bad):
    status, out, headers = api.get("/get_report", query={"report_id": bad})
    assert status == 400 and "malformed report_id" in out["error"]
    assert headers["content-type"] == "application/json"


@pytest.mark.shared_stack
def test_get_report_missing_id_is_400(stack, api):
    for answer in (
        api.get("/get_report"),
        api.post("/get_report", {}),
        api.post("/get_report", {"report_id": 12}),
    ):
        status, out, _ = answer
        assert status == 400 and "report_id" in out["error"]


@pytest.mark.shared_stack
def test_get_report_malformed_json_body_is_400(stack, api):
    status, out, _ = api.post("/get_report", body="{")
    assert status == 400 and "not valid JSON" in out["error"]


@pytest.mark.shared_stack
def test_get_report_unknown_id_is_404(stack, api):
    unknown = records.new_report_id()
    status, out, _ = api.get(f"/get_report/{unknown}")
    assert status == 404 and unknown in out["error"]


def test_latest_before_any_refresh_is_404(stack, api):
    status, out, _ = api.get("/get_report", query={"report_id": "latest"})
    assert status == 404 and "no finished refresh" in out["error"]


@pytest.mark.shared_stack
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nothing/here", 404),
        ("DELETE", "/get_report", 405),
        ("PUT", "/trigger_report", 405),
        ("GET", "/trigger_report", 405),
        ("DELETE", "/stores/12/trigger_report", 405),
        ("POST", "/store_summary", 405),
    ],
)
def test_unknown_routes_and_methods_get_json_errors(stack, api, method, path, status):
    # the $default route goes to GetReportFunction
    code, out, headers = api.request(method, path)
    assert code == status and out["status"] == status and out["error"]
    assert headers["content-type"] == "application/json"
    if status == 405:
        assert headers["allow"]


def test_failed_report_csv_request_is_409(stack, api):
    status, out, _ = api.post("/trigger_report")
    report_id = out["report_id"]
    records.fail(Settings.from_env(), report_id, "store_status.csv: missing")
    status, body, _ = api.get("/get_report", query={"report_id": report_id, "format": "csv"})
    assert status == 409 and body["status"] == "Failed" and body["error"]
    status, body, _ = api.get("/get_report", query={"report_id": report_id})
    assert status == 200 and body == {**body, "status": "Failed", "report_id": report_id}


def test_stale_running_report_becomes_failed(stack, api):
    status, out, _ = api.post("/trigger_report")
    report_id = out["report_id"]
    boto3.client("dynamodb").update_item(
        TableName=stack["table"],
        Key={"report_id": {"S": report_id}},
        UpdateExpression="SET deadline = :d",
        ExpressionAttributeValues={":d": {"N": "1000"}},
    )
    status, body, _ = api.get("/get_report", query={"report_id": report_id})
    assert (status, body["status"]) == (200, "Failed")
    assert "timed out" in body["error"]
    assert records.get(Settings.from_env(), report_id)["status"] == "Failed"


def test_unexpected_error_is_json_500(stack, api, monkeypatch):
    from storemon.service import reports

    def boom(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(reports.records, "get", boom)
    status, out, _ = api.get("/get_report", query={"report_id": records.new_report_id()})
    assert status == 500 and out == {"error": "internal error", "status": 500}
    assert "secret" not in json.dumps(out)


def test_store_summary_needs_a_store_and_a_full_report(stack, api):
    status, out, _ = api.get("/store_summary")
    assert status == 400 and "store_id" in out["error"]
    status, out, _ = api.get("/store_summary", query={"store_id": "1001"})
    assert status == 404 and "no store summary yet" in out["error"]
