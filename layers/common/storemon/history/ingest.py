"""Batches (and a new base) merged into the history; the manifest; the carry; retention.

The history is a set of immutable objects named by the manifest (a JSON document):
``partitions/<day>-<digest>.smon`` (one UTC day's polls, :mod:`storemon.history.partition`),
``carry/<digest>.smon`` (the carry at the cut, :mod:`storemon.history.carry`),
``retained/<digest>.smon`` (the carry of the days retention dropped) and
``inputs/<digest>-<kind>`` (the hours, zones and closures files the carries were made with).
An operation reads the manifest and the objects it needs through ``load(key)`` and returns
the new objects and the new manifest (:class:`Update`); the caller writes the objects, then
swaps the manifest (a rename on disk; a conditional write on the service), so a reader sees
one version or the next, never a mix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from storemon.clock.iso import utc_text
from storemon.clock.ticks import US_PER_DAY
from storemon.errors import ConfigurationError
from storemon.history import partition
from storemon.history.buckets import BUCKETS, id_bytes
from storemon.history.carry import carry_of
from storemon.history.partition import ACTIVE, INACTIVE, Partition
from storemon.inputs import csv_reader, status_reader, tables
from storemon.inputs.closures import read_closures
from storemon.inputs.limits import DEFAULT as DEFAULT_LIMITS
from storemon.inputs.limits import Limits
from storemon.report.pipeline import require_a_poll

FORMAT = "storemon-history"
VERSION = 1
DEFAULT_RETENTION_DAYS = 90
DEFAULT_CARRY_LAG_DAYS = 8
LONGEST_WINDOW_DAYS = 30  # the month window (SPEC §8)
TOO_OLD = "of a day dropped by retention"

Load = Callable[[str], bytes]


@dataclass
class Update:
    """What an operation made: ``objects`` (key -> bytes, new and immutable) to write before
    ``manifest`` replaces the current one; ``changed`` false when nothing new (a duplicate
    batch)."""

    manifest: dict
    objects: dict[str, bytes] = field(default_factory=dict)
    changed: bool = True
    note: str = ""


def new_manifest(
    *, retention_days: int = DEFAULT_RETENTION_DAYS, carry_lag_days: int = DEFAULT_CARRY_LAG_DAYS
) -> dict:
    """An empty history. ``retention_days``: whole days kept (at least the longest window,
    30 days, plus one); ``carry_lag_days``: how far behind the newest day the carry's cut
    follows (at least 8: the week window and its incidents read no day before it)."""
    if retention_days <= LONGEST_WINDOW_DAYS:
        raise ConfigurationError(
            f"retention of {retention_days} days: it must be longer than the longest window "
            f"({LONGEST_WINDOW_DAYS} days)"
        )
    if carry_lag_days < 1 or carry_lag_days >= retention_days:
        raise ConfigurationError(f"carry lag of {carry_lag_days} days: 1 .. retention - 1")
    return {
        "format": FORMAT,
        "version": VERSION,
        "generation": 0,
        "buckets": BUCKETS,
        "settings": {"retention_days": retention_days, "carry_lag_days": carry_lag_days},
        "inputs": None,
        "base": None,
        "batches": [],
        "partitions": {},
        "carry": None,
        "retained": None,
        "newest_us": None,
    }


def check_manifest(manifest: dict, where: str) -> dict:
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise ConfigurationError(f"{where}: not a storemon history (version {VERSION})")
    return manifest


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _next(manifest: dict) -> dict:
    updated = {**manifest, "generation": int(manifest["generation"]) + 1}
    updated["partitions"] = dict(manifest["partitions"])
    updated["batches"] = list(manifest["batches"])
    return updated


def set_inputs(
    manifest: dict,
    load: Load,
    files: dict[str, tuple[str, bytes] | None],
    limits: Limits = DEFAULT_LIMITS,
) -> Update:
    """New hours / timezones / closures files (``kind -> (name, bytes)``, kinds ``hours``,
    ``timezones``, ``closures``; ``None``: the history has no such file any more, closures
    only): checked, stored, and the carries made again with them. Files whose bytes the
    history already has change nothing."""
    current = manifest["inputs"] or {}
    dropped = [kind for kind, file in files.items() if file is None and kind in current]
    given = {
        kind: file
        for kind, file in files.items()
        if file is not None and (current.get(kind) or {}).get("sha256") != digest(file[1])
    }
    if not given and not dropped:
        return Update(manifest, changed=False, note="the same input files")
    for kind, (name, data) in given.items():
        _parse_input(kind, name, data, limits)  # an unusable file fails here, naming it
    inputs = {kind: entry for kind, entry in current.items() if kind not in dropped}
    objects = {}
    for kind, (name, data) in given.items():
        key = f"inputs/{digest(data)[:20]}-{kind}"
        inputs[kind] = {"name": name, "key": key, "sha256": digest(data)}
        objects[key] = data
    updated = _next(manifest)
    updated["inputs"] = inputs
    updated["carry"] = None  # made again below, with the new inputs
    return _settle(updated, load, objects)


def _parse_input(kind: str, name: str, data: bytes, limits: Limits):
    if kind == "closures":
        return read_closures(data, name, limits)
    frame = csv_reader.read_input(data, kind, name, limits)
    return tables.parse_hours(frame) if kind == "hours" else tables.parse_timezones(frame)


def parsed_inputs(manifest: dict, load: Load):
    """The history's hours, zones and closures (None without a closures file)."""
    inputs = manifest.get("inputs") or {}
    missing = [kind for kind in ("hours", "timezones") if kind not in inputs]
    if missing:
        raise ConfigurationError(
            f"the history has no {' and no '.join(missing)} file yet: give them "
            "(storemon ingest --hours --timezones)"
        )
    held = tuple(sorted((kind, entry["key"], entry["name"]) for kind, entry in inputs.items()))
    parsed = _PARSED.get(held)
    if parsed is None:  # the objects' keys are their digests: parsed once per process
        parsed = {
            kind: _parse_input(kind, entry["name"], load(entry["key"]), DEFAULT_LIMITS)
            for kind, entry in inputs.items()
        }
        _PARSED.clear()
        _PARSED[held] = parsed
    return parsed["hours"], parsed["timezones"], parsed.get("closures")


