"""Issue 17, finding 9: roles a little too wide. TriggerRole could UpdateItem any key of the
table (the "latest" pointer included) and GetReportRole the "uploads" item; presigned URLs could
last 12 hours. Now: both API roles write report records only (uuid-shaped keys), and a URL
lasts at most an hour unless the operator sets UrlExpiryOverrideSeconds."""

from __future__ import annotations

import pytest

from storemon.errors import ConfigurationError
from storemon.service.settings import Settings
from storemon_dev.iam.calls import Call
from storemon_dev.iam.roles import RoleBook, violations
from storemon_dev.local.resources import load_template
from tests.harness import TEMPLATE

REPORT_ID = "3f1c2b9e-8d4a-4c55-9e2f-0b6a7d1e5c42"
BASE = {"TABLE_NAME": "t", "BUCKET_NAME": "b", "QUEUE_URL": "q"}


def _update(function: str, key: str, table: str, operation: str = "UpdateItem") -> Call:
    params = {"TableName": table, "Key": {"report_id": {"S": key}}}
    if operation == "PutItem":
        params = {"TableName": table, "Item": {"report_id": {"S": key}}}
    return Call(function, "dynamodb", operation, params, "us-east-1")


@pytest.mark.shared_stack
@pytest.mark.parametrize(
    ("function", "operation", "key", "allowed"),
    [
        ("TriggerFunction", "PutItem", REPORT_ID, True),
        ("TriggerFunction", "UpdateItem", REPORT_ID, True),  # a report it could not queue
        ("TriggerFunction", "UpdateItem", "latest", False),
        ("TriggerFunction", "PutItem", "latest", False),
        ("TriggerFunction", "UpdateItem", "uploads", False),
        ("GetReportFunction", "UpdateItem", REPORT_ID, True),  # a stale report recorded Failed
        ("GetReportFunction", "UpdateItem", "latest", False),
        ("GetReportFunction", "UpdateItem", "uploads", False),
        ("WorkerFunction", "UpdateItem", "latest", True),  # only the worker moves them
        ("WorkerFunction", "UpdateItem", "uploads", True),
    ],
)
def test_only_the_worker_writes_the_pointer_items(stack, function, operation, key, allowed):
    book = RoleBook.load(TEMPLATE, stack)
    found = violations(book, [_update(function, key, stack["table"], operation)])
    assert (found == []) is allowed, [str(v) for v in found]


def test_presigned_urls_last_an_hour_at_most_by_default():
    template = load_template(TEMPLATE)
    expiry = template["Parameters"]["UrlExpirySeconds"]
    assert (expiry["Default"], expiry["MaxValue"]) == (3600, 3600)
    override = template["Parameters"]["UrlExpiryOverrideSeconds"]
    assert (override["Default"], override["MaxValue"]) == (0, 43200)
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["URL_EXPIRY_OVERRIDE_SECONDS"] == {"Ref": "UrlExpiryOverrideSeconds"}


@pytest.mark.parametrize(
    ("env", "seconds"),
    [
        ({}, 3600),
        ({"URL_EXPIRY_SECONDS": "600"}, 600),
        ({"URL_EXPIRY_SECONDS": "600", "URL_EXPIRY_OVERRIDE_SECONDS": "0"}, 600),
        ({"URL_EXPIRY_SECONDS": "600", "URL_EXPIRY_OVERRIDE_SECONDS": "43200"}, 43200),
    ],
)
def test_the_url_lifetime_setting(env, seconds):
    assert Settings.from_env(BASE | env).url_expiry_seconds == seconds


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"URL_EXPIRY_SECONDS": "7200"}, "URL_EXPIRY_SECONDS must be from 60 to 3600"),
        ({"URL_EXPIRY_SECONDS": "59"}, "URL_EXPIRY_SECONDS must be from 60 to 3600"),
        ({"URL_EXPIRY_OVERRIDE_SECONDS": "43201"}, "from 0 to 43200"),
        ({"URL_EXPIRY_OVERRIDE_SECONDS": "30"}, "0 or from 60 to 43200"),
    ],
)
def test_a_longer_url_needs_the_override(env, message):
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env(BASE | env)


def test_get_report_presigns_for_the_configured_lifetime(stack, api, worker_queue, monkeypatch):
    from tests.service.helpers import put_inputs

    put_inputs(stack["bucket"])
    report_id = api.post("/trigger_report", json={"store_ids": ["1001"]})[1]["report_id"]
    worker_queue.drain()
    assert api.get(f"/get_report/{report_id}")[1]["url_expires_in"] == 3600
    monkeypatch.setenv("URL_EXPIRY_OVERRIDE_SECONDS", "7200")
    view = api.get(f"/get_report/{report_id}")[1]
    assert view["url_expires_in"] == 7200
    assert "X-Amz-Expires=7200" in view["report_url"]
