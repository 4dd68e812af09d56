"""Failure paths of the worker: broken and missing inputs, crashes and retries, duplicates,
unknown reports, the last attempt, and messages that are not report jobs."""

from __future__ import annotations

import json

import boto3
import pytest

from storemon.service import aws, records, report_jobs, worker
from storemon.service.settings import Settings
from tests.harness import LambdaContext, record
from tests.service.helpers import HOURS_CSV, STATUS_CSV, TZ_CSV, engine_csv, put_inputs, s3_text


def trigger(api, body=None):
    status, out, _ = api.post("/trigger_report", body)
    assert status == 202
    return out["report_id"]


def report(api, report_id):
    status, body, _ = api.get(f"/get_report/{report_id}")
    assert status == 200
    return body


def run_worker(apps, *records_):
    return apps["worker"].lambda_handler({"Records": list(records_)}, LambdaContext("worker"))


def reports_written(bucket):
    listing = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix="reports/")
    return sorted(o["Key"] for o in listing.get("Contents", []))


def test_missing_input_fails_at_once(stack, api, worker_queue):
    s3 = boto3.client("s3")
    s3.put_object(Bucket=stack["bucket"], Key="input/store_status.csv", Body=b"x")
    report_id = trigger(api)
    outcomes = worker_queue.drain()
    assert len(outcomes) == 1 and not outcomes[0].failed  # no retry
    body = report(api, report_id)
    assert body["status"] == "Failed"
    assert "menu_hours.csv: missing" in body["error"] and "timezones.csv: missing" in body["error"]
    assert body["inputs"]["hours"] is None
    assert reports_written(stack["bucket"]) == []


def test_recorded_version_deleted_fails(stack, api, worker_queue):
    put_inputs(stack["bucket"])
    report_id = trigger(api)
    s3 = boto3.client("s3")
    version = s3.head_object(Bucket=stack["bucket"], Key="input/timezones.csv")["VersionId"]
    s3.delete_object(Bucket=stack["bucket"], Key="input/timezones.csv", VersionId=version)
    worker_queue.drain()
    body = report(api, report_id)
    assert body["status"] == "Failed" and body["error"].startswith("timezones.csv:")


@pytest.mark.parametrize(
    "case",
    [
        ("hours", "store_id,start_time_local\n1,09:00\n", "menu_hours.csv"),
        ("status", "store_id,status,timestamp_utc\n1,active,yesterday\n", "store_status.csv"),
        ("timezones", b"\x1f\x8b\x08garbage-not-gzip", "timezones.csv"),
    ],
)
def test_malformed_file_fails_with_the_engine_message(stack, api, worker_queue, case):
    from storemon.errors import InputError
    from storemon.report import pipeline

    kind, data, needle = case
    files = {"status": None, "hours": None, "timezones": None}
    files[kind] = data
    put_inputs(stack["bucket"], **{k: v for k, v in files.items() if v is not None})
    report_id = trigger(api)
    outcomes = worker_queue.drain()
    assert len(outcomes) == 1 and not outcomes[0].failed  # permanent: not retried
    body = report(api, report_id)
    assert body["status"] == "Failed"
    # exactly what the engine says about these bytes
    raw = {"status": STATUS_CSV, "hours": HOURS_CSV, "timezones": TZ_CSV}
    raw[kind] = data
    blobs = [v.encode() if isinstance(v, str) else v for v in raw.values()]
    with pytest.raises(InputError) as exc:
        pipeline.report_from_csv_bytes(*blobs)
    assert body["error"] == str(exc.value)
    assert body["error"].startswith(needle)


