"""Authentication in front of the functions: every token API Gateway's JWT authorizer refuses
answers 401 {"message": "Unauthorized"} before any function runs (the request leaves no
report behind), through the template's HTTP API and user pool in this process; and a function
reached without verified claims refuses too (fails closed)."""

from __future__ import annotations

import base64
import json
import time

import boto3
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from storemon_dev.local.userpool import UserPool, issue_token
from tests.harness import resign, unverified
from tests.service.helpers import EVENTS, put_inputs


def _no_token(api) -> str | None:
    return None


def _garbage(api) -> str:
    return "not-a-jwt"


def _three_garbage_parts(api) -> str:
    return "eyJhbGciOi.eyJzdWIi.c2ln"


def _forged_signature(api) -> str:
    # an owner's token promoted to admin, signed with a key that is not the issuer's
    claims = unverified(api.token("mallory", stores=("1001",)))
    claims["cognito:groups"] = ["admin"]
    return resign(claims, rsa.generate_private_key(public_exponent=65537, key_size=2048))


def _tampered_payload(api) -> str:
    # the issuer's signature kept, the payload promoted to admin
    token = api.token("mallory", stores=("1001",))
    header, _, signature = token.split(".")
    claims = {**unverified(token), "cognito:groups": ["admin"]}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


def _unsigned(api) -> str:
    import jwt

    claims = unverified(api.token("admin", admin=True))
    return jwt.encode(claims, None, algorithm="none")


def _expired(api) -> str:
    claims = unverified(api.token("admin", admin=True))
    claims["iat"] = claims["auth_time"] = int(time.time()) - 7200
    claims["exp"] = int(time.time()) - 3600
    return resign(claims)


def _another_audience(api) -> str:
    # a genuine token of the same pool, for another app client
    pool = api.auth.pool
    other = api.auth.cognito.create_user_pool_client(UserPoolId=pool.pool_id, ClientName="other")
    client = UserPool(pool.endpoint, pool.region, pool.pool_id, other["UserPoolClient"]["ClientId"])
    return issue_token(api.auth.cognito, client, "admin", admin=True)


def _another_issuer(api) -> str:
    # a genuine token of another pool (moto signs every pool with the same key)
    cognito = api.auth.cognito
    pool_id = cognito.create_user_pool(PoolName="someone-else")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="x")
    other = UserPool(
        api.auth.pool.endpoint, "us-east-1", pool_id, client["UserPoolClient"]["ClientId"]
    )
    return issue_token(cognito, other, "admin", admin=True)


def _id_token(api) -> str:
    # the ID token of a genuine login: right issuer, audience and signature, but no scope
    pool, cognito = api.auth.pool, api.auth.cognito
    api.token("ada", admin=True)
    cognito.admin_set_user_password(
        UserPoolId=pool.pool_id, Username="ada", Password="Aa1-known-password", Permanent=True
    )
    result = cognito.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ada", "PASSWORD": "Aa1-known-password"},
    )["AuthenticationResult"]
    assert unverified(result["IdToken"])["token_use"] == "id"
    return str(result["IdToken"])


BAD_TOKENS = {
    "no token": _no_token,
    "garbage": _garbage,
    "garbage in three parts": _three_garbage_parts,
    "forged signature": _forged_signature,
    "tampered payload": _tampered_payload,
    "unsigned (alg none)": _unsigned,
    "expired": _expired,
    "another audience": _another_audience,
    "another issuer": _another_issuer,
    "ID token": _id_token,
}
REQUESTS = [
    ("POST", "/trigger_report"),
    ("GET", "/stores/1001/trigger_report"),
    ("GET", "/get_report/latest"),
    ("GET", "/reports"),
    ("GET", "/no/such/route"),
]


@pytest.mark.shared_stack
@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_a_bad_token_is_refused_before_any_function_runs(stack, api, kind):
    put_inputs(stack["bucket"])
    caller = api.with_token(BAD_TOKENS[kind](api))
    for method, path in REQUESTS:
        status, body, headers = caller.request(method, path)
        assert (status, body) == (401, {"message": "Unauthorized"}), (kind, method, path)
        assert headers["www-authenticate"].startswith('Bearer scope="" error="invalid_token"')
    # nothing ran: no report recorded, nothing queued
    assert boto3.client("dynamodb").scan(TableName=stack["table"])["Count"] == 0
    sqs = boto3.client("sqs")
    assert "Messages" not in sqs.receive_message(QueueUrl=stack["queue_url"], WaitTimeSeconds=0)


def test_the_same_calls_pass_with_the_access_token(stack, api):
    put_inputs(stack["bucket"])
    assert api.post("/trigger_report").status == 202
    assert api.get("/stores/1001/trigger_report").status == 202
    assert api.get("/reports").status == 200
    assert api.get("/no/such/route").status == 404


@pytest.mark.shared_stack
@pytest.mark.parametrize(
    "authorizer",
    [None, {}, {"jwt": {}}, {"jwt": {"claims": {}}}, {"jwt": {"claims": {"username": "x"}}}],
)
@pytest.mark.parametrize(
    "name", ["trigger_report.json", "store_trigger_get.json", "list_reports.json"]
)
def test_a_function_reached_without_claims_refuses(stack, api, name, authorizer):
    """Behind a misconfigured API (no authorizer) the functions still refuse: 401, JSON."""
    put_inputs(stack["bucket"])
    event = json.loads((EVENTS / name).read_text())
    if authorizer is None:
        event["requestContext"].pop("authorizer")
    else:
        event["requestContext"]["authorizer"] = authorizer
    status, body, headers = api.send_event(event)
    assert status == 401, body
    assert body["status"] == 401 and "access token" in body["error"]
    assert headers["content-type"] == "application/json"
    assert boto3.client("dynamodb").scan(TableName=stack["table"])["Count"] == 0
