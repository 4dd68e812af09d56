"""A function of the local stack in processes of its own: Lambda execution environments.

In-process functions (:class:`storemon_dev.local.lambdas.LocalFunction`) share one Python
process: one ``os.environ``, so invocations of functions whose environments differ take turns
(:class:`storemon_dev.local.lambdas.EnvironmentGate`), and one GIL. A webhook delivery (a few
milliseconds of work) then waits for the worker's whole invocation (a report, its page: seconds)
although on AWS the two are separate invocations in separate containers.

:class:`ContainerFunction` runs its handler in child processes (``spawn``: a fresh
interpreter, as a cold start) with exactly the function's environment. Like Lambda, which
scales a function to concurrent execution environments, it keeps a pool of up to ``size``
children (the stack gives one per poller of the function's SQS event sources: the units of
their concurrency): an invocation goes to an idle child (the one used last: the warmest), a
new child is started when every child is busy and the pool is not full, otherwise the
invocation waits for one. Each child runs one invocation at a time for the life of the stack,
and its warm state (caches, clients) stays between its invocations, as in a warm container;
children share nothing but the emulator. A child talks to moto over HTTP like any client.
Events and results cross as JSON, errors as Lambda's ``{"errorType", "errorMessage"}``.
Chosen per function (``LocalStack(containers=...)``); the tests' IAM check records only
in-process calls. ``STOREMON_CONTAINER_PROFILE=DIR`` profiles every invocation of a container
(cProfile, one file per child and invocation in ``DIR``).
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
                name = f"{spec.logical_id}-{os.getpid()}-{calls:04d}.prof"
                where_to = Path(profile_dir) / name
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


class _Child:
    """One execution environment: a child process and the parent's end of its pipe."""

    def __init__(self, process: Any, connection: Any):
        self.process = process
        self.connection = connection

    def call(self, kind: str, text: str) -> tuple:
        self.connection.send((kind, text))
        return tuple(self.connection.recv())

    def close(self, timeout: float) -> None:
        self.connection.close()
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout)


class ContainerFunction(LocalFunction):
    """A :class:`LocalFunction` whose invocations run in a pool of up to `size` child
    processes (execution environments), one invocation at a time each."""

    def __init__(self, spec: FunctionSpec, environment: Mapping[str, str], *, size: int = 1, **kw):
        super().__init__(spec, environment, **kw)
        self.size = max(1, size)
        self._children: list[_Child] = []  # started, busy or idle
        self._idle: list[_Child] = []  # the one used last at the end
        self._pool = threading.Condition()

    @property
    def processes(self) -> list[Any]:
        """The children's processes (started so far)."""
        with self._pool:
            return [child.process for child in self._children]

    def _take(self) -> _Child:
        """An idle child (the one used last), a new one (the cold start) while the pool is
        not full, else the first to be given back."""
        with self._pool:
            while True:
                if self._idle:
                    return self._idle.pop()
                if len(self._children) < self.size:
                    child = self._start()
                    self._children.append(child)
                    return child
                self._pool.wait()

    def _give_back(self, child: _Child, alive: bool) -> None:
        with self._pool:
            if alive and child in self._children:
                self._idle.append(child)
            elif child in self._children:
                self._children.remove(child)
            self._pool.notify()

    def _start(self) -> _Child:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        environment = {**GATE.outside(), **self.environment}
        process = context.Process(
            target=_serve,
            args=(child, self.spec, environment, self._where()),
            name=f"container-{self.name}-{len(self._children) + 1}",
            daemon=True,
        )
        process.start()
        child.close()
        return _Child(process, parent)

    def _where(self) -> dict[str, Any]:
        return {
            "physical_name": self.physical_name,
            "region": self.region,
            "account_id": self.account_id,
            "layer_dirs": self.layer_dirs,
        }

    def _call(self, kind: str, text: str) -> Any:
        child = self._take()
        try:
            answer = child.call(kind, text)
        except (EOFError, OSError) as exc:  # the child died, or the stack is stopping
            self._give_back(child, alive=False)
            child.close(timeout=1.0)
            raise FunctionError(self.name, "Runtime.ExitError", str(exc)) from exc
        self._give_back(child, alive=True)
        if answer[0] == "error":
            raise FunctionError(self.name, answer[1], answer[2])
        return json.loads(answer[1])

    def load(self) -> Any:
        """Start a container and load the handler in it (a cold start, now)."""
        self._call("load", "")
        return self.invoke

    def invoke(self, event: Any) -> Any:
        try:
            text = json.dumps(event)
        except (TypeError, ValueError) as exc:
            raise FunctionError(self.name, "InvalidRequestContentException", str(exc)) from exc
        return self._call("invoke", text)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the containers (an invocation in flight is cut short, as at a shutdown)."""
        with self._pool:
            children, self._children, self._idle = self._children, [], []
            self._pool.notify_all()
        for child in children:
            child.close(timeout)
