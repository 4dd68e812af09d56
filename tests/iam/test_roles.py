"""The IAM check end to end: the template's roles resolved, a whole flow of the service recorded
(uploads, the refresh, every route, a report of one store), every call allowed by its own
function's role, each role's statements exercised, and one permission taken out of a copy of
the template making the check fail with the call it would break."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from storemon.service import aws, records
from storemon.service.cache import clear_caches
from storemon.service.settings import Settings
from storemon_dev.iam.calls import Call, Recorder
from storemon_dev.iam.policy import Request
from storemon_dev.iam.roles import RoleBook, violations
from storemon_dev.local.resources import load_template
from tests.harness import TEMPLATE
from tests.service.helpers import put_inputs

# the functions of the report flow (the alerts' functions have their own flow test:
# tests/alerts/test_alert_flow.py)
FUNCTIONS = {"TriggerFunction", "WorkerFunction", "GetReportFunction"}
EVERY_FUNCTION = FUNCTIONS | {"SubscriptionsFunction", "DeliveryFunction"}


def test_every_function_has_its_own_role_resolved():
    book = RoleBook.load(TEMPLATE)
    assert set(book.roles) == EVERY_FUNCTION
    assert {r.name for r in book.roles.values()} == {
        "TriggerRole",
        "WorkerRole",
        "GetReportRole",
        "SubscriptionsRole",
        "DeliveryRole",
    }
    worker = book.roles["WorkerFunction"].policies[0]["Statement"]
    [reads] = [s for s in worker if s["Sid"] == "ReadInputs"]
    assert reads["Resource"] == "arn:aws:s3:::storemon-data/input/*"
    # the log groups are not created locally: their ARN is a placeholder no call matches
    [logs] = [s for s in worker if s["Sid"] == "OwnLogs"]
    assert logs["Resource"].startswith("arn:unresolved:")


def test_roles_resolve_against_the_created_resources(stack):
    book = RoleBook.load(TEMPLATE, stack)
    [queue] = [
        s for s in book.roles["TriggerFunction"].policies[0]["Statement"] if s["Sid"] == "QueueJobs"
    ]
    assert queue["Resource"] == stack["queue_arn"]
    assert book.table_hash_keys() == {
        stack["table"]: "report_id",
        stack["alerts_table"]: "alert_key",
        stack["subscriptions_table"]: "subscription_id",
    }


@pytest.fixture
def recorded(live_stack, worker_queue) -> Iterator[Recorder]:
    """The calls of the functions in this test, recorded apart from the suite's own check (the
    SQS event source's polls as the worker's, whose role they use on AWS)."""
    recorder = Recorder()
    recorder.attach(worker_queue.source.sqs, "WorkerFunction")
    remove = aws.add_client_hook(recorder.attach)
    aws.reset()
    yield recorder
    remove()
    aws.reset()


def _whole_flow(live_stack: dict, api, worker_queue) -> None:
    """Uploads, the refresh (the first report of an input set: its snapshot is missing), every
    route as an administrator and an owner, reports of one store from the snapshot."""
    bucket = live_stack["bucket"]
    put_inputs(bucket)
    worker_queue.drain()
    status, body, _ = api.get("/get_report/latest")
    assert (status, body["status"]) == (200, "Complete"), body
    full = body["report_id"]
    owner = api.as_user("olivia", stores=("1001",))
    status, body, _ = owner.post("/trigger_report", json={"store_ids": ["1001"]})
    assert status == 202
    mine = body["report_id"]
    worker_queue.drain()
    clear_caches()  # in one process the worker's loaded snapshot would serve the API
    for client, path in [
        (api, f"/get_report/{full}?format=csv"),
        (api, "/reports"),
        (api, "/store_summary?store_id=1001"),
        (api, "/stores/1001/report"),
        (api, "/stores/1001/incidents"),
        (owner, f"/get_report/{mine}"),
        (owner, "/stores/1001/report?as_of=2023-01-23 11:00:00"),
    ]:
        status, body, _ = client.get(path)
        assert status in (200, 303), (path, status, body)


@pytest.fixture
def flow_calls(live_stack, api, worker_queue, recorded) -> list[Call]:
    """The calls of the functions in :func:`_whole_flow`."""
    _whole_flow(live_stack, api, worker_queue)
    return recorded.take()


def test_a_whole_flow_stays_within_every_role(live_stack, flow_calls):
    calls = flow_calls
    assert {c.function for c in calls} == FUNCTIONS
    book = RoleBook.load(TEMPLATE, live_stack)
    assert violations(book, calls) == []
    # the first report of the input set read a snapshot that did not exist yet: a 404 on AWS
    # only thanks to the worker's s3:ListBucket on snapshots/*
    missing = [c for c in calls if c.missing and c.function == "WorkerFunction"]
    assert any(c.params["Key"].startswith("snapshots/") for c in missing)
    # the refresh's per-store files are written from a small thread pool: still the worker's
    worker = [c for c in calls if c.function == "WorkerFunction"]
    written = {c.params["Key"].rsplit("/", 1)[-1] for c in worker if c.operation == "PutObject"}
    assert {"status.json", "stores.json", "incidents.json", "incidents.csv"} <= written
    used = _statements_used(book, calls)
    for function, sids in {
        "TriggerFunction": {"QueueJobs", "ReportRecords", "ListInputs", "HeadInputs"},
        "WorkerFunction": {
            "EventSource",
            "ReportRecords",
            "ListInputs",
            "TellMissingSnapshots",
            "ReadInputs",
            "WriteReports",
            "Snapshots",
        },
        "GetReportFunction": {"ReadRecords", "ListRecentReports", "ReadReports", "ReadSnapshots"},
    }.items():
        assert sids <= used[function], (function, sids - used[function])


def _statements_used(book: RoleBook, calls: list[Call]) -> dict[str, set[str]]:
    from storemon_dev.iam.calls import requests_of
    from storemon_dev.iam.policy import evaluate

    used: dict[str, set[str]] = {f: set() for f in FUNCTIONS}
    for call in calls:
        for needed in requests_of(call, book.table_hash_keys()):
            context = {"aws:SecureTransport": "true", **needed.request.context}
            request = Request(needed.request.action, needed.request.resource, context)
            decision = evaluate(book.roles[call.function].policies, request)
            used[call.function] |= set(decision.statements)
    return used


def _without(tmp_path: Path, role: str, sid: str) -> Path:
    """A copy of template.yaml whose `role` lacks the statement `sid`."""
    text = TEMPLATE.read_text()
    data = load_template(TEMPLATE)
    statements = data["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert any(s["Sid"] == sid for s in statements), sid
    kept_lines = _drop_statement(text, role, sid)
    path = tmp_path / "template.yaml"
    path.write_text(kept_lines)
    return path


def _drop_statement(text: str, role: str, sid: str) -> str:
    """The template's text without one statement (its `- Sid:` item, up to the next item)."""
    lines = text.splitlines(keepends=True)
    start_role = next(i for i, line in enumerate(lines) if line.startswith(f"  {role}:"))
    start = next(i for i in range(start_role, len(lines)) if lines[i].strip() == f"- Sid: {sid}")
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines):
        line = lines[end]
        stripped = line.lstrip()
        if stripped and (
            len(line) - len(stripped) < indent
            or (len(line) - len(stripped) == indent and stripped.startswith("- "))
        ):
            break
        end += 1
    return "".join(lines[:start] + lines[end:])


