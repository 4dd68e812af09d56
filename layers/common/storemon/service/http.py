"""HTTP plumbing of the API: JSON request bodies, JSON error bodies, Powertools responses.

Every answer is JSON (errors too: ``{"error": "<message>", "status": <code>}``), except the
303 redirect to a report's CSV.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.event_handler import Response

from storemon.service import log

JSON = "application/json"

# Every route of the API (template.yaml's HttpApi events), for the 404 / 405 answers.
ROUTES: tuple[tuple[str, str], ...] = (
    ("POST", "/trigger_report"),
    ("GET", "/get_report"),
    ("GET", "/get_report/{report_id}"),
    ("POST", "/get_report"),
    ("GET", "/stores/{store_id}/trigger_report"),
    ("POST", "/stores/{store_id}/trigger_report"),
    ("GET", "/store_summary"),
)


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class ApiResult:
    status: int
    body: dict | None
    headers: dict[str, str] = field(default_factory=dict)


def json_body(raw: str | bytes | None) -> dict:
    """The request body as a JSON object ({} when empty); 400 for anything else."""
    if raw is None:
        return {}
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ApiError(400, f"request body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ApiError(400, "request body must be a JSON object")
    return value


def header(headers: dict | None, name: str) -> str:
    """A request header, case-insensitively ("" when absent)."""
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value or ""
    return ""


def respond(result: ApiResult) -> Response:
    log.count(f"Http{result.status // 100}xx")
    if result.body is None:
        return Response(status_code=result.status, headers=result.headers, body="")
    return Response(
        status_code=result.status,
        content_type=JSON,
        headers=result.headers,
        body=json.dumps(result.body, default=str),
    )


def error(exc: ApiError) -> Response:
    return respond(ApiResult(exc.status, {"error": exc.message, "status": exc.status}, exc.headers))


def internal_error(exc: Exception) -> Response:
    log.logger().exception("unhandled error")
    return respond(ApiResult(500, {"error": "internal error", "status": 500}))


def _pattern(route: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", route) + "/?$")


_PATTERNS = [(method, _pattern(path)) for method, path in ROUTES]


def not_found(method: str, path: str) -> Response:
    """404 for an unknown path, 405 (with Allow) for a known path with another method."""
    allowed = sorted({m for m, pattern in _PATTERNS if pattern.match(path or "/")})
    if allowed:
        return error(
            ApiError(
                405,
                f"method {method} is not allowed on {path}; use {' or '.join(allowed)}",
                {"Allow": ", ".join(allowed)},
            )
        )
    routes = ", ".join(f"{m} {p}" for m, p in ROUTES)
    return error(ApiError(404, f"no route {method} {path}; routes: {routes}"))


def accepts_csv(headers: dict | None, query: dict | None, body: dict | None = None) -> bool:
    """The client asked for the CSV itself: format=csv, or Accept naming text/csv."""
    fmt = (query or {}).get("format") or (body or {}).get("format") or ""
    if isinstance(fmt, str) and fmt.strip().lower() == "csv":
        return True
    return "text/csv" in header(headers, "accept").lower()


def payload(result: Any) -> Any:
    """JSON-safe plain values (numpy scalars, timestamps) for a response body."""
    return json.loads(json.dumps(result, default=str))


def install_error_handlers(app: Any) -> None:
    """JSON answers for unknown routes, API errors and anything unexpected, on a resolver."""

    @app.not_found
    def _not_found(_exc: Exception) -> Response:
        return not_found(app.current_event.http_method, app.current_event.path)

    @app.exception_handler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return error(exc)

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        return internal_error(exc)
