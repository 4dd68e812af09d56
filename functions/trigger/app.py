"""trigger: POST /trigger_report, GET|POST /stores/{store_id}/trigger_report -> 202 {report_id}."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from storemon.service import http, trigger

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()


@app.post("/trigger_report")
@tracer.capture_method
def trigger_report() -> Response:
    return http.respond(trigger.trigger(http.json_body(app.current_event.decoded_body)))


@app.route("/stores/<store_id>/trigger_report", method=["GET", "POST"])
@tracer.capture_method
def trigger_store_report(store_id: str) -> Response:
    event = app.current_event
    body = http.json_body(event.decoded_body) if event.http_method == "POST" else {}
    return http.respond(trigger.trigger(body, store_id, event.query_string_parameters))


http.install_error_handlers(app)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
