"""Report jobs (the worker's messages naming a report): compute the report of its recorded
inputs, write its files, complete the record.

- an unusable input (:class:`~storemon.errors.UnusableInput`: a broken file, a missing one)
  fails the report at once, with the engine's message: retrying cannot help;
- anything else is transient: raised, so the worker hands the message back; on its last
  delivery (``ApproximateReceiveCount >= MAX_RECEIVE_COUNT``) the report is marked Failed
  before SQS moves the message to the dead-letter queue;
- a message for an unknown report is dropped; one for a finished report does nothing
  (redelivery, duplicate); one for a report another delivery is computing does nothing either
  (the claim, :func:`records.claim`), so a report's files are written by one delivery only.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from storemon.clock.iso import utc_text
from storemon.errors import UnusableInput
from storemon.service import alert_store, alerts, input_sets, records, report_files, sources
from storemon.service.input_sets import RecordReport
from storemon.service.observability import add_count, add_duration_ms, logger, set_report_id
from storemon.service.records import ReportRecord
from storemon.service.settings import Settings
from storemon.service.together import together

# How long one delivery keeps the right to compute a report: longer than the worker's timeout
# (300 s), shorter than the queue's visibility timeout (1800 s).
LEASE_SECONDS = 900


def handle_report_job(
    settings: Settings, report_id: str, receive_count: int = 1, message_id: str | None = None
) -> str:
    """Compute the report `report_id` if it is still Running: "complete", "failed",
    "duplicate" or "unknown". `message_id` identifies the delivery (see :func:`records.claim`):
    of two messages for one report, only the one holding the claim computes and writes."""
    set_report_id(report_id)
    record = records.get(settings, report_id)
    if record is None:
        logger.warning("no record for this report: message dropped")
        add_count("MessagesDropped")
        return "unknown"
    if record["status"] != records.RUNNING:
        logger.info("report already %s: nothing to do", record["status"])
        add_count("DuplicateMessages")
        if record["status"] == records.COMPLETE:
            advance_latest(settings, record)  # in case the finishing delivery stopped before it
            finish_pending(settings, record)  # likewise
        return "duplicate"
    if not records.claim(settings, report_id, message_id or str(uuid.uuid4()), LEASE_SECONDS):
        logger.info("another delivery is computing this report: message dropped")
        add_count("DuplicateMessages")
        return "duplicate"
    return _compute_or_fail(settings, record, receive_count)


def compute_claimed(settings: Settings, record: ReportRecord, receive_count: int = 1) -> str:
    """:func:`handle_report_job` for a Running record this delivery created with its claim
    (a refresh computed where it is recorded: no second read, no second claim)."""
    set_report_id(record["report_id"])
    return _compute_or_fail(settings, record, receive_count)


def _compute_or_fail(settings: Settings, record: ReportRecord, receive_count: int) -> str:
    """Compute the report; an unusable input fails it, anything else is retried (raised) until
    the last delivery, which fails it."""
    try:
        return compute_and_complete(settings, record)
    except UnusableInput as exc:
        return fail_report(settings, record, str(exc))
    except Exception as exc:
        if receive_count >= settings.max_receive_count:
            error = f"gave up after {receive_count} attempts: {type(exc).__name__}: {exc}"
            fail_report(settings, record, error)
        else:
            logger.warning("attempt %d failed, will retry", receive_count, exc_info=True)
            add_count("ReportRetries")
        raise


def fail_report(settings: Settings, record: ReportRecord, error: str) -> str:
    """Running -> Failed; a full report of the current inputs is also noted on ``latest``."""
    if records.fail(settings, record["report_id"], error):
        logger.error("report failed", extra={"error": error})
        add_count("ReportFailures")
        if records.is_full(record):
            _note_newer_failure(settings, {**record, "error": error})
    return "failed"


def _note_newer_failure(settings: Settings, record: ReportRecord) -> None:
    current_at = utc_text(records.utcnow())
    try:
        if sources.is_current(settings, record.get("inputs") or {}):
            records.note_newer_failure(settings, record, current_at)
    except Exception:  # best effort: the report itself is recorded as Failed
        logger.warning("could not note the failure on latest", exc_info=True)


def compute_and_complete(settings: Settings, record: ReportRecord) -> str:
    """Compute the report of a Running record, write its files and complete it: "complete" or
    "duplicate". Reports of §5's windows come with their page (the incidents, the month and
    the last 30 days of their stores), full reports with their incidents' files too.

    A refresh (an upload, a batch of polls: SPEC §10) completes and moves ``latest`` first
    and writes its per-store files and its page right after (:func:`finish_pending`; until
    then its answer says ``files_pending`` and ``page_pending``): ``latest`` should follow a
    batch as soon as its report exists."""
    started = time.perf_counter()
    full, page = records.is_full(record), records.has_page(record)
    if (record.get("inputs") or {}).get("history"):
        from storemon.service import shard_jobs

        sharded = shard_jobs.fan_out_history(settings, record, full=full, page=page)
        if sharded is not None:
            return sharded
    parsed, source = input_sets.inputs_to_shard(settings, record)
    if parsed is not None and len(parsed[0].time_us) > settings.shard_polls:
        from storemon.service import shard_jobs

        return shard_jobs.fan_out(settings, record, parsed, source, full=full, page=page)
    later = record.get("kind") == "refresh"  # its incidents after latest moved
    made = input_sets.report_of_record(
        settings, record, incidents=full, page=page, parsed_csv=parsed, incidents_later=later
    )
    return finish_report(settings, record, made, started)


def finish_report(
    settings: Settings, record: ReportRecord, made: RecordReport, started: float
) -> str:
    """Write the files of a record's computed report and complete it: "complete" or
    "duplicate". A refresh writes only what ``latest`` needs (the CSV and the summary),
    completes and moves ``latest``, then writes its per-store files and its page
    (:func:`finish_pending`); until then its record names them ``files_pending`` and
    ``page_pending``."""
    full, page = records.is_full(record), records.has_page(record)
    later = record.get("kind") == "refresh"
    result = made.result
    keys = report_files.result_keys(settings, record["report_id"], full, page)
    summary = result.summary_json()
    pending = {name: keys[name] for name in (*STORE_FILES, "page") if later and keys[name]}
    checked = None
    if later:  # whether its inputs are still current, asked while the files are written
        _, checked = together(
            [
                lambda: report_files.write_core_files(
                    settings, record["report_id"], keys, result, summary
                ),
                lambda: check_current(settings, record),
            ]
        )
    else:
        status = made.status_now() if keys["status_json"] else None
        report_files.write_report_files(
            settings, record["report_id"], keys, result, summary, status=status
        )
        if keys["page"]:
            report_files.write_page(settings, keys, result, made.page_periods())
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    fields = _completed(keys, pending, made, summary) | {"duration_ms": duration_ms}
    if not records.complete(settings, record["report_id"], fields):
        logger.info("another delivery finished this report first")
        add_count("DuplicateMessages")
        return "duplicate"
    advance_latest(settings, {**record, "status": records.COMPLETE}, made.alert_view, checked)
    logger.info(
        "report complete",
        extra={"rows": len(result.report), "duration_ms": duration_ms, "source": made.source},
    )
    add_count("ReportsCompleted")
    add_duration_ms("ReportDuration", duration_ms)
    add_count("ReportStores", int(summary.get("stores_reported", len(result.report))))
    add_count("SkippedRows", skipped_rows(summary))
    if pending:
        finish_pending(settings, record, keys, made)
    return "complete"


STORE_FILES = ("stores", "incidents", "incidents_json", "status_json")


def _completed(keys: dict, pending: dict, made: RecordReport, summary: dict) -> dict:
    """The record's fields when Complete: ``result`` (its files, None for those pending),
    and what is pending (``files_pending``: the per-store files, ``page_pending``)."""
    fields = {
        "result": {**keys, **dict.fromkeys(pending)},
        "rows": len(made.result.report),
        "summary": json.dumps(summary),
        "source": made.source,
    }
    files = {name: key for name, key in pending.items() if name != "page"}
    if files:
        fields["files_pending"] = files
    if pending.get("page"):
        fields["page_pending"] = pending["page"]
    return fields


def finish_pending(
    settings: Settings, record: ReportRecord, keys: dict | None = None, made: Any = None
) -> None:
    """Write what a complete report still has pending, its per-store files, then its page,
    naming each in the record's ``result`` once written: `keys` its files (default: the
    record's ``result``, ``files_pending`` and ``page_pending``), `made` the report's
    computation when at hand (else computed again: a retried message)."""
    if keys is None:
        files, page = record.get("files_pending") or {}, record.get("page_pending")
        if not files and not page:
            return
        keys = {**(record.get("result") or {}), **files, "page": page}
    else:
        files = {name: keys[name] for name in STORE_FILES if keys.get(name)}
    started = time.perf_counter()
    made = made or _made_again(settings, record)
    made.result.complete()  # the incidents, when left for later
    if files:
        status = made.status_now() if keys.get("status_json") else None
        report_files.write_store_files(settings, record["report_id"], keys, made.result, status)
        written = {**keys, "page": None} if keys.get("page") else keys
        records.files_written(settings, record["report_id"], written)
        logger.info("report's store files written", extra={"files": sorted(files)})
    if keys.get("page"):
        report_files.write_page(settings, keys, made.result, made.page_periods())
        records.page_written(settings, record["report_id"], keys)
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    logger.info("report's pending files written", extra={"duration_ms": duration_ms})


def _made_again(settings: Settings, record: ReportRecord) -> RecordReport:
    """A complete report's computation again, for its pending files (a retried message)."""
    if record.get("shards_total"):
        from storemon.service import shard_jobs

        return shard_jobs.reassemble(settings, record)  # from the shards' outputs
    return input_sets.report_of_record(settings, record, incidents=True, page=True)


