"""Refresh rules of issue 8: the quiet period, latest only on current inputs, a failed newer
refresh shown on latest, one writer per report, GET /reports."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import boto3
import pytest

from storemon.service import aws, records, refresh, report_jobs, worker
from storemon.service.settings import Settings
from tests.service.helpers import STATUS_CSV, put_inputs


def latest(api):
    return api.get("/get_report", query={"report_id": "latest"})


def receive(queue_url: str, limit: int = 1) -> list[dict]:
    response = boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=limit)
    return response.get("Messages", [])


def upload_status(bucket: str, text: str) -> None:
    boto3.client("s3").put_object(Bucket=bucket, Key="input/store_status.csv", Body=text.encode())


NOTIFICATION = {
    "Records": [
        {
            "eventSource": "aws:s3",
            "eventName": "ObjectCreated:Put",
            "s3": {"object": {"key": "input/store_status.csv"}},
        }
    ]
}


# ----------------------------------------------------------------------------- quiet period
def test_a_refresh_waits_for_the_quiet_period_after_the_last_upload(stack, monkeypatch):
    monkeypatch.setenv("REFRESH_QUIET_SECONDS", "2")
    settings = Settings.from_env()
    put_inputs(stack["bucket"])
    first = worker.handle_message(settings, json.dumps(NOTIFICATION))
    second = worker.handle_message(settings, json.dumps(NOTIFICATION))
    assert first == second == "refresh-check-queued"
    assert receive(stack["queue_url"]) == []  # the checks wait out the quiet period
    noticed = sorted([records.last_upload_ms(settings) - 1, records.last_upload_ms(settings)])
    early = {"kind": refresh.CHECK, "noticed_ms": noticed[0]}
    assert worker.handle_message(settings, json.dumps(early)) == "refresh-superseded"
    assert boto3.client("dynamodb").scan(TableName=stack["table"])["Count"] == 1  # uploads item
    last = {"kind": refresh.CHECK, "noticed_ms": noticed[1]}
    outcome = worker.handle_message(settings, json.dumps(last))
    assert outcome.startswith("refresh:")
    report_id = outcome.split(":", 1)[1]
    assert records.get(settings, report_id)["status"] == "Running"


# ----------------------------------------------------------------------------- latest
def test_a_report_of_superseded_inputs_never_becomes_latest(stack, api):
    settings = Settings.from_env()
    put_inputs(stack["bucket"])
    older = refresh.start_refresh(settings)
    upload_status(stack["bucket"], STATUS_CSV + "1001,active,2023-01-23 11:45:00 UTC\n")
    # the older set finishes while the newer one is not even started: latest stays empty
    assert report_jobs.handle_report_job(settings, older) == "complete"
    assert records.latest_pointer(settings) is None
    newer = refresh.start_refresh(settings)
    assert report_jobs.handle_report_job(settings, newer) == "complete"
    assert records.latest_pointer(settings)["target_id"] == newer


def test_a_failed_newer_refresh_keeps_latest_and_says_why(stack, api):
    settings = Settings.from_env()
    put_inputs(stack["bucket"])
    good = refresh.start_refresh(settings)
    report_jobs.handle_report_job(settings, good)
    upload_status(stack["bucket"], "not,a,status\nfile,at,all\n")
    broken = refresh.start_refresh(settings)
    assert report_jobs.handle_report_job(settings, broken) == "failed"
    status, body, _ = latest(api)
    assert status == 200 and body["report_id"] == good and body["status"] == "Complete"
    failure = body["newer_refresh_failed"]
    assert failure["report_id"] == broken and "store_status.csv" in failure["error"]
    # a good upload afterwards moves latest and clears the note
    upload_status(stack["bucket"], STATUS_CSV)
    fixed = refresh.start_refresh(settings)
    report_jobs.handle_report_job(settings, fixed)
    status, body, _ = latest(api)
    assert body["report_id"] == fixed and "newer_refresh_failed" not in body


# ----------------------------------------------------------------------------- duplicates
def object_versions(bucket: str, report_id: str) -> dict[str, int]:
    listing = boto3.client("s3").list_object_versions(Bucket=bucket, Prefix=f"reports/{report_id}/")
    counts: dict[str, int] = {}
    for version in listing.get("Versions", []):
        counts[version["Key"]] = counts.get(version["Key"], 0) + 1
    return counts


def summary_matches_record(bucket: str, settings: Settings, report_id: str) -> bool:
    text = (
        boto3.client("s3")
        .get_object(Bucket=bucket, Key=f"reports/{report_id}/summary.json")["Body"]
        .read()
    )
    document = json.loads(text)
    document.pop("report_id")
    return document == json.loads(records.get(settings, report_id)["summary"])


def test_a_duplicate_delivery_writes_nothing_while_another_computes(stack, api):
    settings = Settings.from_env()
    put_inputs(stack["bucket"])
    _, accepted, _ = api.post("/trigger_report")
    report_id = accepted["report_id"]
    assert records.claim(settings, report_id, "message-a", report_jobs.LEASE_SECONDS)
    job = json.dumps({"report_id": report_id, "kind": "request"})
    assert worker.handle_message(settings, job, message_id="message-b") == "duplicate"
    assert object_versions(stack["bucket"], report_id) == {}
    assert worker.handle_message(settings, job, message_id="message-a") == "complete"
    assert set(object_versions(stack["bucket"], report_id).values()) == {1}
    assert summary_matches_record(stack["bucket"], settings, report_id)


def test_a_refresh_computed_where_it_is_recorded_holds_its_claim_from_the_start(stack, monkeypatch):
    """The delivery that records a refresh creates its record claimed (one write, no second
    read): the lease is that delivery's, as records.claim would have made it."""
    settings = Settings.from_env()
    put_inputs(stack["bucket"])
    computed: list[dict] = []
    monkeypatch.setattr(  # stop before computing: the record as the delivery left it
        report_jobs, "_compute_or_fail", lambda s, record, count: computed.append(record) or "x"
    )
    outcome = worker.handle_message(settings, json.dumps(NOTIFICATION), message_id="message-a")
    assert outcome == "refresh-x" and len(computed) == 1
    stored = records.get(settings, computed[0]["report_id"])
    assert stored["status"] == "Running" and stored["claimed_by"] == "message-a"
    now = int(records.utcnow().timestamp())
    assert now < stored["claimed_until"] <= now + report_jobs.LEASE_SECONDS
    job = json.dumps({"report_id": stored["report_id"], "kind": "refresh"})
    assert worker.handle_message(settings, job, message_id="message-b") == "duplicate"
    assert records.claim(settings, stored["report_id"], "message-a", report_jobs.LEASE_SECONDS)


