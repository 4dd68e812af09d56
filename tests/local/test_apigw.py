"""HTTP request <-> API Gateway HTTP API payload 2.0 (storemon_dev.local.apigw)."""

from __future__ import annotations

import base64
import json

import pytest

from storemon_dev.local.apigw import (
    HttpApiGateway,
    HttpRequest,
    InvalidResponse,
    Router,
    build_event,
    translate_response,
)
from storemon_dev.local.template import HttpRoute

ROUTES = [
    HttpRoute("Trigger", "POST", "/trigger_report"),
    HttpRoute("Trigger", "GET", "/stores/{store_id}/trigger_report"),
    HttpRoute("Get", "GET", "/get_report"),
    HttpRoute("Get", "GET", "/get_report/{report_id}"),
    HttpRoute("Get", "GET", "/get_report/latest"),
    HttpRoute("Files", "ANY", "/files/{path+}"),
    HttpRoute("Default", "ANY", "$default"),
]


def test_router_prefers_the_most_specific_route():
    router = Router(ROUTES)
    assert router.match("GET", "/get_report/latest")[0].path == "/get_report/latest"
    route, params = router.match("GET", "/get_report/abc")
    assert route.path == "/get_report/{report_id}" and params == {"report_id": "abc"}
    route, params = router.match("GET", "/stores/12%2034/trigger_report")
    assert params == {"store_id": "12 34"}
    route, params = router.match("DELETE", "/files/a/b/c.csv")
    assert route.route_key == "ANY /files/{path+}" and params == {"path": "a/b/c.csv"}
    # wrong method or unknown path: the $default route
    assert router.match("DELETE", "/trigger_report")[0].route_key == "$default"
    assert router.match("GET", "/nope")[0].route_key == "$default"
    assert Router(ROUTES[:-1]).match("GET", "/nope") is None
    with pytest.raises(ValueError, match="duplicate"):
        Router([ROUTES[0], ROUTES[0]])


