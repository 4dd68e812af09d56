"""The local JWT authorizer against tokens of the template's user pool on a moto server: what
passes, what API Gateway would refuse (401), and the claims the function gets."""

from __future__ import annotations

import json
import time

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from storemon_dev.local.authorizer import (
    AuthorizationFailed,
    AuthorizerConfig,
    JwtAuthorizer,
    bearer_token,
    claim_text,
)
from storemon_dev.local.resources import load_template
from storemon_dev.local.userpool import (
    UserPool,
    UserPoolError,
    create_user_pool,
    find_user_pool,
    issue_token,
    role_groups,
)
from tests.harness import moto_signing_key, unverified

TEMPLATE = load_template()
CONFIG = AuthorizerConfig.from_api_properties(TEMPLATE["Resources"]["HttpApi"]["Properties"])


@pytest.fixture(scope="module")
def cognito(moto_endpoint: str):
    return boto3.client("cognito-idp", endpoint_url=moto_endpoint, region_name="us-east-1")


@pytest.fixture
def pool(cognito, moto_endpoint: str):
    """The template's pool, made for the test and deleted after it (the moto server is shared)."""
    made = create_user_pool(cognito, TEMPLATE, moto_endpoint)
    yield made
    cognito.delete_user_pool(UserPoolId=made.pool_id)


@pytest.fixture
def authorizer(pool: UserPool) -> JwtAuthorizer:
    assert CONFIG is not None
    return JwtAuthorizer(
        CONFIG, issuer=pool.issuer, audiences=[pool.client_id], jwks_url=pool.jwks_url
    )


def test_the_template_configures_the_scopes_and_header():
    assert CONFIG is not None
    assert CONFIG.name == "StoremonJwt"
    assert CONFIG.scopes == ("storemon/api", "aws.cognito.signin.user.admin")
    assert CONFIG.identity_header == "authorization"


def test_owner_token_passes_with_its_groups_as_api_gateway_renders_them(cognito, pool, authorizer):
    token = issue_token(cognito, pool, "olivia", stores=["1001", "0042"])
    claims = authorizer.verify(token)
    assert claims["username"] == "olivia"
    assert claims["token_use"] == "access"
    assert sorted(claims["cognito:groups"]) == ["store:0042", "store:1001"]
    context = authorizer.authorize([("Authorization", f"Bearer {token}")])
    rendered = context["jwt"]["claims"]
    assert rendered["cognito:groups"] in ("[store:1001 store:0042]", "[store:0042 store:1001]")
    assert rendered["exp"] == str(claims["exp"])
    assert context["jwt"]["scopes"] == ["aws.cognito.signin.user.admin"]


def test_token_updates_the_users_groups(cognito, pool, authorizer):
    issue_token(cognito, pool, "uma", stores=["1", "2"])
    token = issue_token(cognito, pool, "uma", stores=["2", "3"])
    assert sorted(authorizer.verify(token)["cognito:groups"]) == ["store:2", "store:3"]
    token = issue_token(cognito, pool, "uma", admin=True)
    assert authorizer.verify(token)["cognito:groups"] == ["admin"]


def test_the_pool_is_found_again_by_name(cognito, pool, moto_endpoint):
    assert find_user_pool(cognito, moto_endpoint) == pool


def test_a_user_needs_a_role():
    with pytest.raises(UserPoolError):
        role_groups(admin=False, stores=[" "])
    assert role_groups(admin=True, stores=[]) == {"admin"}


def test_the_token_may_come_without_bearer(cognito, pool, authorizer):
    token = issue_token(cognito, pool, "admin", admin=True)
    assert authorizer.authorize([("authorization", token)])["jwt"]["claims"]["username"] == "admin"


@pytest.mark.parametrize(
    "headers",
    [[], [("Authorization", "")], [("Authorization", "Bearer ")], [("X-Token", "abc")]],
)
def test_no_token_is_refused(authorizer, headers):
    with pytest.raises(AuthorizationFailed, match="no token"):
        authorizer.authorize(headers)


@pytest.mark.parametrize("garbage", ["abc", "a.b.c", "Bearer x.y", "eyJhbGciOi.eyJzdWIi.c2ln"])
def test_garbage_is_refused(authorizer, garbage):
    with pytest.raises(AuthorizationFailed):
        authorizer.authorize([("Authorization", f"Bearer {garbage}")])


def test_a_forged_signature_is_refused(cognito, pool, authorizer):
    claims = unverified(issue_token(cognito, pool, "mallory", stores=["1"]))
    claims["cognito:groups"] = ["admin"]
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": "dummy"})
    with pytest.raises(AuthorizationFailed, match="signature"):
        authorizer.verify(forged)
    header, payload, _ = forged.split(".")
    unsigned = jwt.encode(claims, None, algorithm="none")
    for token in (f"{header}.{payload}.", unsigned):
        with pytest.raises(AuthorizationFailed):
            authorizer.verify(token)


