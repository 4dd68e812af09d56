"""The only module of storemon that talks to AWS (boto3).

Clients are created lazily, once per process, from the environment: region and credentials as
boto3 finds them, and ``AWS_ENDPOINT_URL`` (honoured by boto3 itself) so the local stack and the
tests point every client at moto. :func:`reset` forgets them (tests switch endpoints).

Everything here is a thin, typed wrapper over one or two API calls; the decisions live in
:mod:`storemon.service`.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from storemon.errors import ObjectForbidden, ObjectMissing

__all__ = ["ObjectForbidden", "ObjectMissing"]  # raised here: callers catch them from aws

_lock = threading.Lock()
_clients: dict[str, Any] = {}
_client_hooks: list[Callable[[Any], None]] = []


def add_client_hook(hook: Callable[[Any], None]) -> Callable[[], None]:
    """Call ``hook(client)`` with every client this module creates from now on (the tests' IAM
    check listens to each call through botocore's events); returns what removes the hook."""
    _client_hooks.append(hook)
    return lambda: _client_hooks.remove(hook) if hook in _client_hooks else None


def _client(name: str) -> Any:
    client = _clients.get(name)
    if client is None:
        with _lock:
            client = _clients.get(name)
            if client is None:
                import boto3
                from botocore.config import Config

                config = Config(
                    retries={"mode": "standard", "max_attempts": 5},
                    signature_version="s3v4" if name == "s3" else None,
                    s3={"addressing_style": "path"} if os.environ.get("AWS_ENDPOINT_URL") else None,
                )
                session: Any = boto3.session.Session()
                client = session.client(name, config=config)
                for hook in list(_client_hooks):
                    hook(client)
                _clients[name] = client
    return client


def reset() -> None:
    """Forget the cached clients (the next call builds them from the current environment)."""
    with _lock:
        _clients.clear()


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str((response.get("Error") or {}).get("Code", ""))


# S3's answers to a read it refuses: GetObject says AccessDenied, HeadObject (no body) 403.
# A missing key is answered so too when the caller may not s3:ListBucket it.
_FORBIDDEN = ("AccessDenied", "403", "Forbidden")


def _forbidden(bucket: str, key: str) -> ObjectForbidden:
    return ObjectForbidden(
        f"s3://{bucket}/{key}: access denied (403): the role may not read it, or it does not "
        "exist and the role may not s3:ListBucket its key"
    )


# ----------------------------------------------------------------------------- S3
@dataclass(frozen=True)
class ObjectInfo:
    key: str
    etag: str
    last_modified: datetime
    size: int
    version_id: str | None = None


def read_s3_url(url: str) -> bytes:
    """The bytes of ``s3://bucket/key`` (used by the CLI to read inputs straight from S3)."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc or not parsed.path.lstrip("/"):
        raise ValueError(f"not an s3://bucket/key URL: {url!r}")
    return get_object(parsed.netloc, parsed.path.lstrip("/"))


def list_objects(bucket: str, prefix: str, *, top_level: bool = False) -> list[ObjectInfo]:
    """Current objects under `prefix` (no version ids: ListObjectsV2 does not give them);
    `top_level`: only those directly under it (Delimiter ``/``: no key of a "folder")."""
    out: list[ObjectInfo] = []
    paginator = _client("s3").get_paginator("list_objects_v2")
    folders = {"Delimiter": "/"} if top_level else {}
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix, **folders):
        for obj in page.get("Contents", []):
            out.append(
                ObjectInfo(
                    key=obj["Key"],
                    etag=obj["ETag"].strip('"'),
                    last_modified=obj["LastModified"],
                    size=int(obj["Size"]),
                )
            )
    return out


def head_object(bucket: str, key: str) -> ObjectInfo | None:
    """The current version of `key`, or None when there is none; :class:`ObjectForbidden` when
    S3 answers 403."""
    try:
        head = _client("s3").head_object(Bucket=bucket, Key=key)
    except Exception as exc:
        code = _error_code(exc)
        if code in ("404", "NoSuchKey", "NotFound"):
            return None
        if code in _FORBIDDEN:
            raise _forbidden(bucket, key) from exc
        raise
    version = head.get("VersionId")
    return ObjectInfo(
        key=key,
        etag=head["ETag"].strip('"'),
        last_modified=head["LastModified"],
        size=int(head["ContentLength"]),
        version_id=None if version in (None, "null") else version,
    )


def get_object(
    bucket: str, key: str, version_id: str | None = None, etag: str | None = None
) -> bytes:
    """The object's bytes: exactly `version_id` when given, else the current one, which must
    still have `etag` when given. :class:`ObjectMissing` when that object is not there,
    :class:`ObjectForbidden` when S3 answers 403 (no permission, or missing and not listable)."""
    args: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version_id:
        args["VersionId"] = version_id
    elif etag:
        args["IfMatch"] = f'"{etag}"'
    try:
        response = _client("s3").get_object(**args)
    except Exception as exc:
        code = _error_code(exc)
        if code in ("NoSuchKey", "NoSuchVersion", "404"):
            raise ObjectMissing(f"s3://{bucket}/{key} does not exist") from exc
        if code in ("PreconditionFailed", "412"):
            raise ObjectMissing(f"s3://{bucket}/{key} changed since it was recorded") from exc
        if code == "InvalidArgument" and version_id:
            raise ObjectMissing(f"s3://{bucket}/{key} has no version {version_id}") from exc
        if code in _FORBIDDEN:
            raise _forbidden(bucket, key) from exc
        raise
    return response["Body"].read()


def get_range(bucket: str, key: str, offset: int, size: int) -> bytes:
    """``size`` bytes of an object from ``offset`` (an S3 range GET; a store shard reads its
    slices of the history's partitions so). :class:`ObjectMissing` when it is not there."""
    byte_range = f"bytes={offset}-{offset + size - 1}"
    try:
        response = _client("s3").get_object(Bucket=bucket, Key=key, Range=byte_range)
    except Exception as exc:
        if _error_code(exc) in ("NoSuchKey", "404"):
            raise ObjectMissing(f"s3://{bucket}/{key} does not exist") from exc
        if _error_code(exc) in _FORBIDDEN:
            raise _forbidden(bucket, key) from exc
        raise
    return response["Body"].read()


def put_object(bucket: str, key: str, body: bytes | str, content_type: str) -> None:
    data = body.encode("utf-8") if isinstance(body, str) else body
    _client("s3").put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)


def presign_get(bucket: str, key: str, expires_in: int, filename: str | None = None) -> str:
    """A presigned GET URL of `key`, valid `expires_in` seconds."""
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if filename:
        params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
    return _client("s3").generate_presigned_url(
        "get_object", Params=params, ExpiresIn=int(expires_in)
    )


# ----------------------------------------------------------------------------- DynamoDB
def _serializer():
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    return TypeSerializer(), TypeDeserializer()


def _to_ddb(item: dict) -> dict:
    ser, _ = _serializer()
    return {k: ser.serialize(_decimals(v)) for k, v in item.items()}


def _decimals(value: Any) -> Any:
    """floats -> Decimal (DynamoDB has no binary floats), recursively."""
    from decimal import Decimal

    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_decimals(v) for v in value]
    return value


