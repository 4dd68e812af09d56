"""SPEC §10's history is exact: ``storemon report --history`` equals, byte for byte, the report
of one status file holding the union of the base and every batch (each poll once), whatever
the batches (overlapping, repeated, only old polls), closures, rarely polled stores, windows
(the carry's path and the retained carry's), ``as_of`` and store filters."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storemon_dev.cli import main
from tests.engine.test_period_properties import closure_rows, closures_strategy
from tests.engine.test_properties import _clock, _stamp, build, dataset

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
DAY_US = 86_400_000_000
STATUS_HEADER = "store_id,status,timestamp_utc\n"

# a store polled rarely: a few polls weeks before the anchor, none since
rare_polls = st.lists(
    st.tuples(st.booleans(), st.integers(-60 * DAY_US, -8 * DAY_US)), min_size=1, max_size=3
)
plans = st.fixed_dictionaries(
    {
        "batches": st.integers(1, 4),
        "seed": st.integers(0, 2**16),
        "overlap": st.floats(0, 0.5),
        "repeat_a_batch": st.booleans(),
        "old_only_batch": st.booleans(),
        "lag": st.sampled_from([1, 2, 8]),
        "windows": st.sampled_from([None, "hour,day", "week,month", "day,month"]),
        "stores": st.booleans(),
    }
)


def lines_of(polls) -> list[str]:
    return [f"{s},{'active' if a else 'inactive'},{_stamp(t)}" for s, a, t in polls]


def split(lines: list[str], polls, plan) -> list[list[str]]:
    """The base and the batches: every line in one of them, some in two (overlap), an
    optional batch of the oldest polls only."""
    rng = random.Random(plan["seed"])
    order = list(range(len(lines)))
    rng.shuffle(order)
    parts: list[list[str]] = [[] for _ in range(plan["batches"] + 1)]
    for number, at in enumerate(order):
        parts[number % len(parts)].append(lines[at])
        if rng.random() < plan["overlap"]:
            parts[rng.randrange(len(parts))].append(lines[at])
    if plan["old_only_batch"]:
        cut = sorted(t for *_, t in polls)[len(polls) // 3]
        parts.append([line for line, (*_, t) in zip(lines, polls, strict=True) if t <= cut])
    parts = [part for part in parts if part]  # a file without a poll fails its ingest
    if plan["repeat_a_batch"] and len(parts) > 1:
        parts.append(list(parts[1]))
    return parts


def write_inputs(folder: Path, hours, zones, closure_lines) -> dict[str, Path]:
    paths = {kind: folder / f"{kind}.csv" for kind in ("hours", "timezones", "closures")}
    paths["hours"].write_text(
        "store_id,day,start_time_local,end_time_local\n"
        + "".join(f"{s},{w},{_clock(a)},{_clock(b)}\n" for s, w, a, b in hours)
    )
    paths["timezones"].write_text(
        "store_id,timezone_str\n" + "".join(f"{s},{z}\n" for s, z in zones)
    )
    paths["closures"].write_text(
        "store_id,start_local,end_local,reason\n" + "".join(f"{x}\n" for x in closure_lines)
    )
    return paths


def report_options(plan, as_of, polls) -> list[str]:
    options = []
    if plan["windows"]:
        options += ["--windows", plan["windows"]]
    if as_of is not None:
        options += ["--as-of", _stamp(as_of)]
    if plan["stores"]:
        options += ["--stores", ",".join(sorted({s for s, *_ in polls})[:1] + ["nope"])]
    return options


def run_report(folder: Path, name: str, source: list[str], options: list[str]) -> tuple[str, str]:
    out, incidents = folder / f"{name}.csv", folder / f"{name}-incidents.csv"
    code = main(["report", *source, *options, "--out", str(out), "--incidents", str(incidents)])
    assert code == 0
    return out.read_text(), incidents.read_text()


@SETTINGS
@given(data=dataset, rare=st.lists(rare_polls, max_size=2), drawn=closures_strategy, plan=plans)
def test_report_from_history_equals_report_from_union(data, rare, drawn, plan):
    polls, hours, zones, as_of = build(data)
    anchor = max(t for *_, t in polls)
    for number, store in enumerate(rare):
        polls += [(f"77{number}", active, anchor + offset) for active, offset in store]
    _, closure_lines = closure_rows(data, drawn)
    lines = lines_of(polls)
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        inputs = write_inputs(folder, hours, zones, closure_lines)
        union = folder / "union.csv"
        union.write_text(STATUS_HEADER + "".join(f"{line}\n" for line in lines))
        history = folder / "history"
        for number, part in enumerate(split(lines, polls, plan)):
            batch = folder / f"batch{number}.csv"
            batch.write_text(STATUS_HEADER + "".join(f"{line}\n" for line in part))
            command = ["ingest", "--into", str(history), "--status", str(batch)]
            if number == 0:
                command += ["--base", "--carry-lag-days", str(plan["lag"])]
                command += ["--retention-days", "36500"]
                command += [f"--{kind}={path}" for kind, path in inputs.items()]
            assert main(command) == 0
        options = report_options(plan, as_of, polls)
        classic = [f"--{kind}={path}" for kind, path in inputs.items()]
        expected = run_report(folder, "union", ["--status", str(union), *classic], options)
        got = run_report(folder, "history", ["--history", str(history)], options)
    assert got == expected


def ingest_in_memory(parts: list[list[str]], inputs: dict[str, bytes], lag: int):
    """The history of ``parts`` (the first the base) kept in a dict, as the service keeps it."""
    from storemon.history.ingest import add_batch, new_manifest, set_inputs

    store: dict[str, bytes] = {}
    manifest = new_manifest(retention_days=36500, carry_lag_days=lag)
    files = {kind: (kind, data) for kind, data in inputs.items()}
    update = set_inputs(manifest, store.__getitem__, files)
    store.update(update.objects)
    manifest = update.manifest
    for number, part in enumerate(parts):
        body = (STATUS_HEADER + "".join(f"{line}\n" for line in part)).encode()
        update = add_batch(manifest, store.__getitem__, body, f"b{number}", base=number == 0)
        store.update(update.objects)
        manifest = update.manifest
    return manifest, store


@SETTINGS
@given(data=dataset, rare=st.lists(rare_polls, max_size=2), drawn=closures_strategy, plan=plans)
def test_status_and_alert_stretches_from_history_equal_the_unions(data, rare, drawn, plan):
    """What the service computes after a batch from the carry and the days of latest's
    span (polls_for): every store's status now (GET /stores/{id}/status) and SPEC §10's
    unclipped stretches (the alerts) that end after the carry's cut equal those of the
    union (an older stretch, outside the week and over, is not reproduced: docs/history.md)."""
    from storemon.history.answer import polls_for
    from storemon.inputs.closures import read_closures
    from storemon.inputs.parse import parse_input_files
    from storemon.report.alerts import alert_incidents
    from storemon.report.current_status import current_status
    from storemon.report.periods import Period

    polls, hours, zones, _ = build(data)
    anchor = max(t for *_, t in polls)
    for number, store in enumerate(rare):
        polls += [(f"77{number}", active, anchor + offset) for active, offset in store]
    _, closure_lines = closure_rows(data, drawn)
    lines = lines_of(polls)
    with tempfile.TemporaryDirectory() as temp:
        paths = write_inputs(Path(temp), hours, zones, closure_lines)
        inputs = {kind: path.read_bytes() for kind, path in paths.items()}
    manifest, store = ingest_in_memory(split(lines, polls, plan), inputs, plan["lag"])
    found = polls_for(manifest, store.__getitem__, period=Period(), incidents=True)
    union = (STATUS_HEADER + "".join(f"{line}\n" for line in lines)).encode()
    parsed = parse_input_files(union, inputs["hours"], inputs["timezones"])
    closures = read_closures(inputs["closures"])
    mine = (found.polls, found.hours, found.zones, found.closures)
    expected = current_status(*parsed, closures)
    assert current_status(*mine).equals(expected)
    cut = found.read["carry"] == "carry" and manifest["carry"]["cut_day"] * DAY_US * 2
    got, want = alert_incidents(*mine), alert_incidents(*parsed, closures)
    got_frame, want_frame = got.frame()[got.end_tick > cut], want.frame()[want.end_tick > cut]
    assert got_frame.reset_index(drop=True).equals(want_frame.reset_index(drop=True))
