"""Issue 17, findings 3-5: odd requests are refused with a 4xx that says why, never a 5xx or a
405 that names the method the client used. Through the template's API (the local stack's API
Gateway emulation and authorizer) with an administrator's token."""

from __future__ import annotations

import pytest

from tests.service.helpers import put_inputs

DEEP = "[" * 1000 + "]" * 1000


@pytest.mark.shared_stack
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/trigger_report", DEEP),
        ("POST", "/trigger_report", '{"store_ids": ' + DEEP + "}"),
        ("POST", "/get_report", DEEP),
        ("POST", "/get_report", '{"report_id": ' + "[" * 5000 + "]" * 5000 + "}"),
        ("POST", "/stores/1001/trigger_report", "[" * 100_000),
    ],
)
def test_deeply_nested_json_is_a_400(stack, api, method, path, body):
    """Finding 3: the JSON parser's recursion limit was a 500 RecursionError."""
    status, answer, _ = api.request(method, path, body=body)
    assert status == 400, answer
    assert "nested" in answer["error"] or "JSON object" in answer["error"]


@pytest.mark.shared_stack
@pytest.mark.parametrize(
    "as_of",
    ["0999-12-31 23:59:59", "0001-01-01 00:00:00", "1000-01-01 00:00:00", "1969-12-31 23:59:59"],
)
def test_an_as_of_before_1970_is_a_400_everywhere(stack, api, worker_queue, as_of):
    """Finding 4: a year before 1000 passed validation, was re-formatted as "999-..." and then
    failed (503 on the store report, 202 then Failed on a trigger)."""
    put_inputs(stack["bucket"])
    for method, path, kwargs in [
        ("POST", "/trigger_report", {"json": {"store_ids": ["1001"], "as_of": as_of}}),
        ("POST", "/stores/1001/trigger_report", {"json": {"as_of": as_of}}),
        ("GET", "/stores/1001/trigger_report", {"query": {"as_of": as_of}}),
        ("GET", "/stores/1001/report", {"query": {"as_of": as_of}}),
    ]:
        status, answer, _ = api.request(method, path, **kwargs)
        assert status == 400, (path, answer)
        assert "1970" in answer["error"], answer
    assert worker_queue.drain() == []


def test_the_earliest_as_of_is_accepted_and_padded(stack, api, worker_queue):
    put_inputs(stack["bucket"])
    status, answer, _ = api.post(
        "/trigger_report", json={"store_ids": ["1001"], "as_of": "1970-01-01T01:30:00+01:00"}
    )
    assert status == 202
    worker_queue.drain()
    report = api.get(f"/get_report/{answer['report_id']}")[1]
    assert report["request"]["as_of"] == "1970-01-01 00:30:00.000000"
    assert report["status"] == "Complete"
    assert report["rows"] == 0  # no poll at or before 1970


@pytest.mark.shared_stack
@pytest.mark.parametrize("odd", ["%09", "%00", "%0F", "%F0%9F%98%80", "a%0Ab", "%7F", "%C2%85"])
@pytest.mark.parametrize(
    "route",
    [
        ("GET", "/stores/{}/report"),
        ("GET", "/stores/{}/incidents"),
        ("GET", "/stores/{}/trigger_report"),
        ("POST", "/stores/{}/trigger_report"),
        ("GET", "/get_report/{}"),
    ],
)
def test_odd_characters_in_a_path_id_are_a_400_not_a_405(stack, api, odd, route):
    """Finding 5: such a path matched no route of the function, and the 405 said "method GET
    is not allowed ...; use GET"."""
    method, template = route
    status, answer, headers = api.request(method, template.format(odd))
    assert status in (400, 404), answer
    assert "not allowed" not in answer["error"]
    assert "allow" not in headers


@pytest.mark.shared_stack
def test_a_wrong_method_on_a_known_path_is_still_a_405(stack, api):
    status, answer, headers = api.request("DELETE", "/stores/1001/report")
    assert status == 405
    assert headers["allow"] == "GET"


def test_timestamps_before_year_1000_keep_their_four_digits():
    from storemon.clock import timestamps

    assert timestamps.normalize("0999-12-31 23:59:59.5") == "0999-12-31 23:59:59.500000"
    assert timestamps.normalize("0001-01-01T00:00:00Z") == "0001-01-01 00:00:00.000000"
