"""The worker: one SQS message at a time (batch size 1), two kinds of message.

- ``{"report_id": ..., "kind": ...}`` from the trigger (or from a refresh): compute the report.
- an S3 ``ObjectCreated`` notification under the input prefix: start a refresh report.

Errors:

- a broken input (``storemon.inputs.InputError``) or a missing one fails the report at once,
  with the engine's message, and the message is consumed: retrying cannot help;
- anything else is transient: the message is handed back (a batch item failure) with a short
  back-off, and on its last delivery (``ApproximateReceiveCount >= MAX_RECEIVE_COUNT``) the
  report is marked Failed before SQS moves the message to the dead-letter queue;
- a message for an unknown report, or one that cannot be read, is logged and dropped;
- a message for a finished report does nothing (redelivery, duplicate).
"""

from __future__ import annotations

import json
import math
import time
from typing import Any
from urllib.parse import unquote_plus

from storemon import aws
from storemon.service import log, records, sources
from storemon.service.log import MetricUnit
from storemon.service.settings import Settings, settings

BACKOFF_SECONDS = 30
MAX_BACKOFF_SECONDS = 900


class PermanentError(Exception):
    """The report cannot succeed, whatever the number of attempts."""


def handle_message(
    body: str,
    receive_count: int = 1,
    receipt_handle: str | None = None,
    message_id: str | None = None,
) -> str:
    """Process one SQS message body; raise to hand the message back to the queue. Returns what
    was done (for logs and tests): "complete", "failed", "duplicate", "unknown", "ignored",
    "refresh:<report_id>", "refresh-skipped"."""
    conf = settings()
    log.set_report_id(None)
    log.logger().append_keys(message_id=message_id, receive_count=receive_count)
    log.count("MessagesReceived")
    try:
        message = json.loads(body)
    except ValueError:
        log.logger().error("dropping a message that is not JSON", extra={"body": body[:500]})
        log.count("MessagesDropped")
        return "ignored"
    if not isinstance(message, dict):
        log.logger().error("dropping a message that is not a JSON object")
        log.count("MessagesDropped")
        return "ignored"
    try:
        if "Records" in message:
            return handle_s3_notification(conf, message, receive_count)
        if message.get("Event") == "s3:TestEvent":
            log.logger().info("S3 test event ignored")
            return "ignored"
        report_id = message.get("report_id")
        if not isinstance(report_id, str) or not records.is_report_id(report_id):
            log.logger().error("dropping a message without a valid report_id", extra={"m": message})
            log.count("MessagesDropped")
            return "ignored"
        return process_report(conf, report_id, receive_count)
    except Exception:
        _back_off(conf, receipt_handle, receive_count)
        raise


def _back_off(conf: Settings, receipt_handle: str | None, receive_count: int) -> None:
    """Retry a transient failure in 30 s, 60 s, ... instead of the queue's visibility timeout."""
    if not receipt_handle or receive_count >= conf.max_receive_count:
        return
    delay = min(BACKOFF_SECONDS * 2 ** max(receive_count - 1, 0), MAX_BACKOFF_SECONDS)
    try:
        aws.change_visibility(conf.queue_url, receipt_handle, delay)
    except Exception:  # best effort: the visibility timeout retries it anyway
        log.logger().warning("could not shorten the retry delay", exc_info=True)


# ----------------------------------------------------------------------------- report jobs
def process_report(conf: Settings, report_id: str, receive_count: int = 1) -> str:
    log.set_report_id(report_id)
    record = records.get(conf, report_id)
    if record is None:
        log.logger().warning("no record for this report: message dropped")
        log.count("MessagesDropped")
        return "unknown"
    if record["status"] != records.RUNNING:
        log.logger().info("report already %s: nothing to do", record["status"])
        log.count("DuplicateMessages")
        if record["status"] == records.COMPLETE:
            _advance_latest(conf, record)  # in case the finishing delivery stopped before it
        return "duplicate"
    try:
        return _compute(conf, record)
    except PermanentError as exc:
        return _fail(conf, report_id, str(exc))
    except Exception as exc:
        if receive_count >= conf.max_receive_count:
            _fail(
                conf,
                report_id,
                f"gave up after {receive_count} attempts: {type(exc).__name__}: {exc}",
            )
        else:
            log.logger().warning("attempt %d failed, will retry", receive_count, exc_info=True)
            log.count("ReportRetries")
        raise


def _fail(conf: Settings, report_id: str, error: str) -> str:
    if records.fail(conf, report_id, error):
        log.logger().error("report failed", extra={"error": error})
        log.count("ReportFailures")
    return "failed"


def result_keys(conf: Settings, report_id: str, full: bool) -> dict[str, str | None]:
    """Where a report's files go: derived from its id only, so concurrent deliveries write the
    same objects with the same bytes."""
    base = f"{conf.report_prefix}{report_id}/"
    return {
        "report": base + "report.csv",
        "summary": base + "summary.json",
        "stores": base + "stores.json" if full else None,
    }


