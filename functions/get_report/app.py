"""get_report: GET /get_report?report_id=, GET /get_report/{report_id}, POST /get_report,
GET /store_summary?store_id=, GET /reports?limit=, GET /stores/{store_id}/report[?as_of=],
GET /stores/{store_id}/incidents[?report_id=], and the API's $default route (JSON 404 / 405).
Query and path parameters are validated by Powertools (and documented in the OpenAPI
document); the answers come from :mod:`storemon.service.reports` (one store's report:
:mod:`storemon.service.snapshots`; its incidents: :mod:`storemon.service.owner_view`)."""

from contextvars import ContextVar
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from storemon.service import api_models, authz, http, owner_view, reports, snapshots
from storemon.service.api_models import (
    ReportAnswer,
    ReportList,
    StoreIncidents,
    StoreReport,
    StoreSummary,
    answers,
)
from storemon.service.observability import logger, metrics, tracer
from storemon.service.settings import Settings

# This invocation's settings: a context variable, not app.context, which concurrent
# invocations of the local stack (threads of one process) would share.
SETTINGS: ContextVar[Settings] = ContextVar("settings")
# Routes return a Response and carry no return annotation: with validation on, Powertools
# would try to validate the annotated type as the response body.
app = APIGatewayHttpResolver(enable_validation=True)


def _caller() -> authz.Principal:
    """The caller, from the claims API Gateway's JWT authorizer verified."""
    return authz.principal_from_event(app.current_event.raw_event)


ReportIdQuery = Annotated[str, Query(max_length=64, description="a report id (uuid4) or latest")]
ReportIdPath = Annotated[str, Path(max_length=64, description="a report id (uuid4) or latest")]
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
    view = reports.get_report(SETTINGS.get(), report_id, _caller())
    return http.report_answer(view, http.wanted_file(event.headers, fmt))


@app.get(
    "/get_report", summary="A report's state", responses=answers(200, ReportAnswer, 400, 403, 404)
)
@tracer.capture_method
def get_report_by_query(report_id: ReportIdQuery, format: FormatQuery = None):  # noqa: A002
    return _answer(report_id, format, ("report_id", "format"))


@app.get(
    "/get_report/<report_id>",
    summary="A report's state",
    responses=answers(200, ReportAnswer, 400, 403, 404),
)
@tracer.capture_method
def get_report_by_path(report_id: ReportIdPath, format: FormatQuery = None):  # noqa: A002
    return _answer(report_id, format, ("format",))


@app.post(
    "/get_report", summary="A report's state", responses=answers(200, ReportAnswer, 400, 403, 404)
)
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
    store_id: Annotated[str, Query(max_length=api_models.MAX_STORE_ID_BYTES)],
):
    http.check_query(app.current_event.query_string_parameters, ("store_id",))
    summary = reports.store_summary(SETTINGS.get(), store_id, _caller())
    return http.json_response(200, summary)


@app.get(
    "/reports", summary="Recent reports, newest first", responses=answers(200, ReportList, 400, 403)
)
@tracer.capture_method
def recent_reports(
    limit: Annotated[int, Query(ge=1, le=reports.MAX_LIMIT)] = reports.DEFAULT_LIMIT,
):
    http.check_query(app.current_event.query_string_parameters, ("limit",))
    return http.json_response(200, reports.recent(SETTINGS.get(), limit, _caller()))


@app.get(
    "/stores/<store_id>/report",
    summary="One store's report row and uptime percentages, answered at once",
    responses=answers(200, StoreReport, 400, 403, 404),
)
@tracer.capture_method
def store_report(
    store_id: Annotated[str, Path(max_length=api_models.MAX_STORE_ID_BYTES)],
    as_of: Annotated[
        str | None, Query(max_length=64, description=api_models.TIMESTAMP_FORMS)
    ] = None,
):
    http.check_query(app.current_event.query_string_parameters, ("as_of",))
    answer = snapshots.store_report(SETTINGS.get(), store_id, as_of, principal=_caller())
    return http.json_response(200, answer)


@app.get(
    "/stores/<store_id>/incidents",
    summary="One store's incidents and uptime percentages in a full report",
    responses=answers(200, StoreIncidents, 400, 403, 404, 409),
)
@tracer.capture_method
def store_incidents(
    store_id: Annotated[str, Path(max_length=api_models.MAX_STORE_ID_BYTES)],
    report_id: ReportIdQuery = "latest",
):
    http.check_query(app.current_event.query_string_parameters, ("report_id",))
    store = api_models.store_id_from_path(store_id)
    answer = owner_view.store_incidents(SETTINGS.get(), store, report_id, principal=_caller())
    return http.json_response(200, answer)


http.install_error_handlers(app)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    SETTINGS.set(Settings.from_env())
    return app.resolve(event, context)
