"""`make bench`: issue 9's figures: the report's speed and memory against a bare pandas read of
the status file, the snapshot, the one-store route and the growth table.

1. Generates the full-scale synthetic data set once into ``.bench/data/`` (plain CSV) and
   reuses it while the parameters and the generator's source are unchanged (``stamp.json``).
2. Times ``storemon report`` against ``pandas.read_csv(store_status.csv, dtype=str)``:
   (a) as fresh subprocesses, and (b) in this process
   (``storemon.report.pipeline.report_from_csv_bytes`` on the files' bytes); best of
   ``--repeat`` runs each, the two commands alternating.
   Targets: report / baseline <= 1.2 in both, the report subprocess's peak RSS < 1 GB.
3. The snapshot: size, ingest time, full report (<= 1/10 of the CSV path in process and
   < 0.1 s) and one store (<= 1/100) from a fresh load of the file.
4. ``GET /stores/{id}/report`` against ``GET /store_summary`` (p50) on the warm local stack
   (<= 2x; reported as absent when this build has no such route).
5. Growth: 1x, 4x, 16x the stores, CSV and snapshot paths, time and peak RSS.
6. Periods (``bench/periods_bench.py``): ``--windows hour,day,week,month`` (<= 1.3x the default
   report) and 30 days day by day for every store (<= 2x), on the CSV and snapshot paths.

Each verdict is PASS or MISS; the machine's load average is printed at the start and the end
(timings on a shared machine are only comparable within one run). Exits non-zero only when
something fails (a command errors), never for a missed target.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
PACKAGE_ROOT = REPO / "layers" / "common"
DEV_ROOT = REPO / "dev"
DATA_DIR = REPO / ".bench" / "data"
STAMP_NAME = "stamp.json"
GENERATOR_SOURCE = DEV_ROOT / "storemon_dev" / "generate"  # its modules' bytes, in name order

RATIO_TARGET = 1.2
PEAK_RSS_TARGET_BYTES = 1e9
BASELINE_CODE = "import sys, pandas; pandas.read_csv(sys.argv[1], dtype=str)"

for _root in (DEV_ROOT, PACKAGE_ROOT):
    if str(_root) not in sys.path:
        sys.path.insert(0, str(_root))


import periods_bench  # noqa: E402  (bench/, beside this file)


class BenchError(Exception):
    """A step of the benchmark failed (not a missed target)."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stores", type=int, default=14_092, help="stores to generate")
    parser.add_argument("--days", type=int, default=7, help="days of polls to generate")
    parser.add_argument("--seed", type=int, default=0, help="generator seed")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (best of)")
    parser.add_argument(
        "--regenerate", action="store_true", help="generate the data even if cached"
    )
    parser.add_argument(
        "--no-stack", action="store_true", help="skip the local stack's route latencies"
    )
    parser.add_argument(
        "--growth-only", action="store_true", help="only the growth table (see --growth)"
    )
    parser.add_argument(
        "--growth",
        default="1,4,16",
        help="store multiples for the growth table (comma-separated; empty: skip)",
    )
    return parser.parse_args(argv)


# ------------------------------------------------------------------------------- the data
def generator_digest() -> str:
    digest = hashlib.sha256()
    for module in sorted(GENERATOR_SOURCE.glob("*.py")):
        digest.update(module.name.encode() + b"\0" + module.read_bytes())
    return digest.hexdigest()


def cached_dataset(parameters: dict) -> dict[str, pathlib.Path] | None:
    """The cached files if they were generated with these parameters and are intact."""
    stamp_path = DATA_DIR / STAMP_NAME
    try:
        stamp = json.loads(stamp_path.read_text())
    except (OSError, ValueError):
        return None
    if stamp.get("parameters") != parameters:
        return None
    paths = {}
    for kind, entry in stamp.get("files", {}).items():
        path = DATA_DIR / entry["name"]
        if not path.is_file() or path.stat().st_size != entry["bytes"]:
            return None
        paths[kind] = path
    return paths if set(paths) == {"status", "hours", "timezones"} else None


