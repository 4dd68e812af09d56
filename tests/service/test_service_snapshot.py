"""Snapshots in the service: the upload refresh reads the CSV files and writes the snapshot of
its input set; every later report on the same inputs reads the snapshot; a missing or refused
snapshot falls back to the CSV files with a logged reason; GET /stores/{store_id}/report
answers one store from it, in the request."""

from __future__ import annotations

import io
import json
from contextlib import contextmanager

import boto3
import pytest

from storemon.service import records, sources
from storemon.service.cache import clear_caches
from storemon.service.settings import Settings
from storemon.snapshot import reader as snapshot_reader
from storemon.snapshot.reader import load_snapshot
from tests.service.helpers import engine_csv, put_inputs, s3_text

# the worked example (tests/service/helpers.py, store 1001): open Mon 09:00-12:00 UTC; polls
# 10:00 active and 11:30 inactive; now (the newest poll of the file) Mon 12:00
WORKED_EXAMPLE = {
    "store_id": "1001",
    "uptime_last_hour": 0.0,
    "uptime_last_day": 1.75,
    "uptime_last_week": 1.75,
    "downtime_last_hour": 60.0,
    "downtime_last_day": 1.25,
    "downtime_last_week": 1.25,
    # SPEC §7: 0 / 60 min; 1.75 / 3 h = 58.3 % for the day and the week
    "uptime_pct_last_hour": 0.0,
    "uptime_pct_last_day": 58.3,
    "uptime_pct_last_week": 58.3,
    "now": "2023-01-23T12:00:00.000000Z",
    "as_of": None,
}


@pytest.fixture(autouse=True)
def cold_cache():
    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def csv_reads(monkeypatch):
    """The input sets whose CSV files a report read."""
    calls = []
    real = sources.read

    def counting(settings, inputs, max_bytes=None):
        calls.append(inputs)
        return real(settings, inputs, max_bytes)

    monkeypatch.setattr(sources, "read", counting)
    return calls


@pytest.fixture
def service_log(apps):
    """The service's JSON log lines (one handler serves every function's logger)."""

    from storemon.service.observability import logger

    @contextmanager
    def capture():
        handler = logger.registered_handler
        stream = io.StringIO()
        previous = handler.setStream(stream)
        lines: list[dict] = []
        try:
            yield lines
        finally:
            handler.setStream(previous)
            lines.extend(json.loads(x) for x in stream.getvalue().splitlines() if '"level"' in x)

    return capture


def refreshed(live_stack, api, worker_queue) -> dict:
    """Upload the inputs; the refresh runs; the latest report's JSON view."""
    put_inputs(live_stack["bucket"])
    worker_queue.drain()
    status, body, _ = api.get("/get_report", query={"report_id": "latest"})
    assert status == 200 and body["status"] == "Complete", body
    return body


def finished(api, worker_queue, request: dict | None = None) -> dict:
    status, body, _ = api.post("/trigger_report", request or {})
    assert status == 202
    worker_queue.drain()
    status, body, _ = api.get(f"/get_report/{body['report_id']}")
    assert status == 200 and body["status"] == "Complete", body
    return body


def snapshot_keys(bucket: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix="snapshots/")
    return [item["Key"] for item in listed.get("Contents", [])]


def latest_input_set() -> str:
    pointer = records.latest_pointer(Settings.from_env()) or {}
    return pointer["input_set"]


def test_a_second_report_on_the_same_inputs_reads_the_snapshot(
    live_stack, api, worker_queue, csv_reads
):
    bucket = live_stack["bucket"]
    latest = refreshed(live_stack, api, worker_queue)
    assert latest["source"] == "csv" and len(csv_reads) == 1
    input_set = latest_input_set()
    assert input_set == latest["report_id"]  # the refresh's id is its input set's
    assert snapshot_keys(bucket) == [f"snapshots/{input_set}/snapshot.bin"]

    clear_caches()  # a cold worker
    options = {"store_ids": ["1001", "0042"], "as_of": "2023-01-23 11:00:00"}
    subset = finished(api, worker_queue, options)
    assert subset["source"] == "snapshot"
    assert s3_text(bucket, f"reports/{subset['report_id']}/report.csv") == engine_csv(**options)
    full = finished(api, worker_queue)  # warm: the cached snapshot
    assert full["source"] == "snapshot"
    assert s3_text(bucket, f"reports/{full['report_id']}/report.csv") == engine_csv()
    incidents = [f"reports/{r['report_id']}/incidents.csv" for r in (latest, full)]
    assert s3_text(bucket, incidents[1]) == s3_text(bucket, incidents[0])  # snapshot = CSV path
    assert len(csv_reads) == 1  # only the refresh read the CSV files


