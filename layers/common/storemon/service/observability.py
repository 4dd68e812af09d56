"""The one Powertools ``logger``, ``tracer`` and ``metrics`` of the service.

The three handlers (``functions/*/app.py``) decorate their entry point with these instances
(``@logger.inject_lambda_context``, ``@tracer.capture_lambda_handler``,
``@metrics.log_metrics``) and :mod:`storemon.service` logs and counts through them, so one
invocation has one log context and one metric set. They read their configuration
(``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE``, ``POWERTOOLS_LOG_LEVEL``,
``POWERTOOLS_TRACE_DISABLED``) from the environment when this module is first imported.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

__all__ = [
    "add_count",
    "add_duration_ms",
    "logger",
    "metrics",
    "set_report_id",
    "tracer",
]

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def set_report_id(report_id: str | None) -> None:
    """Log lines from here on carry the report id, as correlation id and as ``report_id``."""
    logger.set_correlation_id(report_id)
    if report_id is None:
        logger.remove_keys(["report_id"])
    else:
        logger.append_keys(report_id=report_id)


def add_count(name: str, value: float = 1) -> None:
    """Add `value` (default 1) to the count metric `name` of this invocation."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def add_duration_ms(name: str, milliseconds: float) -> None:
    """Record a duration metric `name`, in milliseconds."""
    metrics.add_metric(name=name, unit=MetricUnit.Milliseconds, value=milliseconds)
