"""`storemon serve` end to end: a subprocess on a free loopback port, driven over HTTP and the
emulated S3 as a user would, then stopped with SIGTERM."""

from __future__ import annotations

import csv
import http.client
import io
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import CHECKOUT_PATH, FAKE_AWS, ROOT

pytestmark = pytest.mark.slow

START_TIMEOUT = 60.0
REPORT_TIMEOUT = 30.0

# Hand-written inputs. now = 2023-01-23 12:00 UTC (a Monday), the newest poll (store 1002).
STATUS = """store_id,status,timestamp_utc
1001,active,2023-01-23 10:00:00 UTC
1001,inactive,2023-01-23 11:30:00 UTC
1002,active,2023-01-23 12:00:00 UTC
00042,inactive,2023-01-23 11:00:00.5 UTC
"""
HOURS = """store_id,dayOfWeek,start_time_local,end_time_local
1001,0,09:00:00,12:00:00
"""
TIMEZONES = """store_id,timezone_str
1001,UTC
"""
# Worked by hand (SPEC 4-5): 1001 is open Monday 09:00-12:00 UTC and flips at the 10:45
# midpoint; 1002 (24/7, one active poll) is up throughout; 00042 (24/7, one inactive poll) down.
# uptime: hour (min), day (h), week (h); then downtime likewise.
EXPECTED = {
    "00042": (0, 0, 0, 60, 24, 168),
    "1001": (0, 1.75, 1.75, 60, 1.25, 1.25),
    "1002": (60, 24, 168, 0, 0, 0),
}
COLUMNS = [
    "uptime_last_hour",
    "uptime_last_day",
    "uptime_last_week",
    "downtime_last_hour",
    "downtime_last_day",
    "downtime_last_week",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    def __init__(self, proc: subprocess.Popen, lines: dict[str, str], output: list[str]):
        self.proc = proc
        self.api = lines["API"]
        self.aws = lines["AWS"]
        self.bucket = lines["BUCKET"]
        self.token = lines["TOKEN"]  # an administrator's access token
        self.output = output

    # ---- HTTP helpers (plain stdlib, as a user's script would)
    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str | None] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(self.api)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        headers = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        headers = {k: v for k, v in headers.items() if v is not None}  # None: leave it out
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return (
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read(),
            )
        finally:
            conn.close()

    def json(
        self,
        method: str,
        path: str,
        payload: object = None,
        headers: dict[str, str | None] | None = None,
    ) -> tuple[int, dict]:
        body = None if payload is None else json.dumps(payload).encode()
        status, head, raw = self.request(method, path, body, headers)
        assert head.get("content-type", "").startswith("application/json"), (status, head, raw)
        return status, json.loads(raw)

    def wait_complete(self, report_id: str, path: str | None = None) -> dict:
        deadline = time.monotonic() + REPORT_TIMEOUT
        while time.monotonic() < deadline:
            status, body = self.json("GET", path or f"/get_report/{report_id}")
            assert status == 200, body
            if body["status"] == "Complete":
                return body
            assert body["status"] == "Running", body
            time.sleep(0.2)
        raise AssertionError(f"report {report_id} not Complete after {REPORT_TIMEOUT} s")

    def s3(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.aws,
            region_name=FAKE_AWS["AWS_REGION"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


def download(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode("utf-8")


def rows(csv_text: str) -> dict[str, tuple[float, ...]]:
    reader = csv.DictReader(io.StringIO(csv_text))
    assert reader.fieldnames == ["store_id", *COLUMNS]
    return {r["store_id"]: tuple(float(r[c]) for c in COLUMNS) for r in reader}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("inputs")
    (folder / "store_status.csv").write_text(STATUS)
    (folder / "menu_hours.csv").write_text(HOURS)
    (folder / "timezones.csv").write_text(TIMEZONES)
    (folder / "README.txt").write_text("not an input: not uploaded")
    return folder


def spawn_serve(data_dir: Path) -> tuple[Served, threading.Thread]:
    """``storemon serve`` on a free port, once its three start-up lines are out."""
    port = free_port()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (CHECKOUT_PATH, env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    command = ["storemon_dev.cli", "serve", "--port", str(port), "--data", str(data_dir)]
    proc = subprocess.Popen(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    found: queue.Queue[tuple[str, str]] = queue.Queue()

    def reader() -> None:  # keeps the pipe drained for the whole run
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            key, sep, value = line.strip().partition(": ")
            if sep and key in ("API", "AWS", "BUCKET", "TOKEN"):
                found.put((key, value))
        found.put(("EOF", ""))

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    lines: dict[str, str] = {}
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while len(lines) < 4:
            key, value = found.get(timeout=max(0.1, deadline - time.monotonic()))
            assert key != "EOF", "serve exited during start-up:\n" + "".join(output)
            lines[key] = value
    except BaseException:
        proc.kill()
        proc.wait(10)
        raise
    assert lines["API"] == f"http://127.0.0.1:{port}"
    return Served(proc, lines, output), thread


@pytest.fixture(scope="module")
def served(data_dir: Path):
    server, thread = spawn_serve(data_dir)
    proc, output = server.proc, server.output
    try:
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
            raise
        thread.join(10)
        log = "".join(output)
        assert code == 0, log
        assert "Traceback" not in log, log


def test_sigterm_with_nothing_in_flight_stops_at_once(data_dir: Path):
    """It took ~10 s: pollers joined through their long poll, then the interpreter's clean-up
    of moto's objects. Idle, it now ends in well under a second (bound loose for busy CI)."""
    server, thread = spawn_serve(data_dir)
    status, _ = server.json("GET", "/get_report/latest")  # a request served: warm and idle
    assert status == 404
    time.sleep(1.0)  # the start-up's s3:TestEvent delivered; the pollers wait on the queue
    started = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    try:
        code = server.proc.wait(30)
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
    elapsed = time.monotonic() - started
    thread.join(10)
    assert code == 0, "".join(server.output)
    assert elapsed < 3.0, f"SIGTERM took {elapsed:.1f} s"


def test_trigger_poll_download_and_compatibility_routes(served: Served, data_dir: Path):
    from storemon.report.pipeline import report_from_csv_bytes
    from storemon.report.result import report_to_csv

    status, body = served.json("POST", "/trigger_report")
    assert status == 202, body
    report_id = body["report_id"]
    assert uuid.UUID(report_id).version == 4
    done = served.wait_complete(report_id)
    assert done["report_id"] == report_id

    text = download(done["report_url"])
    assert rows(text) == {k: tuple(map(float, v)) for k, v in EXPECTED.items()}
    engine = report_from_csv_bytes(
        *(
            (data_dir / name).read_bytes()
            for name in ("store_status.csv", "menu_hours.csv", "timezones.csv")
        )
    )
    assert text == report_to_csv(engine.report)

    # the same report through the other forms of get_report
    status, by_query = served.json("GET", f"/get_report?report_id={report_id}")
    assert status == 200 and by_query["status"] == "Complete"
    assert by_query["report_id"] == report_id
    status, by_body = served.json("POST", "/get_report", {"report_id": report_id})
    assert status == 200 and by_body["status"] == "Complete"
    for path, headers in (
        (f"/get_report?report_id={report_id}&format=csv", {}),
        (f"/get_report/{report_id}", {"Accept": "text/csv"}),
    ):
        status, head, _ = served.request("GET", path, headers=headers)
        assert status == 303, (path, status)
        assert download(head["location"]) == text

    # one store, both methods
    for method in ("GET", "POST"):
        status, body = served.json(method, "/stores/1001/trigger_report")
        assert status == 202, body
        one = served.wait_complete(body["report_id"])
        assert rows(download(one["report_url"])) == {"1001": tuple(map(float, EXPECTED["1001"]))}

    status, summary = served.json("GET", "/store_summary?store_id=1001")
    assert status == 200, summary
    assert summary["store_id"] == "1001" and summary["polls"] == 2
    assert summary["timezone"] == "UTC" and summary["hours_defined"]


def test_json_errors(served: Served):
    cases = [
        ("GET", "/get_report/not-a-report-id", None, 400),
        ("GET", "/get_report", None, 400),
        ("POST", "/get_report", b"{not json", 400),
        ("POST", "/trigger_report", b"[1, 2", 400),
        ("POST", "/trigger_report", json.dumps({"store_ids": "1001"}).encode(), 400),
        ("GET", f"/get_report/{uuid.uuid4()}", None, 404),
        ("GET", f"/get_report?report_id={uuid.uuid4()}", None, 404),
        ("GET", "/no/such/route", None, 404),
        ("GET", "/store_summary", None, 400),
    ]
    for method, path, body, expected in cases:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        status, head, raw = served.request(method, path, body, headers)
        assert status == expected, (method, path, status, raw)
        assert head["content-type"].startswith("application/json"), (method, path, head)
        assert isinstance(json.loads(raw), dict), raw
    # a route that exists, with a method it does not have: a JSON 4xx too
    status, head, raw = served.request("DELETE", "/trigger_report")
    assert 400 <= status < 500 and head["content-type"].startswith("application/json")


def test_upload_through_s3_moves_latest(served: Served):
    status, before = served.json("GET", "/get_report/latest")
    assert status in (200, 404), before
    previous = before.get("report_id") if status == 200 else None
    if previous:  # whatever is there must be finished before the upload counts as newer
        served.wait_complete(previous)

    s3 = served.s3()
    assert {
        o["Key"] for o in s3.list_objects_v2(Bucket=served.bucket, Prefix="input/")["Contents"]
    } == {"input/store_status.csv", "input/menu_hours.csv", "input/timezones.csv"}
    # store 1002 now reports inactive at `now`
    s3.put_object(
        Bucket=served.bucket,
        Key="input/store_status.csv",
        Body=STATUS.replace("1002,active", "1002,inactive").encode(),
    )

    deadline = time.monotonic() + REPORT_TIMEOUT
    while True:
        status, latest = served.json("GET", "/get_report/latest")
        if status == 200 and latest["report_id"] != previous and latest["status"] == "Complete":
            break
        assert time.monotonic() < deadline, f"latest did not move: {status} {latest}"
        time.sleep(0.2)
    got = rows(download(latest["report_url"]))
    assert got["1002"] == (0.0, 0.0, 0.0, 60.0, 24.0, 168.0)
    assert got["1001"] == tuple(map(float, EXPECTED["1001"]))


def test_requests_need_an_access_token(served: Served):
    for authorization in (None, "Bearer", "Bearer not-a-jwt", f"Bearer {served.token}x"):
        status, head, raw = served.request(
            "POST", "/trigger_report", headers={"Authorization": authorization}
        )
        assert status == 401, (authorization, raw)
        assert json.loads(raw) == {"message": "Unauthorized"}
        assert head["www-authenticate"].startswith('Bearer scope="" error="invalid_token"')
    # storemon token makes an owner in the stack's pool; the authorizer lets its token through
    env = {**os.environ, "PYTHONPATH": CHECKOUT_PATH}
    run = subprocess.run(
        [sys.executable, "-m", "storemon_dev.cli", "token", "--aws", served.aws]
        + ["--user", "olivia", "--stores", "1001,1002"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    owner = run.stdout.strip()
    assert owner.count(".") == 2 and owner != served.token
    status, body = served.json(
        "GET", "/no/such/route", headers={"Authorization": f"Bearer {owner}"}
    )
    assert status == 404, body  # past the authorizer, the $default handler answered
