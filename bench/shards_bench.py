"""Store shards' growth (issue 18): 1x, 4x and 16x the full-scale stores (generated), each
report computed as the service computes a sharded one, every step in a fresh process.

1. the coordinator: the three CSV files read and parsed, the plan, each shard's input
   written (``storemon.history.shard_work``: ``plan_shards``, ``split_inputs``);
2. the shards, as concurrent processes (``--workers``, default the machine's cores: Lambda
   would run them all at once): each reads its input only, computes, writes its output;
3. the assembler: the plan and the outputs read, the one report assembled, its CSV written.

Printed per scale: polls, shards, each step's wall time and peak RSS, the bytes each step
reads, the wall time with the shards concurrent on this machine, and the wall time with
every shard at once (coordinator + slowest shard + assembler: Lambda's, given enough
concurrency); then a 64x projection from the measured costs (assumptions printed). At 1x
the assembled CSV is checked against one worker's.

Then a report from a poll history (``--history-scale``, default 1; 0: none): the scale's
status file ingested once as a history's base (cached), a full report in shards: the
coordinator from the manifest (``storemon.history.shard_history.plan_history``), each shard
reading its buckets' slices of the partitions by file range reads, the assembler as above;
printed: the bytes each reads (range reads and whole input files), seconds, peak RSS, and
the assembled CSV checked against one worker's report from the history.

A scale of k is k generated blocks of 14,092 stores (seeds 0..k-1, random 19-digit ids),
a week of polls each, concatenated; cached under ``--data`` (about 95 MB a block).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

FULL_SCALE = 14_092
NAMES = ("status", "hours", "timezones")
SHARD_POLLS = 1_000_000
GIB = 1 << 30


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="1,4,16")
    parser.add_argument("--shard-polls", type=int, default=SHARD_POLLS)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--history-scale", type=int, default=1, help="0: no history row")
    parser.add_argument("--data", default=str(Path(tempfile.gettempdir()) / "storemon-shards"))
    parser.add_argument("--step", help=argparse.SUPPRESS)  # a child process: one step
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# ----------------------------------------------------------------------------- the data
def dataset(data: Path, scale: int) -> dict[str, Path]:
    """The files of `scale` blocks of the full-scale stores (made once, then cached)."""
    folder = data / f"x{scale}"
    paths = {name: folder / f"{name}.csv" for name in NAMES}
    if all(p.exists() for p in paths.values()):
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    for block in range(scale):
        _run_step("block", str(folder), str(block))
    for name in NAMES:
        with paths[name].open("wb") as out:
            for block in range(scale):
                part = folder / f"{name}.{block}"
                with part.open("rb") as f:
                    if block:
                        f.readline()  # the header once
                    out.write(f.read())
                part.unlink()
    return paths


def step_block(folder: str, block: str) -> dict:
    from storemon_dev.generate.dataset import generate_csv_bytes

    files = generate_csv_bytes(stores=FULL_SCALE, days=7, seed=int(block))
    for name in NAMES:
        Path(folder, f"{name}.{block}").write_bytes(files[name])
    return {}


# ----------------------------------------------------------------------------- the steps
def _wide_limits():
    """The input limits raised past 16x's status file (1.7 GB; the template's MaxInputBytes
    and MaxTextBytes default to 256 MiB: a wider fleet's operator raises them)."""
    from storemon.inputs.limits import Limits

    return Limits(max_input_bytes=4 * GIB, max_text_bytes=4 * GIB)


def step_coordinator(folder: str, shard_polls: str, out: str) -> dict:
    from storemon.history.shard_work import plan_shards, split_inputs, to_bytes
    from storemon.history.shards import shard_count
    from storemon.inputs.parse import parse_input_files

    files = [Path(folder, f"{name}.csv").read_bytes() for name in NAMES]
    read = sum(len(f) for f in files)
    parsed = (*parse_input_files(*files, limits=_wide_limits()), None)
    del files
    polls = len(parsed[0].time_us)
    plan = plan_shards(
        parsed, shard_count(polls, int(shard_polls)), incidents=True, page=True, status=True
    )
    Path(out, "plan.bin").write_bytes(to_bytes(plan))
    written = []
    for given in split_inputs(parsed, plan):
        data = to_bytes(given)
        Path(out, f"input-{given.shard:03d}.bin").write_bytes(data)
        written.append(len(data))
    return {"polls": polls, "shards": plan.total, "read": read, "written": written}


