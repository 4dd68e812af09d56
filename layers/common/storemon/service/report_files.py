"""A report's files in S3: where each one goes, writing them, and reading the JSON ones back.

Every report has ``report.csv`` (SPEC §5) and ``summary.json``. A report of §5's windows (not
a period's) has its page, ``report.html``; a full report (every store at the data's own
``now``) also has what the per-store routes read:

- ``stores.json``: what the data holds for each store (``GET /store_summary``);
- ``report.html``: the report page (:func:`storemon.page.render.render_report_page`, one
  self-contained HTML file); ``get_report`` presigns it as ``page_url`` and redirects (303) to
  it for ``format=html`` or ``Accept: text/html``;
- ``incidents.csv``: the incidents with exactly SPEC §7's header
  (:func:`storemon.report.incidents.incidents_to_csv`), presigned as ``incidents_url``;
- ``incidents.json``: per store, its uptime percentages and its incidents
  (``GET /stores/{store_id}/incidents``);
- ``status.json``: per store, its status now, since when, its last poll, open now and the
  ongoing incident (``GET /stores/{store_id}/status``, SPEC §10).

The keys derive from the report id only, so concurrent deliveries write the same objects. The
files never change once written: the JSON ones are read once per warm container
(:class:`~storemon.service.cache.ObjectCache`).
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from storemon import json_values
from storemon.errors import NotFound, ObjectMissing
from storemon.service import aws
from storemon.service.cache import ObjectCache
from storemon.service.settings import Settings
from storemon.service.together import together

# the files of every report, the page (reports of §5's windows), those of full reports only,
# by their name in the record
EVERY_REPORT = {"report": "report.csv", "summary": "summary.json"}
PAGE = {"page": "report.html"}
FULL_REPORT_ONLY = {
    "stores": "stores.json",
    "incidents": "incidents.csv",
    "incidents_json": "incidents.json",
    "status_json": "status.json",
}
HTML = "text/html; charset=utf-8"
JSON = "application/json"
WRITERS = 4  # threads writing a report's files (their S3 PUTs overlap)
_DOCUMENTS: ObjectCache[dict] = ObjectCache(size=4, parse=json.loads)


def result_keys(
    settings: Settings, report_id: str, full: bool, page: bool | None = None
) -> dict[str, str | None]:
    """Where a report's files go (None for a file this report does not have); `page`
    defaults to `full`."""
    base = f"{settings.report_prefix}{report_id}/"
    keys: dict[str, str | None] = {name: base + file for name, file in EVERY_REPORT.items()}
    page = full if page is None else page
    keys |= {name: (base + file if page else None) for name, file in PAGE.items()}
    keys |= {name: (base + file if full else None) for name, file in FULL_REPORT_ONLY.items()}
    return keys


def write_report_files(
    settings: Settings,
    report_id: str,
    keys: dict,
    result: Any,
    summary: dict,
    *,
    status: Any = None,
) -> None:
    """Every file of a report but its page: :func:`write_core_files`, then, for a full
    report, :func:`write_store_files`. The page is :func:`write_page`'s."""
    write_core_files(settings, report_id, keys, result, summary)
    if keys["stores"]:
        write_store_files(settings, report_id, keys, result, status)


def write_core_files(
    settings: Settings, report_id: str, keys: dict, result: Any, summary: dict
) -> None:
    """The report CSV and the summary JSON (what ``latest`` needs before it moves)."""
    from storemon.report.result import report_to_csv

    _put_all(
        settings,
        {
            keys["report"]: (lambda: report_to_csv(result.report), "text/csv"),
            keys["summary"]: (
                lambda: json.dumps({"report_id": report_id, **summary}, indent=1),
                "application/json",
            ),
        },
    )


def write_store_files(
    settings: Settings, report_id: str, keys: dict, result: Any, status: Any = None
) -> None:
    """A full report's per-store files: ``stores.json``, the incidents (CSV and JSON) and,
    given the stores' status now (`status`), ``status.json``; each made and written on a
    thread of a small pool (their PUTs overlap)."""
    from storemon.report.incidents import incidents_to_csv

    files: dict[str, tuple[Any, str]] = {
        keys["stores"]: (lambda: json.dumps(result.stores_document(report_id)), JSON),
        keys["incidents"]: (lambda: incidents_to_csv(result.incidents), "text/csv"),
        keys["incidents_json"]: (
            lambda: json.dumps(incidents_document(report_id, result), separators=(",", ":")),
            JSON,
        ),
    }
    if keys.get("status_json") and status is not None:
        now = result.summary_json()["now"]
        files[keys["status_json"]] = (lambda: status_text(report_id, now, status), JSON)
    _put_all(settings, files)


def _put_all(settings: Settings, files: dict[str, tuple[Any, str]]) -> None:
    """Make each file (``key -> (make, content type)``) and PUT it, on up to
    :data:`WRITERS` threads (:func:`storemon.service.together.together`: each in a copy of the
    caller's context); the first error is raised once every file is done."""

    def put(key: str) -> None:
        make, content_type = files[key]
        aws.put_object(settings.bucket, key, make(), content_type)

    together([partial(put, key) for key in files], max_threads=WRITERS)


def write_page(settings: Settings, keys: dict, result: Any, periods: Any) -> None:
    """The page of a report of §5's windows (a full report's shows the data set's file
    counts, another's only its stores'); `periods`: the month and the 30 days."""
    from storemon.page.render import render_report_page

    page = render_report_page(result, periods=periods, fleet_facts=bool(keys["stores"]))
    aws.put_object(settings.bucket, keys["page"], page, HTML)


def status_text(report_id: str, now: Any, frame: Any) -> str:
    """``status.json``: ``{"report_id", "now", "stores": {store_id: {"status", "since_utc",
    "since_local", "last_poll_utc", "open_now", "incident": null | {"start_utc",
    "business_minutes"}}}}`` (:func:`storemon.report.current_status.current_status`)."""
    from storemon.report.json_rows import records

    rows = records(frame)
    stores = {}
    for row in rows:
        start = row.pop("incident_start_utc")
        minutes = row.pop("incident_business_minutes")
        store_id = row.pop("store_id")
        row["incident"] = (
            None if start is None else {"start_utc": start, "business_minutes": minutes}
        )
        stores[str(store_id)] = row
    document = {"report_id": report_id, "now": json_values.scalar(now), "stores": stores}
    return json.dumps(document, separators=(",", ":"))


def incidents_document(report_id: str, result: Any) -> dict:
    """``{"report_id", "now", "stores": {store_id: {"uptime_pct_last_hour", "..._day",
    "..._week", "incidents": [{"start_utc", "end_utc", "start_local", "end_local",
    "business_minutes", "ongoing"}, ...]}}}`` as plain JSON values (a percentage without
    business time is null)."""
    from storemon.report.json_rows import records, rows_by

    stores = rows_by(result.percentages, "store_id")
    for entry in stores.values():
        entry["incidents"] = []
    frame = result.incidents
    ids = frame["store_id"].astype(str).tolist()
    rows = records(frame.drop(columns="store_id"))
    for store_id, row in zip(ids, rows, strict=True):
        stores[store_id]["incidents"].append(row)
    now = json_values.scalar(result.summary.get("now"))
    return {"report_id": report_id, "now": now, "stores": stores}


def read_document(settings: Settings, key: str) -> dict:
    """One of a report's JSON files, read once per warm container; NotFound when it no longer
    exists."""
    try:
        return _DOCUMENTS.get(settings.bucket, key)
    except ObjectMissing:  # expired with its report (RetentionDays) before the record
        raise NotFound(f"the report's file {key} no longer exists: it has expired") from None