@dataclass(frozen=True)
class CurrentCheck:
    """Whether a full report's inputs were the current ones at ``current_at`` (the time taken
    before looking), and which report ``latest`` named then (``before``)."""

    current_at: str
    current: bool
    before: str | None


def check_current(settings: Settings, record: ReportRecord) -> CurrentCheck | None:
    """:class:`CurrentCheck` of a full report (None for another): the time first, then the
    inputs and ``latest``'s pointer read at once."""
    if not records.is_full(record):
        return None
    current_at = utc_text(records.utcnow())
    inputs = record.get("inputs") or {}
    current, pointer = together(
        [
            lambda: sources.is_current(settings, inputs),
            lambda: records.latest_pointer(settings) or {},
        ]
    )
    return CurrentCheck(current_at, current, pointer.get("target_id"))


def advance_latest(
    settings: Settings,
    record: ReportRecord,
    alert_view: Callable[[], Any] | None = None,
    checked: CurrentCheck | None = None,
) -> None:
    """Point ``latest`` at a complete full report if its inputs are still the current ones
    (a report of superseded or mixed inputs never does), unless ``latest`` names a report
    whose inputs were seen current later; then the alerts of this ingest (:func:`_alerts`),
    unless the refresh of a history version queued them (:func:`evaluation_queued`).
    The time is taken before looking at the inputs, so of two reports the one of the newer
    inputs always carries the later time. `checked`: that look, taken while the report's
    files were written (:func:`check_current`), else taken now."""
    checked = checked or check_current(settings, record)
    if checked is None:
        return
    current_at = checked.current_at
    inputs = record.get("inputs") or {}
    if not checked.current:
        logger.info("newer inputs were uploaded since this report's: latest not moved")
        return
    before = checked.before
    if records.advance_latest(settings, record["report_id"], current_at, inputs):
        logger.info("latest now points at this report", extra={"current_at": current_at})
        if alerts.enabled(settings) and before != record["report_id"]:
            # SPEC §10: the alerts of the ingest latest now covers (once per report), unless
            # the ingest's own queued evaluation owns them or they were evaluated already
            if evaluation_queued(record):
                return
            ingest_at = alerts.ingest_at_of(inputs, current_at)
            if not alerts.evaluated(settings, ingest_at):
                _alerts(settings, record["report_id"], ingest_at, alert_view)


