"""The API's request bodies as Pydantic models: they validate the JSON bodies and describe
them in the OpenAPI document (``docs/openapi.json``, :mod:`storemon.service.openapi`).

Query and path parameters are declared on the routes themselves (Powertools' data validation,
``enable_validation=True``); bodies are parsed here rather than by Powertools so that a body
sent without a JSON content type (``curl -d``) or not at all keeps working.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)

from storemon.clock import timestamps
from storemon.clock.iso import request_text
from storemon.errors import InvalidRequest
from storemon.service.api_units import _PCT, HOURS, ISO, MINUTES, _Answer, _maybe, _number

MAX_STORE_IDS = 1000
# UTF-8 bytes of one store id: 1,000 of them (the request, and the summary's ids not found)
# keep the record well inside DynamoDB's 400 KB item limit.
MAX_STORE_ID_BYTES = 128
TIMESTAMP_FORMS = "YYYY-MM-DD HH:MM:SS[.ffffff] [UTC] or ISO 8601 (T, Z or an offset)"
EARLIEST_AS_OF = "1970-01-01 00:00:00 UTC"


# The request values as patterns: the OpenAPI document publishes them and the service checks
# the very same ones, so what the document accepts the server accepts (schemathesis checks
# both ways). Plain character classes only: they mean the same in ECMA 262 (JSON Schema),
# Rust (pydantic) and Python regular expressions.
#
# A store id in a request: printable ASCII characters without spaces, quotes, "/", "?", "#",
# "%", "\\", "." or "`" (real ids are 15-19 digits), at most 128 with the spaces around it,
# which are trimmed; ids in the data outside it are reported in full reports but cannot be
# named in a request.
STORE_ID_PATTERN = r"^ *[0-9A-Za-z_~()'!*:@,;=+&$<>\[\]{}|^-]+ *$"
# a report id: a uuid4 (any case) or "latest" (any case)
REPORT_ID_PATTERN = (
    r"^(?:[Ll][Aa][Tt][Ee][Ss][Tt]"
    r"|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-4[0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12})$"
)
SUBSCRIPTION_ID_PATTERN = (
    r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-4[0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$"
)
# a webhook receiver's URL: http:// or https:// (any case), a host (an ASCII name or address,
# a port; no user name or password: no "@"), then an optional path, query or fragment of
# printable ASCII, no spaces. Whether the host may receive webhooks (https on AWS, every address
# it resolves to public) is asked of DNS at request time: no schema can say it, so a URL that
# matches this pattern and is refused for its destination is a 422, not a 400.
WEBHOOK_URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[0-9A-Za-z._~:!$&'()*+,;=%\[\]-]+(?:[/?#][!-~]*)?$"
# as_of: SPEC §1's timestamp forms with a real date of the years 1970-9998, no surrounding space
_YEAR = r"(?:19[7-9][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
_LEAP_YEAR = r"(?:19(?:7[26]|8[048]|9[26])|[2-9][0-9](?:0[48]|[2468][048]|[13579][26])" + (
    r"|(?:[2468][048]|[3579][26])00)"
)
_MONTH_DAY = (
    r"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
    r"|(?:0[13578]|1[02])-31)"
)
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?"
_ZONE = r"(?: ?(?:[Uu][Tt][Cc]|[Zz])| ?[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)?"
AS_OF_PATTERN = rf"^(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)[Tt ]{_TIME}{_ZONE}$"


STORE_ID_RULE = (
    "is not a store id a request can name: 1 to 128 printable ASCII characters, no spaces, "
    "quotes, '/', '?', '#', '%', '\\', '.' or '`'"
)
AS_OF_RULE = f"is not a valid timestamp from {EARLIEST_AS_OF} to 9998 (use {TIMESTAMP_FORMS})"
REPORT_ID_RULE = "is a malformed report_id: expected a uuid4 or 'latest'"
# what a value that does not match a pattern is told (instead of the pattern itself)
PATTERN_MESSAGES = {
    STORE_ID_PATTERN: STORE_ID_RULE,
    AS_OF_PATTERN: AS_OF_RULE,
    REPORT_ID_PATTERN: REPORT_ID_RULE,
    SUBSCRIPTION_ID_PATTERN: "is a malformed subscription id: expected a uuid4",
    WEBHOOK_URL_PATTERN: "is not an http(s) URL: http(s)://host[:port][/path], printable ASCII "
    "without spaces, no user name or password",
}


def _fullmatch(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern.removeprefix("^").removesuffix("$"), value) is not None


def check_store_id(value: str) -> str:
    """`value` (without the spaces around it) when it is a store id a request may name;
    ValueError otherwise."""
    if len(value) > MAX_STORE_ID_BYTES:
        raise ValueError(f"is too long: at most {MAX_STORE_ID_BYTES} characters per store id")
    if not _fullmatch(STORE_ID_PATTERN, value):
        raise ValueError(STORE_ID_RULE)
    return value.strip(" ")


def _store_id(value: str) -> str:
    return check_store_id(value)


def as_of_instant(value: str) -> str:
    """A request's ``as_of`` normalised to UTC ``YYYY-MM-DD HH:MM:SS.ffffff``; ValueError when
    it is not a timestamp of the years 1970-9998 (no poll of this service can be older)."""
    shown = value if len(value) <= 60 else value[:60] + "..."
    if not _fullmatch(AS_OF_PATTERN, value):
        raise ValueError(f"{shown!r} {AS_OF_RULE}")
    return request_text(timestamps.parse_micros(value))


def _timestamp(value: str) -> str:
    return as_of_instant(value)


StoreId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_STORE_ID_BYTES,
        pattern=STORE_ID_PATTERN,
        examples=["8419537941919820732"],
    ),
    AfterValidator(_store_id),
]
Timestamp = Annotated[
    str,
    Field(
        max_length=40,
        pattern=AS_OF_PATTERN,
        description=f"an instant ({TIMESTAMP_FORMS}) from {EARLIEST_AS_OF}, stored in UTC",
        examples=["2023-01-25 18:13:22 UTC"],
    ),
    AfterValidator(_timestamp),
]
ReportId = Annotated[
    str,
    Field(
        max_length=64,
        pattern=REPORT_ID_PATTERN,
        description="a report id (uuid4) or 'latest'",
        examples=["latest"],
    ),
]
Format = Literal["json", "csv", "html"]
Window = Literal["hour", "day", "week", "month"]


def _integral_number(value: Any) -> Any:
    """JSON Schema's integers include numbers with a zero fraction (``91.0``): those are the
    integer; anything else is left to the strict check (``"5"``, ``true`` and ``1.5`` refused)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


