"""The HTTP edge of the API: the only place that picks status codes, headers and bodies.

Service functions return plain results or raise :mod:`storemon.errors`; this module maps them:
:class:`~storemon.errors.RequestError` subclasses to 4xx/503 (see :data:`STATUS`), a report's
state to 200/202/303/409, an accepted trigger to 202 with ``Location``. Every answer is JSON
(errors too: ``{"error": "<message>", "status": <code>}``), except the body of a 303 redirect
to a report's CSV, which is the report's JSON view as well.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from storemon import errors
from storemon.service import records
from storemon.service.observability import add_count, logger

JSON = "application/json"
RETRY_AFTER_SECONDS = "5"
# the files a get_report request may ask for instead of the JSON view, and their URL's field
FILE_URLS = {"csv": "report_url", "html": "page_url"}

# Every route of the API (template.yaml's HttpApi events), for the 404 / 405 answers.
ROUTES: tuple[tuple[str, str], ...] = (
    ("POST", "/trigger_report"),
    ("GET", "/get_report"),
    ("GET", "/get_report/{report_id}"),
    ("POST", "/get_report"),
    ("GET", "/stores/{store_id}/trigger_report"),
    ("POST", "/stores/{store_id}/trigger_report"),
    ("GET", "/store_summary"),
    ("GET", "/reports"),
    ("GET", "/stores/{store_id}/report"),
    ("GET", "/stores/{store_id}/incidents"),
    ("GET", "/stores/{store_id}/days"),
    ("GET", "/stores/{store_id}/status"),
    ("GET", "/stores/{store_id}/page"),
    ("POST", "/subscriptions"),
    ("GET", "/subscriptions"),
    ("DELETE", "/subscriptions/{subscription_id}"),
)

# The status code of each request error (the most specific class listed wins).
STATUS: dict[type[errors.RequestError], int] = {
    errors.InvalidRequest: 400,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Unprocessable: 422,
    errors.TooManyRequests: 429,
    errors.Unavailable: 503,
}


def status_of(exc: errors.RequestError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    add_count(f"Http{status // 100}xx")
    return Response(
        status_code=status,
        content_type=JSON,
        headers=headers or {},
        body=json.dumps(body, default=str),
    )


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response(status, {"error": message, "status": status}, headers)


def request_error(exc: errors.RequestError) -> Response:
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return error_response(status_of(exc), str(exc), headers)


def internal_error(exc: Exception) -> Response:
    logger.exception("unhandled error")
    return error_response(500, "internal error")


def accepted(report_id: str) -> Response:
    """202 for a recorded and queued report, with where to ask for it."""
    return json_response(202, {"report_id": report_id}, {"Location": f"/get_report/{report_id}"})


def see_page(report_id: str) -> Response:
    """303 for a store's page: the report just queued, as a page (get_report answers 202 with
    Retry-After while it runs, then 303 to the page itself)."""
    location = f"/get_report/{report_id}?format=html"
    return json_response(303, {"report_id": report_id}, {"Location": location})


def report_answer(view: dict, want: str | None) -> Response:
    """A report's state: always 200 for JSON; for a file (`want`: "csv" or "html", see
    :func:`wanted_file`) 303 to it when Complete, 202 (Retry-After) while Running, 409 when
    Failed. The body is the JSON view each time. 404 for the page of a report that has none
    (a period's report)."""
    status = view["status"]
    if not want:
        return json_response(200, view)
    if status == records.COMPLETE:
        url = view.get(FILE_URLS[want])
        if not url and want == "html" and view.get("page_pending"):  # written right after
            return json_response(202, view, {"Retry-After": RETRY_AFTER_SECONDS})
        if not url:
            message = "this report has no page: pages come with reports of the windows"
            return error_response(404, message + " (hour, day, week), not of a period's")
        return json_response(303, view, {"Location": url})
    if status == records.RUNNING:
        return json_response(202, view, {"Retry-After": RETRY_AFTER_SECONDS})
    return json_response(409, view)


def body_text(raw: str | None, base64_encoded: bool) -> str:
    """The request body as text; InvalidRequest when it is not base64 (if so flagged) or not
    UTF-8."""
    if raw is None:
        return ""
    if not base64_encoded:
        return raw
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise errors.InvalidRequest("request body is not valid base64") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.InvalidRequest(
            f"request body is not UTF-8 (byte {exc.start}): send a JSON object"
        ) from None


def json_object(text: str) -> dict:
    """The request body as a JSON object ({} when empty); InvalidRequest for anything else."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise errors.InvalidRequest(f"request body is not valid JSON: {exc}") from None
    except RecursionError:  # the parser's depth limit: [[[[... a thousand levels deep
        raise errors.InvalidRequest(
            "request body is nested too deeply: send a JSON object"
        ) from None
    if not isinstance(value, dict):
        raise errors.InvalidRequest("request body must be a JSON object")
    return value


def event_json(event: Any) -> dict:
    """The JSON object body of a Powertools HTTP event ({} when empty)."""
    return json_object(body_text(event.body, bool(event.is_base64_encoded)))


def header(headers: dict | None, name: str) -> str:
    """A request header, case-insensitively ("" when absent)."""
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value or ""
    return ""


def wanted_file(headers: dict | None, fmt: object) -> str | None:
    """The file the client asked for instead of the JSON view: "csv" (``format=csv`` or Accept
    naming text/csv), "html", the report page (``format=html`` or Accept naming text/html, as
    a browser's does), or None (``format=json`` or neither)."""
    if isinstance(fmt, str) and fmt.strip():
        chosen = fmt.strip().lower()
        return chosen if chosen in FILE_URLS else None
    accept = header(headers, "accept").lower()
    if "text/csv" in accept:
        return "csv"
    return "html" if "text/html" in accept else None


def _pattern(route: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", route) + "$")


_PATTERNS = [(method, path, _pattern(path)) for method, path in ROUTES]


def not_found(method: str, path: str) -> Response:
    """404 for an unknown path (naming the route meant, for a trailing slash), 405 with Allow
    for a known path and another method, 400 for a known route whose path parameter holds
    characters no id has (the resolver matched no route)."""
    path = path or "/"
    allowed = sorted({m for m, _, pattern in _PATTERNS if pattern.match(path)})
    if method in allowed:
        # the route exists, but its {parameter} holds a character the resolver matches in no id
        # (a control character, an emoji...): the request is malformed, not the method wrong
        routes = " or ".join(
            p for m, p, pattern in _PATTERNS if m == method and pattern.match(path)
        )
        message = f"malformed path {path[:200]!r}: a character no id has, in {routes}"
        return error_response(400, message)
    if allowed:
        message = f"method {method} is not allowed on {path}; use {' or '.join(allowed)}"
        return error_response(405, message, {"Allow": ", ".join(allowed)})
    stripped = path.rstrip("/")
    if stripped != path:
        meant = [f"{m} {p}" for m, p, pattern in _PATTERNS if pattern.match(stripped)]
        if meant:
            message = f"no route {method} {path}: the route is {' or '.join(meant)}"
            return error_response(404, message + " (no trailing slash)")
    routes = ", ".join(f"{m} {p}" for m, p in ROUTES)
    return error_response(404, f"no route {method} {path}; routes: {routes}")


def check_query(query: dict | None, allowed: tuple[str, ...]) -> None:
    """InvalidRequest for a query parameter the route does not know (``format=xml`` is caught
    by the route's own validation; ``?colour=red`` here)."""
    unknown = sorted(set(query or {}) - set(allowed))
    if unknown:
        shown = ", ".join(name[:40] for name in unknown[:5])
        known = ", ".join(allowed) or "none"
        raise errors.InvalidRequest(f"unknown query parameter(s): {shown}; allowed: {known}")


def validation_error(problems: list) -> Response:
    """400 for what Powertools' validation of the query and path parameters refused (on the
    resolver the OpenAPI document is made from: the handlers check them by hand)."""
    from storemon.service.request_rules import describe

    return error_response(400, describe(problems))


def install_error_handlers(app: Any) -> None:
    """JSON answers for unknown routes, request errors and anything unexpected, on a resolver."""

    @app.not_found
    def _not_found(_exc: Exception) -> Response:
        return not_found(app.current_event.http_method, app.current_event.path)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response:
        return validation_error(list(exc.errors()))

    @app.exception_handler(errors.RequestError)
    def _request_error(exc: errors.RequestError) -> Response:
        return request_error(exc)

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        return internal_error(exc)
