"""Issue 17, finding 7: a per-caller quota on running reports. One owner could queue thousands
of reports (the API's throttle is global, the worker computes 5 at a time), delaying everyone's
refresh; beyond MAX_RUNNING_PER_CALLER (template MaxRunningReportsPerCaller) an owner's trigger
is 429 with Retry-After, until one of their reports has finished. Administrators, the
operators, are not limited."""

from __future__ import annotations

import time

import boto3
import pytest

from tests.service.helpers import put_inputs

ONE = {"store_ids": ["1001"]}


@pytest.fixture
def quota_of_two(stack, monkeypatch):
    monkeypatch.setenv("MAX_RUNNING_PER_CALLER", "2")
    put_inputs(stack["bucket"])
    return stack


def test_a_caller_beyond_the_quota_is_told_to_wait(quota_of_two, api, worker_queue):
    owner = api.as_user("olivia", stores=("1001",))
    assert [owner.post("/trigger_report", json=ONE)[0] for _ in range(2)] == [202, 202]
    status, body, headers = owner.post("/trigger_report", json=ONE)
    assert status == 429, body
    assert headers["retry-after"] == "30"
    assert "2 reports running" in body["error"]
    assert owner.get("/stores/1001/trigger_report")[0] == 429  # every trigger route
    # the quota is per caller: another owner is not held up, and administrators have none
    assert api.as_user("oscar", stores=("1001",)).post("/trigger_report", json=ONE)[0] == 202
    assert api.post("/trigger_report", json=ONE)[0] == 202
    worker_queue.drain()  # the reports finish
    assert owner.post("/trigger_report", json=ONE)[0] == 202


def test_a_failed_report_frees_its_place(quota_of_two, api, worker_queue):
    owner = api.as_user("olivia", stores=("1001",))
    boto3.client("s3").delete_object(Bucket=quota_of_two["bucket"], Key="input/timezones.csv")
    for _ in range(2):
        assert owner.post("/trigger_report", json=ONE)[0] == 202
    assert owner.post("/trigger_report", json=ONE)[0] == 429
    worker_queue.drain()  # both fail: an input is missing
    reports = api.get("/reports")[1]["reports"]
    assert {r["status"] for r in reports} == {"Failed"}
    assert owner.post("/trigger_report", json=ONE)[0] == 202


@pytest.mark.slow
def test_a_report_past_its_deadline_does_not_count(quota_of_two, api, monkeypatch):
    owner = api.as_user("olivia", stores=("1001",))
    monkeypatch.setenv("STALE_AFTER_SECONDS", "1")
    for _ in range(2):
        assert owner.post("/trigger_report", json=ONE)[0] == 202
    time.sleep(2.1)  # no worker: both stay Running, now past their deadline
    assert owner.post("/trigger_report", json=ONE)[0] == 202


def test_no_limit_with_zero(stack, api, monkeypatch):
    monkeypatch.setenv("MAX_RUNNING_PER_CALLER", "0")
    put_inputs(stack["bucket"])
    owner = api.as_user("olivia", stores=("1001",))
    assert {owner.post("/trigger_report", json=ONE)[0] for _ in range(12)} == {202}


def test_the_default_quota_is_ten(stack, api):
    put_inputs(stack["bucket"])
    owner = api.as_user("olivia", stores=("1001",))
    statuses = [owner.post("/trigger_report", json=ONE)[0] for _ in range(11)]
    assert statuses == [202] * 10 + [429]


def test_administrators_are_not_limited(stack, api, monkeypatch):
    monkeypatch.setenv("MAX_RUNNING_PER_CALLER", "1")
    put_inputs(stack["bucket"])
    assert {api.post("/trigger_report", json=ONE)[0] for _ in range(3)} == {202}
