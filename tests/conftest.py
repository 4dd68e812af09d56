"""Fixtures shared by the whole suite.

- ``moto_endpoint``: ONE moto server per test process (session-wide), on a free loopback port;
- ``aws_env``: that server with its state reset, the environment pointed at it (dummy
  credentials, no profile), storemon's caches of S3 objects emptied;
- ``@pytest.mark.shared_stack``: tests that only read the stack (a refusal, a validation
  answer, a policy lookup) share one: the first of them in a module makes it, the next ones of
  that module find it as it was made (their own uploads aside), any other test starts again
  from an empty server. A marked test must leave no record or message a later one could see;
- ``stack`` / ``live_stack``: template.yaml's bucket, table and queues created in it and the
  functions' environment set (``live_stack`` with the bucket's input/ -> ReportQueue
  notification);
- ``apps``: the three handler modules; ``api``: the HTTP API through the local stack's API
  Gateway emulation and JWT authorizer, called with an administrator's token;
  ``worker_queue``: ReportQueue -> worker through its SQS event source.

What is made once per test process (per xdist worker) and why it may be:
- the user pool (``user_pool_auth``) lives on a second moto server, in a child process, which
  the per-test reset of ``moto_endpoint`` does not touch; its tokens are reused while fresh
  (the functions trust the claims a token carries, and those depend only on the role asked
  for);
- the boto3 clients that create the stack (``resource_clients``), and storemon's own cached
  clients between two ``aws_env`` tests that leave the environment as they found it (any other
  test, or an ``aws_env`` test that changed an AWS variable, drops them).

Hypothesis profiles: ``HYPOTHESIS_PROFILE=ci`` (what ``make test`` and CI run) or ``dev`` (the
default, for ``make test-fast`` and single test files); no deadline in either.
"""

from __future__ import annotations

import logging
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# Timing goals live in `make bench`, never in a test: no hypothesis deadline anywhere (the first
# example of a test can pay for imports and warm-up, which failed a property test run alone).
# Example counts come from the profile, never from a test: `ci` explores, `dev` is a quick look.
settings.register_profile("ci", deadline=None, max_examples=100, print_blob=True)
settings.register_profile("dev", deadline=None, max_examples=10)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Powertools reads these when the handler modules are imported.
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "storemon")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "storemon")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

from storemon_dev.handlers import load_app  # noqa: E402
from tests.harness import (  # noqa: E402
    TEMPLATE,
    ApiClient,
    ReusedTokenAuth,
    WorkerQueue,
    handler_invoker,
    moto_in_child_process,
)

