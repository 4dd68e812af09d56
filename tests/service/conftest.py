"""Fixtures of the service tests: moto in-process, resources made from template.yaml."""

from __future__ import annotations

import os

import pytest

# Powertools reads these when the handler modules are imported.
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "storemon")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "storemon")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

from tests.service.helpers import TEMPLATE, load_app  # noqa: E402

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@pytest.fixture
def aws_env(monkeypatch):
    """Fake credentials, one region, no endpoint or profile from the outside world."""
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    outside = ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
    for name in outside:
        monkeypatch.delenv(name, raising=False)
    from storemon import aws

    aws.reset()
    yield
    aws.reset()


def _stack(monkeypatch, notifications: bool):
    from moto import mock_aws

    from storemon_dev.local.resources import create_resources

    with mock_aws():
        res = create_resources(TEMPLATE, notifications=notifications)
        for name, value in res["env"].items():
            monkeypatch.setenv(name, value)
        yield res


@pytest.fixture
def stack(aws_env, monkeypatch):
    """The template's bucket, table and queues in moto, the functions' environment set.
    Without the bucket notification, so only the messages a test sends are on the queue."""
    yield from _stack(monkeypatch, notifications=False)


@pytest.fixture
def live_stack(aws_env, monkeypatch):
    """Like `stack`, with the input/ -> ReportQueue notification of the template."""
    yield from _stack(monkeypatch, notifications=True)


@pytest.fixture(scope="session")
def apps():
    return {name: load_app(name) for name in ("trigger", "worker", "get_report")}
