"""storemon.service.authz: principals from verified claims (as API Gateway renders them) and
the owner / administrator rules."""

from __future__ import annotations

import pytest

from storemon.errors import Forbidden, Unauthorized
from storemon.service import authz
from storemon.service.authz import Principal

OWNER = Principal("sub-olivia", "olivia", admin=False, stores=frozenset({"1001", "0042"}))
ADMIN = Principal("sub-ada", "ada", admin=True, stores=frozenset())


def claims(groups, **extra) -> dict:
    return {"sub": "sub-1", "username": "u1", "cognito:groups": groups, **extra}


@pytest.mark.parametrize(
    ("groups", "admin", "stores"),
    [
        ("[admin]", True, set()),  # API Gateway's rendering of a one-item list
        ("[store:1001 store:0042]", False, {"1001", "0042"}),
        ("[admin store:7]", True, {"7"}),
        (["store:1001", "store:0042"], False, {"1001", "0042"}),  # a real list
        ('["store:1001", "admin"]', True, {"1001"}),  # a JSON array
        ("", False, set()),
        (None, False, set()),
        ("[administrator store: storex:1]", False, set()),  # near misses give nothing
        # issue 17: only a whole name exactly admin or store:<id> grants anything; commas
        # separate nothing and ids with whitespace or commas are no one's
        ("store:1001,store:9", False, set()),
        ("[store:1001,admin]", False, set()),
        (["store:1001 admin"], False, set()),
        (["store:1001,store:9"], False, set()),
        (["admin ", "Admin", " store:1"], False, set()),
        ('["store:1001", "store:a,b", "store:"]', False, {"1001"}),
    ],
)
def test_principal_from_claims(groups, admin, stores):
    principal = Principal.from_claims(claims(groups))
    assert principal.subject == "sub-1"
    assert principal.username == "u1"
    assert principal.admin is admin
    assert principal.stores == frozenset(stores)
    assert principal.role == ("admin" if admin else "owner")


@pytest.mark.parametrize("bad", [None, {}, {"username": "x"}, {"sub": "  "}])
def test_no_identity_is_unauthorized(bad):
    with pytest.raises(Unauthorized, match="access token"):
        Principal.from_claims(bad)


def test_the_groups_claim_is_configurable(monkeypatch):
    monkeypatch.setenv("AUTH_GROUPS_CLAIM", "groups")
    principal = Principal.from_claims(
        {"sub": "s", "groups": "[store:5]", "cognito:groups": "[admin]"}
    )
    assert (principal.admin, principal.stores) == (False, frozenset({"5"}))
    monkeypatch.delenv("AUTH_GROUPS_CLAIM")
    assert authz.groups_claim() == "cognito:groups"


def test_claims_that_are_not_a_mapping_are_no_identity():
    event = {"requestContext": {"authorizer": {"jwt": {"claims": "[admin]"}}}}
    with pytest.raises(Unauthorized):
        authz.principal_from_event(event)


def test_id_token_user_name_and_event_claims():
    principal = Principal.from_claims({"sub": "s", "cognito:username": "idu"})
    assert principal.username == "idu"
    event = {"requestContext": {"authorizer": {"jwt": {"claims": claims("[admin]")}}}}
    assert authz.principal_from_event(event).admin
    for event in ({}, {"requestContext": {}}, {"requestContext": {"authorizer": {}}}):
        with pytest.raises(Unauthorized):
            authz.principal_from_event(event)


def test_require_admin():
    authz.require_admin(ADMIN, "the report list")
    with pytest.raises(Forbidden, match="the report list is for administrators only"):
        authz.require_admin(OWNER, "the report list")


def test_require_stores():
    authz.require_stores(OWNER, ["1001"])
    authz.require_stores(OWNER, ["0042", "1001"])
    authz.require_stores(ADMIN, ["anything"])
    authz.require_stores(ADMIN, None)
    with pytest.raises(Forbidden, match="every store is for administrators only"):
        authz.require_stores(OWNER, None)
    with pytest.raises(Forbidden, match=r"store\(s\) 2002, 3003:"):
        authz.require_stores(OWNER, ["1001", "3003", "2002"])
    with pytest.raises(Forbidden, match=r"store\(s\) 42"):  # ids are strings: 42 is not 0042
        authz.require_stores(OWNER, ["42"])


