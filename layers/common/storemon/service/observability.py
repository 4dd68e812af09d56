"""The one Powertools ``logger``, ``tracer`` and ``metrics`` of the service.

The three handlers' entry points carry these instances' decorators
(:func:`storemon.service.lambda_entry.lambda_entry`) and :mod:`storemon.service` logs and
counts through them, so one invocation has one log context and one metric set. They read
their configuration (``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE``,
``POWERTOOLS_LOG_LEVEL``, ``POWERTOOLS_TRACE_DISABLED``) from the environment when this
module is first imported.

Tracing costs nothing when it is off. Powertools' ``Tracer`` imports the X-Ray SDK's recorder
(``aws_xray_sdk.core``: about 0.4 s of a cold start) whatever its settings, unless it is given
a provider; so when tracing is off (:func:`tracing_enabled`: ``POWERTOOLS_TRACE_DISABLED``,
which the template's ``Tracing`` parameter sets, or not on Lambda) the tracer is a disabled
``Tracer`` whose provider, :class:`NoTracing`, does nothing. The decorators
(``capture_lambda_handler``, ``capture_method``) stay where they are either way.

The keys of one invocation (the Lambda context, the report id, the SQS message) are
Powertools' thread-safe keys (``Logger.thread_safe_append_keys``: a context variable): on
Lambda an execution environment runs one invocation at a time, but the local stack runs
several at once, one thread each, in one process, and the formatter's shared keys would carry
one invocation's report id or function name into another's lines.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

__all__ = [
    "add_count",
    "add_duration_ms",
    "add_invocation_keys",
    "clear_invocation_keys",
    "logger",
    "metrics",
    "set_report_id",
    "tracer",
    "tracing_enabled",
]


def tracing_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """Powertools' own rule: tracing is on only on Lambda (``LAMBDA_TASK_ROOT`` set, neither
    ``sam local`` nor Chalice's local mode) and without ``POWERTOOLS_TRACE_DISABLED`` true;
    ``environ`` (default: the process's environment)."""
    environ = os.environ if environ is None else environ
    if resolve_truthy_env_var_choice(env=environ.get("POWERTOOLS_TRACE_DISABLED", "false")):
        return False
    local = environ.get("AWS_SAM_LOCAL") or environ.get("AWS_CHALICE_CLI_MODE")
    return bool(environ.get("LAMBDA_TASK_ROOT")) and not local


class _NoSegment(BaseSegment):
    """A segment that records nothing."""

    def close(self, end_time: int | None = None) -> None:
        pass

    def add_subsegment(self, subsegment: Any) -> None:
        pass

    def remove_subsegment(self, subsegment: Any) -> None:
        pass

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass

    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None:
        pass


class NoTracing(BaseProvider):
    """Powertools' tracing provider when tracing is off: segments that record nothing, and no
    X-Ray SDK."""

    segment = _NoSegment()

    @contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Iterator[BaseSegment]:
        yield self.segment

    @asynccontextmanager
    async def in_subsegment_async(
        self, name: str | None = None, **kwargs: Any
    ) -> AsyncIterator[BaseSegment]:
        yield self.segment

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass

    def patch(self, modules: Sequence[str]) -> None:
        pass

    def patch_all(self) -> None:
        pass


def _tracer() -> Tracer:
    if tracing_enabled():
        return Tracer()
    return Tracer(disabled=True, provider=NoTracing(), auto_patch=False)


logger = Logger()
tracer = _tracer()
metrics = Metrics()


def add_invocation_keys(**keys: Any) -> None:
    """Keys on every log line of this invocation from here on (and of no other)."""
    logger.thread_safe_append_keys(**keys)


def clear_invocation_keys() -> None:
    """Forget this invocation's keys (at the start and end of every invocation)."""
    logger.thread_safe_clear_keys()


def set_report_id(report_id: str | None) -> None:
    """Log lines from here on carry the report id, as correlation id and as ``report_id``."""
    if report_id is None:
        logger.thread_safe_remove_keys(["correlation_id", "report_id"])
    else:
        add_invocation_keys(correlation_id=report_id, report_id=report_id)


def add_count(name: str, value: float = 1) -> None:
    """Add `value` (default 1) to the count metric `name` of this invocation."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def add_duration_ms(name: str, milliseconds: float) -> None:
    """Record a duration metric `name`, in milliseconds."""
    metrics.add_metric(name=name, unit=MetricUnit.Milliseconds, value=milliseconds)