# a needed statement of each kind; the check must name exactly these actions without it
NEEDED_STATEMENTS = [
    ("WorkerRole", "TellMissingSnapshots", {"s3:ListBucket"}),  # finding 1: 403 on AWS
    ("WorkerRole", "ReadInputs", {"s3:GetObject", "s3:GetObjectVersion"}),
    # the upload's refresh is computed by the invocation that received its notification: this
    # flow's worker sends no message (its sqs:SendMessage serves quiet-period checks and
    # alert evaluations)
    ("WorkerRole", "EventSource", {"sqs:ReceiveMessage", "sqs:DeleteMessage"}),
    ("TriggerRole", "QueueJobs", {"sqs:SendMessage"}),
    ("GetReportRole", "ReadReports", {"s3:GetObject"}),
    ("GetReportRole", "ListRecentReports", {"dynamodb:Query"}),
]


def test_removing_a_needed_permission_fails_the_check(tmp_path, live_stack, flow_calls):
    """Each statement of NEEDED_STATEMENTS removed in turn from the template, against the calls
    of one whole flow (the flow is the same for every case: run once)."""
    calls = flow_calls
    assert violations(RoleBook.load(TEMPLATE, live_stack), calls) == []
    for role, sid, actions in NEEDED_STATEMENTS:
        case_dir = tmp_path / f"{role}-{sid}"
        case_dir.mkdir()
        found = violations(RoleBook.load(_without(case_dir, role, sid), live_stack), calls)
        assert found, f"{role} without {sid}: the check saw nothing wrong"
        assert {v.request.action for v in found} == actions, (role, sid, [str(v) for v in found])
        assert all(f"{role} does not allow it" in str(v) for v in found), (role, sid)


