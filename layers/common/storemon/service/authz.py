"""Who is calling, and what they may see: the service's authorization rules.

API Gateway's JWT authorizer has already verified the access token (signature, issuer, audience,
expiry, scopes) before a function runs, and hands its claims over in
``event.requestContext.authorizer.jwt.claims``. This module never sees or parses a token: it
turns those claims into a :class:`Principal` and decides, raising
:class:`~storemon.errors.Forbidden` (403) when the answer is no.

Roles are groups of the identity provider, read from the claim named by ``AUTH_GROUPS_CLAIM``
(default ``cognito:groups``, which Cognito puts in ACCESS tokens; custom attributes would reach
only ID tokens):

- ``admin``: every store, full reports, ``latest``, the report list, every report;
- ``store:<store_id>`` (one group per store): a store owner, who may trigger and read reports of
  those stores only. A report an owner triggers records the owner's subject (``requested_by``);
  only that owner and administrators may read it.

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

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from storemon.errors import Forbidden, Unauthorized

ADMIN_GROUP = "admin"
STORE_GROUP_PREFIX = "store:"
DEFAULT_GROUPS_CLAIM = "cognito:groups"
_SEPARATORS = re.compile(r"[\s,]+")
_SHOWN_STORES = 10


def groups_claim() -> str:
    """The claim listing the caller's groups (template parameter ``AuthGroupsClaim``)."""
    return os.environ.get("AUTH_GROUPS_CLAIM", "").strip() or DEFAULT_GROUPS_CLAIM


def parse_groups(value: Any) -> list[str]:
    """A groups claim as a list. API Gateway hands claims over as strings and renders a list
    as ``[a b]``; a JSON array, a comma- or space-separated string and a real list also work."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value if str(item).strip()]
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = json.loads(text)
        except ValueError:
            text = text[1:-1]
        else:
            return parse_groups(parsed if isinstance(parsed, list) else [parsed])
    return [item for item in _SEPARATORS.split(text) if item]


@dataclass(frozen=True)
class Principal:
    """The verified caller: token subject, user name, role and owned stores."""

    subject: str
    username: str
    admin: bool
    stores: frozenset[str]

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any] | None) -> Principal:
        """The caller of these verified claims; Unauthorized without a subject."""
        if not claims or not str(claims.get("sub") or "").strip():
            raise Unauthorized("no verified identity: call the API with an access token")
        groups = parse_groups(claims.get(groups_claim()))
        stores = {
            g[len(STORE_GROUP_PREFIX) :].strip() for g in groups if g.startswith(STORE_GROUP_PREFIX)
        }
        subject = str(claims["sub"]).strip()
        username = str(claims.get("username") or claims.get("cognito:username") or subject)
        return cls(subject, username, ADMIN_GROUP in groups, frozenset(s for s in stores if s))

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
    """The caller of an HTTP API event; Unauthorized when the event carries no claims."""
    return Principal.from_claims(claims_of(event))


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


def requester(principal: Principal) -> dict[str, str]:
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