_PARSED: dict[tuple, dict] = {}  # the last history's parsed hours, zones and closures


def add_batch(
    manifest: dict,
    load: Load,
    data: bytes,
    name: str,
    *,
    base: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    received_at: str | None = None,
    source: str | None = None,
) -> Update:
    """A batch of polls (``base``: a new base file, replacing the old base's polls) read
    once and merged into the days it touches. A batch already ingested (same bytes) adds
    nothing; a batch with no valid poll fails (InputError naming it). ``source``: what the
    caller knows the file as (the service: its key and version), kept in the manifest."""
    sha = digest(data)
    if not base and any(entry["sha256"] == sha for entry in manifest["batches"]):
        return Update(manifest, changed=False, note=f"{name}: already ingested")
    polls = status_reader.read_status(data, name, limits)
    require_a_poll(polls)
    updated = _next(manifest)
    day = polls.time_us // US_PER_DAY
    oldest_kept = _oldest_kept_day(manifest)
    too_old = day < oldest_kept
    polls.stats.skip(TOO_OLD, int(too_old.sum()))
    entry: dict[str, Any] = {"name": name, "sha256": sha, "received_at": received_at}
    entry["source"] = source
    entry |= polls.stats.as_dict()
    entry.pop("file", None)
    entry["polls"] = int((~too_old).sum())
    objects: dict[str, bytes] = {}
    if base:
        updated["base"] = entry
        _drop_base(updated, load, objects)
    else:
        updated["batches"].append(entry)
    codes = np.where(polls.active, ACTIVE, INACTIVE).astype(np.int8)
    ids = id_bytes(polls.store_ids)
    touched = np.unique(day[~too_old])
    for one_day in touched:  # one step per UTC day the batch touches (a few), not per poll
        at = (day == one_day) & ~too_old
        none = np.zeros(int(at.sum()), dtype=np.int8)
        new = partition.build(
            ids,
            polls.store[at],
            polls.time_us[at],
            codes[at] if base else none,
            none if base else codes[at],
        )
        _put_partition(updated, load, objects, int(one_day), new)
    updated["newest_us"] = newest_poll(updated)
    cut = manifest["carry"]["cut_day"] if manifest["carry"] else None
    if base or (cut is not None and len(touched) and int(touched.min()) < cut):
        updated["carry"] = None  # days before the cut changed: made again
    entry["days"] = [utc_text(int(d) * US_PER_DAY)[:10] for d in touched]
    return _settle(updated, load, objects)


