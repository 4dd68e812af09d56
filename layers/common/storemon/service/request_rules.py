"""What a request may hold, said once: the patterns and limits of ids and timestamps, the
routes' path and query parameters and the JSON bodies (:mod:`storemon.service.request_schema`'s
declarations), and how a refusal reads.

The handlers check requests with these on the Lambda's cold path (no pydantic); the OpenAPI
document's models are built from the very same declarations (:mod:`storemon.service.api_models`),
so what the document accepts the server accepts (schemathesis checks both ways).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from storemon.clock import timestamps
from storemon.clock.iso import request_text
from storemon.errors import InvalidRequest
from storemon.service.request_schema import (
    Body,
    Boolean,
    Choice,
    Field,
    Integer,
    ListOf,
    Problem,
    Text,
    check_body,
    full_match,
)

MAX_STORE_IDS = 1000
# UTF-8 bytes of one store id: 1,000 of them (the request, and the summary's ids not found)
# keep the record well inside DynamoDB's 400 KB item limit.
MAX_STORE_ID_BYTES = 128
TIMESTAMP_FORMS = "YYYY-MM-DD HH:MM:SS[.ffffff] [UTC] or ISO 8601 (T, Z or an offset)"
EARLIEST_AS_OF = "1970-01-01 00:00:00 UTC"
MAX_MIN_MINUTES = 525_600  # a year
DEFAULT_LIMIT, MAX_LIMIT = 20, 100  # GET /reports


# The request values as patterns: the OpenAPI document publishes them and the service checks
# the very same ones. Plain character classes only: they mean the same in ECMA 262 (JSON
# Schema), Rust (pydantic) and Python regular expressions.
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


def check_store_id(value: str) -> str:
    """`value` (without the spaces around it) when it is a store id a request may name;
    ValueError otherwise."""
    if len(value) > MAX_STORE_ID_BYTES:
        raise ValueError(f"is too long: at most {MAX_STORE_ID_BYTES} characters per store id")
    if not full_match(STORE_ID_PATTERN, value):
        raise ValueError(STORE_ID_RULE)
    return value.strip(" ")


def as_of_instant(value: str) -> str:
    """A request's ``as_of`` normalised to UTC ``YYYY-MM-DD HH:MM:SS.ffffff``; ValueError when
    it is not a timestamp of the years 1970-9998 (no poll of this service can be older)."""
    shown = value if len(value) <= 60 else value[:60] + "..."
    if not full_match(AS_OF_PATTERN, value):
        raise ValueError(f"{shown!r} {AS_OF_RULE}")
    return request_text(timestamps.parse_micros(value))


def store_id_from_path(value: str) -> str:
    """The path's store id, checked like the body's ones; InvalidRequest otherwise."""
    try:
        return check_store_id(value)
    except ValueError as exc:
        raise InvalidRequest(f"store_id {exc}") from None


# ----------------------------------------------------------------------------- the values
STORE_ID = Text(
    min_length=1,
    max_length=MAX_STORE_ID_BYTES,
    pattern=STORE_ID_PATTERN,
    after=check_store_id,
    examples=("8419537941919820732",),
)
TIMESTAMP = Text(
    max_length=40,
    pattern=AS_OF_PATTERN,
    after=as_of_instant,
    description=f"an instant ({TIMESTAMP_FORMS}) from {EARLIEST_AS_OF}, stored in UTC",
    examples=("2023-01-25 18:13:22 UTC",),
)
REPORT_ID = Text(
    max_length=64,
    pattern=REPORT_ID_PATTERN,
    description="a report id (uuid4) or 'latest'",
    examples=("latest",),
)
FORMAT = Choice(("json", "csv", "html"))
WINDOW = Choice(("hour", "day", "week", "month"))
STORE_IDS = ListOf(STORE_ID, min_length=1, max_length=MAX_STORE_IDS)

# ----------------------------------------------------------------------------- parameters
# (a parameter's value is checked as text: no normalising, the service does that itself)
_PATH_STORE_ID = Text(max_length=MAX_STORE_ID_BYTES, pattern=STORE_ID_PATTERN)
_PARAM_TIMESTAMP = Text(max_length=40, pattern=AS_OF_PATTERN)
_PARAM_REPORT_ID = Text(max_length=64, pattern=REPORT_ID_PATTERN)
_REPORT_ID_SAID = "a report id (uuid4) or latest"

STORE_ID_PATH = Field("store_id", _PATH_STORE_ID, where="path")
STORE_ID_QUERY = Field("store_id", _PATH_STORE_ID, where="query")
REPORT_ID_PATH = Field("report_id", _PARAM_REPORT_ID, where="path", description=_REPORT_ID_SAID)
REPORT_ID_QUERY = Field("report_id", _PARAM_REPORT_ID, where="query", description=_REPORT_ID_SAID)
LATEST_REPORT_ID_QUERY = Field(
    "report_id", _PARAM_REPORT_ID, "latest", where="query", description=_REPORT_ID_SAID
)
AS_OF_QUERY = Field("as_of", _PARAM_TIMESTAMP, None, where="query", description=TIMESTAMP_FORMS)
FROM_QUERY = Field(
    "start",
    _PARAM_TIMESTAMP,
    None,
    alias="from",
    where="query",
    description="SPEC §8: the start of a range [from, to) (needs to; before it, at most 366 "
    f"days; not with as_of): {TIMESTAMP_FORMS}",
)
TO_QUERY = Field(
    "end",
    _PARAM_TIMESTAMP,
    None,
    alias="to",
    where="query",
    description=f"the range's end (needs from): {TIMESTAMP_FORMS}",
)
FORMAT_QUERY = Field(
    "format",
    FORMAT,
    None,
    where="query",
    description="csv / html: redirect (303) to the CSV / the report page; or send "
    "Accept: text/csv / text/html",
)
LIMIT_QUERY = Field("limit", Integer(ge=1, le=MAX_LIMIT), DEFAULT_LIMIT, where="query")
SUBSCRIPTION_ID_PATH = Field(
    "subscription_id",
    Text(max_length=36, pattern=SUBSCRIPTION_ID_PATTERN),
    where="path",
    description="a subscription id (uuid4)",
)

# ----------------------------------------------------------------------------- bodies
TRIGGER_BODY = Body(
    "TriggerRequest",
    "POST /trigger_report: a report of these stores (default: all) at this instant (default:\n"
    "    the newest poll).",
    (
        Field("store_ids", STORE_IDS, None, description="leave out for every store"),
        Field("as_of", TIMESTAMP, None),
        Field(
            "windows",
            ListOf(WINDOW, min_length=1, max_length=4),
            None,
            description="SPEC §8: the windows ending at now (as_of) to report, any of hour, "
            "day, week, month (the last 30 days); the report's columns come in that order; not "
            "with from/to. Leave out for §5's hour, day, week",
        ),
        Field(
            "start",
            TIMESTAMP,
            None,
            alias="from",
            description="SPEC §8: a range [from, to) instead of windows: its start (needs to; "
            "before to, at most 366 days before it; not with as_of or windows)",
        ),
        Field(
            "end",
            TIMESTAMP,
            None,
            alias="to",
            description="the range's end (needs from): the report's now",
        ),
        Field(
            "daily",
            Boolean(),
            None,
            description="with from/to: one row per store and local date (the store's zone) "
            "instead of one per store",
        ),
    ),
)
STORE_TRIGGER_BODY = Body(
    "StoreTriggerRequest",
    "POST /stores/{store_id}/trigger_report: the path names the store.",
    (Field("as_of", TIMESTAMP, None),),
)
GET_REPORT_BODY = Body(
    "GetReportRequest",
    "POST /get_report.",
    (
        Field("report_id", REPORT_ID),
        Field(
            "format",
            FORMAT,
            None,
            description="csv / html: redirect (303) to the report's CSV / page",
        ),
    ),
)
SUBSCRIPTION_BODY = Body(
    "SubscriptionRequest",
    "POST /subscriptions: a webhook receiver of SPEC §10's notifications.",
    (
        Field(
            "url",
            Text(min_length=1, max_length=2048, pattern=WEBHOOK_URL_PATTERN),
            description="https:// URL of a public receiver; notifications are POSTed to it, "
            "signed as Standard Webhooks do. A URL of this form is still refused (422) when its "
            "host does not resolve or resolves to a private, loopback, link-local, multicast, "
            "reserved or unspecified address, and on AWS when it is http:// (the local stack "
            "takes loopback receivers only)",
            examples=("https://hooks.example.com/storemon",),
        ),
        Field(
            "store_ids",
            STORE_IDS,
            None,
            description="the stores to hear about; leave out for every store (administrators)",
        ),
        Field(
            "min_minutes",
            # an integer as JSON Schema reads one (30.0 is 30), of at most a year
            Integer(ge=0, le=MAX_MIN_MINUTES, whole_floats=True),
            None,
            description="notify an incident once it holds this many business minutes "
            "(default: the service's ALERT_MIN_MINUTES)",
        ),
    ),
)


# ----------------------------------------------------------------------------- refusals
def parse(body: Body, data: dict) -> Any:
    """`data` checked as `body`: its values as attributes (by field name); InvalidRequest naming
    each wrong field otherwise."""
    values, problems = check_body(body, data)
    if problems:
        raise InvalidRequest(describe(problems))
    return SimpleNamespace(**values)


def describe(errors: list[Problem]) -> str:
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
