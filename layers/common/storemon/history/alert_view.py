"""SPEC §10's alert incidents of one version of the history, as the alerts read them.

Evaluated right after a batch lands (before, and whatever becomes of, the report that moves
``latest``).

- :func:`alert_view`, every incident: the carry and the partitions from its cut to the
  newest day, the polls ``latest``'s report reads (:func:`storemon.history.answer.polls_for`
  with §5's windows and the week's incidents), so the view equals the report's
  (:func:`storemon.report.alerts.alert_incidents` over that span of evidence).
- :func:`narrow_alert_view`, only what the batches since the last evaluation can have
  changed: when they added polls from day ``D`` on (:func:`changed_from_day`) and nothing
  else changed (the base, the hours, zones and closures), every poll before ``D`` is as it
  was, so every incident that ended at or before a store's last evidence poll before ``D``
  (``from_tick``) is too. The view holds each store's incidents that end after it (its
  current stretch among them): computed from the carry at ``D`` (:func:`storemon.history.
  carry.carry_of` of the history's carry and the days up to ``D``, kept per container: the
  same for every batch of a day, moved to a new day by folding the day passed, while no poll
  before it changed: :func:`_carry_at`) and the partitions from ``D`` on, a day or two of polls
  instead of eight or nine. Those incidents are exactly the full view's (the carry keeps the
  last evidence poll before ``D``, the first poll of its status run and the poll before that
  run: docs/history.md, "Why the carry is exact"); the incidents before ``from_tick`` are the
  previous evaluation's, and its mirror rows for them stay (:func:`storemon.alerting.
  candidates.next_mirror` with ``kept_before``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from storemon.alerting.candidates import view_frame
from storemon.clock.ticks import TICKS_PER_US, US_PER_DAY
from storemon.history import partition
from storemon.history.answer import concatenated, history_stats, polls_for
from storemon.history.carry import carry_of
from storemon.history.ingest import Load, parsed_inputs
from storemon.history.partition import Partition
from storemon.report.alerts import alert_incidents, alert_incidents_of_span
from storemon.report.per_group import group_ends
from storemon.report.periods import Period
from storemon.report.span import span_evidence

NO_BOUND = np.iinfo(np.int64).min  # a store without evidence before D: every incident


@dataclass(frozen=True)
class AlertView:
    """``frame``: the incidents (:func:`storemon.alerting.candidates.view_frame`);
    ``from_tick``: None when it holds every incident, else per store (``store_id``,
    ``from_tick``) the bound it holds the incidents ending after."""

    frame: pd.DataFrame
    from_tick: pd.DataFrame | None = None


def alert_view(manifest: dict, load: Load) -> AlertView:
    """Every alert incident of the history ``manifest`` at its newest poll."""
    found = polls_for(manifest, load, period=Period(), incidents=True)
    incidents = alert_incidents(found.polls, found.hours, found.zones, found.closures)
    return AlertView(view_frame(incidents))


def changed_from_day(manifest: dict, previous: dict | None) -> int | None:
    """The first UTC day (days since the epoch) with polls ``manifest`` added to the version
    ``previous``; None when more than batches changed (another base, other hours, zones or
    closures, a batch list that is not an extension of the previous one) or nothing did."""
    if previous is None or any(manifest.get(k) != previous.get(k) for k in ("base", "inputs")):
        return None
    before = [entry["sha256"] for entry in previous["batches"]]
    batches = manifest["batches"]
    if [entry["sha256"] for entry in batches[: len(before)]] != before:
        return None
    days = [day for entry in batches[len(before) :] for day in entry.get("days") or []]
    if not days:
        return None
    return int(np.datetime64(min(days), "D").astype(np.int64))


def narrow_alert_view(manifest: dict, load: Load, from_day: int) -> AlertView | None:
    """The incidents that polls from ``from_day`` on can have changed (see the module doc);
    None when the history's carry is not at or before that day (then :func:`alert_view`)."""
    carry = manifest["carry"]
    if carry is None or from_day < int(carry["cut_day"]):
        return None
    hours, zones, closures = parsed_inputs(manifest, load)
    days = sorted(manifest["partitions"].values(), key=lambda e: e["day"])
    before = [e for e in days if int(carry["cut_day"]) <= e["day"] < from_day]
    after = [e for e in days if e["day"] >= from_day]
    if not after:
        return None
    carried = _carry_at(manifest, load, from_day, before, (hours, zones, closures))
    polls = concatenated([carried, *(_read(load, e) for e in after)], history_stats(manifest, ""))
    span = span_evidence(polls, hours, zones, closures)
    bound = _last_evidence_before(span.rank, span.tick, from_day, span.selected.n_stores)
    incidents = alert_incidents_of_span(span, ending_after=bound)
    stores = np.asarray(span.selected.store_id, dtype=object)
    return AlertView(view_frame(incidents), pd.DataFrame({"store_id": stores, "from_tick": bound}))


def _carry_at(manifest: dict, load: Load, day: int, before: list[dict], inputs: tuple) -> Partition:
    """The carry at ``day``: the one this container made last when it is still right (no
    poll before its day changed since), moved forward over the days between; else from the
    history's carry and the days ``before``. Kept for the next batch (the same for every
    batch of a day)."""
    kept = _CARRY.get("at")
    if kept is not None:
        then, then_day, carried = kept
        changed = changed_from_day(manifest, then)
        polls_before_alike = (changed is not None and changed >= then_day) or _alike(manifest, then)
        # no day from then_day on folded into the history's carry since (its cut is before)
        unfolded = int(manifest["carry"]["cut_day"]) <= then_day <= day
        if polls_before_alike and unfolded:
            between = [e for e in manifest["partitions"].values() if then_day <= e["day"] < day]
            if between:
                parts = [carried, *(_read(load, e) for e in sorted(between, key=_day))]
                carried = carry_of(partition.merge(parts), *inputs)
            _CARRY["at"] = (manifest, day, carried)
            return carried
    carry = manifest["carry"]
    merged = partition.merge([_read(load, carry), *(_read(load, e) for e in before)])
    carried = carry_of(merged, *inputs)
    _CARRY["at"] = (manifest, day, carried)
    return carried


def _alike(manifest: dict, then: dict) -> bool:
    """The same base, inputs and batches (nothing changed at all)."""
    keys = ("base", "inputs")
    return all(manifest.get(k) == then.get(k) for k in keys) and [
        e["sha256"] for e in manifest["batches"]
    ] == [e["sha256"] for e in then["batches"]]


def _day(entry: dict) -> int:
    return int(entry["day"])


_CARRY: dict[str, tuple[dict, int, Partition]] = {}  # the last carry at a day (per container)


def _read(load: Load, entry: dict) -> Partition:
    return partition.from_bytes(load(entry["key"]), entry["key"])


def _last_evidence_before(
    rank: np.ndarray, tick: np.ndarray, day: int, n_stores: int
) -> np.ndarray:
    """Per store rank, the tick of its last evidence poll before ``day`` (NO_BOUND: none);
    the evidence is sorted by (rank, tick)."""
    before = tick < day * US_PER_DAY * TICKS_PER_US
    last = before & (group_ends(rank) | ~np.append(before[1:], False))
    bound = np.full(n_stores, NO_BOUND, dtype=np.int64)
    bound[rank[last]] = tick[last]
    return bound
