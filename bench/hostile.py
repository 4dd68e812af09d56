"""`make hostile`: `storemon report` on each hostile input file of issue 8, in a subprocess.

Generates every file under a scratch directory (deleted at the end; the gzip bombs are
multi-member files of one compressed gigabyte written several times, so making them is
quick), runs the report on it with a memory cap and a time limit, and prints per file: the
exit code, the first line of standard error, the wall time and the peak RSS (``wait4``).

Goal: exit 0, or exit 2 with one line naming the file; never a traceback; peak RSS under
1 GB; time in seconds. ``--tree DIR`` runs another checkout's code (e.g. main, for a
before/after table); ``--only NAME`` runs some cases; ``--scale`` shrinks the big ones.
"""

from __future__ import annotations

import argparse
import gzip
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zlib

REPO = pathlib.Path(__file__).resolve().parent.parent
HEADER = b"store_id,status,timestamp_utc\n"
HOURS = b"store_id,dayOfWeek,start_time_local,end_time_local\n1,0,09:00,17:00\n"
ZONES = b"store_id,timezone_str\n1,America/Chicago\n"
GIB = 1 << 30


def normal_rows(count: int, stores: int = 100) -> bytes:
    return b"".join(
        b"%d,%s,2023-01-%02d %02d:%02d:00 UTC\n"
        % (1000 + k % stores, b"active" if k % 7 else b"inactive", 16 + k % 7, k % 24, k % 60)
        for k in range(count)
    )


def write(path: pathlib.Path, *parts: bytes) -> pathlib.Path:
    with path.open("wb") as out:
        for part in parts:
            out.write(part)
    return path


