"""storemon_dev.iam.policy: the IAM subset the template uses, each rule against a hand-worked
case from the IAM User Guide (policy evaluation logic, condition operators)."""

from __future__ import annotations

import pytest

from storemon_dev.iam.policy import (
    ALLOW,
    DENY,
    IMPLICIT_DENY,
    Request,
    UnsupportedPolicy,
    conditions_hold,
    evaluate,
    principal_policy,
    resource_matches,
    string_like,
)

BUCKET = "arn:aws:s3:::data"
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/reports"


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource, **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("input/*", "input/store_status.csv", True),
        ("input/*", "input/", True),
        ("input/*", "inputs/x", False),
        ("snapshots/*", "input/x", False),
        ("a?c", "abc", True),
        ("a?c", "abbc", False),
        ("*", "", True),
        ("a.c", "abc", False),  # regex characters are literal
        ("x[1]", "x[1]", True),
    ],
)
def test_string_like(pattern, value, expected):
    assert string_like(pattern, value) is expected


def test_resources_match_segment_by_segment():
    assert resource_matches(f"{BUCKET}/input/*", f"{BUCKET}/input/a.csv")
    assert not resource_matches(f"{BUCKET}/input/*", f"{BUCKET}/reports/a.csv")
    assert not resource_matches(f"{BUCKET}/input/*", BUCKET)  # the bucket is not its objects
    assert resource_matches("*", TABLE)
    # a wildcard does not cross a segment: region "*" matches one region, not "us-east-1:1234"
    assert resource_matches("arn:aws:dynamodb:*:123456789012:table/reports", TABLE)
    assert not resource_matches("arn:aws:dynamodb:*:table/reports", TABLE)
    assert resource_matches(f"{TABLE}/index/*", f"{TABLE}/index/ByCreated")
    assert not resource_matches(TABLE, f"{TABLE}/index/ByCreated")


def test_actions_ignore_case_and_take_wildcards():
    doc = policy(allow("S3:get*", f"{BUCKET}/*"))
    assert evaluate([doc], Request("s3:GetObject", f"{BUCKET}/k")).allowed
    assert not evaluate([doc], Request("s3:PutObject", f"{BUCKET}/k")).allowed


def test_an_explicit_deny_wins_over_any_allow():
    docs = [
        policy(allow("s3:*", "*")),
        policy({"Sid": "No", "Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"}),
    ]
    decision = evaluate(docs, Request("s3:PutObject", f"{BUCKET}/k"))
    assert (decision.effect, decision.statements) == (DENY, ("No",))
    assert evaluate(docs, Request("s3:GetObject", f"{BUCKET}/k")).effect == ALLOW


def test_nothing_matching_is_an_implicit_deny():
    decision = evaluate(
        [policy(allow("s3:GetObject", f"{BUCKET}/input/*"))],
        Request("s3:GetObject", f"{BUCKET}/snapshots/x"),
    )
    assert decision.effect == IMPLICIT_DENY and not decision.allowed


def test_not_action_and_not_resource():
    doc = policy({"Effect": "Allow", "NotAction": "s3:DeleteObject", "NotResource": f"{BUCKET}/x"})
    assert evaluate([doc], Request("s3:GetObject", f"{BUCKET}/y")).allowed
    assert not evaluate([doc], Request("s3:DeleteObject", f"{BUCKET}/y")).allowed
    assert not evaluate([doc], Request("s3:GetObject", f"{BUCKET}/x")).allowed


def test_a_single_statement_object_is_a_policy():
    doc = {"Statement": allow("sqs:SendMessage", "*")}
    assert evaluate([doc], Request("sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q")).allowed


def test_an_allow_whose_condition_fails_allows_nothing_and_denies_nothing():
    """moto's evaluator makes this an explicit Deny; in IAM it is only not an Allow."""
    docs = [
        policy(allow("s3:ListBucket", BUCKET, Condition={"StringLike": {"s3:prefix": "input/*"}})),
        policy(allow("s3:ListBucket", BUCKET)),
    ]
    assert evaluate(docs, Request("s3:ListBucket", BUCKET, {"s3:prefix": "reports/x"})).allowed
    alone = evaluate(docs[:1], Request("s3:ListBucket", BUCKET, {"s3:prefix": "reports/x"}))
    assert alone.effect == IMPLICIT_DENY


