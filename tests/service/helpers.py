"""Shared helpers of the service tests: events, a Lambda context, the SQS event source."""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
import uuid
from pathlib import Path
from types import ModuleType
from urllib.parse import urlencode

import boto3

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
EVENTS = REPO / "events"

# The classic worked example (SPEC section 5) plus stores exercising the defaults.
STATUS_CSV = (
    "store_id,status,timestamp_utc\n"
    "1001,active,2023-01-23 10:00:00 UTC\n"
    "1001,inactive,2023-01-23 11:30:00 UTC\n"
    "0042,active,2023-01-23 11:00:00.5 UTC\n"
    "0042,inactive,2023-01-22 12:00:00 UTC\n"
    "2002,active,2023-01-23 12:00:00 UTC\n"
    "2002,banana,2023-01-23 11:00:00 UTC\n"
)
HOURS_CSV = (
    "store_id,dayOfWeek,start_time_local,end_time_local\n"
    "1001,0,09:00:00,12:00:00\n"
    "0042,0,00:00:00,23:59:59\n"
)
TZ_CSV = "store_id,timezone_str\n1001,UTC\n0042,Not/AZone\n"

FILES = {"status": "store_status", "hours": "menu_hours", "timezones": "timezones"}


class LambdaContext:
    """What Powertools reads of the Lambda context."""

    def __init__(self, name: str = "storemon-test"):
        self.function_name = name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 300_000


def load_app(name: str) -> ModuleType:
    """functions/<name>/app.py as its own module (the three are all called ``app``)."""
    module_name = f"storemon_function_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, REPO / "functions" / name / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def http_event(
    method: str,
    path: str,
    *,
    query: dict | None = None,
    body: str | dict | None = None,
    headers: dict | None = None,
    route: str | None = None,
    path_params: dict | None = None,
    b64: bool = False,
) -> dict:
    """An API Gateway HTTP API (payload 2.0) event."""
    text = json.dumps(body) if isinstance(body, dict) else body
    event = {
        "version": "2.0",
        "routeKey": route or f"{method} {path}",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": {"content-type": "application/json", **(headers or {})},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "api",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "pytest",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route or f"{method} {path}",
            "stage": "$default",
            "time": "23/Jan/2023:12:00:00 +0000",
            "timeEpoch": 1674475200000,
        },
        "isBase64Encoded": b64,
    }
    if query:
        event["queryStringParameters"] = dict(query)
    if path_params:
        event["pathParameters"] = dict(path_params)
    if text is not None:
        event["body"] = base64.b64encode(text.encode()).decode() if b64 else text
    return event


def call_api(app: ModuleType, event: dict) -> tuple[int, dict | None, dict]:
    """Invoke an API handler: (status, JSON body or None, headers)."""
    response = app.lambda_handler(event, LambdaContext())
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    raw = response.get("body") or ""
    body = json.loads(raw) if raw else None
    return response["statusCode"], body, headers


def sqs_record(message: dict, queue_arn: str) -> dict:
    """A message received from a queue, as the Lambda SQS event source hands it over."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {"ApproximateReceiveCount": "1"}),
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1",
    }


def body_record(body: str | dict, receive_count: int = 1, message_id: str = "m-1") -> dict:
    """An SQS record with this body that did not come from a queue."""
    return {
        "messageId": message_id,
        "receiptHandle": "",
        "body": json.dumps(body) if isinstance(body, dict) else body,
        "attributes": {"ApproximateReceiveCount": str(receive_count)},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:storemon-reports",
        "awsRegion": "us-east-1",
    }


def receive(queue_url: str, limit: int = 1) -> list[dict]:
    sqs = boto3.client("sqs")
    response = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=limit,
        AttributeNames=["All"],
        MessageSystemAttributeNames=["All"],
    )
    return response.get("Messages", [])


class EventSource:
    """The SQS event source mapping of WorkerFunction: batch size 1, partial batch responses;
    a failed message is made visible again at once (instead of after the back-off)."""

    def __init__(self, worker: ModuleType, res: dict):
        self.worker = worker
        self.res = res
        self.sqs = boto3.client("sqs")
        self.outcomes: list[dict] = []

    def poll_once(self) -> dict | None:
        messages = receive(self.res["queue_url"])
        if not messages:
            return None
        message = messages[0]
        event = {"Records": [sqs_record(message, self.res["queue_arn"])]}
        response = self.worker.lambda_handler(event, LambdaContext("worker"))
        failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        if message["MessageId"] in failed:
            self.sqs.change_message_visibility(
                QueueUrl=self.res["queue_url"],
                ReceiptHandle=message["ReceiptHandle"],
                VisibilityTimeout=0,
            )
        else:
            self.sqs.delete_message(
                QueueUrl=self.res["queue_url"], ReceiptHandle=message["ReceiptHandle"]
            )
        outcome = {"message": message, "response": response, "failed": bool(failed)}
        self.outcomes.append(outcome)
        return outcome

    def drain(self, limit: int = 50) -> list[dict]:
        done = []
        for _ in range(limit):
            outcome = self.poll_once()
            if outcome is None:
                return done
            done.append(outcome)
        raise AssertionError("the queue did not drain")


def put_inputs(
    bucket: str,
    status: str | bytes = STATUS_CSV,
    hours: str | bytes = HOURS_CSV,
    timezones: str | bytes = TZ_CSV,
    suffix: str = ".csv",
) -> None:
    s3 = boto3.client("s3")
    for kind, data in (("status", status), ("hours", hours), ("timezones", timezones)):
        body = data.encode() if isinstance(data, str) else data
        s3.put_object(Bucket=bucket, Key=f"input/{FILES[kind]}{suffix}", Body=body)


def engine_csv(status: str = STATUS_CSV, hours: str = HOURS_CSV, tz: str = TZ_CSV, **kw) -> str:
    from storemon import engine

    result = engine.run_report(status.encode(), hours.encode(), tz.encode(), **kw)
    return engine.report_to_csv(result.report)


def s3_text(bucket: str, key: str) -> str:
    return boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