def prepare_dataset(args: argparse.Namespace) -> dict[str, pathlib.Path]:
    parameters = {
        "stores": args.stores,
        "days": args.days,
        "seed": args.seed,
        "generator_sha256": generator_digest(),
    }
    if not args.regenerate:
        paths = cached_dataset(parameters)
        if paths is not None:
            stamp = json.loads((DATA_DIR / STAMP_NAME).read_text())
            print(
                f"data: reusing {display(DATA_DIR)} "
                f"(generated in {stamp['generation_seconds']:.2f} s; --regenerate to redo)"
            )
            return paths

    from storemon_dev.generate.dataset import write_dataset

    (DATA_DIR / STAMP_NAME).unlink(missing_ok=True)
    started = time.perf_counter()
    paths = write_dataset(DATA_DIR, stores=args.stores, days=args.days, seed=args.seed)
    seconds = time.perf_counter() - started
    stamp = {
        "parameters": parameters,
        "generation_seconds": round(seconds, 3),
        "files": {
            kind: {"name": path.name, "bytes": path.stat().st_size} for kind, path in paths.items()
        },
    }
    (DATA_DIR / STAMP_NAME).write_text(json.dumps(stamp, indent=2) + "\n")
    print(f"data: generated {display(DATA_DIR)} in {seconds:.2f} s")
    return paths


def display(path: pathlib.Path) -> str:
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def describe_dataset(paths: dict[str, pathlib.Path]) -> None:
    for kind, path in paths.items():
        with path.open("rb") as handle:
            rows = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 24), b""))
        megabytes = path.stat().st_size / 1e6
        print(f"  {kind:<9} {path.name:<17} {megabytes:8.1f} MB {rows - 1:>10,} rows")


# ------------------------------------------------------------------------ the measurements
def child_environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(PACKAGE_ROOT), str(DEV_ROOT), env.get("PYTHONPATH", "")) if part
    )
    return env


# Linux keeps a process's peak RSS across fork and exec: a child forked from this (large)
# process would report at least this process's size. So a small launcher process starts each
# command and reports the command's own wall time and peak RSS (wait4) on its stdout.
LAUNCHER = (
    "import os, subprocess, sys, time\n"
    "started = time.perf_counter()\n"
    "child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "seconds = time.perf_counter() - started\n"
    "print(os.waitstatus_to_exitcode(status), seconds, usage.ru_maxrss * 1024)\n"
)


def run_child(command: list[str]) -> tuple[float, int]:
    """Run a command in a fresh process; its wall time (s) and its own peak RSS (bytes)."""
    with tempfile.TemporaryFile() as errors:
        launched = subprocess.run(
            [sys.executable, "-c", LAUNCHER, *command],
            stdout=subprocess.PIPE,
            stderr=errors,
            env=child_environment(),
            check=False,
        )
        fields = launched.stdout.decode().split()
        code = int(fields[0]) if len(fields) == 3 else launched.returncode or 1
        if code != 0:
            errors.seek(0)
            message = errors.read().decode(errors="replace").strip()
            raise BenchError(
                f"command failed with exit code {code}: {' '.join(command)}\n{message}"
            )
    return float(fields[1]), int(fields[2])


def measure_subprocess(
    paths: dict[str, pathlib.Path], repeat: int, out_path: pathlib.Path
) -> dict[str, list[tuple[float, int]]]:
    report_command = [
        sys.executable,
        "-m",
        "storemon_dev.cli",
        "report",
        "--status",
        str(paths["status"]),
        "--hours",
        str(paths["hours"]),
        "--timezones",
        str(paths["timezones"]),
        "--out",
        str(out_path),
    ]
    baseline_command = [sys.executable, "-c", BASELINE_CODE, str(paths["status"])]
    runs: dict[str, list[tuple[float, int]]] = {"baseline": [], "report": []}
    for _ in range(repeat):
        runs["baseline"].append(run_child(baseline_command))
        runs["report"].append(run_child(report_command))
    return runs


