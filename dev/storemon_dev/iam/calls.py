"""The AWS calls a function makes, and the IAM requests AWS authorizes for each.

:class:`Recorder` listens to botocore's events on a client (``before-parameter-build``: the
operation and its parameters, presigned URLs included; ``after-call``: the answer) and keeps one
:class:`Call` per API call made while a function runs (:func:`running`, a context variable the
test harness and the local stack set around each invocation) or by a client attached for a
named function (the SQS event source polls with the worker's role on AWS).

:func:`requests_of` turns a call into the IAM requests AWS checks for it, with the condition
context the template's policies use (``s3:prefix``, ``dynamodb:LeadingKeys``), and says which
of them only matter because of the answer: a GET or HEAD of an object that does not exist is
answered 404 only when the caller may also ``s3:ListBucket`` the bucket with ``s3:prefix`` set
to the key; otherwise S3 answers 403 AccessDenied (the object's absence is not disclosed).
moto answers 404 either way, so the rule lives here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from storemon_dev.iam.policy import Request

CURRENT_FUNCTION: ContextVar[str | None] = ContextVar("iam_current_function", default=None)
MISSING_CODES = frozenset({"NoSuchKey", "NoSuchVersion", "404", "NotFound"})
DEFAULT_ACCOUNT = "123456789012"


@contextmanager
def running(function: str) -> Iterator[None]:
    """The AWS calls made inside are this function's (its template logical id)."""
    token = CURRENT_FUNCTION.set(function)
    try:
        yield
    finally:
        CURRENT_FUNCTION.reset(token)


@dataclass(frozen=True)
class Call:
    """One API call of a function (or one presigned URL it made)."""

    function: str
    service: str
    operation: str
    params: dict[str, Any]
    region: str
    error_code: str | None = None
    presigned: bool = False

    @property
    def missing(self) -> bool:
        """The answer said the object (or version) does not exist."""
        return self.error_code in MISSING_CODES

    def describe(self) -> str:
        what = "presigned " if self.presigned else ""
        target = self.params.get("Key") or self.params.get("TableName") or ""
        return f"{what}{self.service}.{self.operation} {target}".rstrip()


@dataclass(frozen=True)
class Needed:
    """One IAM request a call needs, and why."""

    request: Request
    because: str = ""


