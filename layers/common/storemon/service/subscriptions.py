"""Webhook subscriptions (SPEC §10): ``POST /subscriptions``, ``GET /subscriptions``,
``DELETE /subscriptions/{id}``, and the audiences an evaluation notifies.

Who may do what (:mod:`storemon.service.authz`'s principal):

- an administrator may subscribe to every store (``store_ids`` left out) or to any stores,
  lists every subscription and deletes any;
- a store owner subscribes to their own stores only (naming them; another store, or every
  store, is 403), lists and deletes only their own subscriptions (another's is 403), and has
  at most :data:`MAX_PER_OWNER`.

The receiver URL is checked (:mod:`storemon.service.webhook_url`) before anything is stored.
The answer to ``POST`` carries the signing secret once, as Standard Webhooks write it
(``whsec_`` and the base64 of 32 random bytes); the table keeps those bytes only (the sender
needs them to sign), and no answer ever shows them again. The worker reads subscriptions
without them (``audiences``: a projection its role is limited to); only the delivery function
reads a subscription whole.
"""

from __future__ import annotations

import base64
import secrets
import uuid

from storemon.alerting.rule import Audience, minutes_to_ticks
from storemon.clock.iso import utc_text
from storemon.errors import Forbidden, NotFound, TooManyRequests
from storemon.service import authz, aws, request_rules, webhook_url
from storemon.service.authz import Principal
from storemon.service.records import utcnow
from storemon.service.settings import Settings, require

KEY = "subscription_id"
BY_OWNER = "ByOwner"
MAX_PER_OWNER = 20
# what the worker reads of each subscription (template.yaml limits its role to these)
AUDIENCE_ATTRIBUTES = [KEY, "store_ids", "min_minutes"]
LISTED_ATTRIBUTES = [KEY, "url", "store_ids", "min_minutes", "created_at", "owner_name"]
SECRET_PREFIX = "whsec_"


def _table(settings: Settings) -> str:
    return require(settings, "subscriptions_table")


def view(item: dict, principal: Principal) -> dict:
    """What a caller sees of a subscription (never its secret)."""
    body = {
        "id": item[KEY],
        "url": item.get("url", ""),
        "store_ids": item.get("store_ids"),
        "min_minutes": int(item.get("min_minutes", 0)),
        "created_at": item.get("created_at", ""),
    }
    if principal.admin:
        body["owner"] = item.get("owner_name")
    return body


def create(settings: Settings, body: dict, principal: Principal) -> dict:
    """A new subscription: its view and ``secret`` (shown this once)."""
    request = request_rules.parse(request_rules.SUBSCRIPTION_BODY, body)
    if request.store_ids is None and not principal.admin:
        raise Forbidden(
            "a subscription to every store is for administrators only: name your stores"
        )
    store_ids = sorted(set(request.store_ids)) if request.store_ids is not None else None
    authz.require_stores(principal, store_ids)
    if not principal.admin and len(list_items(settings, principal)) >= MAX_PER_OWNER:
        raise TooManyRequests(f"at most {MAX_PER_OWNER} subscriptions per store owner")
    webhook_url.check(request.url, local=settings.local_receivers)
    key = secrets.token_bytes(32)
    item: dict = {
        KEY: str(uuid.uuid4()),
        "url": request.url,
        "min_minutes": settings.alert_min_minutes
        if request.min_minutes is None
        else request.min_minutes,
        "owner": principal.subject,
        "owner_name": principal.username,
        "created_at": utc_text(utcnow()),
        "signing_key": base64.b64encode(key).decode(),
    }
    if store_ids is not None:
        item["store_ids"] = store_ids
    aws.put_item_if_absent(_table(settings), item, KEY)
    return view(item, principal) | {"secret": SECRET_PREFIX + base64.b64encode(key).decode()}


def list_items(settings: Settings, principal: Principal) -> list[dict]:
    """The caller's subscriptions, oldest first (an administrator's: every one)."""
    if principal.admin:
        items = aws.scan_items(_table(settings), LISTED_ATTRIBUTES)
    else:
        items = aws.query_index(
            _table(settings), BY_OWNER, "owner", principal.subject, limit=100, newest_first=False
        )
    return sorted(items, key=lambda i: (str(i.get("created_at", "")), str(i[KEY])))


def list_views(settings: Settings, principal: Principal) -> dict:
    return {"subscriptions": [view(i, principal) for i in list_items(settings, principal)]}


def delete(settings: Settings, subscription_id: str, principal: Principal) -> None:
    """Delete a subscription: any for an administrator, an owner's own only."""
    item = get(settings, subscription_id)
    if item is None:
        raise NotFound(f"no subscription {subscription_id}")
    if not principal.admin and item.get("owner") != principal.subject:
        raise Forbidden("this subscription is not yours: an owner deletes only their own")
    aws.delete_item(_table(settings), {KEY: subscription_id})


def get(settings: Settings, subscription_id: str) -> dict | None:
    """A subscription whole (with its signing key), or None."""
    return aws.get_item(_table(settings), {KEY: subscription_id})


def signing_secret(item: dict) -> str:
    """The Standard Webhooks secret of a stored subscription."""
    return SECRET_PREFIX + str(item["signing_key"])


def audiences(settings: Settings) -> list[Audience]:
    """Who the evaluation notifies: the SNS topic (at ``ALERT_MIN_MINUTES``, every store)
    and each webhook subscription (read without its secret)."""
    out = [Audience(None, minutes_to_ticks(settings.alert_min_minutes))]
    if not settings.subscriptions_table:
        return out
    for item in aws.scan_items(settings.subscriptions_table, AUDIENCE_ATTRIBUTES):
        stores = item.get("store_ids")
        out.append(
            Audience(
                str(item[KEY]),
                minutes_to_ticks(int(item.get("min_minutes", 0))),
                None if stores is None else frozenset(str(s) for s in stores),
            )
        )
    return out
