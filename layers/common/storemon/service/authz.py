"""Who is calling, and what they may see: the service's authorization rules.

API Gateway's JWT authorizer has already verified the access token (signature, issuer, audience,
expiry, scopes) before a function runs, and hands its claims over in
``event.requestContext.authorizer.jwt.claims``. This module never verifies a token: it turns
those claims into a :class:`Principal` and decides, raising
:class:`~storemon.errors.Forbidden` (403) when the answer is no.

Roles are groups of the identity provider, read from the claim named by ``AUTH_GROUPS_CLAIM``
(default ``cognito:groups``, which Cognito puts in ACCESS tokens; custom attributes would reach
only ID tokens):

- ``admin``: every store, full reports, ``latest``, the report list, every report;
- ``store:<store_id>`` (one group per store): a store owner, who may trigger and read reports of
  those stores only. A report an owner triggers records the owner's subject (``requested_by``);
  only that owner and administrators may read it.

A group grants a role only when its whole name is exactly one of these (:func:`role_of_group`):
``store:<A> admin``, ``store:<A>,admin`` or ``store:<A>,store:<B>`` grant nothing. A store id
with whitespace or a comma cannot be an owner's (``storemon token`` refuses it; such a group
grants nothing): API Gateway hands a list claim over as one string, ``[a b]``, where a space
inside a name cannot be told from the separator. So the exact names are read from the verified
token itself when the event carries it (the ``Authorization`` header API Gateway checked, whose
claims must render to the very string API Gateway handed over), and from that string, split on
whitespace only, otherwise.

A request without claims (no authorizer in front of the function) is refused with
:class:`~storemon.errors.Unauthorized` (401): the service fails closed.

The API a route uses::

    principal = authz.principal_from_event(event)       # 401 without verified claims
    authz.require_store(principal, store_id)            # /stores/{store_id}/... routes
    authz.require_stores(principal, store_ids)          # a request naming stores (None: all)
    authz.require_admin(principal, "the report list")   # administrators only
    authz.require_readable(principal, record)           # a report record (can_read: the bool)
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storemon.errors import Forbidden, Unauthorized

if TYPE_CHECKING:
    from storemon.service.records import Requester

ADMIN_GROUP = "admin"
STORE_GROUP_PREFIX = "store:"
DEFAULT_GROUPS_CLAIM = "cognito:groups"
_RENDERED_SEPARATOR = re.compile(r"\s+")  # API Gateway renders a list claim as "[a b]"
_STORE_ID = re.compile(r"[^\s,]+")  # what an owner's store id may be: no whitespace, no comma
_SHOWN_STORES = 10


def groups_claim() -> str:
    """The claim listing the caller's groups (template parameter ``AuthGroupsClaim``)."""
    return os.environ.get("AUTH_GROUPS_CLAIM", "").strip() or DEFAULT_GROUPS_CLAIM


def parse_groups(value: Any) -> list[str]:
    """A groups claim as a list of names. API Gateway hands claims over as strings and renders a
    list as ``[a b]`` (split on whitespace here); a JSON array or a real list keeps its names
    exactly as they are. Commas separate nothing: they are part of a name."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = json.loads(text)
        except ValueError:
            text = text[1:-1]
        else:
            return parse_groups(parsed if isinstance(parsed, list) else [parsed])
    return [item for item in _RENDERED_SEPARATOR.split(text) if item]


def role_of_group(name: str) -> tuple[bool, str | None]:
    """(admin, store id) a group grants: ``admin`` exactly, or ``store:<id>`` exactly with an
    id of no whitespace and no comma; anything else grants nothing, (False, None)."""
    if name == ADMIN_GROUP:
        return True, None
    if name.startswith(STORE_GROUP_PREFIX):
        store_id = name[len(STORE_GROUP_PREFIX) :]
        if _STORE_ID.fullmatch(store_id):
            return False, store_id
    return False, None


def store_group_problem(store_id: str) -> str | None:
    """Why `store_id` cannot be an owner's store group (None when it can)."""
    if not store_id:
        return "an empty store id"
    if not _STORE_ID.fullmatch(store_id):
        return (
            f"store id {store_id!r} holds whitespace or a comma: a group store:<id> of it would "
            "be ambiguous in the token's groups claim and grants nothing"
        )
    return None


def _rendered(groups: list[Any]) -> str:
    """A list claim as API Gateway hands it over: ``[a b]``."""
    return "[" + " ".join(str(g) for g in groups) + "]"


def _token_payload(event: Mapping[str, Any]) -> dict | None:
    """The claims of the JWT in the event's ``Authorization`` header, unverified (None when
    there is none, or it is not a JWT)."""
    headers = event.get("headers") or {}
    value = next((v for k, v in headers.items() if str(k).lower() == "authorization"), "")
    parts = str(value).split()[-1].split(".") if str(value).strip() else []
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    return payload if isinstance(payload, dict) else None


