"""`make bench`, issue 19's figures: the periods of SPEC §8 against the default report, on the
CSV path and on the snapshot path.

For each path, in this process, best of ``--repeat`` runs, the three requests alternating:

- the default report (§5: hour, day, week);
- ``--windows hour,day,week,month`` (target: at most 1.3x the default on the same path);
- 30 days day by day for every store (``--from now-30d --to now --daily``; target: at most 2x).

The CSV path is ``report_from_csv_bytes`` on the three files' bytes (read each time); the
snapshot path is ``report_from_snapshot`` on the snapshot file, loaded fresh each time (what
``storemon report --snapshot`` does) and, as a second row, already loaded (a warm service).
A fresh ``storemon report ... --daily`` process (CSV written) is timed against the default
one too. Each verdict is PASS or MISS; timings on a shared machine compare only within a run.

Run alone: ``.venv/bin/python bench/periods_bench.py [--repeat N]`` (the data set of
``bench/bench.py``, generated if missing).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import tempfile
import time

import bench as main_bench

WINDOWS_TARGET = 1.3
DAILY_TARGET = 2.0
DAY_US = 86_400_000_000


def requests(now_us: int) -> dict:
    from storemon.clock.iso import utc_text
    from storemon.report.periods import Period

    start, end = utc_text(now_us - 30 * DAY_US), utc_text(now_us)
    return {
        "default": None,
        "windows": Period.of(windows="hour,day,week,month"),
        "daily": Period.of(start=start, end=end, daily=True),
    }


def best_of(actions: dict, repeat: int) -> dict[str, float]:
    """Best wall time of each action, the actions alternating run by run."""
    best = {name: float("inf") for name in actions}
    for _ in range(repeat):
        for name, action in actions.items():
            started = time.perf_counter()
            action()
            best[name] = min(best[name], time.perf_counter() - started)
    return best


def measure_periods(paths: dict[str, pathlib.Path], repeat: int, scratch: pathlib.Path) -> dict:
    from storemon.report.pipeline import report_from_csv_bytes
    from storemon.snapshot.answer import report_from_snapshot
    from storemon.snapshot.build import snapshot_from_csv_bytes
    from storemon.snapshot.reader import load_snapshot

    def contents() -> list[bytes]:
        return [paths[kind].read_bytes() for kind in ("status", "hours", "timezones")]

    snap_path = scratch / "periods.snap"
    snap_path.write_bytes(snapshot_from_csv_bytes(*contents()))
    loaded = load_snapshot(snap_path)
    asked = requests(loaded.now_us)
    rows = {name: len(report_from_snapshot(loaded, period=p).report) for name, p in asked.items()}
    csv = best_of(
        {
            name: (lambda p=p: report_from_csv_bytes(*contents(), period=p))
            for name, p in asked.items()
        },
        repeat,
    )
    fresh = best_of(
        {
            name: (lambda p=p: report_from_snapshot(load_snapshot(snap_path), period=p))
            for name, p in asked.items()
        },
        repeat,
    )
    warm = best_of(
        {name: (lambda p=p: report_from_snapshot(loaded, period=p)) for name, p in asked.items()},
        repeat,
    )
    return {
        "csv": csv,
        "snapshot": fresh,
        "snapshot, loaded": warm,
        "rows": rows,
        "cli": measure_cli(paths, asked["daily"], scratch, max(1, min(repeat, 3))),
    }


def measure_cli(paths: dict[str, pathlib.Path], daily, scratch: pathlib.Path, repeat: int) -> dict:
    """Fresh ``storemon report`` processes (CSV written): default against day by day."""
    base = main_bench.cli_command("report", *main_bench.inputs_arguments(paths))
    period = ["--from", daily.describe()["from"], "--to", daily.describe()["to"], "--daily"]
    runs: dict[str, float] = {"default": float("inf"), "daily": float("inf")}
    for _ in range(repeat):
        for name, extra in (("default", []), ("daily", period)):
            out = scratch / f"cli-{name}.csv"
            seconds, _ = main_bench.run_child([*base, *extra, "--out", str(out)])
            runs[name] = min(runs[name], seconds)
    return runs


def print_periods(figures: dict) -> None:
    print()
    print("periods (SPEC §8): best of the runs, ratio to the default report on the same path")
    header = (
        f"{'path':<18} {'default':>9} {'+month':>9} {'ratio':>6} {'':4}"
        f" {'30 days':>9} {'ratio':>6} {'':4}"
    )
    print(header)
    print("-" * len(header))
    for path in ("csv", "snapshot", "snapshot, loaded"):
        t = figures[path]
        windows, daily = t["windows"] / t["default"], t["daily"] / t["default"]
        print(
            f"{path:<18} {t['default'] * 1000:7.0f}ms {t['windows'] * 1000:7.0f}ms"
            f" {windows:6.2f} {main_bench.verdict(windows <= WINDOWS_TARGET):4}"
            f" {t['daily'] * 1000:7.0f}ms {daily:6.2f}"
            f" {main_bench.verdict(daily <= DAILY_TARGET):4}"
        )
    cli = figures["cli"]
    print(
        f"{'fresh CLI process':<18} {cli['default']:8.2f}s {'':9} {'':6} {'':4}"
        f" {cli['daily']:8.2f}s {cli['daily'] / cli['default']:6.2f}"
        f" {main_bench.verdict(cli['daily'] / cli['default'] <= DAILY_TARGET):4}"
    )
    rows = figures["rows"]
    print(
        f"  targets: +month <= {WINDOWS_TARGET}x, 30 days <= {DAILY_TARGET}x; rows: default "
        f"{rows['default']:,}, month {rows['windows']:,}, 30 days {rows['daily']:,} "
        "(snapshot: loaded fresh from the file each run, or already loaded)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args(argv)
    args = main_bench.parse_args([])
    print(f"storemon periods bench: best of {options.repeat}; {main_bench.load_average()}")
    paths = main_bench.prepare_dataset(args)
    with tempfile.TemporaryDirectory(prefix="storemon-periods-") as scratch:
        figures = measure_periods(paths, options.repeat, pathlib.Path(scratch))
    print_periods(figures)
    print(f"end: {main_bench.load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
