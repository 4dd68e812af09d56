"""trigger: POST /trigger_report, GET|POST /stores/{store_id}/trigger_report -> 202 {report_id};
GET /stores/{store_id}/page -> 303 to the page of a new report of that store.

The JSON bodies, query and path parameters are checked as :mod:`storemon.service.request_rules`
declares them (and documented from the same declarations in the OpenAPI document)."""

from typing import Any

from storemon.service import http, trigger
from storemon.service.lambda_entry import HttpFunction
from storemon.service.observability import tracer
from storemon.service.request_rules import AS_OF_QUERY, STORE_ID_PATH

function = HttpFunction()
app = function.app


# the answers of each route, for the OpenAPI document (given storemon.service.api_models)
def accepted(m: Any) -> dict:
    return m.answers(202, m.Accepted, 400, 403, 429, 503)


def page_answers(m: Any) -> dict:
    answers = m.answers(303, m.Accepted, 400, 403, 429, 503)
    answers[303]["description"] = (
        "a report of the store from the latest inputs is queued: Location is "
        "/get_report/{report_id}?format=html (202 with Retry-After while it runs, then 303 to "
        "the page)"
    )
    return answers


@function.post(
    "/trigger_report",
    summary="Start a report (all stores, or store_ids, at as_of)",
    responses=accepted,
)
@tracer.capture_method
def trigger_report():
    body = http.event_json(app.current_event)
    return http.accepted(trigger.trigger(function.settings(), body, principal=function.caller()))


@function.route(
    "/stores/<store_id>/trigger_report",
    ["GET", "POST"],
    params=(STORE_ID_PATH, AS_OF_QUERY),
    summary="Start a report of one store",
    responses=accepted,
)
@tracer.capture_method
def trigger_store_report(store_id: str, as_of: str | None = None):
    event = app.current_event
    body = http.event_json(event) if event.http_method == "POST" else {}
    query = {"as_of": as_of} if as_of is not None else None
    report_id = trigger.trigger(
        function.settings(), body, store_id, query, principal=function.caller()
    )
    return http.accepted(report_id)


@function.get(
    "/stores/<store_id>/page",
    params=(STORE_ID_PATH,),
    summary="A page of one store from the latest data: 303 to its report's page",
    responses=page_answers,
)
@tracer.capture_method
def store_page(store_id: str):
    report_id = trigger.trigger(function.settings(), {}, store_id, principal=function.caller())
    return http.see_page(report_id)


lambda_handler = function.lambda_handler
