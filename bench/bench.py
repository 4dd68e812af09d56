"""`make bench`: the report's speed and memory against a bare pandas read of the status file
and against DuckDB, the cold starts, the snapshot, the one-store route and the growth table.

1. Generates the full-scale synthetic data set once into ``.bench/data/`` (plain CSV) and
   reuses it while the parameters and the generator's source are unchanged (``stamp.json``).
   Compiles this checkout's packages to bytecode first, as an installed package has it (pip
   compiles at install; an editable install under ``PYTHONDONTWRITEBYTECODE`` would compile
   storemon again in every fresh process).
2. Times ``storemon report`` against ``pandas.read_csv(store_status.csv, dtype=str)`` and
   against the same report as one DuckDB SQL query on two threads (``bench/duckdb_report.py``,
   whose CSV is compared with storemon's cell by cell): (a) as fresh subprocesses, the three
   alternating, and (b) in this process (``storemon.report.pipeline.report_from_csv_bytes``
   on the files' bytes against ``pandas.read_csv``); best of ``--repeat`` runs each.
   Targets (issue 18): in fresh processes, report / DuckDB <= 0.8 and report / read_csv
   <= 1.0; in process, report / read_csv <= 1.2; the report subprocess's peak RSS < 1 GB.
3. Cold starts (``bench/coldstart.py``): each handler imported in a fresh interpreter from the
   layer as ``sam build`` makes it, against the floor every such handler pays.
4. The snapshot: size, ingest time, full report (<= 1/10 of the CSV path in process and
   < 0.1 s) and one store (<= 1/100) from a fresh load of the file.
5. ``GET /stores/{id}/report`` and ``GET /stores/{id}/days`` (the last 30 days) against
   ``GET /store_summary`` (p50) on the warm local stack
   (<= 2x; reported as absent when this build has no such route).
6. Growth: 1x, 4x, 16x the stores, CSV and snapshot paths, time and peak RSS.
7. Periods (``bench/periods_bench.py``): ``--windows hour,day,week,month`` (<= 1.3x the default
   report) and 30 days day by day for every store (<= 2x), on the CSV and snapshot paths.

``--csv-only`` stops after 2 and 3 (``--no-coldstart``, ``--no-duckdb`` leave those out).

Each verdict is PASS or MISS; the machine's load average is printed at the start and the end
(timings on a shared machine are only comparable within one run). Exits non-zero only when
something fails (a command errors), never for a missed target.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
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

RATIO_TARGET = 1.2  # in process, report / read_csv
SUBPROCESS_RATIO_TARGET = 1.0  # fresh processes, report / read_csv
DUCKDB_RATIO_TARGET = 0.8  # fresh processes, report / DuckDB
PEAK_RSS_TARGET_BYTES = 1e9
BASELINE_CODE = "import sys, pandas; pandas.read_csv(sys.argv[1], dtype=str)"
DUCKDB_SCRIPT = REPO / "bench" / "duckdb_report.py"
DUCKDB_THREADS = 2

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
        "--csv-only",
        action="store_true",
        help="only the CSV path (read_csv, DuckDB, in process) and the cold starts",
    )
    parser.add_argument("--no-duckdb", action="store_true", help="skip the DuckDB query")
    parser.add_argument("--no-coldstart", action="store_true", help="skip the cold starts")
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


def compile_checkout() -> None:
    """Bytecode for this checkout's packages, as an installed package has it."""
    import compileall

    for root in (PACKAGE_ROOT / "storemon", DEV_ROOT / "storemon_dev"):
        if not compileall.compile_dir(str(root), quiet=1):
            raise BenchError(f"cannot compile {root}")


def duckdb_available() -> str | None:
    """Why the DuckDB comparison cannot run here (None: it can)."""
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return "duckdb is not installed (a dev dependency: make install)"
    return None


def measure_subprocess(
    paths: dict[str, pathlib.Path],
    repeat: int,
    out_path: pathlib.Path,
    duckdb_out: pathlib.Path | None,
) -> dict[str, list[tuple[float, int]]]:
    """Fresh processes, the commands alternating: read_csv, storemon report and (unless
    ``duckdb_out`` is None) the DuckDB query writing ``duckdb_out``."""
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
    commands = {
        "baseline": [sys.executable, "-c", BASELINE_CODE, str(paths["status"])],
        "report": report_command,
    }
    if duckdb_out is not None:
        commands["duckdb"] = [
            sys.executable,
            str(DUCKDB_SCRIPT),
            *("--status", str(paths["status"]), "--hours", str(paths["hours"])),
            *("--timezones", str(paths["timezones"]), "--out", str(duckdb_out)),
            *("--threads", str(DUCKDB_THREADS)),
        ]
    runs: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            runs[name].append(run_child(command))
    return runs


