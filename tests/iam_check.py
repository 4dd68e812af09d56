"""The IAM check of every test (a pytest plugin: ``-p tests.iam_check`` in pyproject.toml).

Every client :mod:`storemon.service.aws` creates is listened to (``aws.add_client_hook``): each
call a function of the template makes while a test runs it (the harness's invoker marks the
function, the SQS event source polls as the worker) is recorded, and after the test each is
evaluated against that function's own role in template.yaml, with S3's rule for missing keys
(:mod:`storemon_dev.iam`). A call the role would not allow on AWS fails the test at teardown,
naming the function, the call, the IAM action and resource, and why.

``iam_enforced`` (a fixture) goes further for one test: calls the roles do not allow are answered
403 as AWS would, before they reach moto.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from storemon_dev.iam.calls import Recorder
from storemon_dev.iam.enforce import Enforcer
from storemon_dev.iam.roles import RoleBook, violations

RECORDER = Recorder()


def pytest_configure(config: pytest.Config) -> None:
    from storemon.service import aws

    aws.add_client_hook(RECORDER.attach)


def _resources(request: pytest.FixtureRequest) -> dict | None:
    for name in ("live_stack", "stack"):
        if name in request.fixturenames:
            return request.getfixturevalue(name)
    return None


@pytest.fixture(autouse=True)
def iam_checked(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails the test when a function called AWS beyond its role (see the module doc)."""
    resources = _resources(request)  # before the test: its names and ARNs resolve the roles
    RECORDER.take()
    yield
    calls = RECORDER.take()
    if not calls:
        return
    from tests.harness import TEMPLATE

    found = violations(RoleBook.load(TEMPLATE, resources), calls)
    if found:
        lines = "\n".join(f"- {v}" for v in found)
        pytest.fail(f"calls template.yaml's roles do not allow on AWS:\n{lines}", pytrace=False)


@pytest.fixture
def iam_enforced(request: pytest.FixtureRequest) -> Iterator[Callable[..., Enforcer]]:
    """``iam_enforced(template_path=None)``: from then on in this test, the functions' calls
    get AWS's IAM answers (403) under that template's roles (default: template.yaml's).
    Needs a stack fixture."""
    from storemon.service import aws
    from tests.harness import TEMPLATE

    resources = _resources(request)
    removers: list[Callable[[], None]] = []

    def enforce(template_path: str | Path | None = None) -> Enforcer:
        enforcer = Enforcer(RoleBook.load(template_path or TEMPLATE, resources))
        removers.append(aws.add_client_hook(enforcer.attach))
        aws.reset()
        return enforcer

    yield enforce
    for remove in removers:
        remove()
    aws.reset()
