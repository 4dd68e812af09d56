"""The report record in DynamoDB and its forward-only life: Running -> Complete | Failed.

Every state change is a conditional write on ``status = Running``, so a redelivered or duplicated
message can never move a finished report, and of two deliveries processed at once only one
completes it (both write the same files: the result keys derive from the report id).

The ``latest`` pointer is an item of the same table (report_id ``latest``) naming the newest
finished full report of the current inputs. A report moves it only when its inputs are still
the current S3 versions at the moment it finishes, and only forward: the pointer keeps the time
at which its report's inputs were last seen current (``current_at``) and moves only to a later
one. So a report of an older (or mixed) input set that finishes late never replaces the report
of a newer set. It also carries ``newer_failure`` ({report_id, error, failed_at}) when a full
report of inputs newer than its target failed, until a newer report succeeds.

The ``uploads`` item (report_id ``uploads``) keeps ``last_upload_ms``, when the newest input
upload notification was seen (epoch ms): a refresh waits for a quiet period after it.

Record attributes: :class:`ReportRecord`.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import NotRequired, Required, TypedDict, cast

from storemon.clock.iso import utc_text
from storemon.service import aws
from storemon.service.settings import Settings

RUNNING, COMPLETE, FAILED = "Running", "Complete", "Failed"
LATEST = "latest"
UPLOADS = "uploads"
KEY = "report_id"
LISTING = "report"
BY_CREATED = "ByCreated"
BY_RUNNER = "RunningByCaller"
RUNNING_BY = "running_by"


class InputVersion(TypedDict):
    """One input object as recorded: what the worker reads, exactly this version."""

    key: str
    version_id: str | None
    etag: str | None
    last_modified: str  # ISO 8601 UTC
    size: int


# the inputs by kind: "status", "hours", "timezones" (None when one is missing) and, only when
# the input set has one, "closures" (SPEC §9)
InputSet = dict[str, InputVersion | None]


# A period a request named (SPEC §8; service.period_request): windows (SPEC §8's order) or
# None for a range; the range's from and to (the request's normal form, UTC) or None; daily.
RequestPeriod = TypedDict(
    "RequestPeriod",
    {"windows": list[str] | None, "from": str | None, "to": str | None, "daily": bool},
)


class ReportRequest(TypedDict):
    """What was asked: some stores (or every store: None) at ``as_of`` (or the data's own
    now: None), ``as_of`` in its normal form ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC); and only
    when the request named one, its ``period``."""

    store_ids: list[str] | None
    as_of: str | None
    period: NotRequired[RequestPeriod]


class Requester(TypedDict, total=False):
    """Who asked for a report (authz.requester), and while it runs, whose quota it counts in."""

    requested_by: str  # the caller's token subject
    requested_by_name: str  # and user name
    # the subject while a requested report is Running (removed when it completes or fails):
    # the sparse index RunningByCaller (running_by, created_at) counts a caller's running
    # reports (the quota)
    running_by: str


class ReportRecord(Requester, total=False):
    """A report's item in the table (with who asked for it: :class:`Requester`)."""

    report_id: Required[str]  # uuid4 (refreshes: the uuid4-shaped digest of their input set)
    kind: str  # "request" (HTTP trigger) or "refresh" (S3 upload)
    status: Required[str]  # Running | Complete | Failed
    request: ReportRequest
    inputs: InputSet
    # newest LastModified of the three inputs, resolution time (None if one was missing)
    input_marker: str | None
    listing: str  # "report": the sparse index ByCreated (listing, created_at) lists records
    claimed_by: str  # the delivery computing it (message id)
    claimed_until: int  # and its lease (epoch s)
    created_at: str  # ISO 8601 UTC, as the next three
    updated_at: str
    completed_at: str
    failed_at: str
    deadline: int  # epoch s after which a still-Running report counts as Failed (stale)
    expires_at: int  # epoch s, the table's TTL attribute (retention)
    result: dict[str, str | None]  # when Complete: its files' keys (report_files.result_keys)
    # a refresh's page key while its page is being written (latest moved first): SPEC §10
    page_pending: str
    # and its per-store files' keys (stores, incidents, incidents_json, status_json) meanwhile
    files_pending: dict[str, str]
    rows: int  # rows in the report CSV
    summary: str  # JSON text (SPEC section 5)
    duration_ms: float
    source: str  # what it was computed from: "snapshot" or "csv"
    error: str  # why it Failed
    shards_total: int  # a sharded report (issue 18): how many store shards compute it
    shards_done: list[int]  # and which have written their result (a number set)


_UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_report_id() -> str:
    return str(uuid.uuid4())


