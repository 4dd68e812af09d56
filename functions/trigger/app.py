"""trigger: POST /trigger_report, GET|POST /stores/{store_id}/trigger_report -> 202 {report_id}."""

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from storemon.observability import logger, metrics, tracer
from storemon.service import http, trigger
from storemon.service.settings import Settings

app = APIGatewayHttpResolver()


@app.post("/trigger_report")
@tracer.capture_method
def trigger_report() -> Response:
    body = http.event_json(app.current_event)
    return http.accepted(trigger.trigger(app.context["settings"], body))


@app.route("/stores/<store_id>/trigger_report", method=["GET", "POST"])
@tracer.capture_method
def trigger_store_report(store_id: str) -> Response:
    event = app.current_event
    body = http.event_json(event) if event.http_method == "POST" else {}
    query = event.query_string_parameters
    return http.accepted(trigger.trigger(app.context["settings"], body, store_id, query))


http.install_error_handlers(app)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    app.append_context(settings=Settings.from_env())
    return app.resolve(event, context)
