"""API Gateway HTTP API, locally: route selection, the payload format 2.0 event, and the
translation of the function's answer back to HTTP.

Follows the documented behaviour of HTTP APIs with Lambda proxy integrations (payload 2.0):
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from storemon_dev.local.authorizer import UNAUTHORIZED, AuthorizationFailed, www_authenticate
from storemon_dev.local.template import HttpRoute

STAGE = "$default"
MAX_REQUEST_BYTES = 10 * 1024 * 1024  # HTTP API payload quota
NOT_FOUND = {"message": "Not Found"}
INTERNAL_ERROR = {"message": "Internal Server Error"}
TOO_LARGE = {"message": "Request Entity Too Large"}

# Content types API Gateway passes as text; anything else is base64-encoded in the event.
_TEXT_TYPES = re.compile(
    r"^(text/.*|application/(json|.*\+json|javascript|xml|.*\+xml|x-www-form-urlencoded"
    r"|x-yaml|yaml|csv|graphql))(;.*)?$",
    re.IGNORECASE,
)


# ----------------------------------------------------------------------------- routes


@dataclass(frozen=True)
class CompiledRoute:
    route: HttpRoute
    pattern: re.Pattern[str] | None  # None for $default
    params: tuple[str, ...]
    rank: tuple[int, ...]  # larger is more specific

    @classmethod
    def compile(cls, route: HttpRoute) -> CompiledRoute:
        if route.path == "$default":
            return cls(route, None, (), ())
        parts, names, rank = [], [], []
        segments = route.path.strip("/").split("/") if route.path != "/" else []
        for i, seg in enumerate(segments):
            greedy = re.fullmatch(r"\{([A-Za-z0-9_.\-]+)\+\}", seg)
            param = re.fullmatch(r"\{([A-Za-z0-9_.\-]+)\}", seg)
            if greedy:
                if i != len(segments) - 1:
                    raise ValueError(f"{route.path}: a greedy parameter must be last")
                names.append(greedy.group(1))
                parts.append(f"(?P<p{len(names) - 1}>.+)")
                rank.append(0)
            elif param:
                names.append(param.group(1))
                parts.append(f"(?P<p{len(names) - 1}>[^/]+)")
                rank.append(1)
            else:
                parts.append(re.escape(seg))
                rank.append(2)
        pattern = re.compile("/" + "/".join(parts))
        return cls(route, pattern, tuple(names), tuple(rank))

    def match(self, path: str) -> dict[str, str] | None:
        if self.pattern is None:
            return {}
        m = self.pattern.fullmatch(path)
        if not m:
            return None
        return {name: unquote(m.group(f"p{i}")) for i, name in enumerate(self.params)}


class Router:
    """Chooses the route API Gateway would: the most specific path first (literal segments
    beat ``{param}`` beat ``{proxy+}``), a named method before ``ANY``, ``$default`` last."""

    def __init__(self, routes: Iterable[HttpRoute]):
        self.routes = [CompiledRoute.compile(r) for r in routes]
        keys = [r.route.route_key for r in self.routes]
        dupes = {k for k in keys if keys.count(k) > 1}
        if dupes:
            raise ValueError(f"duplicate routes: {sorted(dupes)}")

    def match(self, method: str, path: str) -> tuple[HttpRoute, dict[str, str]] | None:
        best: tuple[tuple[Any, ...], HttpRoute, dict[str, str]] | None = None
        for compiled in self.routes:
            route = compiled.route
            if route.method not in ("ANY", method.upper()):
                continue
            params = compiled.match(path)
            if params is None:
                continue
            key = (
                compiled.pattern is not None,
                compiled.rank,
                len(compiled.rank),
                route.method != "ANY",
            )
            if best is None or key > best[0]:
                best = (key, route, params)
        return None if best is None else (best[1], best[2])


# ----------------------------------------------------------------------------- requests


@dataclass
class HttpRequest:
    """What the HTTP server hands over: the raw request line parts, headers as received (name,
    value pairs, repeats allowed), the body bytes and the peer."""

    method: str
    raw_path: str
    raw_query: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"
    port: int = 80

    @classmethod
    def from_target(cls, method: str, target: str, **kwargs: Any) -> HttpRequest:
        """From a request target such as ``/get_report?report_id=x``."""
        path, _, query = target.partition("?")
        return cls(method=method, raw_path=path or "/", raw_query=query, **kwargs)


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @classmethod
    def json(cls, status: int, payload: Any, extra: Iterable[tuple[str, str]] = ()) -> HttpResponse:
        body = json.dumps(payload).encode()
        return cls(status, [("content-type", "application/json"), *extra], body)

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


def _request_id() -> str:
    # API Gateway's ids look like "JKJaXmPLvHcESHA=": 10 random bytes, base64
    return base64.b64encode(secrets.token_bytes(10)).decode()


def _is_text(content_type: str | None) -> bool:
    return content_type is None or bool(_TEXT_TYPES.match(content_type.strip()))


def _headers_and_cookies(request: HttpRequest, now: float) -> tuple[dict[str, str], list[str]]:
    """Lower-case headers (repeats joined by commas, as API Gateway does) plus the forwarding
    and trace headers it adds; the Cookie header becomes the event's ``cookies`` list."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    headers.setdefault("x-forwarded-for", request.source_ip)
    headers.setdefault("x-forwarded-proto", "http")
    headers.setdefault("x-forwarded-port", str(request.port))
    headers.setdefault("x-amzn-trace-id", f"Root=1-{int(now):08x}-{uuid.uuid4().hex[:24]}")
    return headers, cookies


