"""A function of the local stack in a process of its own: one Lambda execution environment.

In-process functions (:class:`storemon_dev.local.lambdas.LocalFunction`) share one Python
process: one ``os.environ``, so invocations of functions whose environments differ take turns
(:class:`storemon_dev.local.lambdas.EnvironmentGate`), and one GIL. A webhook delivery (a few
milliseconds of work) then waits for the worker's whole invocation (a report, its page: seconds)
although on AWS the two are separate invocations in separate containers.

:class:`ContainerFunction` runs its handler in a child process (``spawn``: a fresh interpreter,
as a cold start) with exactly the function's environment, one invocation at a time, for the
life of the stack: warm state (caches, clients) stays between invocations, as in a warm
container. The child talks to moto over HTTP like any client. Events and results cross as
JSON, errors as Lambda's ``{"errorType", "errorMessage"}``. Chosen per function
(``LocalStack(containers=...)``); the tests' IAM check records only in-process calls.
``STOREMON_CONTAINER_PROFILE=DIR`` profiles every invocation of a container (cProfile, one
file per invocation in ``DIR``).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from storemon_dev.local.lambdas import GATE, FunctionError, LocalFunction
from storemon_dev.local.template import FunctionSpec

log = logging.getLogger("storemon_dev.local")
# a directory: each invocation of a container is profiled (cProfile) into it, one file each
PROFILE_VARIABLE = "STOREMON_CONTAINER_PROFILE"


def _serve(connection: Any, spec: FunctionSpec, environment: dict[str, str], where: dict) -> None:
    """The child: the function's environment, its handler loaded once, then one invocation
    per message until the pipe closes. ``where``: ``physical_name``, ``region``,
    ``account_id`` and ``layer_dirs`` of the :class:`LocalFunction`."""
    os.environ.update(environment)
    function = LocalFunction(spec, environment, **where)
    profile_dir = environment.get(PROFILE_VARIABLE)
    calls = 0
    while True:
        try:
            kind, text = connection.recv()
        except (EOFError, OSError):
            return
        try:
            if kind == "load":
                function.load()
                answer: tuple = ("ok", "null")
            elif profile_dir:
                calls += 1
                where_to = Path(profile_dir) / f"{spec.logical_id}-{calls:04d}.prof"
                answer = ("ok", json.dumps(_profiled(function, json.loads(text), where_to)))
            else:
                answer = ("ok", json.dumps(function.invoke(json.loads(text))))
        except FunctionError as exc:
            answer = ("error", exc.error_type, exc.error_message)
        except Exception as exc:  # the runtime itself failed
            answer = ("error", "Runtime.Unknown", f"{type(exc).__name__}: {exc}")
        connection.send(answer)


def _profiled(function: LocalFunction, event: Any, where_to: Path) -> Any:
    """One invocation under cProfile, its statistics written to `where_to`."""
    import cProfile

    profile = cProfile.Profile()
    try:
        return profile.runcall(function.invoke, event)
    finally:
        profile.dump_stats(str(where_to))


class ContainerFunction(LocalFunction):
    """A :class:`LocalFunction` whose invocations run in a child process of its own."""

    def __init__(self, spec: FunctionSpec, environment: Mapping[str, str], **kwargs: Any):
        super().__init__(spec, environment, **kwargs)
        self._process: Any = None
        self._connection: Any = None
        self._started = threading.Lock()

    def _child(self) -> Any:
        """The child's end of the pipe, started on first use (the cold start)."""
        with self._started:
            if self._process is None:
                context = multiprocessing.get_context("spawn")
                parent, child = context.Pipe()
                environment = {**GATE.outside(), **self.environment}
                process = context.Process(
                    target=_serve,
                    args=(child, self.spec, environment, self._where()),
                    name=f"container-{self.name}",
                    daemon=True,
                )
                process.start()
                child.close()
                self._process, self._connection = process, parent
            return self._connection

    def _where(self) -> dict[str, Any]:
        return {
            "physical_name": self.physical_name,
            "region": self.region,
            "account_id": self.account_id,
            "layer_dirs": self.layer_dirs,
        }

    def _call(self, kind: str, text: str) -> Any:
        with self.one_at_a_time:
            connection = self._child()
            try:
                connection.send((kind, text))
                answer = connection.recv()
            except (EOFError, OSError) as exc:
                self.close()
                raise FunctionError(self.name, "Runtime.ExitError", str(exc)) from exc
        if answer[0] == "error":
            raise FunctionError(self.name, answer[1], answer[2])
        return json.loads(answer[1])

    def load(self) -> Any:
        """Start the container and load the handler in it (the cold start, now)."""
        self._call("load", "")
        return self.invoke

    def invoke(self, event: Any) -> Any:
        try:
            text = json.dumps(event)
        except (TypeError, ValueError) as exc:
            raise FunctionError(self.name, "InvalidRequestContentException", str(exc)) from exc
        return self._call("invoke", text)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the container (an invocation in flight is cut short, as at a shutdown)."""
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            connection.close()
        if process is not None:
            process.join(timeout)
            if process.is_alive():
                process.terminate()
                process.join(timeout)
