"""Store shards on the local stack at full scale (issue 18): with STOREMON_SHARD_POLLS=100000
the refresh of the generated full-scale inputs (14,092 stores, a week: about 1.8 M polls)
is split into at least 8 shards, run as concurrent worker invocations by the stack's SQS
pollers (as Lambda's event source runs them), and assembled into the one-worker report CSV."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from storemon_dev.local.stack import LocalStack

from . import isolated

pytestmark = pytest.mark.slow
FULL_SCALE = 14_092
TIMEOUT = 600.0
NAMES = {"status": "store_status.csv", "hours": "menu_hours.csv", "timezones": "timezones.csv"}


def test_full_scale_report_in_shards_equals_one_worker(tmp_path: Path):
    if not isolated.inside():
        isolated.run(f"{__file__}::test_full_scale_report_in_shards_equals_one_worker")
        return
    from storemon.report.pipeline import report_from_csv_bytes
    from storemon.report.result import report_to_csv
    from storemon_dev.generate.dataset import generate_csv_bytes

    data = generate_csv_bytes(stores=FULL_SCALE, days=7, seed=0)
    expected = report_to_csv(
        report_from_csv_bytes(data["status"], data["hours"], data["timezones"]).report
    )
    parameters = {"ShardPolls": 100_000, "RefreshQuietSeconds": 0}
    with LocalStack(parameters=parameters) as stack:
        stack.start(seed=False)
        pollers = stack.start_event_sources()
        assert sum(1 for p in pollers if p.name.startswith("WorkerFunction/")) >= 2
        s3, ddb = stack.client("s3"), stack.client("dynamodb")
        table = stack.resources["env"]["TABLE_NAME"]
        for kind, name in NAMES.items():
            s3.put_object(Bucket=stack.bucket, Key=f"input/{name}", Body=data[kind])
        item = wait_for_latest(ddb, table)
        total = int(item["shards_total"]["N"])
        assert total >= 8  # ⌈1.8 M polls / 100,000⌉ = 19
        assert len(item["shards_done"]["NS"]) == total
        key = item["result"]["M"]["report"]["S"]
        got = s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read().decode()
    assert got == expected


def wait_for_latest(ddb, table: str) -> dict:
    """The record ``latest`` names once it names a complete one."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        failed = [
            item.get("error", {}).get("S")
            for item in ddb.scan(TableName=table)["Items"]
            if item.get("status", {}).get("S") == "Failed"
        ]
        assert not failed, failed
        pointer = ddb.get_item(
            TableName=table, Key={"report_id": {"S": "latest"}}, ConsistentRead=True
        ).get("Item")
        if pointer and "target_id" in pointer:
            key = {"report_id": pointer["target_id"]}
            return ddb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
        time.sleep(0.5)
    raise AssertionError("latest never named a report")


def test_shards_in_a_pool_of_worker_containers_equal_one_worker(tmp_path: Path):
    """The worker in processes of its own (a pool of 2, one per poller, as the alerts bench
    runs it): the shards run in both, each with its own warm state, and assemble into the
    one-worker report CSV (500 stores, a week, shards of about 10,000 polls)."""
    if not isolated.inside():
        isolated.run(f"{__file__}::test_shards_in_a_pool_of_worker_containers_equal_one_worker")
        return
    from storemon.report.pipeline import report_from_csv_bytes
    from storemon.report.result import report_to_csv
    from storemon_dev.generate.dataset import generate_csv_bytes

    data = generate_csv_bytes(stores=500, days=7, seed=1)
    expected = report_to_csv(
        report_from_csv_bytes(data["status"], data["hours"], data["timezones"]).report
    )
    parameters = {"ShardPolls": 10_000, "RefreshQuietSeconds": 0}
    with LocalStack(parameters=parameters, containers=("WorkerFunction",)) as stack:
        stack.start(seed=False)
        stack.start_event_sources()
        worker = stack.function("WorkerFunction")
        s3, ddb = stack.client("s3"), stack.client("dynamodb")
        table = stack.resources["env"]["TABLE_NAME"]
        for kind, name in NAMES.items():
            s3.put_object(Bucket=stack.bucket, Key=f"input/{name}", Body=data[kind])
        item = wait_for_latest(ddb, table)
        total = int(item["shards_total"]["N"])
        assert total >= 4
        assert len(item["shards_done"]["NS"]) == total
        key = item["result"]["M"]["report"]["S"]
        got = s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read().decode()
        assert len(worker.processes) == 2  # the shards' invocations overlapped
    assert got == expected