def test_crash_half_way_then_retry_completes(stack, monkeypatch, api, worker_queue):
    put_inputs(stack["bucket"])
    report_id = trigger(api)
    real_put = aws.put_object
    calls = {"n": 0}

    def flaky_put(bucket, key, body, content_type):
        calls["n"] += 1
        if calls["n"] == 2:  # the CSV is written, the summary is not
            raise ConnectionError("S3 went away")
        return real_put(bucket, key, body, content_type)

    monkeypatch.setattr(aws, "put_object", flaky_put)
    source = worker_queue
    first = source.poll_once()
    assert first.failed
    assert first.result["batchItemFailures"] == [{"itemIdentifier": first.messages[0]["MessageId"]}]
    assert report(api, report_id)["status"] == "Running"
    second = source.poll_once()
    assert not second.failed
    assert second.messages[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    body = report(api, report_id)
    assert body["status"] == "Complete"
    assert s3_text(stack["bucket"], f"reports/{report_id}/report.csv") == engine_csv()
    assert source.poll_once() is None


def test_duplicated_message_does_nothing(stack, apps, monkeypatch, api):
    put_inputs(stack["bucket"])
    report_id = trigger(api)
    job = {"report_id": report_id, "kind": "request"}
    assert run_worker(apps, record(job, message_id="a")) == {"batchItemFailures": []}
    first = records.get(Settings.from_env(), report_id)
    writes = []
    monkeypatch.setattr(aws, "put_object", lambda *a, **k: writes.append(a))
    assert (
        worker.handle_message(Settings.from_env(), json.dumps(job), receive_count=2) == "duplicate"
    )
    assert run_worker(apps, record(job, message_id="b")) == {"batchItemFailures": []}
    assert writes == []
    assert records.get(Settings.from_env(), report_id) == first


def test_two_deliveries_at_once_write_one_result(stack, monkeypatch, api):
    """Both compute; the second to finish finds the record Complete and changes nothing."""
    put_inputs(stack["bucket"])
    report_id = trigger(api)
    settings = Settings.from_env()
    record = records.get(settings, report_id)
    # delivery A computed and completed while delivery B was computing
    assert report_jobs.compute_and_complete(settings, record) == "complete"
    completed = records.get(settings, report_id)
    csv = s3_text(stack["bucket"], f"reports/{report_id}/report.csv")
    # delivery B finishes with the record it read before A completed
    assert report_jobs.compute_and_complete(settings, record) == "duplicate"
    assert records.get(settings, report_id) == completed
    assert s3_text(stack["bucket"], f"reports/{report_id}/report.csv") == csv
    assert not records.complete(settings, report_id, {"rows": 0})
    assert not records.fail(settings, report_id, "late")


def test_message_for_unknown_report_is_dropped(stack, apps):
    job = {"report_id": records.new_report_id(), "kind": "request"}
    assert run_worker(apps, record(job)) == {"batchItemFailures": []}
    assert worker.handle_message(Settings.from_env(), json.dumps(job)) == "unknown"


@pytest.mark.shared_stack
@pytest.mark.parametrize(
    "body",
    ["not json", "[1, 2]", json.dumps({"report_id": "nope"}), json.dumps({"hello": 1})],
)
def test_unreadable_messages_are_dropped(stack, apps, body):
    assert run_worker(apps, record(body)) == {"batchItemFailures": []}


def test_s3_test_event_is_ignored(stack):
    event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": stack["bucket"]}
    assert worker.handle_message(Settings.from_env(), json.dumps(event)) == "ignored"


def test_last_attempt_marks_failed_then_dead_letter_queue(stack, monkeypatch, api, worker_queue):
    put_inputs(stack["bucket"])
    report_id = trigger(api)

    def broken(*args, **kwargs):
        raise TimeoutError("S3 is slow today")

    monkeypatch.setattr(aws, "get_object", broken)
    source = worker_queue
    for attempt in (1, 2):
        outcome = source.poll_once()
        assert outcome.failed
        assert outcome.messages[0]["Attributes"]["ApproximateReceiveCount"] == str(attempt)
        assert report(api, report_id)["status"] == "Running"
    last = source.poll_once()
    assert last.failed  # handed back: SQS moves it to the DLQ
    assert last.messages[0]["Attributes"]["ApproximateReceiveCount"] == "3"
    body = report(api, report_id)
    assert body["status"] == "Failed"
    assert body["error"] == "gave up after 3 attempts: TimeoutError: S3 is slow today"
    # a 4th receive finds nothing: moto moved the message to the dead-letter queue
    assert source.poll_once() is None
    dlq = boto3.client("sqs").receive_message(QueueUrl=stack["dlq_url"])["Messages"]
    assert json.loads(dlq[0]["Body"])["report_id"] == report_id


def test_transient_failure_backs_off(stack, monkeypatch, api, worker_queue):
    put_inputs(stack["bucket"])
    trigger(api)
    monkeypatch.setattr(aws, "get_object", lambda *a, **k: (_ for _ in ()).throw(OSError("x")))
    delays = []
    monkeypatch.setattr(aws, "change_visibility", lambda url, handle, s: delays.append(s))
    source = worker_queue
    source.poll_once()
    source.poll_once()
    source.poll_once()
    assert delays == [30, 60]  # none on the last attempt: it goes to the DLQ


def test_queueing_failure_marks_the_report_failed(stack, monkeypatch, api):
    put_inputs(stack["bucket"])

    def no_queue(*args, **kwargs):
        raise ConnectionError("SQS unreachable")

    monkeypatch.setattr(aws, "send_message", no_queue)
    status, body, _ = api.post("/trigger_report")
    assert status == 503 and body["error"]
    table = boto3.client("dynamodb").scan(TableName=stack["table"])["Items"]
    assert [item["status"]["S"] for item in table] == ["Failed"]
