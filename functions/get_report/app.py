"""get_report: GET /get_report?report_id=, GET /get_report/{report_id}, POST /get_report,
GET /store_summary?store_id=, GET /reports?limit=,
GET /stores/{store_id}/report[?as_of= | ?from=&to=], GET /stores/{store_id}/days[?from=&to=],
GET /stores/{store_id}/incidents[?report_id=], GET /stores/{store_id}/status, and the API's
$default route (JSON 404 / 405).
Query and path parameters are validated by Powertools (and documented in the OpenAPI
document); the answers come from :mod:`storemon.service.reports` (a report, the list) and
:mod:`storemon.service.stores` (one store's summary, report, incidents and status)."""

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from storemon.service import api_models, http, reports, stores
from storemon.service.api_models import (
    ReportAnswer,
    ReportList,
    StoreIncidents,
    StoreReport,
    StoreStatus,
    StoreSummary,
    answers,
)
from storemon.service.api_units import StoreDays
from storemon.service.lambda_entry import HttpFunction
from storemon.service.observability import tracer

function = HttpFunction()  # routes carry no return annotation (see HttpFunction)
app = function.app


ReportIdQuery = Annotated[
    str,
    Query(
        max_length=64,
        pattern=api_models.REPORT_ID_PATTERN,
        description="a report id (uuid4) or latest",
    ),
]
ReportIdPath = Annotated[
    str,
    Path(
        max_length=64,
        pattern=api_models.REPORT_ID_PATTERN,
        description="a report id (uuid4) or latest",
    ),
]
StoreIdPath = Annotated[
    str, Path(max_length=api_models.MAX_STORE_ID_BYTES, pattern=api_models.STORE_ID_PATTERN)
]
StoreIdQuery = Annotated[
    str, Query(max_length=api_models.MAX_STORE_ID_BYTES, pattern=api_models.STORE_ID_PATTERN)
]
AsOfQuery = Annotated[
    str | None,
    Query(max_length=40, pattern=api_models.AS_OF_PATTERN, description=api_models.TIMESTAMP_FORMS),
]
FromQuery = Annotated[
    str | None,
    Query(
        alias="from",
        max_length=40,
        pattern=api_models.AS_OF_PATTERN,
        description="SPEC §8: the start of a range [from, to) (needs to; before it, at most 366 "
        f"days; not with as_of): {api_models.TIMESTAMP_FORMS}",
    ),
]
ToQuery = Annotated[
    str | None,
    Query(
        alias="to",
        max_length=40,
        pattern=api_models.AS_OF_PATTERN,
        description=f"the range's end (needs from): {api_models.TIMESTAMP_FORMS}",
    ),
]
REPORT_STATES = answers(200, ReportAnswer, 400, 403, 404, also=(202, 303, 409))
FormatQuery = Annotated[
    Literal["json", "csv", "html"] | None,
    Query(
        description="csv / html: redirect (303) to the CSV / the report page; or send "
        "Accept: text/csv / text/html"
    ),
]


def _answer(report_id: str, fmt: str | None, allowed: tuple[str, ...]) -> Response:
    event = app.current_event
    http.check_query(event.query_string_parameters, allowed)
    view = reports.get_report(function.settings(), report_id, function.caller())
    return http.report_answer(view, http.wanted_file(event.headers, fmt))


@app.get("/get_report", summary="A report's state", responses=REPORT_STATES)
@tracer.capture_method
def get_report_by_query(report_id: ReportIdQuery, format: FormatQuery = None):  # noqa: A002
    return _answer(report_id, format, ("report_id", "format"))


@app.get(
    "/get_report/<report_id>",
    summary="A report's state",
    responses=REPORT_STATES,
)
@tracer.capture_method
def get_report_by_path(report_id: ReportIdPath, format: FormatQuery = None):  # noqa: A002
    return _answer(report_id, format, ("format",))


@app.post("/get_report", summary="A report's state", responses=REPORT_STATES)
@tracer.capture_method
def get_report_by_body():
    body = api_models.parse(api_models.GetReportRequest, http.event_json(app.current_event))
    return _answer(body.report_id, body.format, ())


@app.get(
    "/store_summary",
    summary="What the data holds for one store",
    responses=answers(200, StoreSummary, 400, 403, 404),
)
@tracer.capture_method
def store_summary(
    store_id: StoreIdQuery,
):
    http.check_query(app.current_event.query_string_parameters, ("store_id",))
    summary = stores.store_summary(function.settings(), store_id, function.caller())
    return http.json_response(200, summary)


@app.get(
    "/reports", summary="Recent reports, newest first", responses=answers(200, ReportList, 400, 403)
)
@tracer.capture_method
def recent_reports(
    limit: Annotated[int, Query(ge=1, le=reports.MAX_LIMIT)] = reports.DEFAULT_LIMIT,
):
    http.check_query(app.current_event.query_string_parameters, ("limit",))
    return http.json_response(200, reports.recent(function.settings(), limit, function.caller()))


@app.get(
    "/stores/<store_id>/report",
    summary="One store's report row and uptime percentages, answered at once",
    responses=answers(200, StoreReport, 400, 403, 404, 503),
)
@tracer.capture_method
def store_report(
    store_id: StoreIdPath,
    as_of: AsOfQuery = None,
    start: FromQuery = None,
    end: ToQuery = None,
):
    http.check_query(app.current_event.query_string_parameters, ("as_of", "from", "to"))
    answer = stores.store_report(
        function.settings(), store_id, as_of, principal=function.caller(), start=start, end=end
    )
    return http.json_response(200, answer)


@app.get(
    "/stores/<store_id>/days",
    summary="One store's uptime day by day (default: the last 30 days), answered at once",
    responses=answers(200, StoreDays, 400, 403, 404, 503),
)
@tracer.capture_method
def store_days(
    store_id: StoreIdPath,
    start: FromQuery = None,
    end: ToQuery = None,
):
    http.check_query(app.current_event.query_string_parameters, ("from", "to"))
    answer = stores.store_days(
        function.settings(), store_id, start, end, principal=function.caller()
    )
    return http.json_response(200, answer)


@app.get(
    "/stores/<store_id>/incidents",
    summary="One store's incidents and uptime percentages in a full report",
    responses=answers(200, StoreIncidents, 400, 403, 404, 409),
)
@tracer.capture_method
def store_incidents(
    store_id: StoreIdPath,
    report_id: ReportIdQuery = "latest",
):
    http.check_query(app.current_event.query_string_parameters, ("report_id",))
    store = api_models.store_id_from_path(store_id)
    answer = stores.store_incidents(
        function.settings(), store, report_id, principal=function.caller()
    )
    return http.json_response(200, answer)


@app.get(
    "/stores/<store_id>/status",
    summary="One store's status now: since when, its last poll, open now, its ongoing incident",
    responses=answers(200, StoreStatus, 400, 403, 404),
)
@tracer.capture_method
def store_status(
    store_id: StoreIdPath,
):
    http.check_query(app.current_event.query_string_parameters, ())
    store = api_models.store_id_from_path(store_id)
    answer = stores.store_status(function.settings(), store, principal=function.caller())
    return http.json_response(200, answer)


lambda_handler = function.lambda_handler
