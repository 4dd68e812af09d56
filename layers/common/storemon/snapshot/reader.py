"""A loaded snapshot: the small ``derived`` section at once, the per-poll ``inputs`` section
when first needed (what the arrays are: :mod:`storemon.snapshot`)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from storemon.errors import SnapshotError
from storemon.inputs.closures import EVERY_STORE, Closures
from storemon.inputs.tables import FileStats, Hours, Polls, Zones
from storemon.snapshot.file_format import SnapshotFile

VERSION = 2  # 2: closures, and a calendar for month windows and ranges (SPEC §8, §9)
NEVER = np.iinfo(np.int64).max  # first_inside_us of a store without a poll inside its hours
ZONE_SOURCES = np.array(["file", "missing", "invalid"], dtype=object)  # zone_source codes


class Snapshot:
    """A loaded snapshot: the ``derived`` arrays now, the ``inputs`` ones when first needed."""

    def __init__(self, file: SnapshotFile):
        self.file = file
        self.derived = file.section("derived")
        try:
            self.meta = json.loads(self.derived["meta_json"].tobytes())
        except ValueError:
            raise SnapshotError(f"{file.where}: damaged (metadata is not JSON)") from None
        self.now_us = int(self.meta["now_us"])
        self.store_ids = self.derived["store_ids"]
        self._inputs: dict[str, np.ndarray] | None = None
        self._cumulative: dict[str, np.ndarray] = {}
        self._memo: dict[str, Any] = {}

    @property
    def where(self) -> str:
        return self.file.where

    def inputs(self) -> dict[str, np.ndarray]:
        if self._inputs is None:
            self._inputs = self.file.section("inputs")
        return self._inputs

    def covers(self, span_start_us: int, now_us: int) -> bool:
        """Whether its calendar answers a report ending at ``now_us`` whose span starts at
        ``span_start_us`` (else the engine runs on its parsed inputs)."""
        low, high = self.meta["as_of_range_us"]
        return int(low) <= now_us <= int(high) and span_start_us >= int(
            self.meta["calendar_from_us"]
        )

    def memo(self, name: str, make: Callable[[], Any]) -> Any:
        """``make()``, made once per loaded snapshot (what every report of it derives alike:
        a loaded snapshot never changes)."""
        if name not in self._memo:
            self._memo[name] = make()
        return self._memo[name]

    def cumulative(self, name: str) -> np.ndarray:
        """Running count (exclusive) of the packed per-poll flag ``name``, computed once."""
        if name not in self._cumulative:
            bits = np.unpackbits(self.inputs()[name], count=int(self.meta["polls"]))
            self._cumulative[name] = np.concatenate([[0], np.cumsum(bits, dtype=np.int64)])
        return self._cumulative[name]

    def parsed_inputs(self) -> tuple[Polls, Hours, Zones]:
        """The parsed inputs as the engine takes them (stores without polls left out)."""
        return _parsed_inputs(self)

    def closures(self) -> Closures | None:
        """The closures it was built with (rows of its stores and ``*`` rows, with the
        file's counts), or None when it was built without a closures file."""
        if "closures" not in self.meta["files"]:
            return None
        d = self.derived
        rank = d["closure_rank"]
        ids = np.asarray(self.store_ids, dtype=object)
        reasons = np.asarray(self.meta["closure_reasons"] + [""], dtype=object)
        return Closures(
            store_id=np.where(rank < 0, EVERY_STORE, ids[np.maximum(rank, 0)]).astype(object),
            start_day=d["closure_start_day"].astype(np.int64),
            start_s=d["closure_start_s"].astype(np.int64),
            end_day=d["closure_end_day"].astype(np.int64),
            end_s=d["closure_end_s"].astype(np.int64),
            reason=reasons[d["closure_reason"]],
            stats=_stats(self.meta["files"]["closures"]),
        )


def load_snapshot(source: str | Path | bytes) -> Snapshot:
    """A snapshot from a file path or bytes; :class:`SnapshotError` when it cannot be used."""
    return Snapshot(SnapshotFile.open(source, VERSION))


def _stats(document: dict) -> FileStats:
    return FileStats(
        document["file"], int(document["rows_read"]), Counter(document["skipped_reasons"])
    )


def _parsed_inputs(snap: Snapshot) -> tuple[Polls, Hours, Zones]:
    d, raw, files = snap.derived, snap.inputs(), snap.meta["files"]
    count = int(snap.meta["polls"])
    ids = np.asarray(snap.store_ids, dtype=object)
    copies = np.ones(count, dtype=np.int64)
    copies[raw["dup_index"]] += raw["dup_extra"]
    rank = np.repeat(np.arange(len(ids)), np.diff(d["poll_offsets"]))
    active = np.unpackbits(raw["poll_active"], count=count).astype(bool)
    polls = Polls(
        store_ids=ids,
        store=np.repeat(rank, copies),
        time_us=np.repeat(np.asarray(raw["poll_us"]), copies),
        active=np.repeat(active, copies),
        stats=_stats(files["store_status"]),
    )
    hours = Hours(
        store_id=ids[raw["hours_rank"]],
        weekday=raw["hours_weekday"].astype(np.int64),
        start_s=raw["hours_start"].astype(np.int64),
        end_s=raw["hours_end"].astype(np.int64),
        stats=_stats(files["menu_hours"]),
    )
    names = np.asarray(snap.meta["zone_names"], dtype=object)
    given = d["zone_source"] != 1
    zone = np.where(d["zone_source"] == 0, names[d["zone_index"]], "")
    zones = Zones(
        store_id=ids[given], zone=zone[given].astype(object), stats=_stats(files["timezones"])
    )
    return polls, hours, zones
