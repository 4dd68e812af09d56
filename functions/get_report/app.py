"""get_report: GET /get_report?report_id=, GET /get_report/{report_id}, POST /get_report,
GET /store_summary?store_id=, and the API's $default route (JSON 404 / 405)."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from storemon.service import http, reports

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()


def _query() -> dict:
    return app.current_event.query_string_parameters or {}


@app.get("/get_report")
@tracer.capture_method
def get_report_by_query() -> Response:
    event = app.current_event
    want_csv = http.accepts_csv(event.headers, _query())
    return http.respond(reports.get_report(_query().get("report_id"), want_csv))


@app.get("/get_report/<report_id>")
@tracer.capture_method
def get_report_by_path(report_id: str) -> Response:
    want_csv = http.accepts_csv(app.current_event.headers, _query())
    return http.respond(reports.get_report(report_id, want_csv))


@app.post("/get_report")
@tracer.capture_method
def get_report_by_body() -> Response:
    event = app.current_event
    body = http.json_body(event.decoded_body)
    want_csv = http.accepts_csv(event.headers, _query(), body)
    return http.respond(reports.get_report(body.get("report_id"), want_csv))


@app.get("/store_summary")
@tracer.capture_method
def store_summary() -> Response:
    return http.respond(reports.store_summary(_query().get("store_id")))


http.install_error_handlers(app)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
