"""The history's layout and bookkeeping: the store bucket hash, partitions, duplicate and
failed batches, the carry's path, new hours, retention, the summary's counts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from storemon.history import partition
from storemon.history.buckets import BUCKETS, bucket_of, fnv1a_32, id_bytes
from storemon_dev.cli import main

HEADER = "store_id,status,timestamp_utc\n"
HOURS = "store_id,day,start_time_local,end_time_local\nR,0,09:00,12:00\n"
ZONES = "store_id,timezone_str\nR,UTC\nA,UTC\n"


def test_fnv1a_matches_the_published_test_vectors():
    # FNV-1a 32-bit of "", "a", "foobar" (draft-eastlake-fnv, test vectors)
    ids = id_bytes(np.array(["", "a", "foobar"], dtype=object))
    assert [int(x) for x in fnv1a_32(ids)] == [0x811C9DC5, 0xE40C292C, 0xBF9CF968]
    assert int(bucket_of(id_bytes(np.array(["a"])))[0]) == 0xE40C292C % BUCKETS


def test_a_partition_is_sorted_by_bucket_store_and_time_with_bucket_offsets():
    ids = id_bytes(np.array([str(9_000_000_000_000_000_000 + n) for n in range(300)]))
    store = np.repeat(np.arange(300), 2)[::-1].copy()
    times = np.tile([20, 10], 300).astype(np.int64)
    codes = np.ones(600, dtype=np.int8)
    part = partition.build(ids, store, times, codes, np.zeros(600, dtype=np.int8))
    back = partition.from_bytes(partition.to_bytes(part), "test")
    buckets = bucket_of(back.store_id)
    assert (np.diff(buckets) >= 0).all()
    for bucket in (0, 7, BUCKETS - 1):
        lo, hi = back.bucket_start[bucket], back.bucket_start[bucket + 1]
        assert (buckets[lo:hi] == bucket).all()
    assert back.bucket_start[-1] == 300
    assert list(back.time_us[:2]) == [10, 20]  # each store's polls in time order
    assert back.store_id[0] in set(ids)


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


def ingest(history: Path, status: str, *extra: str) -> int:
    return main(["ingest", "--into", str(history), "--status", status, *extra])


def report(folder: Path, *source: str) -> tuple[str, dict]:
    out, summary = folder / "out.csv", folder / "summary.json"
    assert main(["report", *source, "--out", str(out), "--summary", str(summary)]) == 0
    return out.read_text(), json.loads(summary.read_text())


@pytest.fixture
def inputs(tmp_path):
    return [
        f"--hours={write(tmp_path, 'hours.csv', HOURS)}",
        f"--timezones={write(tmp_path, 'zones.csv', ZONES)}",
    ]


def test_a_rarely_polled_store_takes_its_status_from_the_carry(tmp_path, inputs):
    """R is open Mondays 09:00-12:00 UTC; its only polls: active on Monday 2023-01-02 10:00,
    inactive at 11:30 (the midpoint 10:45). Three weeks later A's polls move now to Monday
    2023-01-23 12:00: R's last evidence, the inactive poll, fills its week: 3 h down, of
    which the last day holds Monday's 3 h and the last hour 60 min."""
    history = tmp_path / "history"
    base = HEADER + "R,active,2023-01-02 10:00:00\nR,inactive,2023-01-02 11:30:00\n"
    assert ingest(history, write(tmp_path, "base.csv", base), "--base", *inputs) == 0
    for day in range(3, 24):
        batch = HEADER + f"A,active,2023-01-{day:02d} 12:00:00\n"
        assert ingest(history, write(tmp_path, f"b{day}.csv", batch)) == 0
    text, summary = report(tmp_path, "--history", str(history))
    assert text.splitlines()[1:] == [
        "A,60.00,24.00,168.00,0.00,0.00,0.00",
        "R,0.00,0.00,0.00,60.00,3.00,3.00",
    ]
    assert summary["history"]["read"]["carry"] == "carry"
    assert summary["history"]["read"]["partitions"] <= 9  # the cut's days to now's, not 22
    assert summary["files"]["store_status"]["rows_read"] == 2 + 21
    manifest = json.loads((history / "manifest.json").read_text())
    carry = partition.from_bytes((history / manifest["carry"]["key"]).read_bytes(), "carry")
    assert sorted(carry.store_id) == [b"A", b"R"]
    # R: its last poll (inactive) and the poll before its run; A: its last poll and the
    # first of its run (all active, its first poll)
    assert len(carry) == 4


