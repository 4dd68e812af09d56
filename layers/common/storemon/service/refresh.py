"""Refresh reports: uploads under the input prefix start a full report of the inputs.

The three files of a data set are often uploaded one after another, so a refresh waits until
uploads have stopped for ``REFRESH_QUIET_SECONDS`` (template parameter ``RefreshQuietSeconds``):

1. each upload notification records when it was seen (the ``uploads`` item, epoch ms) and
   queues a *refresh check* delayed by the quiet period;
2. a check whose notification is no longer the newest does nothing (a later upload's check
   follows); the newest one resolves the current version of each input *then* and records and
   queues a refresh report of that set (:func:`start_refresh`).

With a quiet period of 0 the notification starts the refresh at once. The message that starts
a refresh (the notification, or the check) computes it in the same invocation
(:func:`refresh_here`: no second hop through the queue). A batch of polls
(``input/polls/...``, SPEC §10) is merged into the poll history when its notification
arrives (:mod:`storemon.service.history_store`); its refresh then follows the same rule.
The refresh's id is a digest of its input set (:func:`records.refresh_report_id`), so checks
that see the same three files make one report. Which report ``latest`` names is decided
when reports finish (:func:`storemon.service.report_jobs.advance_latest`).
"""

from __future__ import annotations

import time
from urllib.parse import unquote_plus

from storemon.service import alerts_history, aws, history_store, records, report_jobs, sources
from storemon.service.observability import (
    add_count,
    add_invocation_keys,
    logger,
    set_report_id,
)
from storemon.service.records import ReportRecord
from storemon.service.settings import Settings
from storemon.service.together import together

CHECK = "refresh-check"


def input_keys(message: dict, prefix: str) -> list[str]:
    """The input files named by an S3 notification (keys arrive URL-encoded)."""
    keys = []
    for rec in message.get("Records") or []:
        if not isinstance(rec, dict) or rec.get("eventSource") != "aws:s3":
            continue
        if not str(rec.get("eventName", "")).startswith("ObjectCreated"):
            continue
        key = unquote_plus(((rec.get("s3") or {}).get("object") or {}).get("key", ""))
        if sources.kind_of_key(key, prefix) or history_store.is_batch_key(key, prefix):
            keys.append(key)
    return keys


def handle_s3_notification(
    settings: Settings, message: dict, receive_count: int = 1, message_id: str | None = None
) -> str:
    """An upload: queue a refresh check after the quiet period (or refresh now, without one:
    in this invocation when it is a delivery `message_id`, :func:`refresh_here`)."""
    keys = input_keys(message, settings.input_prefix)
    add_invocation_keys(uploaded=keys)
    if not keys:
        logger.info("upload notification for no input file: ignored")
        return "ignored"
    batches = [key for key in keys if history_store.is_batch_key(key, settings.input_prefix)]
    outcomes = [history_store.ingest_batch(settings, key) for key in batches]
    if batches and "batch-ingested" not in outcomes and len(batches) == len(keys):
        if receive_count > 1 and message_id and settings.refresh_quiet_seconds <= 0:
            # a redelivery: the first delivery may have stopped before its refresh finished
            return ",".join(outcomes) + "," + refresh_here(settings, receive_count, message_id)
        return ",".join(outcomes)  # nothing new: no refresh
    if settings.refresh_quiet_seconds <= 0:
        if message_id:
            return refresh_here(settings, receive_count, message_id)
        return _started(start_refresh(settings, receive_count))
    noticed_ms = int(time.time() * 1000)
    records.note_upload(settings, noticed_ms)
    check = {"kind": CHECK, "noticed_ms": noticed_ms}
    aws.send_message(settings.queue_url, check, delay_seconds=settings.refresh_quiet_seconds)
    logger.info("refresh check queued", extra={"quiet_seconds": settings.refresh_quiet_seconds})
    return "refresh-check-queued"


def handle_check(
    settings: Settings, message: dict, receive_count: int = 1, message_id: str | None = None
) -> str:
    """The quiet period of one upload is over: refresh, unless a later upload was seen."""
    noticed_ms = message.get("noticed_ms")
    if not isinstance(noticed_ms, int):
        logger.error("dropping a refresh check without noticed_ms", extra={"m": message})
        add_count("MessagesDropped")
        return "ignored"
    if records.last_upload_ms(settings) > noticed_ms:
        logger.info("a later upload restarted the quiet period: its own check refreshes")
        add_count("RefreshesSkipped")
        return "refresh-superseded"
    if message_id:
        return refresh_here(settings, receive_count, message_id)
    return _started(start_refresh(settings, receive_count))


