"""What a cold start loads (what it costs is `make bench`'s, never a test's).

Each handler is imported in a fresh process as Lambda imports it: the layer's package on the
path, ``LAMBDA_TASK_ROOT`` set (so Powertools would trace), the template's Powertools
variables, tracing switched off by ``POWERTOOLS_TRACE_DISABLED`` (the template's ``TraceDisabled``
parameter). None of them loads pandas, NumPy, the X-Ray SDK's recorder or pydantic then (the
HTTP functions check requests by hand, storemon.service.request_rules; pydantic builds the
OpenAPI document only); get_report loads none of them after answering every route that
computes nothing (all but ``GET /stores/{id}/report``), nor does any HTTP function refusing a
request (a 400 of each kind).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from storemon.service import request_rules as rules
from storemon.service.observability import tracing_enabled
from tests.harness import ApiClient, handler_invoker
from tests.service.helpers import put_inputs

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "numpy", "aws_xray_sdk.core", "pydantic")


def lambda_environment(function: str, *, tracing: bool) -> dict[str, str]:
    """The process environment of a cold Lambda of ``function`` (no AWS needed to import)."""
    return {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("layers/common", "dev")),
        "LAMBDA_TASK_ROOT": str(ROOT / "functions" / function),
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "storemon",
        "POWERTOOLS_METRICS_NAMESPACE": "storemon",
        "POWERTOOLS_TRACE_DISABLED": "false" if tracing else "true",
    }


def run_fresh(code: str, env: dict[str, str], *args: str, stdin: str | None = None) -> dict:
    """Run ``code`` in a fresh interpreter; the JSON it prints last."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        input=stdin,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


HEAVY_LOADED = f"[m for m in {HEAVY!r} if m in sys.modules]"
IMPORT_HANDLER = f"""
import json, sys
from storemon_dev.handlers import load_app
load_app(sys.argv[1])
tracer = sys.modules["storemon.service.observability"].tracer
provider = type(tracer.provider)
print(json.dumps({{
    "loaded": {HEAVY_LOADED},
    "provider": provider.__module__ + "." + provider.__name__,
    "disabled": bool(tracer.disabled),
}}))
"""


@pytest.mark.parametrize(
    "function", ["trigger", "get_report", "worker", "subscriptions", "delivery"]
)
def test_a_cold_start_loads_no_pandas_numpy_xray_recorder_or_pydantic(function):
    found = run_fresh(IMPORT_HANDLER, lambda_environment(function, tracing=False), function)
    assert found["loaded"] == []
    assert found["provider"] == "storemon.service.observability.NoTracing"
    assert found["disabled"] is True


def test_with_tracing_on_the_tracer_is_x_rays():
    found = run_fresh(IMPORT_HANDLER, lambda_environment("trigger", tracing=True), "trigger")
    assert found["loaded"] == ["aws_xray_sdk.core"]
    assert found["provider"].startswith("aws_xray_sdk.core.")
    assert found["disabled"] is False


@pytest.mark.parametrize(
    ("environ", "enabled"),
    [
        ({"LAMBDA_TASK_ROOT": "/var/task"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "false"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "1"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "AWS_SAM_LOCAL": "true"}, False),
        ({}, False),  # not on Lambda: no daemon to send traces to
    ],
)
def test_tracing_is_on_only_on_lambda_and_not_switched_off(environ, enabled):
    assert tracing_enabled(environ) is enabled


def test_the_report_path_parses_before_it_needs_pandas():
    """The storemon command and the worker parse the files while pandas loads on a thread
    (storemon.report.preload): the parser itself must not import it."""
    code = (
        "import json, sys\n"
        "import storemon.inputs.parse, storemon.report.preload, storemon_dev.cli\n"
        "print(json.dumps([m for m in ('pandas',) if m in sys.modules]))\n"
    )
    assert run_fresh(code, lambda_environment("worker", tracing=False)) == []


REFUSE = f"""
import json, sys
from storemon_dev.handlers import load_app

class Context:
    function_name = "api"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:api"
    aws_request_id = "cold-start-test"

answers = []
for function, event in json.load(sys.stdin):
    out = load_app(function).lambda_handler(event, Context())
    answers.append([out["statusCode"], json.loads(out["body"])["error"]])
print(json.dumps({{"answers": answers, "loaded": {HEAVY_LOADED}}}))
"""


