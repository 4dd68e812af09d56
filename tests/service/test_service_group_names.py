"""Issue 17, finding 2: a group grants a role only when its whole name is exactly ``admin`` or
``store:<id>``. Before, names were split on commas and whitespace: a user in a group named
``store:<A> admin`` or ``store:<A>,admin`` was an administrator, and ``store:<A>,store:<B>`` read
store B. Through the template's API with real access tokens of the pool (groups created with
those names on moto's Cognito) and, for an external identity provider whose group names may
hold spaces, a token signed by the issuer's own key."""

from __future__ import annotations

import pytest

from storemon_dev.local.userpool import UserPoolError, role_groups, token_in_groups
from tests.harness import resign, unverified
from tests.service.helpers import put_inputs


@pytest.fixture
def refreshed(live_stack, api, worker_queue):
    """The inputs uploaded and ``latest`` complete (once for the module's shared stack)."""
    status, latest, _ = api.get("/get_report/latest")
    if status != 200:
        put_inputs(live_stack["bucket"])
        worker_queue.drain()
        latest = api.get("/get_report/latest")[1]
    assert latest["status"] == "Complete"
    return api


def _as_groups(api, username: str, groups: set[str]):
    token = token_in_groups(api.auth.cognito, api.auth.pool, username, groups)
    return api.with_token(token)


@pytest.mark.shared_stack
@pytest.mark.parametrize(
    "group",
    [
        "store:1001 admin",  # a space: API Gateway renders it "[store:1001 admin]"
        "store:1001,admin",
        "admin,store:1001",
        "admin ",
        "Admin",
        "store:admin",
    ],
)
def test_a_group_name_that_is_not_exactly_admin_is_not_admin(refreshed, group):
    caller = _as_groups(refreshed, "mallory", {group})
    assert caller.get("/reports")[0] == 403
    assert caller.get("/get_report/latest")[0] == 403
    assert caller.post("/trigger_report")[0] == 403


@pytest.mark.shared_stack
@pytest.mark.parametrize("group", ["store:1001,store:0042", "store:1001 store:0042"])
def test_a_group_naming_two_stores_grants_neither(refreshed, group):
    caller = _as_groups(refreshed, "mallory", {group})
    assert caller.get("/stores/0042/report")[0] == 403
    assert caller.get("/stores/1001/report")[0] == 403


@pytest.mark.shared_stack
def test_exact_groups_still_grant_their_roles(refreshed):
    owner = _as_groups(refreshed, "g-owner", {"store:1001", "store:0042"})
    assert owner.get("/stores/0042/report")[0] == 200
    assert owner.get("/stores/1001/report")[0] == 200
    assert owner.get("/reports")[0] == 403
    admin = _as_groups(refreshed, "g-admin", {"admin", "store:1001 x"})
    assert admin.get("/reports")[0] == 200


@pytest.mark.shared_stack
def test_an_external_providers_group_with_a_space_grants_nothing(refreshed):
    """Another issuer (Okta...) may allow spaces in group names; the verified token's own
    list is read, so "store:1001 admin" is one name, not the groups store:1001 and admin."""
    token = token_in_groups(refreshed.auth.cognito, refreshed.auth.pool, "eve", {"store:1001"})
    claims = unverified(token) | {"cognito:groups": ["store:1001 admin"]}
    caller = refreshed.with_token(resign(claims))
    assert caller.get("/reports")[0] == 403
    assert caller.get("/stores/1001/report")[0] == 403
    claims["cognito:groups"] = ["store:1001", "admin"]  # two real groups: an administrator
    assert refreshed.with_token(resign(claims)).get("/reports")[0] == 200


@pytest.mark.parametrize("store_id", ["10 01", "1001\t", "a,b"])
def test_storemon_token_refuses_store_ids_that_cannot_be_groups(store_id):
    with pytest.raises(UserPoolError, match="whitespace or a comma"):
        role_groups(admin=False, stores=[f" {store_id}x"])


def test_store_ids_of_other_characters_are_groups():
    assert role_groups(admin=False, stores=["0042", "a:b/c", "é"]) == {
        "store:0042",
        "store:a:b/c",
        "store:é",
    }
