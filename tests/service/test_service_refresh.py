"""Uploads under input/ refresh the report by themselves; ``latest`` only moves forward;
``store_summary`` answers from the per-store file of the latest full report."""

from __future__ import annotations

import gzip
import json
import time

import boto3
import pytest

from storemon.service import records, refresh, report_jobs, sources
from storemon.service.settings import Settings
from tests.service.helpers import HOURS_CSV, STATUS_CSV, TZ_CSV, engine_csv, put_inputs, s3_text

NEWER_STATUS = STATUS_CSV + "1001,active,2023-01-23 11:45:00 UTC\n"


def latest(api):
    return api.get("/get_report/latest")


def current_versions(bucket):
    s3 = boto3.client("s3")
    return {
        kind: s3.head_object(Bucket=bucket, Key=f"input/{name}.csv")["VersionId"]
        for kind, name in sources.BASENAMES.items()
        if kind in sources.KINDS  # no closures file in these tests
    }


@pytest.mark.slow
def test_uploading_the_three_files_refreshes_latest(live_stack, api, worker_queue):
    put_inputs(live_stack["bucket"])  # three notifications (and moto's s3:TestEvent) queued
    outcomes = worker_queue.drain()
    assert not any(o.failed for o in outcomes)
    status, body, _ = latest(api)
    assert status == 200 and body["status"] == "Complete" and body["kind"] == "refresh"
    assert {k: v["version_id"] for k, v in body["inputs"].items()} == current_versions(
        live_stack["bucket"]
    )
    assert s3_text(live_stack["bucket"], f"reports/{body['report_id']}/report.csv") == (
        engine_csv()
    )
    # the three notifications saw the same three files: one refresh report, computed once
    scan = boto3.client("dynamodb").scan(TableName=live_stack["table"])["Items"]
    assert sorted(i["report_id"]["S"] for i in scan) == sorted([body["report_id"], "latest"])

    # a new status file: latest moves to a report of it
    boto3.client("s3").put_object(
        Bucket=live_stack["bucket"], Key="input/store_status.csv", Body=NEWER_STATUS.encode()
    )
    worker_queue.drain()
    status, newer, _ = latest(api)
    assert newer["report_id"] != body["report_id"] and newer["status"] == "Complete"
    assert (
        newer["inputs"]["status"]["version_id"] == current_versions(live_stack["bucket"])["status"]
    )
    csv = s3_text(live_stack["bucket"], f"reports/{newer['report_id']}/report.csv")
    assert csv == engine_csv(status=NEWER_STATUS)

    # the CSV redirect works for latest too
    status, _, headers = api.get("/get_report", query={"report_id": "latest", "format": "csv"})
    assert status == 303 and newer["report_id"] in headers["location"]


def test_refresh_waits_for_all_three_inputs(live_stack, api, worker_queue):
    boto3.client("s3").put_object(
        Bucket=live_stack["bucket"], Key="input/store_status.csv", Body=STATUS_CSV.encode()
    )
    outcomes = worker_queue.drain()
    assert outcomes and not any(o.failed for o in outcomes)
    assert boto3.client("dynamodb").scan(TableName=live_stack["table"])["Count"] == 0
    assert latest(api)[0] == 404


def test_other_uploads_are_ignored(live_stack, worker_queue):
    boto3.client("s3").put_object(
        Bucket=live_stack["bucket"], Key="input/notes about it.txt", Body=b"hello"
    )
    worker_queue.drain()
    assert boto3.client("dynamodb").scan(TableName=live_stack["table"])["Count"] == 0


def test_event_keys_are_url_decoded():
    message = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"object": {"key": key}},
            }
            for key in (
                "input%2Fstore_status.csv.gz",
                "input/menu_hours.csv",
                "input/time+zones.csv",
                "input/timezones%2Ecsv",
            )
        ]
        + [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectRemoved:Delete",
                "s3": {"object": {"key": "input/timezones.csv"}},
            }
        ]
    }
    assert refresh.input_keys(message, "input/") == [
        "input/store_status.csv.gz",
        "input/menu_hours.csv",
        "input/timezones.csv",
    ]


@pytest.mark.slow
def test_latest_never_moves_backwards(stack, api):
    settings = Settings.from_env()
    put_inputs(stack["bucket"])
    older = refresh.start_refresh(settings)
    time.sleep(1.1)  # S3 LastModified has whole seconds
    put_inputs(stack["bucket"], status=NEWER_STATUS)
    newer = refresh.start_refresh(settings)
    assert older and newer and older != newer
    assert report_jobs.handle_report_job(settings, newer) == "complete"
    assert records.latest_pointer(settings)["target_id"] == newer
    # the older refresh finishes late: it completes, latest stays on the newer inputs
    assert report_jobs.handle_report_job(settings, older) == "complete"
    assert records.get(settings, older)["status"] == "Complete"
    assert records.latest_pointer(settings)["target_id"] == newer
    assert latest(api)[1]["report_id"] == newer
    # a notification for the older set now does nothing
    assert refresh.start_refresh(settings) is None


