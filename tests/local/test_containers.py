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
from pathlib import Path
CALLS = []

def meet(folder, me, other):
    # a rendezvous: True when the other invocation arrived while this one waits
    Path(folder, me).touch()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if Path(folder, other).exists():
            return True
        time.sleep(0.02)
    return False

def lambda_handler(event, context):
    CALLS.append(event)
    if event.get("fail"):
        raise KeyError("missing")
    time.sleep(event.get("sleep", 0))
    met = meet(event["meet"], event["me"], event["other"]) if event.get("meet") else None
    return {
        "pid": os.getpid(),
        "calls": len(CALLS),
        "shared": os.environ.get("SHARED"),
        "met": met,
    }
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
    processes = sink.processes
    container_stack.stop()
    assert processes and not any(process.is_alive() for process in processes)


def _at_once(invoke, events: list[dict]) -> list[dict]:
    answers: list = [None] * len(events)

    def one(i: int) -> None:
        answers[i] = invoke(events[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(events))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return answers


def test_two_invocations_of_a_container_function_run_at_once_in_two_processes(
    container_stack, tmp_path
):
    """Lambda runs concurrent invocations in concurrent execution environments: each of two
    invocations waits for the other to arrive (it would wait in vain, one at a time)."""
    sink = container_stack.function("SinkFunction")
    assert sink.size == 2  # one per poller of its SQS event source (MaxConcurrency unset: 2)
    events = [
        {"meet": str(tmp_path), "me": "a", "other": "b"},
        {"meet": str(tmp_path), "me": "b", "other": "a"},
    ]
    first, second = _at_once(sink.invoke, events)
    assert first["met"] is second["met"] is True
    assert len({first["pid"], second["pid"], os.getpid()}) == 3
    assert len(sink.processes) == 2


def test_each_container_keeps_its_own_warm_state_and_the_pool_is_bounded(container_stack):
    sink = container_stack.function("SinkFunction")
    answers = _at_once(sink.invoke, [{"sleep": 0.5}] * 3)
    answers += [sink.invoke({}) for _ in range(3)]
    pids = {answer["pid"] for answer in answers}
    assert len(pids) <= 2 == len(sink.processes)  # never more environments than its pollers
    for pid in pids:  # each counts its own invocations, 1, 2, ...: module state per container
        calls = sorted(answer["calls"] for answer in answers if answer["pid"] == pid)
        assert calls == list(range(1, len(calls) + 1))
    # one after another: the container used last (warm), not a new one
    assert answers[-1]["pid"] == answers[-2]["pid"] == answers[-3]["pid"]


def test_a_container_pool_has_one_child_per_poller_of_its_sqs_sources(tmp_path):
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    default = LocalStack(tmp_path / "template.yaml")
    assert default.concurrency("SinkFunction") == 2  # MaximumConcurrency unset: max_pollers
    assert default.concurrency("EchoFunction") == 2  # no SQS source: max_pollers
    capped = LocalStack(tmp_path / "template.yaml", pollers={"sink": 3}, max_pollers=1)
    assert capped.concurrency("SinkFunction") == 3  # its own cap
    assert capped.concurrency("EchoFunction") == 1
