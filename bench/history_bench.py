"""SPEC §10's poll history at full scale (issue 16, batches half), in this process.

The benchmark's data set (``bench/bench.py``'s cache: 14,092 stores, a week) is the base of
a history (``storemon.history``, kept in a dict as the service keeps it in S3). Measured,
best of three:

- a full ingest of the history (the week's file as the base of an empty history: what any
  re-ingest costs), and a one-hour batch (one poll per store, an hour after the newest):
  goal, the batch at most 1/20 of the full ingest;
- the same batch on a 90-day history (the week's days copied 12 more weeks back, 13x): goal,
  no more than on the 7-day one;
- latest's report from the history after the batch (the carry and the days of the week),
  on both, and the same report from one CSV file of every poll (the classic path).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

DAY_US = 86_400_000_000
WEEKS_BACK = 12  # 13 weeks in all: about 90 days


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stores", type=int, default=14_092)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--regenerate", action="store_true")
    return parser.parse_args(argv)


def best(action, repeat: int = 3):
    times, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = action()
        times.append(time.perf_counter() - started)
    return min(times), value


def hour_batch(status: bytes, hours_after: int = 1) -> tuple[bytes, int]:
    """One poll per store ``hours_after`` hours after the newest poll (statuses drawn 90 %
    active)."""
    from storemon.inputs.status_reader import read_status

    polls = read_status(status, "store_status.csv")
    newest = int(polls.time_us.max())
    rng = np.random.default_rng(hours_after)
    lines = ["store_id,status,timestamp_utc"]
    for number, store_id in enumerate(polls.store_ids):  # building the bench's input only
        active = "active" if rng.random() < 0.9 else "inactive"
        at = newest + hours_after * 3_600_000_000 - number * 200_000
        stamp = np.datetime64(at, "us").astype(str).replace("T", " ")
        lines.append(f"{store_id},{active},{stamp} UTC")
    return ("\n".join(lines) + "\n").encode(), len(polls.store_ids)


def full_ingest(status: bytes, hours: bytes, zones: bytes) -> tuple[dict, dict]:
    from storemon.history.ingest import add_batch, new_manifest, set_inputs

    store: dict[str, bytes] = {}
    files = {"hours": ("menu_hours.csv", hours), "timezones": ("timezones.csv", zones)}
    update = set_inputs(new_manifest(), store.__getitem__, files)
    store.update(update.objects)
    update = add_batch(update.manifest, store.__getitem__, status, "store_status.csv", base=True)
    store.update(update.objects)
    return update.manifest, store


def ninety_days(manifest: dict, store: dict) -> tuple[dict, dict]:
    """The week's partitions copied 1..12 weeks back (their polls moved by as many weeks),
    then the carry made again: a 13-week history of the same stores."""
    from storemon.history import ingest, partition

    store = dict(store)
    manifest = {**manifest, "partitions": dict(manifest["partitions"]), "carry": None}
    for entry in list(manifest["partitions"].values()):
        part = partition.from_bytes(store[entry["key"]], entry["key"])
        for weeks in range(1, WEEKS_BACK + 1):
            moved = partition.Partition(
                part.store_id,
                part.poll_start,
                part.bucket_start,
                part.time_us - weeks * 7 * DAY_US,
                part.base,
                part.batch,
            )
            objects: dict[str, bytes] = {}
            ingest._store(manifest, objects, int(entry["day"]) - weeks * 7, moved)
            store.update(objects)
    update = ingest._settle(manifest, store.__getitem__, {})
    store.update(update.objects)
    return update.manifest, store


def measure(name: str, manifest: dict, store: dict, batch: bytes) -> dict:
    from storemon.history.answer import report_from_history
    from storemon.history.ingest import add_batch

    t_batch, update = best(lambda: add_batch(manifest, store.__getitem__, batch, "hour.csv"))
    after = {**store, **update.objects}
    t_report, result = best(
        lambda: report_from_history(update.manifest, after.__getitem__, incidents=True)
    )
    days = len(manifest["partitions"])
    polls = sum(int(e["polls"]) for e in manifest["partitions"].values())
    read = result.summary["history"]["read"]
    print(
        f"{name}: {days} days, {polls:,} polls; a one-hour batch {t_batch:.3f} s "
        f"({sum(len(v) for v in update.objects.values()) / 1e6:.1f} MB written); latest's "
        f"report from the history {t_report:.2f} s (read {read['partitions']} days + the "
        f"{read['carry']}, {read['bytes'] / 1e6:.0f} MB)",
        flush=True,
    )
    return {"batch": t_batch, "report": t_report}


def consecutive(manifest: dict, store: dict, status: bytes, hours: int = 6) -> None:
    """What a warm worker does hour after hour: each batch merged into the history, then
    latest's report of it (as the refresh asks: the incidents left for later), in one
    process, so what the process keeps from one batch to the next (docs/history.md) is
    reused; then the last report again with nothing kept (a cold process's)."""
    from storemon.history import answer, part_evidence, store_codes
    from storemon.history.ingest import add_batch
    from storemon.report import business_hours, timeline

    store = dict(store)
    merges, reports = [], []
    for hour in range(1, hours + 1):
        batch, _ = hour_batch(status, hour)
        started = time.perf_counter()
        update = add_batch(manifest, store.__getitem__, batch, f"hour-{hour}.csv")
        merges.append(time.perf_counter() - started)
        store.update(update.objects)
        manifest = update.manifest
        started = time.perf_counter()
        _latest_report(manifest, store)  # warm: what the earlier batches left is kept
        reports.append(time.perf_counter() - started)
    for kept in (answer._LAST_POLLS, timeline._LAST_SELECTED, business_hours._LAST_HOURS):
        kept.clear()
    answer._DECODED.clear()
    part_evidence.forget()
    store_codes.forget()
    cold, _ = best(lambda: _latest_report(manifest, store), repeat=1)
    warm = sorted(reports[1:])[len(reports[1:]) // 2]
    print(
        f"{hours} consecutive hourly batches in one process: merged "
        f"{' / '.join(f'{t * 1000:.0f}' for t in merges)} ms; latest's report "
        f"{' / '.join(f'{t * 1000:.0f}' for t in reports)} ms (median of batches 2-{hours}: "
        f"{warm * 1000:.0f} ms); the last one again with nothing kept: {cold * 1000:.0f} ms",
        flush=True,
    )


def _latest_report(manifest: dict, store: dict):
    """Latest's report as the refresh asks for it (warm or cold: whatever the process kept)."""
    from storemon.history.answer import report_and_polls

    return report_and_polls(manifest, store.__getitem__, incidents=True, incidents_later=True)


def main(argv: list[str] | None = None) -> int:
    import bench  # bench/bench.py: the cached data set
    from storemon.report.pipeline import report_from_csv_bytes

    paths = bench.prepare_dataset(parse_args(argv))
    status, hours, zones = (Path(paths[k]).read_bytes() for k in ("status", "hours", "timezones"))
    batch, batch_polls = hour_batch(status)
    print(f"\nthe poll history (docs/history.md): a one-hour batch of {batch_polls:,} polls")
    t_full, (manifest, store) = best(lambda: full_ingest(status, hours, zones))
    size = len(status) / 1e6
    print(f"full ingest of the 7-day history (its base file, {size:.0f} MB): {t_full:.2f} s")
    week = measure("7-day history", manifest, store, batch)
    consecutive(manifest, store, status)
    manifest90, store90 = ninety_days(manifest, store)
    quarter = measure("90-day history", manifest90, store90, batch)
    union = status + batch.split(b"\n", 1)[1]
    t_csv, _ = best(lambda: report_from_csv_bytes(union, hours, zones, incidents=True))
    ratio = week["batch"] / t_full
    verdict = "PASS" if ratio <= 0.05 else "FAIL"
    print(
        f"\nbatch / full ingest: {ratio:.3f} (goal <= 0.05: {verdict}); "
        f"90-day / 7-day batch: {quarter['batch'] / week['batch']:.2f} (goal <= 1: "
        f"{'PASS' if quarter['batch'] <= week['batch'] * 1.1 else 'FAIL'}, 10 % noise allowed); "
        f"latest's report: history {week['report']:.2f} s / {quarter['report']:.2f} s "
        f"(7 / 90 days), one CSV of every poll {t_csv:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