@pytest.mark.slow
def test_same_second_uploads_order_by_resolution_time(stack):
    """Two input sets with the same newest LastModified: the one resolved later wins."""
    settings = Settings.from_env()
    put_inputs(stack["bucket"])
    first = refresh.start_refresh(settings)
    boto3.client("s3").put_object(
        Bucket=stack["bucket"], Key="input/store_status.csv", Body=NEWER_STATUS.encode()
    )
    second = refresh.start_refresh(settings)
    report_jobs.handle_report_job(settings, second)
    report_jobs.handle_report_job(settings, first)
    assert records.latest_pointer(settings)["target_id"] == second


@pytest.mark.slow
def test_gzip_inputs_and_the_newer_of_csv_and_csv_gz_wins(stack):
    settings = Settings.from_env()
    put_inputs(stack["bucket"])
    time.sleep(1.1)
    s3 = boto3.client("s3")
    s3.put_object(
        Bucket=stack["bucket"],
        Key="input/store_status.csv.gz",
        Body=gzip.compress(NEWER_STATUS.encode()),
    )
    chosen = sources.resolve(settings)
    assert chosen["status"]["key"] == "input/store_status.csv.gz"
    assert chosen["hours"]["key"] == "input/menu_hours.csv"
    report_id = refresh.start_refresh(settings)
    assert report_jobs.handle_report_job(settings, report_id) == "complete"
    assert s3_text(stack["bucket"], f"reports/{report_id}/report.csv") == engine_csv(
        status=NEWER_STATUS
    )
    summary = records.get(settings, report_id)["summary"]
    assert json.loads(summary)["files"]["store_status"]["file"] == "store_status.csv.gz"
    # a later plain .csv wins again
    time.sleep(1.1)
    s3.put_object(Bucket=stack["bucket"], Key="input/store_status.csv", Body=STATUS_CSV.encode())
    assert sources.resolve(settings)["status"]["key"] == "input/store_status.csv"


def test_full_manual_report_moves_latest_and_partial_ones_do_not(stack, api, worker_queue):
    put_inputs(stack["bucket"])
    _, partial, _ = api.post("/trigger_report", {"store_ids": ["1001"]})
    _, as_of, _ = api.post("/trigger_report", {"as_of": "2023-01-23 11:00:00"})
    worker_queue.drain()
    assert latest(api)[0] == 404
    _, full, _ = api.post("/trigger_report")
    worker_queue.drain()
    assert latest(api)[1]["report_id"] == full["report_id"]
    assert partial["report_id"] != as_of["report_id"]


def test_store_summary_answers_from_the_latest_full_report(stack, monkeypatch, api, worker_queue):
    put_inputs(stack["bucket"], hours=HOURS_CSV, timezones=TZ_CSV)
    _, full, _ = api.post("/trigger_report")
    worker_queue.drain()

    # never re-reads the inputs: make reading them impossible
    from storemon.service import reports

    monkeypatch.setattr(
        reports.aws, "list_objects", lambda *a: (_ for _ in ()).throw(AssertionError)
    )

    def summary(store_id):
        return api.get("/store_summary", query={"store_id": store_id})

    status, body, _ = summary("1001")
    assert status == 200
    assert body["store_id"] == "1001" and body["report_id"] == full["report_id"]
    assert body["polls"] == 2 and body["timezone"] == "UTC" and body["timezone_source"] == "file"
    assert body["hours_defined"] is True and body["hours_days"] == 1
    assert body["first_poll"].startswith("2023-01-23T10:00:00")
    assert body["last_poll"].startswith("2023-01-23T11:30:00")
    status, body, _ = summary("0042")
    assert (body["timezone"], body["timezone_source"]) == ("America/Chicago", "invalid")
    status, body, _ = summary("2002")
    assert body["hours_defined"] is False and body["timezone_source"] == "missing"
    status, body, _ = summary("9999")
    assert status == 404 and "9999" in body["error"]
    stores = json.loads(s3_text(stack["bucket"], f"reports/{full['report_id']}/stores.json"))
    assert sorted(stores["stores"]) == ["0042", "1001", "2002"]


def test_full_manual_report_of_the_same_inputs_makes_the_refresh_unneeded(stack, api, worker_queue):
    settings = Settings.from_env()
    put_inputs(stack["bucket"])
    _, full, _ = api.post("/trigger_report")
    worker_queue.drain()
    assert records.latest_pointer(settings)["target_id"] == full["report_id"]
    assert refresh.start_refresh(settings) is None  # latest already covers these exact files


def test_latest_whose_report_expired_is_404(stack, api):
    settings = Settings.from_env()
    put_inputs(stack["bucket"])
    report_id = refresh.start_refresh(settings)
    report_jobs.handle_report_job(settings, report_id)
    boto3.client("dynamodb").delete_item(  # what the TTL does after RetentionDays
        TableName=stack["table"], Key={"report_id": {"S": report_id}}
    )
    status, body, _ = latest(api)
    assert status == 404 and "expired" in body["error"]
