"""Issue 17, finding 1: S3 answers a GET of a missing key 403 AccessDenied, not 404, when the
caller may not s3:ListBucket it. These tests run the functions under AWS's IAM answers
(``iam_enforced``, tests/iam_check.py): the template's roles, S3's rule included, in front of
moto, which by itself would answer 404."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from storemon.service.cache import clear_caches
from tests.iam.test_roles import _without
from tests.service.helpers import put_inputs


def _refresh(live_stack: dict, worker_queue) -> dict:
    put_inputs(live_stack["bucket"])
    worker_queue.drain()
    table = boto3.resource("dynamodb").Table(live_stack["table"])
    latest = table.get_item(Key={"report_id": "latest"}).get("Item")
    reports = table.scan()["Items"]
    return {"latest": latest, "reports": [r for r in reports if r.get("listing") == "report"]}


def _snapshot_keys(bucket: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix="snapshots/")
    return [o["Key"] for o in listed.get("Contents", [])]


def test_the_first_report_of_an_input_set_completes_under_s3s_rule(
    live_stack, worker_queue, iam_enforced
):
    """It reads the snapshot of its input set, which does not exist yet: with the worker's
    s3:ListBucket on snapshots/* S3 says 404 and the report reads the CSV files, writes the
    snapshot and moves latest (before: 403, retried, "gave up after 3 attempts")."""
    enforcer = iam_enforced()
    state = _refresh(live_stack, worker_queue)
    [report] = state["reports"]
    assert report["status"] == "Complete", report.get("error")
    assert report["source"] == "csv"
    assert state["latest"]["target_id"] == report["report_id"]
    assert len(_snapshot_keys(live_stack["bucket"])) == 1
    assert enforcer.denied == []


def test_a_snapshot_read_as_forbidden_falls_back_to_the_csv_files(
    tmp_path: Path, live_stack, worker_queue, iam_enforced
):
    """Without that permission the 403 is not retried as a transient error: the report is
    computed from the CSV files (and says why in the log)."""
    enforcer = iam_enforced(_without(tmp_path, "WorkerRole", "TellMissingSnapshots"))
    state = _refresh(live_stack, worker_queue)
    [report] = state["reports"]
    assert report["status"] == "Complete", report.get("error")
    assert report["source"] == "csv"
    assert [v.request.action for v in enforcer.denied] == ["s3:ListBucket"]
    assert state["latest"]["target_id"] == report["report_id"]


def test_an_input_the_worker_may_not_read_fails_the_report_at_once(
    tmp_path: Path, stack, api, worker_queue, iam_enforced
):
    put_inputs(stack["bucket"])
    iam_enforced(_without(tmp_path, "WorkerRole", "ReadInputs"))
    status, body, _ = api.post("/trigger_report", json={"store_ids": ["1001"]})
    assert status == 202
    worker_queue.drain()
    status, report, _ = api.get(f"/get_report/{body['report_id']}")
    assert report["status"] == "Failed"
    assert report["error"].startswith("store_status.csv: s3://")
    assert "access denied (403)" in report["error"]
    assert "gave up" not in report["error"]  # failed at once, not retried as transient
    assert len(worker_queue.outcomes) == 1


@pytest.mark.slow
def test_store_report_never_answers_500_when_the_snapshot_is_missing(
    live_stack, api, worker_queue, iam_enforced
):
    """The snapshot of latest's inputs expired (lifecycle) or was never written: the
    get_report role can tell it is missing (before: 403, a 500), asks the worker to build it
    (503 with Retry-After), and answers from it once built."""
    enforcer = iam_enforced()
    _refresh(live_stack, worker_queue)
    s3 = boto3.client("s3")
    for key in _snapshot_keys(live_stack["bucket"]):
        s3.delete_object(Bucket=live_stack["bucket"], Key=key)
    clear_caches()
    status, body, headers = api.get("/stores/1001/report")
    assert (status, headers.get("retry-after")) == (503, "60"), body
    worker_queue.drain()
    assert api.get("/stores/1001/report")[0] == 200
    assert enforcer.denied == []