def measure_in_process(paths: dict[str, pathlib.Path], repeat: int) -> dict[str, list[float]]:
    import pandas as pd

    from storemon.report.pipeline import report_from_csv_bytes

    def baseline() -> None:
        pd.read_csv(paths["status"], dtype=str)

    def report() -> object:
        contents = [paths[kind].read_bytes() for kind in ("status", "hours", "timezones")]
        return report_from_csv_bytes(*contents)

    runs: dict[str, list[float]] = {"baseline": [], "report": []}
    for _ in range(repeat):
        for name, action in (("baseline", baseline), ("report", report)):
            started = time.perf_counter()
            action()
            runs[name].append(time.perf_counter() - started)
    return runs


# ---------------------------------------------------------------------------- the snapshot
SNAPSHOT_FULL_SHARE = 1 / 10  # snapshot -> full report, of the CSV path's in-process time
SNAPSHOT_ONE_SHARE = 1 / 100  # snapshot -> one store


def best(action, repeat: int) -> tuple[float, object]:
    """Best wall time of ``repeat`` calls, and the last call's value."""
    times, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = action()
        times.append(time.perf_counter() - started)
    return min(times), value


def measure_snapshot(
    paths: dict[str, pathlib.Path], repeat: int, scratch: pathlib.Path
) -> dict[str, object]:
    """Ingest (in process), then reports from the snapshot file: full, one store (a fresh
    load each time, and on an already loaded snapshot), an earlier as_of, and the CLI in a
    fresh process."""
    from storemon.snapshot.answer import report_from_snapshot
    from storemon.snapshot.build import snapshot_from_csv_bytes
    from storemon.snapshot.reader import load_snapshot

    contents = [paths[kind].read_bytes() for kind in ("status", "hours", "timezones")]
    snap_path = scratch / "inputs.snap"
    ingest_seconds, data = best(lambda: snapshot_from_csv_bytes(*contents), max(1, min(repeat, 3)))
    snap_path.write_bytes(data)  # type: ignore[arg-type]
    contents.clear()
    loaded = load_snapshot(snap_path)
    store_id = str(loaded.store_ids[len(loaded.store_ids) // 2])
    full, result = best(lambda: report_from_snapshot(load_snapshot(snap_path)), repeat)
    one, _ = best(
        lambda: report_from_snapshot(load_snapshot(snap_path), store_ids=[store_id]), repeat
    )
    one_warm, _ = best(lambda: report_from_snapshot(loaded, store_ids=[store_id]), repeat)
    as_of = _iso_day_before(loaded.now_us)
    full_as_of, _ = best(
        lambda: report_from_snapshot(load_snapshot(snap_path), as_of=as_of), repeat
    )
    command = [sys.executable, "-m", "storemon_dev.cli", "report", "--snapshot", str(snap_path)]
    command += ["--out", str(scratch / "snap.csv")]
    fresh = [run_child(command) for _ in range(repeat)]
    return {
        "bytes": len(data),  # type: ignore[arg-type]
        "ingest": ingest_seconds,
        "full": full,
        "one": one,
        "one_warm": one_warm,
        "full_as_of": full_as_of,
        "as_of": as_of,
        "fresh": min(seconds for seconds, _ in fresh),
        "fresh_rss": max(rss for _, rss in fresh),
        "rows": len(result.report),  # type: ignore[attr-defined]
        "csv": (scratch / "snap.csv").read_bytes(),
    }


def _iso_day_before(now_us: int) -> str:
    import datetime

    moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(
        microseconds=now_us - 86_400_000_000
    )
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def print_snapshot(snap: dict, in_process_report: float) -> None:
    full_share, one_share = snap["full"] / in_process_report, snap["one"] / in_process_report
    print()
    print("snapshot (`storemon ingest`; reports from it, same bytes as the CSV path):")
    print(
        f"  size {snap['bytes'] / 1e6:.1f} MB;"
        f" ingest (parse, validate, build) {snap['ingest']:.2f} s"
    )
    print(
        f"  snapshot -> full report, in process   {snap['full'] * 1000:8.1f} ms"
        f"  = 1/{1 / full_share:.0f} of the CSV path"
        f"  (<= 1/{1 / SNAPSHOT_FULL_SHARE:.0f}, < 100 ms)"
        f"   {verdict(full_share <= SNAPSHOT_FULL_SHARE and snap['full'] < 0.1)}"
    )
    print(
        f"  snapshot -> one store, in process     {snap['one'] * 1000:8.1f} ms"
        f"  = 1/{1 / one_share:.0f} of the CSV path"
        f"  (<= 1/{1 / SNAPSHOT_ONE_SHARE:.0f})   {verdict(one_share <= SNAPSHOT_ONE_SHARE)}"
    )
    print(f"  one store, snapshot already loaded    {snap['one_warm'] * 1000:8.1f} ms")
    print(f"  full report as of {snap['as_of'][:19]}  {snap['full_as_of'] * 1000:8.1f} ms")
    print(
        f"  fresh process `storemon report --snapshot` {snap['fresh']:.2f} s,"
        f" peak RSS {snap['fresh_rss'] / 1e6:.0f} MB"
    )
    print("  (times include loading and checking the snapshot file: sha256 of what is read)")


# ------------------------------------------------------------------------- the local stack
ROUTE_SAMPLES = 60


def _wait_for_latest(api: str, token: str, timeout: float) -> None:
    from storemon_dev.local.demo import _http

    deadline = time.monotonic() + timeout
    triggered = False
    while time.monotonic() < deadline:
        status, answer = _http("GET", f"{api}/get_report/latest", token=token)
        if status == 404 and not triggered:  # no refresh yet: a full report makes latest
            code, started = _http("POST", f"{api}/trigger_report", {}, token=token)
            if code not in (200, 202):
                raise BenchError(f"POST /trigger_report answered {code}: {started}")
            triggered = True
        if status == 200 and isinstance(answer, dict) and answer.get("status") == "Complete":
            return
        if status == 200 and isinstance(answer, dict) and answer.get("status") == "Failed":
            raise BenchError(f"the local stack's refresh failed: {answer.get('error')}")
        time.sleep(0.5)
    raise BenchError(f"no finished refresh on the local stack after {timeout:.0f} s")


class RouteAbsent(Exception):
    """The local stack has no such route (this build predates it)."""


def _latency(api: str, token: str, path: str) -> float:
    from storemon_dev.local.demo import _http

    started = time.perf_counter()
    status, answer = _http("GET", f"{api}{path}", token=token)
    seconds = time.perf_counter() - started
    if status == 404 and path.startswith("/stores/"):
        # a store of the data set: 404 means the gateway does not know the route
        raise RouteAbsent(f"GET {path} answered 404: {answer}")
    if status != 200:
        raise BenchError(f"GET {path} answered {status}: {answer}")
    return seconds


def measure_route(data_dir: pathlib.Path, store_ids: list[str]) -> dict[str, float]:
    """p50 latency of GET /store_summary and GET /stores/{id}/report on the warm local
    stack (``storemon serve`` seeded with the data set), the two alternating; without the
    route (404 for a store of the data set) only the first, and ``absent`` says why."""
    from storemon_dev.local.demo import ServeProcess

    times: dict[str, list[float]] = {"summary": [], "route": []}
    absent = ""
    with tempfile.TemporaryDirectory(prefix="storemon-serve-") as scratch:
        server = ServeProcess(data_dir, pathlib.Path(scratch) / "serve.log")
        try:
            info = server.wait_ready(timeout=600)
            api, token = info["API"], info["TOKEN"]
            _wait_for_latest(api, token, timeout=900)
            for number in range(ROUTE_SAMPLES + 5):
                store_id = store_ids[number % len(store_ids)]
                summary = _latency(api, token, f"/store_summary?store_id={store_id}")
                try:
                    route = _latency(api, token, f"/stores/{store_id}/report")
                except RouteAbsent as exc:
                    absent, route = str(exc), float("nan")
                if number >= 5:  # the first calls warm the containers and caches
                    times["summary"].append(summary)
                    times["route"].append(route)
        except BenchError:
            print(server.tail(), file=sys.stderr)
            raise
        finally:
            server.stop()
    latency = {name: sorted(values)[len(values) // 2] for name, values in times.items()}
    return {**latency, "absent": absent}  # type: ignore[dict-item]


def print_route(latency: dict) -> None:
    print()
    print(f"warm local stack, p50 of {ROUTE_SAMPLES} requests each (alternating):")
    print(f"  GET /store_summary            {latency['summary'] * 1000:7.1f} ms")
    if latency["absent"]:
        print(f"  GET /stores/{{id}}/report       ABSENT on this build ({latency['absent']})")
        return
    ratio = latency["route"] / latency["summary"]
    print(
        f"  GET /stores/{{id}}/report       {latency['route'] * 1000:7.1f} ms"
        f"  = {ratio:.2f}x (<= 2x)   {verdict(ratio <= 2)}"
    )


# ------------------------------------------------------------------------------ growth
GROWTH_DIR = REPO / ".bench" / "growth"
WORKER_MEMORY_BYTES = 10 * 1024**3  # the largest Lambda worker


def growth_dataset(factor: int, args: argparse.Namespace) -> dict[str, pathlib.Path]:
    """``factor`` full-scale data sets of the generator (seeds seed .. seed+factor-1: distinct
    random store ids) concatenated: ``factor`` times the stores, the same shape of data."""
    from storemon_dev.generate.dataset import generate_csv_bytes

    directory = GROWTH_DIR / f"x{factor}"
    parameters = {
        "factor": factor,
        "stores": args.stores,
        "days": args.days,
        "seed": args.seed,
        "generator_sha256": generator_digest(),
    }
    names = {"status": "store_status.csv", "hours": "menu_hours.csv", "timezones": "timezones.csv"}
    paths = {kind: directory / name for kind, name in names.items()}
    stamp = directory / STAMP_NAME
    if stamp.is_file() and json.loads(stamp.read_text()) == parameters:
        return paths
    directory.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    handles = {kind: path.open("wb") for kind, path in paths.items()}
    try:
        for part in range(factor):
            files = generate_csv_bytes(stores=args.stores, days=args.days, seed=args.seed + part)
            for kind, data in files.items():
                handles[kind].write(data if part == 0 else data[data.index(b"\n") + 1 :])
    finally:
        for handle in handles.values():
            handle.close()
    stamp.write_text(json.dumps(parameters))
    return paths


def cli_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "storemon_dev.cli", *arguments]


# the growth files pass the default input limits (sized to a 2048 MB worker) on purpose
NO_SIZE_LIMITS = ["--max-input-bytes", str(10**12), "--max-text-bytes", str(10**12)]


def inputs_arguments(paths: dict[str, pathlib.Path]) -> list[str]:
    return [
        "--status",
        str(paths["status"]),
        "--hours",
        str(paths["hours"]),
        "--timezones",
        str(paths["timezones"]),
        *NO_SIZE_LIMITS,
    ]


def measure_growth(
    factors: list[int], args: argparse.Namespace, scratch: pathlib.Path
) -> list[dict[str, float]]:
    """Per factor, in fresh processes (best of ``min(repeat, 2)``): the CSV report, the
    ingest and the report from the snapshot, each with its peak RSS; and the snapshot
    report's own duration_seconds (reading the snapshot through the finished report)."""
    rows = []
    runs = max(1, min(args.repeat, 2))
    for factor in factors:
        print(f"measuring: growth x{factor} ...", flush=True)
        paths = growth_dataset(factor, args)
        snap, summary = scratch / f"x{factor}.snap", scratch / f"x{factor}.json"
        csv_runs = [
            run_child(
                cli_command("report", *inputs_arguments(paths), "--out", str(scratch / "g.csv"))
            )
            for _ in range(runs)
        ]
        ingest_runs = [
            run_child(cli_command("ingest", *inputs_arguments(paths), "--out", str(snap)))
            for _ in range(runs)
        ]
        snap_command = cli_command(
            "report", "--snapshot", str(snap), "--out", str(scratch / "s.csv")
        )
        snap_runs, durations = [], []
        for _ in range(runs):
            snap_runs.append(run_child([*snap_command, "--summary", str(summary)]))
            durations.append(json.loads(summary.read_text())["duration_seconds"])
        with paths["status"].open("rb") as handle:
            polls = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 24), b"")) - 1
        rows.append(
            {
                "factor": factor,
                "stores": factor * args.stores,
                "polls": polls,
                "csv_mb": paths["status"].stat().st_size / 1e6,
                "csv_s": min(t for t, _ in csv_runs),
                "csv_rss": max(r for _, r in csv_runs),
                "ingest_s": min(t for t, _ in ingest_runs),
                "ingest_rss": max(r for _, r in ingest_runs),
                "snap_mb": snap.stat().st_size / 1e6,
                "snap_s": min(t for t, _ in snap_runs),
                "snap_inner_s": min(durations),
                "snap_rss": max(r for _, r in snap_runs),
            }
        )
    return rows


