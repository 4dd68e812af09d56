"""``make demo``: the whole service on this machine, end to end, as a user would drive it.

1. generates a realistic dataset (full scale by default: 14,092 stores, a week of polls);
2. starts the local stack (``storemon serve`` in a subprocess), which uploads the dataset to
   the emulated S3 under ``input/``;
3. triggers a report through the HTTP API (``POST /trigger_report``) with the administrator's
   access token the stack prints (``TOKEN:``), as every request below;
4. polls ``GET /get_report/{id}`` until the report is ``Complete``;
5. downloads the CSV and the report page through their presigned S3 URLs (plain urllib);
6. prints where it saved them, the page's link, and a summary: stores, the five stores with
   the most downtime last week;
7. SPEC §10's alerts (:mod:`storemon_dev.local.demo_alerts`): subscribes a webhook receiver
   of its own, uploads two hourly batches under ``input/polls/`` that take a few stores down
   and back up, and prints the alerts it received, each signature verified with
   ``standardwebhooks``; then stops the stack.

Exit code 0 on success, 1 with a message on failure or timeout. The stack's own log (handlers'
JSON logs, requests) is written to ``<out>/serve.log``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

FULL_SCALE = 14092


class DemoError(RuntimeError):
    pass


STARTUP_LINES = ("API", "AWS", "BUCKET", "TOKEN")  # TOKEN: an administrator's access token


def _say(text: str = "") -> None:
    print(text, flush=True)


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return str(value)


def _http(
    method: str, url: str, body: Any = None, timeout: float = 30, token: str = ""
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, raw.decode("utf-8", "replace")


class ServeProcess:
    """``storemon serve`` in a subprocess; its output goes to a log file, the start-up lines
    (API, AWS, BUCKET, TOKEN) are picked out of it."""

    def __init__(self, data_dir: Path, log_path: Path):
        import storemon
        import storemon_dev

        roots = [str(Path(str(m.__file__)).resolve().parents[1]) for m in (storemon, storemon_dev)]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (*roots, env.get("PYTHONPATH")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        self.log_path = log_path
        self._log = log_path.open("w", encoding="utf-8")
        self.info: dict[str, str] = {}
        self._ready = threading.Event()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "storemon_dev.cli",
                "serve",
                "--port",
                "0",
                "--data",
                str(data_dir),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._log.write(line)
            self._log.flush()
            key, sep, value = line.strip().partition(": ")
            if sep and key in STARTUP_LINES and key not in self.info:
                self.info[key] = value
                if len(self.info) == len(STARTUP_LINES):
                    self._ready.set()
        self._ready.set()  # the process ended

    def wait_ready(self, timeout: float) -> dict[str, str]:
        if not self._ready.wait(timeout):
            raise DemoError(f"the local stack did not start within {timeout:.0f} s")
        if len(self.info) < len(STARTUP_LINES):
            raise DemoError(f"the local stack exited with code {self.proc.wait()} during start-up")
        return self.info

    def tail(self, lines: int = 15) -> str:
        try:
            return "".join(self.log_path.read_text(encoding="utf-8").splitlines(True)[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._reader.join(5)
        self._log.close()
        return self.proc.returncode


def top_downtime(csv_text: str, n: int = 5) -> tuple[int, list[dict[str, str]]]:
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    rows.sort(key=lambda r: (-float(r["downtime_last_week"]), r["store_id"]))
    return len(rows), rows[:n]


def _generate(data_dir: Path, stores: int) -> None:
    from storemon_dev.generate.dataset import write_dataset

    t = time.monotonic()
    paths = write_dataset(data_dir, stores=stores, days=7, seed=0)
    sizes = ", ".join(f"{p.name} {_size(p.stat().st_size)}" for p in paths.values())
    _say(f"[1/8] generated {stores:,} stores x 7 days in {time.monotonic() - t:.1f} s: {sizes}")


def _trigger(api: str, token: str) -> str:
    status, answer = _http("POST", f"{api}/trigger_report", {}, token=token)
    if status != 202 or not isinstance(answer, dict) or "report_id" not in answer:
        raise DemoError(f"POST /trigger_report answered {status}: {answer}")
    _say(f"[3/8] POST /trigger_report -> {status} report_id {answer['report_id']}")
    return str(answer["report_id"])


def _wait_complete(api: str, token: str, report_id: str, timeout: float) -> dict[str, Any]:
    """Polls ``GET /get_report/{id}`` until Complete; its answer."""
    t = time.monotonic()
    deadline = t + timeout
    last_print = 0.0
    while True:
        try:
            status, answer = _http("GET", f"{api}/get_report/{report_id}", token=token)
        except TimeoutError:  # a busy stack: ask again until the deadline
            status, answer = 200, {"status": "Running"}
        state = answer.get("status") if isinstance(answer, dict) else None
        elapsed = time.monotonic() - t
        if status != 200 or state not in ("Running", "Complete"):
            raise DemoError(f"GET /get_report/{report_id} answered {status}: {answer}")
        if state == "Complete":
            _say(f"[4/8] Complete after {elapsed:.1f} s")
            return dict(answer)
        if elapsed - last_print >= 2 or last_print == 0:
            _say(f"      {state} ... {elapsed:.0f} s")
            last_print = elapsed or 0.001
        if time.monotonic() > deadline:
            raise DemoError(f"the report was still {state} after {timeout:.0f} s")
        time.sleep(0.5)


def _download(url: str, target: Path) -> bytes:
    t = time.monotonic()
    with urllib.request.urlopen(url, timeout=60) as response:
        csv_bytes = response.read()
    target.write_bytes(csv_bytes)
    _say(
        f"[5/8] downloaded through the presigned URL in {time.monotonic() - t:.2f} s: "
        f"{target} ({_size(len(csv_bytes))})"
    )
    return bytes(csv_bytes)


def _print_summary(csv_bytes: bytes, summary: dict[str, Any]) -> None:
    count, top = top_downtime(csv_bytes.decode("utf-8"))
    _say()
    _say(f"stores reported: {count:,}" + (f"   now: {summary['now']}" if "now" in summary else ""))
    if "duration_seconds" in summary:
        _say(f"engine time: {summary['duration_seconds']} s")
    _say("five stores with the most downtime last week:")
    _say(f"  {'store_id':<20} {'down last week (h)':>18} {'up last week (h)':>16}")
    for row in top:
        _say(
            f"  {row['store_id']:<20} {float(row['downtime_last_week']):>18.2f} "
            f"{float(row['uptime_last_week']):>16.2f}"
        )


def _drive(server: ServeProcess, out_dir: Path, timeout: float) -> None:
    """Steps 2-5 against the running stack; raises DemoError (or a network error)."""
    t = time.monotonic()
    info = server.wait_ready(timeout=min(timeout, 300))
    api = info["API"]
    _say(
        f"[2/8] local stack up in {time.monotonic() - t:.1f} s, inputs uploaded to "
        f"s3://{info['BUCKET']}/input/\n      API {api}   AWS {info['AWS']}"
    )
    token = info["TOKEN"]  # an administrator's access token, for every request
    report_id = _trigger(api, token)
    answer = _wait_complete(api, token, report_id, timeout)
    target = (out_dir / f"report-{report_id}.csv").resolve()
    csv_bytes = _download(answer["report_url"], target)
    _save_page(answer, out_dir)
    summary = answer.get("summary") or {}
    _print_summary(csv_bytes, summary)
    _say()
    _alerts(info, out_dir / "data", csv_bytes.decode("utf-8"), str(summary.get("now", "")))


def _alerts(info: dict[str, str], data_dir: Path, report_csv: str, now: str) -> None:
    import boto3

    from storemon_dev.local.demo_alerts import Stack, run_alerts
    from storemon_dev.local.stack import aws_environment

    env = aws_environment(info["AWS"])
    s3 = boto3.client(
        "s3",
        endpoint_url=info["AWS"],
        region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    stack = Stack(info["API"], info["TOKEN"], info["BUCKET"], s3, data_dir, _http)
    try:
        run_alerts(stack, report_csv, now, _say)
    except RuntimeError as exc:
        raise DemoError(str(exc)) from exc


def _save_page(answer: dict[str, Any], out_dir: Path) -> None:
    """The report page (a full report has one): its link, and a copy that opens offline."""
    url = answer.get("page_url")
    if not url:
        raise DemoError("the report has no page_url: full reports come with their page")
    target = (out_dir / f"report-{answer['report_id']}.html").resolve()
    with urllib.request.urlopen(url, timeout=60) as response:
        page = response.read()
    target.write_bytes(page)
    _say(f"      report page ({_size(len(page))}), saved as {target}")
    _say(f"      its link (valid {answer.get('url_expires_in')} s, while the stack runs): {url}")


def run(stores: int, out_dir: Path, timeout: float) -> int:
    started = time.monotonic()
    out_dir.mkdir(parents=True, exist_ok=True)
    data_dir = out_dir / "data"
    _say("storemon demo: the whole service on this machine (moto's AWS emulation, no Docker)")
    _generate(data_dir, stores)
    server = ServeProcess(data_dir, out_dir / "serve.log")
    try:
        _drive(server, out_dir, timeout)
    except (DemoError, OSError, urllib.error.URLError) as exc:
        _say(f"demo FAILED: {exc}")
        tail = server.tail()
        if tail:
            _say(f"last lines of {server.log_path}:\n{tail}")
        server.stop()
        return 1
    code = server.stop()
    _say()
    _say(
        f"stack stopped (exit {code}); stack log: {server.log_path}; "
        f"total {time.monotonic() - started:.1f} s"
    )
    if code != 0:
        _say(f"demo FAILED: storemon serve exited with {code}")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m storemon_dev.local.demo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--stores",
        type=int,
        default=FULL_SCALE,
        help=f"stores in the generated dataset (default {FULL_SCALE:,})",
    )
    parser.add_argument("--out", default="out/demo", help="where data, CSV and log go")
    parser.add_argument(
        "--timeout", type=float, default=600, help="seconds to wait for the report (default 600)"
    )
    args = parser.parse_args(argv)
    try:
        return run(args.stores, Path(args.out), args.timeout)
    except KeyboardInterrupt:
        _say("demo interrupted")
        return 1


if __name__ == "__main__":
    sys.exit(main())
