"""Store shards (issue 18): a report computed shard by shard and assembled equals the
one-worker report byte for byte: its CSV, incidents CSV and JSON, per-store file, summary and
page (``duration_seconds`` aside: a measurement), over random shard counts (more shards than
stores among them: empty shards), store sets (generated stores, plus ids that sort or
neutralise differently: formula-like, non-ASCII, short digits), store filters, ``as_of``
(before, inside and after the polls), periods (windows, ranges, day by day) and closures.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storemon.history import shards
from storemon.history.buckets import BUCKETS
from storemon.inputs.closures import read_closures
from storemon.inputs.parse import parse_input_files
from storemon.page.render import render_report_page
from storemon.report.incidents import incidents_to_csv
from storemon.report.periods import WINDOW_ORDER, Period
from storemon.report.pipeline import report_from_parsed
from storemon.report.result import ReportResult, report_to_csv
from storemon.service.report_files import incidents_document
from storemon_dev.generate.calibration import DEFAULT_END
from storemon_dev.generate.dataset import generate_csv_bytes

END = datetime.strptime(DEFAULT_END.removesuffix(" UTC"), "%Y-%m-%d %H:%M:%S.%f").replace(
    tzinfo=UTC
)
ODD_IDS = ["=1+2", "@sum", "-5", "9", "10", "é store", "Zed", "a", "ÿ", "店"]
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") + " UTC"


@st.composite
def data_sets(draw):
    """Generated files (random store count, days, seed) with a few odd ids' polls added."""
    stores = draw(st.integers(1, 40))
    days = draw(st.integers(1, 9))
    files = generate_csv_bytes(stores=stores, days=days, seed=draw(st.integers(0, 2**16)))
    odd = draw(st.lists(st.sampled_from(ODD_IDS), unique=True, max_size=4))
    lines = []
    for store in odd:
        for hours_back in draw(st.lists(st.integers(0, 24 * days), min_size=1, max_size=6)):
            status = draw(st.sampled_from(["active", "inactive"]))
            lines.append(f"{store},{status},{stamp(END - timedelta(hours=hours_back))}\n")
    files["status"] += "".join(lines).encode()
    return files


def closure_lines(draw, ids: list[str]) -> bytes:
    rows = ["store_id,start_local,end_local,reason"]
    for _ in range(draw(st.integers(0, 4))):
        who = draw(st.sampled_from([*ids[:6], "*"]))
        start = END - timedelta(hours=draw(st.integers(0, 24 * 9)))
        end = start + timedelta(hours=draw(st.integers(-1, 48)))
        rows.append(f"{who},{start:%Y-%m-%d %H:%M:%S},{end:%Y-%m-%d %H:%M:%S},shut")
    return ("\n".join(rows) + "\n").encode()


@st.composite
def requests(draw, ids: list[str]):
    """A report request: as_of, a store filter, a period, incidents, closures."""
    as_of = draw(st.one_of(st.none(), st.integers(-24 * 12, 24).map(_hours_from_end)))
    store_ids = draw(
        st.one_of(
            st.none(),
            st.lists(st.sampled_from([*ids[:12], "missing", " a "]), min_size=1, max_size=6),
        )
    )
    kind = draw(st.sampled_from(["classic", "windows", "range", "daily"]))
    period = Period()
    if kind == "windows":
        period = Period.of(windows=draw(st.sets(st.sampled_from(WINDOW_ORDER), min_size=1)))
    elif kind in ("range", "daily"):
        start = END - timedelta(hours=draw(st.integers(1, 24 * 10)))
        end = start + timedelta(hours=draw(st.integers(1, 24 * 4)))
        period = Period.of(start=stamp(start), end=stamp(end), daily=kind == "daily")
        as_of = None
    incidents = kind in ("classic", "windows") and draw(st.booleans())
    return {"as_of": as_of, "store_ids": store_ids, "period": period, "incidents": incidents}


def _hours_from_end(hours: int) -> str:
    return stamp(END + timedelta(hours=hours))


