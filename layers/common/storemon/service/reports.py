"""GET/POST /get_report and GET /store_summary: answers from the record, never from the inputs.

- Running  -> 200 {"report_id", "status": "Running", ...}
- Complete -> 200 {"report_id", "status": "Complete", "report_url": <presigned GET>, ...}
- Failed   -> 200 {"report_id", "status": "Failed", "error": ...}
- asked for the CSV (``format=csv`` or ``Accept: text/csv``): Complete -> 303 to the URL,
  Running -> 202 (with Retry-After), Failed -> 409, each with the JSON body above.
- 400 for an id that is neither a uuid4 nor ``latest``, 404 for an unknown one.

A report still Running past its deadline (see ``STALE_AFTER_SECONDS``) is recorded and reported
as Failed: whatever went wrong (a worker killed on its last attempt), no report stays Running
forever.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from datetime import timedelta

from storemon import aws
from storemon.service import log, records
from storemon.service.http import ApiError, ApiResult
from storemon.service.settings import Settings, settings

RETRY_AFTER_SECONDS = "5"
_STORES_CACHE: OrderedDict[str, dict] = OrderedDict()
_STORES_CACHE_SIZE = 2


def report_id_from(value: object) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ApiError(400, "report_id is required")
    if not isinstance(value, str):
        raise ApiError(400, "report_id must be a string")
    report_id = value.strip().lower()
    if report_id != records.LATEST and not records.is_report_id(report_id):
        raise ApiError(400, f"malformed report_id {value!r}: expected a uuid4 or 'latest'")
    return report_id


def get_report(report_id: object, want_csv: bool = False) -> ApiResult:
    conf = settings()
    rid = report_id_from(report_id)
    if rid == records.LATEST:
        pointer = records.latest_pointer(conf)
        if not pointer:
            raise ApiError(404, "no finished refresh report yet: upload the inputs or trigger one")
        rid = pointer["target_id"]
    log.set_report_id(rid)
    record = records.get(conf, rid)
    if record is None and report_id_from(report_id) == records.LATEST:
        raise ApiError(
            404,
            f"the latest report ({rid}) has expired after {conf.retention_days} days: "
            "trigger a report or upload an input",
        )
    if record is None:
        raise ApiError(404, f"unknown report_id {rid}")
    record = _expire_if_stale(conf, record)
    body = view(conf, record)
    status = record["status"]
    if not want_csv:
        return ApiResult(200, body)
    if status == records.COMPLETE:
        return ApiResult(303, body, {"Location": body["report_url"]})
    if status == records.RUNNING:
        return ApiResult(202, body, {"Retry-After": RETRY_AFTER_SECONDS})
    return ApiResult(409, body)


def _expire_if_stale(conf: Settings, record: dict) -> dict:
    if record["status"] != records.RUNNING:
        return record
    now = int(records.utcnow().timestamp())
    if int(record.get("deadline") or now + 1) >= now:
        return record
    error = "timed out: no worker finished the report"
    records.fail(conf, record["report_id"], error, stale_before=now)
    log.logger().warning("stale Running report recorded as Failed")
    log.count("ReportFailures")
    fresh = records.get(conf, record["report_id"])
    return fresh or {**record, "status": records.FAILED, "error": error}


def view(conf: Settings, record: dict) -> dict:
    """The JSON answer for a record."""
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
    if record["status"] == records.COMPLETE:
        keys = record.get("result") or {}
        expires = conf.url_expiry_seconds
        now = records.utcnow()
        body["report_url"] = aws.presign_get(
            conf.bucket, keys["report"], expires, f"report-{record['report_id']}.csv"
        )
        body["summary_url"] = aws.presign_get(conf.bucket, keys["summary"], expires)
        body["url_expires_in"] = expires
        body["url_expires_at"] = records.iso(now + timedelta(seconds=expires))
        body["completed_at"] = record.get("completed_at")
        body["rows"] = record.get("rows")
        summary = record.get("summary")
        body["summary"] = json.loads(summary) if isinstance(summary, str) else summary
    elif record["status"] == records.FAILED:
        body["error"] = record.get("error")
        body["failed_at"] = record.get("failed_at")
    return body


def store_summary(store_id: object) -> ApiResult:
    """What the newest finished full report saw of one store (its per-store summary file)."""
    if not isinstance(store_id, str) or not store_id.strip():
        raise ApiError(400, "store_id is required")
    store_id = store_id.strip()
    conf = settings()
    pointer = records.latest_pointer(conf)
    record = records.get(conf, pointer["target_id"]) if pointer else None
    stores_key = ((record or {}).get("result") or {}).get("stores")
    if not stores_key:
        raise ApiError(
            404, "no store summary yet: it comes with the first full report of the inputs"
        )
    document = _stores(conf, stores_key)
    entry = document["stores"].get(store_id)
    if entry is None:
        raise ApiError(404, f"store {store_id} has no valid poll in the data")
    return ApiResult(
        200,
        {
            "store_id": store_id,
            **entry,
            "now": document.get("now"),
            "report_id": document.get("report_id"),
        },
    )


def _stores(conf: Settings, key: str) -> dict:
    """The per-store summary file, cached per warm container (it never changes once written)."""
    cached = _STORES_CACHE.get(key)
    if cached is not None:
        _STORES_CACHE.move_to_end(key)
        return cached
    document = json.loads(aws.get_object(conf.bucket, key))
    _STORES_CACHE[key] = document
    while len(_STORES_CACHE) > _STORES_CACHE_SIZE:
        _STORES_CACHE.popitem(last=False)
    return document