def test_event_has_the_payload_2_fields():
    request = HttpRequest.from_target(
        "GET",
        "/get_report/r1?format=csv&x=1&x=2&empty=",
        headers=[
            ("Host", "127.0.0.1:3000"),
            ("User-Agent", "curl/8"),
            ("Accept", "text/csv"),
            ("X-Multi", "a"),
            ("x-multi", "b"),
            ("Cookie", "a=1; b=2"),
        ],
        source_ip="127.0.0.9",
        port=3000,
    )
    route = HttpRoute("Get", "GET", "/get_report/{report_id}")
    event = build_event(
        request,
        route,
        {"report_id": "r1"},
        account_id="123456789012",
        api_id="local",
        request_id="rid",
        now=1700000000.5,
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /get_report/{report_id}"
    assert event["rawPath"] == "/get_report/r1"
    assert event["rawQueryString"] == "format=csv&x=1&x=2&empty="
    assert event["cookies"] == ["a=1", "b=2"]
    headers = event["headers"]
    assert all(k == k.lower() for k in headers)
    assert headers["accept"] == "text/csv" and headers["x-multi"] == "a,b"
    assert "cookie" not in headers and headers["x-forwarded-for"] == "127.0.0.9"
    assert event["queryStringParameters"] == {"format": "csv", "x": "1,2", "empty": ""}
    assert event["pathParameters"] == {"report_id": "r1"}
    ctx = event["requestContext"]
    assert ctx["accountId"] == "123456789012" and ctx["apiId"] == "local"
    assert ctx["domainName"] == "127.0.0.1:3000"
    assert ctx["http"] == {
        "method": "GET",
        "path": "/get_report/r1",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.9",
        "userAgent": "curl/8",
    }
    assert ctx["requestId"] == "rid" and ctx["routeKey"] == event["routeKey"]
    assert ctx["stage"] == "$default"
    assert ctx["time"] == "14/Nov/2023:22:13:20 +0000"
    assert ctx["timeEpoch"] == 1700000000500
    assert event["isBase64Encoded"] is False and "body" not in event


def test_event_omits_empty_parts_and_encodes_binary_bodies():
    route = HttpRoute("T", "POST", "/trigger_report")
    request = HttpRequest("POST", "/trigger_report", body=b'{"a": 1}')
    event = build_event(request, route, {}, account_id="1", api_id="a")
    assert event["body"] == '{"a": 1}' and event["isBase64Encoded"] is False
    for absent in ("cookies", "queryStringParameters", "pathParameters"):
        assert absent not in event
    binary = b"\x1f\x8b\x08\x00\xff"
    request = HttpRequest(
        "POST", "/trigger_report", body=binary, headers=[("Content-Type", "application/gzip")]
    )
    event = build_event(request, route, {}, account_id="1", api_id="a")
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == binary


def test_structured_and_simple_responses():
    response = translate_response(
        {
            "statusCode": 303,
            "headers": {"Location": "http://x/y", "X-Flag": True},
            "cookies": ["s=1; Path=/"],
            "body": "",
        }
    )
    assert response.status == 303 and response.header("location") == "http://x/y"
    assert response.header("x-flag") == "true" and response.header("set-cookie") == "s=1; Path=/"
    response = translate_response(
        {"statusCode": 200, "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}
    )
    assert response.body == b"\x00\x01"
    # simple forms: no statusCode -> 200 application/json
    response = translate_response({"report_id": "x"})
    assert response.status == 200 and json.loads(response.body) == {"report_id": "x"}
    assert response.header("content-type") == "application/json"
    assert translate_response("hello").body == b"hello"
    for bad in ({"statusCode": "x"}, {"statusCode": 200, "body": {"a": 1}}, {"statusCode": 99}):
        with pytest.raises(InvalidResponse):
            translate_response(bad)


def test_gateway_404_500_and_413():
    calls = []

    def invoke(function, event):
        calls.append((function, event))
        if event["rawPath"] == "/get_report/boom":
            raise RuntimeError("boom")
        if event["rawPath"] == "/get_report/bad":
            return {"statusCode": 200, "body": {"not": "a string"}}
        return {"statusCode": 200, "body": "ok"}

    errors = []
    gateway = HttpApiGateway(
        ROUTES[:-1], invoke, account_id="1", api_id="a", on_error=lambda f, e: errors.append(f)
    )
    response = gateway.handle(HttpRequest("GET", "/nope"))
    assert response.status == 404 and json.loads(response.body) == {"message": "Not Found"}
    assert response.header("content-type") == "application/json"
    assert gateway.handle(HttpRequest("GET", "/get_report/x")).body == b"ok"
    for path in ("/get_report/boom", "/get_report/bad"):
        response = gateway.handle(HttpRequest("GET", path))
        assert response.status == 500
        assert json.loads(response.body) == {"message": "Internal Server Error"}
    assert errors == ["Get", "Get"]
    big = HttpRequest("POST", "/trigger_report", body=b"x" * (10 * 1024 * 1024 + 1))
    assert gateway.handle(big).status == 413
    assert all(r.header("apigw-requestid") for r in [response])


def test_powertools_http_resolver_accepts_the_events(monkeypatch):
    """The same Powertools resolver the handlers use routes and answers our events."""
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "test")
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

    app = APIGatewayHttpResolver()

    @app.get("/get_report/<report_id>")
    def get_report(report_id):
        return {
            "report_id": report_id,
            "format": app.current_event.get_query_string_value("format"),
            "accept": app.current_event.headers.get("accept"),
            "ip": app.current_event.request_context.http.source_ip,
        }

    @app.post("/trigger_report")
    def trigger():
        body = app.current_event.json_body or {}
        return Response(202, content_types.APPLICATION_JSON, json.dumps({"got": body}))

    gateway = HttpApiGateway(
        ROUTES[:-1], lambda f, event: app.resolve(event, None), account_id="1", api_id="a"
    )
    response = gateway.handle(
        HttpRequest.from_target(
            "GET", "/get_report/abc?format=csv", headers=[("Accept", "text/csv")]
        )
    )
    assert response.status == 200
    assert json.loads(response.body) == {
        "report_id": "abc",
        "format": "csv",
        "accept": "text/csv",
        "ip": "127.0.0.1",
    }
    response = gateway.handle(
        HttpRequest(
            "POST",
            "/trigger_report",
            headers=[("Content-Type", "application/json")],
            body=b'{"store_ids": ["1"]}',
        )
    )
    assert response.status == 202 and json.loads(response.body) == {"got": {"store_ids": ["1"]}}


def test_percent_encoded_paths_reach_the_function_decoded():
    """HTTP APIs decode the path: rawPath, http.path and pathParameters all say 1011."""
    request = HttpRequest("POST", "/stores/%31%30%311/trigger_report")
    route, params = Router(ROUTES).match("POST", request.raw_path)
    assert route.route_key == "$default"  # POST is not routed in ROUTES; GET is
    route, params = Router(ROUTES).match("GET", request.raw_path)
    event = build_event(request, route, params, account_id="1", api_id="a")
    assert event["rawPath"] == "/stores/1011/trigger_report"
    assert event["requestContext"]["http"]["path"] == "/stores/1011/trigger_report"
    assert event["pathParameters"] == {"store_id": "1011"}
