"""Store shards on the service (issue 18, docs/shards.md): a report of more polls than
STOREMON_SHARD_POLLS fanned out on the worker's queue, one invocation per shard, fanned in by
the record's done set; its files are byte for byte one worker's."""

from __future__ import annotations

import json
import re

import boto3
import pytest

from storemon.history import shard_work
from storemon.service import records, worker
from storemon.service.settings import Settings
from tests.service.helpers import put_inputs, s3_text

STORES, DAYS = 40, 3
# every store closed one morning, one store a whole day (SPEC §9): the `*` row in every shard
CLOSURES = (
    "store_id,start_local,end_local,reason\n"
    "*,2023-01-24 06:00,2023-01-24 11:00,maintenance\n"
    "{store},2023-01-23 00:00,2023-01-24 00:00,refit\n"
)


@pytest.fixture(scope="module")
def dataset() -> dict[str, bytes]:
    from storemon_dev.generate.dataset import generate_csv_bytes

    data = generate_csv_bytes(stores=STORES, days=DAYS, seed=7)
    store = data["status"].splitlines()[1].split(b",")[0].decode()
    return data | {"closures": CLOSURES.format(store=store).encode()}


def put_dataset(bucket: str, data: dict[str, bytes]) -> None:
    put_inputs(bucket, data["status"], data["hours"], data["timezones"])
    boto3.client("s3").put_object(Bucket=bucket, Key="input/closures.csv", Body=data["closures"])


def polls_in(data: dict[str, bytes]) -> int:
    return data["status"].count(b"\n") - 1


def trigger(api, body=None) -> str:
    status, out, _ = api.post("/trigger_report", body)
    assert status == 202, out
    return out["report_id"]


def files_of(bucket: str, report_id: str) -> dict[str, str]:
    """Every file of a finished report, its id and the summary's duration taken out."""
    record = records.get(Settings.from_env(), report_id)
    assert record is not None and record["status"] == "Complete", record
    out = {}
    for name, key in record["result"].items():
        if key is None:
            continue
        text = s3_text(bucket, key).replace(report_id, "<id>")
        if name == "summary":
            document = json.loads(text)
            document.pop("duration_seconds")
            text = json.dumps(document)
        if name == "page":  # the page shows the summary's duration (a measurement)
            text, count = re.subn(r'"duration_seconds":[0-9.]+', "<duration>", text)
            assert count == 1
        out[name] = text
    return out


def shard_env(monkeypatch, polls: int) -> None:
    monkeypatch.setenv("STOREMON_SHARD_POLLS", str(polls))