BodyModel = TypeVar("BodyModel", bound=_Body)


class TriggerRequest(_Body):
    """POST /trigger_report: a report of these stores (default: all) at this instant (default:
    the newest poll)."""

    store_ids: list[StoreId] | None = Field(
        None, min_length=1, max_length=MAX_STORE_IDS, description="leave out for every store"
    )
    as_of: Timestamp | None = None
    windows: list[Window] | None = Field(
        None,
        min_length=1,
        max_length=4,
        description="SPEC §8: the windows ending at now (as_of) to report, any of hour, day, "
        "week, month (the last 30 days); the report's columns come in that order; not with "
        "from/to. Leave out for §5's hour, day, week",
    )
    start: Timestamp | None = Field(
        None,
        alias="from",
        description="SPEC §8: a range [from, to) instead of windows: its start (needs to; "
        "before to, at most 366 days before it; not with as_of or windows)",
    )
    end: Timestamp | None = Field(
        None, alias="to", description="the range's end (needs from): the report's now"
    )
    daily: bool | None = Field(
        None,
        description="with from/to: one row per store and local date (the store's zone) instead "
        "of one per store",
    )


class StoreTriggerRequest(_Body):
    """POST /stores/{store_id}/trigger_report: the path names the store."""

    as_of: Timestamp | None = None


class GetReportRequest(_Body):
    """POST /get_report."""

    report_id: ReportId
    format: Format | None = Field(
        None, description="csv / html: redirect (303) to the report's CSV / page"
    )


MAX_MIN_MINUTES = 525_600  # a year
# an integer as JSON Schema reads one (30.0 is 30), of at most a year (the bounds before the
# validator: then the document publishes them as minimum and maximum)
MinMinutes = Annotated[int, Field(ge=0, le=MAX_MIN_MINUTES), BeforeValidator(_integral_number)]


class SubscriptionRequest(_Body):
    """POST /subscriptions: a webhook receiver of SPEC §10's notifications."""

    url: str = Field(
        min_length=1,
        max_length=2048,
        pattern=WEBHOOK_URL_PATTERN,
        description="https:// URL of a public receiver; notifications are POSTed to it, signed "
        "as Standard Webhooks do. A URL of this form is still refused (422) when its host does "
        "not resolve or resolves to a private, loopback, link-local, multicast, reserved or "
        "unspecified address, and on AWS when it is http:// (the local stack takes loopback "
        "receivers only)",
        examples=["https://hooks.example.com/storemon"],
    )
    store_ids: list[StoreId] | None = Field(
        None,
        min_length=1,
        max_length=MAX_STORE_IDS,
        description="the stores to hear about; leave out for every store (administrators)",
    )
    min_minutes: MinMinutes | None = Field(
        None,
        description="notify an incident once it holds this many business minutes (default: "
        "the service's ALERT_MIN_MINUTES)",
    )