def step_shard(out: str, shard: str) -> dict:
    from storemon.history.shard_work import ShardInput, compute_shard, from_bytes, to_bytes

    data = Path(out, f"input-{int(shard):03d}.bin").read_bytes()
    given = from_bytes(data, ShardInput)
    assert isinstance(given, ShardInput)
    polls = len(given.polls.time_us)
    output = to_bytes(compute_shard(given))
    Path(out, f"output-{int(shard):03d}.bin").write_bytes(output)
    return {"read": len(data), "polls": polls, "written": len(output)}


def step_assembler(out: str, total: str) -> dict:
    from storemon.history.shard_work import ShardOutput, ShardPlan, assemble_outputs, from_bytes
    from storemon.report.result import report_to_csv

    read = 0

    def load(name: str, kind: type):
        nonlocal read
        data = Path(out, name).read_bytes()
        read += len(data)
        return from_bytes(data, kind)

    plan = load("plan.bin", ShardPlan)
    outputs = [load(f"output-{k:03d}.bin", ShardOutput) for k in range(int(total))]
    result, _status, _periods = assemble_outputs(outputs, plan)  # type: ignore[arg-type]
    Path(out, "report.csv").write_text(report_to_csv(result.report))
    return {"read": read, "stores": len(result.report)}


def step_one_worker(folder: str, out: str) -> dict:
    from storemon.report.pipeline import report_from_csv_bytes
    from storemon.report.result import report_to_csv

    files = [Path(folder, f"{name}.csv").read_bytes() for name in NAMES]
    Path(out, "one-worker.csv").write_text(report_to_csv(report_from_csv_bytes(*files).report))
    return {}


# ------------------------------------------------------------- a report from a poll history
def step_history_ingest(folder: str, into: str) -> dict:
    from storemon_dev.cli import main as storemon

    names = {name: str(Path(folder, f"{name}.csv")) for name in NAMES}
    code = storemon(
        ["ingest", "--into", into, "--status", names["status"], "--base"]
        + [f"--hours={names['hours']}", f"--timezones={names['timezones']}"]
    )
    assert code == 0, code
    return {}


def _history(into: str):
    """The history's manifest and a ``load`` counting the bytes it reads."""
    manifest = json.loads(Path(into, "manifest.json").read_text())
    read = [0]

    def load(key: str) -> bytes:
        data = Path(into, key).read_bytes()
        read[0] += len(data)
        return data

    return manifest, load, read


def step_history_coordinator(into: str, shard_polls: str, out: str) -> dict:
    from storemon.history.shard_history import plan_history
    from storemon.history.shard_work import to_bytes

    manifest, load, read = _history(into)
    planned = plan_history(manifest, load, int(shard_polls), incidents=True, page=True, status=True)
    assert planned is not None, "not sharded: fewer polls than --shard-polls"
    Path(out, "plan.bin").write_bytes(to_bytes(planned.plan))
    written = []
    for given in planned.shard_inputs():
        data = to_bytes(given)
        Path(out, f"input-{given.shard:03d}.bin").write_bytes(data)
        written.append(len(data))
    polls, shards, objects = planned.main.polls, planned.plan.total, planned.main.read["bytes"]
    return {
        "polls": polls,
        "shards": shards,
        "read": read[0],
        "objects": objects,
        "written": written,
    }


def step_history_shard(into: str, out: str, shard: str) -> dict:
    from storemon.history.shard_history import HistoryShardInput, compute_history_shard
    from storemon.history.shard_work import from_bytes, to_bytes

    given = from_bytes(Path(out, f"input-{int(shard):03d}.bin").read_bytes(), HistoryShardInput)
    assert isinstance(given, HistoryShardInput)
    _, load, whole = _history(into)
    ranged = [0]

    def read_range(key: str, offset: int, size: int) -> bytes:
        with Path(into, key).open("rb") as f:
            f.seek(offset)
            data = f.read(size)
        ranged[0] += len(data)
        return data

    output = compute_history_shard(given, load, read_range)
    data = to_bytes(output)
    Path(out, f"output-{int(shard):03d}.bin").write_bytes(data)
    return {"read": ranged[0], "read_inputs": whole[0], "written": len(data)}


def step_history_one_worker(into: str, out: str) -> dict:
    from storemon.history.answer import report_from_history
    from storemon.report.result import report_to_csv

    manifest, load, read = _history(into)
    result = report_from_history(manifest, load, incidents=True, name="history")
    Path(out, "one-worker.csv").write_text(report_to_csv(result.report))
    return {"read": read[0]}