def differing_cells(ours: bytes, theirs: bytes) -> tuple[int, int, int]:
    """(cells that differ, of how many, rows only one side has) of two CSV reports: the
    same header and one row per store, compared by store id."""
    import csv
    import io

    def rows(data: bytes) -> tuple[list[str], dict[str, list[str]]]:
        header, *body = csv.reader(io.StringIO(data.decode()))
        return header, {row[0]: row for row in body}

    (our_header, our_rows), (their_header, their_rows) = rows(ours), rows(theirs)
    differ = sum(a != b for a, b in zip(our_header, their_header, strict=False))
    differ += abs(len(our_header) - len(their_header))
    for store, row in our_rows.items():
        other = their_rows.get(store)
        if other is not None:
            differ += sum(a != b for a, b in zip(row, other, strict=False))
            differ += abs(len(row) - len(other))
    only_one_side = len(set(our_rows) ^ set(their_rows))
    return differ, len(our_header) * (len(our_rows) + 1), only_one_side


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

    times: dict[str, list[float]] = {"summary": [], "route": [], "days": []}
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
                    days = _latency(api, token, f"/stores/{store_id}/days")  # the last 30
                except RouteAbsent as exc:
                    absent, route, days = str(exc), float("nan"), float("nan")
                if number >= 5:  # the first calls warm the containers and caches
                    times["summary"].append(summary)
                    times["route"].append(route)
                    times["days"].append(days)
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
    ratio = latency["days"] / latency["summary"]
    print(
        f"  GET /stores/{{id}}/days         {latency['days'] * 1000:7.1f} ms"
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
    best = {name: min(seconds for seconds, _ in runs) for name, runs in subprocess_runs.items()}
    in_best = {name: min(runs) for name, runs in in_process_runs.items()}
    print()
    print("the CSV path, best of the runs (s); read_csv = pandas.read_csv(status, dtype=str),")
    print(f"DuckDB = bench/duckdb_report.py on {DUCKDB_THREADS} threads, the same report")
    header = (
        f"{'mode':<16} {'read_csv':>8} {'DuckDB':>7} {'storemon':>8}"
        f" | {'/read_csv':>9} {'target':>7} {'':<4} | {'/DuckDB':>7} {'target':>7}"
    )
    print(header)
    print("-" * len(header))
    ratio = best["report"] / best["baseline"]
    line = (
        f"{'fresh processes':<16} {best['baseline']:>8.2f} {best.get('duckdb', math.nan):>7.2f}"
        f" {best['report']:>8.2f} | {ratio:>9.2f} {'<= 1.0':>7}"
        f" {verdict(ratio <= SUBPROCESS_RATIO_TARGET):<4} |"
    )
    if "duckdb" in best:
        versus = best["report"] / best["duckdb"]
        line += f" {versus:>7.2f} {'<= 0.8':>7} {verdict(versus <= DUCKDB_RATIO_TARGET)}"
    print(line)
    ratio = in_best["report"] / in_best["baseline"]
    print(
        f"{'in process':<16} {in_best['baseline']:>8.2f} {'':>7} {in_best['report']:>8.2f}"
        f" | {ratio:>9.2f} {'<= 1.2':>7} {verdict(ratio <= RATIO_TARGET):<4} |"
    )
    rss = {name: max(r for _, r in runs) for name, runs in subprocess_runs.items()}
    shown = ", ".join(f"{name} {value / 1e6:.0f} MB" for name, value in rss.items())
    print(
        f"peak RSS of the fresh processes: {shown}; storemon < 1 GB"
        f" {verdict(rss['report'] < PEAK_RSS_TARGET_BYTES)}"
    )
    print()
    print("all runs (seconds):")
    for name, runs in subprocess_runs.items():
        print(f"  fresh {name:<9}: " + " ".join(f"{seconds:.2f}" for seconds, _ in runs))
    for name, times in in_process_runs.items():
        print(f"  in-process {name:<9}: " + " ".join(f"{seconds:.2f}" for seconds in times))
    print(
        "  (in-process report = read the three files' bytes + "
        "storemon.report.pipeline.report_from_csv_bytes; "
        "fresh report = `python -m storemon_dev.cli report ... --out FILE`)"
    )
    print(f"report rows: {report_rows:,} (stores generated: {stores:,})")


def print_duckdb_check(cells: tuple[int, int, int] | None, absent: str | None) -> None:
    if absent:
        print(f"DuckDB: not measured: {absent}")
        return
    if cells is None:
        return
    differ, total, one_side = cells
    print(
        f"DuckDB's report against storemon's: {differ:,} of {total:,} cells differ,"
        f" {one_side:,} stores in one only   {verdict(differ == 0 and one_side == 0)}"
    )


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
    absent = "--no-duckdb" if args.no_duckdb else duckdb_available()
    try:
        measured = measure_csv_path(args, with_duckdb=absent is None)
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    print_results(measured["subprocess"], measured["in_process"], measured["rows"], args.stores)
    print_duckdb_check(measured["cells"], absent)
    if not args.no_coldstart and run_cold_starts(args.repeat) != 0:
        return 1
    if measured["snap"] is None:  # --csv-only
        print(f"end of bench: {load_average()}")
        return 0
    return run_the_rest(args, measured)


def run_the_rest(args: argparse.Namespace, measured: dict) -> int:
    """The snapshot's table, the periods', the local stack's routes and the growth table."""
    print_snapshot(measured["snap"], min(measured["in_process"]["report"]))
    periods_bench.print_periods(measured["periods"])
    if not args.no_stack and run_route(measured["snap"]) != 0:
        return 1
    return run_growth(args)


def measure_csv_path(args: argparse.Namespace, *, with_duckdb: bool) -> dict:
    """The data set, then the CSV path's measurements (and the snapshot's, unless
    ``--csv-only``); BenchError when a step fails."""
    paths = prepare_dataset(args)
    describe_dataset(paths)
    compile_checkout()
    try:
        import storemon.report.pipeline  # noqa: F401
    except ImportError as exc:
        raise BenchError(f"storemon.report.pipeline is not importable: {exc}") from None
    with tempfile.TemporaryDirectory(prefix="storemon-bench-") as directory:
        scratch = pathlib.Path(directory)
        out_path = scratch / "report.csv"
        duckdb_out = scratch / "duckdb.csv" if with_duckdb else None
        print(f"measuring: fresh processes ... ({load_average()})", flush=True)
        subprocess_runs = measure_subprocess(paths, args.repeat, out_path, duckdb_out)
        report_csv = out_path.read_bytes()
        cells = None
        if duckdb_out is not None:
            cells = differing_cells(report_csv, duckdb_out.read_bytes())
        print("measuring: in process ...", flush=True)
        in_process_runs = measure_in_process(paths, args.repeat)
        snap = periods = None
        if not args.csv_only:
            print("measuring: the snapshot ...", flush=True)
            snap = measure_snapshot(paths, args.repeat, scratch)
            if snap["csv"] != report_csv:
                raise BenchError("the snapshot's report differs from the CSV path's")
            print("measuring: periods (windows with the month, 30 days day by day) ...", flush=True)
            periods = periods_bench.measure_periods(paths, args.repeat, scratch)
    return {
        "subprocess": subprocess_runs,
        "in_process": in_process_runs,
        "rows": report_csv.count(b"\n") - 1,
        "cells": cells,
        "snap": snap,
        "periods": periods,
    }


def run_route(snap: dict) -> int:
    print("measuring: the local stack ...", flush=True)
    try:
        ids = [line.split(",", 1)[0] for line in snap["csv"].decode().splitlines()[1:51]]
        print_route(measure_route(DATA_DIR, ids))
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    return 0


def run_cold_starts(repeat: int) -> int:
    """bench/coldstart.py's measurement and table (0, or 1 when it failed)."""
    import coldstart  # bench/coldstart.py, beside this script

    print(f"measuring: cold starts ... ({load_average()})", flush=True)
    try:
        results = coldstart.measure(repeat)
    except coldstart.ColdStartError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    coldstart.print_cold_starts(results)
    return 0


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
