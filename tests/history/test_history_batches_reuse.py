"""What a process keeps from one batch's report to the next (the decoded partitions, their
store codes, the stores' calendar from hours and zones, which polls of each partition are
inside business hours, the polls taken in (store, time) order so that the selection finds
them sorted) gives the same report as a fresh computation, batch after batch across UTC
midnight; and the same as the engine given every poll in any order (which sorts them
itself)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np

from storemon.history import answer, part_evidence, partition, store_codes
from storemon.history.answer import report_from_history
from storemon.history.ingest import add_batch, new_manifest, parsed_inputs, set_inputs
from storemon.inputs.status_reader import read_status
from storemon.page.periods import page_asks
from storemon.report import business_hours, timeline
from storemon.report.incidents import incidents_to_csv
from storemon.report.pipeline import report_from_parsed
from storemon.report.result import report_to_csv

STORES = [str(10**18 + 7919 * n) for n in range(36)]  # ids past float precision
ZONES = ["America/Chicago", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "Nope/Zone"]
START = datetime(2023, 3, 11, 2, 0, tzinfo=UTC)  # US DST starts 2023-03-12, 07:00-08:00 UTC


def hours_csv(rng: np.random.Generator) -> bytes:
    lines = ["store_id,day,start_time_local,end_time_local"]
    for store in STORES[:-6]:  # the last six have no hours: open 24/7
        for day in rng.choice(7, size=int(rng.integers(1, 8)), replace=False):
            start, length = int(rng.integers(0, 24)), int(rng.integers(1, 30))
            end = (start + length) % 24
            lines.append(f"{store},{day},{start:02d}:00:00,{end:02d}:30:00")
    return ("\n".join(lines) + "\n").encode()


def zones_csv() -> bytes:
    rows = [f"{s},{ZONES[n % len(ZONES)]}" for n, s in enumerate(STORES[:-3])]
    return ("store_id,timezone_str\n" + "\n".join(rows) + "\n").encode()


def polls_csv(rng: np.random.Generator, start: datetime, hours: int, per_hour: int) -> bytes:
    lines = ["store_id,status,timestamp_utc"]
    for _ in range(hours * per_hour):
        store = STORES[int(rng.integers(0, len(STORES) - 2))]  # two stores never poll
        at = start + timedelta(seconds=int(rng.integers(0, hours * 3600)))
        status = "active" if rng.random() < 0.7 else "inactive"
        lines.append(f"{store},{status},{at:%Y-%m-%d %H:%M:%S} UTC")
    return ("\n".join(lines) + "\n").encode()


KEPT = (answer._LAST_POLLS, timeline._LAST_SELECTED, business_hours._LAST_HOURS)
NEWEST = (answer._DECODED, part_evidence._KEPT, store_codes._CODES)


def fresh_report(manifest: dict, load, **asked):
    """The report computed with nothing kept, the process's kept state left as it was."""
    entries = [kept._entries for kept in KEPT]
    newest = [(memo, memo.snapshot()) for memo in NEWEST]
    dictionary = list(store_codes._CURRENT)
    for memo in (*KEPT, *NEWEST):
        memo.clear()
    store_codes._CURRENT.clear()
    try:
        return report_from_history(manifest, load, **(asked or {"incidents": True}))
    finally:
        store_codes._CURRENT[:] = dictionary
        for memo, entry in newest:
            memo.restore(entry)
        for kept, entry in zip(KEPT, entries, strict=True):
            kept._entries = entry


def outputs(result) -> tuple[str, str, str]:
    summary = {k: v for k, v in result.summary_json().items() if k != "duration_seconds"}
    summary.pop("history", None)
    return (
        report_to_csv(result.report),
        incidents_to_csv(result.incidents),
        json.dumps(summary, sort_keys=True, default=str),
    )


def base_history(rng: np.random.Generator):
    """A history of 9 days of polls (its base), its hours and zones: (update, objects, base)."""
    objects: dict[str, bytes] = {}
    files = {"hours": ("hours.csv", hours_csv(rng)), "timezones": ("zones.csv", zones_csv())}
    update = set_inputs(new_manifest(), objects.__getitem__, files)
    objects.update(update.objects)
    base = polls_csv(rng, START - timedelta(days=9), 9 * 24, 40)
    update = add_batch(update.manifest, objects.__getitem__, base, "base.csv", base=True)
    objects.update(update.objects)
    return update, objects, base


def test_kept_state_gives_the_fresh_report_batch_after_batch_across_midnight():
    rng = np.random.default_rng(5)
    update, objects, base = base_history(rng)
    every = [base]
    for hour in range(34):  # 02:00 on the 11th to 12:00 on the 12th: two midnights, a DST change
        batch = polls_csv(rng, START + timedelta(hours=hour), 1, 30)
        if hour % 7 == 3:  # a late poll of an earlier day, and one repeated
            late = START - timedelta(hours=30)
            batch += f"{STORES[3]},inactive,{late:%Y-%m-%d %H:%M:%S}\n".encode()
            batch += batch.split(b"\n")[1] + b"\n"
        update = add_batch(update.manifest, objects.__getitem__, batch, f"hour-{hour}.csv")
        objects.update(update.objects)
        every.append(batch)
        manifest, load = update.manifest, objects.__getitem__
        kept = report_from_history(manifest, load, incidents=True)
        assert outputs(kept) == outputs(fresh_report(manifest, load)), f"hour {hour}"
        page_reports(manifest, load, kept)  # other calendars over the same partitions
        if hour % 6 == 5:  # the engine given every poll, shuffled: it sorts them itself
            assert outputs(kept)[:2] == engine_outputs(every, manifest, load, rng)[:2]
        kept_again = report_from_history(manifest, load, incidents=True)
        assert outputs(kept_again) == outputs(kept)


