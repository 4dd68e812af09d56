"""Functions in a process of their own (storemon_dev.local.container), on the small template
of tests/local/test_lambdas.py: the template environment and no other function's, warm state
kept between invocations, errors as Lambda's, and an invocation never waiting for another
function's."""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest

from storemon_dev.local.lambdas import FunctionError
from storemon_dev.local.stack import LocalStack
from tests.local.test_lambdas import ECHO, TEMPLATE

SLOW = """
import os, time
CALLS = []

def lambda_handler(event, context):
    CALLS.append(event)
    if event.get("fail"):
        raise KeyError("missing")
    time.sleep(event.get("sleep", 0))
    return {"pid": os.getpid(), "calls": len(CALLS), "shared": os.environ.get("SHARED")}
"""


@pytest.fixture
def container_stack(tmp_path):
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    for name, code in (("echo", ECHO), ("sink", SLOW)):
        folder = tmp_path / "functions" / name
        folder.mkdir(parents=True)
        (folder / "app.py").write_text(code)
    (tmp_path / "functions" / "echo" / "helper.py").write_text(
        "import json\n\ndef dump(value):\n    return json.dumps(value)\n"
    )
    suffix = uuid.uuid4().hex[:8]
    names = {"DataBucket": f"bucket-{suffix}", "ReportQueue": f"queue-{suffix}"}
    stack = LocalStack(tmp_path / "template.yaml", names=names, containers=("sink",))
    stack.start(seed=False)
    try:
        yield stack
    finally:
        stack.stop()


def test_a_container_runs_its_function_in_its_own_process_with_its_environment(container_stack):
    sink = container_stack.function("SinkFunction")
    first = sink.invoke({})
    second = sink.invoke({})
    assert first["pid"] == second["pid"] != os.getpid()
    assert (first["calls"], second["calls"]) == (1, 2)  # warm: module state kept
    assert first["shared"] == "globals"  # the Globals value: not EchoFunction's "echo"
    with pytest.raises(FunctionError) as raised:
        sink.invoke({"fail": True})
    assert raised.value.error_type == "KeyError"
    assert sink.invoke({})["calls"] == 4  # still the same container


def test_an_in_process_function_does_not_wait_for_a_container(container_stack):
    sink, echo = container_stack.function("SinkFunction"), container_stack.function("echo")
    sink.load()
    slow = threading.Thread(target=sink.invoke, args=({"sleep": 4.0},))
    slow.start()
    time.sleep(0.3)
    event = {"rawPath": "/echo/x", "pathParameters": {"name": "x"}}
    assert echo.invoke(event)["statusCode"] == 200  # another environment: no turn to wait for
    assert slow.is_alive()  # answered while the container's invocation still runs
    slow.join()
    process = sink._process
    container_stack.stop()
    assert process is not None and not process.is_alive()
