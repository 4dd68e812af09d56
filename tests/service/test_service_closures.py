"""The optional fourth input, ``input/closures.csv`` (SPEC §9), on the service: part of the
input set (recorded by version, refreshed on upload like the other three, never mixed), its
absence fine, a broken one failing the report naming the file.

The worked example (store 1001 open Monday 09:00-12:00 UTC, polls 10:00 active and 11:30
inactive, now Monday 2023-01-23 12:00) with store 1001 closed 11:30-12:00 for a fire drill:
business time is 09:00-11:30, the 11:30 poll is inside the closure (not evidence), so the only
evidence is the 10:00 active poll: the day is 2.5 h up, 0 down; the hour [11:00, 12:00) holds
30 business minutes, all up."""

from __future__ import annotations

import gzip

import boto3

from tests.service.helpers import engine_csv, put_inputs, s3_text

FIRE_DRILL = (
    "store_id,start_local,end_local,reason\n1001,2023-01-23 11:30,2023-01-23 12:00,fire drill\n"
)
# the whole morning closed instead: 09:00-12:00 holds no business time any more
MORNING = "store_id,start_local,end_local,reason\n*,2023-01-23 09:00,2023-01-23 12:00,stocktake\n"
WITH_FIRE_DRILL = "1001,30.00,2.50,2.50,0.00,0.00,0.00"
WITHOUT_CLOSURES = "1001,0.00,1.75,1.75,60.00,1.25,1.25"
WHOLE_MORNING_CLOSED = "1001,0.00,0.00,0.00,0.00,0.00,0.00"


def put_closures(bucket: str, text: str, key: str = "input/closures.csv") -> str:
    answer = boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=text.encode())
    return answer["VersionId"]


def latest(api) -> dict:
    status, body, _ = api.get("/get_report/latest")
    assert status == 200, body
    return body


def row_of_1001(bucket: str, report_id: str) -> str:
    csv = s3_text(bucket, f"reports/{report_id}/report.csv")
    return next(line for line in csv.splitlines() if line.startswith("1001,"))


def test_a_closures_upload_is_part_of_the_input_set(live_stack, api, worker_queue):
    bucket = live_stack["bucket"]
    put_inputs(bucket)
    worker_queue.drain()
    before = latest(api)
    assert "closures" not in before["inputs"]  # no file: no entry, the id of the three alone
    assert row_of_1001(bucket, before["report_id"]) == WITHOUT_CLOSURES

    version = put_closures(bucket, FIRE_DRILL)  # refreshes by itself, as the other three do
    worker_queue.drain()
    body = latest(api)
    assert body["report_id"] != before["report_id"] and body["status"] == "Complete"
    assert body["inputs"]["closures"] == {"key": "input/closures.csv", "version_id": version}
    assert row_of_1001(bucket, body["report_id"]) == WITH_FIRE_DRILL
    csv = s3_text(bucket, f"reports/{body['report_id']}/report.csv")
    assert csv == engine_csv(closures=FIRE_DRILL.encode(), closures_name="closures.csv")
    assert body["summary"]["files"]["closures"] == {
        "file": "closures.csv",
        "rows_read": 1,
        "rows_skipped": 0,
        "skipped_reasons": {},
    }


def test_a_report_reads_the_closures_version_it_recorded(stack, api, worker_queue):
    bucket = stack["bucket"]
    put_inputs(bucket)
    first = put_closures(bucket, FIRE_DRILL)
    status, out, _ = api.post("/trigger_report")
    assert status == 202
    put_closures(bucket, MORNING)  # uploaded while the report waits in the queue
    worker_queue.drain()
    status, body, _ = api.get(f"/get_report/{out['report_id']}")
    assert body["status"] == "Complete" and body["inputs"]["closures"]["version_id"] == first
    assert row_of_1001(bucket, out["report_id"]) == WITH_FIRE_DRILL  # never the newer file

    status, out, _ = api.post("/trigger_report")
    worker_queue.drain()
    assert row_of_1001(bucket, out["report_id"]) == WHOLE_MORNING_CLOSED


def test_a_gzip_closures_file_and_the_snapshot_carry_the_closures(stack, api, worker_queue):
    bucket = stack["bucket"]
    put_inputs(bucket)
    boto3.client("s3").put_object(
        Bucket=bucket, Key="input/closures.csv.gz", Body=gzip.compress(FIRE_DRILL.encode())
    )
    for _ in range(2):  # the CSV files, then the snapshot the first one wrote
        status, out, _ = api.post("/trigger_report")
        worker_queue.drain()
        status, body, _ = api.get(f"/get_report/{out['report_id']}")
        assert body["inputs"]["closures"]["key"] == "input/closures.csv.gz"
        assert row_of_1001(bucket, out["report_id"]) == WITH_FIRE_DRILL
    assert (body["source"], body["summary"]["files"]["closures"]["file"]) == (
        "snapshot",
        "closures.csv.gz",
    )
    status, one, _ = api.get("/stores/1001/report")  # the store route: the same snapshot
    assert status == 200 and (one["uptime_last_day"], one["downtime_last_day"]) == (2.5, 0.0)


def test_a_broken_closures_file_fails_the_refresh_naming_it(live_stack, api, worker_queue):
    bucket = live_stack["bucket"]
    put_inputs(bucket)
    worker_queue.drain()
    good = latest(api)
    put_closures(bucket, "store_id,start_local\n1001,2023-01-23 11:30\n")  # no end_local
    worker_queue.drain()
    body = latest(api)
    assert body["report_id"] == good["report_id"]  # a failed refresh never replaces latest
    failure = body["newer_refresh_failed"]
    assert failure["error"].startswith("closures.csv: ") and "end_local" in failure["error"]