@pytest.mark.parametrize(
    ("function", "key", "when_missing"),
    [
        ("WorkerFunction", "snapshots/x/snapshot.bin", "404"),
        ("WorkerFunction", "input/store_status.csv", "404"),
        ("TriggerFunction", "input/store_status.csv", "404"),
        ("GetReportFunction", "snapshots/x/snapshot.bin", "404"),
        ("GetReportFunction", "reports/x/stores.json", "404"),
    ],
)
def test_the_s3_rule_for_missing_keys_is_part_of_the_check(live_stack, function, key, when_missing):
    """A GET of a key that does not exist needs s3:ListBucket on that key, else S3 says 403."""
    book = RoleBook.load(TEMPLATE, live_stack)
    call = Call(function, "s3", "GetObject", {"Bucket": live_stack["bucket"], "Key": key}, "r")
    assert violations(book, [call]) == []
    missing = violations(book, [replace(call, error_code="NoSuchKey")])
    assert ("404" if not missing else "403") == when_missing, [str(v) for v in missing]


def test_a_readable_key_that_is_not_listable_reads_as_403_when_missing(tmp_path, live_stack):
    book = RoleBook.load(_without(tmp_path, "WorkerRole", "TellMissingSnapshots"), live_stack)
    call = Call(
        "WorkerFunction",
        "s3",
        "GetObject",
        {"Bucket": live_stack["bucket"], "Key": "snapshots/x/snapshot.bin"},
        "us-east-1",
    )
    assert violations(book, [call]) == []  # the snapshot exists: it is read
    [violation] = violations(book, [replace(call, error_code="NoSuchKey")])
    assert violation.request == Request(
        "s3:ListBucket",
        f"arn:aws:s3:::{live_stack['bucket']}",
        {"s3:prefix": "snapshots/x/snapshot.bin"},
    )
    assert "403 AccessDenied, not 404" in str(violation)


def test_a_sharded_report_stays_within_the_worker_role(
    tmp_path, live_stack, worker_queue, recorded, monkeypatch
):
    """Store shards (issue 18): the fan-out (the plan and inputs written, the shard messages
    sent on the worker's own queue), the shards (inputs read, outputs written, the done set's
    conditional ADD) and the assembly (outputs read): all within the worker's role, and the
    shards' reads only thanks to ReportShards."""
    monkeypatch.setenv("STOREMON_SHARD_POLLS", "2")  # the worked example's 5 polls: 3 shards
    put_inputs(live_stack["bucket"])
    worker_queue.drain()
    calls = recorded.take()
    latest = records.get(Settings.from_env(), "latest")
    assert latest is not None
    done = records.get(Settings.from_env(), latest["target_id"])
    assert done is not None and done["shards_total"] == 3
    assert done["result"]["page"] and not done.get("page_pending")  # the refresh's page too
    book = RoleBook.load(TEMPLATE, live_stack)
    assert violations(book, calls) == []
    worker = [c for c in calls if c.function == "WorkerFunction"]
    shard_reads = [
        c for c in worker if c.operation == "GetObject" and "/shards/" in c.params.get("Key", "")
    ]
    assert len(shard_reads) == 1 + 3 + 3  # the plan, 3 inputs, 3 outputs
    assert any(c.operation == "SendMessageBatch" for c in worker)
    assert "ReportShards" in _statements_used(book, calls)["WorkerFunction"]
    without = RoleBook.load(_without(tmp_path, "WorkerRole", "ReportShards"), live_stack)
    assert {v.request.action for v in violations(without, calls)} == {"s3:GetObject"}
