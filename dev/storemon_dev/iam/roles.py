"""Each function's role in template.yaml, resolved, and the check of recorded calls against it.

:class:`RoleBook` reads the template: for every ``AWS::Serverless::Function`` its ``Role``
(``!GetAtt SomeRole.Arn``), that ``AWS::IAM::Role``'s inline policies, and the bucket policy of
the data bucket (a resource policy: its Deny applies to every caller), with ``!GetAtt``,
``!Sub`` and ``!Ref`` resolved against the created resources (the local stack's names and
ARNs). A function with SAM's ``Policies`` or a role with managed policies is refused: the check
could not see what they grant.

:func:`violations` evaluates every recorded call (:mod:`storemon_dev.iam.calls`): each IAM
request it needs must be allowed by its function's role, else one line says who did what on
which resource and what AWS would answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storemon_dev.iam.calls import Call, requests_of
from storemon_dev.iam.policy import Request, evaluate, principal_policy
from storemon_dev.local.resources import DEFAULT_NAMES, _Context, load_template

REGION = "us-east-1"
ACCOUNT = "123456789012"
# Requests are made over TLS from Lambda: the condition the bucket policy's Deny tests
REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


@dataclass(frozen=True)
class Role:
    """A function's role: its logical id and its resolved policy documents."""

    name: str
    policies: tuple[dict[str, Any], ...]


