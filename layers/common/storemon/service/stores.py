"""Answers about one store, each if the caller may see that store (Forbidden otherwise):

- ``GET /store_summary?store_id=`` (:func:`store_summary`): what the newest full report saw of
  it (its entry in the report's ``stores.json``);
- ``GET /stores/{store_id}/report[?as_of=]`` (:func:`store_report`): its report row and
  uptime percentages, computed in the request from the snapshot of the input set ``latest``
  was made of, and only from it: when it is missing or refused the worker is asked to build it
  and the answer is 503 with Retry-After (parsing the CSV files here would not fit get_report's
  memory at full scale);
- ``GET /stores/{store_id}/incidents[?report_id=]`` (:func:`store_incidents`): its uptime
  percentages and incidents in a complete full report (its entry in ``incidents.json``).
"""

from __future__ import annotations

from typing import Any

from storemon import json_values
from storemon.errors import Conflict, InvalidRequest, NotFound, Unavailable
from storemon.service import authz, input_sets, records, report_files
from storemon.service.authz import Principal
from storemon.service.settings import Settings

# GET /stores/{id}/report while the worker builds the missing snapshot (a full-scale one: ~1 min)
SNAPSHOT_RETRY_SECONDS = 60


def store_summary(settings: Settings, store_id: object, principal: Principal) -> dict:
    """What the newest finished full report saw of one store (its per-store summary file)."""
    if not isinstance(store_id, str) or not store_id.strip():
        raise InvalidRequest("store_id is required")
    store_id = store_id.strip()
    authz.require_stores(principal, [store_id])
    target = (records.latest_pointer(settings) or {}).get("target_id")
    record = records.get(settings, target) if target else None
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
    settings: Settings, store_id: object, as_of: object = None, *, principal: Principal
) -> dict:
    """One store's report row and uptime percentages at the latest inputs' ``now`` (or
    `as_of`), from their snapshot; Unavailable (503, Retry-After) while it is being built."""
    from storemon.service import api_models

    store = api_models.store_id_from_path(store_id if isinstance(store_id, str) else "")
    authz.require_store(principal, store)
    when = _as_of(as_of)
    pointer = records.latest_pointer(settings) or {}
    target = pointer.get("target_id")
    record = records.get(settings, target) if target else None
    if record is None:
        raise NotFound("no finished report of the inputs yet: upload them (or trigger one)")
    input_set = input_sets.input_set_id(record.get("inputs") or {})
    result = None
    if input_set is not None:
        result = input_sets.report_from_stored_snapshot(
            settings, input_set, as_of=when, store_ids=[store]
        )
    if result is None:  # expired, never written, refused: the worker builds it
        if input_set is not None:
            input_sets.request_build(settings, input_set, record["report_id"])
        raise Unavailable(
            "the snapshot of the latest inputs is being built: retry in a minute",
            retry_after=SNAPSHOT_RETRY_SECONDS,
        )
    if len(result.report) == 0:
        at = " at or before as_of" if when is not None else ""
        raise NotFound(f"store {store} has no valid poll in the data{at}")
    source = input_sets.FROM_SNAPSHOT
    return _store_row(result, report_id=target, input_set=input_set, source=source)


def _as_of(value: object) -> str | None:
    from storemon.service import api_models

    if value is None:
        return None
    try:
        return api_models.as_of_instant(str(value))
    except ValueError as exc:
        raise InvalidRequest(f"as_of {exc}") from None


def _store_row(result: Any, **about: Any) -> dict:
    row = result.report.iloc[0].to_dict()
    if len(result.percentages):
        row |= result.percentages.iloc[0].drop("store_id").to_dict()
    summary = result.summary_json()
    about_now = {"now": summary["now"], "as_of": summary.get("as_of")}
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
