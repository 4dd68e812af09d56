"""Authorization of the local stack: the template's user pool on the emulator and its HTTP API's
JWT authorizer in front of every route, as on AWS.

``LocalAuth.create`` reads the HTTP API's default authorizer from the template (none: the stack
runs without authorization, as such a template would on AWS), creates the user pool
(``storemon_dev.local.userpool``) and verifies each request with
``storemon_dev.local.authorizer.JwtAuthorizer`` against the pool's issuer, app client and JWKS.

``enforce=False`` (``storemon serve --no-auth``) keeps the pool (tokens can still be issued) but
lets every request through as an administrator: the functions always get claims, so they never
run unauthenticated by accident, and the open door is the operator's explicit choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storemon_dev.local.apigw import HttpRequest
from storemon_dev.local.authorizer import AuthorizerConfig, JwtAuthorizer, authorizer_context
from storemon_dev.local.template import Template
from storemon_dev.local.userpool import (
    ADMIN_GROUP,
    ADMIN_USER,
    UserPool,
    create_user_pool,
    issue_token,
)

HTTP_API = "AWS::Serverless::HttpApi"
# What every request carries with --no-auth: an administrator that no token stands behind.
OPEN_CLAIMS: dict[str, Any] = {
    "sub": "no-auth",
    "username": "no-auth",
    "token_use": "access",
    "scope": "aws.cognito.signin.user.admin",
    "cognito:groups": [ADMIN_GROUP],
}


def authorizer_config(template: Template) -> AuthorizerConfig | None:
    """The default JWT authorizer of the template's HTTP API (None when it has none)."""
    apis = template.of_type(HTTP_API)
    if len(apis) != 1:
        return None
    ((logical_id, _),) = apis.items()
    return AuthorizerConfig.from_api_properties(template.properties(logical_id))


@dataclass
class LocalAuth:
    pool: UserPool
    cognito: Any
    authorizer: JwtAuthorizer | None  # None: --no-auth

    @classmethod
    def create(
        cls, template: Template, cognito: Any, endpoint: str, *, enforce: bool = True
    ) -> LocalAuth | None:
        config = authorizer_config(template)
        if config is None:
            return None
        pool = create_user_pool(cognito, template.data, endpoint)
        authorizer = None
        if enforce:
            authorizer = JwtAuthorizer(
                config, issuer=pool.issuer, audiences=[pool.client_id], jwks_url=pool.jwks_url
            )
        return cls(pool, cognito, authorizer)

    @property
    def enforced(self) -> bool:
        return self.authorizer is not None

    def authorize(self, request: HttpRequest) -> dict[str, Any]:
        """``requestContext.authorizer`` for the request; AuthorizationFailed when refused."""
        if self.authorizer is None:
            return authorizer_context(OPEN_CLAIMS)
        return self.authorizer.authorize(request.headers)

    def token(self, username: str = ADMIN_USER, *, admin: bool = True, stores: tuple = ()) -> str:
        """A fresh access token of `username` (created or updated with that role)."""
        return issue_token(self.cognito, self.pool, username, admin=admin, stores=stores)
