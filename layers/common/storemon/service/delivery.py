"""Webhook deliveries: one SQS message per notification and subscription, POSTed signed.

A message (queued by :mod:`storemon.service.alerts`) is ``{"subscription_id", "webhook_id",
"payload"}``. Its delivery:

- reads the subscription (gone: the message is dropped);
- checks the receiver URL again, resolving it now, and connects to the checked address
  (:mod:`storemon.service.webhook_url`: no SSRF through DNS rebinding, no redirects);
- POSTs the §10 JSON signed with the ``standardwebhooks`` package (headers ``webhook-id``,
  the same on every retry, ``webhook-timestamp`` of this attempt, ``webhook-signature``);
- a 2xx answer is delivered; anything else (an error status, a refusal, a timeout: each
  attempt is bounded) raises, so the message is handed back with a back-off of
  ``WEBHOOK_BACKOFF_SECONDS`` (30 s), twice that, ... (at most 15 min) and after
  ``WebhookMaxAttempts`` receives (the queue's redrive policy) SQS moves it to the
  dead-letter queue.

Every delivery is a message of its own and the function reports partial batch failures, so a
receiver that hangs or fails delays only its own deliveries, never another subscriber's or
another store's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from storemon.service import aws, subscriptions, webhook_url
from storemon.service.observability import add_count, add_invocation_keys, logger
from storemon.service.settings import Settings, require

MAX_BACKOFF_SECONDS = 900
USER_AGENT = "storemon-webhooks/1"


class DeliveryFailed(RuntimeError):
    """The receiver did not take the notification (this attempt); it is retried."""


def handle_delivery(
    settings: Settings, body: str, receive_count: int = 1, receipt_handle: str | None = None
) -> str:
    """Deliver one message: "delivered", "dropped"; raises DeliveryFailed to retry it."""
    message = _message(body)
    if message is None:
        add_count("DeliveriesDropped")
        return "dropped"
    add_invocation_keys(
        subscription_id=message["subscription_id"],
        webhook_id=message["webhook_id"],
        receive_count=receive_count,
    )
    item = subscriptions.get(settings, message["subscription_id"])
    if item is None:
        logger.info("the subscription was deleted: delivery dropped")
        add_count("DeliveriesDropped")
        return "dropped"
    try:
        status = deliver(settings, item, message["webhook_id"], message["payload"])
    except (OSError, webhook_url.UrlRefused, ValueError) as exc:
        _retry_later(settings, receipt_handle, receive_count)
        add_count("DeliveryFailures")
        raise DeliveryFailed(f"delivery failed: {type(exc).__name__}: {exc}") from exc
    if not 200 <= status < 300:
        _retry_later(settings, receipt_handle, receive_count)
        add_count("DeliveryFailures")
        raise DeliveryFailed(f"the receiver answered {status}")
    logger.info("delivered", extra={"status": status})
    add_count("Deliveries")
    return "delivered"


def _message(body: str) -> dict | None:
    try:
        message = json.loads(body)
    except ValueError:
        message = None
    fields = ("subscription_id", "webhook_id", "payload")
    if not isinstance(message, dict) or not all(message.get(f) for f in fields):
        logger.error("dropping a delivery message that is not one", extra={"body": body[:300]})
        return None
    return message


def signed_headers(secret: str, webhook_id: str, data: str, at: datetime) -> dict[str, str]:
    """Standard Webhooks' three headers for `data` sent at `at`."""
    from standardwebhooks import Webhook

    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, data),
    }


def deliver(settings: Settings, item: dict, webhook_id: str, payload: dict) -> int:
    """One attempt: check the URL now, sign, POST; the answer's status."""
    target = webhook_url.check(str(item["url"]), local=settings.local_receivers)
    data = json.dumps(payload, separators=(",", ":"))
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        **signed_headers(subscriptions.signing_secret(item), webhook_id, data, datetime.now(UTC)),
    }
    return webhook_url.post(target, data.encode(), headers, local=settings.local_receivers)


def retry_delay(backoff_seconds: int, receive_count: int) -> int:
    """Seconds before the next attempt after the `receive_count`-th failed: the back-off,
    doubled after each failure, at most 15 min."""
    return min(backoff_seconds * 2 ** max(receive_count - 1, 0), MAX_BACKOFF_SECONDS)


def _retry_later(settings: Settings, receipt_handle: str | None, receive_count: int) -> None:
    """Retry in WEBHOOK_BACKOFF_SECONDS (30 s), twice that, ... (at most 15 min) instead of
    the queue's visibility timeout."""
    if not receipt_handle:
        return
    delay = retry_delay(settings.webhook_backoff_seconds, receive_count)
    try:
        aws.change_visibility(require(settings, "delivery_queue_url"), receipt_handle, delay)
    except Exception:  # best effort: the visibility timeout retries it anyway
        logger.warning("could not set the retry delay", exc_info=True)
