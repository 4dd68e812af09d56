"""``make demo``'s alerts (SPEC §10): a webhook receiver in the demo process, subscribed through
the API, two hourly batches uploaded, and the alerts it received, each signature verified with
the ``standardwebhooks`` package.

The batches: every store of the report gets one poll in each of the two hours after the data's
``now``, ``active``, except a few stores open round the clock (no business-hours row) and up
now, which go ``inactive`` in the first hour (a ``store.down``, ongoing) and come back in the
second (a ``store.recovered``). The receiver is subscribed to those stores only (the first
evaluation of a full-scale data set notifies some 15,000 incidents of the week to the SNS
topic).

Each batch is an object of its own under ``input/polls/`` (``hour-1.csv``, ``hour-2.csv``:
the status file's columns), read once into the poll history; ``latest`` then moves to the
report of every poll received and the alerts are evaluated (README, docs/history.md).
"""

from __future__ import annotations

import csv
import io
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

STORES_DOWN = 3
HOUR = timedelta(hours=1)


@dataclass
class Alert:
    received_s: float  # time.monotonic() when it arrived
    webhook_id: str
    event: dict


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that verifies every POST with the subscription's secret
    (``secret``, set once subscribed) and keeps the verified events; a forged or stale one is
    answered 401 and counted in ``rejected``."""

    secret: str = ""
    alerts: list[Alert] = field(default_factory=list)
    rejected: int = 0
    url: str = ""
    _server: ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                from standardwebhooks import Webhook, WebhookVerificationError

                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    event = Webhook(receiver.secret).verify(body, headers)
                except (WebhookVerificationError, ValueError):
                    receiver.rejected += 1
                    self.send_response(401)
                else:
                    alert = Alert(time.monotonic(), headers["webhook-id"], event)
                    receiver.alerts.append(alert)
                    self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/storemon"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def wait_for(self, kind: str, stores: list[str], timeout: float) -> list[Alert]:
        """The alerts of `kind` for `stores`, once each has arrived (or at `timeout`)."""
        deadline = time.monotonic() + timeout
        while True:
            got = [a for a in self.alerts if a.event["type"] == kind]
            if {a.event["data"]["store_id"] for a in got} >= set(stores):
                return got
            if time.monotonic() > deadline:
                return got
            time.sleep(0.05)


def steady_stores(report_csv: str, hours_path: Path, count: int = STORES_DOWN) -> list[str]:
    """Stores open round the clock (no business-hours row: SPEC §2) and up the whole last
    hour, so an outage in the next hour is a new incident with business time; those up the
    whole week first."""
    with_hours = {
        line.split(",", 1)[0].strip()
        for line in hours_path.read_text(encoding="utf-8").splitlines()[1:]
    }
    rows = [
        r
        for r in csv.DictReader(io.StringIO(report_csv))
        if r["store_id"] not in with_hours and float(r["uptime_last_hour"]) == 60
    ]
    rows.sort(key=lambda r: (float(r["downtime_last_week"]), r["store_id"]))
    return [r["store_id"] for r in rows[:count]]


def batch_csv(store_ids: list[str], hour_start: datetime, down: set[str], seed: int) -> str:
    """One poll per store at a random minute of the hour from `hour_start`: active, but
    ``inactive`` for the stores of `down`."""
    rng = random.Random(seed)
    lines = []
    for store in store_ids:
        at = hour_start + timedelta(seconds=rng.randrange(60, 3540))
        status = "inactive" if store in down else "active"
        lines.append(f"{store},{status},{at:%Y-%m-%d %H:%M:%S}.{at.microsecond:06d} UTC\n")
    return "".join(lines)


def parse_now(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


STATUS_HEADER = "store_id,status,timestamp_utc\n"


def upload_batch(s3: Any, bucket: str, name: str, polls: str) -> str:
    """One batch of polls (lines of `batch_csv`) under ``input/polls/``; its key."""
    key = f"input/polls/{name}.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=(STATUS_HEADER + polls).encode())
    return key


def describe(alert: Alert, uploaded_s: float) -> str:
    data = alert.event["data"]
    return (
        f"  {alert.event['type']:<16} store {data['store_id']:<20} "
        f"{data['start_utc']} -> {data['end_utc']}  {data['business_minutes']:>8.2f} business "
        f"min  ongoing={str(data['ongoing']).lower():<5}  {alert.webhook_id}  "
        f"+{alert.received_s - uploaded_s:.1f} s after the upload"
    )


@dataclass
class Stack:
    """What the demo knows of the running stack."""

    api: str
    token: str
    bucket: str
    s3: Any
    data_dir: Path
    http: Callable[..., tuple[int, Any]]


def run_alerts(stack: Stack, report_csv: str, now: str, say: Callable[[str], None]) -> None:
    """Subscribe a receiver, upload two hourly batches, print the alerts (DemoError-free:
    raises RuntimeError when an alert does not arrive)."""
    chosen = steady_stores(report_csv, stack.data_dir / "menu_hours.csv")
    if not chosen:
        raise RuntimeError("no store open round the clock is up now: nothing to take down")
    receiver = Receiver().start()
    try:
        status, answer = stack.http(
            "POST",
            f"{stack.api}/subscriptions",
            {"url": receiver.url, "store_ids": chosen},
            token=stack.token,
        )
        if status != 201:
            raise RuntimeError(f"POST /subscriptions answered {status}: {answer}")
        receiver.secret = answer["secret"]
        say(f"[6/8] subscribed {receiver.url} to stores {', '.join(chosen)} -> {status}")
        _batches(stack, receiver, (chosen, report_csv, parse_now(now)), say)
    finally:
        receiver.stop()


def _batches(
    stack: Stack,
    receiver: Receiver,
    what: tuple[list[str], str, datetime],
    say: Callable[[str], None],
) -> None:
    chosen, report_csv, now = what
    stores = [r["store_id"] for r in csv.DictReader(io.StringIO(report_csv))]
    first = batch_csv(stores, now, set(chosen), seed=1)
    second = batch_csv(stores, now + HOUR, set(), seed=2)
    for step, (hour, kind, polls) in enumerate(
        ((1, "store.down", first), (2, "store.recovered", second)), start=7
    ):
        uploaded = time.monotonic()
        key = upload_batch(stack.s3, stack.bucket, f"hour-{hour}", polls)
        say(f"[{step}/8] uploaded {key} ({len(stores):,} polls): waiting for {kind}")
        got = receiver.wait_for(kind, chosen, timeout=300)
        for alert in sorted(got, key=lambda a: a.event["data"]["store_id"]):
            say(describe(alert, uploaded))
        missing = set(chosen) - {a.event["data"]["store_id"] for a in got}
        if missing:
            raise RuntimeError(f"no {kind} arrived for {', '.join(sorted(missing))}")
    say(
        f"      {len(receiver.alerts)} alerts received, every signature verified "
        f"(standardwebhooks), {receiver.rejected} rejected; ids: "
        + json.dumps(sorted({a.webhook_id for a in receiver.alerts}))
    )
