"""SPEC §10's alerts evaluated when a batch lands in the poll history: before the report
that moves ``latest`` and whatever becomes of it (through the template's functions on
moto, the IAM check holding each function to its role)."""

from __future__ import annotations

import json

import boto3
import pytest

from storemon.errors import InputError
from storemon.service import alert_store, alerts_history, history_store, input_sets
from storemon.service import alerts as alerts_service
from storemon.service.settings import Settings
from tests.alerts.conftest import topic_messages
from tests.alerts.test_alert_flow import DOWN, RECOVERED, subscribe, verified, without_timestamp
from tests.harness import handler_invoker, record
from tests.service.helpers import put_inputs

# 1001's incident (DOWN: from 10:45, ongoing at 12:00) ends when a batch adds it active at
# 11:50: the store.recovered of RECOVERED (ends at the midpoint 11:40, 55 business minutes)
BATCH = "store_id,status,timestamp_utc\n1001,active,2023-01-23 11:50:00 UTC\n"


def put_batch(bucket: str, name: str = "b1.csv") -> None:
    boto3.client("s3").put_object(Bucket=bucket, Key=f"input/polls/{name}", Body=BATCH.encode())


@pytest.fixture
def told_down(flow) -> dict:
    """An administrator's subscription, told 1001's store.down by the classic upload's report."""
    admin = subscribe(flow.api, flow.receivers, "/ok/admin")
    put_inputs(flow.stack["bucket"])
    flow.worker_queue.drain()
    flow.delivery_queue.drain()
    assert [without_timestamp(m) for m in topic_messages(flow.stack)] == [DOWN]
    return admin


@pytest.mark.slow
def test_a_batch_is_evaluated_by_a_message_of_its_own_and_its_report_evaluates_nothing(
    flow, told_down, monkeypatch
):
    """The ingest queues its version's evaluation and goes on to the report that moves
    ``latest``; the message (another invocation) evaluates it, once: the report neither
    evaluates it again nor races it for the cursor."""
    steps: list[tuple[str, str]] = []
    evaluate, report_of_record = alerts_service.evaluate, input_sets.report_of_record

    def evaluating(settings, view, *, ingest_at, token, scope=None):
        steps.append(("evaluate", ingest_at))
        return evaluate(settings, view, ingest_at=ingest_at, token=token, scope=scope)

    def reporting(*args, **kwargs):
        steps.append(("report", ""))
        return report_of_record(*args, **kwargs)

    monkeypatch.setattr(alerts_service, "evaluate", evaluating)
    monkeypatch.setattr(input_sets, "report_of_record", reporting)
    put_batch(flow.stack["bucket"])
    outcomes = flow.worker_queue.drain()
    flow.delivery_queue.drain()

    settings = Settings.from_env()
    pointer = history_store.pointer(settings)
    landed = pointer["updated_at"]  # the ingest: its manifest current
    assert steps == [("report", ""), ("evaluate", landed)]
    bodies = [json.loads(m["Body"]) for outcome in outcomes for m in outcome.messages]
    evaluation = {"kind": "alerts", "manifest_key": pointer["manifest_key"], "ingest_at": landed}
    assert bodies[1:] == [evaluation]  # the notification's invocation, then the evaluation's
    assert outcomes[1].result == {"batchItemFailures": []}
    assert alert_store.cursor(settings)["evaluated_at"] == landed
    assert flow.api.get("/get_report/latest")[1]["inputs"]["history"]  # latest covers it
    assert [without_timestamp(m) for m in topic_messages(flow.stack)] == [RECOVERED]
    bodies = verified(flow.receivers, "/ok/admin", told_down["secret"])
    assert [without_timestamp(b) for b in bodies] == [DOWN, RECOVERED]


@pytest.mark.slow
def test_an_ingest_whose_report_fails_still_alerts_once(
    flow, told_down, template, apps, monkeypatch
):
    def broken(*args, **kwargs):
        raise InputError("history", "a report that cannot be made")

    monkeypatch.setattr(input_sets, "report_of_record", broken)
    before = flow.api.get("/get_report/latest")[1]["report_id"]
    put_batch(flow.stack["bucket"])
    flow.worker_queue.drain()
    flow.delivery_queue.drain()
    latest = flow.api.get("/get_report/latest")[1]
    assert latest["report_id"] == before  # the failed report never replaces latest
    assert "a report that cannot be made" in latest["newer_refresh_failed"]["error"]
    assert [without_timestamp(m) for m in topic_messages(flow.stack)] == [RECOVERED]

    # evaluated once: the same history version again (a queued evaluation) sends nothing
    settings = Settings.from_env()
    pointer = history_store.pointer(settings)
    again = {
        "kind": "alerts",
        "manifest_key": pointer["manifest_key"],
        "ingest_at": pointer["updated_at"],
    }
    invoke = handler_invoker(template, apps)
    assert invoke("WorkerFunction", {"Records": [record(again)]}) == {"batchItemFailures": []}
    flow.delivery_queue.drain()
    assert topic_messages(flow.stack) == []
    bodies = verified(flow.receivers, "/ok/admin", told_down["secret"])
    assert [without_timestamp(b) for b in bodies] == [DOWN, RECOVERED]


