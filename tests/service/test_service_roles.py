"""Routes x roles through the template's HTTP API in this process: real access tokens of the
template's user pool (on moto), the JWT authorizer in front of every route, the handlers'
scoping (storemon.service.authz), the worker finishing the reports. Every route of the template
is in the table; a route added without rows fails `test_every_route_is_in_the_table`."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer

from tests.service.helpers import put_inputs

ROLES = ("anonymous", "admin", "owner", "other owner")
# (method, target, body) -> the status for: no token; an administrator; the owner of store 1001
# (who triggered {owners}); another owner, of stores 1001 and 1002, who did not.
# {full}: the admin's full report (it moves latest); {owners}: the owner's report of store 1001;
# {admins 1001}: the admin's report of store 1001; {unknown}: an id no report has.
TABLE = [
    (("POST", "/trigger_report", None), (401, 202, 403, 403)),
    (("POST", "/trigger_report", {"store_ids": ["1001"]}), (401, 202, 202, 202)),
    (("POST", "/trigger_report", {"store_ids": ["1001", "1002"]}), (401, 202, 403, 202)),
    (("POST", "/trigger_report", {"as_of": "2023-01-23 11:00:00"}), (401, 202, 403, 403)),
    (("POST", "/trigger_report", {"windows": ["month"]}), (401, 202, 403, 403)),
    (
        ("POST", "/trigger_report", {"windows": ["month"], "store_ids": ["1001"]}),
        (401, 202, 202, 202),
    ),
    (
        (
            "POST",
            "/trigger_report",
            {
                "from": "2023-01-22 00:00:00",
                "to": "2023-01-24 00:00:00",
                "daily": True,
                "store_ids": ["1002"],
            },
        ),
        (401, 202, 403, 202),
    ),
    (("GET", "/stores/1001/trigger_report", None), (401, 202, 202, 202)),
    (
        ("POST", "/stores/1001/trigger_report", {"as_of": "2023-01-23 11:00:00"}),
        (401, 202, 202, 202),
    ),
    (("GET", "/stores/1002/trigger_report", None), (401, 202, 403, 202)),
    (("POST", "/stores/9999/trigger_report", None), (401, 202, 403, 403)),
    (("GET", "/get_report/latest", None), (401, 200, 403, 403)),
    (("GET", "/get_report?report_id=latest", None), (401, 200, 403, 403)),
    (("POST", "/get_report", {"report_id": "latest"}), (401, 200, 403, 403)),
    (("GET", "/get_report/latest?format=csv", None), (401, 303, 403, 403)),
    (("GET", "/get_report/latest?format=html", None), (401, 303, 403, 403)),
    (("GET", "/get_report/{full}", None), (401, 200, 403, 403)),
    (("GET", "/get_report/{owners}", None), (401, 200, 200, 403)),
    (("GET", "/get_report?report_id={owners}", None), (401, 200, 200, 403)),
    (("POST", "/get_report", {"report_id": "{owners}"}), (401, 200, 200, 403)),
    (("GET", "/get_report/{owners}?format=csv", None), (401, 303, 303, 403)),
    # an owner's report of their store has its page (issue 19)
    (("GET", "/get_report/{owners}?format=html", None), (401, 303, 303, 403)),
    # a page of one store from the latest data: 303 to a new report's page
    (("GET", "/stores/1001/page", None), (401, 303, 303, 303)),
    (("GET", "/stores/1002/page", None), (401, 303, 403, 303)),
    (("GET", "/get_report/{admins 1001}", None), (401, 200, 403, 403)),
    (("GET", "/get_report/{unknown}", None), (401, 404, 404, 404)),
    (("GET", "/store_summary?store_id=1001", None), (401, 200, 200, 200)),
    (("GET", "/store_summary?store_id=1002", None), (401, 200, 403, 200)),
    (("GET", "/stores/1001/report", None), (401, 200, 200, 200)),
    (("GET", "/stores/1001/report?as_of=2023-01-23 11:00:00", None), (401, 200, 200, 200)),
    (("GET", "/stores/1002/report", None), (401, 200, 403, 200)),
    (("GET", "/stores/9999/report", None), (401, 404, 403, 403)),
    (
        ("GET", "/stores/1001/report?from=2023-01-23 09:00:00&to=2023-01-23 12:00:00", None),
        (401, 200, 200, 200),
    ),
    (
        ("GET", "/stores/1002/report?from=2023-01-23 09:00:00&to=2023-01-23 12:00:00", None),
        (401, 200, 403, 200),
    ),
    (("GET", "/stores/1001/days", None), (401, 200, 200, 200)),
    (
        ("GET", "/stores/1001/days?from=2023-01-22 00:00:00&to=2023-01-24 00:00:00", None),
        (401, 200, 200, 200),
    ),
    (("GET", "/stores/1002/days", None), (401, 200, 403, 200)),
    (("GET", "/stores/9999/days", None), (401, 404, 403, 403)),
    (("GET", "/stores/1001/status", None), (401, 200, 200, 200)),
    (("GET", "/stores/1002/status", None), (401, 200, 403, 200)),
    (("GET", "/stores/9999/status", None), (401, 404, 403, 403)),
    (("GET", "/stores/1001/status?colour=red", None), (401, 400, 400, 400)),
    (("GET", "/stores/1001/incidents", None), (401, 200, 200, 200)),
    (("GET", "/stores/1001/incidents?report_id={full}", None), (401, 200, 200, 200)),
    (("GET", "/stores/1001/incidents?report_id={owners}", None), (401, 404, 404, 404)),
    (("GET", "/stores/1002/incidents", None), (401, 200, 403, 200)),
    (("GET", "/stores/9999/incidents", None), (401, 404, 403, 403)),
    (("GET", "/reports", None), (401, 200, 403, 403)),
    (("GET", "/reports?limit=5", None), (401, 200, 403, 403)),
    # webhook subscriptions (who deletes whose: tests/alerts/test_subscriptions.py)
    (("POST", "/subscriptions", {"url": "http://127.0.0.1:9/hook"}), (401, 201, 403, 403)),
    (
        ("POST", "/subscriptions", {"url": "http://127.0.0.1:9/hook", "store_ids": ["1001"]}),
        (401, 201, 201, 201),
    ),
    (
        ("POST", "/subscriptions", {"url": "http://127.0.0.1:9/hook", "store_ids": ["1002"]}),
        (401, 201, 403, 201),
    ),
    (("GET", "/subscriptions", None), (401, 200, 200, 200)),
    (("DELETE", "/subscriptions/{unknown}", None), (401, 404, 404, 404)),
    (("GET", "/no/such/route", None), (401, 404, 404, 404)),
]

STATUS = """store_id,status,timestamp_utc
1001,active,2023-01-23 10:00:00 UTC
1001,inactive,2023-01-23 11:30:00 UTC
1002,active,2023-01-23 12:00:00 UTC
"""
HOURS = "store_id,dayOfWeek,start_time_local,end_time_local\n1001,0,09:00:00,12:00:00\n"
TIMEZONES = "store_id,timezone_str\n1001,UTC\n"


def _fill(value: object, ids: dict[str, str]) -> object:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def _call(client, method: str, target: str, payload: object):
    path, _, query = target.partition("?")
    params = dict(p.split("=", 1) for p in query.split("&")) if query else None
    return client.request(method, path, query=params, json=payload)


@pytest.fixture
def world(stack, api, worker_queue, monkeypatch):
    """Callers per role and three finished reports: the admin's full one (moving latest), the
    owner's of store 1001, the admin's of store 1001. Webhook receivers on loopback are taken
    (the local stack's setting)."""
    monkeypatch.setenv("WEBHOOK_LOCAL_RECEIVERS", "true")
    put_inputs(stack["bucket"], STATUS, HOURS, TIMEZONES)
    callers = {
        "anonymous": api.with_token(None),
        "admin": api,
        "owner": api.as_user("olivia", stores=("1001",)),
        "other owner": api.as_user("oscar", stores=("1001", "1002")),
    }
    reports = {"unknown": str(uuid.uuid4())}
    for name, caller, target, payload in (
        ("full", "admin", "/trigger_report", None),
        ("owners", "owner", "/stores/1001/trigger_report", None),
        ("admins 1001", "admin", "/trigger_report", {"store_ids": ["1001"]}),
    ):
        status, body, _ = callers[caller].post(target, payload)
        assert status == 202, body
        reports[name] = body["report_id"]
        worker_queue.drain()
        status, body, _ = api.get(f"/get_report/{reports[name]}")
        assert (status, body["status"]) == (200, "Complete"), body
    return callers, reports


@pytest.mark.slow
def test_routes_by_roles(world):
    callers, reports = world
    got, want = {}, {}
    for (method, target, payload), expected in TABLE:
        row = f"{method} {target}" + (f" {json.dumps(payload)}" if payload else "")
        for role, status in zip(ROLES, expected, strict=True):
            answer, body, headers = _call(
                callers[role], method, _fill(target, reports), _fill(payload, reports)
            )
            got[(row, role)], want[(row, role)] = answer, status
            if answer == 401:
                assert body == {"message": "Unauthorized"}, (row, role)
            if answer == 403:  # the service's refusal: JSON that says why
                assert headers["content-type"] == "application/json", (row, role)
                assert body["status"] == 403 and body["error"], (row, role, body)
    assert got == want


def test_every_route_is_in_the_table(api):
    router = api.gateway.router
    tested = set()
    for (method, target, _), _ in TABLE:
        found = router.match(method, target.split("?")[0])
        if found:
            tested.add(found[0].route_key)
    missing = {r.route.route_key for r in router.routes} - tested
    assert not missing, (
        f"routes {sorted(missing)} are not in TABLE: decide who may call them "
        "(storemon.service.authz in the route's service function) and add their rows"
    )


def test_refusals_say_why(world):
    callers, reports = world
    owner = callers["owner"]
    status, body, _ = owner.post("/trigger_report")
    assert (status, body["error"]) == (403, "a report of every store is for administrators only")
    status, body, _ = owner.get("/stores/1002/trigger_report")
    assert status == 403
    assert body["error"] == "not allowed for store(s) 1002: you may see only your own stores"
    status, body, _ = owner.get("/get_report/latest")
    assert (status, body["error"]) == (
        403,
        "the latest report (every store) is for administrators only",
    )
    status, body, _ = owner.get("/reports")
    assert (status, body["error"]) == (403, "the report list is for administrators only")
    status, body, _ = owner.get(f"/get_report/{reports['admins 1001']}")
    assert status == 403 and "not yours" in body["error"]


def test_an_owners_report_records_who_asked(stack, world):
    callers, reports = world
    item = boto3.client("dynamodb").get_item(
        TableName=stack["table"], Key={"report_id": {"S": reports["owners"]}}
    )["Item"]
    record = {k: TypeDeserializer().deserialize(v) for k, v in item.items()}
    assert record["requested_by_name"] == "olivia"
    assert record["requested_by"] != ""
    assert record["request"]["store_ids"] == ["1001"]
    admins = boto3.client("dynamodb").get_item(
        TableName=stack["table"], Key={"report_id": {"S": reports["admins 1001"]}}
    )["Item"]
    assert admins["requested_by_name"] == {"S": "admin"}
    status, body, _ = callers["owner"].get(f"/get_report/{reports['owners']}")
    assert status == 200 and body["status"] == "Complete" and body["report_url"]


def test_an_owner_who_loses_a_store_loses_its_reports(world, api):
    _, reports = world
    # olivia is moved from store 1001 to store 1002: her next token says so
    olivia = api.as_user("olivia", stores=("1002",))
    status, body, _ = olivia.get(f"/get_report/{reports['owners']}")
    assert status == 403, body
    assert olivia.get("/store_summary", query={"store_id": "1001"}).status == 403
    assert olivia.get("/store_summary", query={"store_id": "1002"}).status == 200
