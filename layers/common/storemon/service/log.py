"""Powertools Logger and Metrics shared with the handler that imported the service.

Powertools Loggers of one service share their handler and formatter, so keys appended here
(the correlation id) show in the handler's log lines too; Metrics instances share one metric
set, flushed by the handler's ``@metrics.log_metrics``. Both are created on first use, after
the handler module has read its environment.
"""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

__all__ = ["MetricUnit", "count", "logger", "metrics", "set_report_id"]


@cache
def logger() -> Logger:
    return Logger()


@cache
def metrics() -> Metrics:
    return Metrics()


def set_report_id(report_id: str | None) -> None:
    """Log lines from here on carry the report id, as correlation id and as ``report_id``."""
    log = logger()
    log.set_correlation_id(report_id)
    if report_id is None:
        log.remove_keys(["report_id"])
    else:
        log.append_keys(report_id=report_id)


def count(name: str, value: float = 1, unit: str = MetricUnit.Count) -> None:
    metrics().add_metric(name=name, unit=unit, value=value)