@pytest.mark.slow
def test_a_damaged_or_missing_snapshot_falls_back_with_a_logged_reason(
    live_stack, api, worker_queue, csv_reads, service_log
):
    bucket = live_stack["bucket"]
    s3 = boto3.client("s3")
    refreshed(live_stack, api, worker_queue)
    (key,) = snapshot_keys(bucket)
    good = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    derived = load_snapshot(good).file.header["sections"]["derived"]
    damaged = bytearray(good)
    damaged[derived["offset"] + derived["bytes"] // 2] ^= 0xFF  # every report reads it
    cases = {
        "truncated": (good[: len(good) // 2], None),
        "damaged": (bytes(damaged), None),
        "another version": (good, 99),  # what a newer storemon would make of this file
    }
    for why, (bad, version) in cases.items():
        s3.put_object(Bucket=bucket, Key=key, Body=bad)
        clear_caches()
        with service_log() as lines, pytest.MonkeyPatch.context() as patch:
            if version:
                patch.setattr(snapshot_reader, "VERSION", version)
            body = finished(api, worker_queue, {"as_of": "2023-01-23 11:30:00"})
        assert body["source"] == "csv", why
        text = s3_text(bucket, f"reports/{body['report_id']}/report.csv")
        assert text == engine_csv(as_of="2023-01-23 11:30:00")
        [refused] = [x for x in lines if x["message"].startswith("snapshot refused")]
        assert refused["key"] == key and why.split()[-1] in refused["reason"], refused
        if version:
            s3.put_object(Bucket=bucket, Key=key, Body=good)
        load_snapshot(s3.get_object(Bucket=bucket, Key=key)["Body"].read())  # usable again

    s3.delete_object(Bucket=bucket, Key=key)
    clear_caches()
    with service_log() as lines:
        body = finished(api, worker_queue, {"store_ids": ["2002"]})
    assert body["source"] == "csv"
    text = s3_text(bucket, f"reports/{body['report_id']}/report.csv")
    assert text == engine_csv(store_ids=["2002"])
    assert any(x["message"].startswith("no snapshot of these inputs") for x in lines)
    assert snapshot_keys(bucket) == [key]  # written again from the CSV files
    assert finished(api, worker_queue)["source"] == "snapshot"
    assert len(csv_reads) == 5  # the refresh and the four fallbacks


def test_the_store_route_answers_one_store_from_the_snapshot(
    live_stack, api, worker_queue, csv_reads
):
    status, body, _ = api.get("/stores/1001/report")
    assert status == 404 and "no finished report" in body["error"]
    latest = refreshed(live_stack, api, worker_queue)
    clear_caches()  # a cold get_report function

    status, body, _ = api.get("/stores/1001/report")
    assert status == 200
    about = {"report_id": latest["report_id"], "input_set": latest_input_set()}
    assert body == WORKED_EXAMPLE | about | {"source": "snapshot"}

    status, body, _ = api.get("/stores/1001/report", query={"as_of": "2023-01-23T11:00:00Z"})
    assert status == 200 and body["now"] == "2023-01-23T11:00:00.000000Z"
    assert body["as_of"] == "2023-01-23T11:00:00.000000Z"  # ISO 8601 as now (issue 19)
    # at 11:00 the 11:30 poll is in the future: 10:00 active holds for the whole 09:00-11:00
    assert (body["uptime_last_hour"], body["downtime_last_hour"]) == (60.0, 0.0)
    assert (body["uptime_last_day"], body["downtime_last_day"]) == (2.0, 0.0)
    assert body["uptime_pct_last_day"] == 100.0
    assert len(csv_reads) == 1  # only the refresh read the CSV files

    status, body, _ = api.get("/stores/nope/report")
    assert status == 404 and "store nope has no valid poll" in body["error"]
    status, body, _ = api.get("/stores/1001/report", query={"as_of": "yesterday"})
    assert status == 400 and "as_of" in body["error"]
    status, body, _ = api.get("/stores/1001/report", query={"stores": "1"})
    assert status == 400


def test_the_store_route_without_a_snapshot_asks_the_worker_to_build_it(
    live_stack, api, worker_queue, csv_reads
):
    """Issue 17, finding 6: get_report (512 MB) never parses the CSV files, which peak near
    500 MB at full scale; a missing snapshot is a 503 with Retry-After while the worker builds
    it, then the route answers from it."""
    latest = refreshed(live_stack, api, worker_queue)
    (key,) = snapshot_keys(live_stack["bucket"])
    boto3.client("s3").delete_object(Bucket=live_stack["bucket"], Key=key)
    clear_caches()
    for _ in range(3):  # one build request, however many answers say "being built"
        status, body, headers = api.get("/stores/1001/report")
        assert status == 503, body
        assert headers["retry-after"] == "60"
        assert "being built" in body["error"]
    assert len(csv_reads) == 1  # the refresh's: get_report read no CSV file
    [build] = worker_queue.drain()  # one message: the build
    assert not build.failed
    assert snapshot_keys(live_stack["bucket"]) == [key]
    assert len(csv_reads) == 2  # the worker's build
    status, body, _ = api.get("/stores/1001/report")
    assert status == 200
    about = {"report_id": latest["report_id"], "input_set": latest_input_set()}
    assert body == WORKED_EXAMPLE | about | {"source": "snapshot"}


def test_a_second_build_request_finds_the_snapshot_present(live_stack, api, worker_queue):
    """Two warm get_report containers may each ask for the build: the second does nothing."""
    from storemon.service import worker

    latest = refreshed(live_stack, api, worker_queue)
    (key,) = snapshot_keys(live_stack["bucket"])
    boto3.client("s3").delete_object(Bucket=live_stack["bucket"], Key=key)
    clear_caches()
    message = json.dumps({"kind": "snapshot", "report_id": latest["report_id"]})
    settings = Settings.from_env()
    assert worker.handle_message(settings, message) == "snapshot-built"
    assert worker.handle_message(settings, message) == "snapshot-present"
    unknown = json.dumps({"kind": "snapshot", "report_id": "3f1c2b9e-8d4a-4c55-9e2f-0b6a7d1e5c42"})
    assert worker.handle_message(settings, unknown) == "unknown"
    assert snapshot_keys(live_stack["bucket"]) == [key]
