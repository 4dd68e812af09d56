"""One log context per invocation on the local stack.

Powertools' Logger keeps the keys it adds to every line (``append_keys``, the correlation id,
the Lambda context of ``inject_lambda_context``) in its formatter, one per service and process.
On Lambda a process runs one invocation at a time, so that is right; the local stack runs many
invocations at once in one process (one thread each), and they overwrote each other's keys: a
"report requested" line could carry another request's report id, or another function's name.

:func:`isolate_powertools_loggers` gives each thread its own copy of those keys: a thread starts
from the keys the formatter had when it was isolated (service name, level...), and whatever an
invocation appends or clears stays in its thread. The handlers' code is unchanged.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

__all__ = ["isolate_powertools_loggers"]

_PER_THREAD = "_storemon_per_thread"
_subclasses: dict[type, type] = {}
_lock = threading.Lock()


def _get_log_format(self: Any) -> dict[str, Any]:
    local = self._storemon_local
    if not hasattr(local, "value"):
        local.value = dict(self._storemon_base)
    value: dict[str, Any] = local.value
    return value


def _set_log_format(self: Any, value: dict[str, Any]) -> None:
    self._storemon_local.value = value


def _per_thread_class(cls: type) -> type:
    if cls not in _subclasses:
        _subclasses[cls] = type(
            cls.__name__,
            (cls,),
            {"log_format": property(_get_log_format, _set_log_format), _PER_THREAD: True},
        )
    return _subclasses[cls]


def _isolate(formatter: Any) -> bool:
    if getattr(formatter, _PER_THREAD, False) or "log_format" not in vars(formatter):
        return False
    formatter._storemon_base = dict(vars(formatter).pop("log_format"))
    formatter._storemon_local = threading.local()
    formatter.__class__ = _per_thread_class(type(formatter))
    return True


def _powertools_formatters() -> list[Any]:
    try:
        from aws_lambda_powertools.logging.formatter import BasePowertoolsFormatter
    except ImportError:  # pragma: no cover - Powertools is a dependency of the layer
        return []
    loggers = [logging.getLogger()] + [
        item
        for item in list(logging.Logger.manager.loggerDict.values())
        if isinstance(item, logging.Logger)
    ]
    return [
        handler.formatter
        for item in loggers
        for handler in item.handlers
        if isinstance(handler.formatter, BasePowertoolsFormatter)
    ]


def isolate_powertools_loggers() -> int:
    """Make the appended keys of every Powertools formatter in this process per thread (once
    each; call again after loading more handlers). Returns how many were changed."""
    with _lock:
        return sum(_isolate(formatter) for formatter in _powertools_formatters())