def test_an_expired_token_is_refused(cognito, pool, authorizer):
    claims = unverified(issue_token(cognito, pool, "admin", admin=True))
    claims["iat"] = claims["auth_time"] = int(time.time()) - 7200
    claims["exp"] = int(time.time()) - 3600
    expired = jwt.encode(claims, moto_signing_key(), algorithm="RS256", headers={"kid": "dummy"})
    with pytest.raises(AuthorizationFailed, match="expired"):
        authorizer.verify(expired)
    claims["exp"] = int(time.time()) + 3600  # the same, re-signed unexpired, passes
    fresh = jwt.encode(claims, moto_signing_key(), algorithm="RS256", headers={"kid": "dummy"})
    assert authorizer.verify(fresh)["username"] == "admin"


def test_a_token_of_another_app_client_is_refused(cognito, pool, authorizer):
    other = cognito.create_user_pool_client(UserPoolId=pool.pool_id, ClientName="someone-else")
    other_pool = UserPool(
        pool.endpoint, pool.region, pool.pool_id, other["UserPoolClient"]["ClientId"]
    )
    token = issue_token(cognito, other_pool, "admin", admin=True)
    with pytest.raises(AuthorizationFailed, match="audience"):
        authorizer.verify(token)


def test_an_aud_claim_wins_over_client_id(cognito, pool, authorizer):
    claims = unverified(issue_token(cognito, pool, "admin", admin=True))
    claims["aud"] = "someone-else"  # client_id is still ours
    token = jwt.encode(claims, moto_signing_key(), algorithm="RS256", headers={"kid": "dummy"})
    with pytest.raises(AuthorizationFailed, match="audience"):
        authorizer.verify(token)


def test_a_token_of_another_pool_is_refused(cognito, pool, authorizer, moto_endpoint):
    # moto signs every pool's tokens with the same key: only the issuer tells them apart
    pool_id = cognito.create_user_pool(PoolName="another")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="x")
    other = UserPool(moto_endpoint, "us-east-1", pool_id, client["UserPoolClient"]["ClientId"])
    token = issue_token(cognito, other, "admin", admin=True)
    with pytest.raises(AuthorizationFailed, match="issuer"):
        authorizer.verify(token)
    cognito.delete_user_pool(UserPoolId=pool_id)


def test_an_id_token_is_refused_for_want_of_a_scope(cognito, pool, authorizer):
    issue_token(cognito, pool, "admin", admin=True)
    cognito.admin_set_user_password(
        UserPoolId=pool.pool_id, Username="admin", Password="Aa1-known-password", Permanent=True
    )
    result = cognito.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "admin", "PASSWORD": "Aa1-known-password"},
    )["AuthenticationResult"]
    id_token = result["IdToken"]
    assert unverified(id_token)["aud"] == pool.client_id  # right issuer, audience, signature
    with pytest.raises(AuthorizationFailed, match="scopes"):
        authorizer.verify(id_token)
    assert authorizer.verify(result["AccessToken"])["username"] == "admin"


def test_a_resource_server_scope_passes(cognito, pool, authorizer):
    claims = unverified(issue_token(cognito, pool, "admin", admin=True))
    claims["scope"] = "openid storemon/api"
    token = jwt.encode(claims, moto_signing_key(), algorithm="RS256", headers={"kid": "dummy"})
    assert authorizer.verify(token)["scope"] == "openid storemon/api"
    claims["scope"] = "openid email"
    token = jwt.encode(claims, moto_signing_key(), algorithm="RS256", headers={"kid": "dummy"})
    with pytest.raises(AuthorizationFailed, match="scopes"):
        authorizer.verify(token)


def test_helpers():
    assert bearer_token([("AUTHORIZATION", "bearer  tok ")]) == "tok"
    assert claim_text(["a", "b"]) == "[a b]"
    assert claim_text(True) == "true"
    assert claim_text(12) == "12"


def test_the_gateway_runs_the_authorizer_before_the_function(cognito, pool, authorizer):
    from storemon_dev.local.apigw import HttpApiGateway, HttpRequest
    from storemon_dev.local.template import HttpRoute

    invoked: list[dict] = []

    def invoke(function: str, event: dict) -> dict:
        invoked.append(event)
        return {"statusCode": 200, "body": "{}"}

    gateway = HttpApiGateway(
        [HttpRoute("Fn", "GET", "/x")],
        invoke,
        account_id="123456789012",
        api_id="local",
        authorize=lambda request: authorizer.authorize(request.headers),
    )
    refused = gateway.handle(HttpRequest.from_target("GET", "/x"))
    assert refused.status == 401 and json.loads(refused.body) == {"message": "Unauthorized"}
    assert "no token" in (refused.header("www-authenticate") or "")
    assert invoked == []

    token = issue_token(cognito, pool, "olivia", stores=["1001"])
    request = HttpRequest.from_target("GET", "/x", headers=[("Authorization", f"Bearer {token}")])
    assert gateway.handle(request).status == 200
    jwt_context = invoked[0]["requestContext"]["authorizer"]["jwt"]
    assert jwt_context["claims"]["cognito:groups"] == "[store:1001]"
    assert jwt_context["claims"]["client_id"] == pool.client_id
    assert jwt_context["scopes"] == ["aws.cognito.signin.user.admin"]