def test_a_failed_evaluation_of_an_ingest_is_retried_by_its_message(
    flow, told_down, template, apps, monkeypatch
):
    """The ingest's queued evaluation fails (here: reading the history's view): the worker
    hands its message back and SQS delivers it again (the same message), which sends the
    store.recovered, once; the report moved ``latest`` meanwhile."""
    view_of, failed = history_store.alert_view, []

    def fails_once(settings, manifest_key, previous_key=None):
        if not failed:
            failed.append(manifest_key)
            raise OSError("S3 went away for a moment")
        return view_of(settings, manifest_key, previous_key)

    monkeypatch.setattr(history_store, "alert_view", fails_once)
    evaluations = []
    handle = alerts_service.handle_evaluation
    monkeypatch.setattr(
        alerts_service,
        "handle_evaluation",
        lambda settings, message, message_id=None: (
            evaluations.append(message) or handle(settings, message, message_id)
        ),
    )
    put_batch(flow.stack["bucket"])
    outcomes = flow.worker_queue.drain()
    flow.delivery_queue.drain()
    pointer = history_store.pointer(Settings.from_env())
    assert failed == [pointer["manifest_key"]]
    queued = {"manifest_key": pointer["manifest_key"], "ingest_at": pointer["updated_at"]}
    assert [queued.items() <= e.items() for e in evaluations] == [True, True]
    handed_back = [o for o in outcomes if o.kept]
    assert len(handed_back) == 1
    retried = [o for o in outcomes if o.delivered == handed_back[0].delivered]
    assert len(retried) == 2 and not retried[1].kept  # the same message, delivered again
    assert flow.api.get("/get_report/latest")[1]["inputs"]["history"]
    assert [without_timestamp(m) for m in topic_messages(flow.stack)] == [RECOVERED]
    assert len(verified(flow.receivers, "/ok/admin", told_down["secret"])) == 2


@pytest.mark.slow
def test_the_next_batch_is_evaluated_from_the_days_it_changed(
    flow, told_down, template, apps, monkeypatch
):
    """After a batch evaluated in full (the first of the history), the next one's view is
    narrow (same audiences, only a batch added): 2002 (24/7), active at 12:00, inactive at
    12:30 gets its store.down (from the midpoint 12:15, 15 business minutes, ongoing), and
    nothing is sent again for 1001. The first version's evaluation delivered again after the
    second's (concurrent invocations finish in any order) does nothing."""
    queued: list[tuple[str, str]] = []
    queue = alerts_history.queue_evaluation

    def queueing(settings, manifest_key, ingest_at, delay=0):
        queued.append((manifest_key, ingest_at))
        return queue(settings, manifest_key, ingest_at, delay)

    monkeypatch.setattr(alerts_history, "queue_evaluation", queueing)
    views, versions = [], []
    view_of = history_store.alert_view

    def seen(settings, manifest_key, previous_key=None):
        versions.append(manifest_key)
        views.append(view_of(settings, manifest_key, previous_key))
        return views[-1]

    monkeypatch.setattr(history_store, "alert_view", seen)
    put_batch(flow.stack["bucket"])
    flow.worker_queue.drain()
    boto3.client("s3").put_object(
        Bucket=flow.stack["bucket"],
        Key="input/polls/b2.csv",
        Body=b"store_id,status,timestamp_utc\n2002,inactive,2023-01-23 12:30:00 UTC\n",
    )
    flow.worker_queue.drain()
    flow.delivery_queue.drain()
    assert [view.from_tick is None for view in views] == [True, False]
    down_2002 = {
        "type": "store.down",
        "data": {
            "store_id": "2002",
            "start_utc": "2023-01-23T12:15:00.000000Z",
            "end_utc": "2023-01-23T12:30:00.000000Z",
            "business_minutes": 15.0,
            "ongoing": True,
        },
    }
    assert [without_timestamp(m) for m in topic_messages(flow.stack)] == [RECOVERED, down_2002]
    bodies = verified(flow.receivers, "/ok/admin", told_down["secret"])
    assert [without_timestamp(b) for b in bodies] == [DOWN, RECOVERED, down_2002]
    assert [version for version, _ in queued] == versions  # one evaluation per version
    older = {"kind": "alerts", "manifest_key": queued[0][0], "ingest_at": queued[0][1]}
    invoke = handler_invoker(template, apps)
    assert invoke("WorkerFunction", {"Records": [record(older)]}) == {"batchItemFailures": []}
    flow.delivery_queue.drain()
    assert topic_messages(flow.stack) == []
    assert views[2:] == []  # not even its view computed
    assert len(verified(flow.receivers, "/ok/admin", told_down["secret"])) == 3


def test_a_busy_cursor_queues_the_evaluation_again_later_each_time_without_a_view(
    flow, told_down, monkeypatch
):
    """Another evaluation holds the cursor's lease (one the worker's Timeout stopped: 300 s):
    the evaluation of a newer version computes no view and is queued again, 2 s later the
    first time, twice as late each time after, at most a minute."""
    put_batch(flow.stack["bucket"])
    flow.worker_queue.drain()
    settings = Settings.from_env()
    manifest_key = history_store.pointer(settings)["manifest_key"]
    newer = "2099-01-01T00:00:00.000000Z"  # a version newer than any evaluated
    assert alert_store.acquire(settings, newer, "a stopped evaluation", 300) == "acquired"
    views, queued = [], []
    monkeypatch.setattr(history_store, "alert_view", lambda *args: views.append(args))
    monkeypatch.setattr(
        alerts_history,
        "queue_evaluation",
        lambda settings, key, ingest_at, delay=0, busy=0: queued.append((key, delay, busy)),
    )
    message = {"kind": "alerts", "manifest_key": manifest_key, "ingest_at": newer}
    outcomes = [
        alerts_history.handle_evaluation(settings, {**message, "busy": busy}, "its message")
        for busy in (0, 1, 2, 5, 9)
    ]
    assert outcomes == ["alerts-busy"] * 5
    assert views == []
    assert queued == [
        (manifest_key, 2, 1),
        (manifest_key, 4, 2),
        (manifest_key, 8, 3),
        (manifest_key, 60, 6),
        (manifest_key, 60, 10),
    ]
    alert_store.release(settings, "a stopped evaluation")
    assert alert_store.acquire(settings, newer, "its message", 300) == "acquired"
