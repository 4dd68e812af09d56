"""The one Powertools ``logger``, ``tracer`` and ``metrics`` of the service.

The three handlers' entry points carry these instances' decorators
(:func:`storemon.service.lambda_entry.lambda_entry`) and :mod:`storemon.service` logs and
counts through them, so one invocation has one log context and one metric set. They read
their configuration (``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE``,
``POWERTOOLS_LOG_LEVEL``, ``POWERTOOLS_TRACE_DISABLED``) from the environment when this
module is first imported.

The keys of one invocation (the Lambda context, the report id, the SQS message) are
Powertools' thread-safe keys (``Logger.thread_safe_append_keys``: a context variable): on
Lambda an execution environment runs one invocation at a time, but the local stack runs
several at once, one thread each, in one process, and the formatter's shared keys would carry
one invocation's report id or function name into another's lines.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

__all__ = [
    "add_count",
    "add_duration_ms",
    "add_invocation_keys",
    "clear_invocation_keys",
    "logger",
    "metrics",
    "set_report_id",
    "tracer",
]

logger = Logger()
tracer = Tracer()
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
