"""The hand-written request checks (storemon.service.request_schema / request_rules): every rule
with its answer written out here, the messages the pydantic models and Powertools' validation
gave (tests/service/test_request_parity.py holds the two to each other on generated input)."""

from __future__ import annotations

import pytest

from storemon import errors
from storemon.service import request_rules as rules
from storemon.service.request_schema import check_params

UNKNOWN = "unknown field (a typo would silently widen the report)"
STRING = "Input should be a valid string"


def refused(body, data) -> str:
    with pytest.raises(errors.InvalidRequest) as caught:
        rules.parse(body, data)
    return str(caught.value)


TRIGGER_REFUSALS = [
    ({"stores": ["1"]}, f"stores: {UNKNOWN}"),
    ({"store_ids": "1001"}, "store_ids: Input should be a valid list"),
    ({"store_ids": []}, "store_ids: List should have at least 1 item after validation, not 0"),
    (
        {"store_ids": ["1"] * 1001},
        "store_ids: List should have at most 1000 items after validation, not 1001",
    ),
    # too many: only that, not each item's problem
    (
        {"store_ids": [7] * 1002},
        "store_ids: List should have at most 1000 items after validation, not 1002",
    ),
    ({"store_ids": ["1001", 7]}, f"store_ids[1]: {STRING}"),
    ({"store_ids": ["1001", ""]}, "store_ids[1]: String should have at least 1 character"),
    ({"store_ids": ["x" * 129]}, "store_ids[0]: String should have at most 128 characters"),
    ({"store_ids": ["a/b"]}, f"store_ids[0]: {rules.STORE_ID_RULE}"),
    ({"store_ids": ["  "]}, f"store_ids[0]: {rules.STORE_ID_RULE}"),
    ({"store_ids": ["1\n"]}, f"store_ids[0]: {rules.STORE_ID_RULE}"),  # $ is the text's end
    (
        {"store_ids": ["\ud800"]},
        "store_ids[0]: Input should be a valid string, unable to parse raw data as a unicode "
        "string",
    ),
    ({"as_of": 1674475200}, f"as_of: {STRING}"),
    ({"as_of": "x" * 41}, "as_of: String should have at most 40 characters"),
    ({"as_of": "2023-02-30 10:00:00"}, f"as_of: {rules.AS_OF_RULE}"),
    ({"as_of": "2023-01-23 10:00:00.1234567"}, f"as_of: {rules.AS_OF_RULE}"),
    ({"windows": ["year"]}, "windows[0]: Input should be 'hour', 'day', 'week' or 'month'"),
    ({"windows": [1]}, "windows[0]: Input should be 'hour', 'day', 'week' or 'month'"),
    ({"windows": []}, "windows: List should have at least 1 item after validation, not 0"),
    (
        {"windows": ["hour"] * 5},
        "windows: List should have at most 4 items after validation, not 5",
    ),
    ({"daily": "yes"}, "daily: Input should be a valid boolean"),
    ({"daily": 1}, "daily: Input should be a valid boolean"),  # strict: 1 is no boolean
    ({"from": 5}, f"from: {STRING}"),
    ({"start": "2023-01-22 00:00:00"}, f"start: {UNKNOWN}"),  # the field is called from
    # each field's problem in the declaration's order, then unknown keys in the body's
    (
        {"zz": 1, "as_of": 3, "store_ids": 5},
        f"store_ids: Input should be a valid list; as_of: {STRING}; zz: {UNKNOWN}",
    ),
    (
        {"store_ids": [1, 2, 3, 4, 5, 6]},
        "; ".join(f"store_ids[{i}]: {STRING}" for i in range(5)) + " (and 1 more)",
    ),
]


@pytest.mark.parametrize(("data", "message"), TRIGGER_REFUSALS)
def test_trigger_bodies_refused(data, message):
    assert refused(rules.TRIGGER_BODY, data) == message


