"""POST /trigger_report and /stores/{store_id}/trigger_report: validate, record, queue.

The record names the exact S3 versions of the three inputs at request time; the worker reads
those, so uploads that happen while the report waits do not leak into it. A missing input does
not refuse the request: the report is recorded and fails in the worker with the reason, like any
other broken input (one place for input errors).
"""

from __future__ import annotations

from storemon import aws, timestamps
from storemon.errors import InvalidRequest, Unavailable
from storemon.observability import add_count, logger, set_report_id
from storemon.service import records, sources
from storemon.service.settings import Settings

MAX_STORE_IDS = 1000
# UTF-8 bytes of one store id: 1,000 of them (the request, and the summary's ids not found)
# keep the record well inside DynamoDB's 400 KB item limit.
MAX_STORE_ID_BYTES = 128
FIELDS = ("store_ids", "as_of")
TIMESTAMP_FORMS = "YYYY-MM-DD HH:MM:SS[.ffffff] [UTC] or ISO 8601"


def normalize_timestamp(value: str) -> str:
    """`value` as UTC ``YYYY-MM-DD HH:MM:SS.ffffff`` (the engine's own input form); ValueError
    when it is not one of the accepted forms (:mod:`storemon.timestamps`)."""
    return timestamps.normalize(value)


def parse_request(body: dict, store_id: str | None = None, query: dict | None = None) -> dict:
    """{"store_ids": [...] | None, "as_of": str | None} from a request's JSON body (and, for
    the one-store routes, the path's store id and the query's as_of); InvalidRequest if bad."""
    body = dict(body or {})
    _check_fields(body, store_id)
    if store_id is not None:
        store_ids: list[str] | None = [_store_id(store_id, "store_id")]
    else:
        store_ids = _store_ids(body.get("store_ids"))
    as_of = body.get("as_of")
    if as_of is None and query:
        as_of = query.get("as_of")
    return {"store_ids": store_ids, "as_of": as_of_from(as_of)}


def _check_fields(body: dict, store_id: str | None) -> None:
    allowed = FIELDS if store_id is None else ("as_of",)
    if store_id is not None and "store_ids" in body:
        raise InvalidRequest("store_ids is not allowed here: the path names the store")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        shown = ", ".join(name[:40] for name in unknown[:5])
        raise InvalidRequest(f"unknown field(s): {shown}; allowed: {', '.join(allowed)}")


def as_of_from(value: object) -> str | None:
    """The normalised as_of (None when absent); InvalidRequest when it is not a timestamp."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest("as_of must be a timestamp string, e.g. 2023-01-25 18:00:00 UTC")
    try:
        return normalize_timestamp(value)
    except ValueError:
        shown = value if len(value) <= 60 else value[:60] + "..."
        raise InvalidRequest(
            f"as_of is not a valid timestamp: {shown!r} (use {TIMESTAMP_FORMS})"
        ) from None


def _store_id(value: object, where: str) -> str:
    """One trimmed store id; InvalidRequest when empty, not a string or too long."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"{where} must be a non-empty string")
    store_id = value.strip()
    try:
        size = len(store_id.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidRequest(f"{where} is not valid Unicode (a lone surrogate)") from None
    if size > MAX_STORE_ID_BYTES:
        raise InvalidRequest(
            f"{where} is too long: at most {MAX_STORE_ID_BYTES} bytes (UTF-8) per store id"
        )
    return store_id


def _store_ids(value: object) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise InvalidRequest("store_ids must be a list of strings")
    if not value:
        raise InvalidRequest("store_ids must not be empty (leave it out for every store)")
    if len(value) > MAX_STORE_IDS:
        raise InvalidRequest(
            f"at most {MAX_STORE_IDS} store_ids per request (leave it out for all stores)"
        )
    ids = (_store_id(item, f"store_ids[{i}]") for i, item in enumerate(value))
    return list(dict.fromkeys(ids))


def trigger(
    settings: Settings, body: dict, store_id: str | None = None, query: dict | None = None
) -> str:
    """Validate, write the Running record, queue the job: the new report's id."""
    request = parse_request(body, store_id, query)
    report_id = records.new_report_id()
    set_report_id(report_id)
    start(settings, report_id, "request", request)
    logger.info("report requested", extra={"request": request})
    add_count("ReportsRequested")
    return report_id


def start(settings: Settings, report_id: str, kind: str, request: dict) -> dict:
    """Resolve the inputs, write the Running record and queue it; the record."""
    resolved_at = records.utcnow()
    inputs = sources.resolve(settings)
    record = records.new_record(
        settings,
        report_id,
        kind=kind,
        request=request,
        inputs=inputs,
        marker=sources.marker(inputs, resolved_at),
        now=resolved_at,
    )
    records.create(settings, record)
    try:
        aws.send_message(settings.queue_url, {"report_id": report_id, "kind": kind})
    except Exception as exc:
        # Nobody would ever finish it: record it as Failed rather than leave it Running.
        records.fail(settings, report_id, f"could not queue the report: {exc}")
        add_count("ReportFailures")
        raise Unavailable("could not queue the report; try again") from exc
    return record
