"""SPEC §10 on the service: batches under input/polls/ ingested once into the poll history,
``latest`` after each batch the report of every poll received (the union's, byte for byte),
duplicate notifications ingesting nothing, a failed batch visible and never replacing
``latest``; concurrent ingests serialised by the conditional manifest pointer."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import boto3
import pytest

from storemon.service import history_store
from storemon.service.settings import Settings
from tests.service.helpers import HOURS_CSV, STATUS_CSV, TZ_CSV, engine_csv, put_inputs, s3_text

HEADER = "store_id,status,timestamp_utc\n"
BATCH_1 = HEADER + "1001,active,2023-01-23 11:50:00 UTC\n2002,inactive,2023-01-23 12:30:00 UTC\n"
# overlaps the base and the first batch, and adds an older poll of 0042
BATCH_2 = (
    HEADER
    + "1001,active,2023-01-23 11:50:00 UTC\n"
    + "1001,inactive,2023-01-23 10:00:00 UTC\n"
    + "0042,active,2023-01-16 09:00:00 UTC\n"
    + "3003,active,2023-01-23 12:45:00 UTC\n"
)


def latest(api):
    return api.get("/get_report/latest")[1]


def put(bucket: str, key: str, text: str) -> None:
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=text.encode())


def union(*texts: str) -> str:
    return HEADER + "".join(text.split("\n", 1)[1] for text in texts)


@pytest.mark.slow
def test_each_batch_moves_latest_to_the_report_of_every_poll(live_stack, api, worker_queue):
    bucket = live_stack["bucket"]
    put_inputs(bucket)
    worker_queue.drain()
    put(bucket, "input/polls/2023-01-23T12.csv", BATCH_1)
    assert not any(o.failed for o in worker_queue.drain())
    first = latest(api)
    assert first["status"] == "Complete" and first["inputs"]["history"]
    expected = engine_csv(status=union(STATUS_CSV, BATCH_1))
    assert s3_text(bucket, f"reports/{first['report_id']}/report.csv") == expected

    put(bucket, "input/polls/2023-01-23T13.csv.gz", BATCH_2)  # named .gz, plain: detected
    worker_queue.drain()
    second = latest(api)
    assert second["report_id"] != first["report_id"]
    expected = engine_csv(status=union(STATUS_CSV, BATCH_1, BATCH_2))
    assert s3_text(bucket, f"reports/{second['report_id']}/report.csv") == expected
    summary = json.loads(s3_text(bucket, f"reports/{second['report_id']}/summary.json"))
    assert summary["history"]["batches"] == 2
    rows = len(STATUS_CSV.splitlines()) + len(BATCH_1.splitlines()) + len(BATCH_2.splitlines())
    assert summary["files"]["store_status"]["rows_read"] == rows - 3  # three headers

    # SPEC §10's status now (now = 12:45, 3003's poll): 1001 is open Mondays 09:00-12:00
    # UTC; its evidence: active 10:00, inactive 11:30, active 11:50 (in hours): active since
    # the midpoint 11:40, last poll 11:50, closed now. 2002 (24/7, no hours row): active at
    # 12:00, inactive at 12:30: inactive since 12:15, 30 business minutes so far.
    status, body, _ = api.get("/stores/1001/status")
    assert status == 200 and body["report_id"] == second["report_id"]
    assert (body["status"], body["since_utc"]) == ("active", "2023-01-23T11:40:00.000000Z")
    assert body["last_poll_utc"] == "2023-01-23T11:50:00.000000Z"
    assert body["open_now"] is False and body["incident"] is None
    status, body, _ = api.get("/stores/2002/status")
    assert (body["status"], body["open_now"]) == ("inactive", True)
    assert body["incident"] == {
        "start_utc": "2023-01-23T12:15:00.000000Z",
        "business_minutes": 30.0,
    }
    assert body["now"] == "2023-01-23T12:45:00.000000Z"

    # the same bytes again (a duplicate notification, a re-upload): nothing new
    put(bucket, "input/polls/again.csv", BATCH_1)
    worker_queue.drain()
    assert latest(api)["report_id"] == second["report_id"]


def test_a_failed_batch_is_visible_and_latest_stays(live_stack, api, worker_queue):
    bucket = live_stack["bucket"]
    put_inputs(bucket)
    put(bucket, "input/polls/good.csv", BATCH_1)
    worker_queue.drain()
    good = latest(api)
    put(bucket, "input/polls/broken.csv", HEADER + "1001,maybe,yesterday\n")
    outcomes = worker_queue.drain()
    assert not any(o.failed for o in outcomes)
    after = latest(api)
    assert after["report_id"] == good["report_id"] and after["status"] == "Complete"
    failure = after["newer_refresh_failed"]
    assert "broken.csv" in failure["error"] and "no valid poll" in failure["error"]
    status, record, _ = api.get(f"/get_report/{failure['report_id']}")
    assert status == 200 and record["status"] == "Failed" and record["kind"] == "batch"


def test_a_new_base_replaces_the_old_bases_polls(live_stack, api, worker_queue):
    bucket = live_stack["bucket"]
    put_inputs(bucket)
    put(bucket, "input/polls/b1.csv", BATCH_1)
    worker_queue.drain()
    newer_base = STATUS_CSV.replace("1001,inactive,2023-01-23 11:30:00 UTC\n", "")
    put(bucket, "input/store_status.csv", newer_base)
    worker_queue.drain()
    report = latest(api)
    assert s3_text(bucket, f"reports/{report['report_id']}/report.csv") == engine_csv(
        status=union(newer_base, BATCH_1)
    )


def test_concurrent_ingests_both_land(stack, monkeypatch):
    """Two ingests that read the same manifest: the second's pointer write fails, it merges
    again on the first's manifest, and both batches are in the history."""
    put_inputs(stack["bucket"], status=STATUS_CSV, hours=HOURS_CSV, timezones=TZ_CSV)
    settings = Settings.from_env()
    put(stack["bucket"], "input/polls/a.csv", BATCH_1)
    put(stack["bucket"], "input/polls/b.csv", BATCH_2)
    real_current = history_store._current
    raced = []

    def stale_once(settings_):
        found = real_current(settings_)
        if not raced:
            raced.append(True)
            history_store.ingest_batch(settings_, "input/polls/b.csv")  # lands first
        return found

    monkeypatch.setattr(history_store, "_current", stale_once)
    assert history_store.ingest_batch(settings, "input/polls/a.csv") == "batch-ingested"
    pointer = history_store.pointer(settings)
    manifest = history_store.manifest_at(settings, pointer["manifest_key"])
    assert [b["name"] for b in manifest["batches"]] == ["input/polls/b.csv", "input/polls/a.csv"]
    assert pointer["generation"] == 2