def measure_history(data: Path, scale: int, shard_polls: int, workers: int) -> dict:
    """A full report (incidents, page, status) of a history of the scale's polls in shards:
    the coordinator from the manifest, each shard by range reads of its buckets' slices."""
    folder = dataset(data, scale)["status"].parent
    into = folder / "history"
    if not (into / "manifest.json").exists():
        _run_step("history_ingest", str(folder), str(into))
    with tempfile.TemporaryDirectory(prefix="history-shards-", dir=data) as out:
        started = time.perf_counter()
        coordinator = _run_step("history_coordinator", str(into), str(shard_polls), out)
        total = coordinator["shards"]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            run = lambda k: _run_step("history_shard", str(into), out, str(k))  # noqa: E731
            shards = list(pool.map(run, range(total)))
        assembler = _run_step("assembler", out, str(total))
        wall = time.perf_counter() - started
        one = _run_step("history_one_worker", str(into), out)
        same = Path(out, "report.csv").read_bytes() == Path(out, "one-worker.csv").read_bytes()
    return {
        "scale": scale,
        "coordinator": coordinator,
        "shards": shards,
        "wall": wall,
        "assembler": assembler,
        "one_worker": one,
        "same_as_one_worker": same,
    }


def print_history(row: dict) -> None:
    c, s, a = row["coordinator"], row["shards"], row["assembler"]
    print(
        f"\nfrom a poll history ({row['scale']}x, {c['polls']:,} polls in the report's objects, "
        f"{c['objects'] / 1e6:.1f} MB; one worker reads {row['one_worker']['read'] / 1e6:.1f} MB "
        f"in {row['one_worker']['seconds']:.1f} s, {row['one_worker']['rss_mb']:.0f} MB peak)"
    )
    print(
        "| shards | coordinator s / MB / read MB | shard range-read MB (max, min) | "
        "shard input files MB | shard s (max) | shard peak RSS MB (max) | "
        "assembler s / MB | wall (this machine) |"
    )
    print("|---:|---|---|---:|---:|---:|---|---:|")
    print(
        f"| {c['shards']} | {c['seconds']:.1f} / {c['rss_mb']:.0f} / {c['read'] / 1e6:.1f} | "
        f"{max(x['read'] for x in s) / 1e6:.2f}, {min(x['read'] for x in s) / 1e6:.2f} | "
        f"{max(x['read_inputs'] for x in s) / 1e6:.1f} | {max(x['seconds'] for x in s):.2f} | "
        f"{max(x['rss_mb'] for x in s):.0f} | {a['seconds']:.1f} / {a['rss_mb']:.0f} | "
        f"{row['wall']:.1f} s |"
    )
    print(f"assembled CSV equals one worker's from the history: {row['same_as_one_worker']}")


STEPS = {
    "history_ingest": step_history_ingest,
    "history_coordinator": step_history_coordinator,
    "history_shard": step_history_shard,
    "history_one_worker": step_history_one_worker,
    "block": step_block,
    "coordinator": step_coordinator,
    "shard": step_shard,
    "assembler": step_assembler,
    "one_worker": step_one_worker,
}


