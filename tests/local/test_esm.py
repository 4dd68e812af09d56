"""The SQS event source mapping (storemon_dev.local.esm) against moto."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid

import pytest

from storemon_dev.local.esm import SqsEventSource, failed_ids, lambda_record


def make_queue(sqs, *, visibility: int = 1, max_receive: int | None = None):
    name = f"q-{uuid.uuid4().hex[:12]}"
    attributes = {"VisibilityTimeout": str(visibility)}
    dlq_url = None
    if max_receive is not None:
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive}
        )
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn, dlq_url


def count(sqs, url) -> int:
    attrs = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(
        attrs["ApproximateNumberOfMessagesNotVisible"]
    )


def wait_for(predicate, timeout: float = 10.0, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not met in time")


def test_failed_ids_follows_lambdas_rules():
    ids = ["a", "b"]
    assert failed_ids(None, ids) == []
    assert failed_ids({}, ids) == []
    assert failed_ids({"batchItemFailures": []}, ids) == []
    assert failed_ids({"batchItemFailures": None}, ids) == []
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "b"}]}, ids) == ["b"]
    for invalid in (
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"itemIdentifier": "zzz"}]},
        {"batchItemFailures": [{"id": "a"}]},
        {"batchItemFailures": "a"},
        "ok",
    ):
        assert failed_ids(invalid, ids) is None, invalid


def test_record_has_lambdas_sqs_fields(sqs):
    url, arn, _ = make_queue(sqs)
    sqs.send_message(
        QueueUrl=url,
        MessageBody='{"report_id": "r1"}',
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "report"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    events = []
    source = SqsEventSource(sqs, url, arn, events.append, region="us-east-1")
    outcome = source.poll_once()
    assert outcome is not None and outcome.deleted == outcome.delivered
    (record,) = events[0]["Records"]
    assert record["body"] == '{"report_id": "r1"}'
    assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == arn
    assert record["awsRegion"] == "us-east-1"
    assert record["messageId"] and record["receiptHandle"]
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(
        record["attributes"]
    )
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "report",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert record["messageAttributes"]["blob"]["binaryValue"] == "AAE="
    assert record["md5OfMessageAttributes"]
    assert count(sqs, url) == 0


@pytest.mark.slow
def test_partial_failures_are_redelivered_then_dead_lettered(sqs):
    url, arn, dlq_url = make_queue(sqs, visibility=1, max_receive=2)
    for body in ("ok-1", "bad", "ok-2"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    seen: list[tuple[str, str]] = []

    def worker(event):
        failures = []
        for record in event["Records"]:
            seen.append((record["body"], record["attributes"]["ApproximateReceiveCount"]))
            if record["body"] == "bad":
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    source = SqsEventSource(
        sqs,
        url,
        arn,
        worker,
        region="us-east-1",
        batch_size=10,
        report_batch_item_failures=True,
    )
    first = source.poll_once()
    assert first is not None and len(first.delivered) == 3
    assert len(first.deleted) == 2 and len(first.kept) == 1
    # the failed message comes back once its visibility timeout (1 s) has passed
    second = wait_for(source.poll_once, timeout=10)
    assert second.kept == first.kept and ("bad", "2") in seen
    # third receive exceeds maxReceiveCount=2: the queue moves it to the dead-letter queue
    time.sleep(1.1)
    assert source.poll_once() is None
    dead = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in dead] == ["bad"]
    assert count(sqs, url) == 0
    assert sorted(b for b, _ in seen) == ["bad", "bad", "ok-1", "ok-2"]


@pytest.mark.parametrize(
    ("answer", "report_failures", "expect_deleted"),
    [
        (RuntimeError("boom"), True, False),  # handler error: whole batch stays
        ({"batchItemFailures": [{"itemIdentifier": "nope"}]}, True, False),  # invalid answer
        ({"batchItemFailures": [{"itemIdentifier": "nope"}]}, False, True),  # not enabled
        ("anything", False, True),
    ],
)
def test_whole_batch_outcomes(sqs, answer, report_failures, expect_deleted):
    url, arn, _ = make_queue(sqs, visibility=30)
    sqs.send_message(QueueUrl=url, MessageBody="a")
    sqs.send_message(QueueUrl=url, MessageBody="b")

    def worker(event):
        if isinstance(answer, Exception):
            raise answer
        return answer

    source = SqsEventSource(
        sqs,
        url,
        arn,
        worker,
        region="us-east-1",
        batch_size=10,
        report_batch_item_failures=report_failures,
    )
    outcome = source.poll_once()
    assert outcome is not None and len(outcome.delivered) == 2
    if expect_deleted:
        assert len(outcome.deleted) == 2 and not outcome.kept and count(sqs, url) == 0
    else:
        assert not outcome.deleted and len(outcome.kept) == 2 and count(sqs, url) == 2
        assert outcome.error


def test_batch_size_and_poller_thread(sqs):
    url, arn, _ = make_queue(sqs, visibility=30)
    for i in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
    batches: list[list[str]] = []
    lock = threading.Lock()

    def worker(event):
        with lock:
            batches.append([r["body"] for r in event["Records"]])

    source = SqsEventSource(sqs, url, arn, worker, region="us-east-1", batch_size=2)
    source.start()
    try:
        wait_for(lambda: sum(len(b) for b in batches) == 5, timeout=15)
    finally:
        assert source.stop(timeout=10)
    assert all(1 <= len(b) <= 2 for b in batches)
    assert sorted(x for b in batches for x in b) == ["0", "1", "2", "3", "4"]
    assert count(sqs, url) == 0


def test_lambda_record_without_message_attributes():
    record = lambda_record(
        {"MessageId": "m", "ReceiptHandle": "r", "Body": "b", "MD5OfBody": "x"},
        queue_arn="arn:aws:sqs:us-east-1:123456789012:q",
        region="us-east-1",
    )
    assert record["messageAttributes"] == {} and "md5OfMessageAttributes" not in record
