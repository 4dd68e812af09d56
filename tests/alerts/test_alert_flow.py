"""SPEC §10 through the template's functions on moto: uploads -> refresh -> latest -> the
worker's evaluation -> the SNS topic and the delivery queue -> the delivery function -> local
receivers, signatures verified with the standardwebhooks package. The IAM check (every test)
holds each function's calls to its role."""

from __future__ import annotations

import json

import boto3
import pytest
from standardwebhooks import Webhook

from storemon.service import alerts as alerts_service
from storemon.service import records
from storemon.service.settings import Settings
from tests.alerts.conftest import topic_messages
from tests.harness import handler_invoker, record
from tests.service.helpers import STATUS_CSV, put_inputs

# store 1001 (open Monday 09:00-12:00 UTC): active at 10:00, inactive at 11:30, now 12:00 (the
# newest poll, store 2002's): one incident from the midpoint 10:45 to now, 75 business minutes
DOWN = {
    "type": "store.down",
    "data": {
        "store_id": "1001",
        "start_utc": "2023-01-23T10:45:00.000000Z",
        "end_utc": "2023-01-23T12:00:00.000000Z",
        "business_minutes": 75.0,
        "ongoing": True,
    },
}
# a later status file adds 1001 active at 11:50: the incident ends at the midpoint 11:40
RECOVERED_STATUS = STATUS_CSV + "1001,active,2023-01-23 11:50:00 UTC\n"
RECOVERED = {
    "type": "store.recovered",
    "data": {
        "store_id": "1001",
        "start_utc": "2023-01-23T10:45:00.000000Z",
        "end_utc": "2023-01-23T11:40:00.000000Z",
        "business_minutes": 55.0,
        "ongoing": False,
    },
}


def without_timestamp(body: dict) -> dict:
    assert body["timestamp"].endswith("Z")
    return {k: v for k, v in body.items() if k != "timestamp"}


def subscribe(client, receivers, path: str, **fields) -> dict:
    status, body, _ = client.post("/subscriptions", json={"url": receivers.url + path, **fields})
    assert status == 201, body
    return body


def verified(receivers, path: str, secret: str) -> list[dict]:
    """The bodies POSTed to `path`, each signature checked as a receiver would."""
    out = []
    for got in receivers.got:
        if got.path == path:
            out.append(Webhook(secret).verify(got.body, got.headers))
    return out


@pytest.mark.slow
def test_an_incident_is_notified_once_to_the_topic_and_every_matching_subscriber(
    alerts, api, worker_queue, delivery_queue, receivers
):
    admin = subscribe(api, receivers, "/ok/admin")
    owner = api.as_user("olivia", stores=("1001",))
    mine = subscribe(owner, receivers, "/ok/olivia", store_ids=["1001"])
    subscribe(api.as_user("oscar", stores=("2002",)), receivers, "/ok/oscar", store_ids=["2002"])
    subscribe(api, receivers, "/ok/slow", min_minutes=120)

    put_inputs(alerts["bucket"])
    worker_queue.drain()
    delivery_queue.drain()
    assert [without_timestamp(m) for m in topic_messages(alerts)] == [DOWN]
    [to_admin] = verified(receivers, "/ok/admin", admin["secret"])
    [to_owner] = verified(receivers, "/ok/olivia", mine["secret"])
    assert without_timestamp(to_admin) == without_timestamp(to_owner) == DOWN
    ids = {g.headers["webhook-id"] for g in receivers.got}
    assert len(ids) == 1 and ids.pop().startswith("msg_")
    assert {g.path for g in receivers.got} == {"/ok/admin", "/ok/olivia"}

    boto3.client("s3").put_object(
        Bucket=alerts["bucket"], Key="input/store_status.csv", Body=RECOVERED_STATUS.encode()
    )
    worker_queue.drain()
    delivery_queue.drain()
    assert [without_timestamp(m) for m in topic_messages(alerts)] == [RECOVERED]
    assert [without_timestamp(b) for b in verified(receivers, "/ok/olivia", mine["secret"])] == [
        DOWN,
        RECOVERED,
    ]
    assert [g.path for g in receivers.got].count("/ok/admin") == 2
    assert not any(g.path in ("/ok/oscar", "/ok/slow") for g in receivers.got)