def _child(step: str, args: list[str]) -> None:
    started = time.perf_counter()
    answer = STEPS[step](*args)
    answer["seconds"] = time.perf_counter() - started
    answer["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(answer))


def _run_step(step: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--step", step, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"{step} {args}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- one scale
def measure(data: Path, scale: int, shard_polls: int, workers: int) -> dict:
    folder = dataset(data, scale)["status"].parent
    with tempfile.TemporaryDirectory(prefix="shards-", dir=data) as out:
        started = time.perf_counter()
        coordinator = _run_step("coordinator", str(folder), str(shard_polls), out)
        total = coordinator["shards"]
        shards_started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            shards = list(pool.map(lambda k: _run_step("shard", out, str(k)), range(total)))
        shards_wall = time.perf_counter() - shards_started
        assembler = _run_step("assembler", out, str(total))
        wall = time.perf_counter() - started
        same = None
        if scale == 1:
            _run_step("one_worker", str(folder), out)
            same = Path(out, "report.csv").read_bytes() == Path(out, "one-worker.csv").read_bytes()
    return {
        "scale": scale,
        "stores": FULL_SCALE * scale,
        "coordinator": coordinator,
        "shards": shards,
        "shards_wall": shards_wall,
        "assembler": assembler,
        "wall": wall,
        "all_at_once": coordinator["seconds"]
        + max(s["seconds"] for s in shards)
        + assembler["seconds"],
        "same_as_one_worker": same,
    }


def print_table(rows: list[dict], workers: int, shard_polls: int) -> None:
    print(f"store shards: {shard_polls:,} polls per shard, {workers} concurrent shard processes")
    print(
        "| stores | polls | shards | wall (this machine) | wall, all shards at once | "
        "coordinator s / MB / read MB | shard s (max) | shard peak RSS MB (max) | "
        "shard read MB (max) | assembler s / MB / read MB |"
    )
    print("|---:|---:|---:|---:|---:|---|---:|---:|---:|---|")
    for row in rows:
        c, a, s = row["coordinator"], row["assembler"], row["shards"]
        print(
            f"| {row['stores']:,} | {c['polls']:,} | {c['shards']} | {row['wall']:.1f} s | "
            f"{row['all_at_once']:.1f} s | {c['seconds']:.1f} / {c['rss_mb']:.0f} / "
            f"{c['read'] / 1e6:.0f} | {max(x['seconds'] for x in s):.2f} | "
            f"{max(x['rss_mb'] for x in s):.0f} | {max(x['read'] for x in s) / 1e6:.1f} | "
            f"{a['seconds']:.1f} / {a['rss_mb']:.0f} / {a['read'] / 1e6:.1f} |"
        )
    for row in rows:
        if row["same_as_one_worker"] is not None:
            print(
                f"{row['scale']}x: assembled CSV equals one worker's: {row['same_as_one_worker']}"
            )


def projection(rows: list[dict], scale: int = 64) -> None:
    """64x from the two largest measured scales: each cost as a line through them (a fixed
    part, the imports and the runtime, plus a part per block of stores), a shard's as
    measured (its polls do not grow), the shards' count in proportion."""
    last = rows[-1]
    first = rows[-2] if len(rows) > 1 else {**last, "scale": 0, **_zero_costs()}
    k = scale / last["scale"]
    shard_s = max(x["seconds"] for x in last["shards"])
    shards = round(last["coordinator"]["shards"] * k)
    coord_s, coord_mb = (_line(first, last, "coordinator", m, scale) for m in ("seconds", "rss_mb"))
    asm_s, asm_mb = (_line(first, last, "assembler", m, scale) for m in ("seconds", "rss_mb"))
    print(
        f"\n{scale}x projection ({FULL_SCALE * scale:,} stores, "
        f"{last['coordinator']['polls'] * k:,.0f} polls, {shards} shards), a line through "
        f"{first['scale']}x and {last['scale']}x:"
    )
    print(
        f"- each shard as measured at {last['scale']}x ({shard_s:.2f} s, "
        f"{max(x['rss_mb'] for x in last['shards']):.0f} MB, "
        f"{max(x['read'] for x in last['shards']) / 1e6:.1f} MB read): its polls do not grow"
    )
    print(f"- coordinator (linear in polls): {coord_s:.0f} s, {coord_mb:.0f} MB peak")
    print(f"- assembler (linear in stores): {asm_s:.0f} s, {asm_mb:.0f} MB peak")
    waves = -(-shards // 5)
    print(
        f"- wall with every shard at once (Lambda, enough concurrency): "
        f"{coord_s + shard_s + asm_s:.0f} s; 5 at once (the template's MaximumConcurrency, "
        f"{waves} waves): {coord_s + shard_s * waves + asm_s:.0f} s"
    )


def _zero_costs() -> dict:
    zero = {"seconds": 0.0, "rss_mb": 0.0}
    return {"coordinator": zero, "assembler": zero}


def _line(first: dict, last: dict, step: str, measure: str, scale: int) -> float:
    """The cost of `step` at `scale` on the line through two measured scales."""
    a, b = first[step][measure], last[step][measure]
    per_block = (b - a) / (last["scale"] - first["scale"])
    return b + per_block * (scale - last["scale"])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.step:
        _child(args.step, args.args)
        return 0
    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    scales = [int(x) for x in args.scales.split(",")]
    rows = [measure(data, scale, args.shard_polls, args.workers) for scale in scales if scale]
    if rows:
        print_table(rows, args.workers, args.shard_polls)
        projection(rows)
    if args.history_scale:
        print_history(measure_history(data, args.history_scale, args.shard_polls, args.workers))
    if rows:
        Path(data, "results.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
