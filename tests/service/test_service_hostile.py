"""Hostile requests (issue 8): never a 5xx, always a JSON 4xx that says what is wrong."""

from __future__ import annotations

import boto3
import pytest

from tests.service.helpers import put_inputs


def records_in(table: str) -> int:
    return boto3.client("dynamodb").scan(TableName=table)["Count"]


def assert_json_400(status, body, headers, *words):
    assert status == 400, body
    assert headers["content-type"] == "application/json" and body["status"] == 400
    for word in words:
        assert word in body["error"], body["error"]


def test_huge_store_ids_are_refused_before_the_record(stack, api):
    # 1,000 ids of ~1,000 characters used to reach DynamoDB (item over 400 KB: 500)
    ids = [f"{i:04d}" + "x" * 996 for i in range(1000)]
    assert_json_400(*api.post("/trigger_report", {"store_ids": ids}), "at most 128", "and 995 more")
    assert_json_400(*api.post("/trigger_report", {"store_ids": ["y" * 500_000]}))
    path_id = "z" * 500_000
    assert_json_400(*api.post(f"/stores/{path_id}/trigger_report"), "store_id")
    assert records_in(stack["table"]) == 0


def test_a_body_that_is_not_utf8_is_400(stack, api):
    raw = b'{"as_of": "2023-01-23 \xff"}'
    headers = {"content-type": "application/octet-stream"}
    assert_json_400(*api.post("/trigger_report", body=raw, headers=headers), "not UTF-8")
    assert records_in(stack["table"]) == 0


@pytest.mark.shared_stack
@pytest.mark.parametrize(
    ("query", "word"),
    [
        ({"report_id": "latest", "format": "xml"}, "format"),
        ({"report_id": "latest", "colour": "red"}, "colour"),
        ({"report_id": "x" * 5000}, "report_id"),
    ],
)
def test_get_report_refuses_unknown_options(stack, api, query, word):
    out = api.get("/get_report", query=query)
    assert_json_400(*out, word)


@pytest.mark.shared_stack
def test_get_report_body_refuses_unknown_fields(stack, api):
    body = {"report_id": "latest", "format": "xml", "extra": 1}
    out = api.post("/get_report", body)
    assert_json_400(*out, "format", "extra")


@pytest.mark.shared_stack
def test_a_trailing_slash_names_the_route(stack, api):
    status, body, _ = api.post("/trigger_report/")
    assert status == 404 and "POST /trigger_report" in body["error"]
    assert "trailing slash" in body["error"] and "not allowed" not in body["error"]


@pytest.mark.shared_stack
def test_reports_list_refuses_bad_limits(stack, api):
    for limit in ("0", "101", "ten", "-1"):
        assert_json_400(*api.get("/reports", query={"limit": limit}), "limit")


def test_unknown_store_ids_are_named_in_the_answer(stack, api, worker_queue):
    put_inputs(stack["bucket"])
    body = {"store_ids": ["1001", "no-such-store"]}
    _, accepted, _ = api.post("/trigger_report", body)
    worker_queue.drain()
    status, view, _ = api.get(f"/get_report/{accepted['report_id']}")
    assert status == 200 and view["status"] == "Complete"
    assert view["store_ids_not_found"] == view["summary"].get("store_ids_not_found", [])
    assert isinstance(view["warnings"], list)
