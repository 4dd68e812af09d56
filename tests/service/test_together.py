"""storemon.service.together: independent calls made at once, results in order, errors raised
after every call is done, the caller's context variables seen by each call."""

from __future__ import annotations

import contextvars
import threading
import time

import pytest

from storemon.service.together import together

WHO = contextvars.ContextVar("who", default="nobody")


def test_results_come_back_in_the_calls_order():
    def slow(value: int, seconds: float):
        return lambda: (time.sleep(seconds), value)[1]

    assert together([slow(1, 0.05), slow(2, 0.0), slow(3, 0.02)]) == [1, 2, 3]
    assert together([lambda: "alone"]) == ["alone"]
    assert together([]) == []


def test_the_calls_overlap():
    both_started = threading.Barrier(2, timeout=5)  # would time out if made one by one

    def call(value: int):
        return lambda: (both_started.wait(), value)[1]

    assert together([call(1), call(2)]) == [1, 2]


def test_the_first_error_is_raised_once_every_call_is_done():
    finished = []

    def fails():
        raise ValueError("first")

    def slow():
        time.sleep(0.05)
        finished.append("slow")

    with pytest.raises(ValueError, match="first"):
        together([fails, slow])
    assert finished == ["slow"]


def test_each_call_sees_the_callers_context():
    WHO.set("worker")
    assert together([WHO.get, WHO.get]) == ["worker", "worker"]
