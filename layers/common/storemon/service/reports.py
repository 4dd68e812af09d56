"""get_report and the report list: answers from the record, never from the inputs.

:func:`get_report` returns a report's JSON view (``status`` Running, Complete with presigned
URLs, or Failed with the error); :mod:`storemon.service.http` decides the status code (200, or
for a CSV request 303 / 202 / 409). ``InvalidRequest`` for an id that is neither a uuid4 nor
``latest``, ``ReportNotFound`` for an unknown one.

A report still Running past its deadline (see ``STALE_AFTER_SECONDS``) is recorded and reported
as Failed: whatever went wrong (a worker killed on its last attempt), no report stays Running
forever.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from storemon.clock.iso import utc_text
from storemon.errors import InvalidRequest, ReportNotFound
from storemon.service import authz, aws, records
from storemon.service.authz import Principal
from storemon.service.observability import add_count, logger, set_report_id
from storemon.service.records import ReportRecord
from storemon.service.request_rules import DEFAULT_LIMIT, MAX_LIMIT
from storemon.service.settings import Settings


def report_id_from(value: object) -> str:
    """The canonical report id (lower case) or ``latest``; InvalidRequest otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidRequest("report_id is required")
    if not isinstance(value, str):
        raise InvalidRequest("report_id must be a string")
    report_id = value.strip().lower()
    if report_id != records.LATEST and not records.is_report_id(report_id):
        shown = value if len(value) <= 80 else value[:80] + "..."
        raise InvalidRequest(f"malformed report_id {shown!r}: expected a uuid4 or 'latest'")
    return report_id


def get_report(settings: Settings, report_id: object, principal: Principal) -> dict:
    """The JSON view of a report. For ``latest``: of the report the pointer names, with
    ``newer_refresh_failed`` ({report_id, error, failed_at}) when a refresh of newer inputs
    failed since. Forbidden unless the caller may read it: ``latest`` is for administrators,
    an owner reads only the reports they triggered."""
    rid = report_id_from(report_id)
    pointer: dict = {}
    if rid == records.LATEST:
        authz.require_admin(principal, "the latest report (every store)")
        pointer = records.latest_pointer(settings) or {}
    record = _record(settings, rid, pointer)
    authz.require_readable(principal, record)
    body = view(settings, _expire_if_stale(settings, record))
    if pointer.get("newer_failure"):
        body["newer_refresh_failed"] = pointer["newer_failure"]
    return body if principal.admin else owners_view(body)


# What an owner reads of a report's summary: the figures of the stores of their request. The
# data set's row counts (``files``) and anything not listed here are fleet-wide facts, for
# administrators (a key the engine adds later stays hidden until it is listed).
OWNER_SUMMARY_KEYS = (
    "now",
    "as_of",
    "store_filter",
    "stores_reported",
    "store_ids_not_found",
    "stores_default_24x7",
    "stores_default_timezone",
    "polls_used",
    "evidence_polls",
    "warnings",
    "duration_seconds",
)


def owners_view(body: dict) -> dict:
    """A report's view for a store owner: without the inputs' S3 keys and version ids, the
    summary's fleet-wide figures, or ``summary_url`` (the summary file holds them)."""
    kept = {k: v for k, v in body.items() if k != "inputs"}
    if isinstance(body.get("summary"), dict):
        kept["summary"] = {k: v for k, v in body["summary"].items() if k in OWNER_SUMMARY_KEYS}
    if "summary_url" in body:
        kept["summary_url"] = None
    return kept


def report_record(settings: Settings, report_id: object) -> ReportRecord:
    """The record of a report id or of ``latest`` (a stale Running one recorded as Failed);
    InvalidRequest for a malformed id, ReportNotFound for an unknown one."""
    rid = report_id_from(report_id)
    pointer = (records.latest_pointer(settings) or {}) if rid == records.LATEST else {}
    return _expire_if_stale(settings, _record(settings, rid, pointer))


def _record(settings: Settings, rid: str, pointer: dict) -> ReportRecord:
    if rid == records.LATEST:
        record = _latest_record(settings, pointer)
    else:
        found = records.get(settings, rid)
        if found is None:
            raise ReportNotFound(f"unknown report_id {rid}")
        record = found
    set_report_id(record["report_id"])
    return record


