"""Independent AWS calls of one invocation made at once: their round trips overlap.

Each call runs on a thread of a small pool in a copy of the caller's context (its context
variables: the invocation's, which the local stack's IAM check reads to attribute a call to a
function). The results come back in the calls' order; the first error is raised once every
call is done (none is left running behind the caller).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from typing import Any

MAX_THREADS = 8


def together(calls: Sequence[Callable[[], Any]], max_threads: int = MAX_THREADS) -> list[Any]:
    """``[call() for call in calls]``, the calls made concurrently on up to `max_threads`
    threads (one alone: here)."""
    if len(calls) <= 1:
        return [call() for call in calls]
    from concurrent.futures import ThreadPoolExecutor  # not on a cold start's path

    with ThreadPoolExecutor(max_workers=min(max_threads, len(calls))) as pool:
        futures = [pool.submit(contextvars.copy_context().run, call) for call in calls]
        errors = [future.exception() for future in futures]
    first = next((error for error in errors if error is not None), None)
    if first is not None:
        raise first
    return [future.result() for future in futures]
