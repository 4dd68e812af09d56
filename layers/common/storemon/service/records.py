"""The report record in DynamoDB and its forward-only life: Running -> Complete | Failed.

Every state change is a conditional write on ``status = Running``, so a redelivered or duplicated
message can never move a finished report, and of two deliveries processed at once only one
completes it (both write the same files: the result keys derive from the report id).

The ``latest`` pointer is an item of the same table (report_id ``latest``) naming the newest
finished full report of the current inputs; it only moves to a report whose input-set marker is
greater than its own (see :func:`storemon.service.sources.marker`), so it never moves backwards.

Record attributes::

    report_id      uuid4 string (refreshes: uuid4-shaped digest of their input set)
    kind           "request" (HTTP trigger) or "refresh" (S3 upload)
    status         Running | Complete | Failed
    request        {"store_ids": [...] | None, "as_of": "YYYY-MM-DD HH:MM:SS.ffffff" | None}
    inputs         {"status"|"hours"|"timezones": {key, version_id, etag, last_modified, size}
                    | None}
    input_marker   monotonic input-set marker (None if an input was missing)
    created_at, updated_at, completed_at / failed_at   ISO 8601 UTC
    deadline       epoch seconds after which a still-Running report counts as Failed (stale)
    expires_at     epoch seconds, the table's TTL attribute (retention)
    result         {"report": key, "summary": key, "stores": key | None} when Complete
    rows           rows in the report CSV; summary (JSON text, SPEC section 5); duration_ms
    error          why it Failed
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

from storemon import aws
from storemon.service.settings import Settings

RUNNING, COMPLETE, FAILED = "Running", "Complete", "Failed"
LATEST = "latest"
KEY = "report_id"

_UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_report_id() -> str:
    return str(uuid.uuid4())


def refresh_report_id(inputs: dict) -> str:
    """The same input set always gives the same id (uuid4-shaped: version 4, RFC variant), so
    several upload notifications that see the same three files make one refresh report."""
    canon = json.dumps(
        {k: (v or {}).get("version_id") or (v or {}).get("etag") for k, v in inputs.items()}
        | {"keys": sorted((v or {}).get("key", "") for v in inputs.values())},
        sort_keys=True,
    )
    digest = bytearray(hashlib.sha256(canon.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x40
    digest[8] = (digest[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(digest)))


def is_report_id(value: str) -> bool:
    """A canonical (lower-case, hyphenated) uuid4."""
    return bool(_UUID4.match(value))


def new_record(
    settings: Settings,
    report_id: str,
    *,
    kind: str,
    request: dict,
    inputs: dict,
    marker: str | None,
    now: datetime | None = None,
) -> dict:
    now = now or utcnow()
    return {
        KEY: report_id,
        "kind": kind,
        "status": RUNNING,
        "request": request,
        "inputs": inputs,
        "input_marker": marker,
        "created_at": iso(now),
        "updated_at": iso(now),
        "deadline": int((now + timedelta(seconds=settings.stale_after_seconds)).timestamp()),
        "expires_at": int((now + timedelta(days=settings.retention_days)).timestamp()),
    }


def create(settings: Settings, record: dict) -> bool:
    """Write a new record; False when one with its id exists already."""
    return aws.put_item_if_absent(settings.table, record, KEY)


def get(settings: Settings, report_id: str) -> dict | None:
    return aws.get_item(settings.table, {KEY: report_id})


def complete(settings: Settings, report_id: str, fields: dict) -> bool:
    """Running -> Complete with `fields`; False when the record was not Running."""
    now = iso(utcnow())
    values = dict(fields) | {"status": COMPLETE, "completed_at": now, "updated_at": now}
    return aws.update_item(
        settings.table,
        {KEY: report_id},
        values,
        condition="#status = :running",
        condition_values={":running": RUNNING},
    )


def fail(settings: Settings, report_id: str, error: str, stale_before: int | None = None) -> bool:
    """Running -> Failed with `error`; False when the record was not Running (or, with
    `stale_before`, when its deadline is not before that epoch second)."""
    now = iso(utcnow())
    condition = "#status = :running"
    values: dict = {":running": RUNNING}
    if stale_before is not None:
        condition += " AND #deadline < :now"
        values[":now"] = stale_before
    return aws.update_item(
        settings.table,
        {KEY: report_id},
        {"status": FAILED, "error": error[:2000], "failed_at": now, "updated_at": now},
        condition=condition,
        condition_values=values,
    )


def latest_pointer(settings: Settings) -> dict | None:
    return aws.get_item(settings.table, {KEY: LATEST})


def advance_latest(settings: Settings, report_id: str, marker: str, inputs: dict) -> bool:
    """Point ``latest`` at `report_id` unless it points at an equal or newer input set."""
    return aws.update_item(
        settings.table,
        {KEY: LATEST},
        {
            "target_id": report_id,
            "input_marker": marker,
            "input_set": refresh_report_id(inputs),
            "updated_at": iso(utcnow()),
        },
        condition="attribute_not_exists(#input_marker) OR #input_marker < :marker",
        condition_values={":marker": marker},
    )


def is_full(record: dict) -> bool:
    """A report of every store at the inputs' own `now`: what ``latest`` and store summaries
    are made of."""
    request = record.get("request") or {}
    return not request.get("store_ids") and not request.get("as_of")


def summary_view(record: dict) -> dict:
    """What a client sees of any record: id, status, kind, request, creation time, the inputs'
    keys and versions, and the error of a Failed report."""
    body: dict = {
        "report_id": record["report_id"],
        "status": record["status"],
        "kind": record.get("kind"),
        "request": record.get("request"),
        "created_at": record.get("created_at"),
        "inputs": {
            kind: None if not ref else {"key": ref["key"], "version_id": ref.get("version_id")}
            for kind, ref in (record.get("inputs") or {}).items()
        },
    }
    if record["status"] == FAILED:
        body["error"] = record.get("error")
    return body
