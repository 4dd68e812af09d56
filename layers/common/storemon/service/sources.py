"""The input files in S3: which objects they are, and their bytes by recorded version.

Three inputs are required (status, hours, time zones); a fourth, ``closures`` (SPEC §9), is
optional: without it no time is closed. Each may be uploaded as ``<prefix><name>.csv`` or
``<prefix><name>.csv.gz``. When both exist, the one modified last wins (a tie goes to the plain
``.csv``): the newest upload is what the operator meant. The chosen object's version id (the
bucket is versioned) and ETag are recorded in the report, and the worker reads exactly that
version, so a report never mixes an old file with a new one. An input set without closures
has no ``closures`` entry at all (so its id, :func:`records.refresh_report_id`, is what it
was before closures existed); an upload of the closures file refreshes like the other three.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from storemon.clock.iso import utc_text
from storemon.errors import InputError, MissingInput, ObjectForbidden, ObjectMissing
from storemon.service import aws
from storemon.service.records import InputSet, InputVersion
from storemon.service.settings import Settings
from storemon.service.together import together

KINDS = ("status", "hours", "timezones")  # required
OPTIONAL_KINDS = ("closures",)  # SPEC §9: an input set may have it
BASENAMES = {
    "status": "store_status",
    "hours": "menu_hours",
    "timezones": "timezones",
    "closures": "closures",
}
SUFFIXES = (".csv", ".csv.gz")


def kind_of_key(key: str, prefix: str) -> str | None:
    """ "status" / "hours" / "timezones" / "closures" when `key` is one of the accepted input
    names."""
    if not key.startswith(prefix):
        return None
    name = key[len(prefix) :]
    for kind, base in BASENAMES.items():
        if name in (base + suffix for suffix in SUFFIXES):
            return kind
    return None


def resolve(settings: Settings) -> InputSet:
    """The current input objects: {kind: {key, version_id, etag, last_modified, size} | None}
    for the three required kinds, ``closures`` only when it exists, and ``history`` (the
    poll history's current manifest, :mod:`storemon.service.history_store`) only when a
    batch was ever ingested. The listing and the history's pointer are read at once, then
    the chosen objects' versions (HEADs) at once (:func:`storemon.service.together.together`)."""
    from storemon.service import history_store

    listed, history = together(
        [lambda: _newest_of_each_kind(settings), lambda: history_store.version(settings)]
    )
    kinds = [kind for kind in KINDS + OPTIONAL_KINDS if kind in listed]
    heads = together(
        [partial(aws.head_object, settings.bucket, listed[kind].key) for kind in kinds]
    )
    found = dict(zip(kinds, heads, strict=True))
    out: InputSet = {}
    for kind in KINDS + OPTIONAL_KINDS:
        head = found.get(kind)
        if head is None:
            if kind in KINDS:
                out[kind] = None
            continue
        out[kind] = {
            "key": head.key,
            "version_id": head.version_id,
            "etag": head.etag,
            "last_modified": utc_text(head.last_modified),
            "size": head.size,
        }
    if history is not None:
        out["history"] = history
    return out


def _newest_of_each_kind(settings: Settings) -> dict[str, aws.ObjectInfo]:
    """Each kind's listed object (of ``.csv`` and ``.csv.gz``, the one modified last)."""
    best: dict[str, aws.ObjectInfo] = {}
    # the input files only (not the batches under polls/, one more an hour)
    for obj in aws.list_objects(settings.bucket, settings.input_prefix, top_level=True):
        kind = kind_of_key(obj.key, settings.input_prefix)
        if kind is None:
            continue
        rank = (obj.last_modified, obj.key.endswith(".csv"))
        current = best.get(kind)
        if current is None or rank > (current.last_modified, current.key.endswith(".csv")):
            best[kind] = obj
    return best


def missing(inputs: InputSet) -> list[str]:
    """The required files an input set lacks (with a poll history, the status file is its
    optional base)."""
    required = KINDS[1:] if inputs.get("history") else KINDS
    return [BASENAMES[kind] + ".csv" for kind in required if not inputs.get(kind)]


def marker(inputs: InputSet, resolved_at: datetime) -> str | None:
    """A string that orders input sets from old to new: the newest LastModified of the three,
    then when the set was resolved (S3 reads are strongly consistent, so a set resolved later
    is at least as new). None when an input is missing."""
    if missing(inputs):
        return None
    newest = max(ref["last_modified"] for ref in inputs.values() if ref)
    return f"{newest}|{utc_text(resolved_at)}"


def identity(inputs: InputSet) -> tuple:
    """What tells input sets apart: each input's key and version id (or ETag), the closures'
    (or None) included."""
    return tuple(
        (ref["key"], ref.get("version_id") or ref.get("etag")) if ref else None
        for ref in (inputs.get(kind) for kind in (*KINDS, *OPTIONAL_KINDS, "history"))
    )


def is_current(settings: Settings, inputs: InputSet) -> bool:
    """Whether `inputs` are still exactly the current input objects."""
    return not missing(inputs) and identity(resolve(settings)) == identity(inputs)


def read(
    settings: Settings, inputs: InputSet, max_bytes: int | None = None
) -> tuple[list[bytes], list[str]]:
    """The three required inputs' recorded versions' bytes and file names, in KINDS order;
    MissingInput otherwise, InputError for an object over ``max_bytes`` (checked before it is
    read)."""
    gone = missing(inputs)
    if gone:
        where = f"s3://{settings.bucket}/{settings.input_prefix}"
        raise MissingInput(
            "; ".join(f"{name}: missing (upload {where}{name} or {name}.gz)" for name in gone)
        )
    data, names = [], []
    for kind in KINDS:
        ref = inputs[kind]
        assert ref is not None
        body, name = _read_version(settings, ref, max_bytes)
        data.append(body)
        names.append(name)
    return data, names


def read_closures(
    settings: Settings, inputs: InputSet, max_bytes: int | None = None
) -> tuple[bytes, str] | None:
    """The recorded closures file's bytes and name, or None when the input set has none (the
    same errors as :func:`read`)."""
    ref = inputs.get("closures")
    return _read_version(settings, ref, max_bytes) if ref else None


def read_version(
    settings: Settings, ref: InputVersion, max_bytes: int | None = None
) -> tuple[bytes, str]:
    """One recorded input's bytes and file name (the same errors as :func:`read`)."""
    return _read_version(settings, ref, max_bytes)


def _read_version(
    settings: Settings, ref: InputVersion, max_bytes: int | None
) -> tuple[bytes, str]:
    name = ref["key"].rsplit("/", 1)[-1]
    size = int(ref.get("size") or 0)
    if max_bytes is not None and size > max_bytes:
        raise InputError(
            name, f"file is {size:,} bytes, over the limit of {max_bytes:,} (max_input_bytes)"
        )
    try:
        body = aws.get_object(
            settings.bucket, ref["key"], version_id=ref.get("version_id"), etag=ref.get("etag")
        )
    except ObjectMissing as exc:
        raise MissingInput(f"{name}: {exc}") from exc
    except ObjectForbidden as exc:  # the role's permissions: retrying cannot help
        raise ObjectForbidden(f"{name}: {exc}") from exc
    return body, name
