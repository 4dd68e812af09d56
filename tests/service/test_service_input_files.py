"""Hostile input files on the service (issue 8): a report on them completes, or fails at
once (no retry) with a message naming the file; the limits come from the environment the
template gives the worker."""

from __future__ import annotations

import gzip

from tests.service.helpers import (
    HOURS_CSV,
    STATUS_CSV,
    TZ_CSV,
    engine_csv,
    put_inputs,
    s3_text,
)


def trigger_and_run(api, worker_queue) -> dict:
    status, out, _ = api.post("/trigger_report")
    assert status == 202
    outcomes = worker_queue.drain()
    assert len(outcomes) == 1 and not outcomes[0].failed  # done or failed at once
    status, body, _ = api.get("/get_report", query={"report_id": out["report_id"]})
    assert status == 200
    return {**body, "report_id": out["report_id"]}


def test_classic_mac_line_ends_complete(stack, api, worker_queue):
    put_inputs(
        stack["bucket"],
        status=STATUS_CSV.replace("\n", "\r"),
        hours=HOURS_CSV.replace("\n", "\r"),
        timezones=TZ_CSV.replace("\n", "\r"),
    )
    body = trigger_and_run(api, worker_queue)
    assert body["status"] == "Complete"
    csv = s3_text(stack["bucket"], f"reports/{body['report_id']}/report.csv")
    assert csv == engine_csv()


def test_a_file_over_the_input_limit_fails_at_once_naming_it(stack, api, worker_queue, monkeypatch):
    monkeypatch.setenv("STOREMON_MAX_INPUT_BYTES", "40")
    put_inputs(stack["bucket"])
    body = trigger_and_run(api, worker_queue)
    assert body["status"] == "Failed"
    assert body["error"].startswith("store_status.csv: file is ")
    assert "over the limit of 40 (max_input_bytes)" in body["error"]


def test_a_gzip_bomb_fails_at_once_naming_it(stack, api, worker_queue, monkeypatch):
    monkeypatch.setenv("STOREMON_MAX_TEXT_BYTES", "1000000")
    bomb = gzip.compress(TZ_CSV.encode() + b" " * 5_000_000)
    put_inputs(stack["bucket"], timezones=bomb, suffix=".csv")
    body = trigger_and_run(api, worker_queue)
    assert body["status"] == "Failed"
    assert body["error"] == (
        "timezones.csv: text is over the limit of 1,000,000 bytes (max_text_bytes)"
    )
