"""SPEC §10's alerts of a version of the poll history, evaluated in an invocation of their own
as soon as a batch lands.

The refresh a batch starts (``refresh.start_refresh``, once the history holds the current
base, hours, zones and closures) queues the evaluation of that version
(:func:`queue_history`: ``{"kind": "alerts", "manifest_key", "ingest_at"}`` on the worker's
queue) and goes straight on to the report that moves ``latest``; another worker invocation,
running at the same time (Lambda scales the worker's SQS event source to concurrent
invocations), evaluates it (:func:`handle_evaluation`), whatever becomes of the report. The
message owns the evaluation: the report of that refresh evaluates nothing
(:func:`storemon.service.report_jobs.advance_latest`); a failure or a time-out raises and
SQS delivers the message again (its id is the lease's token, the outbox is resent with the
same ``webhook-id``s); a busy cursor (read before any view is computed) queues it again 2 s
later, then twice as late each time, at most a minute; an older version evaluated after a
newer one does nothing (the cursor's ``evaluated_at``). ``ingest_at`` is the version's time
(when its manifest became current).

The view (:mod:`storemon.history.alert_view`) is narrow when it can be: the last evaluation
(the cursor) evaluated an earlier version of the same history, told the same audiences, and
only batches changed since; then only the incidents those batches' days can have changed are
computed and decided (each store's current stretch among them), the mirror keeps the rest.
Otherwise every incident of the week is.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

from storemon.service import alert_store, alerts, aws, history_store, subscriptions
from storemon.service.alerts import BUSY_DELAY_SECONDS, EVALUATE, Scope, audiences_digest
from storemon.service.observability import add_count, logger
from storemon.service.settings import Settings

MAX_BUSY_DELAY_SECONDS = 60  # the longest wait of an evaluation that finds the cursor busy


def queue_history(settings: Settings, history: Mapping[str, Any]) -> str:
    """Queue the evaluation of the history version `history` (an input version: ``key`` its
    manifest, ``last_modified`` the ingest's time) for a worker invocation of its own."""
    if not alerts.enabled(settings):
        return "alerts-off"
    manifest_key, ingest_at = str(history["key"]), str(history["last_modified"])
    queue_evaluation(settings, manifest_key, ingest_at)
    logger.info("alerts of the history version queued", extra={"ingest_at": ingest_at})
    return "alerts-queued"


def queue_evaluation(
    settings: Settings, manifest_key: str, ingest_at: str, delay: int = 0, busy: int = 0
) -> None:
    """Ask the worker to evaluate the alerts of the history version `manifest_key` (`busy`:
    how many times it found the cursor busy before)."""
    message: dict = {"kind": EVALUATE, "manifest_key": manifest_key, "ingest_at": ingest_at}
    if busy:
        message["busy"] = busy
    aws.send_message(settings.queue_url, message, delay_seconds=delay)


def busy_delay(busy: int) -> int:
    """How long an evaluation that found the cursor busy `busy` times before waits: 2 s,
    then twice as long each time, at most a minute (a lease left by an evaluation the worker's
    Timeout stopped lasts 300 s: about 8 tries, not 150)."""
    return int(min(BUSY_DELAY_SECONDS * 2 ** min(busy, 10), MAX_BUSY_DELAY_SECONDS))


def handle_evaluation(settings: Settings, message: dict, message_id: str | None) -> str:
    """The worker's part for a queued history version (raises to be retried)."""
    manifest_key, ingest_at = message.get("manifest_key"), message.get("ingest_at")
    if not isinstance(manifest_key, str) or not isinstance(ingest_at, str):
        logger.error("dropping an alerts evaluation of no history version", extra={"m": message})
        add_count("MessagesDropped")
        return "unknown"
    busy = message.get("busy", 0)
    busy = busy if isinstance(busy, int) and busy >= 0 else 0
    token = message_id or str(uuid.uuid4())
    return _evaluate_version(settings, manifest_key, ingest_at, token, busy)


def _evaluate_version(
    settings: Settings, manifest_key: str, ingest_at: str, token: str, busy: int = 0
) -> str:
    cursor = alert_store.cursor(settings)
    if str(cursor.get("evaluated_at", "")) >= ingest_at:
        return f"alerts-{alert_store.DONE}"
    if alert_store.leased_to_another(cursor, token):  # no view computed for nothing
        return _busy(settings, manifest_key, ingest_at, busy)
    started = time.perf_counter()
    audiences = subscriptions.audiences(settings)
    told_the_same = cursor.get("audiences") == audiences_digest(audiences)
    previous = str(cursor.get("manifest") or "") if told_the_same else ""
    view = history_store.alert_view(settings, manifest_key, previous or None)
    viewed = time.perf_counter()
    scope = Scope(audiences, manifest_key, view.from_tick)
    outcome = alerts.evaluate(settings, view.frame, ingest_at=ingest_at, token=token, scope=scope)
    if outcome == f"alerts-{alert_store.BUSY}":
        _busy(settings, manifest_key, ingest_at, busy)
    took = {
        "narrow": view.from_tick is not None,
        "incidents": len(view.frame),
        "view_ms": round((viewed - started) * 1000, 1),
        "evaluation_ms": round((time.perf_counter() - viewed) * 1000, 1),
    }
    logger.info("alerts of the history version evaluated", extra={"outcome": outcome, **took})
    return outcome


def _busy(settings: Settings, manifest_key: str, ingest_at: str, busy: int) -> str:
    """Another evaluation holds the cursor: queue this one again, later each time."""
    delay = busy_delay(busy)
    queue_evaluation(settings, manifest_key, ingest_at, delay=delay, busy=busy + 1)
    logger.info("the alerts cursor is busy: evaluation queued again", extra={"delay_s": delay})
    return f"alerts-{alert_store.BUSY}"