def test_a_duplicate_batch_adds_nothing_and_a_bad_one_changes_nothing(tmp_path, inputs, capsys):
    history = tmp_path / "history"
    batch = write(tmp_path, "b.csv", HEADER + "A,active,2023-01-02 10:00:00\n")
    assert ingest(history, batch, *inputs) == 0
    before = (history / "manifest.json").read_text()
    assert ingest(history, batch) == 0
    assert "already ingested" in capsys.readouterr().out
    assert (history / "manifest.json").read_text() == before
    bad = write(tmp_path, "bad.csv", HEADER + "A,maybe,2023-01-02 10:00:00\n")
    assert ingest(history, bad) == 2
    assert f"{bad}: no valid poll" in capsys.readouterr().err
    assert (history / "manifest.json").read_text() == before


def test_a_report_needs_the_hours_and_zones_files(tmp_path, capsys):
    batch = write(tmp_path, "b.csv", HEADER + "A,active,2023-01-02 10:00:00\n")
    assert ingest(tmp_path / "history", batch) == 0  # a batch may come before them
    assert main(["report", "--history", str(tmp_path / "history")]) != 0
    assert "no hours and no timezones file yet" in capsys.readouterr().err


def test_new_hours_make_the_carry_again(tmp_path, inputs):
    """With R open all week (no hours row), its evidence is every poll: a last-hour of
    downtime from the inactive poll three weeks back, as the union's report says."""
    history = tmp_path / "history"
    lines = ["R,active,2023-01-02 10:00:00", "R,inactive,2023-01-02 11:30:00"]
    lines += [f"A,active,2023-01-{day:02d} 12:00:00" for day in range(3, 24)]
    everything = write(tmp_path, "all.csv", HEADER + "\n".join(lines) + "\n")
    assert ingest(history, everything, *inputs) == 0
    open_all_week = write(tmp_path, "h2.csv", "store_id,day,start_time_local,end_time_local\n")
    zones = write(tmp_path, "zones.csv", ZONES)
    extra = write(tmp_path, "x.csv", HEADER + "A,active,2023-01-23 11:00:00\n")
    assert ingest(history, extra, f"--hours={open_all_week}") == 0
    union = write(tmp_path, "union.csv", HEADER + "\n".join(lines) + "\n" + extra_line(extra))
    got, _ = report(tmp_path, "--history", str(history))
    classic = ["--status", union, "--hours", open_all_week, "--timezones", zones]
    expected, _ = report(tmp_path, *classic)
    assert got == expected
    assert "R,0.00,0.00,0.00,60.00,24.00,168.00" in got.splitlines()


def extra_line(path: str) -> str:
    return Path(path).read_text().split("\n", 1)[1]


def test_retention_drops_whole_days_and_keeps_the_report(tmp_path, inputs, capsys):
    """With a 31-day retention, the days before now's minus 31 are dropped (their carry
    kept): the week's report is still the union's; a later batch of polls older than the
    retention is skipped and counted."""
    history = tmp_path / "history"
    lines = ["R,inactive,2022-11-07 10:00:00"]
    lines += [f"A,active,2022-12-{day:02d} 12:00:00" for day in range(1, 32)]
    lines += [f"A,inactive,2023-01-{day:02d} 12:00:00" for day in range(1, 24)]
    text = HEADER + "\n".join(lines) + "\n"
    options = ["--retention-days", "31", *inputs]
    assert ingest(history, write(tmp_path, "all.csv", text), *options) == 0
    manifest = json.loads((history / "manifest.json").read_text())
    assert min(manifest["partitions"]) == "2022-12-23"  # 2023-01-23 minus 31 days
    assert manifest["retained"]["cut_day"] * 86_400 == 1_671_753_600  # 2022-12-23
    zones = write(tmp_path, "zones.csv", ZONES)
    hours = write(tmp_path, "hours.csv", HOURS)
    expected, _ = report(
        tmp_path, "--status", str(tmp_path / "all.csv"), "--hours", hours, "--timezones", zones
    )
    got, _ = report(tmp_path, "--history", str(history))
    assert got == expected
    old = write(tmp_path, "old.csv", HEADER + "A,active,2022-12-01 13:00:00\n")
    assert ingest(history, old) == 0
    _, summary = report(tmp_path, "--history", str(history))
    assert summary["files"]["store_status"]["skipped_reasons"] == {
        "of a day dropped by retention": 1
    }
    assert not list((history / "partitions").glob("2022-11-*"))