def evaluation_queued(record: ReportRecord) -> bool:
    """Whether the alerts of the ingest of `record` are a message of their own: a refresh of
    a poll history queued its version's evaluation before recording the report
    (:func:`storemon.service.alerts_history.queue_history`); that message evaluates it, and
    SQS retries it, whatever becomes of the report (evaluating here too would only race it
    for the cursor's lease)."""
    return record.get("kind") == "refresh" and bool((record.get("inputs") or {}).get("history"))


def _alerts(
    settings: Settings, report_id: str, ingest_at: str, alert_view: Callable[[], Any] | None
) -> None:
    """Evaluate the alerts of the ingest ``latest`` now covers, here with the report's own
    alert view (`alert_view`: no second read of the polls, no second hop through the queue).
    An evaluation message is queued first, delayed by the evaluation's lease: if this one
    stops or fails, that message evaluates the ingest (else it finds it evaluated); a busy
    cursor (another evaluation runs) queues one shortly instead. Without `alert_view` (a
    retried message) the worker evaluates it from the message at once."""
    view = alert_view() if alert_view is not None else None
    if view is None:
        alerts.queue_evaluation(settings, report_id, ingest_at)
        return
    alerts.queue_evaluation(settings, report_id, ingest_at, delay=alerts.LEASE_SECONDS)
    try:
        outcome = alerts.evaluate(settings, view, ingest_at=ingest_at, token=str(uuid.uuid4()))
    except Exception:  # the queued evaluation retries it
        logger.warning("the alerts evaluation failed: the queued one retries", exc_info=True)
        return
    if outcome == f"alerts-{alert_store.BUSY}":
        alerts.queue_evaluation(settings, report_id, ingest_at, delay=alerts.BUSY_DELAY_SECONDS)
    logger.info("alerts evaluated with the report", extra={"outcome": outcome})


def skipped_rows(summary: dict) -> int:
    files = summary.get("files") or {}
    return int(sum(int((f or {}).get("rows_skipped", 0)) for f in files.values()))
