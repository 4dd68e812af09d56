"""Refresh reports: an upload under the input prefix starts a full report of the inputs.

The refresh's id is a digest of its input set (:func:`records.refresh_report_id`), so the
notifications of files uploaded together that see the same three files make one report.
"""

from __future__ import annotations

from urllib.parse import unquote_plus

from storemon import aws
from storemon.observability import add_count, logger, set_report_id
from storemon.service import records, sources
from storemon.service.settings import Settings


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


def handle_s3_notification(settings: Settings, message: dict, receive_count: int = 1) -> str:
    keys = input_keys(message, settings.input_prefix)
    logger.append_keys(uploaded=keys)
    if not keys:
        logger.info("upload notification for no input file: ignored")
        return "ignored"
    report_id = start_refresh(settings, receive_count)
    return f"refresh:{report_id}" if report_id else "refresh-skipped"


def start_refresh(settings: Settings, receive_count: int = 1) -> str | None:
    """Record a refresh report of the current inputs and queue it; its id, or None when there
    is nothing to do (an input is missing, or latest already covers these inputs)."""
    resolved_at = records.utcnow()
    inputs = sources.resolve(settings)
    missing = sources.missing(inputs)
    if missing:
        logger.info("refresh waits for %s", ", ".join(missing))
        add_count("RefreshesSkipped")
        return None
    marker = sources.marker(inputs, resolved_at)
    report_id = records.refresh_report_id(inputs)
    set_report_id(report_id)
    if _covered(settings, report_id, marker):
        logger.info("latest already covers these inputs: no refresh")
        add_count("RefreshesSkipped")
        return None
    record = records.new_record(
        settings,
        report_id,
        kind="refresh",
        request={"store_ids": None, "as_of": None},
        inputs=inputs,
        marker=marker,
        now=resolved_at,
    )
    if not records.create(settings, record):
        existing = records.get(settings, report_id)
        if existing and existing["status"] != records.RUNNING:
            logger.info("refresh of these inputs already %s", existing["status"])
            return None
        # Running: queue it again, in case the delivery that created it stopped before queueing
        # (a duplicate job message is harmless).
    _queue(settings, report_id, receive_count)
    logger.info("refresh queued", extra={"input_marker": marker})
    add_count("RefreshesStarted")
    return report_id


def _covered(settings: Settings, report_id: str, marker: str | None) -> bool:
    pointer = records.latest_pointer(settings)
    if not pointer:
        return False
    if pointer.get("input_set") == report_id:
        return True
    return sources.marker_newest(pointer.get("input_marker")) > sources.marker_newest(marker)


def _queue(settings: Settings, report_id: str, receive_count: int) -> None:
    try:
        aws.send_message(settings.queue_url, {"report_id": report_id, "kind": "refresh"})
    except Exception as exc:
        if receive_count >= settings.max_receive_count:
            records.fail(settings, report_id, f"could not queue the refresh: {exc}")
        raise
