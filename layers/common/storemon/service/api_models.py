"""The API's request bodies as Pydantic models: they validate the JSON bodies and describe
them in the OpenAPI document (``docs/openapi.json``, :mod:`storemon.service.openapi`).

Query and path parameters are declared on the routes themselves (Powertools' data validation,
``enable_validation=True``); bodies are parsed here rather than by Powertools so that a body
sent without a JSON content type (``curl -d``) or not at all keeps working.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from storemon.clock import timestamps
from storemon.clock.iso import request_text
from storemon.errors import InvalidRequest

MAX_STORE_IDS = 1000
# UTF-8 bytes of one store id: 1,000 of them (the request, and the summary's ids not found)
# keep the record well inside DynamoDB's 400 KB item limit.
MAX_STORE_ID_BYTES = 128
TIMESTAMP_FORMS = "YYYY-MM-DD HH:MM:SS[.ffffff] [UTC] or ISO 8601 (T, Z or an offset)"
EARLIEST_AS_OF = "1970-01-01 00:00:00 UTC"


def _store_id(value: str) -> str:
    store_id = value.strip()
    if not store_id:
        raise ValueError("must be a non-empty string")
    try:
        size = len(store_id.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError("is not valid Unicode (a lone surrogate)") from None
    if size > MAX_STORE_ID_BYTES:
        raise ValueError(f"is too long: at most {MAX_STORE_ID_BYTES} bytes (UTF-8) per store id")
    return store_id


def as_of_instant(value: str) -> str:
    """A request's ``as_of`` normalised to UTC ``YYYY-MM-DD HH:MM:SS.ffffff``; ValueError when
    it is not a timestamp or is before 1970 (no poll of this service can be that old)."""
    shown = value if len(value) <= 60 else value[:60] + "..."
    try:
        micros = timestamps.parse_micros(value)
    except ValueError:
        raise ValueError(f"is not a valid timestamp: {shown!r} (use {TIMESTAMP_FORMS})") from None
    if micros < 0:
        raise ValueError(f"is before {EARLIEST_AS_OF}: {shown!r} (no poll can be that old)")
    return request_text(micros)


def _timestamp(value: str) -> str:
    return as_of_instant(value)


StoreId = Annotated[
    str,
    Field(min_length=1, max_length=MAX_STORE_ID_BYTES, examples=["8419537941919820732"]),
    AfterValidator(_store_id),
]
Timestamp = Annotated[
    str,
    Field(
        max_length=40,
        description=f"an instant ({TIMESTAMP_FORMS}) from {EARLIEST_AS_OF}, stored in UTC",
        examples=["2023-01-25 18:13:22 UTC"],
    ),
    AfterValidator(_timestamp),
]
ReportId = Annotated[
    str,
    Field(
        max_length=64,
        description="a report id (uuid4) or 'latest'",
        examples=["latest"],
    ),
]
Format = Literal["json", "csv", "html"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


BodyModel = TypeVar("BodyModel", bound=_Body)


class TriggerRequest(_Body):
    """POST /trigger_report: a report of these stores (default: all) at this instant (default:
    the newest poll)."""

    store_ids: list[StoreId] | None = Field(
        None, min_length=1, max_length=MAX_STORE_IDS, description="leave out for every store"
    )
    as_of: Timestamp | None = None


class StoreTriggerRequest(_Body):
    """POST /stores/{store_id}/trigger_report: the path names the store."""

    as_of: Timestamp | None = None


class GetReportRequest(_Body):
    """POST /get_report."""

    report_id: ReportId
    format: Format | None = Field(
        None, description="csv / html: redirect (303) to the report's CSV / page"
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
        lines.append(f"{where[:80]}: {message}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "; ".join(lines) + more


# ----------------------------------------------------------------------------- answers
class ErrorAnswer(BaseModel):
    """Every error: what is wrong, and the status code again."""

    error: str
    status: int


class Accepted(BaseModel):
    """202: the report is recorded and queued; ask GET /get_report/{report_id}."""

    report_id: str


class ReportAnswer(BaseModel):
    """A report's state. Complete adds report_url, summary_url, url_expires_in,
    url_expires_at, completed_at, source (snapshot or csv: what it was computed from), rows,
    summary, store_ids_not_found, warnings; Failed adds error and failed_at; ``latest`` may add
    newer_refresh_failed."""

    model_config = ConfigDict(extra="allow")

    report_id: str
    status: Literal["Running", "Complete", "Failed"]
    kind: Literal["request", "refresh"] | None = None
    request: dict | None = None
    created_at: str | None = None
    inputs: dict | None = None


class ReportList(BaseModel):
    """GET /reports: the newest reports first."""

    reports: list[ReportAnswer]


class StoreSummary(BaseModel):
    """What the newest full report saw of one store."""

    model_config = ConfigDict(extra="allow")

    store_id: str
    report_id: str | None = None
    now: str | None = None


class StoreReport(BaseModel):
    """One store's report row (SPEC §5) and uptime percentages (§7, null without business
    time) at the latest inputs' ``now`` (or ``as_of``), answered in the request from the
    snapshot of the inputs ``latest`` was made of (``source``: snapshot, or csv when it was
    missing or refused)."""

    model_config = ConfigDict(extra="allow")

    store_id: str
    uptime_last_hour: float
    uptime_last_day: float
    uptime_last_week: float
    downtime_last_hour: float
    downtime_last_day: float
    downtime_last_week: float
    uptime_pct_last_hour: float | None = None
    uptime_pct_last_day: float | None = None
    uptime_pct_last_week: float | None = None
    now: str
    as_of: str | None = None
    report_id: str
    input_set: str
    source: Literal["snapshot", "csv"]


class Incident(BaseModel):
    """One incident (SPEC §7): a maximal stretch of interpolated inactive status in the week
    window that overlaps business hours."""

    start_utc: str
    end_utc: str
    start_local: str
    end_local: str
    business_minutes: float
    ongoing: bool


class StoreIncidents(BaseModel):
    """One store's incidents in a full report (oldest first) and its uptime percentages
    (SPEC §7, null without business time)."""

    store_id: str
    uptime_pct_last_hour: float | None = None
    uptime_pct_last_day: float | None = None
    uptime_pct_last_week: float | None = None
    incidents: list[Incident]
    now: str | None = None
    report_id: str


def answers(ok: int, model: type[BaseModel], *errors: int) -> dict[int, Any]:
    """The ``responses`` of a route for the OpenAPI document: `ok` with `model`, then errors."""
    out: dict[int, Any] = {
        ok: {"description": model.__doc__ or "", "content": {"application/json": {"model": model}}}
    }
    for status in errors:
        out[status] = {
            "description": ERROR_MEANINGS.get(status, "error"),
            "content": {"application/json": {"model": ErrorAnswer}},
        }
    return out


ERROR_MEANINGS = {
    400: "the request is malformed (the error says what is wrong)",
    403: "not for this caller: a store owner asked for another store, every store, latest, "
    "the report list or a report someone else triggered",
    404: "no such report / store",
    409: "the report Failed (CSV request)",
    503: "the report could not be queued; try again",
}
