"""SPEC §10 on the local stack at full scale: from a batch upload to a ``store.down`` delivered
to a local webhook receiver (issue 16's goal: at most 2 s, p50).

The local stack runs in this process (moto, the template's functions, their SQS event
sources; ``RefreshQuietSeconds`` 0: a batch is one upload), seeded with the benchmark's data
set (``bench/bench.py``'s cache: 14,092 stores, a week). A full report makes ``latest`` and
the first evaluation notifies the week's incidents (to the SNS topic; the receiver is
subscribed to a few steady stores only). Then hour after hour a batch with one poll per store
is uploaded, taking those stores down in odd hours and up in even ones; for each down hour the
times from the upload to ``latest`` Complete, to the end of the alerts' evaluation and to the
receiver holding every ``store.down`` (signature verified) are printed, and their p50.

Each batch is an object of its own under ``input/polls/`` (``hour-N.csv``, one poll per
store): read once into the poll history, then the refresh makes ``latest`` from the history
(the days its windows need) and the worker evaluates the alerts.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

HOURS = 6  # batches: 3 down hours, 3 up hours


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stores", type=int, default=14_092)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--hours", type=int, default=HOURS, help="batches to upload")
    parser.add_argument(
        "--one-process",
        action="store_true",
        help="the worker in the bench's process too (default: containers of its own)",
    )
    parser.add_argument(
        "--containers",
        default="WorkerFunction,DeliveryFunction",
        help="the functions run in containers of their own, comma-separated (default: the "
        "worker and the webhook deliveries, as on AWS; the others run in the bench's process)",
    )
    parser.add_argument(
        "--delivery-pollers",
        type=int,
        default=3,
        help="pollers (and containers) of the delivery function (default 3: the receiver's "
        "3 deliveries of an hour at once, as its MaximumConcurrency 10 allows on AWS; the local "
        "stack's own default is 2)",
    )
    return parser.parse_args(argv)


def _wait(condition, timeout: float, what: str, step: float = 0.02):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: nothing after {timeout:.0f} s")
        time.sleep(step)


class Probe:
    """Reads the stack's state directly (DynamoDB): latest's target and the alerts' cursor."""

    def __init__(self, stack):
        self.ddb = stack.client("dynamodb")
        self.reports = stack.resources["table"]
        self.alerts = stack.resources["alerts_table"]

    def latest(self) -> str | None:
        item = self.ddb.get_item(TableName=self.reports, Key={"report_id": {"S": "latest"}})
        return item.get("Item", {}).get("target_id", {}).get("S")

    def idle(self) -> bool:
        """latest's report has its page (nothing of the last batch left to do)."""
        target = self.latest()
        if target is None:
            return True
        item = self.ddb.get_item(TableName=self.reports, Key={"report_id": {"S": target}})
        return "page_pending" not in item.get("Item", {})

    def evaluated_at(self) -> str:
        item = self.ddb.get_item(TableName=self.alerts, Key={"alert_key": {"S": "cursor"}})
        return item.get("Item", {}).get("evaluated_at", {}).get("S", "")


def run(args: argparse.Namespace) -> int:
    import bench  # bench/bench.py: the cached data set
    from storemon_dev.local.server import ApiServer
    from storemon_dev.local.stack import LocalStack

    paths = bench.prepare_dataset(args)
    containers = () if args.one_process else tuple(filter(None, args.containers.split(",")))
    pollers = {"DeliveryFunction": args.delivery_pollers}
    parameters = {"RefreshQuietSeconds": 0}
    with LocalStack(parameters=parameters, containers=containers, pollers=pollers) as stack:
        stack.start(Path(paths["status"]).parent)
        stack.start_event_sources()
        server = ApiServer(stack.gateway(), host="127.0.0.1", port=0)
        server.start()
        try:
            rows = Hours(stack, server.url, Path(paths["status"])).measure(args.hours)
        finally:
            server.stop()
    print_rows(rows)
    return 0


