"""Lambda functions, in-process.

Each function's ``app.py`` is loaded by path under its own module name (the handlers all live
in files called ``app.py``), with its layers and code directory on ``sys.path`` as Lambda puts
them, and runs with the environment the template gives it. Event and result go through JSON,
as they do between Lambda and its caller, so a handler that returns something JSON cannot
encode fails here as it would there.

The environment is one per process, so invocations of functions whose environments differ
take turns (:class:`EnvironmentGate`); functions that share one (the usual case: everything in
``Globals``) run concurrently.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from storemon_dev.iam.calls import running
from storemon_dev.local.template import FunctionSpec

log = logging.getLogger("storemon_dev.local")

_module_counter = itertools.count(1)
_import_lock = threading.Lock()


class FunctionError(RuntimeError):
    """The handler raised, or its result is not JSON (``Runtime.MarshalError``)."""

    def __init__(self, function: str, error_type: str, message: str):
        super().__init__(f"{function}: {error_type}: {message}")
        self.function = function
        self.error_type = error_type
        self.error_message = message

    def payload(self) -> dict[str, Any]:
        """What Lambda returns for an unhandled error."""
        return {"errorType": self.error_type, "errorMessage": self.error_message}


class EnvironmentGate:
    """Lets any number of invocations run at once as long as they need the same environment;
    switching ``os.environ`` to another function's variables waits until none is running.
    A waiting switch blocks newcomers of the current environment, so nobody starves."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._current: tuple[tuple[str, str], ...] | None = None
        self._applied: dict[str, str] = {}
        self._original: dict[str, str | None] = {}
        self._active = 0
        self._waiting_others = 0

    @contextmanager
    def use(self, env: Mapping[str, str]) -> Iterator[None]:
        key = tuple(sorted(env.items()))
        with self._cond:
            registered = False
            try:
                while True:
                    if self._current == key and self._waiting_others == int(registered):
                        break  # join the running invocations
                    if self._active == 0:
                        if self._current != key:
                            self._apply(env)
                            self._current = key
                        break
                    if self._current != key and not registered:
                        self._waiting_others += 1
                        registered = True
                    self._cond.wait()
            finally:
                if registered:
                    self._waiting_others -= 1
            self._active += 1
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                self._cond.notify_all()

    def outside(self) -> dict[str, str]:
        """``os.environ`` as it is outside any function: without the variables of the
        environment applied now (their values from before it)."""
        with self._cond:
            environment = dict(os.environ)
            for name in self._applied:
                original = self._original.get(name)
                if original is None:
                    environment.pop(name, None)
                else:
                    environment[name] = original
            return environment

    def reset(self) -> None:
        """Take the last applied function environment out of ``os.environ`` (when idle)."""
        with self._cond:
            if self._active == 0:
                self._apply({})
                self._current = None

    def _apply(self, env: Mapping[str, str]) -> None:
        for name in self._applied.keys() - env.keys():  # back to what it was before the gate
            original = self._original.pop(name, None)
            if original is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = original
        for name in env.keys() - self._applied.keys():
            self._original.setdefault(name, os.environ.get(name))
        os.environ.update(env)
        self._applied = dict(env)


GATE = EnvironmentGate()


@dataclass
class LambdaContext:
    """The attributes and method of Lambda's Python context object that code uses."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline: float
    function_version: str = "$LATEST"
    identity: Any = None
    client_context: Any = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


class LocalFunction:
    """One ``AWS::Serverless::Function`` of the template, runnable in this process."""

    def __init__(
        self,
        spec: FunctionSpec,
        environment: Mapping[str, str],
        *,
        physical_name: str,
        region: str,
        account_id: str,
        layer_dirs: list[Path] | None = None,
        gate: EnvironmentGate = GATE,
    ):
        self.spec = spec
        self.environment = {k: str(v) for k, v in environment.items()}
        self.physical_name = physical_name
        self.region = region
        self.account_id = account_id
        self.layer_dirs = list(layer_dirs or [])
        self.gate = gate
        # One invocation at a time, as in one Lambda execution environment: the handler
        # module's state (Powertools' resolver keeps the current route in app.context) is
        # shared by the threads of this process.
        self.one_at_a_time = threading.Lock()
        self.arn = f"arn:aws:lambda:{region}:{account_id}:function:{physical_name}"
        self._module: ModuleType | None = None
        self._handler: Any = None

    @property
    def name(self) -> str:
        return self.spec.logical_id

    def context(self) -> LambdaContext:
        return LambdaContext(
            function_name=self.physical_name,
            memory_limit_in_mb=self.spec.memory,
            invoked_function_arn=self.arn,
            aws_request_id=str(uuid.uuid4()),
            log_group_name=f"/aws/lambda/{self.physical_name}",
            log_stream_name=time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex,
            deadline=time.monotonic() + self.spec.timeout,
        )

    def load(self) -> Any:
        """Import the handler module (the cold start), once; returns the handler."""
        if self._handler is not None:
            return self._handler
        with self.gate.use(self.environment), _import_lock:
            if self._handler is not None:
                return self._handler
            path = self.spec.module_file
            if not path.is_file():
                raise FunctionError(self.name, "Runtime.ImportModuleError", f"no file {path}")
            # Lambda: the function's code directory first, then the layers (/opt/python)
            for folder in [self.spec.code_dir, *self.layer_dirs]:
                if str(folder) not in sys.path:
                    sys.path.insert(0 if folder == self.spec.code_dir else 1, str(folder))
            module_name = f"storemon_local_{self.spec.short_name}_{next(_module_counter)}"
            module_spec = importlib.util.spec_from_file_location(module_name, path)
            if module_spec is None or module_spec.loader is None:
                raise FunctionError(self.name, "Runtime.ImportModuleError", f"cannot load {path}")
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[module_name] = module
            try:
                module_spec.loader.exec_module(module)
            except Exception as exc:
                sys.modules.pop(module_name, None)
                raise FunctionError(
                    self.name, "Runtime.ImportModuleError", f"{type(exc).__name__}: {exc}"
                ) from exc
            handler = getattr(module, self.spec.handler_attribute, None)
            if not callable(handler):
                sys.modules.pop(module_name, None)
                raise FunctionError(
                    self.name,
                    "Runtime.HandlerNotFound",
                    f"{path.name} has no callable {self.spec.handler_attribute!r}",
                )
            self._module = module
            self._handler = handler
            return handler

    def invoke(self, event: Any) -> Any:
        """Invoke the handler as Lambda does (event and result through JSON); raises
        :class:`FunctionError` when the handler raises or returns something not JSON."""
        handler = self.load()
        try:
            event = json.loads(json.dumps(event))
        except (TypeError, ValueError) as exc:
            raise FunctionError(self.name, "InvalidRequestContentException", str(exc)) from exc
        context = self.context()
        started = time.monotonic()
        with self.one_at_a_time, self.gate.use(self.environment), running(self.name):
            try:
                result = handler(event, context)
            except Exception as exc:
                log.exception("%s raised (request %s)", self.name, context.aws_request_id)
                raise FunctionError(self.name, type(exc).__name__, str(exc)) from exc
        elapsed = time.monotonic() - started
        if elapsed > self.spec.timeout:
            log.warning(
                "%s ran %.1f s, over its Timeout of %d s: Lambda would have stopped it",
                self.name,
                elapsed,
                self.spec.timeout,
            )
        try:
            return json.loads(json.dumps(result))
        except (TypeError, ValueError) as exc:
            raise FunctionError(self.name, "Runtime.MarshalError", str(exc)) from exc