def _latest_record(settings: Settings, pointer: dict) -> ReportRecord:
    target = pointer.get("target_id")
    if not target:
        failure = pointer.get("newer_failure")
        why = f"; the newest refresh failed: {failure['error']}" if failure else ""
        raise ReportNotFound(
            "no finished refresh report yet: upload the inputs or trigger one" + why
        )
    record = records.get(settings, target)
    if record is None:
        raise ReportNotFound(
            f"the latest report ({target}) has expired after "
            f"{settings.retention_days} days: trigger a report or upload an input"
        )
    return record


def recent(settings: Settings, limit: object, principal: Principal) -> dict:
    """``{"reports": [...]}``: the `limit` newest reports (1-100, default 20), newest first,
    each as id, kind, status, created_at, request, inputs and (Failed) error. Administrators
    only (Forbidden otherwise)."""
    authz.require_admin(principal, "the report list")
    count = limit_from(limit)
    return {"reports": [records.summary_view(item) for item in records.recent(settings, count)]}


def limit_from(value: object) -> int:
    if value is None:
        return DEFAULT_LIMIT
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        shown = text if len(text) <= 20 else text[:20] + "..."
        raise InvalidRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}, not {shown!r}")
    return int(text)


def _expire_if_stale(settings: Settings, record: ReportRecord) -> ReportRecord:
    if record["status"] != records.RUNNING:
        return record
    now = int(records.utcnow().timestamp())
    if int(record.get("deadline") or now + 1) >= now:
        return record
    error = "timed out: no worker finished the report"
    progress = records.shard_progress(record)
    if record.get("shards_total"):
        done = set(record.get("shards_done") or [])
        missing = [k for k in range(progress["total"]) if k not in done]
        shown = ", ".join(map(str, missing[:20])) + (", ..." if len(missing) > 20 else "")
        error += (
            f" ({progress['done']} of {progress['total']} shards done; not done: {shown})"
            if missing
            else f" (all {progress['total']} shards done; their assembly did not finish)"
        )
    records.fail(settings, record["report_id"], error, stale_before=now)
    logger.warning("stale Running report recorded as Failed")
    add_count("ReportFailures")
    fresh = records.get(settings, record["report_id"])
    return fresh or {**record, "status": records.FAILED, "error": error}


def view(settings: Settings, record: ReportRecord) -> dict:
    """The JSON answer for a record."""
    body = records.summary_view(record)
    if record["status"] == records.COMPLETE:
        body |= _complete_view(settings, record)
    elif record["status"] == records.FAILED:
        body["failed_at"] = record.get("failed_at")
    return body


def _complete_view(settings: Settings, record: ReportRecord) -> dict:
    keys: dict[str, Any] = dict(record.get("result") or {})
    expires = settings.url_expiry_seconds
    now = records.utcnow()
    text = record.get("summary")  # JSON text (a map in records written before it was text)
    summary: dict = (json.loads(text) if isinstance(text, str) else text) or {}
    return {
        "report_url": aws.presign_get(
            settings.bucket, keys["report"], expires, f"report-{record['report_id']}.csv"
        ),
        "summary_url": aws.presign_get(settings.bucket, keys["summary"], expires),
        # full reports: the page and the incidents (SPEC §7); None for the others
        "page_url": _presign(settings, keys.get("page")),
        "incidents_url": _presign(
            settings, keys.get("incidents"), f"incidents-{record['report_id']}.csv"
        ),
        **({"page_pending": True} if record.get("page_pending") else {}),
        **({"files_pending": True} if record.get("files_pending") else {}),
        "url_expires_in": expires,
        "url_expires_at": utc_text(now + timedelta(seconds=expires)),
        "completed_at": record.get("completed_at"),
        # what the report was computed from: "snapshot" or "csv" (the inputs' CSV files)
        "source": record.get("source"),
        "rows": record.get("rows"),
        "summary": summary,
        # what the engine found wrong with the request (SPEC §5 summary), said up front
        "store_ids_not_found": summary.get("store_ids_not_found") or [],
        "warnings": summary.get("warnings") or [],
    }


def _presign(settings: Settings, key: str | None, filename: str | None = None) -> str | None:
    """A presigned GET URL of a report's optional file (None when the report has none)."""
    if not key:
        return None
    return aws.presign_get(settings.bucket, key, settings.url_expiry_seconds, filename)
