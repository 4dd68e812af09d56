"""trigger: POST /trigger_report, GET|POST /stores/{store_id}/trigger_report -> 202 {report_id};
GET /stores/{store_id}/page -> 303 to the page of a new report of that store.

The JSON bodies are validated by :mod:`storemon.service.api_models` (and documented from it in
the OpenAPI document); query and path parameters by Powertools."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from storemon.service import api_models, http, trigger
from storemon.service.api_models import Accepted, answers
from storemon.service.lambda_entry import HttpFunction
from storemon.service.observability import tracer

function = HttpFunction()  # routes carry no return annotation (see HttpFunction)
app = function.app

StoreIdPath = Annotated[
    str, Path(max_length=api_models.MAX_STORE_ID_BYTES, pattern=api_models.STORE_ID_PATTERN)
]
PAGE_ANSWERS = answers(303, Accepted, 400, 403, 429, 503)
PAGE_ANSWERS[303]["description"] = (
    "a report of the store from the latest inputs is queued: Location is "
    "/get_report/{report_id}?format=html (202 with Retry-After while it runs, then 303 to the "
    "page)"
)
AsOfQuery = Annotated[
    str | None,
    Query(max_length=40, pattern=api_models.AS_OF_PATTERN, description=api_models.TIMESTAMP_FORMS),
]


@app.post(
    "/trigger_report",
    summary="Start a report (all stores, or store_ids, at as_of)",
    responses=answers(202, Accepted, 400, 403, 429, 503),
)
@tracer.capture_method
def trigger_report():
    http.check_query(app.current_event.query_string_parameters, ())
    body = http.event_json(app.current_event)
    return http.accepted(trigger.trigger(function.settings(), body, principal=function.caller()))


@app.route(
    "/stores/<store_id>/trigger_report",
    method=["GET", "POST"],
    summary="Start a report of one store",
    responses=answers(202, Accepted, 400, 403, 429, 503),
)
@tracer.capture_method
def trigger_store_report(store_id: StoreIdPath, as_of: AsOfQuery = None):
    event = app.current_event
    http.check_query(event.query_string_parameters, ("as_of",))
    body = http.event_json(event) if event.http_method == "POST" else {}
    query = {"as_of": as_of} if as_of is not None else None
    report_id = trigger.trigger(
        function.settings(), body, store_id, query, principal=function.caller()
    )
    return http.accepted(report_id)


@app.get(
    "/stores/<store_id>/page",
    summary="A page of one store from the latest data: 303 to its report's page",
    responses=PAGE_ANSWERS,
)
@tracer.capture_method
def store_page(store_id: StoreIdPath):
    http.check_query(app.current_event.query_string_parameters, ())
    report_id = trigger.trigger(function.settings(), {}, store_id, principal=function.caller())
    return http.see_page(report_id)


lambda_handler = function.lambda_handler
