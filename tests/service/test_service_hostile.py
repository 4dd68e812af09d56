"""Hostile requests (issue 8): never a 5xx, always a JSON 4xx that says what is wrong."""

from __future__ import annotations

import base64

import boto3
import pytest

from tests.service.helpers import EventSource, call_api, http_event, put_inputs


def records_in(table: str) -> int:
    return boto3.client("dynamodb").scan(TableName=table)["Count"]


def assert_json_400(status, body, headers, *words):
    assert status == 400, body
    assert headers["content-type"] == "application/json" and body["status"] == 400
    for word in words:
        assert word in body["error"], body["error"]


def test_huge_store_ids_are_refused_before_the_record(stack, apps):
    # 1,000 ids of ~1,000 characters used to reach DynamoDB (item over 400 KB: 500)
    ids = [f"{i:04d}" + "x" * 996 for i in range(1000)]
    out = call_api(apps["trigger"], http_event("POST", "/trigger_report", body={"store_ids": ids}))
    assert_json_400(*out, "at most 128", "and 995 more")
    one = {"store_ids": ["y" * 500_000]}
    assert_json_400(*call_api(apps["trigger"], http_event("POST", "/trigger_report", body=one)))
    path_id = "z" * 500_000
    event = http_event(
        "POST",
        f"/stores/{path_id}/trigger_report",
        route="POST /stores/{store_id}/trigger_report",
        path_params={"store_id": path_id},
    )
    assert_json_400(*call_api(apps["trigger"], event), "store_id")
    assert records_in(stack["table"]) == 0


def test_a_body_that_is_not_utf8_is_400(stack, apps):
    event = http_event("POST", "/trigger_report")
    event["body"] = base64.b64encode(b'{"as_of": "2023-01-23 \xff"}').decode()
    event["isBase64Encoded"] = True
    assert_json_400(*call_api(apps["trigger"], event), "not UTF-8")
    assert records_in(stack["table"]) == 0


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ({"report_id": "latest", "format": "xml"}, "format"),
        ({"report_id": "latest", "colour": "red"}, "colour"),
        ({"report_id": "x" * 5000}, "report_id"),
    ],
)
def test_get_report_refuses_unknown_options(stack, apps, query, word):
    out = call_api(apps["get_report"], http_event("GET", "/get_report", query=query))
    assert_json_400(*out, word)


def test_get_report_body_refuses_unknown_fields(stack, apps):
    body = {"report_id": "latest", "format": "xml", "extra": 1}
    out = call_api(apps["get_report"], http_event("POST", "/get_report", body=body))
    assert_json_400(*out, "format", "extra")


def test_a_trailing_slash_names_the_route(stack, apps):
    status, body, _ = call_api(
        apps["get_report"], http_event("POST", "/trigger_report/", route="$default")
    )
    assert status == 404 and "POST /trigger_report" in body["error"]
    assert "trailing slash" in body["error"] and "not allowed" not in body["error"]


def test_reports_list_refuses_bad_limits(stack, apps):
    for limit in ("0", "101", "ten", "-1"):
        event = http_event("GET", "/reports", query={"limit": limit})
        assert_json_400(*call_api(apps["get_report"], event), "limit")


def test_unknown_store_ids_are_named_in_the_answer(stack, apps):
    put_inputs(stack["bucket"])
    body = {"store_ids": ["1001", "no-such-store"]}
    _, accepted, _ = call_api(apps["trigger"], http_event("POST", "/trigger_report", body=body))
    EventSource(apps["worker"], stack).drain()
    status, view, _ = call_api(
        apps["get_report"],
        http_event(
            "GET",
            f"/get_report/{accepted['report_id']}",
            route="GET /get_report/{report_id}",
            path_params={"report_id": accepted["report_id"]},
        ),
    )
    assert status == 200 and view["status"] == "Complete"
    assert view["store_ids_not_found"] == view["summary"].get("store_ids_not_found", [])
    assert isinstance(view["warnings"], list)
