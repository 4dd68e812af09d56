"""The template's Cognito user pool on the emulator, its users, and their access tokens.

``create_user_pool`` makes the pool, the resource server, the app client and the groups of
``template.yaml`` (``AWS::Cognito::*`` resources) on a moto endpoint; ``find_user_pool`` finds them
again from another process (``storemon token``); ``issue_token`` creates or updates a user, puts it
in exactly the groups of its role and logs it in with the app client (``InitiateAuth``,
``USER_PASSWORD_AUTH``, as a user would on AWS), returning the access token.

Roles are groups, because Cognito puts a user's groups (``cognito:groups``) in ACCESS tokens,
while custom attributes only reach ID tokens: ``admin`` for an administrator, ``store:<id>`` for
each store an owner may see.

What moto's tokens look like (checked against moto 5): an access token carries ``iss``
(``https://cognito-idp.<region>.amazonaws.com/<pool id>``), ``client_id`` and no ``aud``,
``token_use: access``, ``scope: aws.cognito.signin.user.admin`` (resource-server scopes never
reach password-login tokens, as on AWS), ``cognito:groups``, ``username``, ``exp`` one hour after
``iat``; an ID token has ``aud`` and no ``scope``. Every pool signs with one RSA key (``kid``
"dummy") published at ``<endpoint>/<pool id>/.well-known/jwks.json``.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from storemon.service.authz import store_group_problem

POOL_NAME = "storemon-users"
DEFAULT_CLIENT_NAME = "storemon-api"
ADMIN_GROUP = "admin"
STORE_GROUP_PREFIX = "store:"
ADMIN_USER = "admin"
REGION = "us-east-1"  # the local stack's region


class UserPoolError(RuntimeError):
    """The user pool, its client or a user cannot be found or made."""


@dataclass(frozen=True)
class UserPool:
    endpoint: str
    region: str
    pool_id: str
    client_id: str

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"

    @property
    def jwks_url(self) -> str:
        return f"{self.endpoint}/{self.pool_id}/.well-known/jwks.json"


def _of_type(template: dict, type_name: str) -> dict[str, dict]:
    resources = template.get("Resources") or {}
    return {k: v.get("Properties") or {} for k, v in resources.items() if v["Type"] == type_name}


def _only(template: dict, type_name: str) -> dict:
    found = _of_type(template, type_name)
    if len(found) != 1:
        raise UserPoolError(f"template.yaml needs exactly one {type_name}, has {len(found)}")
    return next(iter(found.values()))


def create_user_pool(cognito: Any, template: dict, endpoint: str) -> UserPool:
    """The template's user pool, resource server, app client and groups, on `cognito`."""
    props = _only(template, "AWS::Cognito::UserPool")
    settings = {k: props[k] for k in ("Policies", "UsernameConfiguration") if k in props}
    pool_id = cognito.create_user_pool(PoolName=POOL_NAME, **settings)["UserPool"]["Id"]
    server = _only(template, "AWS::Cognito::UserPoolResourceServer")
    cognito.create_resource_server(
        UserPoolId=pool_id,
        Identifier=server["Identifier"],
        Name=server["Name"],
        Scopes=server.get("Scopes") or [],
    )
    client = _only(template, "AWS::Cognito::UserPoolClient")
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=client.get("ClientName", DEFAULT_CLIENT_NAME),
        GenerateSecret=False,
        ExplicitAuthFlows=client.get("ExplicitAuthFlows") or ["ALLOW_USER_PASSWORD_AUTH"],
    )["UserPoolClient"]["ClientId"]
    for group in _of_type(template, "AWS::Cognito::UserPoolGroup").values():
        description = group.get("Description", "")
        cognito.create_group(
            UserPoolId=pool_id, GroupName=group["GroupName"], Description=description
        )
    return UserPool(endpoint, cognito.meta.region_name, pool_id, client_id)


