"""API Gateway's JWT authorizer, locally: the checks an HTTP API makes before a route's
function runs, and the claims it hands the function.

The rules are the documented ones of HTTP API JWT authorizers
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html):

1. the token is the identity source (``Authorization``), alone or after ``Bearer``;
2. its signature (RSA algorithms only) checks against the key of the issuer's JWKS named by the
   token's ``kid``;
3. ``iss`` is the configured issuer; ``aud`` is one of the configured audiences, or, when the
   token has no ``aud`` (Cognito access tokens), ``client_id`` is; ``exp`` is in the future,
   ``nbf`` and ``iat`` (when present) are not;
4. the token carries at least one of the route's scopes in ``scope`` (space-separated) or ``scp``.

Any failure answers ``401 {"message": "Unauthorized"}`` with a ``www-authenticate`` header saying
why, as API Gateway does. What passes reaches the function as
``requestContext.authorizer.jwt.claims`` (every value a string, lists as ``[a b]``, as API Gateway
renders them) and ``requestContext.authorizer.jwt.scopes``.

Verification uses PyJWT (with ``cryptography``); nothing here parses or checks a signature itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt

RSA_ALGORITHMS = ["RS256", "RS384", "RS512"]
UNAUTHORIZED = {"message": "Unauthorized"}
JWKS_CACHE_SECONDS = 7200  # API Gateway caches an issuer's public keys up to two hours


class AuthorizationFailed(Exception):
    """The request does not get through the authorizer; ``str(error)`` says why."""


@dataclass(frozen=True)
class AuthorizerConfig:
    """One JWT authorizer of the template's HTTP API (``Auth.Authorizers.<name>``)."""

    name: str
    scopes: tuple[str, ...]
    identity_header: str = "authorization"

    @classmethod
    def from_api_properties(cls, api: Mapping[str, Any]) -> AuthorizerConfig | None:
        """The default authorizer of an ``AWS::Serverless::HttpApi``'s properties (None if the
        API has none)."""
        auth = api.get("Auth") or {}
        name = auth.get("DefaultAuthorizer")
        if not name:
            return None
        spec = (auth.get("Authorizers") or {}).get(name)
        if spec is None:
            raise ValueError(f"HttpApi Auth: DefaultAuthorizer {name!r} is not in Authorizers")
        source = str(spec.get("IdentitySource", "$request.header.Authorization"))
        prefix = "$request.header."
        if not source.startswith(prefix):
            raise ValueError(f"authorizer {name}: identity source {source!r} is not a header")
        return cls(
            name=name,
            scopes=tuple(str(s) for s in spec.get("AuthorizationScopes") or ()),
            identity_header=source[len(prefix) :].lower(),
        )


def bearer_token(headers: Iterable[tuple[str, str]], header: str = "authorization") -> str:
    """The token of the identity-source header: its value, without a ``Bearer`` prefix."""
    value = next((v for k, v in headers if k.lower() == header), "").strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        value = rest.strip()
    if not value:
        raise AuthorizationFailed("no token in the identity source")
    return value


def token_scopes(claims: Mapping[str, Any]) -> list[str]:
    """The scopes a token carries: ``scope`` (space-separated) or ``scp`` (list or string)."""
    scopes: list[str] = []
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            scopes.extend(value.split())
        elif isinstance(value, list):
            scopes.extend(str(item) for item in value)
    return scopes


def claim_text(value: Any) -> str:
    """A claim as API Gateway puts it in the event: a string (lists as ``[a b]``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(claim_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


class JwtAuthorizer:
    """Verifies access tokens of one issuer for the configured audiences and scopes."""

    def __init__(
        self,
        config: AuthorizerConfig,
        *,
        issuer: str,
        audiences: Iterable[str],
        jwks_url: str,
    ):
        self.config = config
        self.issuer = issuer
        self.audiences = frozenset(audiences)
        self.jwks = jwt.PyJWKClient(jwks_url, cache_jwk_set=True, lifespan=JWKS_CACHE_SECONDS)

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims once every check has passed; AuthorizationFailed otherwise."""
        try:
            key = self.jwks.get_signing_key_from_jwt(token).key
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=RSA_ALGORITHMS,
                issuer=self.issuer,
                options={"require": ["exp", "iss"], "verify_aud": False},
            )
        except jwt.PyJWKClientConnectionError as exc:
            raise AuthorizationFailed(f"cannot fetch the issuer's keys: {exc}") from exc
        except (jwt.PyJWTError, ValueError) as exc:
            raise AuthorizationFailed(_reason(exc)) from exc
        self._check_audience(claims)
        self._check_scopes(claims)
        return claims

    def _check_audience(self, claims: Mapping[str, Any]) -> None:
        # API Gateway evaluates aud when present, client_id only when there is no aud.
        if "aud" in claims:
            aud = claims["aud"]
            values = aud if isinstance(aud, list) else [aud]
        else:
            values = [claims.get("client_id")]
        if not self.audiences.intersection(str(v) for v in values if v is not None):
            raise AuthorizationFailed("the token does not have a valid audience")

    def _check_scopes(self, claims: Mapping[str, Any]) -> None:
        required = self.config.scopes
        if required and not set(required).intersection(token_scopes(claims)):
            raise AuthorizationFailed(
                f"the token does not have one of the required scopes: {' '.join(required)}"
            )

    def authorize(self, headers: Iterable[tuple[str, str]]) -> dict[str, Any]:
        """``requestContext.authorizer`` for a request with these headers."""
        claims = self.verify(bearer_token(headers, self.config.identity_header))
        return authorizer_context(claims)


def authorizer_context(claims: Mapping[str, Any]) -> dict[str, Any]:
    """``requestContext.authorizer`` of payload 2.0 for verified claims."""
    return {
        "jwt": {
            "claims": {name: claim_text(value) for name, value in claims.items()},
            "scopes": token_scopes(claims) or None,
        }
    }


def _reason(exc: Exception) -> str:
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "the token has expired"
    if isinstance(exc, jwt.InvalidIssuerError):
        return "the token does not have a valid issuer"
    if isinstance(exc, jwt.InvalidSignatureError):
        return "the token's signature is not valid"
    if isinstance(exc, jwt.PyJWKClientError):
        return "the token is not signed by a key of the issuer"
    return f"the token is not valid: {exc}"


def www_authenticate(reason: str) -> str:
    """The ``www-authenticate`` header of a 401, in API Gateway's form."""
    text = reason.replace('"', "'")
    return f'Bearer scope="" error="invalid_token" error_description="{text}"'
