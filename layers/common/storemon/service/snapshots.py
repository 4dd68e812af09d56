"""Snapshots in the service (issue 9): one per input set, at ``snapshots/<input-set id>/``.

- The first report of an input set (normally the upload refresh) parses the three inputs
  once, computes the report from the parsed inputs and writes their snapshot
  (:mod:`storemon.snapshot`). Writing is best effort: a failed write is logged and counted,
  the report does not fail.
- Every later report on the same input versions (full, subset, ``as_of``, one store) reads
  the snapshot instead of the CSV files; when it is missing or refused (another version,
  damaged, truncated) the reason is logged and counted and the CSV files are read (the
  worker then writes the snapshot again from them).
- ``GET /stores/{store_id}/report[?as_of=]`` answers one store's row and uptime percentages
  in the request, from the snapshot of the input set ``latest`` was made of.

The input-set id is :func:`storemon.service.records.refresh_report_id` of the recorded input
versions (the refresh report of those inputs has the same id, and ``latest`` records it as
``input_set``). A snapshot never changes once written, so loaded ones are cached per warm
container, keyed by that id. Which path answered is the report's ``source`` (``snapshot`` or
``csv``): logged, and recorded on the report's record.

The engine and the snapshot reader (pandas, NumPy) are imported when first used, so the
routes of the get_report function that never need them do not load them.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from storemon import json_values
from storemon.clock import timestamps
from storemon.errors import (
    InvalidRequest,
    NotFound,
    ObjectForbidden,
    ObjectMissing,
    Unavailable,
    UnusableInput,
)
from storemon.service import authz, aws, records, sources
from storemon.service.authz import Principal
from storemon.service.observability import add_count, logger
from storemon.service.settings import Settings

if TYPE_CHECKING:
    from storemon.report.pipeline import ReportResult
    from storemon.snapshot.reader import Snapshot

SNAPSHOT_PREFIX = "snapshots/"
SNAPSHOT_NAME = "snapshot.bin"
FROM_SNAPSHOT, FROM_CSV = "snapshot", "csv"
_CACHE: OrderedDict[str, Snapshot] = OrderedDict()
_CACHE_SIZE = 2


def input_set_id(inputs: dict) -> str | None:
    """The id of a complete input set (None when an input is missing)."""
    if not inputs or sources.missing(inputs):
        return None
    return records.refresh_report_id(inputs)


def snapshot_key(input_set: str) -> str:
    return f"{SNAPSHOT_PREFIX}{input_set}/{SNAPSHOT_NAME}"


def cached(settings: Settings, input_set: str) -> Snapshot | None:
    """The input set's snapshot (loaded once per container), or None when there is none or
    it is refused: the reason is logged and counted, and the caller reads the CSV files."""
    from storemon.snapshot.file_format import SnapshotError
    from storemon.snapshot.reader import load_snapshot

    hit = _CACHE.get(input_set)
    if hit is not None:
        _CACHE.move_to_end(input_set)
        return hit
    key = snapshot_key(input_set)
    try:
        data = aws.get_object(settings.bucket, key)
    except ObjectMissing:  # the first report of an input set, or an expired snapshot
        logger.info("no snapshot of these inputs: the CSV files are read", extra={"key": key})
        add_count("SnapshotsMissing")
        return None
    except ObjectForbidden as exc:  # the role cannot read it, or cannot tell it is missing
        logger.error("snapshot unreadable: the CSV files are read", extra={"reason": str(exc)})
        add_count("SnapshotsForbidden")
        return None
    try:
        loaded = load_snapshot(data)
    except SnapshotError as exc:
        _fallback("snapshot refused", key, "SnapshotsRefused", str(exc))
        return None
    _CACHE[input_set] = loaded
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return loaded


def _fallback(what: str, key: str, metric: str, reason: str | None = None) -> None:
    extra = {"key": key} | ({"reason": reason} if reason else {})
    logger.warning(f"{what}: the CSV files are read", extra=extra)
    add_count(metric)


def forget(input_set: str) -> None:
    _CACHE.pop(input_set, None)


def write(settings: Settings, input_set: str, data: bytes) -> None:
    """Store a snapshot (best effort: the report does not depend on it)."""
    key = snapshot_key(input_set)
    try:
        aws.put_object(settings.bucket, key, data, "application/octet-stream")
    except Exception:
        logger.warning("could not write the snapshot", exc_info=True, extra={"key": key})
        add_count("SnapshotWriteFailures")
        return
    logger.info("snapshot written", extra={"key": key, "bytes": len(data)})
    add_count("SnapshotsWritten")


def run(
    settings: Settings, record: dict, *, incidents: bool = False, rebuild: bool = True
) -> tuple[ReportResult, str]:
    """The report of a record and where it came from: ``snapshot`` when its inputs have a
    usable one, else ``csv`` (and, with `rebuild`, the snapshot is written from the parsed
    CSV files). UnusableInput when the inputs cannot work."""
    request = record.get("request") or {}
    options = {
        "as_of": request.get("as_of"),
        "store_ids": request.get("store_ids"),
        "incidents": incidents,
    }
    inputs = record.get("inputs") or {}
    input_set = input_set_id(inputs)
    started = time.perf_counter()
    result = _from_snapshot(settings, input_set, started, options) if input_set else None
    if result is not None:
        logger.info("report computed from the snapshot", extra={"input_set": input_set})
        add_count("ReportsFromSnapshot")
        return result, FROM_SNAPSHOT
    result = _from_csv(settings, inputs, input_set if rebuild else None, options)
    logger.info("report computed from the CSV files", extra={"input_set": input_set})
    add_count("ReportsFromCsv")
    return result, FROM_CSV


def _from_snapshot(
    settings: Settings, input_set: str, started: float, options: dict
) -> ReportResult | None:
    from storemon.snapshot.answer import report_from_snapshot
    from storemon.snapshot.file_format import SnapshotError

    snap = cached(settings, input_set)
    if snap is None:
        return None
    try:
        return report_from_snapshot(snap, started=started, **options)
    except SnapshotError as exc:  # a section damaged past the header
        forget(input_set)
        _fallback("snapshot refused", snapshot_key(input_set), "SnapshotsRefused", str(exc))
        return None


def _from_csv(
    settings: Settings, inputs: dict, rebuild_set: str | None, options: dict
) -> ReportResult:
    from storemon.inputs.limits import Limits
    from storemon.report import pipeline

    started = time.perf_counter()
    limits = Limits.from_env()  # STOREMON_MAX_*, from the template's Max* parameters
    data, names = sources.read(settings, inputs, limits.max_input_bytes)
    parsed = pipeline.parse_input_files(
        data[0], data[1], data[2], names=(names[0], names[1], names[2]), limits=limits
    )
    del data
    result = pipeline.report_from_parsed(*parsed, started=started, **options)
    if rebuild_set:
        _rebuild(settings, rebuild_set, parsed)
    return result


def _rebuild(settings: Settings, input_set: str, parsed: tuple) -> None:
    """Write the snapshot of parsed inputs (best effort)."""
    from storemon.snapshot.build import snapshot_from_parsed

    try:
        data = snapshot_from_parsed(*parsed)
    except Exception:
        logger.warning("could not build the snapshot", exc_info=True)
        add_count("SnapshotWriteFailures")
        return
    write(settings, input_set, data)
    _CACHE.pop(input_set, None)


# ----------------------------------------------------------------------------- one store


def store_report(
    settings: Settings, store_id: object, as_of: object = None, *, principal: Principal
) -> dict:
    """One store's report row and uptime percentages at the latest inputs' ``now`` (or
    `as_of`), from their snapshot (the CSV files when it is missing or refused), if the caller
    may see that store (Forbidden otherwise)."""
    from storemon.service import api_models

    store = api_models.store_id_from_path(store_id if isinstance(store_id, str) else "")
    authz.require_store(principal, store)
    when = _as_of(as_of)
    pointer = records.latest_pointer(settings) or {}
    target = pointer.get("target_id")
    record = records.get(settings, target) if target else None
    if record is None:
        raise NotFound("no finished report of the inputs yet: upload them (or trigger one)")
    job = {"inputs": record.get("inputs") or {}, "request": {"as_of": when, "store_ids": [store]}}
    try:
        result, source = run(settings, job, rebuild=False)
    except UnusableInput as exc:  # e.g. the recorded versions expired since
        raise Unavailable(f"the latest report's inputs cannot be read: {exc}") from None
    if len(result.report) == 0:
        at = " at or before as_of" if when is not None else ""
        raise NotFound(f"store {store} has no valid poll in the data{at}")
    return _store_row(
        result, report_id=target, input_set=input_set_id(job["inputs"]), source=source
    )


def _as_of(value: object) -> str | None:
    if value is None:
        return None
    try:
        return timestamps.normalize(str(value))
    except ValueError:
        shown = str(value)[:60]
        raise InvalidRequest(
            f"as_of is not a valid timestamp: {shown!r} (use e.g. 2023-01-25 18:00:00)"
        ) from None


def _store_row(result: Any, **about: Any) -> dict:
    row = result.report.iloc[0].to_dict()
    if len(result.percentages):
        row |= result.percentages.iloc[0].drop("store_id").to_dict()
    summary = result.summary_json()
    return json_values.plain(row) | {"now": summary["now"], "as_of": summary.get("as_of")} | about