class Hours:
    """The stack after its first report and evaluation, a receiver subscribed to a few steady
    stores, and the hourly batches."""

    def __init__(self, stack, api: str, status_path: Path):
        import urllib.request

        from storemon_dev.local.demo import _http
        from storemon_dev.local.demo_alerts import Receiver, parse_now, steady_stores

        self.stack, self.api, self.http = stack, api, _http
        self.token = stack.token()
        self.probe = Probe(stack)
        started = time.monotonic()
        report_id = self.call("POST", "/trigger_report", {})["report_id"]
        _wait(lambda: self.probe.latest() == report_id, 900, "the first full report")
        _wait(self.probe.evaluated_at, 900, "the first evaluation", step=0.5)
        print(f"first full report and alerts evaluation: {time.monotonic() - started:.1f} s")
        answer = self.call("GET", f"/get_report/{report_id}")
        with urllib.request.urlopen(answer["report_url"], timeout=60) as response:
            report_csv = response.read().decode()
        self.now = parse_now(answer["summary"]["now"])
        self.chosen = steady_stores(report_csv, status_path.parent / "menu_hours.csv")
        self.receiver = Receiver().start()
        body = {"url": self.receiver.url, "store_ids": self.chosen}
        self.receiver.secret = self.call("POST", "/subscriptions", body)["secret"]
        self.stores = [line.split(",", 1)[0] for line in io.StringIO(report_csv)][1:]

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        code, answer = self.http(method, f"{self.api}{path}", body, token=self.token)
        if code not in (200, 201, 202):
            raise RuntimeError(f"{method} {path} answered {code}: {answer}")
        return answer

    def measure(self, hours: int) -> list[tuple[int, str, float, float, float]]:
        from storemon_dev.local.demo_alerts import batch_csv

        rows = []
        try:
            for hour in range(hours):
                down = set(self.chosen) if hour % 2 == 0 else set()
                start = self.now + timedelta(hours=hour)
                polls = batch_csv(self.stores, start, down, seed=10 + hour)
                rows.append(self.one_hour(hour + 1, polls, bool(down)))
        finally:
            self.receiver.stop()
        return rows

    def one_hour(self, hour: int, polls: str, down: bool) -> tuple[int, str, float, float, float]:
        from storemon_dev.local.demo_alerts import upload_batch

        probe, receiver = self.probe, self.receiver
        before, cursor, had = probe.latest(), probe.evaluated_at(), len(receiver.alerts)
        kind = "store.down" if down else "store.recovered"
        t0 = time.monotonic()
        upload_batch(self.stack.client("s3"), self.stack.bucket, f"hour-{hour}", polls)
        _wait(lambda: probe.latest() != before, 600, f"hour {hour}'s latest")
        t_latest = time.monotonic() - t0

        def arrived() -> bool:
            new = receiver.alerts[had:]
            return {a.event["data"]["store_id"] for a in new if a.event["type"] == kind} >= set(
                self.chosen
            )

        _wait(arrived, 600, f"hour {hour}'s {kind}", step=0.005)
        t_alert = max(a.received_s for a in receiver.alerts[had:]) - t0
        _wait(lambda: probe.evaluated_at() > cursor, 600, "the evaluation's end")
        t_eval = time.monotonic() - t0
        # batches come an hour apart: the next one finds this one's work done (its page)
        _wait(probe.idle, 600, f"hour {hour}'s page")
        print(
            f"hour {hour}: {kind:<16} upload -> latest Complete {t_latest:5.2f} s, "
            f"-> every {kind} delivered {t_alert:5.2f} s, evaluation done {t_eval:5.2f} s",
            flush=True,
        )
        return hour, kind, t_latest, t_alert, t_eval


def print_rows(rows: list[tuple[int, str, float, float, float]]) -> None:
    downs = [r for r in rows if r[1] == "store.down"]
    p50 = statistics.median(r[3] for r in downs)
    latest_p50 = statistics.median(r[2] for r in downs)
    print(
        f"\nstore.down delivered after a batch upload: p50 {p50:.2f} s over {len(downs)} batches "
        f"(goal <= 2.0 s: {'PASS' if p50 <= 2.0 else 'FAIL'}); upload -> latest Complete p50 "
        f"{latest_p50:.2f} s, latest -> delivered p50 {p50 - latest_p50:.2f} s"
    )


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