def test_latest_moves_before_a_refreshs_page_which_follows(
    live_stack, api, worker_queue, monkeypatch
):
    """A batch's refresh, computed by the invocation that ingests the batch, completes and
    moves ``latest`` before its page is written: while the page is pending its answer says so
    and ``format=html`` answers 202; the batch's message, handed back, writes the page when
    redelivered, then 303 to it."""
    from storemon.service import report_files

    bucket = live_stack["bucket"]
    put_inputs(bucket)
    worker_queue.drain()
    real_write_page = report_files.write_page

    def page_fails(*args, **kwargs):
        raise RuntimeError("stopped before the page")

    monkeypatch.setattr(report_files, "write_page", page_fails)
    put(bucket, "input/polls/2023-01-23T12.csv", BATCH_1)
    outcome = worker_queue.poll_once()  # the batch: ingested, its refresh computed there
    assert outcome is not None and outcome.kept  # the batch's message handed back
    pending = latest(api)
    assert pending["status"] == "Complete" and pending["page_pending"] is True
    assert "files_pending" not in pending and pending["incidents_url"]  # written before
    assert pending["page_url"] is None and pending["report_url"]
    status, _, headers = api.get("/get_report/latest?format=html")
    assert status == 202 and headers["retry-after"] == "5"

    monkeypatch.setattr(report_files, "write_page", real_write_page)
    assert not any(o.failed for o in worker_queue.drain())  # the retry writes the page
    done = latest(api)
    assert done["report_id"] == pending["report_id"] and "page_pending" not in done
    assert s3_text(bucket, f"reports/{done['report_id']}/report.html").startswith("<!DOCTYPE")
    status, _, headers = api.get("/get_report/latest?format=html")
    # two presigned URLs of the page: signed at their own second (X-Amz-Date), same object
    assert status == 303 and _object_of(headers["location"]) == _object_of(done["page_url"])