def print_growth(rows: list[dict[str, float]]) -> None:
    print()
    print("growth (fresh processes; time s / peak RSS MB):")
    header = (
        f"{'x':>3} {'stores':>9} {'polls':>11} {'CSV MB':>7} | {'CSV report':>15} |"
        f" {'ingest':>15} | {'snap MB':>7} {'snapshot report':>16} {'in-report':>9}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['factor']:>3} {row['stores']:>9,} {row['polls']:>11,} {row['csv_mb']:>7.0f} |"
            f" {row['csv_s']:>6.2f} s {row['csv_rss'] / 1e6:>5.0f} MB |"
            f" {row['ingest_s']:>6.2f} s {row['ingest_rss'] / 1e6:>5.0f} MB |"
            f" {row['snap_mb']:>7.1f} {row['snap_s']:>6.2f} s {row['snap_rss'] / 1e6:>5.0f} MB"
            f" {row['snap_inner_s']:>8.3f}s"
        )
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        for name in ("csv", "ingest"):
            per_poll = (last[f"{name}_rss"] - first[f"{name}_rss"]) / (
                last["polls"] - first["polls"]
            )
            fixed = first[f"{name}_rss"] - per_poll * first["polls"]
            largest = (WORKER_MEMORY_BYTES - fixed) / per_poll
            stores = largest / (first["polls"] / first["stores"])
            print(
                f"  {name} peak RSS ~ {fixed / 1e6:.0f} MB + {per_poll:.0f} B/poll:"
                f" a 10 GB worker holds ~{largest / 1e6:.0f} M polls (~{stores / 1e3:.0f} k stores,"
                f" ~{largest * first['csv_mb'] / first['polls'] / 1e3:.1f} GB of status CSV)"
            )