def gzip_bomb(path: pathlib.Path, gigabytes: int) -> pathlib.Path:
    """HEADER then ``gigabytes`` GiB of zero bytes, as gzip members of 1 GiB each."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(64 << 20)
    member = b"".join(deflate.compress(chunk) for _ in range(GIB // len(chunk)))
    member += deflate.flush()
    with path.open("wb") as out:
        out.write(gzip.compress(HEADER))
        for _ in range(gigabytes):
            out.write(member)
    return path


def big_plain(path: pathlib.Path, size: int) -> pathlib.Path:
    block = normal_rows(1_000_000)
    with path.open("wb") as out:
        out.write(HEADER)
        written = len(HEADER)
        while written < size:
            out.write(block)
            written += len(block)
    return path


def time_span_file(path: pathlib.Path, polls: int, zones: int) -> tuple[pathlib.Path, bytes]:
    """``polls`` polls spread over 1900-2100 for ``zones`` stores, one zone each."""
    import numpy as np

    rng = np.random.default_rng(0)
    start = np.datetime64("1900-01-01T00:00:00", "s").astype(np.int64)
    end = np.datetime64("2100-01-01T00:00:00", "s").astype(np.int64)
    seconds = np.sort(rng.integers(start, end, polls))
    stamps = seconds.astype("datetime64[s]").astype(str)
    stores = rng.integers(0, zones, polls)
    status = np.where(rng.random(polls) < 0.9, "active", "inactive")
    lines = [
        f"{s},{a},{t.replace('T', ' ')} UTC" for s, a, t in zip(stores, status, stamps, strict=True)
    ]
    write(path, HEADER, "\n".join(lines).encode(), b"\n")
    import zoneinfo

    names = sorted(zoneinfo.available_timezones())[:zones]
    zone_rows = "".join(f"{k},{names[k % len(names)]}\n" for k in range(zones))
    return path, b"store_id,timezone_str\n" + zone_rows.encode()


def every_store_hours(stores: int) -> bytes:
    """Monday to Saturday 09:00-17:00 for stores 0 .. stores - 1."""
    rows = "".join(f"{s},{w},09:00,17:00\n" for s in range(stores) for w in range(6))
    return HOURS.split(b"\n")[0] + b"\n" + rows.encode()


def cases(scale: float) -> dict:
    """name -> function(directory) returning (status path, zones bytes or None[, hours])."""
    rows = normal_rows(4000)
    return {
        "cr_only": lambda d: (
            write(d / "cr.csv", (HEADER + normal_rows(50_000)).replace(b"\n", b"\r")),
            ZONES.replace(b"\n", b"\r"),
        ),
        "nul_ids": lambda d: (
            write(
                d / "nul.csv",
                HEADER,
                b'"1",active,2023-01-22 12:00:00\n',
                b"\n" * 70_000,
                b"1\0,inactive,2023-01-22 12:30:00\n",
            ),
            None,
        ),
        "cr_nul_trailing": lambda d: (
            write(
                d / "mix.csv",
                HEADER,
                rows * 3,
                b"1,active\r,2023-01-22 12:00:00\n",
                b"\0\0\0\n",
                b"2,active,2023-01-22 12:00:00,,\n",
                b",,,,\n",
            ),
            None,
        ),
        "wide_first_row": lambda d: (
            write(d / "wide.csv", HEADER, b"," * 50_000 + b"\n", rows),
            None,
        ),
        "wide_header": lambda d: (
            write(d / "wideh.csv", HEADER[:-1] + b"," * 50_000 + b"\n", rows),
            None,
        ),
        "long_id": lambda d: (
            write(
                d / "longid.csv", HEADER, b"7" * 1_000_000 + b",active,2023-01-22 12:00:00\n", rows
            ),
            None,
        ),
        "gzip_bomb_3g": lambda d: (gzip_bomb(d / "bomb3.csv.gz", max(1, round(3 * scale))), None),
        "gzip_bomb_10g": lambda d: (
            gzip_bomb(d / "bomb10.csv.gz", max(1, round(10 * scale))),
            None,
        ),
        "plain_2g": lambda d: (big_plain(d / "big.csv", int(2.2e9 * scale)), None),
        "time_span": lambda d: time_span_file(d / "span.csv", int(1_000_000 * scale), 400),
        # the same polls, every store with business hours: each poll must be classified
        "time_span_hours": lambda d: (
            *time_span_file(d / "span.csv", int(1_000_000 * scale), 400),
            every_store_hours(400),
        ),
    }


def run_case(
    tree: pathlib.Path, status: pathlib.Path, zones: bytes | None, args, hours_rows: bytes = HOURS
) -> dict:
    directory = status.parent
    hours = write(directory / "hours.csv", hours_rows)
    zones_path = write(directory / "zones.csv", zones or ZONES)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tree / "layers" / "common"), str(tree / "dev")])
    command = [
        sys.executable,
        "-m",
        "storemon_dev.cli",
        "report",
        "--status",
        str(status),
        "--hours",
        str(hours),
        "--timezones",
        str(zones_path),
        "--out",
        os.devnull,
    ]
    cap = int(args.memory_cap_gb * GIB)

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        # no other thread runs at this fork (the timer starts after it)
        process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            env=env,
            preexec_fn=limit_memory,  # noqa: PLW1509
        )
        timer = threading.Timer(args.timeout, process.kill)
        timer.start()
        _, wait_status, usage = os.wait4(process.pid, 0)  # this child's own peak RSS
        timer.cancel()
        process.returncode = code = os.waitstatus_to_exitcode(wait_status)
        seconds = time.perf_counter() - started
        errors.seek(0)
        lines = errors.read().decode(errors="replace").splitlines()
    first = lines[0] if lines else ""
    if seconds >= args.timeout and code < 0:
        first = f"(killed after {args.timeout:.0f} s) " + first
    elif any("Traceback" in line for line in lines):
        first = f"TRACEBACK: {lines[-1]}"
    elif any("MemoryError" in line for line in lines):
        first = f"MemoryError at the {args.memory_cap_gb} GB cap: {first}"
    return {"exit": code, "stderr": first[:110], "seconds": seconds, "rss": usage.ru_maxrss}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", type=pathlib.Path, default=REPO, help="checkout to run")
    parser.add_argument("--only", nargs="*", help="case names (default: all)")
    parser.add_argument("--scale", type=float, default=1.0, help="size factor of big cases")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per case")
    parser.add_argument("--memory-cap-gb", type=float, default=4.0, help="RLIMIT_AS per case")
    args = parser.parse_args(argv)
    free_gb = shutil.disk_usage(tempfile.gettempdir()).free / 1e9
    print(f"tree {args.tree}; scratch space free: {free_gb:.0f} GB; cap {args.memory_cap_gb} GB")
    print(f"{'case':<16} {'exit':>4} {'seconds':>8} {'peak RSS':>9}  first stderr line")
    for name, make in cases(args.scale).items():
        if args.only and name not in args.only:
            continue
        with tempfile.TemporaryDirectory(prefix="storemon-hostile-") as scratch:
            status, zones, *hours = make(pathlib.Path(scratch))
            size = status.stat().st_size
            result = run_case(args.tree, status, zones, args, *hours)
        print(
            f"{name:<16} {result['exit']:>4} {result['seconds']:>8.1f} "
            f"{result['rss'] / 1024:>7.0f}MB  [{size / 1e6:,.1f} MB] {result['stderr']}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
