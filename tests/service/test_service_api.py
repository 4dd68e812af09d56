"""The HTTP API's answers: validation, 400 / 404 / 405, JSON error bodies, stale reports."""

from __future__ import annotations

import json

import boto3
import pytest

from storemon.service import records
from storemon.service.settings import settings
from storemon.service.trigger import normalize_timestamp
from tests.service.helpers import call_api, http_event, put_inputs


def post_trigger(apps, body, **kw):
    return call_api(apps["trigger"], http_event("POST", "/trigger_report", body=body, **kw))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ({"store_ids": "1001"}, "list of strings"),
        ({"store_ids": []}, "must not be empty"),
        ({"store_ids": ["1001", ""]}, "store_ids[1]"),
        ({"store_ids": ["1001", 7]}, "store_ids[1]"),
        ({"store_ids": ["  "]}, "store_ids[0]"),
        ({"as_of": 1674475200}, "as_of must be a timestamp string"),
        ({"as_of": "yesterday"}, "not a valid timestamp"),
        ({"as_of": "2023-02-30 10:00:00"}, "not a valid timestamp"),
        ({"as_of": "2023-01-23 10:00:00.1234567"}, "not a valid timestamp"),
        ({"stores": ["1"]}, "unknown field"),
        ({"store_ids": [str(i) for i in range(1001)]}, "at most 1000"),
    ],
)
def test_trigger_rejects_bad_bodies(stack, apps, body, message):
    status, out, headers = post_trigger(apps, body)
    assert status == 400
    assert headers["content-type"] == "application/json"
    assert message in out["error"] and out["status"] == 400
    assert boto3.client("dynamodb").scan(TableName=stack["table"])["Count"] == 0


def test_trigger_store_route_refuses_store_ids_in_body(stack, apps):
    status, out, _ = call_api(
        apps["trigger"],
        http_event(
            "POST",
            "/stores/1001/trigger_report",
            body={"store_ids": ["2"]},
            route="POST /stores/{store_id}/trigger_report",
            path_params={"store_id": "1001"},
        ),
    )
    assert status == 400 and "path names the store" in out["error"]


def test_trigger_accepts_empty_and_base64_bodies(stack, apps):
    put_inputs(stack["bucket"])
    for event in (
        http_event("POST", "/trigger_report"),
        http_event("POST", "/trigger_report", body=""),
        http_event("POST", "/trigger_report", body={"store_ids": None, "as_of": None}),
        http_event("POST", "/trigger_report", body={"store_ids": ["1001"]}, b64=True),
    ):
        status, out, _ = call_api(apps["trigger"], event)
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
    from storemon import engine

    assert normalize_timestamp(text) == expected
    assert engine.parse_instant(expected) == engine.parse_instant(text)


@pytest.mark.parametrize("bad", ["abc", "1234", "00000000-0000-1000-8000-000000000000", "../x"])
def test_get_report_malformed_id_is_400(stack, apps, bad):
    status, out, headers = call_api(
        apps["get_report"], http_event("GET", "/get_report", query={"report_id": bad})
    )
    assert status == 400 and "malformed report_id" in out["error"]
    assert headers["content-type"] == "application/json"


def test_get_report_missing_id_is_400(stack, apps):
    for event in (
        http_event("GET", "/get_report"),
        http_event("POST", "/get_report", body={}),
        http_event("POST", "/get_report", body={"report_id": 12}),
    ):
        status, out, _ = call_api(apps["get_report"], event)
        assert status == 400 and "report_id" in out["error"]


def test_get_report_malformed_json_body_is_400(stack, apps):
    status, out, _ = call_api(apps["get_report"], http_event("POST", "/get_report", body="{"))
    assert status == 400 and "not valid JSON" in out["error"]


def test_get_report_unknown_id_is_404(stack, apps):
    unknown = records.new_report_id()
    status, out, _ = call_api(
        apps["get_report"],
        http_event(
            "GET",
            f"/get_report/{unknown}",
            route="GET /get_report/{report_id}",
            path_params={"report_id": unknown},
        ),
    )
    assert status == 404 and unknown in out["error"]


def test_latest_before_any_refresh_is_404(stack, apps):
    status, out, _ = call_api(
        apps["get_report"], http_event("GET", "/get_report", query={"report_id": "latest"})
    )
    assert status == 404 and "no finished refresh" in out["error"]


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
def test_unknown_routes_and_methods_get_json_errors(stack, apps, method, path, status):
    # the $default route goes to GetReportFunction
    code, out, headers = call_api(apps["get_report"], http_event(method, path, route="$default"))
    assert code == status and out["status"] == status and out["error"]
    assert headers["content-type"] == "application/json"
    if status == 405:
        assert headers["allow"]


def test_failed_report_csv_request_is_409(stack, apps):
    status, out, _ = call_api(apps["trigger"], http_event("POST", "/trigger_report"))
    report_id = out["report_id"]
    records.fail(settings(), report_id, "store_status.csv: missing")
    status, body, _ = call_api(
        apps["get_report"],
        http_event("GET", "/get_report", query={"report_id": report_id, "format": "csv"}),
    )
    assert status == 409 and body["status"] == "Failed" and body["error"]
    status, body, _ = call_api(
        apps["get_report"], http_event("GET", "/get_report", query={"report_id": report_id})
    )
    assert status == 200 and body == {**body, "status": "Failed", "report_id": report_id}


def test_stale_running_report_becomes_failed(stack, apps):
    status, out, _ = call_api(apps["trigger"], http_event("POST", "/trigger_report"))
    report_id = out["report_id"]
    boto3.client("dynamodb").update_item(
        TableName=stack["table"],
        Key={"report_id": {"S": report_id}},
        UpdateExpression="SET deadline = :d",
        ExpressionAttributeValues={":d": {"N": "1000"}},
    )
    status, body, _ = call_api(
        apps["get_report"], http_event("GET", "/get_report", query={"report_id": report_id})
    )
    assert (status, body["status"]) == (200, "Failed")
    assert "timed out" in body["error"]
    assert records.get(settings(), report_id)["status"] == "Failed"


def test_unexpected_error_is_json_500(stack, apps, monkeypatch):
    from storemon.service import reports

    def boom(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(reports.records, "get", boom)
    status, out, _ = call_api(
        apps["get_report"],
        http_event("GET", "/get_report", query={"report_id": records.new_report_id()}),
    )
    assert status == 500 and out == {"error": "internal error", "status": 500}
    assert "secret" not in json.dumps(out)


def test_store_summary_needs_a_store_and_a_full_report(stack, apps):
    status, out, _ = call_api(apps["get_report"], http_event("GET", "/store_summary"))
    assert status == 400 and "store_id" in out["error"]
    status, out, _ = call_api(
        apps["get_report"], http_event("GET", "/store_summary", query={"store_id": "1001"})
    )
    assert status == 404 and "no store summary yet" in out["error"]