# ------------------------------------------------------------------------------ the table
def verdict(passed: bool) -> str:
    return "PASS" if passed else "MISS"


def print_results(
    subprocess_runs: dict[str, list[tuple[float, int]]],
    in_process_runs: dict[str, list[float]],
    report_rows: int,
    stores: int,
) -> None:
    rows = []
    for mode, baseline_times, report_times in (
        (
            "subprocess",
            [seconds for seconds, _ in subprocess_runs["baseline"]],
            [seconds for seconds, _ in subprocess_runs["report"]],
        ),
        ("in-process", in_process_runs["baseline"], in_process_runs["report"]),
    ):
        ratio = min(report_times) / min(baseline_times)
        rows.append((mode, min(baseline_times), min(report_times), ratio))

    print()
    print("best of the runs (seconds); baseline = pandas.read_csv(store_status.csv, dtype=str)")
    header = f"{'mode':<11} {'baseline s':>10} {'report s':>9} {'ratio':>6}  target   result"
    print(header)
    print("-" * len(header))
    for mode, baseline_seconds, report_seconds, ratio in rows:
        print(
            f"{mode:<11} {baseline_seconds:>10.2f} {report_seconds:>9.2f} {ratio:>6.2f}"
            f"  <= {RATIO_TARGET:.1f}   {verdict(ratio <= RATIO_TARGET)}"
        )
    peak_rss = max(rss for _, rss in subprocess_runs["report"])
    baseline_rss = max(rss for _, rss in subprocess_runs["baseline"])
    print(
        f"{'peak RSS':<11} {baseline_rss / 1e6:>8.0f}MB {peak_rss / 1e6:>7.0f}MB"
        f" {peak_rss / baseline_rss:>6.2f}  < {PEAK_RSS_TARGET_BYTES / 1e9:.0f} GB  "
        f"   {verdict(peak_rss < PEAK_RSS_TARGET_BYTES)}"
        "  (report subprocess; baseline shown for scale)"
    )
    print()
    print("all runs (seconds):")
    for name in ("baseline", "report"):
        subprocess_times = " ".join(f"{seconds:.2f}" for seconds, _ in subprocess_runs[name])
        in_process_times = " ".join(f"{seconds:.2f}" for seconds in in_process_runs[name])
        print(f"  subprocess {name:<8}: {subprocess_times}")
        print(f"  in-process {name:<8}: {in_process_times}")
    print(
        "  (in-process report = read the three files' bytes + "
        "storemon.report.pipeline.report_from_csv_bytes; "
        "subprocess report = `python -m storemon_dev.cli report ... --out FILE`)"
    )
    print(f"report rows: {report_rows:,} (stores generated: {stores:,})")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.stores < 1 or args.days < 1 or args.repeat < 1:
        print("bench: --stores, --days and --repeat must be at least 1", file=sys.stderr)
        return 2
    print(
        f"storemon bench: {args.stores:,} stores, {args.days} days, seed {args.seed}, "
        f"best of {args.repeat}; {load_average()}"
    )
    if args.growth_only:
        return run_growth(args)
    try:
        paths = prepare_dataset(args)
        describe_dataset(paths)
        try:
            import storemon.report.pipeline  # noqa: F401
        except ImportError as exc:
            raise BenchError(f"storemon.report.pipeline is not importable: {exc}") from None
        with tempfile.TemporaryDirectory(prefix="storemon-bench-") as scratch:
            out_path = pathlib.Path(scratch) / "report.csv"
            print("measuring: subprocesses ...", flush=True)
            subprocess_runs = measure_subprocess(paths, args.repeat, out_path)
            with out_path.open("rb") as handle:
                report_rows = sum(1 for _ in handle) - 1
            print("measuring: in process ...", flush=True)
            in_process_runs = measure_in_process(paths, args.repeat)
            print("measuring: the snapshot ...", flush=True)
            snap = measure_snapshot(paths, args.repeat, pathlib.Path(scratch))
            if snap["csv"] != out_path.read_bytes():
                raise BenchError("the snapshot's report differs from the CSV path's")
            print("measuring: periods (windows with the month, 30 days day by day) ...", flush=True)
            periods = periods_bench.measure_periods(paths, args.repeat, pathlib.Path(scratch))
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    print_results(subprocess_runs, in_process_runs, report_rows, args.stores)
    print_snapshot(snap, min(in_process_runs["report"]))
    periods_bench.print_periods(periods)
    if not args.no_stack:
        print("measuring: the local stack ...", flush=True)
        try:
            ids = [line.split(",", 1)[0] for line in snap["csv"].decode().splitlines()[1:51]]
            print_route(measure_route(DATA_DIR, ids))
        except BenchError as exc:
            print(f"bench: error: {exc}", file=sys.stderr)
            return 1
    return run_growth(args)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def run_growth(args: argparse.Namespace) -> int:
    factors = [int(f) for f in args.growth.split(",") if f.strip()]
    if factors:
        with tempfile.TemporaryDirectory(prefix="storemon-growth-") as scratch:
            try:
                rows = measure_growth(factors, args, pathlib.Path(scratch))
            except BenchError as exc:
                print(f"bench: error: {exc}", file=sys.stderr)
                return 1
        print_growth(rows)
    print(f"end of bench: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