@pytest.fixture
def serial_moto(stack, monkeypatch) -> Iterator[str]:
    """A second moto server on the same (process-wide) moto state that handles one request
    at a time, the storemon clients pointed at it.

    DynamoDB applies each conditional write atomically. The session's ThreadedMotoServer
    handles concurrent requests in parallel threads and moto's DynamoDB takes no lock, so two
    concurrent conditional updates can both pass (8 of 30 trials of the test below: both
    deliveries claimed the report). One request at a time restores DynamoDB's guarantee."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", 0, app, threaded=False, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
    aws.reset()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        thread.join(30)
        aws.reset()


def test_concurrent_duplicate_deliveries_write_each_file_once(stack, api, serial_moto, monkeypatch):
    """Two deliveries of one message, in two threads, both past the "still Running" check:
    the conditional claim lets exactly one compute; the other writes nothing."""
    settings = Settings.from_env()
    put_inputs(stack["bucket"])
    _, accepted, _ = api.post("/trigger_report")
    report_id = accepted["report_id"]
    assert records.get(settings, report_id)["status"] == records.RUNNING  # clients made here
    both_read = threading.Barrier(2, timeout=30)
    real_get = records.get

    def get_then_wait(settings, rid):
        record = real_get(settings, rid)
        both_read.wait()  # both deliveries have seen the record Running
        return record

    monkeypatch.setattr(report_jobs.records, "get", get_then_wait)
    job = json.dumps({"report_id": report_id, "kind": "request"})
    outcomes: list[str] = []

    def deliver(message_id: str) -> None:
        outcomes.append(worker.handle_message(settings, job, message_id=message_id))

    threads = [threading.Thread(target=deliver, args=(f"m-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    monkeypatch.setattr(report_jobs.records, "get", real_get)
    assert sorted(outcomes) == ["complete", "duplicate"]
    counts = object_versions(stack["bucket"], report_id)
    assert counts and set(counts.values()) == {1}
    assert summary_matches_record(stack["bucket"], settings, report_id)


# ----------------------------------------------------------------------------- GET /reports
def test_reports_lists_the_newest_first(stack, api):
    put_inputs(stack["bucket"])
    ids = []
    for body in ({}, {"store_ids": ["1001"]}, {"as_of": "2023-01-23 11:00:00"}):
        _, accepted, _ = api.post("/trigger_report", body)
        ids.append(accepted["report_id"])
    records.fail(Settings.from_env(), ids[1], "store_status.csv: broken on purpose")
    status, listing, _ = api.get("/reports", query={"limit": "2"})
    assert status == 200
    assert [r["report_id"] for r in listing["reports"]] == [ids[2], ids[1]]
    failed = listing["reports"][1]
    assert failed["status"] == "Failed" and "broken on purpose" in failed["error"]
    assert set(failed) >= {"report_id", "kind", "status", "created_at", "inputs", "error"}
    status, everything, _ = api.get("/reports")
    assert [r["report_id"] for r in everything["reports"]] == ids[::-1]
