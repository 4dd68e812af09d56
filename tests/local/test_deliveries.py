"""Webhook deliveries on the local stack (moto's server, the template's queues and redrive
policy, the event sources polling as Lambda's do): a receiver that answers 500 gets its
notification again after the back-off (the same ``webhook-id``, each attempt signed anew),
``WebhookMaxAttempts`` times, then the message is in the delivery dead-letter queue; the
other subscriber got it once, at once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from storemon_dev.local.server import ApiServer
from storemon_dev.local.stack import LocalStack
from tests.service.helpers import HOURS_CSV, STATUS_CSV, TZ_CSV

pytestmark = pytest.mark.slow
ATTEMPTS = 3  # WebhookMaxAttempts
BACKOFF = 1  # WebhookBackoffSeconds: retries 1 s, then 2 s after a failed attempt


@dataclass
class Got:
    at: float  # time.monotonic()
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receivers:
    """An HTTP server on 127.0.0.1: ``/fail...`` answers 500, anything else 204."""

    got: list[Got] = field(default_factory=list)
    url: str = ""

    def start(self) -> ThreadingHTTPServer:
        receivers = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receivers.got.append(Got(time.monotonic(), self.path, headers, body))
                self.send_response(500 if self.path.startswith("/fail") else 204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        return server

    def at(self, path: str) -> list[Got]:
        return [g for g in self.got if g.path == path]


def _call(api: str, token: str, method: str, path: str, body: object = None) -> tuple[int, dict]:
    import urllib.error
    import urllib.request

    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(api + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {timeout:.0f} s")
        time.sleep(0.05)
    return value


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[LocalStack, str, str, Receivers]]:
    """The stack seeded with the three files (their upload queued, not yet refreshed), its
    HTTP API, receivers; the event sources are started by the test once it has subscribed."""
    for name, text in (
        ("store_status.csv", STATUS_CSV),
        ("menu_hours.csv", HOURS_CSV),
        ("timezones.csv", TZ_CSV),
    ):
        (tmp_path / name).write_text(text)
    stack = LocalStack(
        parameters={
            "RefreshQuietSeconds": 0,
            "WebhookMaxAttempts": ATTEMPTS,
            "WebhookBackoffSeconds": BACKOFF,
        }
    )
    api = ApiServer(stack.gateway(), "127.0.0.1", 0)
    receivers = Receivers()
    server = receivers.start()
    try:
        stack.start(tmp_path)
        api.start()
        yield stack, api.url, stack.token(), receivers
    finally:
        api.stop()
        stack.stop()
        server.shutdown()
        server.server_close()


def test_a_failing_receiver_is_retried_with_back_off_then_dead_lettered(running):
    stack, api, token, receivers = running
    subscribed = {}
    for path in ("/fail", "/ok"):
        status, body = _call(api, token, "POST", "/subscriptions", {"url": receivers.url + path})
        assert status == 201, body
        subscribed[path] = body
    stack.start_event_sources()
    # an upload under input/: refresh -> latest -> the alerts' evaluation -> deliveries
    stack.client("s3").put_object(
        Bucket=stack.bucket, Key="input/store_status.csv", Body=STATUS_CSV.encode()
    )

    [ok] = _wait(lambda: receivers.at("/ok"), 120, "the working receiver's store.down")
    event = Webhook(subscribed["/ok"]["secret"]).verify(ok.body, ok.headers)
    assert (event["type"], event["data"]["store_id"]) == ("store.down", "1001")
    sqs = stack.client("sqs")
    dlq = stack.resources["delivery_dlq_url"]

    def dead_letters() -> list[dict]:
        got = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        return got.get("Messages", [])

    [dead] = _wait(dead_letters, 120, "the failing delivery in the dead-letter queue")
    attempts = receivers.at("/fail")
    assert len(attempts) == ATTEMPTS
    assert {a.headers["webhook-id"] for a in attempts} == {ok.headers["webhook-id"]}
    for attempt in attempts:  # each attempt signed anew with its own timestamp
        assert Webhook(subscribed["/fail"]["secret"]).verify(attempt.body, attempt.headers)
    # the back-off: each retry waits BACKOFF x 2^(n-1) s at least after a failed attempt
    gaps = [b.at - a.at for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps[0] >= BACKOFF * 0.9 and gaps[1] >= 2 * BACKOFF * 0.9, gaps
    # the working receiver was not held by the failing one: it got it before the last retry
    assert ok.at < attempts[-1].at and len(receivers.at("/ok")) == 1
    message = json.loads(dead["Body"])
    assert message["subscription_id"] == subscribed["/fail"]["id"]
    assert message["webhook_id"] == ok.headers["webhook-id"]