LISTING = {"StringLike": {"s3:prefix": ["reports/*", "snapshots/*"]}}


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"s3:prefix": "snapshots/abc/snapshot.bin"}, True),
        ({"s3:prefix": "reports/1/stores.json"}, True),  # the values of one key are OR-ed
        ({"s3:prefix": "input/store_status.csv"}, False),
        ({}, False),  # a positive operator on a missing key is false
    ],
)
def test_string_like_condition(context, expected):
    assert conditions_hold(LISTING, context) is expected


NOT_POINTERS = {"ForAllValues:StringNotEquals": {"dynamodb:LeadingKeys": ["latest", "uploads"]}}


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["3f1c2b9e-8d4a-4c55-9e2f-0b6a7d1e5c42"], True),
        (["latest"], False),
        (["uploads"], False),  # a negated operator: the key must match none of the values
        (["a", "latest"], False),  # ForAllValues: every value must pass
        ([], True),  # ForAllValues of an empty set is true
    ],
)
def test_for_all_values_string_not_equals(keys, expected):
    assert conditions_hold(NOT_POINTERS, {"dynamodb:LeadingKeys": keys}) is expected


def test_for_all_values_of_a_missing_key_is_true_and_for_any_value_false():
    assert conditions_hold(NOT_POINTERS, {})
    assert not conditions_hold({"ForAnyValue:StringEquals": {"k": ["a"]}}, {})
    assert conditions_hold({"ForAnyValue:StringEquals": {"k": ["a"]}}, {"k": ["b", "a"]})


def test_negated_operators_on_a_missing_key_hold_and_if_exists():
    assert conditions_hold({"StringNotEquals": {"k": "a"}}, {})
    assert not conditions_hold({"StringEquals": {"k": "a"}}, {})
    assert conditions_hold({"StringEqualsIfExists": {"k": "a"}}, {})
    assert not conditions_hold({"StringEqualsIfExists": {"k": "a"}}, {"k": "b"})


def test_operators_and_keys_are_and_ed():
    block = {"StringEquals": {"a": "1", "b": "2"}, "Bool": {"aws:SecureTransport": "true"}}
    assert conditions_hold(block, {"a": "1", "b": "2", "aws:SecureTransport": "true"})
    assert not conditions_hold(block, {"a": "1", "b": "3", "aws:SecureTransport": "true"})
    assert not conditions_hold(block, {"a": "1", "b": "2", "aws:SecureTransport": "false"})


def test_null_numeric_and_arn_operators():
    assert conditions_hold({"Null": {"k": "true"}}, {})
    assert not conditions_hold({"Null": {"k": "true"}}, {"k": "x"})
    assert conditions_hold({"NumericLessThanEquals": {"n": "3600"}}, {"n": "3600"})
    assert not conditions_hold({"NumericLessThan": {"n": "3600"}}, {"n": "3600"})
    assert conditions_hold(
        {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::storemon-data-*"}},
        {"aws:SourceArn": "arn:aws:s3:::storemon-data-0000"},
    )


def test_a_single_valued_operator_on_a_multivalued_key_is_refused():
    with pytest.raises(UnsupportedPolicy, match="set operator"):
        conditions_hold({"StringEquals": {"k": "a"}}, {"k": ["a", "b"]})


@pytest.mark.parametrize(
    "statement",
    [
        allow("s3:GetObject", "*", Condition={"DateLessThan": {"aws:CurrentTime": "2030"}}),
        allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}/*"),
        {"Effect": "Allow", "Action": "s3:GetObject"},  # no Resource
        {"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"},
        allow("s3:GetObject", "*", Principal="*"),
    ],
)
def test_what_is_outside_the_subset_is_refused_not_guessed(statement):
    with pytest.raises(UnsupportedPolicy):
        evaluate([policy(statement)], Request("s3:GetObject", f"{BUCKET}/k"))


def test_a_bucket_policy_applies_to_the_principals_it_names():
    bucket_policy = policy(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [BUCKET, f"{BUCKET}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::1:role/other"},
            "Action": "s3:*",
            "Resource": "*",
        },
    )
    mine = principal_policy(bucket_policy, "arn:aws:iam::1:role/mine")
    assert [s["Sid"] for s in mine["Statement"]] == ["DenyInsecureTransport"]
    insecure = Request("s3:GetObject", f"{BUCKET}/k", {"aws:SecureTransport": "false"})
    secure = Request("s3:GetObject", f"{BUCKET}/k", {"aws:SecureTransport": "true"})
    assert evaluate([mine], insecure).effect == DENY
    assert evaluate([mine], secure).effect == IMPLICIT_DENY