def _oldest_kept_day(manifest: dict) -> int:
    """The first day not yet dropped by retention (its polls were folded into the retained
    carry: a late poll of such a day cannot be placed exactly, it is skipped and counted)."""
    retained = manifest["retained"]
    return int(retained["cut_day"]) if retained else -(2**40)


def _drop_base(manifest: dict, load: Load, objects: dict[str, bytes]) -> None:
    """Every partition without the old base's statuses (a new base replaces them)."""
    for entry in list(manifest["partitions"].values()):
        old = partition.from_bytes(load(entry["key"]), entry["key"])
        kept = partition.without_base(old)
        if len(kept) != len(old) or (old.base > 0).any():
            _store(manifest, objects, int(entry["day"]), kept)


def _put_partition(
    manifest: dict, load: Load, objects: dict[str, bytes], day: int, new: Partition
) -> None:
    entry = manifest["partitions"].get(_day_text(day))
    if entry is not None:
        key = entry["key"]
        old = partition.from_bytes(objects[key] if key in objects else load(key), key)
        new = partition.merge([old, new])
    _store(manifest, objects, day, new)


def _store(manifest: dict, objects: dict[str, bytes], day: int, part: Partition) -> None:
    if not len(part):
        manifest["partitions"].pop(_day_text(day), None)
        return
    data = partition.to_bytes(part)
    key = f"partitions/{_day_text(day)}-{digest(data)[:20]}.smon"
    objects[key] = data
    manifest["partitions"][_day_text(day)] = {
        "day": day,
        "key": key,
        "polls": len(part),
        "stores": len(part.store_id),
        "bytes": len(data),
        "last_us": int(part.time_us.max()),
    }


def newest_poll(manifest: dict) -> int | None:
    """The newest poll of the history (µs), None when it holds none."""
    lasts = [int(entry["last_us"]) for entry in manifest["partitions"].values()]
    return max(lasts) if lasts else None


def _day_text(day: int) -> str:
    return utc_text(day * US_PER_DAY)[:10]


def _settle(manifest: dict, load: Load, objects: dict[str, bytes]) -> Update:
    """Retention (whole days past it folded into the retained carry, then dropped), then the
    carry moved to its cut (made again when it was dropped)."""
    inputs_of = manifest.get("inputs") or {}
    if manifest["newest_us"] is None or not {"hours", "timezones"} <= set(inputs_of):
        return Update(manifest, objects)
    parsed: list = []

    def inputs():  # parsed only when a carry is made (not for most batches)
        if not parsed:
            parsed.extend(parsed_inputs(manifest, lambda key: objects.get(key) or load(key)))
        return parsed

    read = _reader(load, objects)
    newest_day = int(manifest["newest_us"]) // US_PER_DAY
    drop_before = newest_day - int(manifest["settings"]["retention_days"])
    dropped = [e for e in manifest["partitions"].values() if e["day"] < drop_before]
    if dropped:
        parts = [read(manifest["retained"])] + [read(e) for e in dropped]
        retained = carry_of(partition.merge(parts), *inputs())
        _put_carry(manifest, objects, "retained", drop_before, retained)
        for entry in dropped:
            manifest["partitions"].pop(_day_text(entry["day"]))
    cut = newest_day - int(manifest["settings"]["carry_lag_days"])
    carry = manifest["carry"]
    if carry is not None and carry["cut_day"] > cut:
        carry = None
    start = carry["cut_day"] if carry is not None else -(2**40)
    if carry is None or cut > start:
        folded = [e for e in manifest["partitions"].values() if start <= e["day"] < cut]
        first = read(carry if carry is not None else manifest["retained"])
        merged = partition.merge([first] + [read(e) for e in folded])
        _put_carry(manifest, objects, "carry", cut, carry_of(merged, *inputs()))
    return Update(manifest, objects)


def _reader(load: Load, objects: dict[str, bytes]) -> Callable[[dict | None], Partition]:
    def read(entry: dict | None) -> Partition:
        if entry is None or entry.get("key") is None:
            return partition.empty()
        key = entry["key"]
        return partition.from_bytes(objects[key] if key in objects else load(key), key)

    return read


def _put_carry(
    manifest: dict, objects: dict[str, bytes], kind: str, cut_day: int, part: Partition
) -> None:
    data = partition.to_bytes(part)
    key = f"{kind}/{digest(data)[:20]}.smon"
    objects[key] = data
    manifest[kind] = {"cut_day": cut_day, "key": key, "polls": len(part), "bytes": len(data)}