@dataclass
class Recorder:
    """Keeps the calls of functions made by the clients it is attached to."""

    calls: list[Call] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, client: Any, function: str | None = None) -> None:
        """Record the calls of `client`: those made while a function runs (see
        :func:`running`), or every call as `function`'s when it is given."""
        events = client.meta.events
        region = client.meta.region_name or "us-east-1"
        service = client.meta.service_model.service_name
        slot = f"iam_call_{id(self)}"  # each recorder its own: several may listen

        def before(params: dict, model: Any, context: dict, **_: Any) -> None:
            owner = function or CURRENT_FUNCTION.get()
            if owner is None:
                return
            kept = {k: v for k, v in params.items() if k != "Body"}
            if context.get("is_presign_request"):
                self._add(Call(owner, service, model.name, kept, region, presigned=True))
            else:
                context[slot] = (owner, model.name, kept)

        def after(parsed: dict, context: dict, **_: Any) -> None:
            pending = context.pop(slot, None)
            if pending is None:
                return
            owner, operation, params = pending
            code = (parsed.get("Error") or {}).get("Code") if isinstance(parsed, dict) else None
            self._add(Call(owner, service, operation, params, region, error_code=code))

        events.register("before-parameter-build", before, unique_id=f"iam-before-{id(self)}")
        events.register("after-call", after, unique_id=f"iam-after-{id(self)}")

    def _add(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def take(self) -> list[Call]:
        """The calls recorded since the last take, forgotten here."""
        with self._lock:
            taken, self.calls = self.calls, []
        return taken


# ----------------------------------------------------------------------------- calls -> IAM
def s3_arn(bucket: str, key: str | None = None) -> str:
    return f"arn:aws:s3:::{bucket}" + (f"/{key}" if key is not None else "")


def queue_arn(queue_url: str, region: str) -> str:
    """``.../<account>/<name>`` -> ``arn:aws:sqs:<region>:<account>:<name>``."""
    account, name = urlparse(queue_url).path.strip("/").split("/")[-2:]
    return f"arn:aws:sqs:{region}:{account}:{name}"


def table_arn(table: str, region: str, account: str = DEFAULT_ACCOUNT) -> str:
    return f"arn:aws:dynamodb:{region}:{account}:table/{table}"


def requests_of(call: Call, hash_keys: dict[str, str] | None = None) -> list[Needed]:
    """The IAM requests AWS makes of `call`'s caller. `hash_keys`: each table's partition key
    name (for ``dynamodb:LeadingKeys``). ValueError for an operation not mapped here."""
    mapper = _MAPPERS.get(call.service)
    if mapper is None:
        raise ValueError(f"the IAM check does not know {call.service} calls ({call.operation})")
    return mapper(call, hash_keys or {})


def _s3(call: Call, _: dict[str, str]) -> list[Needed]:
    op, p = call.operation, call.params
    bucket = p["Bucket"]
    if op in ("GetObject", "HeadObject"):
        action = "s3:GetObjectVersion" if p.get("VersionId") else "s3:GetObject"
        out = [Needed(Request(action, s3_arn(bucket, p["Key"])))]
        if call.missing:
            out.append(
                Needed(
                    Request("s3:ListBucket", s3_arn(bucket), {"s3:prefix": p["Key"]}),
                    "the object does not exist: without s3:ListBucket on the bucket for this "
                    "key S3 answers 403 AccessDenied, not 404 NoSuchKey",
                )
            )
        return out
    if op == "PutObject":
        return [Needed(Request("s3:PutObject", s3_arn(bucket, p["Key"])))]
    if op in ("ListObjectsV2", "ListObjects"):
        context = {"s3:prefix": p["Prefix"]} if "Prefix" in p else {}
        return [Needed(Request("s3:ListBucket", s3_arn(bucket), context))]
    if op == "ListObjectVersions":
        context = {"s3:prefix": p["Prefix"]} if "Prefix" in p else {}
        return [Needed(Request("s3:ListBucketVersions", s3_arn(bucket), context))]
    raise ValueError(f"the IAM check does not know s3.{op}")


_DYNAMODB_ITEM_OPS = {"GetItem", "PutItem", "UpdateItem", "DeleteItem"}


def _dynamodb(call: Call, hash_keys: dict[str, str]) -> list[Needed]:
    op, p = call.operation, call.params
    if op == "BatchGetItem":
        return _dynamodb_batch(call, hash_keys)
    table = table_arn(p["TableName"], call.region)
    if op in _DYNAMODB_ITEM_OPS:
        item = p.get("Item") if op == "PutItem" else p.get("Key")
        key_name = hash_keys.get(p["TableName"])
        context: dict[str, Any] = {}
        if key_name and item and key_name in item:
            context["dynamodb:LeadingKeys"] = [_attribute_text(item[key_name])]
        return [Needed(Request(f"dynamodb:{op}", table, context))]
    if op in ("Query", "Scan"):
        resource = f"{table}/index/{p['IndexName']}" if p.get("IndexName") else table
        return [Needed(Request(f"dynamodb:{op}", resource, _projection_context(p)))]
    raise ValueError(f"the IAM check does not know dynamodb.{op}")


def _projection_context(params: dict[str, Any]) -> dict[str, Any]:
    """``dynamodb:Attributes`` (the projected attributes' names) and ``dynamodb:Select`` of a
    Query or Scan, when it names them."""
    context: dict[str, Any] = {}
    projection = params.get("ProjectionExpression")
    if projection:
        names = params.get("ExpressionAttributeNames") or {}
        context["dynamodb:Attributes"] = [
            names.get(part.strip(), part.strip()) for part in projection.split(",")
        ]
    if params.get("Select"):
        context["dynamodb:Select"] = params["Select"]
    return context


def _dynamodb_batch(call: Call, hash_keys: dict[str, str]) -> list[Needed]:
    """BatchGetItem: dynamodb:BatchGetItem on each table, the keys read as LeadingKeys."""
    out = []
    for table_name, request in (call.params.get("RequestItems") or {}).items():
        key_name = hash_keys.get(table_name)
        keys = [_attribute_text(k[key_name]) for k in request.get("Keys") or [] if key_name in k]
        context: dict[str, Any] = {"dynamodb:LeadingKeys": keys} if key_name else {}
        out.append(
            Needed(Request("dynamodb:BatchGetItem", table_arn(table_name, call.region), context))
        )
    return out


def _attribute_text(value: Any) -> str:
    """A DynamoDB attribute value ({"S": "x"}) or a plain one as text."""
    if isinstance(value, dict) and len(value) == 1:
        return str(next(iter(value.values())))
    return str(value)


_SQS_ACTIONS = {
    "SendMessage": "sqs:SendMessage",
    "SendMessageBatch": "sqs:SendMessage",
    "ReceiveMessage": "sqs:ReceiveMessage",
    "DeleteMessage": "sqs:DeleteMessage",
    "DeleteMessageBatch": "sqs:DeleteMessage",
    "ChangeMessageVisibility": "sqs:ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
    "GetQueueAttributes": "sqs:GetQueueAttributes",
}


def _sqs(call: Call, _: dict[str, str]) -> list[Needed]:
    action = _SQS_ACTIONS.get(call.operation)
    if action is None:
        raise ValueError(f"the IAM check does not know sqs.{call.operation}")
    return [Needed(Request(action, queue_arn(call.params["QueueUrl"], call.region)))]


def _sns(call: Call, _: dict[str, str]) -> list[Needed]:
    if call.operation not in ("Publish", "PublishBatch"):
        raise ValueError(f"the IAM check does not know sns.{call.operation}")
    return [Needed(Request("sns:Publish", str(call.params["TopicArn"])))]


_MAPPERS = {"s3": _s3, "dynamodb": _dynamodb, "sqs": _sqs, "sns": _sns}
