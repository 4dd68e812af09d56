"""Webhook deliveries through the delivery queue and function: signed as Standard Webhooks
(verified with the standardwebhooks package), retried with the same webhook-id, then the
dead-letter queue; a receiver that fails, hangs or redirects never holds another's delivery."""

from __future__ import annotations

import boto3
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from storemon.service import webhook_url
from tests.alerts.test_alert_flow import subscribe
from tests.service.helpers import put_inputs


def deliveries(receivers, prefix: str) -> list:
    return [g for g in receivers.got if g.path.startswith(prefix)]


@pytest.mark.slow
def test_a_failing_receiver_is_retried_with_the_same_id_then_dead_lettered(
    alerts, api, worker_queue, delivery_queue, receivers
):
    failing = subscribe(api, receivers, "/fail/a")
    working = subscribe(api, receivers, "/ok/b")
    put_inputs(alerts["bucket"])
    worker_queue.drain()
    delivery_queue.drain()
    attempts = deliveries(receivers, "/fail/a")
    assert len(attempts) == 8  # WebhookMaxAttempts
    assert len({a.headers["webhook-id"] for a in attempts}) == 1
    for attempt in attempts:  # each attempt signed anew, each signature valid
        Webhook(failing["secret"]).verify(attempt.body, attempt.headers)
    [delivered] = deliveries(receivers, "/ok/b")
    assert delivered.headers["webhook-id"] == attempts[0].headers["webhook-id"]
    Webhook(working["secret"]).verify(delivered.body, delivered.headers)
    with pytest.raises(WebhookVerificationError):  # another subscription's secret does not
        Webhook(failing["secret"]).verify(delivered.body, delivered.headers)
    dead = boto3.client("sqs").receive_message(
        QueueUrl=alerts["delivery_dlq_url"], MaxNumberOfMessages=10
    )["Messages"]
    assert [m["Body"] for m in dead] and failing["id"] in dead[0]["Body"]


def test_the_back_off_doubles_up_to_15_minutes():
    from storemon.service.delivery import retry_delay

    assert [retry_delay(30, n) for n in range(1, 8)] == [30, 60, 120, 240, 480, 900, 900]
    assert [retry_delay(1, n) for n in (1, 2, 3)] == [1, 2, 4]


@pytest.mark.slow
def test_a_hanging_or_redirecting_receiver_never_holds_the_others(flow, monkeypatch):
    alerts, api, receivers = flow.stack, flow.api, flow.receivers
    monkeypatch.setattr(webhook_url, "ANSWER_SECONDS", 0.5)  # bounded reads, shortened here
    receivers.hang_seconds = 2.0
    subscribe(api, receivers, "/hang/a")
    subscribe(api, receivers, "/redirect/b")
    subscribe(api, receivers, "/ok/c")
    put_inputs(alerts["bucket"])
    flow.worker_queue.drain()
    first = flow.delivery_queue.poll_once()  # one batch of three deliveries, partial failures
    assert first is not None and len(first.delivered) == 3
    assert len(first.kept) == 2 and len(first.deleted) == 1
    assert [g.path for g in receivers.got if g.path.startswith("/ok")] == ["/ok/c"]
    assert not deliveries(receivers, "/ok/redirected")  # redirects are not followed
