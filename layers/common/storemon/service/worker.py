"""The worker: one SQS message at a time (batch size 1), dispatched by kind, with back-off.

- ``{"report_id": ..., "kind": ...}`` from the trigger (or from a refresh): compute the report
  (:mod:`storemon.service.report_jobs`).
- an S3 ``ObjectCreated`` notification under the input prefix, or the refresh check it queues
  after the quiet period: start a refresh report and compute it in this invocation
  (:mod:`storemon.service.refresh`).
- ``{"kind": "snapshot", "report_id": ...}`` from get_report, whose one-store route found no
  usable snapshot of latest's inputs: build it (:func:`storemon.service.input_sets.handle_build`).
- ``{"kind": "shard", "report_id": ..., "shard": k, "total": n}`` queued by a report's
  fan-out: compute one store shard, the last one assembles
  (:func:`storemon.service.shard_jobs.handle_shard`).
- ``{"kind": "alerts", "manifest_key": ..., "ingest_at": ...}`` queued by the refresh of a
  batch (a version of the poll history), or ``{"kind": "alerts", "report_id": ...,
  "ingest_at": ...}`` queued when ``latest`` moved: evaluate SPEC §10's alerts of that ingest
  (:func:`storemon.service.alerts.handle_evaluation`), concurrently with the report.

Errors: an unusable input fails the report at once (in ``report_jobs``); anything else raised here
is transient: the message is handed back (a batch item failure) with a short back-off (30 s,
60 s, ... instead of the queue's visibility timeout). A message that cannot be read is logged
and dropped.
"""

from __future__ import annotations

import json

from storemon.service import alerts, aws, input_sets, records, refresh, report_jobs, shard_jobs
from storemon.service.observability import (
    add_count,
    add_invocation_keys,
    logger,
    set_report_id,
)
from storemon.service.settings import Settings

BACKOFF_SECONDS = 30
MAX_BACKOFF_SECONDS = 900


def handle_message(
    settings: Settings,
    body: str,
    receive_count: int = 1,
    receipt_handle: str | None = None,
    message_id: str | None = None,
) -> str:
    """Process one SQS message body; raise to hand the message back to the queue. Returns what
    was done (for logs and tests): "complete", "failed", "duplicate", "unknown", "ignored",
    "refresh:<report_id>" (recorded and queued, or computed here), "refresh-skipped",
    "refresh-duplicate", "refresh-check-queued", "refresh-superseded",
    "alerts:<n> sent", "alerts-done", "alerts-busy"."""
    set_report_id(None)
    add_invocation_keys(message_id=message_id, receive_count=receive_count)
    add_count("MessagesReceived")
    message = _message(body)
    if message is None:
        add_count("MessagesDropped")
        return "ignored"
    try:
        return _dispatch(settings, message, receive_count, message_id)
    except Exception:
        _back_off(settings, receipt_handle, receive_count)
        raise


def _message(body: str) -> dict | None:
    """The message as a JSON object, or None (logged) when it is not one."""
    try:
        message = json.loads(body)
    except ValueError:
        logger.error("dropping a message that is not JSON", extra={"body": body[:500]})
        return None
    if not isinstance(message, dict):
        logger.error("dropping a message that is not a JSON object")
        return None
    return message


def _dispatch(settings: Settings, message: dict, receive_count: int, message_id: str | None) -> str:
    if "Records" in message:
        return refresh.handle_s3_notification(settings, message, receive_count, message_id)
    if message.get("Event") == "s3:TestEvent":
        logger.info("S3 test event ignored")
        return "ignored"
    kind = message.get("kind")
    if kind in (refresh.CHECK, input_sets.BUILD, alerts.EVALUATE, shard_jobs.SHARD):
        return _dispatch_kind(settings, message, receive_count, message_id)
    report_id = message.get("report_id")
    if not isinstance(report_id, str) or not records.is_report_id(report_id):
        logger.error("dropping a message without a valid report_id", extra={"m": message})
        add_count("MessagesDropped")
        return "ignored"
    return report_jobs.handle_report_job(settings, report_id, receive_count, message_id)


def _dispatch_kind(
    settings: Settings, message: dict, receive_count: int, message_id: str | None
) -> str:
    """The messages the service sends itself, by ``kind``."""
    kind = message["kind"]
    if kind == refresh.CHECK:
        return refresh.handle_check(settings, message, receive_count, message_id)
    if kind == input_sets.BUILD:
        return input_sets.handle_build(settings, message)
    if kind == shard_jobs.SHARD:
        return shard_jobs.handle_shard(settings, message, receive_count)
    return alerts.handle_evaluation(settings, message, message_id)


def _back_off(settings: Settings, receipt_handle: str | None, receive_count: int) -> None:
    """Retry a transient failure in 30 s, 60 s, ... instead of the queue's visibility timeout."""
    if not receipt_handle or receive_count >= settings.max_receive_count:
        return
    delay = min(BACKOFF_SECONDS * 2 ** max(receive_count - 1, 0), MAX_BACKOFF_SECONDS)
    try:
        aws.change_visibility(settings.queue_url, receipt_handle, delay)
    except Exception:  # best effort: the visibility timeout retries it anyway
        logger.warning("could not shorten the retry delay", exc_info=True)
