"""get_report: GET /get_report?report_id=, GET /get_report/{report_id}, POST /get_report,
GET /store_summary?store_id=, and the API's $default route (JSON 404 / 405)."""

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from storemon.observability import logger, metrics, tracer
from storemon.service import http, reports
from storemon.service.settings import Settings

app = APIGatewayHttpResolver()


def _query() -> dict:
    return app.current_event.query_string_parameters or {}


def _answer(report_id: object, fmt: object) -> Response:
    view = reports.get_report(app.context["settings"], report_id)
    return http.report_answer(view, http.accepts_csv(app.current_event.headers, fmt))


@app.get("/get_report")
@tracer.capture_method
def get_report_by_query() -> Response:
    return _answer(_query().get("report_id"), _query().get("format"))


@app.get("/get_report/<report_id>")
@tracer.capture_method
def get_report_by_path(report_id: str) -> Response:
    return _answer(report_id, _query().get("format"))


@app.post("/get_report")
@tracer.capture_method
def get_report_by_body() -> Response:
    body = http.event_json(app.current_event)
    return _answer(body.get("report_id"), body.get("format") or _query().get("format"))


@app.get("/store_summary")
@tracer.capture_method
def store_summary() -> Response:
    summary = reports.store_summary(app.context["settings"], _query().get("store_id"))
    return http.json_response(200, summary)


http.install_error_handlers(app)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    app.append_context(settings=Settings.from_env())
    return app.resolve(event, context)
