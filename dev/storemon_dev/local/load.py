"""``make load``: a bounded burst against the local stack, on loopback, that stops by itself.

1. generates a small dataset (200 stores x 7 days by default) and starts ``storemon serve
   --port 0`` on it (a subprocess, as ``make demo`` does);
2. sends REQUESTS mixed requests from CLIENTS concurrent clients, each request on a new
   connection (the worst case for the listen backlog): report triggers (some stores, one store,
   all stores), get_report of accepted ids and of ``latest``, store summaries, and bad requests
   that must be answered 4xx;
3. waits until every accepted report (202) is Complete;
4. prints the status counts, connection errors, 5xx, latency p50/p95/p99 and how the reports
   ended, stops the stack. Exit 0 when there was no connection error, no 5xx and every accepted
   report completed; 1 otherwise.

``--api URL`` runs the burst against a stack that is already running instead.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REQUESTS = 1000
CLIENTS = 50
STORES = 200


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: bytes | None = None


@dataclass
class LoadResult:
    """What a burst did: one latency (seconds) and one outcome per request."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # connection errors by type
    accepted: list[str] = field(default_factory=list)  # report ids answered 202
    elapsed: float = 0.0

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile of the latencies, in seconds."""
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        rank = max(1, round(q / 100 * len(ordered) + 0.5 - 1e-9))
        return ordered[min(rank, len(ordered)) - 1]


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def mixed_calls(count: int, store_ids: Sequence[str], seed: int = 0) -> list[Call]:
    """``count`` requests: 25% triggers (2% of all a full report), 55% reads, 20% bad or odd
    requests that must be answered 4xx (or a redirect); reproducible for a seed."""
    rng = random.Random(seed)
    kinds: list[tuple[float, Callable[[], Call]]] = [
        (0.02, lambda: Call("POST", "/trigger_report", b"")),
        (0.17, lambda: Call("POST", "/trigger_report", _json({"store_ids": _some(rng)}))),
        (0.06, lambda: Call("POST", f"/stores/{rng.choice(store_ids)}/trigger_report", b"{}")),
        (0.40, lambda: Call("GET", "/get_report/{accepted}")),
        (0.08, lambda: Call("GET", "/get_report/latest")),
        (0.07, lambda: Call("GET", f"/store_summary?store_id={rng.choice(store_ids)}")),
        (0.07, lambda: Call("GET", "/get_report/not-a-report-id")),
        (0.07, lambda: Call("POST", "/trigger_report", b"{not json")),
        (0.06, lambda: Call("GET", "/no/such/route")),
    ]

    def _some(r: random.Random) -> list[str]:
        return r.sample(list(store_ids), min(3, len(store_ids)))

    weights = [w for w, _ in kinds]
    makers = [m for _, m in kinds]
    return [rng.choices(makers, weights)[0]() for _ in range(count)]


class _Burst:
    """The shared state of the client threads."""

    def __init__(self, api: str, calls: list[Call], timeout: float, token: str):
        parts = urlsplit(api)
        self.token = token
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.calls = calls
        self.timeout = timeout
        self.next = 0
        self.lock = threading.Lock()
        self.result = LoadResult()

    def take(self) -> Call | None:
        with self.lock:
            if self.next >= len(self.calls):
                return None
            call = self.calls[self.next]
            self.next += 1
            if "{accepted}" in call.path:
                report_id = self.result.accepted[-1] if self.result.accepted else "latest"
                call = Call(call.method, call.path.format(accepted=report_id), call.body)
            return call

    def send(self, call: Call) -> None:
        headers = {"Connection": "close", **_authorization(self.token)}
        if call.body is not None:
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(call.method, call.path, body=call.body, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            with self.lock:
                self.result.errors[type(exc).__name__] += 1
            return
        finally:
            conn.close()
        latency = time.monotonic() - started
        with self.lock:
            self.result.latencies.append(latency)
            self.result.statuses[response.status] += 1
            if response.status == 202 and call.path.endswith("trigger_report"):
                self.result.accepted.append(json.loads(raw)["report_id"])

    def client(self) -> None:
        while (call := self.take()) is not None:
            self.send(call)


def _authorization(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def run_load(
    api: str, calls: list[Call], clients: int = CLIENTS, timeout: float = 60, token: str = ""
) -> LoadResult:
    """Send ``calls`` to ``api`` from ``clients`` threads, each request on its own connection
    (with ``token`` as a bearer token when given)."""
    burst = _Burst(api, calls, timeout, token)
    threads = [
        threading.Thread(target=burst.client, name=f"load-client-{i}", daemon=True)
        for i in range(clients)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    burst.result.elapsed = time.monotonic() - started
    return burst.result


def wait_reports(api: str, report_ids: list[str], timeout: float, token: str = "") -> Counter[str]:
    """Poll each report until it is no longer Running (or ``timeout`` passes): counts of
    Complete / Failed / Running (unfinished) / other answers."""
    parts = urlsplit(api)
    deadline = time.monotonic() + timeout
    ended: Counter[str] = Counter()
    for report_id in report_ids:
        while True:
            conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
            try:
                conn.request("GET", f"/get_report/{report_id}", headers=_authorization(token))
                response = conn.getresponse()
                body = json.loads(response.read() or b"{}")
            finally:
                conn.close()
            state = str(body.get("status", response.status))
            if state != "Running" or time.monotonic() > deadline:
                ended[state] += 1
                break
            time.sleep(0.2)
    return ended


def describe(result: LoadResult, ended: Counter[str], waited: float) -> list[str]:
    """The figures, as printed."""
    statuses = ", ".join(f"{s} x{n}" for s, n in sorted(result.statuses.items()))
    errors = sum(result.errors.values())
    ms = [result.percentile(q) * 1000 for q in (50, 95, 99)]
    rate = len(result.latencies) / result.elapsed if result.elapsed else 0.0
    return [
        f"requests: {len(result.latencies) + errors} in {result.elapsed:.1f} s ({rate:.0f}/s)",
        f"statuses: {statuses}",
        f"connection errors: {errors} {dict(result.errors) or ''}".rstrip(),
        f"5xx: {result.server_errors}",
        f"latency ms: p50 {ms[0]:.1f}  p95 {ms[1]:.1f}  p99 {ms[2]:.1f}  "
        f"max {max(result.latencies, default=0) * 1000:.1f}",
        f"reports: {len(result.accepted)} accepted; after {waited:.1f} s: "
        + ", ".join(f"{state} {n}" for state, n in sorted(ended.items())),
    ]


def passed(result: LoadResult, ended: Counter[str]) -> bool:
    complete = ended.get("Complete", 0)
    return not result.errors and not result.server_errors and complete == len(result.accepted)


def store_ids(status_csv: Path, limit: int = 500) -> list[str]:
    """Some store ids of a status file (the first ``limit`` distinct ones)."""
    seen: dict[str, None] = {}
    with status_csv.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            seen.setdefault(row["store_id"], None)
            if len(seen) >= limit:
                break
    return list(seen)


def _burst_and_wait(api: str, token: str, ids: list[str], args: argparse.Namespace) -> int:
    calls = mixed_calls(args.requests, ids, seed=args.seed)
    print(f"load: {args.requests} requests from {args.clients} clients against {api}", flush=True)
    result = run_load(api, calls, clients=args.clients, token=token)
    started = time.monotonic()
    ended = wait_reports(api, result.accepted, timeout=args.timeout, token=token)
    for line in describe(result, ended, time.monotonic() - started):
        print("  " + line, flush=True)
    ok = passed(result, ended)
    print("load: PASSED" if ok else "load: FAILED", flush=True)
    return 0 if ok else 1


def _with_local_stack(args: argparse.Namespace) -> int:
    from storemon_dev.generate.dataset import write_dataset
    from storemon_dev.local.demo import DemoError, ServeProcess

    with tempfile.TemporaryDirectory(prefix="storemon-load-") as folder:
        data_dir = Path(folder) / "data"
        paths = write_dataset(data_dir, stores=args.stores, days=7, seed=0)
        ids = store_ids(Path(paths["status"]))
        server = ServeProcess(data_dir, Path(folder) / "serve.log")
        try:
            info = server.wait_ready(timeout=300)
            code = _burst_and_wait(info["API"], info.get("TOKEN", ""), ids, args)
        except DemoError as exc:
            print(f"load FAILED: {exc}\n{server.tail()}", flush=True)
            code = 1
        finally:
            stopped = server.stop()
        if stopped != 0:
            print(f"load FAILED: storemon serve exited with {stopped}\n{server.tail()}")
            code = 1
        if code != 0:
            _keep_log(Path(folder) / "serve.log")
        return code


def _keep_log(log: Path) -> None:
    """A failed run's stack log, copied out of the temporary folder (deleted on return) so
    the cause of a 5xx or an unfinished report can be found."""
    kept = Path(tempfile.gettempdir()) / f"storemon-load-{int(time.time())}.log"
    if log.is_file():
        shutil.copyfile(log, kept)
        print(f"load: the stack's log is kept in {kept}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m storemon_dev.local.load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--stores", type=int, default=STORES, help="stores in the dataset")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=600, help="seconds for the reports")
    parser.add_argument("--api", help="an already running stack's API URL (loopback)")
    parser.add_argument("--store-ids", help="with --api: comma-separated store ids to use")
    parser.add_argument("--token", default="", help="with --api: the access token to send")
    args = parser.parse_args(argv)
    if args.api:
        host = urlsplit(args.api).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            parser.error("--api must be a loopback URL: the load test never leaves this machine")
        return _burst_and_wait(args.api, args.token, (args.store_ids or "1").split(","), args)
    return _with_local_stack(args)


if __name__ == "__main__":
    sys.exit(main())
