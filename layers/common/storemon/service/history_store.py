"""SPEC §10 on the service: the poll history in S3, its current version in DynamoDB.

- Every object uploaded under ``<input prefix>polls/`` (``.csv`` or ``.csv.gz``) is a batch:
  the worker reads it once (the version its notification names) and merges it into the
  history (:mod:`storemon.history`, docs/history.md), then the refresh follows as for any
  upload (quiet period, bursts coalesced, :mod:`storemon.service.refresh`).
- The history's objects live under ``history/`` and never change; its manifest is written
  under a new key (``history/manifests/<generation>-<digest>.json``) and becomes current when
  the ``history`` item of the reports table names it: a conditional write on the
  generation, so of two concurrent ingests one wins and the other reads the new manifest and
  merges again (at most :data:`ATTEMPTS` times, then the message is retried). A duplicate
  notification (the same bytes already ingested) changes nothing.
- A batch that cannot work (no valid poll, not CSV...) is a Failed record of kind ``batch``
  naming the file and the reason, noted on ``latest`` as a newer failure; the history and
  ``latest`` are unchanged.
- Before a refresh, :func:`sync` brings the history's base (``store_status.csv``) and its
  hours, zones and closures files to the current input versions.

The refresh's input set then holds ``history``: the manifest key (its ``etag`` the
generation), so a report names the exact version of the history it read, and ``latest``
moves only to a report of the current version (:func:`storemon.service.sources.is_current`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import partial
from typing import Any

from storemon.clock.iso import utc_text
from storemon.errors import ObjectMissing, UnusableInput
from storemon.service import aws, records, sources
from storemon.service.cache import ByteCache
from storemon.service.observability import add_count, logger
from storemon.service.records import InputSet, InputVersion
from storemon.service.settings import Settings
from storemon.service.together import together

POINTER = "history"  # the reports table's item naming the current manifest
PREFIX = "history/"
BATCH_FOLDER = "polls/"
ATTEMPTS = 5
BATCH = "batch"  # the kind of a failed batch's record
SUFFIXES = (".csv", ".csv.gz")


def is_batch_key(key: str, input_prefix: str) -> bool:
    """Whether ``key`` is a batch of polls (``<input prefix>polls/...csv[.gz]``)."""
    folder = input_prefix + BATCH_FOLDER
    return key.startswith(folder) and len(key) > len(folder) and key.endswith(SUFFIXES)


def pointer(settings: Settings) -> dict | None:
    return aws.get_item(settings.table, {records.KEY: POINTER})


def version(settings: Settings) -> InputVersion | None:
    """The current history as an input of a report, None when no batch was ever ingested."""
    return _version_of(pointer(settings))


def _version_of(current: dict | None) -> InputVersion | None:
    if current is None:
        return None
    return {
        "key": current["manifest_key"],
        "version_id": None,
        "etag": str(current["generation"]),
        "last_modified": current["updated_at"],
        "size": int(current.get("polls", 0)),
    }


def load(settings: Settings) -> Callable[[str], bytes]:
    """Read a history object (they never change: the last :data:`KEPT_BYTES` read are kept per
    warm container, so the next batch's report reads only the day it changed)."""

    def read(key: str) -> bytes:
        return _OBJECTS.get(settings.bucket, PREFIX + key)

    return read


def read_range(settings: Settings, key: str, offset: int, size: int) -> bytes:
    """``size`` bytes of a history object from ``offset`` (an S3 range GET: a store shard's
    slice of a partition, issue 18)."""
    return aws.get_range(settings.bucket, PREFIX + key, offset, size)


KEPT_BYTES = 64 * 2**20
_OBJECTS = ByteCache(KEPT_BYTES)


def alert_view(settings: Settings, manifest_key: str, previous_key: str | None = None) -> Any:
    """SPEC §10's alert incidents of the history version ``manifest_key`` at its newest poll
    (:mod:`storemon.history.alert_view`'s ``AlertView``): only those the batches added since
    the version ``previous_key`` (evaluated last) can have changed when that is all that
    changed, else every one (the carry and the days of the week)."""
    from storemon.history import alert_view as views

    manifest, read = manifest_at(settings, manifest_key), load(settings)
    if previous_key and previous_key != manifest_key:
        try:
            previous = manifest_at(settings, previous_key)
        except ObjectMissing:
            previous = None
        from_day = views.changed_from_day(manifest, previous)
        narrow = None if from_day is None else views.narrow_alert_view(manifest, read, from_day)
        if narrow is not None:
            return narrow
    return views.alert_view(manifest, read)


def manifest_at(settings: Settings, manifest_key: str) -> dict:
    """The manifest at `manifest_key` (its key names one version: its text is kept per warm
    container, so an ingest's refresh and the next ingest do not read it again)."""
    from storemon.history.ingest import check_manifest

    text = _MANIFESTS.get(settings.bucket, manifest_key)
    return check_manifest(json.loads(text), manifest_key)


_MANIFESTS = ByteCache(4 * 2**20)


def _current(settings: Settings) -> tuple[dict | None, dict]:
    from storemon.history.ingest import new_manifest

    current = pointer(settings)
    if current is None:
        return None, new_manifest()
    return current, manifest_at(settings, current["manifest_key"])


def apply(
    settings: Settings,
    operation: Callable[[dict, Callable[[str], bytes]], Any],
    known: InputVersion | None = None,
) -> Any:
    """Run ``operation(manifest, load)`` on the current manifest and make its result current
    (new objects first, then the manifest, then the conditional pointer); on a lost race,
    again on the winner's manifest. The :class:`storemon.history.ingest.Update`. `known`:
    the version just read as current (:func:`version`), taken for the first attempt instead
    of reading the pointer again (the conditional write still refuses a stale one)."""
    for attempt in range(ATTEMPTS):
        current: dict | None
        if attempt == 0 and known is not None:
            current = {"generation": int(str(known["etag"])), "manifest_key": known["key"]}
            manifest = manifest_at(settings, known["key"])
        else:
            current, manifest = _current(settings)
        update = operation(manifest, load(settings))
        if not update.changed:
            return update
        if _commit(settings, current, update):
            return update
        logger.info("another ingest moved the history first: merging again")
        add_count("HistoryConflicts")
    raise RuntimeError(f"the history moved under {ATTEMPTS} attempts in a row: retrying later")


def _commit(settings: Settings, current: dict | None, update: Any) -> bool:
    """The new objects and the manifest written (at once: none is read before the pointer
    names the manifest), then the conditional pointer."""
    manifest = update.manifest
    text = json.dumps(manifest, sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    manifest_key = f"{PREFIX}manifests/{manifest['generation']:012d}-{digest}.json"
    writes = [
        partial(aws.put_object, settings.bucket, PREFIX + key, data, "application/octet-stream")
        for key, data in update.objects.items()
    ]
    writes.append(partial(aws.put_object, settings.bucket, manifest_key, text, "application/json"))
    together(writes)
    for key, data in update.objects.items():
        _OBJECTS.put(settings.bucket, PREFIX + key, data)  # read next by the alerts, the report
    _MANIFESTS.put(settings.bucket, manifest_key, text.encode())
    item = {
        records.KEY: POINTER,
        "generation": manifest["generation"],
        "manifest_key": manifest_key,
        "polls": sum(int(e["polls"]) for e in manifest["partitions"].values()),
        "updated_at": utc_text(records.utcnow()),
    }
    if current is None:
        return aws.put_item_if_absent(settings.table, item, records.KEY)
    return aws.put_item_when(
        settings.table, item, "#generation = :generation", {":generation": current["generation"]}
    )


def ingest_batch(settings: Settings, key: str) -> str:
    """Read one batch (its current version) once and merge it: "batch-ingested",
    "batch-duplicate", "batch-failed" (a Failed record says why) or "batch-gone"."""
    from storemon.history.ingest import add_batch
    from storemon.inputs.limits import Limits

    head, current = together(
        [partial(aws.head_object, settings.bucket, key), partial(pointer, settings)]
    )
    if head is None:
        logger.info("batch deleted before it was read", extra={"key": key})
        return "batch-gone"
    name = key.rsplit("/", 1)[-1]
    limits = Limits.from_env()
    try:
        data = aws.get_object(settings.bucket, key, version_id=head.version_id, etag=head.etag)
        update = apply(
            settings,
            lambda manifest, read: add_batch(
                manifest, read, data, key, limits=limits, received_at=utc_text(records.utcnow())
            ),
            _version_of(current),  # read with the batch's version
        )
    except (UnusableInput, ObjectMissing) as exc:
        reason = str(exc) if key in str(exc) or name in str(exc) else f"{name}: {exc}"
        _record_failed_batch(settings, key, head, reason)
        return "batch-failed"
    add_count("BatchesIngested" if update.changed else "BatchesDuplicate")
    logger.info("batch ingested" if update.changed else update.note, extra={"key": key})
    return "batch-ingested" if update.changed else "batch-duplicate"


def _record_failed_batch(settings: Settings, key: str, head: aws.ObjectInfo, error: str) -> None:
    """A Failed record of kind ``batch`` (its id from the object's version), noted on
    ``latest``: visible, never replacing it."""
    report_id = records.refresh_report_id({"batch": _batch_version(key, head)})
    record = records.new_record(
        settings,
        report_id,
        kind=BATCH,
        request={"store_ids": None, "as_of": None},
        inputs={"batch": _batch_version(key, head)},
        marker=None,
    )
    records.create(settings, record)
    if records.fail(settings, report_id, error):
        logger.error("batch failed", extra={"key": key, "error": error})
        add_count("BatchesFailed")
        stored = records.get(settings, report_id) or {**record, "error": error}
        records.note_newer_failure(settings, stored, utc_text(records.utcnow()))


def _batch_version(key: str, head: aws.ObjectInfo) -> InputVersion:
    return {
        "key": key,
        "version_id": head.version_id,
        "etag": head.etag,
        "last_modified": utc_text(head.last_modified),
        "size": head.size,
    }


def sync(settings: Settings, inputs: InputSet) -> bool:
    """Bring the history's base and its hours, zones and closures files to the recorded
    versions ``inputs``: the small files by their bytes (a closures file no longer uploaded
    is dropped from the history too), read only when this container has not seen that
    version's bytes in the history already (:func:`_small_files`); the base by its version
    (read only when it changed; a base no longer uploaded stays in the history). Whether
    the history changed."""
    from storemon.history.ingest import set_inputs
    from storemon.inputs.limits import Limits

    limits = Limits.from_env()
    known = inputs.get("history")  # resolved just now: no second read of the pointer
    files = apply(
        settings,
        lambda manifest, read: set_inputs(
            manifest, read, _small_files(settings, manifest, inputs, limits), limits
        ),
        known,
    )
    base = inputs.get("status")
    if not base:
        return bool(files.changed)
    with_base = apply(
        settings,
        lambda manifest, read: _base(settings, manifest, read, base, limits),
        None if files.changed else known,
    )
    return bool(files.changed or with_base.changed)


def _small_files(
    settings: Settings, manifest: dict, inputs: InputSet, limits: Any
) -> dict[str, tuple[str, bytes] | None]:
    """What :func:`storemon.history.ingest.set_inputs` is given: each recorded file's (name,
    bytes), None for a closures file no longer uploaded; a version whose bytes the history
    holds already (known by its digest, per warm container) is left out, unread."""
    from storemon.history.ingest import digest

    held = manifest.get("inputs") or {}
    files: dict[str, tuple[str, bytes] | None] = {"closures": None}  # removed, unless present
    for kind in ("hours", "timezones", "closures"):
        ref = inputs.get(kind)
        if not ref:
            continue
        version = (settings.bucket, ref["key"], str(ref.get("version_id") or ref.get("etag")))
        known = _DIGESTS.get(version) if ref.get("version_id") or ref.get("etag") else None
        if known and known == (held.get(kind) or {}).get("sha256"):
            files.pop(kind, None)  # the history has these bytes: unchanged
            continue
        body, name = sources.read_version(settings, ref, limits.max_input_bytes)
        if len(_DIGESTS) > 1000:
            _DIGESTS.clear()
        _DIGESTS[version] = digest(body)
        files[kind] = (name, body)
    return files


_DIGESTS: dict[tuple[str, str, str], str] = {}  # an input version's bytes' sha256


def _base(
    settings: Settings, manifest: dict, read: Callable[[str], bytes], ref: InputVersion, limits
) -> Any:
    """A new base unless the history's is this version already."""
    from storemon.history.ingest import Update, add_batch

    source = f"{ref['key']}@{ref.get('version_id') or ref.get('etag')}"
    if (manifest.get("base") or {}).get("source") == source:
        return Update(manifest, changed=False, note="the same base")
    body, name = sources.read_version(settings, ref, limits.max_input_bytes)
    return add_batch(manifest, read, body, name, base=True, limits=limits, source=source)