def _compute(conf: Settings, record: dict) -> str:
    from storemon import engine
    from storemon.inputs import InputError
    from storemon.limits import Limits

    report_id = record["report_id"]
    request = record.get("request") or {}
    started = time.perf_counter()
    limits = Limits.from_env()  # STOREMON_MAX_*, from the template's Max* parameters
    try:
        data, names = sources.read(conf, record.get("inputs") or {}, limits.max_input_bytes)
    except (sources.MissingInput, InputError) as exc:
        raise PermanentError(str(exc)) from exc
    try:
        result = engine.run_report(
            data[0],
            data[1],
            data[2],
            as_of=request.get("as_of"),
            store_ids=request.get("store_ids"),
            names=(names[0], names[1], names[2]),
            limits=limits,
        )
    except InputError as exc:
        raise PermanentError(str(exc)) from exc

    full = records.is_full(record)
    keys = result_keys(conf, report_id, full)
    summary = _jsonable(result.summary)
    aws.put_object(conf.bucket, keys["report"], engine.report_to_csv(result.report), "text/csv")
    aws.put_object(
        conf.bucket,
        keys["summary"],
        json.dumps({"report_id": report_id, **summary}, indent=1),
        "application/json",
    )
    if keys["stores"]:
        aws.put_object(
            conf.bucket,
            keys["stores"],
            json.dumps(stores_document(report_id, summary, result.stores)),
            "application/json",
        )
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    done = records.complete(
        conf,
        report_id,
        {
            "result": keys,
            "rows": len(result.report),
            "summary": json.dumps(summary),
            "duration_ms": duration_ms,
        },
    )
    if not done:
        log.logger().info("another delivery finished this report first")
        log.count("DuplicateMessages")
        return "duplicate"
    record = {**record, "status": records.COMPLETE}
    _advance_latest(conf, record)
    log.logger().info(
        "report complete", extra={"rows": len(result.report), "duration_ms": duration_ms}
    )
    log.count("ReportsCompleted")
    log.count("ReportDuration", duration_ms, MetricUnit.Milliseconds)
    log.count("ReportStores", int(summary.get("stores_reported", len(result.report))))
    log.count("SkippedRows", _skipped_rows(summary))
    return "complete"


def _advance_latest(conf: Settings, record: dict) -> None:
    marker = record.get("input_marker")
    if not marker or not records.is_full(record):
        return
    if records.advance_latest(conf, record["report_id"], marker, record.get("inputs") or {}):
        log.logger().info("latest now points at this report", extra={"input_marker": marker})


def _skipped_rows(summary: dict) -> int:
    files = summary.get("files") or {}
    return int(sum(int((f or {}).get("rows_skipped", 0)) for f in files.values()))


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=_default))


def _default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def stores_document(report_id: str, summary: dict, stores: Any) -> dict:
    """What ``store_summary`` answers from: {"report_id", "now", "stores": {store_id: {...}}}."""
    rows = stores.to_dict(orient="records")
    out: dict[str, dict] = {}
    for row in rows:
        entry = {k: _scalar(v) for k, v in row.items()}
        out[str(entry.pop("store_id"))] = entry
    return {"report_id": report_id, "now": summary.get("now"), "stores": out}


def _scalar(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


# ----------------------------------------------------------------------------- S3 uploads
def input_keys(message: dict, prefix: str) -> list[str]:
    """The input files named by an S3 notification (keys arrive URL-encoded)."""
    keys = []
    for rec in message.get("Records") or []:
        if not isinstance(rec, dict) or rec.get("eventSource") != "aws:s3":
            continue
        if not str(rec.get("eventName", "")).startswith("ObjectCreated"):
            continue
        key = unquote_plus(((rec.get("s3") or {}).get("object") or {}).get("key", ""))
        if sources.kind_of_key(key, prefix):
            keys.append(key)
    return keys


def handle_s3_notification(conf: Settings, message: dict, receive_count: int = 1) -> str:
    keys = input_keys(message, conf.input_prefix)
    log.logger().append_keys(uploaded=keys)
    if not keys:
        log.logger().info("upload notification for no input file: ignored")
        return "ignored"
    report_id = start_refresh(conf, receive_count)
    return f"refresh:{report_id}" if report_id else "refresh-skipped"


def start_refresh(conf: Settings, receive_count: int = 1) -> str | None:
    """Record a refresh report of the current inputs and queue it; its id, or None when there
    is nothing to do (an input is missing, or latest already covers these inputs)."""
    resolved_at = records.utcnow()
    inputs = sources.resolve(conf)
    missing = sources.missing(inputs)
    if missing:
        log.logger().info("refresh waits for %s", ", ".join(missing))
        log.count("RefreshesSkipped")
        return None
    marker = sources.marker(inputs, resolved_at)
    assert marker is not None
    report_id = records.refresh_report_id(inputs)
    log.set_report_id(report_id)
    pointer = records.latest_pointer(conf)
    if pointer and (
        pointer.get("input_set") == report_id
        or sources.marker_newest(pointer.get("input_marker")) > sources.marker_newest(marker)
    ):
        log.logger().info("latest already covers these inputs: no refresh")
        log.count("RefreshesSkipped")
        return None
    record = records.new_record(
        conf,
        report_id,
        kind="refresh",
        request={"store_ids": None, "as_of": None},
        inputs=inputs,
        marker=marker,
        now=resolved_at,
    )
    if not records.create(conf, record):
        existing = records.get(conf, report_id)
        if existing and existing["status"] != records.RUNNING:
            log.logger().info("refresh of these inputs already %s", existing["status"])
            return None
        # Running: queue it again, in case the delivery that created it stopped before queueing
        # (a duplicate job message is harmless).
    try:
        aws.send_message(conf.queue_url, {"report_id": report_id, "kind": "refresh"})
    except Exception as exc:
        if receive_count >= conf.max_receive_count:
            records.fail(conf, report_id, f"could not queue the refresh: {exc}")
        raise
    log.logger().info("refresh queued", extra={"input_marker": marker})
    log.count("RefreshesStarted")
    return report_id