def _query_parameters(raw_query: str) -> dict[str, str]:
    """``queryStringParameters``: decoded, repeated keys joined by commas."""
    query: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    return query


def _request_context(
    request: HttpRequest,
    route: HttpRoute,
    headers: Mapping[str, str],
    *,
    path: str,
    account_id: str,
    api_id: str,
    request_id: str,
    now: float,
) -> dict[str, Any]:
    host = headers.get("host", f"127.0.0.1:{request.port}")
    domain = host.split(":", 1)[0]
    return {
        "accountId": account_id,
        "apiId": api_id,
        "domainName": host,
        "domainPrefix": domain.split(".", 1)[0],
        "http": {
            "method": request.method.upper(),
            "path": path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route.route_key,
        "stage": STAGE,
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }


def _body_fields(body: bytes, content_type: str | None) -> dict[str, Any]:
    """``body`` and ``isBase64Encoded``: text types as text, anything else (or text that is
    not UTF-8) base64-encoded; no ``body`` key when the request has none."""
    if not body:
        return {"isBase64Encoded": False}
    if _is_text(content_type):
        try:
            return {"body": body.decode("utf-8"), "isBase64Encoded": False}
        except UnicodeDecodeError:
            pass
    return {"body": base64.b64encode(body).decode(), "isBase64Encoded": True}


def build_event(
    request: HttpRequest,
    route: HttpRoute,
    path_params: Mapping[str, str],
    *,
    account_id: str,
    api_id: str,
    request_id: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The payload format 2.0 event API Gateway sends to a Lambda proxy integration.

    HTTP APIs hand the path over percent-decoded (``rawPath`` and ``requestContext.http.path``
    alike; ``/stores/%31/x`` arrives as ``/stores/1/x``), so handlers that route on the path
    (Powertools' resolver does) see the same store id as in ``pathParameters``. Keys without a
    value are left out, as API Gateway does.
    """
    now = time.time() if now is None else now
    headers, cookies = _headers_and_cookies(request, now)
    query = _query_parameters(request.raw_query)
    path = unquote(request.raw_path)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = _request_context(
        request,
        route,
        headers,
        path=path,
        account_id=account_id,
        api_id=api_id,
        request_id=request_id or _request_id(),
        now=now,
    )
    if path_params:
        event["pathParameters"] = dict(path_params)
    event.update(_body_fields(request.body, headers.get("content-type")))
    return event


# ----------------------------------------------------------------------------- responses


class InvalidResponse(ValueError):
    """The function's answer is not a valid payload 2.0 response (API Gateway answers 500)."""


def translate_response(result: Any) -> HttpResponse:
    """The HTTP response API Gateway makes of a function's (JSON-decoded) result.

    With a ``statusCode`` the result is the structured form (statusCode, headers, cookies,
    body, isBase64Encoded). Otherwise it is the simple form: 200, ``application/json``, the
    body being the returned string as is or any other value as JSON.
    """
    if not (isinstance(result, dict) and "statusCode" in result):
        body = result if isinstance(result, str) else json.dumps(result)
        return HttpResponse(200, [("content-type", "application/json")], body.encode())
    return HttpResponse(
        _status_code(result.get("statusCode")), _response_headers(result), _response_body(result)
    )


def _status_code(status: Any) -> int:
    if isinstance(status, bool) or not isinstance(status, int | str):
        raise InvalidResponse(f"statusCode must be an integer, got {status!r}")
    try:
        code = int(status)
    except ValueError:
        raise InvalidResponse(f"statusCode must be an integer, got {status!r}") from None
    if not 100 <= code <= 599:
        raise InvalidResponse(f"statusCode out of range: {code}")
    return code


def _response_headers(result: dict[str, Any]) -> list[tuple[str, str]]:
    raw_headers = result.get("headers") or {}
    if not isinstance(raw_headers, dict):
        raise InvalidResponse("headers must be an object")
    headers = [(str(name), _header_value(value)) for name, value in raw_headers.items()]
    # payload 1.0's multiValueHeaders are not part of 2.0, but tolerate them as API Gateway does
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((str(name), _header_value(v)) for v in values or [])
    cookies = result.get("cookies") or []
    if not isinstance(cookies, list):
        raise InvalidResponse("cookies must be a list")
    headers.extend(("set-cookie", str(c)) for c in cookies)
    return headers


def _response_body(result: dict[str, Any]) -> bytes:
    body = result.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise InvalidResponse(f"body must be a string, got {type(body).__name__}")
    if not result.get("isBase64Encoded"):
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except ValueError as exc:
        raise InvalidResponse(f"isBase64Encoded body is not base64: {exc}") from exc


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ----------------------------------------------------------------------------- the gateway

Invoker = Callable[[str, dict[str, Any]], Any]  # (function logical id, event) -> result
# request -> requestContext.authorizer (None: no authorizer); raises
# authorizer.AuthorizationFailed to refuse the request (401)
Authorizer = Callable[[HttpRequest], dict[str, Any] | None]


class HttpApiGateway:
    """Turns HTTP requests into function invocations as an HTTP API with payload 2.0 proxy
    integrations does. ``invoke(function, event)`` returns the function's result or raises.

    The pipeline of :meth:`handle`: size limit -> route -> ``authorize`` (the JWT authorizer:
    401 before any function runs, or the claims for ``requestContext.authorizer``) -> event ->
    function (:meth:`call`) -> response.
    """

    def __init__(
        self,
        routes: Iterable[HttpRoute],
        invoke: Invoker,
        *,
        account_id: str,
        api_id: str,
        on_error: Callable[[str, BaseException], None] | None = None,
        authorize: Authorizer | None = None,
    ):
        self.router = Router(routes)
        self.authorize = authorize
        self.invoke = invoke
        self.account_id = account_id
        self.api_id = api_id
        self.on_error = on_error

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = _request_id()
        extra = [("apigw-requestid", request_id)]
        if len(request.body) > MAX_REQUEST_BYTES:
            return HttpResponse.json(413, TOO_LARGE, extra)
        found = self.router.match(request.method, request.raw_path)
        if found is None:
            return HttpResponse.json(404, NOT_FOUND, extra)
        route, params = found
        try:
            authorizer = self.authorize(request) if self.authorize else None
        except AuthorizationFailed as exc:
            extra.append(("www-authenticate", www_authenticate(str(exc))))
            return HttpResponse.json(401, UNAUTHORIZED, extra)
        event = build_event(
            request,
            route,
            params,
            account_id=self.account_id,
            api_id=self.api_id,
            request_id=request_id,
        )
        if authorizer is not None:
            event["requestContext"]["authorizer"] = authorizer
        response = self.call(route, event)
        response.headers.extend(extra)
        return response

    def call(self, route: HttpRoute, event: dict[str, Any]) -> HttpResponse:
        """Invoke the route's function with ``event``; its answer as HTTP (500 when it raised or
        answered something API Gateway rejects)."""
        try:
            return translate_response(self.invoke(route.function, event))
        except Exception as exc:  # function error, or an answer API Gateway rejects
            if self.on_error:
                self.on_error(route.function, exc)
            return HttpResponse.json(500, INTERNAL_ERROR)