def test_trigger_bodies_normalised():
    values = rules.parse(
        rules.TRIGGER_BODY,
        {"store_ids": [" 1 ", "2"], "as_of": "2023-01-22T14:09:39+02:00", "daily": None},
    )
    assert vars(values) == {
        "store_ids": ["1", "2"],
        "as_of": "2023-01-22 12:09:39.000000",
        "windows": None,
        "start": None,
        "end": None,
        "daily": None,
    }
    ranged = rules.parse(
        rules.TRIGGER_BODY,
        {"from": "2023-01-01 00:00:00", "to": "2023-01-02 00:00:00Z", "daily": True},
    )
    assert (ranged.start, ranged.end, ranged.daily) == (
        "2023-01-01 00:00:00.000000",
        "2023-01-02 00:00:00.000000",
        True,
    )


GET_REPORT_REFUSALS = [
    ({}, "report_id: Field required"),
    ({"report_id": None}, f"report_id: {STRING}"),
    ({"report_id": "x" * 65}, "report_id: String should have at most 64 characters"),
    ({"report_id": "nope"}, f"report_id: {rules.REPORT_ID_RULE}"),
    (
        {"report_id": "latest", "format": "xml"},
        "format: Input should be 'json', 'csv' or 'html'",
    ),
    ({"format": "csv", "as_of": "x"}, f"report_id: Field required; as_of: {UNKNOWN}"),
]


@pytest.mark.parametrize(("data", "message"), GET_REPORT_REFUSALS)
def test_get_report_bodies_refused(data, message):
    assert refused(rules.GET_REPORT_BODY, data) == message


def test_get_report_body_read():
    body = rules.parse(rules.GET_REPORT_BODY, {"report_id": "LATEST", "format": None})
    assert (body.report_id, body.format) == ("LATEST", None)  # reports.report_id_from lowers it


URL = "https://hooks.example.com/x"
INTEGER = "Input should be a valid integer"


SUBSCRIPTION_REFUSALS = [
    ({}, "url: Field required"),
    ({"url": ""}, "url: String should have at least 1 character"),
    ({"url": "h" * 2049}, "url: String should have at most 2048 characters"),
    ({"url": "ftp://x"}, "url: " + rules.PATTERN_MESSAGES[rules.WEBHOOK_URL_PATTERN]),
    ({"url": URL, "min_minutes": 1.5}, f"min_minutes: {INTEGER}"),
    ({"url": URL, "min_minutes": True}, f"min_minutes: {INTEGER}"),
    ({"url": URL, "min_minutes": "5"}, f"min_minutes: {INTEGER}"),
    ({"url": URL, "min_minutes": float("nan")}, f"min_minutes: {INTEGER}"),
    ({"url": URL, "min_minutes": -1}, "min_minutes: Input should be greater than or equal to 0"),
    (
        {"url": URL, "min_minutes": 525_601.0},
        "min_minutes: Input should be less than or equal to 525600",
    ),
    (
        {"url": URL, "store_ids": []},
        "store_ids: List should have at least 1 item after validation, not 0",
    ),
]


@pytest.mark.parametrize(("data", "message"), SUBSCRIPTION_REFUSALS)
def test_subscription_bodies_refused(data, message):
    assert refused(rules.SUBSCRIPTION_BODY, data) == message


def test_subscription_minutes_read_as_json_schema_integers():
    assert rules.parse(rules.SUBSCRIPTION_BODY, {"url": URL, "min_minutes": 30.0}).min_minutes == 30
    assert rules.parse(rules.SUBSCRIPTION_BODY, {"url": URL, "min_minutes": 0}).min_minutes == 0
    assert rules.parse(rules.SUBSCRIPTION_BODY, {"url": URL}).min_minutes is None


# ----------------------------------------------------------------------------- parameters
class Event(dict):
    """The parts of an HTTP API event the parameter checks read."""

    def __init__(self, query: dict | None = None, raw: str = ""):
        super().__init__(rawQueryString=raw)
        self.query_string_parameters = query


def params(declared, path=None, query=None, raw="") -> tuple[dict, str]:
    values, problems = check_params(declared, path or {}, Event(query, raw))
    return values, rules.describe(problems) if problems else ""


REPORT = (rules.STORE_ID_PATH, rules.AS_OF_QUERY, rules.FROM_QUERY, rules.TO_QUERY)