def test_a_shard_reads_only_its_buckets_with_range_reads():
    ids = id_bytes(np.array([f"store-{n}" for n in range(500)]))
    rng = np.random.default_rng(1)
    store = rng.integers(0, 500, 3000)
    times = rng.integers(0, 86_400_000_000, 3000)
    codes = rng.integers(1, 3, 3000).astype(np.int8)
    part = partition.build(ids, store, times, codes, np.zeros(3000, dtype=np.int8))
    data = partition.to_bytes(part)
    asked: list[tuple[int, int]] = []

    def read_range(offset: int, size: int) -> bytes:
        asked.append((offset, size))
        return data[offset : offset + size]

    shard = partition.read_buckets(read_range, 64, 128, "test")
    buckets = bucket_of(part.store_id)
    wanted = (buckets >= 64) & (buckets < 128)
    expected = partition.select(part, wanted[part.poll_store()])
    assert list(shard.store_id) == list(expected.store_id)
    assert list(shard.poll_start) == list(expected.poll_start)
    assert list(shard.time_us) == list(expected.time_us)
    assert list(shard.base) == list(expected.base)
    polls_read = sum(size for offset, size in asked[-3:])
    assert polls_read == len(expected) * (8 + 1 + 1)  # only the shard's slices of the polls


def test_a_new_base_replaces_the_old_bases_polls_only(tmp_path, inputs):
    """The old base said R was inactive at 10:00 and the batch active (inactive won); the new
    base does not have that poll: the batch's active poll is R's status again."""
    history = tmp_path / "history"
    old = write(tmp_path, "old.csv", HEADER + "R,inactive,2023-01-02 10:00:00\n")
    assert ingest(history, old, "--base", *inputs) == 0
    batch = HEADER + "R,active,2023-01-02 10:00:00\nA,active,2023-01-02 12:00:00\n"
    assert ingest(history, write(tmp_path, "batch.csv", batch)) == 0
    before, _ = report(tmp_path, "--history", str(history))
    assert "R,0.00,0.00,0.00,60.00,3.00,3.00" in before.splitlines()
    new = write(tmp_path, "new.csv", HEADER + "A,active,2023-01-02 11:00:00\n")
    assert ingest(history, new, "--base") == 0
    after, summary = report(tmp_path, "--history", str(history))
    assert "R,60.00,3.00,3.00,0.00,0.00,0.00" in after.splitlines()
    assert summary["history"]["base"] == new


def test_closures_dropped_from_the_inputs_leave_the_history():
    from storemon.history.ingest import new_manifest, set_inputs

    store: dict[str, bytes] = {}
    closures = b"store_id,start_local,end_local\nA,2023-01-02 09:00,2023-01-02 10:00\n"
    files: dict[str, tuple[str, bytes] | None] = {
        "hours": ("h.csv", HOURS.encode()),
        "timezones": ("z.csv", ZONES.encode()),
        "closures": ("c.csv", closures),
    }
    update = set_inputs(new_manifest(), store.__getitem__, files)
    assert "closures" in update.manifest["inputs"]
    dropped = set_inputs(update.manifest, store.__getitem__, {"closures": None})
    assert dropped.changed and "closures" not in dropped.manifest["inputs"]
    again = set_inputs(dropped.manifest, store.__getitem__, {"closures": None})
    assert not again.changed