def find_user_pool(cognito: Any, endpoint: str) -> UserPool:
    """The local stack's pool (by name) and its only app client, on `cognito`."""
    pools = [
        p["Id"]
        for p in cognito.list_user_pools(MaxResults=60)["UserPools"]
        if p["Name"] == POOL_NAME
    ]
    if len(pools) != 1:
        raise UserPoolError(f"{endpoint}: no user pool {POOL_NAME!r} (is `storemon serve` on it?)")
    clients = cognito.list_user_pool_clients(UserPoolId=pools[0], MaxResults=60)
    ids = [c["ClientId"] for c in clients["UserPoolClients"]]
    if len(ids) != 1:
        raise UserPoolError(f"user pool {pools[0]} has {len(ids)} app clients, expected 1")
    return UserPool(endpoint, cognito.meta.region_name, pools[0], ids[0])


def role_groups(*, admin: bool, stores: Iterable[str]) -> set[str]:
    """The groups of a role: ``admin``, or ``store:<id>`` per owned store. A store id with
    whitespace or a comma is refused (UserPoolError): its group would grant nothing."""
    owned = [s.strip() for s in stores if s.strip()]
    problems = [p for p in map(store_group_problem, owned) if p]
    if problems:
        raise UserPoolError("; ".join(problems))
    groups = {STORE_GROUP_PREFIX + s for s in owned}
    if admin:
        groups.add(ADMIN_GROUP)
    if not groups:
        raise UserPoolError("a user needs --admin or at least one store")
    return groups


def _password() -> str:
    # any policy: 32 characters with lower and upper case, digits and a symbol
    alphabet = string.ascii_letters + string.digits
    return "Aa1!" + "".join(secrets.choice(alphabet) for _ in range(28))


def _ensure_user(cognito: Any, pool_id: str, username: str) -> None:
    try:
        cognito.admin_get_user(UserPoolId=pool_id, Username=username)
    except cognito.exceptions.UserNotFoundException:
        cognito.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")


def _set_groups(cognito: Any, pool_id: str, username: str, groups: set[str]) -> None:
    listed = cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username=username)
    current = {g["GroupName"] for g in listed["Groups"]}
    for group in sorted(current - groups):
        cognito.admin_remove_user_from_group(UserPoolId=pool_id, Username=username, GroupName=group)
    existing = {g["GroupName"] for g in cognito.list_groups(UserPoolId=pool_id)["Groups"]}
    for group in sorted(groups - current):
        if group not in existing:
            cognito.create_group(UserPoolId=pool_id, GroupName=group)
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)


def issue_token(
    cognito: Any, pool: UserPool, username: str, *, admin: bool = False, stores: Iterable[str] = ()
) -> str:
    """Create or update `username` with exactly its role's groups; a fresh access token."""
    return token_in_groups(cognito, pool, username, role_groups(admin=admin, stores=stores))


def token_in_groups(cognito: Any, pool: UserPool, username: str, groups: set[str]) -> str:
    """Create or update `username` in exactly these groups (created as needed, whatever their
    names); a fresh access token."""
    _ensure_user(cognito, pool.pool_id, username)
    _set_groups(cognito, pool.pool_id, username, groups)
    password = _password()
    cognito.admin_set_user_password(
        UserPoolId=pool.pool_id, Username=username, Password=password, Permanent=True
    )
    result = cognito.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return str(result["AuthenticationResult"]["AccessToken"])


def token_command(endpoint: str, username: str, *, admin: bool, stores: str | None) -> int:
    """``storemon token``: print a fresh access token of `username` in the pool of the local
    stack at `endpoint`; 2 with the reason on stderr when that cannot be done."""
    import sys

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    owned = [s.strip() for s in (stores or "").split(",") if s.strip()]
    try:
        pool = find_user_pool(cognito, endpoint)
        token = issue_token(cognito, pool, username, admin=admin, stores=owned)
    except (UserPoolError, BotoCoreError, ClientError) as exc:
        print(f"storemon token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0
