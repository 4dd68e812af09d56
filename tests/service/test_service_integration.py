"""The whole flow against a moto server on a free port, as the functions would see AWS:
trigger -> queue -> worker -> get_report -> fetch the presigned URL over HTTP."""

from __future__ import annotations

import json
import socket
import urllib.request

import boto3
import pytest

from storemon_dev.local.resources import create_resources
from tests.service.helpers import (
    TEMPLATE,
    EventSource,
    call_api,
    engine_csv,
    http_event,
    put_inputs,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def moto_server(aws_env, monkeypatch):
    from moto.server import ThreadedMotoServer

    from storemon import aws

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    aws.reset()
    try:
        res = create_resources(TEMPLATE)
        for name, value in res["env"].items():
            monkeypatch.setenv(name, value)
        yield res
    finally:
        aws.reset()
        server.stop()


def fetch(url: str) -> tuple[int, bytes, dict]:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - local moto
        return response.status, response.read(), dict(response.headers)


def test_trigger_worker_get_report_presigned_url(moto_server, apps):
    res = moto_server
    put_inputs(res["bucket"])  # the bucket notification queues three refreshes' worth of events
    status, body, _ = call_api(
        apps["trigger"], http_event("POST", "/trigger_report", body={"store_ids": ["1001", "0042"]})
    )
    assert status == 202
    report_id = body["report_id"]

    source = EventSource(apps["worker"], res)
    outcomes = source.drain()
    assert outcomes and not any(o["failed"] for o in outcomes)

    status, report, _ = call_api(
        apps["get_report"], http_event("GET", "/get_report", query={"report_id": report_id})
    )
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
    status, latest, _ = call_api(
        apps["get_report"], http_event("GET", "/get_report", query={"report_id": "latest"})
    )
    assert status == 200 and latest["status"] == "Complete" and latest["kind"] == "refresh"
    assert fetch(latest["report_url"])[1].decode() == engine_csv()
    status, store, _ = call_api(
        apps["get_report"], http_event("GET", "/store_summary", query={"store_id": "1001"})
    )
    assert status == 200 and store["polls"] == 2

    # nothing left behind: no message in flight, none in the dead-letter queue
    sqs = boto3.client("sqs")
    assert source.poll_once() is None
    assert "Messages" not in sqs.receive_message(QueueUrl=res["dlq_url"])