def store_id_from_path(value: str) -> str:
    """The path's store id, checked like the body's ones; InvalidRequest otherwise."""
    try:
        return _store_id(value)
    except ValueError as exc:
        raise InvalidRequest(f"store_id {exc}") from None


def parse(model: type[BodyModel], body: dict) -> BodyModel:
    """`body` validated by `model`; InvalidRequest naming each wrong field otherwise."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise InvalidRequest(describe(exc.errors())) from None


def describe(errors: list) -> str:
    """One line per validation error: ``store_ids[1]: Input should be a valid string``."""
    lines = []
    for error in errors[:5]:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
        where = where.lstrip(".") or "body"
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        if error.get("type") == "extra_forbidden":
            message = "unknown field (a typo would silently widen the report)"
        if error.get("type") == "string_pattern_mismatch":
            pattern = (error.get("ctx") or {}).get("pattern")
            message = PATTERN_MESSAGES.get(str(pattern), message)
        lines.append(f"{where[:80]}: {message}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "; ".join(lines) + more


# ----------------------------------------------------------------------------- answers
class ErrorAnswer(_Answer):
    """Every error: what is wrong, and the status code again."""

    error: str
    status: int


class Accepted(_Answer):
    """202: the report is recorded and queued; ask GET /get_report/{report_id}."""

    report_id: str


class ShardProgress(_Answer):
    """The store shards computing a report (docs/shards.md): a report of more polls than
    STOREMON_SHARD_POLLS is computed by ``total`` shards (2 to 256), ``done`` of which have
    finished (Complete: all of them); any other report is one shard, done when Complete."""

    total: int = Field(ge=1, le=256, description="how many store shards compute the report")
    done: int = Field(ge=0, le=256, description="how many of them have finished")


class ReportAnswer(_Answer):
    """A report's state. Complete adds report_url, summary_url, url_expires_in,
    url_expires_at, completed_at, source (snapshot or csv: what it was computed from), rows,
    summary, store_ids_not_found, warnings; Failed adds error and failed_at; ``latest`` may add
    newer_refresh_failed."""

    model_config = ConfigDict(extra="allow")

    report_id: str
    status: Literal["Running", "Complete", "Failed"]
    shards: ShardProgress
    kind: Literal["request", "refresh"] | None = None
    request: dict | None = None
    created_at: str | None = None
    inputs: dict | None = None


class ReportList(_Answer):
    """GET /reports: the newest reports first."""

    reports: list[ReportAnswer]


class StoreSummary(_Answer):
    """What the newest full report saw of one store."""

    model_config = ConfigDict(extra="allow")

    store_id: str
    report_id: str | None = None
    now: str | None = None


class StoreReport(_Answer):
    """One store's report row (SPEC §5) and uptime percentages (§7, null without business
    time) at the latest inputs' ``now`` (or ``as_of``), or with ``from`` and ``to`` over that
    range (SPEC §8: uptime_hours, downtime_hours, uptime_percent instead of the windows),
    answered in the request from the snapshot of the inputs ``latest`` was made of."""

    model_config = ConfigDict(extra="allow")

    store_id: str
    uptime_last_hour: float | None = _maybe(MINUTES, "windows only: uptime in the last hour")
    uptime_last_day: float | None = _maybe(HOURS, "windows only: uptime in the last day")
    uptime_last_week: float | None = _maybe(HOURS, "windows only: uptime in the last week")
    downtime_last_hour: float | None = _maybe(MINUTES, "windows only: downtime, last hour")
    downtime_last_day: float | None = _maybe(HOURS, "windows only: downtime in the last day")
    downtime_last_week: float | None = _maybe(HOURS, "windows only: downtime in the last week")
    uptime_pct_last_hour: float | None = _maybe(_PCT, "windows only")
    uptime_pct_last_day: float | None = _maybe(_PCT, "windows only")
    uptime_pct_last_week: float | None = _maybe(_PCT, "windows only")
    uptime_hours: float | None = _maybe(HOURS, "a range only: uptime in [from, to)")
    downtime_hours: float | None = _maybe(HOURS, "a range only: downtime in [from, to)")
    uptime_percent: float | None = _maybe(_PCT, "a range only")
    now: str = Field(description=f"the report's now (a range's to): {ISO}")
    as_of: str | None = Field(None, description=f"the as_of asked: {ISO}")
    start: str | None = Field(None, alias="from", description=f"a range only: {ISO}")
    end: str | None = Field(None, alias="to", description=f"a range only: {ISO}")
    report_id: str
    input_set: str
    source: Literal["snapshot", "csv"]


class Incident(_Answer):
    """One incident (SPEC §7): a maximal stretch of interpolated inactive status in the week
    window that overlaps business hours."""

    start_utc: str
    end_utc: str
    start_local: str
    end_local: str
    business_minutes: float = _number(MINUTES, "business time the incident holds")
    ongoing: bool


class StoreIncidents(_Answer):
    """One store's incidents in a full report (oldest first) and its uptime percentages
    (SPEC §7, null without business time)."""

    store_id: str
    uptime_pct_last_hour: float | None = _maybe(_PCT, "the last hour")
    uptime_pct_last_day: float | None = _maybe(_PCT, "the last day")
    uptime_pct_last_week: float | None = _maybe(_PCT, "the last week")
    incidents: list[Incident]
    now: str | None = None
    report_id: str


class OngoingIncident(_Answer):
    """The store's ongoing incident (SPEC §10): its inactive stretch, not clipped."""

    start_utc: str
    business_minutes: float = Field(description="business time of the whole stretch so far")


