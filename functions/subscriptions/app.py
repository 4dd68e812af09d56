"""subscriptions: POST /subscriptions -> 201 {id, secret, ...}, GET /subscriptions,
DELETE /subscriptions/{subscription_id} (SPEC §10's webhook subscriptions; the rules and who
may do what: :mod:`storemon.service.subscriptions`)."""

from typing import Any

from storemon.service import http, subscriptions
from storemon.service.lambda_entry import HttpFunction
from storemon.service.observability import tracer
from storemon.service.request_rules import SUBSCRIPTION_ID_PATH

function = HttpFunction()
app = function.app


@function.post(
    "/subscriptions",
    summary="Subscribe a webhook receiver to store.down / store.recovered notifications",
    responses=lambda m: m.answers(201, m.SubscriptionCreated, 400, 403, 422, 429),
)
@tracer.capture_method
def create_subscription():
    body = http.event_json(app.current_event)
    created = subscriptions.create(function.settings(), body, function.caller())
    return http.json_response(201, created)


@function.get(
    "/subscriptions",
    summary="The caller's webhook subscriptions (without their secrets)",
    responses=lambda m: m.answers(200, m.SubscriptionList),
)
@tracer.capture_method
def list_subscriptions():
    return http.json_response(200, subscriptions.list_views(function.settings(), function.caller()))


def _deleted(m: Any) -> dict:
    return m.answers(200, m.SubscriptionDeleted, 400, 403, 404)


@function.delete(
    "/subscriptions/<subscription_id>",
    params=(SUBSCRIPTION_ID_PATH,),
    summary="Delete a webhook subscription",
    responses=_deleted,
)
@tracer.capture_method
def delete_subscription(subscription_id: str):
    subscription_id = subscription_id.lower()
    subscriptions.delete(function.settings(), subscription_id, function.caller())
    return http.json_response(200, {"id": subscription_id, "deleted": True})


lambda_handler = function.lambda_handler
