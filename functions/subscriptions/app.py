"""subscriptions: POST /subscriptions -> 201 {id, secret, ...}, GET /subscriptions,
DELETE /subscriptions/{subscription_id} (SPEC §10's webhook subscriptions; the rules and who
may do what: :mod:`storemon.service.subscriptions`)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

from storemon.service import api_models, http, subscriptions
from storemon.service.api_models import (
    SubscriptionCreated,
    SubscriptionDeleted,
    SubscriptionList,
    answers,
)
from storemon.service.lambda_entry import HttpFunction
from storemon.service.observability import tracer

function = HttpFunction()  # routes carry no return annotation (see HttpFunction)
app = function.app

SubscriptionIdPath = Annotated[
    str,
    Path(
        max_length=36,
        pattern=api_models.SUBSCRIPTION_ID_PATTERN,
        description="a subscription id (uuid4)",
    ),
]


@app.post(
    "/subscriptions",
    summary="Subscribe a webhook receiver to store.down / store.recovered notifications",
    responses=answers(201, SubscriptionCreated, 400, 403, 422, 429),
)
@tracer.capture_method
def create_subscription():
    http.check_query(app.current_event.query_string_parameters, ())
    body = http.event_json(app.current_event)
    created = subscriptions.create(function.settings(), body, function.caller())
    return http.json_response(201, created)


@app.get(
    "/subscriptions",
    summary="The caller's webhook subscriptions (without their secrets)",
    responses=answers(200, SubscriptionList),
)
@tracer.capture_method
def list_subscriptions():
    http.check_query(app.current_event.query_string_parameters, ())
    return http.json_response(200, subscriptions.list_views(function.settings(), function.caller()))


@app.delete(
    "/subscriptions/<subscription_id>",
    summary="Delete a webhook subscription",
    responses=answers(200, SubscriptionDeleted, 400, 403, 404),
)
@tracer.capture_method
def delete_subscription(subscription_id: SubscriptionIdPath):
    http.check_query(app.current_event.query_string_parameters, ())
    subscription_id = subscription_id.lower()
    subscriptions.delete(function.settings(), subscription_id, function.caller())
    return http.json_response(200, {"id": subscription_id, "deleted": True})


lambda_handler = function.lambda_handler
