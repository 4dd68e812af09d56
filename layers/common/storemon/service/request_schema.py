"""The request's parts declared once, as plain data, and checked by hand: no pydantic.

A route's path and query parameters and a body's fields are :class:`Field` declarations
(:mod:`storemon.service.request_rules` holds the API's). Two things read them:

- this module's checks, on the Lambda's cold path: :func:`check_params` for a route's path and
  query parameters (lax, as Powertools' validation read them: a query value is text),
  :func:`check_body` for a JSON body (strict, as the body models were: ``"5"`` is not 5);
- the OpenAPI document's models (:mod:`storemon.service.api_models`, built from the same
  declarations where the document is made), so what the document says the service checks.

Each problem is reported as pydantic reports it (``type``, ``loc``, ``msg``, ``ctx``), in the
same order and with the same message, so the 400 answers (``request_rules.describe``) are the
ones the pydantic models gave.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

Problem = dict[str, Any]
NOTHING: Any = object()  # a field's default when it has none (a required field)


@dataclass(frozen=True)
class Text:
    """A string: its length in characters, then its pattern (a full match), then ``after``
    (which may normalise it, or raise ValueError). ``description``/``examples`` describe the
    type in the document (a field says its own beside it)."""

    max_length: int | None = None
    pattern: str | None = None
    min_length: int | None = None
    after: Callable[[str], Any] | None = None
    description: str | None = None
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Choice:
    """One of these strings, exactly."""

    values: tuple[str, ...]


@dataclass(frozen=True)
class Integer:
    """An integer in [ge, le]. In a body (strict) a JSON integer, or a number with a zero
    fraction when ``whole_floats`` (JSON Schema's integers: ``30.0`` is 30); in a query, the
    text of one (``" 5 "``, ``"1_000"`` and ``"5.00"`` read as pydantic reads them)."""

    ge: int | None = None
    le: int | None = None
    whole_floats: bool = False


@dataclass(frozen=True)
class Boolean:
    """true or false (a body's only: strict)."""


@dataclass(frozen=True)
class ListOf:
    """A JSON array of ``item`` of ``min_length`` to ``max_length`` items."""

    item: Text | Choice | Integer | Boolean
    min_length: int | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class Field:
    """A body field or a route parameter (``where``: "body", "path" or "query"). ``name`` is the
    Python name the route or the caller gets it as, ``alias`` its name in the request (``from``
    is a keyword). Without a default it is required; with the default None it may be null."""

    name: str
    kind: Text | Choice | Integer | Boolean | ListOf
    default: Any = NOTHING
    alias: str | None = None
    where: str = "body"
    description: str | None = None
    examples: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.alias or self.name

    @property
    def required(self) -> bool:
        return self.default is NOTHING


@dataclass(frozen=True)
class Body:
    """A JSON object body: these fields, no other key."""

    name: str
    doc: str
    fields: tuple[Field, ...]


# ----------------------------------------------------------------------------- problems
def _problem(kind: str, loc: tuple, msg: str, **ctx: Any) -> Problem:
    return {"type": kind, "loc": loc, "msg": msg, "ctx": ctx}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _choices(values: Sequence[str]) -> str:
    quoted = [repr(v) for v in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _bound(value: int, kind: Integer, loc: tuple) -> Problem | None:
    if kind.ge is not None and value < kind.ge:
        msg = f"Input should be greater than or equal to {kind.ge}"
        return _problem("greater_than_equal", loc, msg, ge=kind.ge)
    if kind.le is not None and value > kind.le:
        msg = f"Input should be less than or equal to {kind.le}"
        return _problem("less_than_equal", loc, msg, le=kind.le)
    return None


# ----------------------------------------------------------------------------- values
def _text(value: Any, kind: Text, loc: tuple) -> tuple[Any, Problem | None]:
    problem = _text_problem(value, kind, loc)
    if problem or kind.after is None:
        return (None, problem) if problem else (value, None)
    try:
        return kind.after(value), None
    except ValueError as exc:
        return None, _problem("value_error", loc, f"Value error, {exc}", error=str(exc))


def _text_problem(value: Any, kind: Text, loc: tuple) -> Problem | None:
    """The first of: not a string, not one of Unicode, too short, too long, not the pattern."""
    if not isinstance(value, str):
        return _problem("string_type", loc, "Input should be a valid string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in JSON)
        msg = "Input should be a valid string, unable to parse raw data as a unicode string"
        return _problem("string_unicode", loc, msg)
    if kind.min_length is not None and len(value) < kind.min_length:
        msg = f"String should have at least {_plural(kind.min_length, 'character')}"
        return _problem("string_too_short", loc, msg, min_length=kind.min_length)
    if kind.max_length is not None and len(value) > kind.max_length:
        msg = f"String should have at most {_plural(kind.max_length, 'character')}"
        return _problem("string_too_long", loc, msg, max_length=kind.max_length)
    if kind.pattern is not None and not full_match(kind.pattern, value):
        msg = f"String should match pattern '{kind.pattern}'"
        return _problem("string_pattern_mismatch", loc, msg, pattern=kind.pattern)
    return None


def full_match(pattern: str, value: str) -> bool:
    """`value` matches the whole of `pattern` (``^...$``, read as JSON Schema and pydantic's
    Rust engine read it: ``$`` is the end of the text, not before a last newline)."""
    return _compiled(pattern).fullmatch(value) is not None


_PATTERNS: dict[str, re.Pattern] = {}


def _compiled(pattern: str) -> re.Pattern:
    if pattern not in _PATTERNS:
        _PATTERNS[pattern] = re.compile(pattern.removeprefix("^").removesuffix("$"))
    return _PATTERNS[pattern]


# Rust's str::trim (Unicode White_Space), which pydantic trims a number's text with; Python's
# str.strip() would also take \x1c-\x1f
_WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)
_INTEGER_TEXT = re.compile(r"([+-]?[0-9]+(?:_[0-9]+)*)(?:\.0+)?")
_MAX_INTEGER_DIGITS = 4300  # Python's int() limit, which pydantic keeps


def _integer(value: Any, kind: Integer, loc: tuple, strict: bool) -> tuple[Any, Problem | None]:
    if kind.whole_floats and isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and not strict:
        text = value.strip(_WHITE_SPACE)
        found = _INTEGER_TEXT.fullmatch(text)
        if len(found.group(1) if found else text) > _MAX_INTEGER_DIGITS:
            msg = "Unable to parse input string as an integer, exceeded maximum size"
            return None, _problem("int_parsing_size", loc, msg)
        if not found:
            msg = "Input should be a valid integer, unable to parse string as an integer"
            return None, _problem("int_parsing", loc, msg)
        value = int(found.group(1))
    if not isinstance(value, int) or isinstance(value, bool):
        return None, _problem("int_type", loc, "Input should be a valid integer")
    problem = _bound(value, kind, loc)
    return (None, problem) if problem else (value, None)


def _list(value: Any, kind: ListOf, loc: tuple, problems: list[Problem]) -> Any:
    if not isinstance(value, list):
        problems.append(_problem("list_type", loc, "Input should be a valid list"))
        return None
    n = len(value)
    if kind.max_length is not None and n > kind.max_length:
        msg = f"List should have at most {_plural(kind.max_length, 'item')} after validation, "
        problems.append(_problem("too_long", loc, msg + f"not {n}", max_length=kind.max_length))
        return None
    before = len(problems)
    out = [check_value(item, kind.item, (*loc, i), problems) for i, item in enumerate(value)]
    if len(problems) == before and kind.min_length is not None and n < kind.min_length:
        msg = f"List should have at least {_plural(kind.min_length, 'item')} after validation, "
        problems.append(_problem("too_short", loc, msg + f"not {n}", min_length=kind.min_length))
    return out


def check_value(
    value: Any,
    kind: Text | Choice | Integer | Boolean | ListOf,
    loc: tuple,
    problems: list[Problem],
    *,
    strict: bool = True,
) -> Any:
    """`value` checked (and normalised) as `kind`; each problem appended to `problems`."""
    if isinstance(kind, ListOf):
        return _list(value, kind, loc, problems)
    problem: Problem | None = None
    if isinstance(kind, Text):
        value, problem = _text(value, kind, loc)
    elif isinstance(kind, Choice):
        if not (isinstance(value, str) and value in kind.values):
            msg = f"Input should be {_choices(kind.values)}"
            problem = _problem("literal_error", loc, msg, expected=_choices(kind.values))
    elif isinstance(kind, Integer):
        value, problem = _integer(value, kind, loc, strict)
    elif not isinstance(value, bool):
        problem = _problem("bool_type", loc, "Input should be a valid boolean")
    if problem:
        problems.append(problem)
    return value


# ----------------------------------------------------------------------------- bodies, params
def check_body(body: Body, data: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The body's values by field name (defaults filled in), and its problems: each field's in
    the declaration's order, then each key no field has, in the request's order."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for field in body.fields:
        if field.key not in data:
            if field.required:
                problems.append(_problem("missing", (field.key,), "Field required"))
            values[field.name] = None if field.required else field.default
            continue
        value = data[field.key]
        if value is None and field.default is None:
            values[field.name] = None
            continue
        values[field.name] = check_value(value, field.kind, (field.key,), problems)
    known = {field.key for field in body.fields}
    for key in data:
        if key not in known:
            msg = "Extra inputs are not permitted"
            problems.append(_problem("extra_forbidden", (key,), msg))
    return values, problems


def check_params(
    params: Sequence[Field], path: Mapping[str, Any], event: Any
) -> tuple[dict[str, Any], list[Problem]]:
    """A route's path and query parameters, as the route's keyword arguments (defaults filled
    in), and their problems (loc ``("path", name)`` / ``("query", name)``): the path's first,
    then the query's, each in the declaration's order, as Powertools' validation gave them."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    query = query_values(event)
    for where, received in (("path", path), ("query", query)):
        for field in (p for p in params if p.where == where):
            value = received.get(field.key)
            if value is None:
                if field.required:
                    problems.append(_problem("missing", (where, field.key), "Field required"))
                else:
                    values[field.name] = field.default
                continue
            loc = (where, field.key)
            values[field.name] = check_value(value, field.kind, loc, problems, strict=False)
    return values, problems


def query_values(event: Any) -> dict[str, Any]:
    """The query's values as Powertools' validation reads them from an HTTP API event: the text
    API Gateway joined with commas, except a name repeated in the raw query string, whose values
    are a list (which no scalar parameter accepts)."""
    query = event.query_string_parameters or {}
    raw = event.get("rawQueryString")
    if raw:
        repeated = {k for k, v in parse_qs(raw, keep_blank_values=True).items() if len(v) > 1}
    else:
        repeated = set(event.get("multiValueQueryStringParameters") or {})
    out: dict[str, Any] = {}
    for name, text in query.items():
        parts = text.split(",")
        out[name] = parts if name in repeated and len(parts) > 1 else text
    return out