class RoleBook:
    """The roles of a template's functions, resolved against a set of created resources."""

    def __init__(self, template: Mapping[str, Any], context: _Context):
        self.template = template
        self.context = context
        resources = template.get("Resources") or {}
        self.roles: dict[str, Role] = {}
        for logical, spec in resources.items():
            if spec.get("Type") == "AWS::Serverless::Function":
                self.roles[logical] = self._role_of(logical, spec.get("Properties") or {})
        self.resource_policies = tuple(
            self._resolve(spec["Properties"]["PolicyDocument"])
            for spec in resources.values()
            if spec.get("Type") == "AWS::S3::BucketPolicy"
        )
        self.hash_keys = self._hash_keys(resources)

    @classmethod
    def load(
        cls, path: str | Path | None = None, resources: Mapping[str, Any] | None = None
    ) -> RoleBook:
        """The template at `path` (default: the project's), resolved against `resources`
        (what ``create_resources`` returned; default: the local stack's default names)."""
        template = load_template(path)
        context = resources["_context"] if resources else default_context(template)
        return cls(template, context)

    def _role_of(self, function: str, props: Mapping[str, Any]) -> Role:
        if "Policies" in props:
            raise ValueError(f"{function}: SAM Policies are not checked; give it a Role")
        role_ref = props.get("Role") or {}
        target = role_ref.get("Fn::GetAtt") if isinstance(role_ref, Mapping) else None
        if not target:
            raise ValueError(f"{function}: Role must be !GetAtt <AWS::IAM::Role>.Arn")
        name = target[0] if isinstance(target, list) else str(target).split(".")[0]
        role = (self.template.get("Resources") or {})[name]
        rprops = role.get("Properties") or {}
        if rprops.get("ManagedPolicyArns"):
            raise ValueError(f"{name}: managed policies are not checked")
        documents = [self._resolve(p["PolicyDocument"]) for p in rprops.get("Policies") or []]
        return Role(name, tuple(documents))

    def _resolve(self, value: Any) -> Any:
        """Intrinsics resolved; one this context cannot resolve (a log group's ARN) becomes a
        placeholder that matches no call."""
        if isinstance(value, list):
            return [self._resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1 and (next(iter(value)) == "Ref" or next(iter(value)).startswith("Fn::")):
            try:
                return self.context.resolve(value)
            except KeyError as exc:
                return f"arn:unresolved:{exc.args[0]}"
        return {k: self._resolve(v) for k, v in value.items()}

    @staticmethod
    def _hash_keys(resources: Mapping[str, Any]) -> dict[str, str]:
        """Each created table's partition key attribute (for ``dynamodb:LeadingKeys``)."""
        out: dict[str, str] = {}
        for logical, spec in resources.items():
            if spec.get("Type") != "AWS::DynamoDB::Table":
                continue
            schema = (spec.get("Properties") or {}).get("KeySchema") or []
            for key in schema:
                if key.get("KeyType") == "HASH":
                    out[logical] = key["AttributeName"]
        return out

    def table_hash_keys(self) -> dict[str, str]:
        """{physical table name: partition key attribute}."""
        return {
            self.context.refs[logical]: key
            for logical, key in self.hash_keys.items()
            if logical in self.context.refs
        }

    def decide(self, function: str, request: Request) -> tuple[bool, str]:
        """Whether `function`'s role allows `request` (bucket policy included), and why not."""
        role = self.roles[function]
        context = {**REQUEST_CONTEXT, **request.context}
        request = Request(request.action, request.resource, context)
        principal = f"arn:aws:iam::{ACCOUNT}:role/{role.name}"
        resource = [principal_policy(p, principal) for p in self.resource_policies]
        if request.action.startswith("s3:"):
            denied = evaluate(resource, request)
            if denied.effect == "deny":
                return False, f"denied by the bucket policy ({', '.join(denied.statements)})"
        decision = evaluate(role.policies, request)
        if decision.allowed:
            return True, ""
        if decision.effect == "deny":
            return False, f"denied by {role.name} ({', '.join(decision.statements)})"
        return False, f"{role.name} does not allow it"


def default_context(template: Mapping[str, Any]) -> _Context:
    """The resolution context of the local stack's default resource names (no AWS call)."""
    parameters = {
        name: str(spec.get("Default", ""))
        for name, spec in (template.get("Parameters") or {}).items()
    }
    ctx = _Context(dict(template), parameters, REGION, ACCOUNT)
    bucket, table = DEFAULT_NAMES["DataBucket"], DEFAULT_NAMES["ReportsTable"]
    ctx.refs["DataBucket"] = bucket
    ctx.attrs[("DataBucket", "Arn")] = f"arn:aws:s3:::{bucket}"
    ctx.refs["ReportsTable"] = table
    ctx.attrs[("ReportsTable", "Arn")] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"
    for logical in ("AlertsTable", "SubscriptionsTable"):
        name = DEFAULT_NAMES[logical]
        ctx.refs[logical] = name
        ctx.attrs[(logical, "Arn")] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    for logical in (
        "ReportQueue",
        "ReportDeadLetterQueue",
        "DeliveryQueue",
        "DeliveryDeadLetterQueue",
    ):
        name = DEFAULT_NAMES[logical]
        ctx.refs[logical] = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"
        ctx.attrs[(logical, "Arn")] = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
    topic = DEFAULT_NAMES["AlertTopic"]
    ctx.refs["AlertTopic"] = f"arn:aws:sns:{REGION}:{ACCOUNT}:{topic}"
    return ctx


@dataclass(frozen=True)
class Violation:
    """A call its function's role would not allow on AWS."""

    call: Call
    request: Request
    reason: str
    because: str = ""

    def __str__(self) -> str:
        context = "".join(f", {k}={v}" for k, v in self.request.context.items())
        line = (
            f"{self.call.function}: {self.call.describe()} needs {self.request.action} on "
            f"{self.request.resource}{context}: {self.reason}"
        )
        return line + (f" ({self.because})" if self.because else "")


def violations(book: RoleBook, calls: Iterable[Call]) -> list[Violation]:
    """Every IAM request of `calls` that its function's role does not allow."""
    hash_keys = book.table_hash_keys()
    found: list[Violation] = []
    seen: set[tuple[str, Request]] = set()
    for call in calls:
        if call.function not in book.roles:
            raise ValueError(f"{call.function} is not a function of the template")
        for needed in requests_of(call, hash_keys):
            key = (call.function, _frozen(needed.request))
            if key in seen:
                continue
            seen.add(key)
            ok, reason = book.decide(call.function, needed.request)
            if not ok:
                found.append(Violation(call, needed.request, reason, needed.because))
    return found


def _frozen(request: Request) -> Any:
    context = tuple(
        (k, v if isinstance(v, str) else tuple(v)) for k, v in sorted(request.context.items())
    )
    return Request(request.action, request.resource, dict(context)).__repr__()
