"""Moto-free unit tests of the service's pure parts: request parsing, record views, refresh
ids, the HTTP mapping of errors, settings, the timestamp grammar."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storemon import errors
from storemon.clock import timestamps
from storemon.service import http, records, refresh, reports, trigger
from storemon.service.settings import Settings

ENV = {"TABLE_NAME": "t", "BUCKET_NAME": "b", "QUEUE_URL": "https://q"}


# ----------------------------------------------------------------------------- errors
def test_error_hierarchy():
    for cls in (errors.InputError, errors.MissingInput, errors.ObjectMissing):
        assert issubclass(cls, errors.UnusableInput)
    for cls in (errors.InvalidRequest, errors.Unauthorized, errors.Forbidden, errors.Conflict):
        assert issubclass(cls, errors.RequestError)
    assert issubclass(errors.ReportNotFound, errors.NotFound)
    assert str(errors.InputError("menu_hours.csv", "empty")) == "menu_hours.csv: empty"
    from storemon.service import aws

    assert aws.ObjectMissing is errors.ObjectMissing


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (errors.InvalidRequest("x"), 400),
        (errors.Unauthorized("x"), 401),
        (errors.Forbidden("x"), 403),
        (errors.NotFound("x"), 404),
        (errors.ReportNotFound("x"), 404),
        (errors.Conflict("x"), 409),
        (errors.Unavailable("x"), 503),
    ],
)
def test_http_maps_request_errors_to_status_codes(exc, status):
    response = http.request_error(exc)
    assert response.status_code == status
    assert json.loads(response.body) == {"error": "x", "status": status}


# ----------------------------------------------------------------------------- settings
def test_settings_name_the_missing_variable():
    assert Settings.from_env(ENV).table == "t"
    for name in ENV:
        with pytest.raises(errors.ConfigurationError, match=name):
            Settings.from_env({k: v for k, v in ENV.items() if k != name})
    with pytest.raises(errors.ConfigurationError, match="MAX_RECEIVE_COUNT"):
        Settings.from_env({**ENV, "MAX_RECEIVE_COUNT": "three"})
    assert Settings.from_env({**ENV, "RETENTION_DAYS": "7"}).retention_days == 7


# ----------------------------------------------------------------------------- requests
def test_parse_request_normalises():
    body = {"store_ids": [" 1 ", "2", "1"], "as_of": "2023-01-22T14:09:39+02:00"}
    assert trigger.parse_request(body) == {
        "store_ids": ["1", "2"],
        "as_of": "2023-01-22 12:09:39.000000",
    }
    assert trigger.parse_request({}) == {"store_ids": None, "as_of": None}
    one = trigger.parse_request({}, "42", {"as_of": "2023-01-22 12:00:00"})
    assert one == {"store_ids": ["42"], "as_of": "2023-01-22 12:00:00.000000"}


@pytest.mark.parametrize(
    ("body", "store_id", "message"),
    [
        ({"store_ids": ["x" * 129]}, None, "at most 128"),
        ({"store_ids": ["é" * 100]}, None, "not a store id a request can name"),
        ({"store_ids": ["\ud800"]}, None, "valid string"),
        ({}, "y" * 500_000, "too long"),
        ({"store_ids": ["1"]}, "1", "path names the store"),
        ({"format": "xml"}, None, "unknown field"),
        ({"as_of": "0001-01-01 00:00:00+01:00"}, None, "from 1970"),
        ({"as_of": "2023-02-30 00:00:00"}, None, "not a valid timestamp"),
        ({"as_of": "x" * 10_000}, None, "as_of: String should have at most 40"),
    ],
)
def test_parse_request_refuses(body, store_id, message):
    with pytest.raises(errors.InvalidRequest, match=message) as caught:
        trigger.parse_request(body, store_id)
    assert len(str(caught.value)) < 300


def test_body_text_refuses_bodies_that_are_not_utf8():
    raw = base64.b64encode(b'{"as_of": "\xff"}').decode()
    with pytest.raises(errors.InvalidRequest, match="not UTF-8"):
        http.body_text(raw, True)
    with pytest.raises(errors.InvalidRequest, match="base64"):
        http.body_text("***", True)
    assert http.body_text(base64.b64encode(b"{}").decode(), True) == "{}"


def test_report_ids():
    assert reports.report_id_from(" LATEST ") == "latest"
    rid = records.new_report_id()
    assert reports.report_id_from(rid.upper()) == rid
    with pytest.raises(errors.InvalidRequest, match=r"\.\.\."):
        reports.report_id_from("z" * 5000)


# ----------------------------------------------------------------------------- records
INPUTS = {
    "status": {"key": "input/store_status.csv", "version_id": "v1", "etag": "e1"},
    "hours": {"key": "input/menu_hours.csv", "version_id": "v2", "etag": "e2"},
    "timezones": {"key": "input/timezones.csv", "version_id": "v3", "etag": "e3"},
}


def test_refresh_ids_follow_the_input_set():
    first = records.refresh_report_id(INPUTS)
    assert records.is_report_id(first)
    assert records.refresh_report_id(dict(reversed(INPUTS.items()))) == first
    changed = {**INPUTS, "hours": {**INPUTS["hours"], "version_id": "v9"}}
    assert records.refresh_report_id(changed) != first


def test_summary_view_of_records():
    record = {
        "report_id": "r",
        "status": records.FAILED,
        "kind": "refresh",
        "request": {"store_ids": None, "as_of": None},
        "created_at": "2023-01-01T00:00:00.000000Z",
        "inputs": {**INPUTS, "hours": None},
        "error": "menu_hours.csv: missing",
        "deadline": 1,
    }
    view = records.summary_view(record)
    assert view["inputs"]["status"] == {"key": "input/store_status.csv", "version_id": "v1"}
    assert view["inputs"]["hours"] is None
    assert view["error"] == "menu_hours.csv: missing" and "deadline" not in view
    assert "error" not in records.summary_view({**record, "status": records.RUNNING})


def test_input_keys_of_a_notification():
    message = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"object": {"key": "input/store_status.csv.gz"}},
            },
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectRemoved:Delete",
                "s3": {"object": {"key": "input/menu_hours.csv"}},
            },
            {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {}},
        ]
    }
    assert refresh.input_keys(message, "input/") == ["input/store_status.csv.gz"]


# ----------------------------------------------------------------------------- timestamps
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-01-22 12:09:39.388884 UTC", "2023-01-22 12:09:39.388884"),
        ("2023-01-22t12:09:39z", "2023-01-22 12:09:39.000000"),
        ("2023-01-22T14:09:39 +02", "2023-01-22 12:09:39.000000"),
        ("2023-01-22T07:09:39.25-0500", "2023-01-22 12:09:39.250000"),
    ],
)
def test_timestamp_normal_form(text, expected):
    assert timestamps.normalize(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2023-01-22 12:09:39.",
        "2023-01-22 12:09:39+24:00",
        "2023-01-22 12:09:60",
        "2023-02-29 00:00:00",
        "0000-01-01 00:00:00",
        "２０２３-01-22 12:09:39",
        "2023-01-22 12:09:39+05:",
    ],
)
def test_timestamp_refusals(text):
    with pytest.raises(ValueError):
        timestamps.parse_micros(text)


def _vectorised(texts: list[str]) -> list[int | None]:
    import pandas as pd

    from storemon.inputs import field_parsers

    matrix, lengths, fits = field_parsers.byte_matrix(
        pd.Series(texts), field_parsers.TIMESTAMP_WIDTH
    )
    micros, valid = field_parsers.parse_timestamps(matrix, lengths)
    return [int(m) if ok and fit else None for m, ok, fit in zip(micros, valid, fits, strict=True)]


def _scalar(text: str) -> int | None:
    try:
        return timestamps.parse_micros(text)
    except ValueError:
        return None


_digits = st.text("0123456789", min_size=1, max_size=3)
_timestamp_like = st.builds(
    lambda y, mo, d, sep, h, mi, s, frac, suffix: (
        f"{y:04d}-{mo:02d}-{d:02d}{sep}{h:02d}:{mi:02d}:{s:02d}{frac}{suffix}"
    ),
    st.integers(0, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
    st.sampled_from([" ", "T", "t", "_"]),
    st.integers(0, 24),
    st.integers(0, 60),
    st.integers(0, 60),
    st.one_of(st.just(""), _digits.map(lambda d: "." + d), st.just("."), st.just(".1234567")),
    st.sampled_from(
        [
            "",
            " UTC",
            "UTC",
            "utc",
            "Z",
            " z",
            "+02:00",
            "-0530",
            "+05",
            " +23:59",
            "+24:00",
            "+05:",
            " ",
            "  UTC",
            "+5",
            "-00:60",
            "x",
        ]
    ),
)


@given(st.lists(st.one_of(_timestamp_like, st.text(max_size=40)), min_size=1, max_size=20))
def test_vectorised_parser_agrees_with_the_grammar(texts):
    assert _vectorised(texts) == [_scalar(text) for text in texts]
