"""The whole flow against the moto server, as the functions would see AWS: trigger -> queue ->
worker -> get_report -> fetch the presigned URL over HTTP."""

from __future__ import annotations

import json
import urllib.request

import boto3

from tests.service.helpers import engine_csv, put_inputs


def fetch(url: str) -> tuple[int, bytes, dict]:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - local moto
        return response.status, response.read(), dict(response.headers)


def test_trigger_worker_get_report_presigned_url(live_stack, api, worker_queue):
    res = live_stack
    put_inputs(res["bucket"])  # the bucket notification queues three refreshes' worth of events
    status, body, _ = api.post("/trigger_report", {"store_ids": ["1001", "0042"]})
    assert status == 202
    report_id = body["report_id"]

    outcomes = worker_queue.drain()
    assert outcomes and not any(o.failed for o in outcomes)

    status, report, _ = api.get(f"/get_report/{report_id}")
    assert (status, report["status"]) == (200, "Complete")
    endpoint = res["env"].get("AWS_ENDPOINT_URL") or boto3.client("s3").meta.endpoint_url
    assert report["report_url"].startswith(f"{endpoint}/{res['bucket']}/reports/{report_id}/")
    code, data, headers = fetch(report["report_url"])
    assert code == 200
    assert data.decode() == engine_csv(store_ids=["1001", "0042"])
    assert f"report-{report_id}.csv" in headers.get("Content-Disposition", "")
    code, data, _ = fetch(report["summary_url"])
    assert json.loads(data)["report_id"] == report_id

    # the uploads refreshed the full report by themselves: latest, its CSV and store summary
    status, latest, _ = api.get("/get_report", query={"report_id": "latest"})
    assert status == 200 and latest["status"] == "Complete" and latest["kind"] == "refresh"
    assert fetch(latest["report_url"])[1].decode() == engine_csv()
    status, store, _ = api.get("/store_summary", query={"store_id": "1001"})
    assert status == 200 and store["polls"] == 2

    # nothing left behind: no message in flight, none in the dead-letter queue
    sqs = boto3.client("sqs")
    assert worker_queue.poll_once() is None
    assert "Messages" not in sqs.receive_message(QueueUrl=res["dlq_url"])
