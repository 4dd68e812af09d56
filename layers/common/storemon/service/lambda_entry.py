"""What the three handlers (``functions/*/app.py``) share, so each holds only its routes.

- :func:`lambda_entry`: the entry point's Powertools decorators, in their order: one log
  context per invocation (the Lambda context's keys, state cleared; the invocation's own keys
  are Powertools' thread-safe keys, see :mod:`storemon.service.observability`), the tracer's
  segment, the metrics flushed when the invocation ends;
- :class:`HttpFunction`: an HTTP API function (trigger, get_report, subscriptions): Powertools'
  resolver (routing) and the API's JSON error answers (:mod:`storemon.service.http`), each
  route's path and query parameters checked by hand from their declarations
  (:mod:`storemon.service.request_rules`: no pydantic at a cold start), this invocation's
  settings, the caller from the verified claims, and its ``lambda_handler``. The OpenAPI
  document is made from the same routes on a resolver with Powertools' validation, built only
  where it is asked for (:meth:`HttpFunction.openapi_resolver`).
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.typing import LambdaContext

from storemon.errors import InvalidRequest
from storemon.service import authz, http, request_rules
from storemon.service.observability import (
    add_invocation_keys,
    clear_invocation_keys,
    logger,
    metrics,
    tracer,
)
from storemon.service.request_schema import Choice, Field, Integer, Text, check_params
from storemon.service.settings import Settings

Handler = Callable[[dict, LambdaContext], Any]


def lambda_entry(handler: Handler) -> Handler:
    """``handler`` with the Powertools decorators every function's entry point carries, and
    the Lambda context's keys (the same as ``inject_lambda_context`` logs, and ``cold_start``:
    the first invocation of this handler) as this invocation's own keys."""
    cold = [True]

    @functools.wraps(handler)
    def with_invocation_keys(event: dict, context: LambdaContext) -> Any:
        clear_invocation_keys()
        add_invocation_keys(
            cold_start=cold[0],
            function_name=context.function_name,
            function_memory_size=context.memory_limit_in_mb,
            function_arn=context.invoked_function_arn,
            function_request_id=context.aws_request_id,
        )
        cold[0] = False
        try:
            return handler(event, context)
        finally:
            clear_invocation_keys()

    traced = tracer.capture_lambda_handler(metrics.log_metrics(with_invocation_keys))
    return logger.inject_lambda_context(clear_state=True)(traced)


@dataclass(frozen=True)
class Route:
    """One route as declared: its parameters, and its answers for the OpenAPI document
    (``responses(api_models)``: the models are not imported at a cold start)."""

    rule: str
    methods: tuple[str, ...]
    func: Callable[..., Any]
    params: tuple[Field, ...]
    summary: str
    responses: Callable[[Any], dict]
    query_checked: bool


