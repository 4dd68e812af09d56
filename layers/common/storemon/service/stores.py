"""Answers about one store, each if the caller may see that store (Forbidden otherwise):

- ``GET /store_summary?store_id=`` (:func:`store_summary`): what the newest full report saw of
  it (its entry in the report's ``stores.json``);
- ``GET /stores/{store_id}/report[?as_of=]`` (:func:`store_report`): its report row and
  uptime percentages, computed in the request from the snapshot of the input set ``latest``
  was made of, and only from it: when it is missing or refused the worker is asked to build it
  and the answer is 503 with Retry-After (parsing the CSV files here would not fit get_report's
  memory at full scale);
- ``GET /stores/{store_id}/incidents[?report_id=]`` (:func:`store_incidents`): its uptime
  percentages and incidents in a complete full report (its entry in ``incidents.json``);
- ``GET /stores/{store_id}/status`` (:func:`store_status`): its status now, since when, its
  last poll, open now and its ongoing incident (SPEC §10; its entry in ``latest``'s
  ``status.json``).
"""

from __future__ import annotations

from typing import Any

from storemon import json_values
from storemon.clock.iso import utc_text
from storemon.clock.timestamps import parse_micros
from storemon.errors import Conflict, InvalidRequest, NotFound, Unavailable
from storemon.service import authz, input_sets, records, report_files, request_rules
from storemon.service.authz import Principal
from storemon.service.period_request import check_period
from storemon.service.records import ReportRecord
from storemon.service.settings import Settings

# GET /stores/{id}/report while the worker builds the missing snapshot (a full-scale one: ~1 min)
SNAPSHOT_RETRY_SECONDS = 60
# the per-store routes while a refresh that moved latest writes its per-store files (~1 s)
FILES_RETRY_SECONDS = 2


def _require_written(record: ReportRecord | None) -> None:
    """Unavailable (503, Retry-After) while a complete refresh's per-store files are being
    written: ``latest`` moved first (SPEC §10), its stores, incidents and status follow."""
    if record and record.get("files_pending"):
        raise Unavailable(
            f"report {record['report_id']} is Complete and its per-store files are being "
            "written: ask again in a moment",
            retry_after=FILES_RETRY_SECONDS,
        )


def store_summary(settings: Settings, store_id: object, principal: Principal) -> dict:
    """What the newest finished full report saw of one store (its per-store summary file)."""
    if not isinstance(store_id, str) or not store_id.strip():
        raise InvalidRequest("store_id is required")
    store_id = store_id.strip()
    authz.require_stores(principal, [store_id])
    target = (records.latest_pointer(settings) or {}).get("target_id")
    record = records.get(settings, target) if target else None
    _require_written(record)
    stores_key = ((record.get("result") if record else None) or {}).get("stores")
    if not stores_key:
        raise NotFound("no store summary yet: it comes with the first full report of the inputs")
    document = report_files.read_document(settings, stores_key)
    entry = document["stores"].get(store_id)
    if entry is None:
        raise NotFound(f"store {store_id} has no valid poll in the data")
    return {
        "store_id": store_id,
        **entry,
        "now": document.get("now"),
        "report_id": document.get("report_id"),
    }


def store_report(
    settings: Settings,
    store_id: object,
    as_of: object = None,
    *,
    principal: Principal,
    start: str | None = None,
    end: str | None = None,
) -> dict:
    """One store's report row and uptime percentages at the latest inputs' ``now`` (or
    `as_of`), or over the range [`start`, `end`) (SPEC §8), from their snapshot; Unavailable
    (503, Retry-After) while it is being built."""
    store = request_rules.store_id_from_path(store_id if isinstance(store_id, str) else "")
    authz.require_store(principal, store)
    when = _instant("as_of", as_of)
    period = check_period(start=_instant("from", start), end=_instant("to", end), as_of=when)
    record, input_set = _latest_input_set(settings)
    result = input_sets.report_from_stored_snapshot(
        settings, input_set, as_of=when, store_ids=[store], period=period
    )
    if result is None:
        raise _building(settings, input_set, record["report_id"])
    if len(result.report) == 0:
        at = " at or before as_of" if when is not None else ""
        at = " at or before to" if period else at
        raise NotFound(f"store {store} has no valid poll in the data{at}")
    source = input_sets.FROM_SNAPSHOT
    return _store_row(result, report_id=record["report_id"], input_set=input_set, source=source)