def refresh_report_id(inputs: InputSet) -> str:
    """The same input set always gives the same id (uuid4-shaped: version 4, RFC variant), so
    several upload notifications that see the same files make one refresh report (a set
    without closures has no ``closures`` key: its id is the three files' alone)."""
    canon = json.dumps(
        {k: (v["version_id"] or v["etag"]) if v else None for k, v in inputs.items()}
        | {"keys": sorted(v["key"] if v else "" for v in inputs.values())},
        sort_keys=True,
    )
    digest = bytearray(hashlib.sha256(canon.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x40
    digest[8] = (digest[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(digest)))


def is_report_id(value: str) -> bool:
    """A canonical (lower-case, hyphenated) uuid4."""
    return bool(_UUID4.match(value))


def new_record(
    settings: Settings,
    report_id: str,
    *,
    kind: str,
    request: ReportRequest,
    inputs: InputSet,
    marker: str | None,
    now: datetime | None = None,
) -> ReportRecord:
    now = now or utcnow()
    return {
        "report_id": report_id,
        "kind": kind,
        "status": RUNNING,
        "request": request,
        "inputs": inputs,
        "input_marker": marker,
        "listing": LISTING,
        "created_at": utc_text(now),
        "updated_at": utc_text(now),
        "deadline": int((now + timedelta(seconds=settings.stale_after_seconds)).timestamp()),
        "expires_at": int((now + timedelta(days=settings.retention_days)).timestamp()),
    }


def running_of(settings: Settings, caller: str) -> int:
    """How many reports `caller` (a token subject) has Running, not past their deadline: the
    sparse index ``RunningByCaller`` holds the records carrying ``running_by``, which the
    trigger sets and completing or failing a report removes."""
    now = int(utcnow().timestamp())
    return aws.count_index(
        settings.table, BY_RUNNER, RUNNING_BY, caller, at_least=("deadline", now)
    )


def create(settings: Settings, record: ReportRecord) -> bool:
    """Write a new record; False when one with its id exists already."""
    return aws.put_item_if_absent(settings.table, dict(record), KEY)


def get(settings: Settings, report_id: str) -> ReportRecord | None:
    return cast(ReportRecord | None, aws.get_item(settings.table, {KEY: report_id}))


def complete(settings: Settings, report_id: str, fields: dict) -> bool:
    """Running -> Complete with `fields`; False when the record was not Running."""
    now = utc_text(utcnow())
    values = dict(fields) | {"status": COMPLETE, "completed_at": now, "updated_at": now}
    return aws.update_item(
        settings.table,
        {KEY: report_id},
        values,
        condition="#status = :running",
        condition_values={":running": RUNNING},
        remove=(RUNNING_BY,),
    )


def page_written(settings: Settings, report_id: str, result: dict) -> bool:
    """A complete report's pending page is written: its ``result`` now names it."""
    return aws.update_item(
        settings.table,
        {KEY: report_id},
        {"result": result, "updated_at": utc_text(utcnow())},
        condition="#status = :complete",
        condition_values={":complete": COMPLETE},
        remove=("page_pending",),
    )


def files_written(settings: Settings, report_id: str, result: dict) -> bool:
    """A complete report's pending per-store files are written: its ``result`` names them."""
    return aws.update_item(
        settings.table,
        {KEY: report_id},
        {"result": result, "updated_at": utc_text(utcnow())},
        condition="#status = :complete",
        condition_values={":complete": COMPLETE},
        remove=("files_pending",),
    )


def fail(settings: Settings, report_id: str, error: str, stale_before: int | None = None) -> bool:
    """Running -> Failed with `error`; False when the record was not Running (or, with
    `stale_before`, when its deadline is not before that epoch second)."""
    now = utc_text(utcnow())
    condition = "#status = :running"
    values: dict = {":running": RUNNING}
    if stale_before is not None:
        condition += " AND #deadline < :now"
        values[":now"] = stale_before
    return aws.update_item(
        settings.table,
        {KEY: report_id},
        {"status": FAILED, "error": error[:2000], "failed_at": now, "updated_at": now},
        condition=condition,
        condition_values=values,
        remove=(RUNNING_BY,),
    )


class Lease(TypedDict):
    claimed_by: str
    claimed_until: int


def lease(token: str, now: int, lease_seconds: int) -> Lease:
    """A record's claim by the delivery `token` from epoch second `now` (:func:`claim`; a
    record created already claimed carries the same fields)."""
    return {"claimed_by": token, "claimed_until": now + lease_seconds}


def claim(settings: Settings, report_id: str, token: str, lease_seconds: int) -> bool:
    """Take the right to compute a Running report for `lease_seconds`: True for the delivery
    `token` (an SQS message id: its redeliveries keep the right), False while another delivery
    holds an unexpired lease, or when the report is not Running."""
    now = int(utcnow().timestamp())
    return aws.update_item(
        settings.table,
        {KEY: report_id},
        dict(lease(token, now, lease_seconds)),
        condition="#status = :running AND (attribute_not_exists(#claimed_by)"
        " OR #claimed_by = :token OR #claimed_until < :now)",
        condition_values={":running": RUNNING, ":token": token, ":now": now},
    )


def start_shards(settings: Settings, report_id: str, total: int, source: str | None) -> bool:
    """Record that `total` store shards compute this Running report from `source` (the
    shards already done, by an earlier fan-out of the same plan, stay done)."""
    return aws.update_item(
        settings.table,
        {KEY: report_id},
        {"shards_total": total, "source": source, "updated_at": utc_text(utcnow())},
        condition="#status = :running",
        condition_values={":running": RUNNING},
    )


def shard_done(settings: Settings, report_id: str, shard: int) -> int | None:
    """Add `shard` to the report's done set: how many are done now, or None when it was in
    the set already (a duplicate delivery counts once) or the report is not Running."""
    done = aws.add_to_set(
        settings.table,
        {KEY: report_id},
        "shards_done",
        shard,
        condition="#status = :running AND NOT contains(#set, :member)",
        condition_values={":running": RUNNING},
    )
    return None if done is None else len(done)


def shard_progress(record: ReportRecord) -> dict[str, int]:
    """``{"total", "done"}``: the store shards of a report (an unsharded one has one, done
    when the report is Complete)."""
    total = int(record.get("shards_total") or 0)
    if not total:
        return {"total": 1, "done": 1 if record["status"] == COMPLETE else 0}
    return {"total": total, "done": len(record.get("shards_done") or [])}


def latest_pointer(settings: Settings) -> dict | None:
    return aws.get_item(settings.table, {KEY: LATEST})


def advance_latest(settings: Settings, report_id: str, current_at: str, inputs: InputSet) -> bool:
    """Point ``latest`` at `report_id`, whose inputs were the current ones at `current_at`,
    unless it already points at a report whose inputs were current later."""
    return aws.update_item(
        settings.table,
        {KEY: LATEST},
        {
            "target_id": report_id,
            "current_at": current_at,
            "input_set": refresh_report_id(inputs),
            "updated_at": utc_text(utcnow()),
        },
        condition="attribute_not_exists(#current_at) OR #current_at < :current_at",
        condition_values={":current_at": current_at},
        remove=("newer_failure",),
    )


def note_newer_failure(settings: Settings, record: ReportRecord, current_at: str) -> bool:
    """Record on ``latest`` that a full report of inputs current at `current_at` failed (it
    never becomes the target), unless the target's inputs were current later."""
    failure = {
        "report_id": record["report_id"],
        "error": record.get("error") or "",
        "failed_at": record.get("failed_at") or utc_text(utcnow()),
    }
    return aws.update_item(
        settings.table,
        {KEY: LATEST},
        {"newer_failure": failure, "updated_at": utc_text(utcnow())},
        condition="attribute_not_exists(#current_at) OR #current_at < :current_at",
        condition_values={":current_at": current_at},
    )


def note_upload(settings: Settings, noticed_ms: int) -> None:
    """Remember that an input upload was noticed at `noticed_ms` (kept only if the newest)."""
    aws.update_item(
        settings.table,
        {KEY: UPLOADS},
        {"last_upload_ms": noticed_ms, "updated_at": utc_text(utcnow())},
        condition="attribute_not_exists(#last_upload_ms) OR #last_upload_ms < :noticed",
        condition_values={":noticed": noticed_ms},
    )


def last_upload_ms(settings: Settings) -> int:
    """When the newest input upload was noticed (epoch ms; 0 before any)."""
    item = aws.get_item(settings.table, {KEY: UPLOADS}) or {}
    return int(item.get("last_upload_ms") or 0)


def recent(settings: Settings, limit: int) -> list[ReportRecord]:
    """The `limit` newest records, newest first (the pointer items are not listed)."""
    items = aws.query_index(settings.table, BY_CREATED, "listing", LISTING, limit=limit)
    return cast(list[ReportRecord], items)


def is_full(record: ReportRecord) -> bool:
    """A report of every store at the inputs' own `now` over §5's windows: what ``latest``
    and store summaries are made of."""
    request = record.get("request")
    if not request:
        return True
    return not request.get("store_ids") and not request.get("as_of") and not request.get("period")


def has_page(record: ReportRecord) -> bool:
    """A report of §5's windows (any stores, any as_of; not a period's) comes with its page."""
    request = record.get("request")
    return not (request and request.get("period"))


def summary_view(record: ReportRecord) -> dict:
    """What a client sees of any record: id, status, kind, request, creation time, the inputs'
    keys and versions, and the error of a Failed report."""
    body: dict = {
        "report_id": record["report_id"],
        "status": record["status"],
        "kind": record.get("kind"),
        "request": record.get("request"),
        "created_at": record.get("created_at"),
        "inputs": {
            kind: None if not ref else {"key": ref["key"], "version_id": ref.get("version_id")}
            for kind, ref in (record.get("inputs") or {}).items()
        },
    }
    body["shards"] = shard_progress(record)
    if record["status"] == FAILED:
        body["error"] = record.get("error")
    return body