@pytest.mark.slow
def test_a_sharded_report_equals_one_worker(stack, api, worker_queue, monkeypatch, dataset):
    put_dataset(stack["bucket"], dataset)
    shard_env(monkeypatch, polls_in(dataset) // 5)  # 5 to 6 shards (from the CSV files)
    sharded = trigger(api)
    outcomes = worker_queue.drain()
    assert len(outcomes) >= 6
    body = api.get(f"/get_report/{sharded}")[1]
    assert body["status"] == "Complete" and body["source"] == "csv"
    total = body["shards"]["total"]
    assert 5 <= total <= 6 and body["shards"] == {"total": total, "done": total}
    shard_env(monkeypatch, 10**9)  # one worker (from the snapshot the fan-out wrote)
    one = trigger(api)
    worker_queue.drain()
    body = api.get(f"/get_report/{one}")[1]
    assert body["source"] == "snapshot" and body["shards"] == {"total": 1, "done": 1}
    expected = files_of(stack["bucket"], one)
    assert set(expected) == {
        "report",
        "summary",
        "page",
        "stores",
        "incidents",
        "incidents_json",
        "status_json",
    }
    assert files_of(stack["bucket"], sharded) == expected
    shard_env(monkeypatch, 50)  # from the snapshot, many small shards
    again = trigger(api)
    worker_queue.drain(limit=100)
    body = api.get(f"/get_report/{again}")[1]
    assert body["source"] == "snapshot" and body["shards"]["total"] > 20
    assert files_of(stack["bucket"], again) == expected


def test_the_summary_counts_the_closures_once(stack, api, worker_queue, monkeypatch, dataset):
    put_dataset(stack["bucket"], dataset)
    shard_env(monkeypatch, polls_in(dataset) // 4)
    report_id = trigger(api)
    worker_queue.drain()
    summary = api.get(f"/get_report/{report_id}")[1]["summary"]
    assert summary["files"]["closures"]["rows_read"] == 2  # not 2 per shard
    assert summary["files"]["store_status"]["rows_read"] == polls_in(dataset)


@pytest.fixture
def sharded_report(stack, api, worker_queue, monkeypatch, dataset) -> tuple[str, int]:
    """A full report fanned out into 4 shards (1,000 polls each at most), its shards queued
    and not yet run: (report id, shards)."""
    put_dataset(stack["bucket"], dataset)
    shard_env(monkeypatch, -(-polls_in(dataset) // 4))
    report_id = trigger(api)
    [outcome] = [worker_queue.poll_once()]  # the coordinator: fan-out
    assert outcome is not None and not outcome.failed
    record = records.get(Settings.from_env(), report_id)
    assert record is not None and record["shards_total"] == 4
    return report_id, 4


def shard_message(report_id: str, shard: int, total: int) -> str:
    return json.dumps({"kind": "shard", "report_id": report_id, "shard": shard, "total": total})


def failing_shard(monkeypatch, shard: int, times: int | None) -> list[int]:
    """Make shard `shard`'s computation raise `times` times (None: always); the attempts."""
    compute = shard_work.compute_shard
    attempts: list[int] = []

    def flaky(given):
        if given.shard == shard:
            attempts.append(shard)
            if times is None or len(attempts) <= times:
                raise RuntimeError("disk full")
        return compute(given)

    monkeypatch.setattr(shard_work, "compute_shard", flaky)
    return attempts


def test_a_shard_failing_once_succeeds_on_retry(
    stack, api, worker_queue, monkeypatch, sharded_report
):
    report_id, total = sharded_report
    attempts = failing_shard(monkeypatch, 2, times=1)
    outcomes = worker_queue.drain()
    assert attempts == [2, 2]  # failed, handed back, then done
    assert sum(1 for o in outcomes if o.failed) == 1
    body = api.get(f"/get_report/{report_id}")[1]
    assert body["status"] == "Complete" and body["shards"] == {"total": total, "done": total}
    shard_env(monkeypatch, 10**9)
    one = trigger(api)
    worker_queue.drain()
    assert files_of(stack["bucket"], report_id) == files_of(stack["bucket"], one)


def test_a_shard_failing_always_fails_the_report_naming_it(
    api, worker_queue, monkeypatch, sharded_report
):
    report_id, total = sharded_report
    attempts = failing_shard(monkeypatch, 1, times=None)
    worker_queue.drain()
    assert attempts == [1, 1, 1]  # MAX_RECEIVE_COUNT deliveries
    body = api.get(f"/get_report/{report_id}")[1]
    assert body["status"] == "Failed"
    # shard 1 of 4 owns buckets [64, 128): 64-127
    assert body["error"] == (
        "shard 1 of 4 (buckets 64-127): gave up after 3 attempts: RuntimeError: disk full"
    )
    # shard 0 ran first; the queue then redelivered shard 1 at once (the harness's
    # visibility 0) until it failed the report: shards 2 and 3, delivered after, did nothing
    assert body["shards"] == {"total": 4, "done": 1}


def test_a_duplicate_shard_delivery_counts_once(api, worker_queue, sharded_report):
    report_id, total = sharded_report
    settings = Settings.from_env()
    body = shard_message(report_id, 0, total)
    assert worker.handle_message(settings, body) == "shard-done:1/4"
    assert worker.handle_message(settings, body) == "duplicate"
    record = records.get(settings, report_id)
    assert record is not None and record["shards_done"] == [0]
    assert api.get(f"/get_report/{report_id}")[1]["shards"] == {"total": 4, "done": 1}
    outcomes = worker_queue.drain()  # the queued four, shard 0 among them again
    assert len(outcomes) == 4
    body = api.get(f"/get_report/{report_id}")[1]
    assert body["status"] == "Complete" and body["shards"] == {"total": 4, "done": 4}


def test_progress_while_running_and_complete(api, worker_queue, sharded_report):
    report_id, total = sharded_report
    assert api.get(f"/get_report/{report_id}")[1]["shards"] == {"total": 4, "done": 0}
    for done in (1, 2, 3):
        worker_queue.poll_once()
        body = api.get(f"/get_report/{report_id}")[1]
        assert (body["status"], body["shards"]) == ("Running", {"total": 4, "done": done})
    worker_queue.poll_once()  # the last shard assembles
    body = api.get(f"/get_report/{report_id}")[1]
    assert (body["status"], body["shards"]) == ("Complete", {"total": 4, "done": 4})
    assert worker_queue.poll_once() is None


def test_an_unsharded_report_is_one_shard(stack, api, worker_queue, dataset):
    put_dataset(stack["bucket"], dataset)
    report_id = trigger(api)
    assert api.get(f"/get_report/{report_id}")[1]["shards"] == {"total": 1, "done": 0}
    worker_queue.drain()
    assert api.get(f"/get_report/{report_id}")[1]["shards"] == {"total": 1, "done": 1}


@pytest.mark.slow
@pytest.mark.parametrize(
    "request_body",
    [
        {"as_of": "2023-01-24 12:00:00"},
        {"windows": ["day", "month"]},
        {"from": "2023-01-23 00:00:00", "to": "2023-01-25 00:00:00", "daily": True},
    ],
    ids=["as_of", "windows", "daily-range"],
)
def test_a_sharded_request_equals_one_worker(
    stack, api, worker_queue, monkeypatch, *, dataset, request_body
):
    """Not only full reports: some stores (one id unknown), as_of, §8's windows and a range
    day by day, sharded from the CSV files, equal one worker's from the snapshot."""
    put_dataset(stack["bucket"], dataset)
    ids = sorted({line.split(b",")[0].decode() for line in dataset["status"].splitlines()[1:]})
    body = {"store_ids": [*ids[::3], "no-such-store"], **request_body}
    shard_env(monkeypatch, polls_in(dataset) // 3)
    sharded = trigger(api, body)
    worker_queue.drain()
    assert api.get(f"/get_report/{sharded}")[1]["shards"]["total"] >= 3
    shard_env(monkeypatch, 10**9)
    one = trigger(api, body)
    worker_queue.drain()
    assert api.get(f"/get_report/{one}")[1]["shards"] == {"total": 1, "done": 1}
    expected = files_of(stack["bucket"], one)
    assert json.loads(expected["summary"])["store_ids_not_found"] == ["no-such-store"]
    assert files_of(stack["bucket"], sharded) == expected


def test_an_assembly_failing_always_fails_the_report_naming_it(
    api, worker_queue, monkeypatch, sharded_report
):
    report_id, total = sharded_report

    def broken(outputs, plan, started=None):
        raise MemoryError("out of memory")

    monkeypatch.setattr(shard_work, "assemble_outputs", broken)
    worker_queue.drain()
    body = api.get(f"/get_report/{report_id}")[1]
    assert body["status"] == "Failed"
    assert body["error"] == (
        "assembling the 4 shards: gave up after 3 attempts: MemoryError: out of memory"
    )
    assert body["shards"] == {"total": 4, "done": 4}


def test_the_stale_rule_fails_a_sharded_report_naming_the_shards_not_done(
    api, worker_queue, sharded_report
):
    report_id, total = sharded_report
    worker_queue.poll_once()  # shard 0 done; then no worker finishes the others
    settings = Settings.from_env()
    table = boto3.resource("dynamodb").Table(settings.table)
    table.update_item(
        Key={"report_id": report_id},
        UpdateExpression="SET deadline = :past",
        ExpressionAttributeValues={":past": 1},
    )
    body = api.get(f"/get_report/{report_id}")[1]
    assert body["status"] == "Failed"
    assert body["error"] == (
        "timed out: no worker finished the report (1 of 4 shards done; not done: 1, 2, 3)"
    )
    assert body["shards"] == {"total": 4, "done": 1}


def test_a_pending_page_of_a_sharded_report_is_reassembled_not_recomputed(
    stack, api, worker_queue, monkeypatch, sharded_report
):
    """A refresh writes its page after completing; a later delivery writes a page still
    pending from the shards' outputs (never one worker's computation of every store)."""
    from storemon.service import input_sets, report_jobs

    report_id, total = sharded_report
    worker_queue.drain()
    settings = Settings.from_env()
    record = records.get(settings, report_id)
    assert record is not None
    page_key = record["result"]["page"]
    page = s3_text(stack["bucket"], page_key)
    boto3.client("s3").delete_object(Bucket=stack["bucket"], Key=page_key)
    pending = {**record, "page_pending": page_key, "result": {**record["result"], "page": None}}

    def one_worker(*args, **kwargs):
        raise AssertionError("a sharded report's page is never computed by one worker")

    monkeypatch.setattr(input_sets, "report_of_record", one_worker)
    report_jobs.finish_pending(settings, pending)
    again = s3_text(stack["bucket"], page_key)
    pattern = r'"duration_seconds":[0-9.]+'
    assert re.sub(pattern, "", again) == re.sub(pattern, "", page)


@pytest.mark.slow
def test_a_sharded_history_report_equals_one_worker(
    live_stack, api, worker_queue, monkeypatch, dataset
):
    """A poll history's refresh in shards (each reading its buckets' slices of the carry and
    the days by S3 range reads) equals one worker's report of the same history, file for
    file (tests/history/test_history_shards.py measures the bytes each shard reads)."""
    from storemon.service import aws

    bucket = live_stack["bucket"]
    header, *rows = dataset["status"].decode().splitlines(keepends=True)
    base = dataset | {"status": (header + "".join(rows[: len(rows) // 2])).encode()}
    put_dataset(bucket, base)
    worker_queue.drain()
    read: list[int] = []
    real_range = aws.get_range

    def counted(bucket_: str, key: str, offset: int, size: int) -> bytes:
        data = real_range(bucket_, key, offset, size)
        read.append(len(data))
        return data

    monkeypatch.setattr(aws, "get_range", counted)
    shard_env(monkeypatch, polls_in(dataset) // 4)  # 4 to 5 shards of the history
    batch = header + "".join(rows[len(rows) // 2 - 20 :])  # overlaps the base
    boto3.client("s3").put_object(Bucket=bucket, Key="input/polls/b1.csv", Body=batch.encode())
    assert not any(outcome.failed for outcome in worker_queue.drain())
    sharded = api.get("/get_report/latest")[1]
    assert sharded["source"] == "history" and sharded["inputs"]["history"]
    total = sharded["shards"]["total"]
    assert total >= 4 and sharded["shards"] == {"total": total, "done": total}
    assert read  # the shards read by range
    shard_env(monkeypatch, 10**9)  # one worker, the same history
    one = trigger(api)
    worker_queue.drain()
    body = api.get(f"/get_report/{one}")[1]
    assert body["source"] == "history" and body["shards"] == {"total": 1, "done": 1}
    expected = files_of(bucket, one)
    assert {"report", "summary", "page", "status_json", "incidents"} <= set(expected)
    assert files_of(bucket, sharded["report_id"]) == expected
    summary = json.loads(expected["summary"])
    assert summary["history"]["batches"] == 1
