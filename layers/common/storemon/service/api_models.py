"""The API's models for its OpenAPI document (``docs/openapi.json``, ``storemon_dev.openapi``):
the request bodies built from :mod:`storemon.service.request_rules`' declarations (which the
handlers check by hand, without pydantic; the routes' parameters are annotated from the same
declarations by :func:`storemon.service.lambda_entry.validating_resolver`), and the answers.

Only the document, and the tests that hold the hand-written checks to these models, import
this module: pydantic is never on a handler's path.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, create_model

from storemon.service import request_rules
from storemon.service.api_units import (  # noqa: F401 (StoreDays: get_report's answer)
    _PCT,
    HOURS,
    ISO,
    MINUTES,
    StoreDays,
    _Answer,
    _maybe,
    _number,
)
from storemon.service.request_schema import Body, Boolean, Choice, Integer, ListOf, Text
from storemon.service.request_schema import Field as Declared


def _integral_number(value: Any) -> Any:
    """JSON Schema's integers include numbers with a zero fraction (``91.0``): those are the
    integer; anything else is left to the strict check (``"5"``, ``true`` and ``1.5`` refused)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _set(**values: Any) -> dict[str, Any]:
    """The keyword arguments that are set (a constraint left out is not a constraint of 0)."""
    return {
        k: (list(v) if isinstance(v, tuple) else v)
        for k, v in values.items()
        if v is not None and v != ()
    }


def value_type(kind: Text | Choice | Integer | Boolean | ListOf) -> Any:
    """The pydantic type of a declared value (a list's length is its field's: see
    :func:`_model_field`)."""
    if isinstance(kind, Text):
        text = _set(
            min_length=kind.min_length,
            max_length=kind.max_length,
            pattern=kind.pattern,
            description=kind.description,
            examples=kind.examples,
        )
        after = (AfterValidator(kind.after),) if kind.after else ()
        return Annotated[(str, Field(**text), *after)]
    if isinstance(kind, Choice):
        return Literal[kind.values]
    if isinstance(kind, Integer):
        before = (BeforeValidator(_integral_number),) if kind.whole_floats else ()
        return Annotated[(int, Field(ge=kind.ge, le=kind.le), *before)]
    if isinstance(kind, Boolean):
        return bool
    return list[value_type(kind.item)]  # type: ignore[misc]


def _model_field(field: Declared) -> tuple[Any, Any]:
    annotation = value_type(field.kind)
    about = _set(alias=field.alias, description=field.description, examples=field.examples)
    if isinstance(field.kind, ListOf):
        about.update(_set(min_length=field.kind.min_length, max_length=field.kind.max_length))
    if field.required:
        return annotation, Field(**about)
    return Optional[annotation], Field(field.default, **about)  # noqa: UP045


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


def model_of(body: Body) -> type[BaseModel]:
    """The pydantic model of a declared JSON body (strict, no other key)."""
    fields: dict[str, Any] = {field.name: _model_field(field) for field in body.fields}
    return create_model(body.name, __base__=_Body, __doc__=body.doc, __module__=__name__, **fields)


TriggerRequest = model_of(request_rules.TRIGGER_BODY)
StoreTriggerRequest = model_of(request_rules.STORE_TRIGGER_BODY)
GetReportRequest = model_of(request_rules.GET_REPORT_BODY)
SubscriptionRequest = model_of(request_rules.SUBSCRIPTION_BODY)


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
