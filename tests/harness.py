"""The functions of template.yaml driven in-process through the local stack's own emulation:
HTTP requests through its API Gateway (``storemon_dev.local.apigw``: route selection, payload
2.0 event, response translation), the queue through its SQS event source mapping
(``storemon_dev.local.esm``). Used by the ``api`` and ``worker_queue`` fixtures of
tests/conftest.py; no copy of either emulation lives in the tests.
"""

from __future__ import annotations

import contextlib
import copy
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import boto3

from storemon_dev.iam.calls import running
from storemon_dev.local.apigw import HttpApiGateway, HttpRequest, HttpResponse
from storemon_dev.local.auth import LocalAuth
from storemon_dev.local.esm import BatchOutcome, SqsEventSource, lambda_record
from storemon_dev.local.template import Template

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "template.yaml"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:storemon-reports"


class LambdaContext:
    """What Powertools reads of the Lambda context."""

    def __init__(self, name: str = "storemon-test"):
        self.function_name = name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 300_000


Invoker = Callable[[str, Any], Any]  # (function logical id, event) -> result


def handler_invoker(template: Template, apps: Mapping[str, ModuleType]) -> Invoker:
    """Invoke a function of the template by logical id: its ``app.py`` handler (from ``apps``,
    keyed by code directory), event and result through JSON as between Lambda and a caller."""

    def invoke(function: str, event: Any) -> Any:
        spec = template.functions[function]
        app = apps[spec.short_name]
        with running(function):  # its AWS calls are checked against its role (tests/iam_check)
            result = app.lambda_handler(
                json.loads(json.dumps(event)), LambdaContext(spec.short_name)
            )
        return json.loads(json.dumps(result))

    return invoke


def record(body: str | dict, receive_count: int = 1, message_id: str = "m-1") -> dict:
    """An SQS record of this body as Lambda's event source hands it over (without a queue)."""
    message = {
        "MessageId": message_id,
        "ReceiptHandle": "",
        "Body": json.dumps(body) if isinstance(body, dict) else body,
        "Attributes": {"ApproximateReceiveCount": str(receive_count)},
    }
    return lambda_record(message, queue_arn=QUEUE_ARN, region=REGION)


# ----------------------------------------------------------------------------- tokens

# moto's access tokens expire one hour after they are issued
TOKEN_REUSE_SECONDS = 30 * 60

_MOTO_CHILD = """
import sys
from moto.server import ThreadedMotoServer

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print("http://%s:%s" % server.get_host_and_port(), flush=True)
sys.stdin.read()  # until the parent closes our stdin (or dies)
server.stop()
"""


