"""What the three handlers (``functions/*/app.py``) share, so each holds only its routes.

- :func:`lambda_entry`: the entry point's Powertools decorators, in their order: one log
  context per invocation (the Lambda context's keys, state cleared; the invocation's own keys
  are Powertools' thread-safe keys, see :mod:`storemon.service.observability`), the tracer's
  segment, the metrics flushed when the invocation ends;
- :class:`HttpFunction`: an HTTP API function (trigger, get_report): Powertools' resolver with
  validation and the API's JSON error answers (:mod:`storemon.service.http`), this
  invocation's settings, the caller from the verified claims, and its ``lambda_handler``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.typing import LambdaContext

from storemon.service import authz, http
from storemon.service.observability import (
    add_invocation_keys,
    clear_invocation_keys,
    logger,
    metrics,
    tracer,
)
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


class HttpFunction:
    """One HTTP API function: add routes to :attr:`app`; Lambda calls :attr:`lambda_handler`.

    Routes return a Response and carry no return annotation: with validation on, Powertools
    would try to validate the annotated type as the response body.
    """

    def __init__(self) -> None:
        self.app = APIGatewayHttpResolver(enable_validation=True)
        http.install_error_handlers(self.app)
        # this invocation's settings: a context variable, not app.context, which concurrent
        # invocations of the local stack (threads of one process) would share
        self._settings: ContextVar[Settings] = ContextVar("settings")
        self.lambda_handler = lambda_entry(self._handle)

    def settings(self) -> Settings:
        return self._settings.get()

    def caller(self) -> authz.Principal:
        """The caller, from the claims API Gateway's JWT authorizer verified."""
        return authz.principal_from_event(self.app.current_event.raw_event)

    def _handle(self, event: dict, context: LambdaContext) -> dict:
        self._settings.set(Settings.from_env())
        return self.app.resolve(event, context)
