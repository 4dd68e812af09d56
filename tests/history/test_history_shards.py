"""Store shards of a report from a poll history (issue 18): the coordinator decides from the
manifest alone, each shard reads only its buckets' slices of the objects its span needs (range
reads), and the assembled report equals the one-worker report from the history byte for
byte (report CSV, summary with its ``history``, per-store file, incidents, page with the
month and the 30 days, status now), for several shard counts (more shards than stores: empty
shards), requests (§5's windows with incidents, ``as_of``, a store filter, the month window,
a range day by day) and with closures; the bytes each shard reads fall as 1/shards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storemon.history import shard_history, shard_work
from storemon.history.answer import report_and_polls, report_from_history
from storemon.page.periods import page_periods
from storemon.page.render import render_report_page
from storemon.report.current_status import status_of_span
from storemon.report.incidents import incidents_to_csv
from storemon.report.periods import Period
from storemon.report.result import ReportResult, report_to_csv
from storemon.report.span import span_evidence
from storemon_dev.cli import main
from storemon_dev.generate.dataset import generate_csv_bytes

STORES, DAYS = 60, 12
CLOSURES = (
    "store_id,start_local,end_local,reason\n"
    "*,{day} 06:00,{day} 11:00,maintenance\n"
    "{store},{day} 00:00,{day} 23:00,refit\n"
)


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Path:
    """A history of a base (the older half of the polls) and two batches (the rest, one
    overlapping the base), carry lag 2 days: the windows read the carry and a few days, the
    month the retained carry and every day."""
    folder = tmp_path_factory.mktemp("shards")
    data = generate_csv_bytes(stores=STORES, days=DAYS, seed=11)
    header, *rows = data["status"].decode().splitlines(keepends=True)
    rows.sort(key=lambda row: row.rsplit(",", 1)[1])
    half = len(rows) // 2
    store, day = rows[0].split(",")[0], rows[-1].rsplit(",", 1)[1][:10]
    files = {
        "base.csv": header + "".join(rows[:half]),
        "b1.csv": header + "".join(rows[half - 50 : half + half // 2]),
        "b2.csv": header + "".join(rows[half + half // 2 :]),
        "hours.csv": data["hours"].decode(),
        "zones.csv": data["timezones"].decode(),
        "closures.csv": CLOSURES.format(store=store, day=day),
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    into = ["ingest", "--into", str(folder / "h"), "--carry-lag-days", "2", "--status"]
    inputs = [f"--hours={folder / 'hours.csv'}", f"--timezones={folder / 'zones.csv'}"]
    assert main([*into, str(folder / "base.csv"), "--base", *inputs]) == 0
    assert main([*into, str(folder / "b1.csv"), f"--closures={folder / 'closures.csv'}"]) == 0
    assert main([*into, str(folder / "b2.csv")]) == 0
    return folder / "h"


def manifest_and_load(history: Path):
    manifest = json.loads((history / "manifest.json").read_text())

    def load(key: str) -> bytes:
        return (history / key).read_bytes()

    return manifest, load


def written(result: ReportResult, periods=None, status=None) -> dict:
    """The files the service writes from a result (the duration a measurement: 0)."""
    result.summary["duration_seconds"] = 0.0
    files = {
        "report": report_to_csv(result.report),
        "summary": json.dumps(result.summary_json(), indent=1),
        "stores": json.dumps(result.stores_document("r")),
    }
    if result.incidents is not None:
        files["incidents"] = incidents_to_csv(result.incidents)
    if periods is not None:
        files["page"] = render_report_page(result, periods=periods)
    if status is not None:
        files["status"] = status.to_csv(index=False)
    return files


def one_worker(history: Path, request: dict, *, page: bool, status: bool) -> dict:
    manifest, load = manifest_and_load(history)
    result, found = report_and_polls(manifest, load, name="history", **request)
    periods = None
    if page:

        def compute(period, as_of):
            asked = {"store_ids": request.get("store_ids"), "period": period, "as_of": as_of}
            return report_from_history(manifest, load, name="history", **asked)

        periods = page_periods(compute, result.summary["now"])
    tables = (found.polls, found.hours, found.zones, found.closures)
    now = status_of_span(span_evidence(*tables)) if status else None
    return written(result, periods, now)


def sharded(history: Path, request: dict, *, page: bool, status: bool, per_shard: int):
    """The files of the report in shards, and the bytes each shard read by range reads."""
    manifest, load = manifest_and_load(history)
    planned = shard_history.plan_history(
        manifest, load, per_shard, page=page, status=status, **request
    )
    assert planned is not None
    outputs, read = [], []
    for planned_input in planned.shard_inputs()[::-1]:  # any order
        data = shard_work.to_bytes(planned_input)  # as the service stores it
        given = shard_work.from_bytes(data, shard_history.HistoryShardInput)
        counted: list[int] = []

        def read_range(key: str, offset: int, size: int, counted=counted) -> bytes:
            data = load(key)[offset : offset + size]
            counted.append(len(data))
            return data

        outputs.append(shard_history.compute_history_shard(given, load, read_range))
        read.append(sum(counted))
    result, now, periods = shard_work.assemble_outputs(outputs, planned.plan)
    return written(result, periods, now), read[::-1]


def polls_of(history: Path) -> int:
    manifest, _ = manifest_and_load(history)
    return sum(int(e["polls"]) for e in manifest["partitions"].values())


REQUESTS = [
    pytest.param({"incidents": True}, True, True, id="full-with-page-and-status"),
    pytest.param({"as_of": "2023-01-20 12:00:00 UTC"}, False, False, id="as_of"),
    pytest.param({"store_ids": ["missing"], "incidents": True}, True, False, id="unknown-store"),
    pytest.param({"period": Period.of(windows=["month"])}, False, False, id="month"),
]


@pytest.mark.parametrize(("request_", "page", "status"), REQUESTS)
@pytest.mark.parametrize("shards", [2, 5, 96])
def test_a_sharded_history_report_equals_the_one_worker_report(
    history, request_, page, status, shards
):
    per_shard = -(-polls_of(history) // shards)
    expected = one_worker(history, request_, page=page, status=status)
    got, _ = sharded(history, request_, page=page, status=status, per_shard=per_shard)
    assert set(got) == set(expected)
    for name in expected:
        assert got[name] == expected[name], name


def test_a_range_day_by_day_of_some_stores_in_shards(history):
    ids = ["missing"]
    report = one_worker(history, {}, page=False, status=False)["report"]
    ids += [line.split(",")[0] for line in report.splitlines()[1:4]]
    request = {
        "store_ids": ids,
        "period": Period.of(start="2023-01-18 05:00:00", end="2023-01-22 17:30:00", daily=True),
    }
    expected = one_worker(history, request, page=False, status=False)
    got, _ = sharded(history, request, page=False, status=False, per_shard=1000)
    assert got == expected


def test_each_shard_reads_about_one_nth_of_the_polls(history):
    """The bytes a shard reads by range reads: each object's first 4 KiB (its header), then
    only its buckets' slices of the stores' and polls' arrays: about 1/n of the rest."""
    manifest, load = manifest_and_load(history)
    request = {"incidents": True}
    read_by_one = report_and_polls(manifest, load, **request)[0].summary["history"]["read"]
    objects = read_by_one["partitions"] + 1  # and the carry
    for shards in (2, 4, 8):
        per_shard = -(-polls_of(history) // shards)
        _, read = sharded(history, request, page=False, status=False, per_shard=per_shard)
        assert len(read) == shards
        beyond_headers = [n - objects * 4096 for n in read]
        assert max(beyond_headers) < 1.5 * read_by_one["bytes"] / shards, (shards, read)
        assert sum(beyond_headers) < read_by_one["bytes"]


def test_a_small_report_is_not_sharded(history):
    manifest, load = manifest_and_load(history)
    assert shard_history.plan_history(manifest, load, polls_of(history) * 2) is None