def test_hours_are_read_again_only_when_a_new_version_is_uploaded(
    live_stack, api, worker_queue, monkeypatch
):
    """The history's hours, zones and closures are brought to the recorded versions before a
    refresh: a version whose bytes the history holds is not read again; a new one is."""
    from storemon.service import sources

    bucket = live_stack["bucket"]
    put_inputs(bucket)
    put(bucket, "input/polls/b1.csv", BATCH_1)
    worker_queue.drain()
    read = []
    real_read = sources.read_version

    def read_version(settings, ref, max_bytes=None):
        read.append(ref["key"])
        return real_read(settings, ref, max_bytes)

    monkeypatch.setattr(sources, "read_version", read_version)
    put(bucket, "input/polls/b2.csv", BATCH_2)
    worker_queue.drain()
    assert not [key for key in read if key.endswith(("menu_hours.csv", "timezones.csv"))]

    new_hours = HOURS_CSV.replace("1001,0,09:00:00,12:00:00", "1001,0,09:00:00,13:00:00")
    put(bucket, "input/menu_hours.csv", new_hours)
    worker_queue.drain()
    assert [key for key in read if key.endswith("menu_hours.csv")] == ["input/menu_hours.csv"]
    report = latest(api)
    assert s3_text(bucket, f"reports/{report['report_id']}/report.csv") == engine_csv(
        status=union(STATUS_CSV, BATCH_1, BATCH_2), hours=new_hours
    )


def _object_of(url: str) -> str:
    """The bucket and key a presigned URL reads (its query, the signature, left out)."""
    return urlsplit(url).path


def test_a_refreshs_store_files_follow_latest_and_the_store_routes_say_so(
    live_stack, api, worker_queue, monkeypatch
):
    """The batch's one invocation ingests it and computes its refresh (no refresh message
    queued); ``latest`` moves after the report CSV and the summary are written, its per-store
    files right after: while they are pending the answer says ``files_pending`` and the
    per-store routes answer 503 with Retry-After; the batch's redelivery writes them."""
    from storemon.service import report_files

    bucket = live_stack["bucket"]
    put_inputs(bucket)
    worker_queue.drain()
    real_write = report_files.write_store_files

    def store_files_fail(*args, **kwargs):
        raise RuntimeError("stopped before the store files")

    monkeypatch.setattr(report_files, "write_store_files", store_files_fail)
    put(bucket, "input/polls/2023-01-23T12.csv", BATCH_1)
    outcome = worker_queue.poll_once()
    assert outcome is not None and outcome.kept  # handed back: the store files failed
    pending = latest(api)
    assert pending["status"] == "Complete" and pending["inputs"]["history"]
    assert pending["files_pending"] is True and pending["page_pending"] is True
    assert pending["incidents_url"] is None and pending["report_url"]
    expected = engine_csv(status=union(STATUS_CSV, BATCH_1))
    assert s3_text(bucket, f"reports/{pending['report_id']}/report.csv") == expected
    for path in ("/stores/1001/status", "/stores/1001/incidents", "/store_summary?store_id=1001"):
        status, body, headers = api.get(path)
        assert status == 503 and headers["retry-after"] == "2", path
        assert "per-store files are being written" in body["error"]

    monkeypatch.setattr(report_files, "write_store_files", real_write)
    outcome = worker_queue.poll_once()  # the redelivered batch: duplicate, writes what pends
    assert outcome is not None and not outcome.kept
    assert worker_queue.poll_once() is None  # no refresh message was ever queued
    done = latest(api)
    assert done["report_id"] == pending["report_id"]
    assert "files_pending" not in done and "page_pending" not in done and done["incidents_url"]
    status, body, _ = api.get("/stores/2002/status")
    assert status == 200 and body["report_id"] == done["report_id"]
    assert (body["status"], body["since_utc"]) == ("inactive", "2023-01-23T12:15:00.000000Z")
