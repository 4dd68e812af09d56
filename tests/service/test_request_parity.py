"""The hand-written checks answer as the OpenAPI document's models do: the bodies as the
pydantic models built from the same declarations (storemon.service.api_models), the path and
query parameters as Powertools' validation (the resolver the document is made from), on the
cases of test_request_rules.py and on generated requests."""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from storemon.service import api_models
from storemon.service import request_rules as rules
from storemon.service.lambda_entry import HttpFunction, validating_resolver
from storemon.service.request_schema import check_body
from storemon_dev.handlers import load_app
from tests.harness import LambdaContext as Context
from tests.service import test_request_rules as cases

BODIES = [
    (rules.TRIGGER_BODY, api_models.TriggerRequest),
    (rules.STORE_TRIGGER_BODY, api_models.StoreTriggerRequest),
    (rules.GET_REPORT_BODY, api_models.GetReportRequest),
    (rules.SUBSCRIPTION_BODY, api_models.SubscriptionRequest),
]


def by_model(model: type[BaseModel], data: dict) -> tuple[dict | None, list]:
    try:
        made = model.model_validate(data)
    except ValidationError as exc:
        return None, [(e["type"], e["loc"], e["msg"]) for e in exc.errors()]
    return dict(made), []


def by_hand(body: Any, data: dict) -> tuple[dict | None, list]:
    values, problems = check_body(body, data)
    if problems:
        return None, [(p["type"], p["loc"], p["msg"]) for p in problems]
    return values, []


def test_the_models_are_the_declarations():
    for body, model in BODIES:
        assert model.__name__ == body.name
        assert list(model.model_fields) == [field.name for field in body.fields]
        assert [f.alias or name for name, f in model.model_fields.items()] == [
            field.key for field in body.fields
        ]


CASES = [
    *[(rules.TRIGGER_BODY, data) for data, _ in cases.TRIGGER_REFUSALS],
    *[(rules.GET_REPORT_BODY, data) for data, _ in cases.GET_REPORT_REFUSALS],
    *[(rules.SUBSCRIPTION_BODY, data) for data, _ in cases.SUBSCRIPTION_REFUSALS],
]


@pytest.mark.parametrize(("body", "data"), CASES)
def test_each_refusal_is_the_models(body, data):
    model = dict(BODIES)[body]
    assert by_hand(body, data) == by_model(model, data)


# ----------------------------------------------------------------------------- generated bodies
TEXTS = st.one_of(
    st.sampled_from(
        [
            "1001",
            " 42 ",
            "",
            " ",
            "a/b",
            "latest",
            "LATEST",
            "hour",
            "day",
            "json",
            "csv",
            "2023-01-22 12:09:39",
            "2023-01-22T14:09:39+02:00",
            "2023-02-29 00:00:00",
            "2024-02-29 00:00:00Z",
            "1970-01-01 00:00:00+01:00",
            "9998-12-31 23:59:59-01:00",
            "https://hooks.example.com/x",
            "http://127.0.0.1:8080/h",
            "ftp://x",
            "x" * 129,
            "1" * 128,
            "\ud800",
            "1\n",
            "8e0b7c5a-3f4e-4d2a-9b1c-2f3e4d5a6b7c",
        ]
    ),
    st.text(max_size=12),
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 600_000), st.floats(allow_nan=True), TEXTS
)
VALUES = st.one_of(
    SCALARS, st.lists(SCALARS, max_size=6), st.lists(TEXTS, min_size=999, max_size=1002)
)
KEYS = st.sampled_from(
    [
        "store_ids",
        "as_of",
        "windows",
        "from",
        "to",
        "start",
        "daily",
        "report_id",
        "format",
        "url",
        "min_minutes",
        "zz",
    ]
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(BODIES), st.dictionaries(KEYS, VALUES, max_size=5))
def test_generated_bodies_are_answered_as_the_models_answer(pair, data):
    body, model = pair
    assert by_hand(body, data) == by_model(model, data)


# ----------------------------------------------------------------------------- parameters
def echo(**values: Any) -> Any:
    from storemon.service import http

    return http.json_response(200, values)


def both_resolvers(name: str) -> tuple[Any, Any]:
    """The routes of handler `name` answering with their arguments: checked by hand (the
    Lambda's) and by Powertools' validation (the document's)."""
    declared = load_app(name).function.routes
    by_hand = HttpFunction()
    for route in declared:
        by_hand.route(
            route.rule,
            route.methods,
            summary=route.summary,
            responses=route.responses,
            params=route.params,
            query_checked=route.query_checked,
        )(echo)
    resolver: list[Any] = []
    stub = SimpleNamespace(
        routes=[replace(route, func=echo) for route in declared],
        check_query=lambda params=(): _check_query(resolver[0], params),
    )
    resolver.append(validating_resolver(stub))
    return by_hand.app, resolver[0]


def _check_query(app: Any, params: Any) -> None:
    from storemon.service import http

    known = tuple(p.key for p in params if p.where == "query")
    http.check_query(app.current_event.query_string_parameters, known)


def event(method: str, path: str, pairs: list[tuple[str, str]]) -> dict:
    query: dict[str, str] = {}
    for key, value in pairs:
        query[key] = f"{query[key]},{value}" if key in query else value
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": urlencode(pairs),
        "headers": {"host": "api.local"},
        "queryStringParameters": query or None,
        "requestContext": {"http": {"method": method, "path": path}, "stage": "$default"},
        "isBase64Encoded": False,
    }


def answer(app: Any, sent: dict) -> tuple[int, Any]:
    out = app.resolve(sent, Context())
    return out["statusCode"], json.loads(out["body"])


PATHS = [
    ("trigger", "GET", "/stores/{}/trigger_report"),
    ("trigger", "GET", "/stores/{}/page"),
    ("get_report", "GET", "/get_report"),
    ("get_report", "GET", "/get_report/{}"),
    ("get_report", "GET", "/store_summary"),
    ("get_report", "GET", "/reports"),
    ("get_report", "GET", "/stores/{}/report"),
    ("get_report", "GET", "/stores/{}/days"),
    ("get_report", "GET", "/stores/{}/incidents"),
    ("get_report", "GET", "/stores/{}/status"),
    ("subscriptions", "DELETE", "/subscriptions/{}"),
]
PARAM_TEXTS = st.one_of(
    TEXTS.filter(lambda t: "\ud800" not in t),
    st.sampled_from(["5", " 7 ", "1_0", "5.00", "0", "101", "1e2", "٣", "x,y", "1.5"]),
)
QUERY_KEYS = st.sampled_from(
    ["report_id", "format", "store_id", "limit", "as_of", "from", "to", "colour"]
)
RESOLVERS: dict[str, tuple[Any, Any]] = {}


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(PATHS),
    st.sampled_from(["1001", "x" * 129, "8e0b7c5a-3f4e-4d2a-9b1c-2f3e4d5a6b7c", "latest", "a~b"]),
    st.lists(st.tuples(QUERY_KEYS, PARAM_TEXTS), max_size=4),
)
def test_generated_parameters_are_answered_as_powertools_answered(where, segment, pairs):
    name, method, path = where
    if name not in RESOLVERS:
        RESOLVERS[name] = both_resolvers(name)
    by_hand, by_powertools = RESOLVERS[name]
    sent = event(method, path.format(segment), pairs)
    assert answer(by_hand, sent) == answer(by_powertools, sent)