class StoreStatus(_Answer):
    """One store's status now (SPEC §10), at the newest poll of the latest full report."""

    store_id: str
    status: Literal["active", "inactive"] = Field(description="SPEC §4's status at now")
    since_utc: str = Field(description="where the current stretch started (SPEC §10)")
    since_local: str
    last_poll_utc: str
    open_now: bool = Field(description="inside business hours and not closed at now")
    incident: OngoingIncident | None = Field(description="null when the store is active")
    now: str | None = None
    report_id: str


class Subscription(_Answer):
    """A webhook subscription (its secret is shown once, when it is created)."""

    id: str
    url: str
    store_ids: list[str] | None = Field(description="null: every store")
    min_minutes: int
    created_at: str
    owner: str | None = Field(None, description="who subscribed (administrators see it)")


class SubscriptionCreated(Subscription):
    """201: the subscription, and the secret that verifies its deliveries (shown only now)."""

    secret: str = Field(description="whsec_<base64>: the Standard Webhooks signing secret")


class SubscriptionDeleted(_Answer):
    """The subscription is gone: no delivery is made to it any more."""

    id: str
    deleted: bool


class SubscriptionList(_Answer):
    """GET /subscriptions: the caller's subscriptions (an administrator's: every one)."""

    subscriptions: list[Subscription]


class UnauthorizedAnswer(_Answer):
    """401: no valid access token. API Gateway's authorizer answers ``{"message":
    "Unauthorized"}`` (and says why in ``www-authenticate``); a function reached without
    verified claims answers ``{"error", "status"}``."""

    model_config = ConfigDict(extra="allow")

    message: str | None = None
    error: str | None = None
    status: int | None = None


def answers(
    ok: int, model: type[BaseModel], *errors: int, also: tuple[int, ...] = ()
) -> dict[int, Any]:
    """The ``responses`` of a route for the OpenAPI document: `ok` with `model` (and the
    statuses `also` with the same body), 401 (every route needs a token), then `errors`."""
    out: dict[int, Any] = {}
    for status in (ok, *also):
        meaning = STATE_MEANINGS.get(status, model.__doc__ or "")
        out[status] = {"description": meaning, "content": {"application/json": {"model": model}}}
    out[401] = {
        "description": "no valid access token",
        "content": {"application/json": {"model": UnauthorizedAnswer}},
    }
    for status in errors:
        out[status] = {
            "description": ERROR_MEANINGS.get(status, "error"),
            "content": {"application/json": {"model": ErrorAnswer}},
        }
    return out


# get_report's answers to a file request (format=csv/html, Accept), the body the report's view
STATE_MEANINGS = {
    202: "the report is Running: ask again after Retry-After seconds",
    303: "the report is Complete: Location is its presigned file",
    409: "the report Failed",
}
ERROR_MEANINGS = {
    400: "the request is malformed (the error says what is wrong)",
    403: "not for this caller: a store owner asked for another store, every store, latest, "
    "the report list or a report someone else triggered",
    404: "no such report / store / subscription",
    409: "the report is Running or Failed",
    422: "the webhook URL is well formed but may not receive webhooks (the error says why: its "
    "host does not resolve or resolves to a refused address, or http:// on AWS)",
    429: "over the caller's quota (a store owner): as many reports running as allowed (wait "
    "Retry-After), or as many subscriptions as allowed (delete one)",
    503: "try again later (Retry-After when known): the report could not be queued, or the "
    "snapshot of the latest inputs is being built",
}