@pytest.mark.slow
def test_a_duplicate_or_repeated_evaluation_sends_nothing_twice(flow, template, apps):
    alerts, api, worker_queue = flow.stack, flow.api, flow.worker_queue
    delivery_queue, receivers = flow.delivery_queue, flow.receivers
    subscribe(api, receivers, "/ok/admin")
    put_inputs(alerts["bucket"])
    worker_queue.drain()  # the report evaluates its ingest's alerts itself
    pointer = records.latest_pointer(Settings.from_env()) or {}
    evaluation = {
        "kind": "alerts",
        "report_id": pointer["target_id"],
        "ingest_at": pointer["current_at"],
    }
    delivery_queue.drain()
    assert len(receivers.got) == 1 and len(topic_messages(alerts)) == 1
    # the same message again (SQS delivers at least once), and the same ingest under another id
    for message_id in ("m-again", "m-other"):
        event = {"Records": [record(evaluation, message_id=message_id)]}
        answer = handler_invoker(template, apps)("WorkerFunction", event)
        assert answer == {"batchItemFailures": []}
    # a refresh of the same inputs moves latest again: a new evaluation, nothing new owed
    settings = Settings.from_env()
    view = __import__("storemon.service.input_sets", fromlist=["x"]).alert_view_of_record(
        settings,
        __import__("storemon.service.records", fromlist=["x"]).get(
            settings, evaluation["report_id"]
        ),
    )
    later = alerts_service.evaluate(
        settings, view, ingest_at=evaluation["ingest_at"] + "9", token="direct"
    )
    assert later == "alerts:0 sent"
    delivery_queue.drain()
    assert len(receivers.got) == 1 and topic_messages(alerts) == []


def test_a_concurrent_evaluation_never_notifies_an_identity_twice(flow, monkeypatch):
    """Two evaluations of one ingest at once (the second past the lease, as when the first's
    lease ran out while it still ran): both plan the same store.down from the same state;
    the second writes and sends it first, the first's conditional write then fails, it reads
    the state again, decides again and sends nothing. (Had the first already noted its outbox,
    the second would resend that too, as the retry of a stopped evaluation does: at least
    once, the same webhook-id.)"""
    from storemon.service import input_sets, records

    alerts, api, receivers = flow.stack, flow.api, flow.receivers
    subscribe(api, receivers, "/ok/admin")
    monkeypatch.delenv("ALERTS_TABLE")  # the report alone: its evaluation message is dropped
    put_inputs(alerts["bucket"])
    flow.worker_queue.drain()
    monkeypatch.setenv("ALERTS_TABLE", alerts["alerts_table"])
    settings = Settings.from_env()
    report_id = api.get("/get_report/latest")[1]["report_id"]
    view = input_sets.alert_view_of_record(settings, records.get(settings, report_id))
    ingest_at = "2026-12-03T12:00:00.000000Z"
    write_outbox, raced = alerts_service._write_outbox, []

    def the_other_goes_first(settings, owed):  # the first has planned: states read, not written
        if not raced:  # once: the other evaluation's own outbox goes through
            raced.append(None)
            raced[0] = alerts_service._evaluate(settings, view, ingest_at, "other")
        return write_outbox(settings, owed)

    monkeypatch.setattr(alerts_service, "_write_outbox", the_other_goes_first)
    decided_again, again = alerts_service._decided_again, []
    monkeypatch.setattr(
        alerts_service, "_decided_again", lambda *a: again.append(a) or decided_again(*a)
    )
    assert alerts_service.evaluate(settings, view, ingest_at=ingest_at, token="first") == (
        "alerts:0 sent"
    )
    assert raced == [1]  # the other evaluation sent the one store.down
    assert len(again) == 1  # the first's write was refused: its state read and decided again
    flow.delivery_queue.drain()
    assert [without_timestamp(m) for m in topic_messages(alerts)] == [DOWN]
    assert [g.path for g in receivers.got] == ["/ok/admin"]


def test_the_report_evaluates_its_ingest_and_the_queued_evaluation_finds_it_done(
    flow, template, apps, monkeypatch
):
    """The report that moves ``latest`` evaluates its ingest itself, from its own evidence (no
    evaluation message handled): the alert is delivered. The evaluation it queued as a safety
    net (delayed by the lease) then finds the ingest evaluated without reading the polls."""
    from storemon.service import input_sets

    api, worker_queue = flow.api, flow.worker_queue
    subscribe(api, flow.receivers, "/ok/admin")
    queued = []
    real_queue = alerts_service.queue_evaluation

    def queue_evaluation(settings, report_id, ingest_at, delay=0):
        queued.append(({"kind": "alerts", "report_id": report_id, "ingest_at": ingest_at}, delay))
        real_queue(settings, report_id, ingest_at, delay)

    monkeypatch.setattr(alerts_service, "queue_evaluation", queue_evaluation)
    put_inputs(flow.stack["bucket"])
    outcomes = worker_queue.drain()
    kinds = [json.loads(m["Body"]).get("kind") for o in outcomes for m in o.messages]
    assert "alerts" not in kinds
    flow.delivery_queue.drain()
    assert len(flow.receivers.got) == 1 and len(topic_messages(flow.stack)) == 1
    sqs = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=worker_queue.queue_url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"

    def no_second_view(*args, **kwargs):
        raise AssertionError("the polls read again for an evaluated ingest")

    monkeypatch.setattr(input_sets, "alert_view_of_record", no_second_view)
    [(message, delay)] = queued
    assert delay == alerts_service.LEASE_SECONDS
    event = {"Records": [record(message)]}
    assert handler_invoker(template, apps)("WorkerFunction", event) == {"batchItemFailures": []}
    flow.delivery_queue.drain()
    assert len(flow.receivers.got) == 1 and topic_messages(flow.stack) == []