def store_days(
    settings: Settings,
    store_id: str,
    start: str | None = None,
    end: str | None = None,
    *,
    principal: Principal,
) -> dict:
    """One store's uptime day by day (SPEC §8: its local dates overlapping [`start`, `end`),
    by default the last 30 days before the data's now), from the latest inputs' snapshot."""
    store = request_rules.store_id_from_path(store_id)
    authz.require_store(principal, store)
    start, end = _instant("from", start), _instant("to", end)
    period = None
    if start is not None or end is not None:
        period = check_period(start=start, end=end, daily=True)
    record, input_set = _latest_input_set(settings)
    result = input_sets.days_from_stored_snapshot(settings, input_set, store, period)
    if result is None:
        raise _building(settings, input_set, record["report_id"])
    if len(result.report) == 0:
        raise NotFound(f"store {store} has no valid poll in the data at or before to")
    days = json_values.to_json_values(
        result.report.drop(columns="store_id").to_dict(orient="records")
    )
    if period is None:  # the last 30 days: the first date is only the end of one, left out
        days = days[-input_sets.DEFAULT_DAYS :]
    summary = result.summary_json()
    return {
        "store_id": store,
        "from": summary["period"]["from"],
        "to": summary["period"]["to"],
        "days": days,
        "now": summary["now"],
        "report_id": record["report_id"],
        "input_set": input_set,
        "source": input_sets.FROM_SNAPSHOT,
    }


def _latest_input_set(settings: Settings) -> tuple[ReportRecord, str]:
    """The record ``latest`` names and its input set (NotFound before the first report)."""
    target = (records.latest_pointer(settings) or {}).get("target_id")
    record = records.get(settings, target) if target else None
    if record is None:
        raise NotFound("no finished report of the inputs yet: upload them (or trigger one)")
    input_set = input_sets.input_set_id(record.get("inputs") or {})
    if input_set is None:  # latest always names a complete input set; never seen
        raise NotFound("the latest report's inputs are incomplete: upload the missing files")
    return record, input_set


def _building(settings: Settings, input_set: str, report_id: str) -> Unavailable:
    """The snapshot is expired, never written or refused: the worker builds it."""
    input_sets.request_build(settings, input_set, report_id)
    return Unavailable(
        "the snapshot of the latest inputs is being built: retry in a minute",
        retry_after=SNAPSHOT_RETRY_SECONDS,
    )


def _instant(name: str, value: object) -> str | None:
    if value is None:
        return None
    try:
        return request_rules.as_of_instant(str(value))
    except ValueError as exc:
        raise InvalidRequest(f"{name} {exc}") from None


def _store_row(result: Any, **about: Any) -> dict:
    row = result.report.iloc[0].to_dict()
    if len(result.percentages):
        row |= result.percentages.iloc[0].drop("store_id").to_dict()
    summary = result.summary_json()
    as_of = summary.get("as_of")  # ISO 8601 as now is (the request's normal form in summaries)
    about_now = {"now": summary["now"], "as_of": as_of and utc_text(parse_micros(as_of))}
    period = summary.get("period") or {}
    if period.get("from"):
        about_now |= {"from": period["from"], "to": period["to"]}
    return json_values.to_json_values(row) | about_now | about


def store_incidents(
    settings: Settings, store_id: str, report_id: object = None, *, principal: Principal
) -> dict:
    """One store's uptime percentages and incidents in a complete full report (``latest``
    unless ``report_id`` names another): like ``store_summary``, an owner reads their stores'
    part of any full report."""
    from storemon.service import reports

    authz.require_store(principal, store_id)
    record = reports.report_record(settings, records.LATEST if report_id is None else report_id)
    rid = record["report_id"]
    if record["status"] != records.COMPLETE:
        raise Conflict(f"report {rid} is {record['status']}: its incidents come when Complete")
    _require_written(record)
    key = (record.get("result") or {}).get("incidents_json")
    if not key:
        raise NotFound(
            f"report {rid} has no incidents: they come with reports of every store at the "
            "data's own now (no store_ids, no as_of)"
        )
    document = report_files.read_document(settings, key)
    entry = document["stores"].get(store_id)
    if entry is None:
        raise NotFound(f"store {store_id} is not in report {rid} (no valid poll)")
    return {"store_id": store_id, **entry, "now": document.get("now"), "report_id": rid}


def store_status(settings: Settings, store_id: str, *, principal: Principal) -> dict:
    """One store's status now, from the ``status.json`` of ``latest`` (the newest full report
    of the current inputs, every batch received)."""
    authz.require_store(principal, store_id)
    target = (records.latest_pointer(settings) or {}).get("target_id")
    record = records.get(settings, target) if target else None
    _require_written(record)
    key = ((record.get("result") if record else None) or {}).get("status_json")
    if not key:
        raise NotFound("no status yet: it comes with the next full report of the inputs")
    document = report_files.read_document(settings, key)
    entry = document["stores"].get(store_id)
    if entry is None:
        raise NotFound(f"store {store_id} has no valid poll in the data")
    return {"store_id": store_id, **entry, "now": document.get("now"), "report_id": target}