@contextlib.contextmanager
def moto_in_child_process() -> Iterator[str]:
    """A moto server in a child process, for state that must outlive the resets of the test
    process's own server (moto's reset forgets every service at once); yields its URL."""
    child = subprocess.Popen(  # noqa: S603 - this interpreter, our code
        [sys.executable, "-c", _MOTO_CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        url = child.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"the moto child process did not start (exit {child.poll()})")
        yield url
    finally:
        child.stdin.close()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@dataclass
class ReusedTokenAuth(LocalAuth):
    """The local stack's authorization, whose tokens are issued once per role and reused while
    fresh: a token's claims depend only on the user and the role asked for."""

    issued: dict[tuple[str, bool, tuple[str, ...]], tuple[float, str]] = field(default_factory=dict)

    def token(self, username: str = "admin", *, admin: bool = True, stores: tuple = ()) -> str:
        key = (username, admin, tuple(stores))
        cached = self.issued.get(key)
        if cached is not None and time.monotonic() - cached[0] < TOKEN_REUSE_SECONDS:
            return cached[1]
        token = super().token(username, admin=admin, stores=stores)
        self.issued[key] = (time.monotonic(), token)
        return token


def moto_signing_key() -> Any:
    """The private key moto signs every user pool's tokens with (a genuine issuer key): for
    tests that need a validly signed token with claims of their choosing."""
    import gzip
    from importlib import resources

    import jwt

    path = resources.files("moto.cognitoidp") / "resources" / "jwks-private.json.gz"
    return jwt.PyJWK(json.loads(gzip.decompress(path.read_bytes()))).key


def resign(claims: Mapping[str, Any], key: Any = None) -> str:
    """A token of these claims signed RS256 with `key` (default: moto's, the issuer's own)."""
    import jwt

    signer = moto_signing_key() if key is None else key
    return jwt.encode(dict(claims), signer, algorithm="RS256", headers={"kid": "dummy"})


def unverified(token: str) -> dict[str, Any]:
    """A token's claims, unchecked."""
    import jwt

    return dict(jwt.decode(token, options={"verify_signature": False}))


# ----------------------------------------------------------------------------- HTTP


@dataclass
class ApiResponse:
    """An HTTP answer. Unpacks as ``status, json_body, headers`` (headers lower-case)."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def __iter__(self) -> Iterator[Any]:
        return iter((self.status, self.json, self.headers))

    def __getitem__(self, index: int) -> Any:
        return (self.status, self.json, self.headers)[index]


class ApiClient:
    """The template's HTTP API in this process, as a client sees it over HTTP.

    ``auth`` is the local stack's authorization (the template's user pool on moto and its JWT
    authorizer in front of every route, as API Gateway runs it); None: requests reach the
    functions without claims (and the functions refuse them: 401). A function that raises fails
    the test with its own traceback (API Gateway would say 500). ``default_headers`` go with
    every request (the fixture's client sends an administrator's access token).
    """

    def __init__(self, template: Template, invoke: Invoker, auth: LocalAuth | None = None):
        self.auth = auth
        self.gateway = HttpApiGateway(
            template.routes,
            invoke,
            account_id=ACCOUNT_ID,
            api_id="local",
            on_error=self._raise,
            authorize=auth.authorize if auth is not None else None,
        )
        self.default_headers: dict[str, str] = {}

    def with_token(self, token: str | None) -> ApiClient:
        """The same API, called with this access token (None: with no Authorization header)."""
        other = copy.copy(self)
        other.default_headers = {
            k: v for k, v in self.default_headers.items() if k != "authorization"
        }
        if token is not None:
            other.default_headers["authorization"] = f"Bearer {token}"
        return other

    def token(self, username: str, *, admin: bool = False, stores: tuple[str, ...] = ()) -> str:
        """A fresh access token of `username` in the pool (created or updated with that role:
        ``admin``, or owner of ``stores``), logged in as a user would."""
        assert self.auth is not None, "this client has no user pool"
        return self.auth.token(username, admin=admin, stores=stores)

    def as_user(
        self, username: str, *, admin: bool = False, stores: tuple[str, ...] = ()
    ) -> ApiClient:
        """The same API, called with a fresh access token of that user."""
        return self.with_token(self.token(username, admin=admin, stores=stores))

    @staticmethod
    def _raise(function: str, exc: BaseException) -> None:
        raise exc

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        json: Any = None,
        body: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ApiResponse:
        """``json`` is sent as application/json; ``body`` as is (text/plain unless ``headers``
        say otherwise)."""
        sent = {"host": "api.local", **self.default_headers}
        if json is not None:
            body = _json_dumps(json)
            sent["content-type"] = "application/json"
        elif body is not None:
            sent["content-type"] = "text/plain; charset=utf-8"
        sent.update({k.lower(): v for k, v in (headers or {}).items()})
        target = f"{path}?{urlencode(query)}" if query else path
        data = body.encode() if isinstance(body, str) else (body or b"")
        request = HttpRequest.from_target(method, target, headers=list(sent.items()), body=data)
        return _response(self.gateway.handle(request))

    def get(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> ApiResponse:
        return self.request("POST", path, json=json, **kwargs)

    def send_event(self, event: dict[str, Any]) -> ApiResponse:
        """A ready payload 2.0 event (events/*.json) to the function of its routeKey."""
        [route] = [r for r in self.gateway.router.routes if r.route.route_key == event["routeKey"]]
        return _response(self.gateway.call(route.route, event))


def _json_dumps(value: Any) -> str:
    return json.dumps(value)


def _response(response: HttpResponse) -> ApiResponse:
    headers: dict[str, str] = {}
    for name, value in response.headers:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return ApiResponse(response.status, headers, response.body)


# ----------------------------------------------------------------------------- the queue


class WorkerQueue:
    """ReportQueue -> WorkerFunction (or another queue -> its function) through the local
    stack's SQS event source mapping, `batch_size` messages per poll (the template's BatchSize
    1, partial batch responses). A message the function hands back is made visible again at
    once instead of after its back-off."""

    def __init__(
        self,
        invoke: Invoker,
        queue_url: str,
        queue_arn: str,
        function: str = "WorkerFunction",
        batch_size: int = 1,
    ):
        from tests.iam_check import RECORDER

        self.sqs = boto3.client("sqs")
        self.queue_url = queue_url
        # on AWS the event source mapping polls with the function's role: checked as its own
        polling = boto3.client("sqs")
        RECORDER.attach(polling, function)
        self.source = SqsEventSource(
            polling,
            queue_url,
            queue_arn,
            lambda event: invoke(function, event),
            region=REGION,
            batch_size=batch_size,
            report_batch_item_failures=True,
            wait_seconds=0,
            name=f"{function}-queue",
        )
        self.outcomes: list[BatchOutcome] = []

    def poll_once(self) -> BatchOutcome | None:
        outcome = self.source.poll_once()
        if outcome is None:
            return None
        for message in outcome.messages:
            if message["MessageId"] in outcome.kept:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=0,
                )
        self.outcomes.append(outcome)
        return outcome

    def drain(self, limit: int = 50) -> list[BatchOutcome]:
        """Poll until the queue is empty; the deliveries made."""
        done = []
        for _ in range(limit):
            outcome = self.poll_once()
            if outcome is None:
                return done
            done.append(outcome)
        raise AssertionError("the queue did not drain")
