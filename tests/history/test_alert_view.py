"""SPEC §10's alert view of a history version (storemon.history.alert_view): the narrow view
after hourly batches holds exactly the full view's incidents that end after each store's
bound, and every incident of the full view that ends at or before it is the one the previous
version showed (the evaluation before decided it; the mirror keeps its row)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from storemon.history.alert_view import alert_view, changed_from_day, narrow_alert_view
from storemon.history.ingest import add_batch, new_manifest, set_inputs
from storemon_dev.generate.dataset import write_dataset

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
SAME = ["store_id", "start_tick", "end_tick", "business_ticks", "ongoing"]


def _history(tmp_path, seed: int, lag: int):
    """A generated data set's polls up to 30 h before the newest as the base, then the rest
    in hourly batches: the store of objects, and each version's manifest."""
    paths = write_dataset(tmp_path, stores=40, days=9, seed=seed)
    lines = paths["status"].read_text().splitlines()
    header, rows = lines[0], lines[1:]
    stamps = np.array(
        [np.datetime64(r.split(",")[2].removesuffix(" UTC"), "us").astype(np.int64) for r in rows]
    )
    first_batch = int(stamps.max()) - 30 * HOUR_US
    store: dict[str, bytes] = {}
    files = {
        "hours": ("menu_hours.csv", paths["hours"].read_bytes()),
        "timezones": ("timezones.csv", paths["timezones"].read_bytes()),
    }
    manifest = new_manifest(carry_lag_days=lag)
    versions = []
    parts = [stamps < first_batch]
    hour = first_batch
    while hour <= stamps.max():
        parts.append((stamps >= hour) & (stamps < hour + HOUR_US))
        hour += HOUR_US
    for number, part in enumerate(parts):
        text = "\n".join([header, *(r for r, keep in zip(rows, part, strict=True) if keep)])
        if number and not part.any():
            continue
        if number == 0:
            update = set_inputs(manifest, store.__getitem__, files)
            store.update(update.objects)
            manifest = update.manifest
        update = add_batch(
            manifest, store.__getitem__, text.encode() + b"\n", f"b{number}.csv", base=number == 0
        )
        store.update(update.objects)
        manifest = update.manifest
        versions.append(manifest)
    return store, versions


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["store_id", "start_tick"]).reset_index(drop=True)


@pytest.mark.parametrize(("seed", "lag"), [(1, 1), (2, 2), (3, 1)])
def test_the_narrow_view_is_the_full_views_incidents_after_each_stores_bound(
    tmp_path, seed, lag, monkeypatch
):
    from storemon.history import alert_view as module

    store, versions = _history(tmp_path, seed, lag)
    load = store.__getitem__
    carries_read, read = [], module._read

    def reading(load, entry):
        if entry["key"].startswith("carry/"):
            carries_read.append(entry["key"])
        return read(load, entry)

    monkeypatch.setattr(module, "_read", reading)
    narrowed = 0
    for previous, manifest in zip(versions[1:], versions[2:], strict=False):
        from_day = changed_from_day(manifest, previous)
        assert from_day is not None
        narrow = narrow_alert_view(manifest, load, from_day)
        if narrow is None:  # the batch's day is before the carry's cut
            assert from_day < manifest["carry"]["cut_day"]
            continue
        narrowed += 1
        full = alert_view(manifest, load).frame.merge(narrow.from_tick, on="store_id")
        after = full["end_tick"] > full["from_tick"]
        expected = full[after].drop(columns="from_tick")
        pd.testing.assert_frame_equal(_sorted(narrow.frame), _sorted(expected))
        # the incidents the narrow view leaves out are the previous version's, unchanged
        before = alert_view(previous, load).frame.merge(narrow.from_tick, on="store_id")
        unchanged = before[before["end_tick"] <= before["from_tick"]][SAME]
        pd.testing.assert_frame_equal(_sorted(full[~after][SAME]), _sorted(unchanged))
    assert narrowed >= 20  # most of the 30 hourly batches
    # the carry at a day made once from the history's carry, then moved over each new day
    # (the 30 batches cross midnight) from the one kept
    assert len(carries_read) == 1


def test_more_than_batches_changed_means_every_incident(tmp_path):
    store, versions = _history(tmp_path, 4, 1)
    previous, manifest = versions[-2], versions[-1]
    assert changed_from_day(manifest, None) is None
    assert changed_from_day(manifest, {**previous, "base": {"sha256": "another"}}) is None
    assert changed_from_day(manifest, {**previous, "inputs": {}}) is None
    assert changed_from_day(manifest, manifest) is None  # nothing new
    fewer = {**manifest, "batches": manifest["batches"][:-2]}
    assert changed_from_day(manifest, fewer) is not None
    other = {**fewer, "batches": [{**fewer["batches"][0], "sha256": "x"}, *fewer["batches"][1:]]}
    assert changed_from_day(manifest, other) is None  # not an extension of it
    cut = manifest["carry"]["cut_day"]
    assert narrow_alert_view(manifest, store.__getitem__, cut - 1) is None


def test_the_mirror_after_a_narrow_view_keeps_the_rows_it_did_not_see():
    from storemon.alerting.candidates import next_mirror

    old = pd.DataFrame(
        {
            "store_id": pd.Series(["A", "A", "A", "B", "B"], dtype=object),
            "start_tick": np.array([10, 50, 90, 20, 70], dtype=np.int64),
            "down_ticks": np.array([0, 0, 0, 0, 0], dtype=np.int64),
            "has_open": np.array([False, False, True, False, True]),
        }
    )
    # the narrow view: A's incidents ending after 60 (its 50 and a new one at 95; the one at
    # 90 is gone: late polls moved it), B's ending after 10 (its 70; its 20 is gone)
    view = pd.DataFrame(
        {
            "store_id": pd.Series(["A", "A", "B"], dtype=object),
            "start_tick": np.array([50, 95, 70], dtype=np.int64),
        }
    )
    states = pd.DataFrame(
        {
            "store_id": pd.Series(["A"], dtype=object),
            "start_tick": np.array([95], dtype=np.int64),
            "down_ticks": np.array([0], dtype=np.int64),
            "has_open": np.array([True]),
        }
    )
    bounds = pd.DataFrame(
        {"store_id": pd.Series(["A", "B"], dtype=object), "from_tick": np.array([60, 10])}
    )
    mirror = next_mirror(view, old, states, kept_before=bounds)
    rows = sorted(zip(mirror["store_id"], mirror["start_tick"], mirror["has_open"], strict=True))
    # A 10 (before its bound: unseen, kept), A 50 and B 70 (seen, old states), A 95 (new
    # state); A 90 and B 20 start after their bounds and were not seen: gone
    assert rows == [("A", 10, False), ("A", 50, False), ("A", 95, True), ("B", 70, True)]
    assert len(next_mirror(view, old, states)) == 3  # a full view keeps only what it saw
