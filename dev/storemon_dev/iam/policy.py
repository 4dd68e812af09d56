"""A small evaluator of IAM policy documents: the subset of IAM that template.yaml uses.

No library on PyPI evaluates one request (action, resource, condition context) against policy
documents offline: iam-ape computes effective permissions of a whole account dump without
request context, sibyl-aws calls IAM's SimulatePrincipalPolicy on a real account, and moto's
``IAMPolicy`` turns an Allow whose condition does not hold into an explicit Deny and has no
set operators (``ForAllValues:``). So this module implements, after the IAM User Guide's
"Policy evaluation logic" and "Condition operators":

- statements: ``Effect`` Allow / Deny, ``Action`` / ``NotAction``, ``Resource`` /
  ``NotResource``, ``Condition``; a policy's ``Statement`` as a list or a single object;
- matching: actions case-insensitively, resources case-sensitively, ``*`` and ``?`` wildcards;
  an ARN's first five segments matched one by one (a wildcard never spans a ``:`` there), the
  resource part whole;
- conditions: ``String{Equals,NotEquals,EqualsIgnoreCase,NotEqualsIgnoreCase,Like,NotLike}``,
  ``Arn{Equals,Like,NotEquals,NotLike}``, ``Bool``, ``Null``, ``Numeric*``; the ``IfExists``
  suffix and the ``ForAllValues:`` / ``ForAnyValue:`` prefixes. Operators are AND-ed, keys of
  one operator AND-ed, the values of one key OR-ed (negated operators: none may match). A key
  missing from the request makes a positive operator false and a negated one true;
  ``ForAllValues`` of an empty or missing key is true, ``ForAnyValue`` false.
- the decision: an explicit Deny in any policy wins, then any Allow, else the implicit deny.

Anything outside that subset (another operator, a policy variable ``${aws:username}``, a
``Principal`` in an identity policy) raises :class:`UnsupportedPolicy`: the check refuses to
guess rather than pass silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ALLOW, DENY, IMPLICIT_DENY = "allow", "deny", "implicit deny"
ContextValue = str | Sequence[str]


class UnsupportedPolicy(ValueError):
    """The policy uses IAM outside the subset this evaluator knows."""


@dataclass(frozen=True)
class Request:
    """One authorization request: ``s3:GetObject`` on ``arn:aws:s3:::bucket/key`` with its
    condition context (``{"s3:prefix": "input/x"}``, ``{"dynamodb:LeadingKeys": ["latest"]}``)."""

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """The outcome and the statements that made it (their Sid, or their position)."""

    effect: str
    statements: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.effect == ALLOW


def evaluate(policies: Iterable[Mapping[str, Any]], request: Request) -> Decision:
    """The decision of these policy documents (all of one principal) on `request`."""
    allows: list[str] = []
    denies: list[str] = []
    for policy in policies:
        for index, statement in enumerate(_statements(policy)):
            if not _applies(statement, request):
                continue
            name = str(statement.get("Sid") or f"statement {index}")
            effect = statement.get("Effect")
            if effect == "Deny":
                denies.append(name)
            elif effect == "Allow":
                allows.append(name)
            else:
                raise UnsupportedPolicy(f"{name}: Effect must be Allow or Deny, not {effect!r}")
    if denies:
        return Decision(DENY, tuple(denies))
    if allows:
        return Decision(ALLOW, tuple(allows))
    return Decision(IMPLICIT_DENY)


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = policy.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "Principal" in statement or "NotPrincipal" in statement:
        raise UnsupportedPolicy("Principal belongs in resource policies; use principal_policy")
    if not _matches_element(statement, "Action", request.action, action_matches):
        return False
    if not _matches_element(statement, "Resource", request.resource, resource_matches):
        return False
    return conditions_hold(statement.get("Condition") or {}, request.context)


def _matches_element(statement: Mapping[str, Any], name: str, value: str, match: Any) -> bool:
    if name in statement:
        return any(match(pattern, value) for pattern in _listed(statement[name]))
    negated = "Not" + name
    if negated in statement:
        return not any(match(pattern, value) for pattern in _listed(statement[negated]))
    raise UnsupportedPolicy(f"a statement without {name} or {negated}")


def principal_policy(policy: Mapping[str, Any], principal_arn: str) -> dict[str, Any]:
    """The statements of a resource policy (a bucket policy) that name this principal, or
    every principal (``"*"``), as an identity policy of that principal."""
    kept = []
    for statement in _statements(policy):
        principal = statement.get("Principal")
        if principal == "*" or (
            isinstance(principal, Mapping) and principal_arn in _listed(principal.get("AWS"))
        ):
            kept.append({k: v for k, v in statement.items() if k != "Principal"})
        elif "NotPrincipal" in statement:
            raise UnsupportedPolicy("NotPrincipal is not supported")
    return {"Version": "2012-10-17", "Statement": kept}


# ----------------------------------------------------------------------------- matching
_VARIABLE = re.compile(r"\$\{")


def _glob(pattern: str, flags: int = 0) -> re.Pattern[str]:
    if _VARIABLE.search(pattern):
        raise UnsupportedPolicy(f"policy variables are not supported: {pattern!r}")
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(f"^{body}$", flags | re.DOTALL)


def string_like(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's ``*`` (any run of characters) and ``?`` (one character) matching."""
    return _glob(pattern, re.IGNORECASE if ignore_case else 0).match(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    """``s3:Get*`` matches ``s3:GetObject``; service prefixes and names ignore case."""
    return string_like(pattern, action, ignore_case=True)


def resource_matches(pattern: str, arn: str) -> bool:
    """``arn:aws:s3:::bucket/input/*`` matches ``arn:aws:s3:::bucket/input/a.csv``."""
    if pattern == "*":
        return True
    wanted = pattern.split(":", 5)
    actual = arn.split(":", 5)
    if len(wanted) != 6 or len(actual) != 6:
        return pattern == arn  # not an ARN of six segments: only itself
    return all(string_like(w, a) for w, a in zip(wanted, actual, strict=True))


# ----------------------------------------------------------------------------- conditions
_OPERATOR = re.compile(r"^(?:(ForAllValues|ForAnyValue):)?(\w+?)(IfExists)?$")


def conditions_hold(block: Mapping[str, Any], context: Mapping[str, ContextValue]) -> bool:
    """Whether every operator of a ``Condition`` block holds for this request context."""
    return all(_operator_holds(operator, keys, context) for operator, keys in block.items())


def _operator_holds(
    operator: str, keys: Mapping[str, Any], context: Mapping[str, ContextValue]
) -> bool:
    found = _OPERATOR.match(operator)
    if not found:
        raise UnsupportedPolicy(f"condition operator {operator!r}")
    qualifier, name, if_exists = found.groups()
    if name == "Null":
        return all(_null_holds(k, v, context) for k, v in keys.items())
    test, negated = _test(name)
    for key, wanted in keys.items():
        present = key in context
        values = _context_values(context.get(key))
        if qualifier == "ForAllValues":
            ok = all(_one_holds(test, negated, _listed(wanted), v) for v in values)
        elif qualifier == "ForAnyValue":
            ok = any(_one_holds(test, negated, _listed(wanted), v) for v in values)
        elif not present:
            ok = bool(if_exists) or negated
        elif len(values) != 1:
            raise UnsupportedPolicy(f"{operator} on the multivalued key {key}: use a set operator")
        else:
            ok = _one_holds(test, negated, _listed(wanted), values[0])
        if not ok:
            return False
    return True


def _context_values(value: ContextValue | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _one_holds(test: Any, negated: bool, wanted: list[str], value: str) -> bool:
    matched = any(test(w, value) for w in wanted)
    return not matched if negated else matched


def _null_holds(key: str, wanted: Any, context: Mapping[str, ContextValue]) -> bool:
    absent = key not in context or not _context_values(context.get(key))
    return absent == (str(wanted).lower() == "true")


def _numeric(op: str) -> Any:
    def test(wanted: str, value: str) -> bool:
        a, b = float(value), float(wanted)
        return {
            "Equals": a == b,
            "LessThan": a < b,
            "LessThanEquals": a <= b,
            "GreaterThan": a > b,
            "GreaterThanEquals": a >= b,
        }[op]

    return test


_TESTS: dict[str, tuple[Any, bool]] = {
    "StringEquals": (lambda w, v: w == v, False),
    "StringNotEquals": (lambda w, v: w == v, True),
    "StringEqualsIgnoreCase": (lambda w, v: w.lower() == v.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda w, v: w.lower() == v.lower(), True),
    "StringLike": (string_like, False),
    "StringNotLike": (string_like, True),
    "ArnEquals": (lambda w, v: w == v, False),
    "ArnNotEquals": (lambda w, v: w == v, True),
    "ArnLike": (resource_matches, False),
    "ArnNotLike": (resource_matches, True),
    "Bool": (lambda w, v: w.lower() == v.lower(), False),
    "NumericEquals": (_numeric("Equals"), False),
    "NumericNotEquals": (_numeric("Equals"), True),
    "NumericLessThan": (_numeric("LessThan"), False),
    "NumericLessThanEquals": (_numeric("LessThanEquals"), False),
    "NumericGreaterThan": (_numeric("GreaterThan"), False),
    "NumericGreaterThanEquals": (_numeric("GreaterThanEquals"), False),
}


def _test(name: str) -> tuple[Any, bool]:
    try:
        return _TESTS[name]
    except KeyError:
        raise UnsupportedPolicy(f"condition operator {name!r}") from None
