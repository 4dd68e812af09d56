"""A batch's alerts, its report and its status now read the same polls of the poll history:
the last polls read, their selection and their span of evidence are kept per process and given
again (the same objects) when asked again with the same inputs, never for other ones."""

from __future__ import annotations

from storemon.history.answer import polls_for
from storemon.history.ingest import add_batch, new_manifest, set_inputs
from storemon.report.periods import Period
from storemon.report.span import span_evidence
from storemon.report.timeline import select_polls

HOURS = b"store_id,day,start_time_local,end_time_local\n1,0,09:00:00,17:00:00\n"
ZONES = b"store_id,timezone_str\n1,America/Chicago\n"
BATCH_1 = (
    b"store_id,status,timestamp_utc\n"
    b"1,active,2023-01-23 15:00:00 UTC\n2,inactive,2023-01-23 16:00:00 UTC\n"
)
BATCH_2 = b"store_id,status,timestamp_utc\n1,inactive,2023-01-23 17:00:00 UTC\n"


def history_after(*batches: bytes) -> tuple[dict, dict[str, bytes]]:
    objects: dict[str, bytes] = {}
    files = {"hours": ("hours.csv", HOURS), "timezones": ("zones.csv", ZONES)}
    update = set_inputs(new_manifest(), objects.__getitem__, files)
    objects.update(update.objects)
    for number, batch in enumerate(batches):
        update = add_batch(update.manifest, objects.__getitem__, batch, f"b{number}.csv")
        objects.update(update.objects)
    return update.manifest, objects


def read(manifest: dict, objects: dict[str, bytes]):
    return polls_for(manifest, objects.__getitem__, period=Period(), incidents=True)


def test_the_same_history_gives_the_same_polls_selection_and_span():
    manifest, objects = history_after(BATCH_1)
    first, again = read(manifest, objects), read(manifest, objects)
    assert again.polls is first.polls
    assert first.polls.time_us.tolist() == [1674486000000000, 1674489600000000]
    now_us = int(first.polls.time_us.max())
    selected = select_polls(first.polls, now_us, None)
    assert select_polls(again.polls, now_us, None) is selected
    assert selected.store_id.tolist() == ["1", "2"] and selected.active.tolist() == [True, False]
    # another now, or some stores only: selected again, not the kept one
    assert select_polls(first.polls, now_us - 1, None) is not selected
    assert select_polls(first.polls, now_us, ["1"]).store_id.tolist() == ["1"]
    parsed = (first.polls, first.hours, first.zones, first.closures)
    assert span_evidence(*parsed) is span_evidence(*parsed)


def test_a_new_batch_reads_and_selects_again():
    manifest, objects = history_after(BATCH_1)
    before = read(manifest, objects)
    manifest, objects = history_after(BATCH_1, BATCH_2)
    after = read(manifest, objects)
    assert after.polls is not before.polls
    assert len(after.polls.time_us) == 3 and after.polls.stats.rows_read == 3
    now_us = int(after.polls.time_us.max())
    selected = select_polls(after.polls, now_us, None)
    assert selected.active.tolist() == [True, False, False]  # store 1: active, inactive
