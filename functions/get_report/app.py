"""get_report: GET /get_report?report_id=, GET /get_report/{report_id}, POST /get_report,
GET /store_summary?store_id=, GET /reports?limit=,
GET /stores/{store_id}/report[?as_of= | ?from=&to=], GET /stores/{store_id}/days[?from=&to=],
GET /stores/{store_id}/incidents[?report_id=], GET /stores/{store_id}/status, and the API's
$default route (JSON 404 / 405).
Query and path parameters are checked as :mod:`storemon.service.request_rules` declares them
(and documented from the same declarations in the OpenAPI document); the answers come from
:mod:`storemon.service.reports` (a report, the list) and :mod:`storemon.service.stores` (one
store's summary, report, incidents and status)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response

from storemon.service import http, reports, request_rules, stores
from storemon.service.lambda_entry import HttpFunction
from storemon.service.observability import tracer
from storemon.service.request_rules import (
    AS_OF_QUERY,
    FORMAT_QUERY,
    FROM_QUERY,
    LATEST_REPORT_ID_QUERY,
    LIMIT_QUERY,
    REPORT_ID_PATH,
    REPORT_ID_QUERY,
    STORE_ID_PATH,
    STORE_ID_QUERY,
    TO_QUERY,
)

function = HttpFunction()
app = function.app


# the answers of each route, for the OpenAPI document (given storemon.service.api_models)
def report_states(m: Any) -> dict:
    return m.answers(200, m.ReportAnswer, 400, 403, 404, also=(202, 303, 409))


def _answer(report_id: str, fmt: str | None) -> Response:
    event = app.current_event
    view = reports.get_report(function.settings(), report_id, function.caller())
    return http.report_answer(view, http.wanted_file(event.headers, fmt))


@function.get(
    "/get_report",
    params=(REPORT_ID_QUERY, FORMAT_QUERY),
    summary="A report's state",
    responses=report_states,
)
@tracer.capture_method
def get_report_by_query(report_id: str, format: str | None = None):  # noqa: A002
    return _answer(report_id, format)


@function.get(
    "/get_report/<report_id>",
    params=(REPORT_ID_PATH, FORMAT_QUERY),
    summary="A report's state",
    responses=report_states,
)
@tracer.capture_method
def get_report_by_path(report_id: str, format: str | None = None):  # noqa: A002
    return _answer(report_id, format)


@function.post(
    "/get_report", summary="A report's state", responses=report_states, query_checked=False
)
@tracer.capture_method
def get_report_by_body():
    data = http.event_json(app.current_event)
    body = request_rules.parse(request_rules.GET_REPORT_BODY, data)
    function.check_query()
    return _answer(body.report_id, body.format)


@function.get(
    "/store_summary",
    params=(STORE_ID_QUERY,),
    summary="What the data holds for one store",
    responses=lambda m: m.answers(200, m.StoreSummary, 400, 403, 404, 503),
)
@tracer.capture_method
def store_summary(store_id: str):
    summary = stores.store_summary(function.settings(), store_id, function.caller())
    return http.json_response(200, summary)


@function.get(
    "/reports",
    params=(LIMIT_QUERY,),
    summary="Recent reports, newest first",
    responses=lambda m: m.answers(200, m.ReportList, 400, 403),
)
@tracer.capture_method
def recent_reports(limit: int = request_rules.DEFAULT_LIMIT):
    return http.json_response(200, reports.recent(function.settings(), limit, function.caller()))


@function.get(
    "/stores/<store_id>/report",
    params=(STORE_ID_PATH, AS_OF_QUERY, FROM_QUERY, TO_QUERY),
    summary="One store's report row and uptime percentages, answered at once",
    responses=lambda m: m.answers(200, m.StoreReport, 400, 403, 404, 503),
)
@tracer.capture_method
def store_report(
    store_id: str, as_of: str | None = None, start: str | None = None, end: str | None = None
):
    answer = stores.store_report(
        function.settings(), store_id, as_of, principal=function.caller(), start=start, end=end
    )
    return http.json_response(200, answer)


@function.get(
    "/stores/<store_id>/days",
    params=(STORE_ID_PATH, FROM_QUERY, TO_QUERY),
    summary="One store's uptime day by day (default: the last 30 days), answered at once",
    responses=lambda m: m.answers(200, m.StoreDays, 400, 403, 404, 503),
)
@tracer.capture_method
def store_days(store_id: str, start: str | None = None, end: str | None = None):
    answer = stores.store_days(
        function.settings(), store_id, start, end, principal=function.caller()
    )
    return http.json_response(200, answer)


@function.get(
    "/stores/<store_id>/incidents",
    params=(STORE_ID_PATH, LATEST_REPORT_ID_QUERY),
    summary="One store's incidents and uptime percentages in a full report",
    responses=lambda m: m.answers(200, m.StoreIncidents, 400, 403, 404, 409, 503),
)
@tracer.capture_method
def store_incidents(store_id: str, report_id: str = "latest"):
    store = request_rules.store_id_from_path(store_id)
    answer = stores.store_incidents(
        function.settings(), store, report_id, principal=function.caller()
    )
    return http.json_response(200, answer)


@function.get(
    "/stores/<store_id>/status",
    params=(STORE_ID_PATH,),
    summary="One store's status now: since when, its last poll, open now, its ongoing incident",
    responses=lambda m: m.answers(200, m.StoreStatus, 400, 403, 404, 503),
)
@tracer.capture_method
def store_status(store_id: str):
    store = request_rules.store_id_from_path(store_id)
    answer = stores.store_status(function.settings(), store, principal=function.caller())
    return http.json_response(200, answer)


lambda_handler = function.lambda_handler