def token_groups(event: Mapping[str, Any], claims: Mapping[str, Any]) -> list[str] | None:
    """The exact group names of the verified access token the event carries (its
    ``Authorization`` header, which API Gateway's authorizer checked), or None when the event
    carries no readable token. The token's claims must match the verified ones (same ``sub``,
    its groups rendering to the very string API Gateway handed over): otherwise no group at
    all (an empty list), the service fails closed."""
    payload = _token_payload(event)
    if payload is None:
        return None
    claim = groups_claim()
    exact, verified = payload.get(claim), claims.get(claim)
    if str(payload.get("sub")) != str(claims.get("sub")):
        return []
    if exact is None:
        return None if verified in (None, "", "[]") else []
    names = exact if isinstance(exact, list) else [exact]
    consistent = str(verified) in (_rendered(names), str(exact))
    return [str(n) for n in names] if consistent else []


@dataclass(frozen=True)
class Principal:
    """The verified caller: token subject, user name, role and owned stores."""

    subject: str
    username: str
    admin: bool
    stores: frozenset[str]

    @classmethod
    def from_claims(
        cls, claims: Mapping[str, Any] | None, groups: list[str] | None = None
    ) -> Principal:
        """The caller of these verified claims (with `groups`: the exact group names, else
        those of the claims' groups claim); Unauthorized without a subject."""
        if not claims or not str(claims.get("sub") or "").strip():
            raise Unauthorized("no verified identity: call the API with an access token")
        if groups is None:
            groups = parse_groups(claims.get(groups_claim()))
        roles = [role_of_group(g) for g in groups]
        stores = frozenset(store for _, store in roles if store is not None)
        subject = str(claims["sub"]).strip()
        username = str(claims.get("username") or claims.get("cognito:username") or subject)
        return cls(subject, username, any(admin for admin, _ in roles), stores)

    @property
    def role(self) -> str:
        return "admin" if self.admin else "owner"

    def owns(self, store_id: str) -> bool:
        """Whether the caller may see this store (administrators: every store)."""
        return self.admin or store_id in self.stores


def claims_of(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``requestContext.authorizer.jwt.claims`` of an HTTP API (payload 2.0) event."""
    context = event.get("requestContext") or {}
    jwt = (context.get("authorizer") or {}).get("jwt") or {}
    claims = jwt.get("claims")
    return claims if isinstance(claims, Mapping) else None


def principal_from_event(event: Mapping[str, Any]) -> Principal:
    """The caller of an HTTP API event; Unauthorized when the event carries no claims. The
    group names are the verified token's own when the event carries it (:func:`token_groups`)."""
    claims = claims_of(event)
    groups = token_groups(event, claims) if claims else None
    return Principal.from_claims(claims, groups)


def require_admin(principal: Principal, what: str) -> None:
    """Forbidden unless the caller is an administrator; `what` names the refused thing."""
    if not principal.admin:
        raise Forbidden(f"{what} is for administrators only")


def require_stores(principal: Principal, store_ids: Iterable[str] | None) -> None:
    """Forbidden unless the caller may see every one of `store_ids` (None: every store)."""
    if store_ids is None:
        require_admin(principal, "a report of every store")
        return
    refused = sorted({s for s in store_ids if not principal.owns(s)})
    if refused:
        shown = ", ".join(refused[:_SHOWN_STORES])
        more = " ..." if len(refused) > _SHOWN_STORES else ""
        raise Forbidden(f"not allowed for store(s) {shown}{more}: you may see only your own stores")


def require_store(principal: Principal, store_id: str) -> None:
    """Forbidden unless the caller may see this one store (the ``/stores/{store_id}`` routes)."""
    require_stores(principal, [store_id])


def requester(principal: Principal) -> Requester:
    """What a report record keeps of who asked for it."""
    return {"requested_by": principal.subject, "requested_by_name": principal.username}


def can_read(principal: Principal, record: Mapping[str, Any]) -> bool:
    """Whether the caller may read this report: administrators any; an owner only a report
    they triggered, of stores they (still) own."""
    if principal.admin:
        return True
    store_ids = (record.get("request") or {}).get("store_ids")
    if record.get("requested_by") != principal.subject or not store_ids:
        return False
    return all(principal.owns(s) for s in store_ids)


def require_readable(principal: Principal, record: Mapping[str, Any]) -> None:
    """Forbidden unless :func:`can_read`."""
    if not can_read(principal, record):
        raise Forbidden(
            "this report is not yours: an owner reads only the reports they triggered, "
            "of their own stores"
        )