class HttpFunction:
    """One HTTP API function: declare routes with :meth:`route` (or :meth:`get`, :meth:`post`,
    :meth:`delete`); Lambda calls :attr:`lambda_handler`.

    A route is called with its path and query parameters, checked as declared (400 naming each
    wrong one, path first, then query), then the query checked for names the route does not
    declare (400), unless the route does that itself (``query_checked=False``, after its body).
    """

    def __init__(self) -> None:
        self.app = APIGatewayHttpResolver()
        http.install_error_handlers(self.app)
        self.routes: list[Route] = []
        # this invocation's settings: a context variable, not app.context, which concurrent
        # invocations of the local stack (threads of one process) would share
        self._settings: ContextVar[Settings] = ContextVar("settings")
        self.lambda_handler = lambda_entry(self._handle)

    def route(
        self,
        rule: str,
        methods: str | Sequence[str],
        *,
        summary: str,
        responses: Callable[[Any], dict],
        params: Sequence[Field] = (),
        query_checked: bool = True,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare a route (Powertools' rule syntax, ``/stores/<store_id>/report``)."""
        names = (methods,) if isinstance(methods, str) else tuple(methods)
        in_rule = set(re.findall(r"<(\w+)>", rule))
        declared = {p.key for p in params if p.where == "path"}
        if in_rule != declared:  # a path parameter the route would not be called with
            raise ValueError(f"{rule}: path parameters {sorted(in_rule)}, declared {declared}")

        def register(func: Callable[..., Any]) -> Callable[..., Any]:
            route = Route(rule, names, func, tuple(params), summary, responses, query_checked)
            self.routes.append(route)
            method = list(names) if len(names) > 1 else names[0]
            self.app.route(rule, method, summary=summary)(self._checked(route))
            return func

        return register

    def get(self, rule: str, **declared: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route(rule, "GET", **declared)

    def post(
        self, rule: str, **declared: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route(rule, "POST", **declared)

    def delete(
        self, rule: str, **declared: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route(rule, "DELETE", **declared)

    def _checked(self, route: Route) -> Callable[..., Any]:
        def checked(**path: Any) -> Any:
            values, problems = check_params(route.params, path, self.app.current_event)
            if problems:
                raise InvalidRequest(request_rules.describe(problems))
            if route.query_checked:
                self.check_query(route.params)
            return route.func(**values)

        checked.__name__ = route.func.__name__
        return checked

    def check_query(self, params: Sequence[Field] = ()) -> None:
        """InvalidRequest for a query parameter none of `params` is."""
        known = tuple(p.key for p in params if p.where == "query")
        http.check_query(self.app.current_event.query_string_parameters, known)

    def openapi_resolver(self) -> APIGatewayHttpResolver:
        """These routes on a resolver with Powertools' validation and each route's answers:
        what the OpenAPI document is generated from (pydantic: imported here, never at a cold
        start)."""
        return validating_resolver(self)

    def settings(self) -> Settings:
        return self._settings.get()

    def caller(self) -> authz.Principal:
        """The caller, from the claims API Gateway's JWT authorizer verified."""
        return authz.principal_from_event(self.app.current_event.raw_event)

    def _handle(self, event: dict, context: LambdaContext) -> dict:
        self._settings.set(Settings.from_env())
        return self.app.resolve(event, context)


def validating_resolver(function: Any) -> APIGatewayHttpResolver:
    """`function`'s routes (an :class:`HttpFunction`'s ``routes`` and ``check_query``) on a
    resolver with Powertools' validation, each parameter annotated from its declaration and each
    route with its answers: what the OpenAPI document is made from, and what the service
    answered before it checked requests by hand (the tests hold the two to each other)."""
    from storemon.service import api_models  # pydantic: never at a cold start

    app = APIGatewayHttpResolver(enable_validation=True)
    http.install_error_handlers(app)
    for route in function.routes:
        methods = list(route.methods) if len(route.methods) > 1 else route.methods[0]
        responses = route.responses(api_models)
        app.route(route.rule, methods, summary=route.summary, responses=responses)(
            _documented(function, route)
        )
    return app


def _documented(function: Any, route: Route) -> Callable[..., Any]:
    def call(**values: Any) -> Any:
        if route.query_checked:
            function.check_query(route.params)
        return route.func(**values)

    call.__name__ = route.func.__name__
    call.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                p.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=inspect.Parameter.empty if p.required else p.default,
                annotation=param_annotation(p),
            )
            for p in route.params
        ]
    )
    return call


def param_annotation(field: Field) -> Any:
    """A declared path or query parameter as Powertools' validation and OpenAPI read one."""
    from typing import Annotated, Literal, Optional

    from aws_lambda_powertools.event_handler.openapi.params import Path, Query

    kind = field.kind
    base: Any = None
    said: dict[str, Any] = {"alias": field.alias, "description": field.description}
    if isinstance(kind, Text):
        base = str
        said.update(min_length=kind.min_length, max_length=kind.max_length, pattern=kind.pattern)
    elif isinstance(kind, Choice):
        base = Literal[kind.values]
    elif isinstance(kind, Integer):
        base = int
        said.update(ge=kind.ge, le=kind.le)
    if field.default is None:
        base = Optional[base]  # noqa: UP045
    where = Path if field.where == "path" else Query
    return Annotated[base, where(**{k: v for k, v in said.items() if v is not None})]