def _from_ddb(item: dict) -> dict:
    _, de = _serializer()
    return {k: _python_value(de.deserialize(v)) for k, v in item.items()}


def _python_value(value: Any) -> Any:
    """Decimal -> int/float, sets -> sorted lists, recursively."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _python_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_python_value(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_python_value(v) for v in value)
    return value


def get_item(table: str, key: dict[str, str]) -> dict | None:
    """The item (strongly consistent read) as plain Python values, or None."""
    response = _client("dynamodb").get_item(TableName=table, Key=_to_ddb(key), ConsistentRead=True)
    item = response.get("Item")
    return _from_ddb(item) if item else None


def put_item_if_absent(table: str, item: dict, key_name: str) -> bool:
    """Write `item` unless an item with its key exists; False when it existed."""
    return put_item_when(table, item, f"attribute_not_exists(#{key_name})", {})


def put_item_when(table: str, item: dict, condition: str, values: dict[str, Any]) -> bool:
    """Write `item` if `condition` (attributes as ``#name``, values as ``:name``) holds; False
    when it did not."""
    names = {f"#{word}": word for word in re.findall(r"#(\w+)", condition)}
    args: dict[str, Any] = {
        "TableName": table,
        "Item": _to_ddb(item),
        "ConditionExpression": condition,
    }
    if names:
        args["ExpressionAttributeNames"] = names
    if values:
        args["ExpressionAttributeValues"] = _to_ddb(values)
    try:
        _client("dynamodb").put_item(**args)
    except Exception as exc:
        if _error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def batch_get_items(table: str, key_name: str, keys: list[str]) -> dict[str, dict]:
    """The items of these partition keys that exist (strongly consistent), by key; 100 keys a
    call, unprocessed keys asked again."""
    found: dict[str, dict] = {}
    for start in range(0, len(keys), 100):
        pending: dict[str, Any] = {
            table: {
                "Keys": [_to_ddb({key_name: k}) for k in keys[start : start + 100]],
                "ConsistentRead": True,
            }
        }
        while pending:
            response = _client("dynamodb").batch_get_item(RequestItems=pending)
            for raw in (response.get("Responses") or {}).get(table, []):
                item = _from_ddb(raw)
                found[str(item[key_name])] = item
            pending = response.get("UnprocessedKeys") or {}
    return found


def delete_item(table: str, key: dict[str, str]) -> None:
    _client("dynamodb").delete_item(TableName=table, Key=_to_ddb(key))


def scan_items(table: str, attributes: list[str]) -> list[dict]:
    """Every item of the table, only `attributes` of each (every page)."""
    names = {f"#a{i}": name for i, name in enumerate(attributes)}
    args: dict[str, Any] = {
        "TableName": table,
        "ProjectionExpression": ", ".join(names),
        "ExpressionAttributeNames": names,
        "Select": "SPECIFIC_ATTRIBUTES",
    }
    items: list[dict] = []
    while True:
        response = _client("dynamodb").scan(**args)
        items.extend(_from_ddb(item) for item in response.get("Items", []))
        if "LastEvaluatedKey" not in response:
            return items
        args["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def update_item(
    table: str,
    key: dict[str, str],
    values: dict[str, Any],
    *,
    condition: str | None = None,
    condition_values: dict[str, Any] | None = None,
    remove: tuple[str, ...] = (),
) -> bool:
    """SET each of `values` (and REMOVE `remove`) if `condition` holds; False when it did not.

    `condition` is a DynamoDB condition expression that names attributes as ``#name`` and
    values as ``:name`` (from `condition_values`)."""
    names: dict[str, str] = {}
    expr_values: dict[str, Any] = {}
    sets = []
    for i, (attr, value) in enumerate(values.items()):
        names[f"#s{i}"] = attr
        expr_values[f":s{i}"] = value
        sets.append(f"#s{i} = :s{i}")
    expression = "SET " + ", ".join(sets)
    if remove:
        removes = []
        for i, attr in enumerate(remove):
            names[f"#r{i}"] = attr
            removes.append(f"#r{i}")
        expression += " REMOVE " + ", ".join(removes)
    args: dict[str, Any] = {
        "TableName": table,
        "Key": _to_ddb(key),
        "UpdateExpression": expression,
    }
    if condition:
        for word in re.findall(r"#(\w+)", condition):
            names[f"#{word}"] = word
        expr_values.update(condition_values or {})
        args["ConditionExpression"] = condition
    args["ExpressionAttributeNames"] = names
    if expr_values:
        args["ExpressionAttributeValues"] = _to_ddb(expr_values)
    try:
        _client("dynamodb").update_item(**args)
    except Exception as exc:
        if _error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def add_to_set(
    table: str,
    key: dict[str, str],
    attribute: str,
    member: int,
    *,
    condition: str,
    condition_values: dict[str, Any],
) -> list | None:
    """ADD `member` to the number set `attribute` if `condition` holds (``:member`` names the
    member in it); the set after the update (sorted), or None when the condition failed."""
    names = {"#set": attribute}
    names |= {f"#{word}": word for word in re.findall(r"#(\w+)", condition) if word != "set"}
    try:
        response = _client("dynamodb").update_item(
            TableName=table,
            Key=_to_ddb(key),
            UpdateExpression="ADD #set :added",
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=_to_ddb(
                {":added": {member}, ":member": member, **condition_values}
            ),
            ReturnValues="UPDATED_NEW",
        )
    except Exception as exc:
        if _error_code(exc) == "ConditionalCheckFailedException":
            return None
        raise
    return _from_ddb(response.get("Attributes") or {}).get(attribute) or []


def query_index(
    table: str, index: str, key_name: str, key_value: str, *, limit: int, newest_first: bool = True
) -> list[dict]:
    """Up to `limit` items of a secondary index with `key_name` = `key_value`, in sort-key order
    (descending when `newest_first`), as plain Python values."""
    response = _client("dynamodb").query(
        TableName=table,
        IndexName=index,
        KeyConditionExpression="#k = :v",
        ExpressionAttributeNames={"#k": key_name},
        ExpressionAttributeValues=_to_ddb({":v": key_value}),
        ScanIndexForward=not newest_first,
        Limit=int(limit),
    )
    return [_from_ddb(item) for item in response.get("Items", [])]


def count_index(
    table: str, index: str, key_name: str, key_value: str, *, at_least: tuple[str, Any]
) -> int:
    """How many items of a secondary index have `key_name` = `key_value` and the attribute
    ``at_least[0]`` >= ``at_least[1]`` (every page counted)."""
    args: dict[str, Any] = {
        "TableName": table,
        "IndexName": index,
        "KeyConditionExpression": "#k = :v",
        "FilterExpression": "#f >= :f",
        "ExpressionAttributeNames": {"#k": key_name, "#f": at_least[0]},
        "ExpressionAttributeValues": _to_ddb({":v": key_value, ":f": at_least[1]}),
        "Select": "COUNT",
    }
    count = 0
    while True:
        response = _client("dynamodb").query(**args)
        count += int(response.get("Count", 0))
        if "LastEvaluatedKey" not in response:
            return count
        args["ExclusiveStartKey"] = response["LastEvaluatedKey"]


# ----------------------------------------------------------------------------- SQS
def send_message(queue_url: str, body: dict, delay_seconds: int = 0) -> str:
    """Queue `body` (JSON); with `delay_seconds` (at most 900) it becomes visible that late."""
    args: dict[str, Any] = {"QueueUrl": queue_url, "MessageBody": json.dumps(body)}
    if delay_seconds:
        args["DelaySeconds"] = int(delay_seconds)
    return _client("sqs").send_message(**args)["MessageId"]


def send_message_batch(queue_url: str, bodies: list[dict]) -> None:
    """Queue each of `bodies` (JSON), 10 a call; raises when SQS refused any."""
    for start in range(0, len(bodies), 10):
        entries = [
            {"Id": str(i), "MessageBody": json.dumps(body)}
            for i, body in enumerate(bodies[start : start + 10])
        ]
        failed = (
            _client("sqs").send_message_batch(QueueUrl=queue_url, Entries=entries).get("Failed")
        )
        if failed:
            raise RuntimeError(f"SQS refused {len(failed)} message(s): {failed[0]}")


def change_visibility(queue_url: str, receipt_handle: str, seconds: int) -> None:
    _client("sqs").change_message_visibility(
        QueueUrl=queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=int(seconds)
    )


# ----------------------------------------------------------------------------- SNS
def publish_batch(topic_arn: str, messages: list[tuple[dict, dict[str, str]]]) -> None:
    """Publish each (JSON body, string message attributes) to the topic, 10 a call; raises when
    SNS refused any."""
    for start in range(0, len(messages), 10):
        entries = [
            {
                "Id": str(i),
                "Message": json.dumps(body),
                "MessageAttributes": {
                    name: {"DataType": "String", "StringValue": value}
                    for name, value in attributes.items()
                },
            }
            for i, (body, attributes) in enumerate(messages[start : start + 10])
        ]
        answer = _client("sns").publish_batch(
            TopicArn=topic_arn, PublishBatchRequestEntries=entries
        )
        if answer.get("Failed"):
            raise RuntimeError(f"SNS refused {len(answer['Failed'])} message(s)")
