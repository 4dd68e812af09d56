"""POST /trigger_report and /stores/{store_id}/trigger_report: validate, record, queue.

The record names the exact S3 versions of the three inputs at request time; the worker reads
those, so uploads that happen while the report waits do not leak into it. A missing input does
not refuse the request: the report is recorded and fails in the worker with the reason, like any
other broken input (one place for input errors).
"""

from __future__ import annotations

from storemon.clock import timestamps
from storemon.errors import InvalidRequest, TooManyRequests, Unavailable
from storemon.service import authz, aws, records, request_rules, sources
from storemon.service.authz import Principal
from storemon.service.observability import add_count, logger, set_report_id
from storemon.service.period_request import check_period
from storemon.service.records import ReportRecord, ReportRequest, Requester
from storemon.service.settings import Settings

# What a 429 tells the caller to wait: about the time a report of some stores takes
QUOTA_RETRY_SECONDS = 30


def normalize_timestamp(value: str) -> str:
    """`value` as UTC ``YYYY-MM-DD HH:MM:SS.ffffff`` (the engine's own input form); ValueError
    when it is not one of the accepted forms (:mod:`storemon.clock.timestamps`)."""
    return timestamps.normalize(value)


def parse_request(
    body: dict, store_id: str | None = None, query: dict | None = None
) -> ReportRequest:
    """{"store_ids": [...] | None, "as_of": str | None} (and the ``period`` the body names, SPEC
    §8) from a request's JSON body (and, for the one-store routes, the path's store id and the
    query's as_of); InvalidRequest if bad."""
    if store_id is None:
        request = request_rules.parse(request_rules.TRIGGER_BODY, body)
        store_ids = list(dict.fromkeys(request.store_ids)) if request.store_ids else None
        asked: ReportRequest = {"store_ids": store_ids, "as_of": request.as_of}
        period = check_period(
            windows=list(request.windows) if request.windows else None,
            start=request.start,
            end=request.end,
            daily=request.daily,
            as_of=request.as_of,
        )
        if period:
            asked["period"] = period
        return asked
    if "store_ids" in body:
        raise InvalidRequest("store_ids is not allowed here: the path names the store")
    if body.get("as_of") is None and (query or {}).get("as_of") is not None:
        body = {**body, "as_of": (query or {})["as_of"]}
    one = request_rules.parse(request_rules.STORE_TRIGGER_BODY, body)
    return {"store_ids": [request_rules.store_id_from_path(store_id)], "as_of": one.as_of}


def trigger(
    settings: Settings,
    body: dict,
    store_id: str | None = None,
    query: dict | None = None,
    *,
    principal: Principal,
) -> str:
    """Validate, check the caller may see those stores (Forbidden otherwise), write the Running
    record (naming who asked), queue the job: the new report's id."""
    request = parse_request(body, store_id, query)
    authz.require_stores(principal, request["store_ids"])
    check_quota(settings, principal)
    report_id = records.new_report_id()
    set_report_id(report_id)
    requester: Requester = {**authz.requester(principal), "running_by": principal.subject}
    start(settings, report_id, "request", request, requester=requester)
    logger.info("report requested", extra={"request": request})
    add_count("ReportsRequested")
    return report_id


def check_quota(settings: Settings, principal: Principal) -> None:
    """TooManyRequests (429, Retry-After) when a store owner already has as many reports
    Running as ``MAX_RUNNING_PER_CALLER`` allows (0: no limit), so one owner cannot fill the
    queue that refreshes everyone's reports. Administrators (the operators) are not limited.
    Counted from an eventually consistent index: requests arriving together may pass the limit
    by the few that race it."""
    limit = settings.max_running_per_caller
    if not limit or principal.admin:
        return
    running = records.running_of(settings, principal.subject)
    if running >= limit:
        add_count("ReportsThrottled")
        raise TooManyRequests(
            f"you have {running} reports running, the most allowed per caller is {limit}: "
            "ask again when one has finished",
            retry_after=QUOTA_RETRY_SECONDS,
        )


def start(
    settings: Settings,
    report_id: str,
    kind: str,
    request: ReportRequest,
    requester: Requester | None = None,
) -> ReportRecord:
    """Resolve the inputs, write the Running record (with `requester`, see
    ``authz.requester``) and queue it; the record."""
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
    record.update(requester or {})
    records.create(settings, record)
    try:
        aws.send_message(settings.queue_url, {"report_id": report_id, "kind": kind})
    except Exception as exc:
        # Nobody would ever finish it: record it as Failed rather than leave it Running.
        records.fail(settings, report_id, f"could not queue the report: {exc}")
        add_count("ReportFailures")
        raise Unavailable("could not queue the report; try again") from exc
    return record
