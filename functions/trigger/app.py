"""trigger: POST /trigger_report, GET|POST /stores/{store_id}/trigger_report -> 202 {report_id}.

The JSON bodies are validated by :mod:`storemon.service.api_models` (and documented from it in
the OpenAPI document); query and path parameters by Powertools."""

from contextvars import ContextVar
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from storemon.service import api_models, authz, http, trigger
from storemon.service.api_models import Accepted, answers
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


StoreIdPath = Annotated[str, Path(max_length=api_models.MAX_STORE_ID_BYTES * 4)]
AsOfQuery = Annotated[str | None, Query(max_length=40, description=api_models.TIMESTAMP_FORMS)]


@app.post(
    "/trigger_report",
    summary="Start a report (all stores, or store_ids, at as_of)",
    responses=answers(202, Accepted, 400, 403, 503),
)
@tracer.capture_method
def trigger_report():
    http.check_query(app.current_event.query_string_parameters, ())
    body = http.event_json(app.current_event)
    return http.accepted(trigger.trigger(SETTINGS.get(), body, principal=_caller()))


@app.route(
    "/stores/<store_id>/trigger_report",
    method=["GET", "POST"],
    summary="Start a report of one store",
    responses=answers(202, Accepted, 400, 403, 503),
)
@tracer.capture_method
def trigger_store_report(store_id: StoreIdPath, as_of: AsOfQuery = None):
    event = app.current_event
    http.check_query(event.query_string_parameters, ("as_of",))
    body = http.event_json(event) if event.http_method == "POST" else {}
    query = {"as_of": as_of} if as_of is not None else None
    report_id = trigger.trigger(SETTINGS.get(), body, store_id, query, principal=_caller())
    return http.accepted(report_id)


http.install_error_handlers(app)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    SETTINGS.set(Settings.from_env())
    return app.resolve(event, context)