def test_parameters_read_with_their_defaults():
    assert params(REPORT, {"store_id": " 1001 "}) == (
        {"store_id": " 1001 ", "as_of": None, "start": None, "end": None},  # the route trims
        "",
    )
    ranged = params(REPORT, {"store_id": "1"}, {"from": "2023-01-01 00:00:00", "to": "x,y"})
    assert ranged[0]["start"] == "2023-01-01 00:00:00"
    assert ranged[1] == f"query.to: {rules.AS_OF_RULE}"  # a comma inside one value is text
    assert params((rules.LATEST_REPORT_ID_QUERY,)) == ({"report_id": "latest"}, "")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("7", 7),
        (" 7 ", 7),
        ("\t7\n", 7),
        ("\xa07", 7),
        ("+7", 7),
        ("007", 7),
        ("1_0", 10),
        ("5.00", 5),
        ("1.0 ", 1),
    ],
)
def test_limit_read_as_pydantic_reads_an_integer(text, value):
    assert params((rules.LIMIT_QUERY,), query={"limit": text}) == ({"limit": value}, "")


PARSE = "Input should be a valid integer, unable to parse string as an integer"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", PARSE),
        ("", PARSE),
        ("1.5", PARSE),
        ("1.", PARSE),
        ("1e2", PARSE),
        ("1__0", PARSE),
        ("_1", PARSE),
        ("٣", PARSE),  # an Arabic-Indic three: Python's int() reads it, pydantic does not
        ("\x1c7", PARSE),  # a separator Python strips and Rust does not
        ("0", "Input should be greater than or equal to 1"),
        ("-0.0", "Input should be greater than or equal to 1"),
        ("101", "Input should be less than or equal to 100"),
        ("9" * 4300, "Input should be less than or equal to 100"),
        ("9" * 4301, "Unable to parse input string as an integer, exceeded maximum size"),
    ],
)
def test_limit_refused(text, message):
    assert params((rules.LIMIT_QUERY,), query={"limit": text})[1] == f"query.limit: {message}"


def test_parameter_refusals_path_first_then_query_in_declared_order():
    _, message = params(
        REPORT, {"store_id": "x" * 129}, {"to": "bad", "as_of": "2023-02-30 00:00:00"}
    )
    assert message == (
        "path.store_id: String should have at most 128 characters; "
        f"query.as_of: {rules.AS_OF_RULE}; query.to: {rules.AS_OF_RULE}"
    )
    _, missing = params((rules.REPORT_ID_QUERY, rules.FORMAT_QUERY), query={"format": "xml"})
    assert missing == (
        "query.report_id: Field required; query.format: Input should be 'json', 'csv' or 'html'"
    )


def test_a_name_repeated_in_the_query_is_a_list_no_parameter_takes():
    repeated = params(
        (rules.REPORT_ID_QUERY, rules.FORMAT_QUERY),
        query={"report_id": "latest", "format": "csv,html"},
        raw="report_id=latest&format=csv&format=html",
    )
    assert repeated[1] == "query.format: Input should be 'json', 'csv' or 'html'"
    as_of = params((rules.AS_OF_QUERY,), query={"as_of": "a,b"}, raw="as_of=a&as_of=b")
    assert as_of[1] == f"query.as_of: {STRING}"
    limit = params((rules.LIMIT_QUERY,), query={"limit": "1,2"}, raw="limit=1&limit=2")
    assert limit[1] == f"query.limit: {INTEGER}"


def test_a_route_declares_each_path_parameter_of_its_rule():
    """The route is called with its declared parameters only: one missing from the
    declaration would never reach it, so the route is refused when it is declared."""
    from storemon.service.lambda_entry import HttpFunction

    function = HttpFunction()
    with pytest.raises(ValueError, match="path parameters"):
        function.get("/stores/<store_id>/x", summary="x", responses=dict)(lambda store_id: None)
    with pytest.raises(ValueError, match="path parameters"):
        function.get("/x", params=(rules.STORE_ID_PATH,), summary="x", responses=dict)(print)
    function.get(
        "/stores/<store_id>/y", params=(rules.STORE_ID_PATH,), summary="y", responses=dict
    )(print)
    assert [route.rule for route in function.routes] == ["/stores/<store_id>/y"]