def _started(report_id: str | None) -> str:
    return f"refresh:{report_id}" if report_id else "refresh-skipped"


def refresh_here(settings: Settings, receive_count: int, message_id: str) -> str:
    """Record a refresh report of the current inputs and compute it in this invocation (no
    second hop through the queue: a batch's ``latest`` moves as soon as its report exists),
    holding the report's claim as the delivery `message_id`. If this stops or fails, the
    message is handed back; its redelivery (same id, same claim) computes the report again,
    or writes what a complete one still has pending (:func:`report_jobs.finish_pending`)."""
    recorded = _record_refresh(settings, receive_count, claim_as=message_id)
    if recorded is None:
        if receive_count > 1:
            _finish_latest(settings)
        return "refresh-skipped"
    report_id, created = recorded
    if created is not None:  # recorded here, claimed by this delivery: no second look
        outcome = report_jobs.compute_claimed(settings, created, receive_count)
    else:
        outcome = report_jobs.handle_report_job(settings, report_id, receive_count, message_id)
    return f"refresh:{report_id}" if outcome in ("complete", "failed") else f"refresh-{outcome}"


def _finish_latest(settings: Settings) -> None:
    """What ``latest`` still has pending (a redelivered message whose first delivery moved
    ``latest`` and stopped before writing its per-store files or page)."""
    target = (records.latest_pointer(settings) or {}).get("target_id")
    record = records.get(settings, target) if target else None
    if record and record["status"] == records.COMPLETE:
        report_jobs.finish_pending(settings, record)


def start_refresh(settings: Settings, receive_count: int = 1) -> str | None:
    """Record a refresh report of the current inputs and queue it; its id, or None when there
    is nothing to do (an input is missing, or latest already covers these inputs)."""
    recorded = _record_refresh(settings, receive_count)
    return None if recorded is None else recorded[0]


def _record_refresh(
    settings: Settings, receive_count: int, claim_as: str | None = None
) -> tuple[str, ReportRecord | None] | None:
    """:func:`start_refresh`, or with `claim_as` (a delivery's message id) the refresh
    recorded for this invocation to compute (not queued): its id and, when this call created
    its record, the record, claimed by `claim_as` from the start (:func:`records.claim`'s
    lease: the same right, one write less). None when there is nothing to do."""
    resolved_at = records.utcnow()
    # latest's pointer read with the inputs (at worst older: then it covers these inputs less)
    inputs, pointer = together(
        [lambda: sources.resolve(settings), lambda: records.latest_pointer(settings) or {}]
    )
    if inputs.get("history") and history_store.sync(settings, inputs):
        inputs = sources.resolve(settings)  # the history's base and files first: its version
    missing = sources.missing(inputs)
    if missing:
        logger.info("refresh waits for %s", ", ".join(missing))
        add_count("RefreshesSkipped")
        return None
    history = inputs.get("history")
    if history:  # SPEC §10: the alerts of the batches landed, in an invocation of their own
        alerts_history.queue_history(settings, history)
    report_id = records.refresh_report_id(inputs)
    set_report_id(report_id)
    if pointer.get("input_set") == report_id:
        logger.info("latest already covers these inputs: no refresh")
        add_count("RefreshesSkipped")
        return None
    marker = sources.marker(inputs, resolved_at)
    record = records.new_record(
        settings,
        report_id,
        kind="refresh",
        request={"store_ids": None, "as_of": None},
        inputs=inputs,
        marker=marker,
        now=resolved_at,
    )
    if claim_as is not None:
        now = int(resolved_at.timestamp())
        record |= records.lease(claim_as, now, report_jobs.LEASE_SECONDS)
    created: ReportRecord | None = record
    if not records.create(settings, record):
        created = None
        existing = records.get(settings, report_id)
        if existing and existing["status"] != records.RUNNING:
            logger.info("refresh of these inputs already %s", existing["status"])
            return None
        # Running: queue it again, in case the delivery that created it stopped before queueing
        # (a duplicate job message is harmless: one delivery computes it).
    add_count("RefreshesStarted")
    if claim_as is not None:
        logger.info("refresh recorded: computed here", extra={"input_marker": marker})
        return report_id, created
    _queue(settings, report_id, receive_count)
    logger.info("refresh queued", extra={"input_marker": marker})
    return report_id, None


def _queue(settings: Settings, report_id: str, receive_count: int) -> None:
    try:
        aws.send_message(settings.queue_url, {"report_id": report_id, "kind": "refresh"})
    except Exception as exc:
        if receive_count >= settings.max_receive_count:
            records.fail(settings, report_id, f"could not queue the refresh: {exc}")
        raise
