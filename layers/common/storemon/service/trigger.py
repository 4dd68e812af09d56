"""POST /trigger_report and /stores/{store_id}/trigger_report: validate, record, queue.

The record names the exact S3 versions of the three inputs at request time; the worker reads
those, so uploads that happen while the report waits do not leak into it. A missing input does
not refuse the request: the report is recorded and fails in the worker with the reason, like any
other broken input (one place for input errors).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from storemon import aws
from storemon.service import log, records, sources
from storemon.service.http import ApiError, ApiResult
from storemon.service.settings import Settings, settings

MAX_STORE_IDS = 1000
FIELDS = ("store_ids", "as_of")

# SPEC section 1: "YYYY-MM-DD HH:MM:SS[.f...]" with 0-6 fraction digits and an optional " UTC",
# or ISO 8601 with "T", "Z" or a numeric offset.
_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{0,6}))?"
    r"(?:( ?UTC| ?Z)|([+-])(\d{2}):?(\d{2}))?$",
    re.IGNORECASE,
)


def normalize_timestamp(value: str) -> str:
    """`value` as UTC ``YYYY-MM-DD HH:MM:SS.ffffff`` (the engine's own input form); ValueError
    when it is not one of the accepted forms."""
    match = _TIMESTAMP.match(value.strip())
    if not match:
        raise ValueError(value)
    year, month, day, hour, minute, second, frac, _utc, sign, off_h, off_m = match.groups()
    micros = int((frac or "").ljust(6, "0") or 0)
    tz = UTC
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(-offset if sign == "-" else offset)
    moment = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micros, tzinfo=tz
    )
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def parse_request(body: dict, store_id: str | None = None, query: dict | None = None) -> dict:
    """{"store_ids": [...] | None, "as_of": str | None} from a request; ApiError(400) if bad."""
    body = dict(body or {})
    if store_id is None:
        unknown = sorted(set(body) - set(FIELDS))
    else:
        if "store_ids" in body:
            raise ApiError(400, "store_ids is not allowed here: the path names the store")
        unknown = sorted(set(body) - {"as_of"})
    if unknown:
        raise ApiError(400, f"unknown field(s): {', '.join(unknown)}; allowed: store_ids, as_of")

    if store_id is not None:
        store_id = store_id.strip()
        if not store_id:
            raise ApiError(400, "store_id must not be empty")
        store_ids: list[str] | None = [store_id]
    else:
        store_ids = _store_ids(body.get("store_ids"))

    as_of = body.get("as_of")
    if as_of is None and query:
        as_of = query.get("as_of")
    if as_of is not None:
        if not isinstance(as_of, str) or not as_of.strip():
            raise ApiError(400, "as_of must be a timestamp string, e.g. 2023-01-25 18:00:00 UTC")
        try:
            as_of = normalize_timestamp(as_of)
        except (ValueError, OverflowError):
            raise ApiError(
                400,
                f"as_of is not a valid timestamp: {as_of!r} (use YYYY-MM-DD HH:MM:SS[.ffffff]"
                " [UTC] or ISO 8601)",
            ) from None
    return {"store_ids": store_ids, "as_of": as_of}


def _store_ids(value: object) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise ApiError(400, "store_ids must be a list of strings")
    if not value:
        raise ApiError(400, "store_ids must not be empty (leave it out for every store)")
    if len(value) > MAX_STORE_IDS:
        raise ApiError(
            400, f"at most {MAX_STORE_IDS} store_ids per request (leave it out for all stores)"
        )
    out: list[str] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise ApiError(400, f"store_ids[{i}] must be a non-empty string")
        store_id = item.strip()
        if store_id not in seen:
            seen.add(store_id)
            out.append(store_id)
    return out


def trigger(body: dict, store_id: str | None = None, query: dict | None = None) -> ApiResult:
    """Validate, write the Running record, queue the job: 202 {"report_id": ...}."""
    request = parse_request(body, store_id, query)
    conf = settings()
    report_id = records.new_report_id()
    log.set_report_id(report_id)
    start(conf, report_id, "request", request)
    log.logger().info("report requested", extra={"request": request})
    log.count("ReportsRequested")
    return ApiResult(202, {"report_id": report_id}, {"Location": f"/get_report/{report_id}"})


def start(conf: Settings, report_id: str, kind: str, request: dict) -> dict:
    """Resolve the inputs, write the Running record and queue it; the record."""
    resolved_at = records.utcnow()
    inputs = sources.resolve(conf)
    record = records.new_record(
        conf,
        report_id,
        kind=kind,
        request=request,
        inputs=inputs,
        marker=sources.marker(inputs, resolved_at),
        now=resolved_at,
    )
    records.create(conf, record)
    try:
        aws.send_message(conf.queue_url, {"report_id": report_id, "kind": kind})
    except Exception as exc:
        # Nobody would ever finish it: record it as Failed rather than leave it Running.
        records.fail(conf, report_id, f"could not queue the report: {exc}")
        log.count("ReportFailures")
        raise ApiError(503, "could not queue the report; try again") from exc
    return record
