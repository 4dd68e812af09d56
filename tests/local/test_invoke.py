"""`storemon invoke FUNCTION --event FILE`: one handler on the embedded stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import CHECKOUT_PATH, ROOT

pytestmark = pytest.mark.slow

GET_LATEST = {
    "version": "2.0",
    "routeKey": "GET /get_report/{report_id}",
    "rawPath": "/get_report/latest",
    "rawQueryString": "",
    "headers": {"host": "localhost", "accept": "application/json"},
    "pathParameters": {"report_id": "latest"},
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "local",
        "domainName": "localhost",
        "http": {
            "method": "GET",
            "path": "/get_report/latest",
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": "test",
        },
        "requestId": "r1",
        "routeKey": "GET /get_report/{report_id}",
        "stage": "$default",
        "time": "23/Jan/2023:12:00:00 +0000",
        "timeEpoch": 1674475200000,
        # what API Gateway's JWT authorizer passes for an administrator's access token
        "authorizer": {"jwt": {"claims": {"sub": "s-1", "cognito:groups": "[admin]"}}},
    },
    "isBase64Encoded": False,
}


def run_invoke(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (CHECKOUT_PATH, env.get("PYTHONPATH")) if p)
    return subprocess.run(
        [sys.executable, "-m", "storemon_dev.cli", "invoke", *args],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_invoke_prints_only_the_response_on_stdout(tmp_path):
    event = tmp_path / "get_latest.json"
    event.write_text(json.dumps(GET_LATEST))
    done = run_invoke("get_report", "--event", str(event))
    assert done.returncode == 0, done.stderr
    response = json.loads(done.stdout)  # the handler's logs went to stderr
    assert response["statusCode"] == 404  # no refresh has finished in a fresh stack
    assert json.loads(response["body"])["error"]


def test_invoke_a_project_event_by_logical_id():
    event = ROOT / "events" / "trigger_report.json"
    if not event.is_file():
        pytest.skip("events/trigger_report.json is not there")
    done = run_invoke("TriggerFunction", "--event", str(event))
    assert done.returncode == 0, done.stderr
    response = json.loads(done.stdout)
    assert response["statusCode"] == 202 and "report_id" in json.loads(response["body"])


def test_invoke_errors(tmp_path):
    event = tmp_path / "e.json"
    event.write_text("{}")
    done = run_invoke("no_such_function", "--event", str(event))
    assert done.returncode == 2 and "no function 'no_such_function'" in done.stderr
    done = run_invoke("trigger", "--event", str(tmp_path / "missing.json"))
    assert done.returncode == 2 and "cannot read the event" in done.stderr