def page_reports(manifest: dict, load, kept) -> None:
    """The page's month and 30 days of the report (as a refresh makes them after it), kept
    state and fresh alike."""
    for period, as_of in page_asks(kept.summary_json()["now"]):
        asked = {"period": period, "as_of": as_of}
        made = report_table(report_from_history(manifest, load, **asked))
        assert made == report_table(fresh_report(manifest, load, **asked))


def report_table(result) -> str:
    return result.report.to_csv(index=False)


def engine_outputs(batches: list[bytes], manifest: dict, load, rng) -> tuple[str, str, str]:
    union = b"".join([batches[0]] + [b.split(b"\n", 1)[1] for b in batches[1:]])
    polls = read_status(union, "every.csv")
    order = rng.permutation(len(polls.time_us))
    shuffled = type(polls)(
        polls.store_ids, polls.store[order], polls.time_us[order], polls.active[order], polls.stats
    )
    assert not timeline.in_order(shuffled.store[:50], shuffled.time_us[:50])
    hours, zones, closures = parsed_inputs(manifest, load)
    return outputs(report_from_parsed(shuffled, hours, zones, incidents=True, closures=closures))


def test_in_order_tells_sorted_distinct_polls():
    assert timeline.in_order(np.array([0, 0, 1]), np.array([5, 6, 1]))
    assert not timeline.in_order(np.array([0, 0, 1]), np.array([5, 5, 1]))  # one instant twice
    assert not timeline.in_order(np.array([0, 1, 0]), np.array([5, 6, 7]))
    assert not timeline.in_order(np.array([0, 0]), np.array([6, 5]))
    assert timeline.in_order(np.array([], dtype=np.int64), np.array([], dtype=np.int64))


def test_store_codes_are_np_uniques_whatever_was_kept():
    def part(*ids: bytes):
        n = len(ids)
        return partition.build(
            np.array(ids), np.arange(n), np.arange(n, dtype=np.int64), *[np.ones(n, np.int8)] * 2
        )

    def expected(parts):
        width = max(p.store_id.dtype.itemsize for p in parts)
        every = np.concatenate([p.store_id.astype(f"S{width}") for p in parts])
        distinct, code = np.unique(every, return_inverse=True)
        return [str(i, "utf-8") for i in distinct], code.reshape(-1).tolist()

    store_codes.forget()
    a, b = part(b"7", b"30", b"4"), part(b"30", b"5")
    wider, fewer = part(b"123456789012345678901", b"4"), part(b"5")
    for parts in ([a, b], [b], [a, b, wider], [b, a], [fewer], [a, fewer, b]):
        ids, code = store_codes.store_codes(parts)
        assert (ids.tolist(), code.tolist()) == expected(parts)


def test_the_next_batch_asks_the_calendar_about_its_own_day_only(monkeypatch):
    """Whatever else was reported in between (the page's month and 30 days), the next batch's
    report asks which polls are inside business hours for the partition it changed only."""
    rng = np.random.default_rng(8)
    update, objects, base = base_history(rng)
    asked: list[int] = []
    is_open = business_hours.StoreCalendar.is_open

    def counted(calendar, rank, tick):
        asked.append(len(rank))
        return is_open(calendar, rank, tick)

    monkeypatch.setattr(business_hours.StoreCalendar, "is_open", counted)
    for hour in range(3):  # 02:00 to 05:00 on the 11th: one day changed each time
        batch = polls_csv(rng, START + timedelta(hours=hour), 1, 30)
        update = add_batch(update.manifest, objects.__getitem__, batch, f"hour-{hour}.csv")
        objects.update(update.objects)
        asked.clear()
        kept = report_from_history(update.manifest, objects.__getitem__, incidents=True)
        day = [e for e in update.manifest["partitions"].values() if e["day"] == 19427][0]
        if hour > 0:
            assert asked == [day["polls"]]
        page_reports(update.manifest, objects.__getitem__, kept)


def test_newest_keeps_the_last_ones_used():
    from storemon.report.last_made import Newest

    kept: Newest[str, int] = Newest(2)
    kept.keep("a", 1)
    kept.keep("b", 2)
    assert kept.get("a") == 1  # used: now the newest
    kept.keep("c", 3)
    assert (kept.get("b"), kept.get("a"), kept.get("c")) == (None, 1, 3)
    aside = kept.snapshot()
    kept.clear()
    assert kept.get("a") is None
    kept.restore(aside)
    assert kept.get("c") == 3