def http_event(method: str, path: str, query: str = "", body: str | None = None) -> dict:
    """An HTTP API (v2) event of a verified caller of no group: each of these is refused
    before what the caller may see is asked."""
    params = dict(pair.split("=", 1) for pair in query.split("&")) if query else None
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": "api.local", "content-type": "application/json"},
        "queryStringParameters": params,
        "requestContext": {
            "http": {"method": method, "path": path},
            "stage": "$default",
            "authorizer": {"jwt": {"claims": {"sub": "caller-1"}}},
        },
        "body": body,
        "isBase64Encoded": False,
    }


def test_refusing_requests_loads_no_pydantic():
    """A 400 of each kind (a body's field, a path's and a query's parameter, an unknown query
    name), answered by a fresh process of each HTTP function, with the messages the pydantic
    models and Powertools' validation gave."""
    requests = [
        ("trigger", http_event("POST", "/trigger_report", body='{"store_ids": ["1", 7]}')),
        ("trigger", http_event("GET", "/stores/1001/trigger_report", "as_of=yesterday")),
        ("get_report", http_event("POST", "/get_report", body='{"format": "xml"}')),
        ("get_report", http_event("GET", "/reports", "limit=0")),
        ("get_report", http_event("GET", "/stores/1001/status", "colour=red")),
        ("subscriptions", http_event("POST", "/subscriptions", body='{"url": "ftp://x"}')),
        ("subscriptions", http_event("DELETE", "/subscriptions/nope")),
    ]
    env = {
        **lambda_environment("trigger", tracing=False),
        "TABLE_NAME": "reports",
        "BUCKET_NAME": "inputs",
        "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/jobs",
    }
    found = run_fresh(REFUSE, env, stdin=json.dumps(requests))
    assert found["loaded"] == []
    assert found["answers"] == [
        [400, "store_ids[1]: Input should be a valid string"],
        [400, f"query.as_of: {rules.AS_OF_RULE}"],
        [
            400,
            "report_id: Field required; format: Input should be 'json', 'csv' or 'html'",
        ],
        [400, "query.limit: Input should be greater than or equal to 1"],
        [400, "unknown query parameter(s): colour; allowed: none"],
        [400, "url: " + rules.PATTERN_MESSAGES[rules.WEBHOOK_URL_PATTERN]],
        [400, "path.subscription_id: is a malformed subscription id: expected a uuid4"],
    ]


REPLAY = f"""
import json, sys
from storemon_dev.handlers import load_app

class Context:
    function_name = "get_report"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:get_report"
    aws_request_id = "cold-start-test"

    @staticmethod
    def get_remaining_time_in_millis():
        return 30000

app = load_app("get_report")
events = json.load(sys.stdin)
statuses = [app.lambda_handler(event, Context())["statusCode"] for event in events]
print(json.dumps({{"statuses": statuses, "loaded": {HEAVY_LOADED}}}))
"""


@pytest.mark.slow
def test_get_report_answers_what_it_does_not_compute_without_pandas(
    live_stack, worker_queue, template, apps, user_pool_auth
):
    put_inputs(live_stack["bucket"])  # the uploads make latest: a full report with its files
    assert not any(outcome.failed for outcome in worker_queue.drain())
    events: list[dict] = []
    invoke = handler_invoker(template, apps)

    def recording(function: str, event: dict) -> dict:
        if function == "GetReportFunction":
            events.append(event)
        return invoke(function, event)

    client = ApiClient(template, recording, user_pool_auth)
    client = client.with_token(client.token("admin", admin=True))
    status, latest, _ = client.get("/get_report/latest")
    assert status == 200 and latest["status"] == "Complete"
    rid = latest["report_id"]
    answers = [
        client.get("/get_report", query={"report_id": rid}),
        client.post("/get_report", {"report_id": rid}),
        client.get("/store_summary", query={"store_id": "1001"}),
        client.get("/reports"),
        client.get("/stores/1001/incidents"),
    ]
    assert [answer.status for answer in answers] == [200] * 5
    env = {**os.environ, **lambda_environment("get_report", tracing=False)}
    replayed = run_fresh(REPLAY, env, stdin=json.dumps(events))
    assert replayed == {"statuses": [200] * 6, "loaded": []}