def record(by: str | None, store_ids: list[str] | None) -> dict:
    return {"report_id": "r", "requested_by": by, "request": {"store_ids": store_ids}}


def test_require_store():
    authz.require_store(OWNER, "1001")
    authz.require_store(ADMIN, "2002")
    with pytest.raises(Forbidden, match=r"store\(s\) 2002: you may see only your own stores"):
        authz.require_store(OWNER, "2002")


def test_refusals_name_at_most_ten_stores():
    many = [f"s{i:02d}" for i in range(12)]
    with pytest.raises(Forbidden) as refused:
        authz.require_stores(OWNER, many)
    assert "s09 ..." in str(refused.value) and "s10" not in str(refused.value)


def test_require_readable():
    authz.require_readable(OWNER, record("sub-olivia", ["1001"]))
    authz.require_readable(OWNER, record("sub-olivia", ["1001", "0042"]))
    for rec in (record("sub-ada", ["1001"]), record("sub-olivia", None), record(None, None)):
        authz.require_readable(ADMIN, rec)
    refused = [
        record("sub-ada", ["1001"]),  # an admin's report of the owner's store
        record("sub-someone", ["1001"]),  # another owner's
        record(None, None),  # a refresh
        record("sub-olivia", None),  # a full report (cannot happen, still no)
        record("sub-olivia", ["1001", "2002"]),  # a store no longer theirs
        {"report_id": "r"},
    ]
    for rec in refused:
        assert authz.can_read(OWNER, rec) is False
        with pytest.raises(Forbidden, match="not yours"):
            authz.require_readable(OWNER, rec)
    assert authz.can_read(OWNER, record("sub-olivia", ["1001"])) is True


def test_requester():
    assert authz.requester(OWNER) == {"requested_by": "sub-olivia", "requested_by_name": "olivia"}


def _event(claims: dict, token_claims: dict | None) -> dict:
    import base64
    import json

    headers = {}
    if token_claims is not None:
        body = base64.urlsafe_b64encode(json.dumps(token_claims).encode()).decode().rstrip("=")
        headers["authorization"] = f"Bearer eyJhbGciOiJSUzI1NiJ9.{body}.c2ln"
    return {"headers": headers, "requestContext": {"authorizer": {"jwt": {"claims": claims}}}}


def test_the_verified_tokens_own_group_names_are_read():
    """API Gateway renders ["store:1001 admin"] as "[store:1001 admin]", the same string as
    two groups; the token in the Authorization header (the one API Gateway verified) tells."""
    rendered = claims("[store:1001 admin]")
    one = authz.principal_from_event(
        _event(rendered, {"sub": "sub-1", "cognito:groups": ["store:1001 admin"]})
    )
    assert (one.admin, one.stores) == (False, frozenset())
    two = authz.principal_from_event(
        _event(rendered, {"sub": "sub-1", "cognito:groups": ["store:1001", "admin"]})
    )
    assert (two.admin, two.stores) == (True, frozenset({"1001"}))


@pytest.mark.parametrize(
    "token_claims",
    [
        {"sub": "someone-else", "cognito:groups": ["admin"]},  # not the verified token
        {"sub": "sub-1", "cognito:groups": ["admin", "store:2"]},  # renders differently
        {"sub": "sub-1"},  # groups the verified claims have, missing from the token
    ],
)
def test_a_token_that_does_not_match_the_verified_claims_grants_nothing(token_claims):
    principal = authz.principal_from_event(_event(claims("[admin]"), token_claims))
    assert (principal.admin, principal.stores) == (False, frozenset())


def test_without_a_readable_token_the_rendered_claim_is_read():
    for token in (None, {"not": "a dict"}):
        event = _event(claims("[admin store:7]"), None)
        if token is not None:
            event["headers"]["authorization"] = "Bearer not-a-jwt"
        principal = authz.principal_from_event(event)
        assert (principal.admin, principal.stores) == (True, frozenset({"7"}))


def test_store_group_problem():
    assert authz.store_group_problem("0042") is None
    assert authz.store_group_problem("") == "an empty store id"
    for bad in ("a b", "a,b", "a\nb"):
        assert "whitespace or a comma" in (authz.store_group_problem(bad) or "")