ROOT = Path(__file__).resolve().parents[1]
# subprocesses import this checkout's code (pytest's own path comes from pyproject's pythonpath)
CHECKOUT_PATH = os.pathsep.join(str(ROOT / p) for p in ("layers/common", "dev"))

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
OUTSIDE_AWS = ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of the moto server of this test process."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    saved = {k: os.environ.get(k) for k in FAKE_AWS}
    os.environ.update(FAKE_AWS)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def reset_moto(endpoint: str) -> None:
    """Forget every resource of the server (moto's reset API)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=30):  # noqa: S310 - the local moto server
        pass


# The stack that ``shared_stack`` tests of one module find made: (module, live?) and what
# create_resources answered; None after any other test (which resets the server).
_shared: dict = {"key": None, "stack": None}


# storemon's cached boto3 clients stay valid from one aws_env test to the next while they point at
# the same server with the same environment; any other test may make clients of its own.
_clients_are_aws_envs = False


@pytest.fixture(autouse=True)
def _storemon_clients_outside_aws_env(request) -> None:
    global _clients_are_aws_envs  # noqa: PLW0603 - one flag for the whole test process
    if "aws_env" not in request.fixturenames:
        _clients_are_aws_envs = False
        # moto's state is the process's: a local stack or another server may have changed it
        _shared.update(key=None, stack=None)


def _shared_key(request) -> tuple[str, bool] | None:
    if request.node.get_closest_marker("shared_stack") is None:
        return None
    return (request.node.module.__name__, "live_stack" in request.fixturenames)


@pytest.fixture
def aws_env(moto_endpoint, monkeypatch, request) -> Iterator[str]:
    """A clean emulated AWS for this test, and cold functions (storemon's caches of S3 objects
    emptied: the bucket's names repeat from test to test); yields its endpoint. A
    ``shared_stack`` test after another of its module keeps the server as it is."""
    global _clients_are_aws_envs  # noqa: PLW0603
    from storemon.service import aws
    from storemon.service.cache import clear_caches

    key = _shared_key(request)
    if key is None or _shared["key"] != key:
        _shared.update(key=None, stack=None)
        reset_moto(moto_endpoint)
    clear_caches()
    for name, value in FAKE_AWS.items():
        monkeypatch.setenv(name, value)
    for name in OUTSIDE_AWS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    if not _clients_are_aws_envs:
        aws.reset()
    expected = _aws_variables()
    yield moto_endpoint
    _clients_are_aws_envs = _aws_variables() == expected
    if not _clients_are_aws_envs:
        aws.reset()


def _aws_variables() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "BOTO"))}


@pytest.fixture(scope="session")
def resource_clients(moto_endpoint) -> dict:
    """boto3 clients of ``moto_endpoint`` for creating the stack (made once: each new client
    reads its service's model files)."""
    import boto3

    session = boto3.session.Session(region_name=FAKE_AWS["AWS_REGION"])
    return {
        name: session.client(name, endpoint_url=moto_endpoint)
        for name in ("s3", "dynamodb", "sqs", "sns")
    }


def _stack(request, monkeypatch, clients: dict, notifications: bool) -> dict:
    from storemon_dev.local.resources import create_resources

    key = _shared_key(request)
    res = _shared["stack"] if key is not None and _shared["key"] == key else None
    if res is None:
        res = create_resources(TEMPLATE, clients=clients, notifications=notifications)
        if key is not None:
            _shared.update(key=key, stack=res)
    for name, value in res["env"].items():
        monkeypatch.setenv(name, value)
    # upload notifications refresh at once here (the quiet period has its own tests)
    monkeypatch.setenv("REFRESH_QUIET_SECONDS", "0")
    # the subscriptions' and deliveries' resources; the worker evaluates alerts only with the
    # ``alerts`` fixture (ALERTS_TABLE), so the report tests see report messages only
    monkeypatch.setenv("SUBSCRIPTIONS_TABLE", res["subscriptions_table"])
    monkeypatch.setenv("DELIVERY_QUEUE_URL", res["delivery_queue_url"])
    return res


@pytest.fixture
def stack(aws_env, resource_clients, monkeypatch, request) -> dict:
    """The template's bucket, table and queues, the functions' environment set. Without the
    bucket notification, so only the messages a test sends are on the queue."""
    return _stack(request, monkeypatch, resource_clients, notifications=False)


@pytest.fixture
def live_stack(aws_env, resource_clients, monkeypatch, request) -> dict:
    """Like `stack`, with the input/ -> ReportQueue notification of the template."""
    return _stack(request, monkeypatch, resource_clients, notifications=True)


@pytest.fixture(scope="session")
def template():
    from storemon_dev.local.template import Template

    return Template.load(TEMPLATE)


@pytest.fixture(scope="session")
def apps():
    return {
        name: load_app(name)
        for name in ("trigger", "worker", "get_report", "subscriptions", "delivery")
    }


@pytest.fixture(scope="session")
def user_pool_auth(template) -> Iterator[ReusedTokenAuth]:
    """The template's user pool and JWT authorizer, on a moto server of its own (a child
    process: resetting ``moto_endpoint`` before each test leaves the pool and its users)."""
    import boto3

    with moto_in_child_process() as endpoint:
        cognito = boto3.client(
            "cognito-idp",
            endpoint_url=endpoint,
            region_name=FAKE_AWS["AWS_REGION"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        auth = ReusedTokenAuth.create(template, cognito, endpoint)
        assert auth is not None, "template.yaml's HTTP API has no authorizer"
        yield auth


@pytest.fixture
def api(template, apps, aws_env, user_pool_auth) -> ApiClient:
    """The HTTP API: ``api.get("/get_report", query={...})``, ``api.post(path, json=...)``;
    answers unpack as ``status, body, headers``. Needs ``stack`` or ``live_stack``.

    Authorization is on, as on AWS: the template's user pool is made on moto, its JWT
    authorizer checks every request, and the client sends an administrator's access token
    (user ``admin``). ``api.as_user("olivia", stores=("1001",))`` is the same API called by a
    store owner, ``api.with_token(None)`` without a token."""
    client = ApiClient(template, handler_invoker(template, apps), user_pool_auth)
    return client.with_token(client.token("admin", admin=True))


@pytest.fixture
def worker_queue(template, apps, request) -> WorkerQueue:
    """ReportQueue -> WorkerFunction of the test's ``stack`` (or ``live_stack``)."""
    name = "live_stack" if "live_stack" in request.fixturenames else "stack"
    res = request.getfixturevalue(name)
    return WorkerQueue(handler_invoker(template, apps), res["queue_url"], res["queue_arn"])
