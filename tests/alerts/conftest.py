"""Fixtures of the alert tests: the stack with alerts on, the delivery queue through its event
source, and local webhook receivers (HTTP servers on 127.0.0.1 that record what they get)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from storemon_dev.local.resources import function_environment
from tests.harness import WorkerQueue, handler_invoker

ALERT_VARIABLES = (
    "ALERTS_TABLE",
    "SUBSCRIPTIONS_TABLE",
    "ALERT_TOPIC_ARN",
    "DELIVERY_QUEUE_URL",
    "ALERT_MIN_MINUTES",
)


@pytest.fixture
def alerts(live_stack, monkeypatch) -> dict:
    """``live_stack`` with the worker evaluating alerts, and receivers on loopback allowed
    (the local stack's setting); also: an SQS queue subscribed to the alert topic
    (``topic_queue_url``), as operations would subscribe theirs."""
    env = function_environment(live_stack, "WorkerFunction")
    for name in ALERT_VARIABLES:
        monkeypatch.setenv(name, env[name])
    monkeypatch.setenv("WEBHOOK_LOCAL_RECEIVERS", "true")
    sqs, sns = boto3.client("sqs"), boto3.client("sns")
    url = sqs.create_queue(QueueName="ops-alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=live_stack["topic_arn"],
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    return {**live_stack, "topic_queue_url": url}


def topic_messages(stack: dict) -> list[dict]:
    """What the alert topic published (its SQS subscriber's messages, consumed)."""
    sqs = boto3.client("sqs")
    out = []
    while True:
        got = sqs.receive_message(
            QueueUrl=stack["topic_queue_url"], MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        if not got:
            return out
        for message in got:
            out.append(json.loads(message["Body"]))
            sqs.delete_message(
                QueueUrl=stack["topic_queue_url"], ReceiptHandle=message["ReceiptHandle"]
            )


@pytest.fixture
def delivery_queue(template, apps, alerts) -> WorkerQueue:
    """DeliveryQueue -> DeliveryFunction through its SQS event source (batches of up to 10
    here, to show one failing delivery never holds the others)."""
    return WorkerQueue(
        handler_invoker(template, apps),
        alerts["delivery_queue_url"],
        alerts["delivery_queue_arn"],
        function="DeliveryFunction",
        batch_size=10,
    )


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receivers:
    """A local HTTP server: POST /ok/... answers 204, /fail/... 500, /redirect/... 307 to
    /ok/redirected, /hang/... waits ``hang_seconds`` before answering 204; every request is
    recorded."""

    url: str = ""
    got: list[Received] = field(default_factory=list)
    hang_seconds: float = 3.0

    def json(self, path_prefix: str = "/") -> list[dict]:
        return [json.loads(r.body) for r in self.got if r.path.startswith(path_prefix)]


@pytest.fixture
def receivers() -> Iterator[Receivers]:
    state = Receivers()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            state.got.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            if self.path.startswith("/hang"):
                time.sleep(state.hang_seconds)
            if self.path.startswith("/redirect"):
                self.send_response(307)
                self.send_header("location", "/ok/redirected")
            else:
                self.send_response(500 if self.path.startswith("/fail") else 204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Flow:
    """Everything an alert flow test drives: the stack with alerts on, the API (as an
    administrator), the worker's and the delivery function's queues, the local receivers."""

    stack: dict
    api: object
    worker_queue: WorkerQueue
    delivery_queue: WorkerQueue
    receivers: Receivers


@pytest.fixture
def flow(alerts, api, worker_queue, delivery_queue, receivers) -> Flow:
    return Flow(alerts, api, worker_queue, delivery_queue, receivers)
