"""What a store owner reads (issue 11): the report page and the incidents of every full report.

With every full report (all stores, the data's own ``now``) the worker computes the incidents
(SPEC §7) too and writes beside the report CSV:

- ``report.html``: the report page (:func:`storemon.page.render_report_page`, one
  self-contained HTML file); ``get_report`` presigns it as ``page_url`` and redirects (303) to
  it for ``format=html`` or ``Accept: text/html``;
- ``incidents.csv``: the incidents with exactly SPEC §7's header
  (:func:`storemon.report.incidents.incidents_to_csv`, formula-safe cells), presigned as
  ``incidents_url``;
- ``incidents.json``: per store, its uptime percentages and its incidents: what
  ``GET /stores/{store_id}/incidents?report_id=`` answers from (:func:`store_incidents`).

Reports of some stores or at another ``as_of`` have none of these files.
"""

from __future__ import annotations

import json
from typing import Any

from storemon import json_values
from storemon.errors import Conflict, NotFound
from storemon.service import authz, aws, records
from storemon.service.authz import Principal
from storemon.service.report_files import ReportFileCache
from storemon.service.settings import Settings

FILES = {"page": "report.html", "incidents": "incidents.csv", "incidents_json": "incidents.json"}
HTML = "text/html; charset=utf-8"
_CACHE = ReportFileCache(size=2)


def keys(base: str, full: bool) -> dict[str, str | None]:
    """The keys of the owner's files under a report's prefix (None unless a full report)."""
    return {name: (base + file if full else None) for name, file in FILES.items()}


def write_files(settings: Settings, report_id: str, keys: dict, result: Any) -> None:
    """Write the page and the incidents (CSV, JSON) of a full report (nothing otherwise)."""
    if not keys.get("page"):
        return
    from storemon.page.render import render_report_page
    from storemon.report.incidents import incidents_to_csv

    bucket = settings.bucket
    aws.put_object(bucket, keys["page"], render_report_page(result), HTML)
    aws.put_object(bucket, keys["incidents"], incidents_to_csv(result.incidents), "text/csv")
    document = json.dumps(incidents_document(report_id, result), separators=(",", ":"))
    aws.put_object(bucket, keys["incidents_json"], document, "application/json")


def incidents_document(report_id: str, result: Any) -> dict:
    """``{"report_id", "now", "stores": {store_id: {"uptime_pct_last_hour", "..._day",
    "..._week", "incidents": [{"start_utc", "end_utc", "start_local", "end_local",
    "business_minutes", "ongoing"}, ...]}}}`` as plain JSON values (a percentage without
    business time is null)."""
    stores = json_values.rows_by(result.percentages.to_dict(orient="records"), "store_id")
    for entry in stores.values():
        entry["incidents"] = []
    frame = result.incidents
    ids = frame["store_id"].astype(str).tolist()
    rows = frame.drop(columns="store_id").to_dict(orient="records")
    for store_id, row in zip(ids, rows, strict=True):
        stores[store_id]["incidents"].append({k: json_values.scalar(v) for k, v in row.items()})
    now = json_values.scalar(result.summary.get("now"))
    return {"report_id": report_id, "now": now, "stores": stores}


def store_incidents(
    settings: Settings, store_id: str, report_id: object = None, *, principal: Principal
) -> dict:
    """One store's uptime percentages and incidents in a complete full report (``latest``
    unless ``report_id`` names another), if the caller may see that store (Forbidden
    otherwise): like ``store_summary``, an owner reads their stores' part of any full report."""
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
    document = _document(settings, key)
    entry = document["stores"].get(store_id)
    if entry is None:
        raise NotFound(f"store {store_id} is not in report {rid} (no valid poll)")
    return {"store_id": store_id, **entry, "now": document.get("now"), "report_id": rid}


def _document(settings: Settings, key: str) -> dict:
    """A report's incidents file, cached per warm container (it never changes once written)."""
    return _CACHE.get(settings.bucket, key)