def outputs(result: ReportResult, full: bool) -> dict:
    """Every file the service writes from a result, as text (the duration set to 0); the
    page and the incidents' JSON are a full report's (§5's windows, with incidents)."""
    result.summary["duration_seconds"] = 0.0
    written = {
        "report": report_to_csv(result.report),
        "summary": json.dumps(result.summary_json(), indent=1),
        "stores": json.dumps(result.stores_document("r")),
    }
    if result.incidents is not None:
        written["incidents"] = incidents_to_csv(result.incidents)
    if result.incidents is not None and full:
        written["incidents_json"] = json.dumps(incidents_document("r", result))
        written["page"] = render_report_page(result)
    if result.closures is not None:
        written["closures"] = result.closures.to_csv(index=False)
    return written


def sharded(polls, hours, zones, closures, request, *, count: int) -> ReportResult:
    """The report shard by shard, the shards' results assembled in reverse order (the
    assembly does not rely on the order they finish in)."""
    plan = shards.plan_request(polls, hours, zones, closures, **request)
    parts = shards.split_polls(polls, shards.bucket_ranges(count))
    results = [shards.report_of_shard(part, hours, zones, closures, plan) for part in parts]
    return shards.assemble(results[::-1], plan)


@SETTINGS
@given(data=st.data(), files=data_sets(), count=st.one_of(st.integers(1, 12), st.just(48)))
def test_sharded_report_equals_the_one_worker_report(data, files, count):
    polls, hours, zones = parse_input_files(files["status"], files["hours"], files["timezones"])
    ids = sorted(str(s) for s in polls.store_ids)
    request = data.draw(requests(ids))
    closures = None
    if data.draw(st.booleans()):
        closures = read_closures(closure_lines(data.draw, ids))
    one = report_from_parsed(polls, hours, zones, closures=closures, **request)
    assembled = sharded(polls, hours, zones, closures, request, count=count)
    full = request["incidents"] and not request["period"].named
    assert outputs(assembled, full) == outputs(one, full)


def test_rows_read_and_skipped_are_counted_once_not_per_shard():
    files = generate_csv_bytes(stores=30, days=2, seed=4)
    files["status"] += b"1,active,not a time\n,active,2023-01-25 10:00:00 UTC\n"
    polls, hours, zones = parse_input_files(files["status"], files["hours"], files["timezones"])
    assembled = sharded(polls, hours, zones, None, {}, count=8)
    counts = assembled.summary["files"]["store_status"]
    assert counts["rows_read"] == files["status"].count(b"\n") - 1  # the header
    assert counts["skipped_reasons"] == {"invalid timestamp": 1, "missing store_id": 1}


def test_each_store_is_in_exactly_one_shard_and_its_bucket_says_which():
    files = generate_csv_bytes(stores=200, days=1, seed=9)
    polls, _, _ = parse_input_files(files["status"], files["hours"], files["timezones"])
    ranges = shards.bucket_ranges(7)
    parts = shards.split_polls(polls, ranges)
    assert sum(len(part.time_us) for part in parts) == len(polls.time_us)
    seen = np.concatenate([part.store_ids for part in parts])
    assert sorted(seen) == sorted(polls.store_ids)
    for (lo, hi), part in zip(ranges, parts, strict=True):
        bucket = shards.store_buckets(part.store_ids)
        assert ((bucket >= lo) & (bucket < hi)).all()


def test_bucket_ranges_are_contiguous_and_cover_every_bucket():
    assert shards.bucket_ranges(1) == [(0, 256)]
    assert shards.bucket_ranges(3) == [(0, 85), (85, 170), (170, 256)]
    assert shards.bucket_ranges(256)[:2] == [(0, 1), (1, 2)]
    with pytest.raises(ValueError):
        shards.bucket_ranges(257)


def test_shard_count_from_polls_per_shard():
    assert shards.shard_count(1_800_000, 100_000) == 18
    assert shards.shard_count(1_800_001, 100_000) == 19
    assert shards.shard_count(5, 100_000) == 1
    assert shards.shard_count(0, 100_000) == 1
    assert shards.shard_count(10**12, 100_000) == BUCKETS
