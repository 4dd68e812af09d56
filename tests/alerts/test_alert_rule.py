"""SPEC §10's notification rule: the service's pure evaluation (candidates from the mirror,
then the rule per identity) against the plain reference ``reference_alerts``, for several
audiences at once (the topic at M, webhook subscriptions at their own min_minutes and
stores), over random batch sequences; and the hand-computed identities of the issue."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from storemon.alerting.rule import (
    DOWN,
    RECOVERED,
    Audience,
    State,
    View,
    minutes_to_ticks,
    notification,
    step,
    webhook_id,
)
from tests.alerts.replay import Replay
from tests.engine.reference_periods import reference_alerts
from tests.engine.test_properties import build, dataset
from tests.engine.test_reference_periods import OPEN_ALWAYS, T0, ZONES, H

MINUTES = (0, 30, 90)


def audiences_for(stores: list[str]) -> list[Audience]:
    """The topic at M = 0, subscriptions at 30 and 90 minutes for every store, and one at 0
    for the first store only."""
    out = [Audience(None, 0)]
    out += [Audience(f"every-{m}", minutes_to_ticks(m)) for m in MINUTES[1:]]
    out.append(Audience("first-store", 0, frozenset(stores[:1])))
    return out


def expected(batches, hours, zones, audience: Audience, stores_of_audience) -> list[list]:
    minutes = audience.threshold // minutes_to_ticks(1)
    per_ingest = reference_alerts(batches, hours, zones, min_minutes=minutes)
    return [[n for n in notes if stores_of_audience(n[1])] for notes in per_ingest]


batch_plan = st.lists(st.tuples(st.integers(0, 3), st.booleans()), min_size=1, max_size=5)


@given(dataset, batch_plan, st.data())
def test_the_evaluation_agrees_with_the_reference_for_every_audience(data, plan, draw):
    polls, hours, zones, _ = build(data)
    stores = sorted({s for s, *_ in polls})
    # batches: each poll goes to one of the batches, some polls again to a later one
    # (overlapping, duplicate and old-polls-only batches happen by themselves)
    count = len(plan)
    picks = draw.draw(st.lists(st.integers(0, count - 1), min_size=len(polls)))
    picks = (picks + [count - 1] * len(polls))[: len(polls)]
    batches: list[list] = [[] for _ in range(count)]
    for poll, index in zip(polls, picks, strict=True):
        batches[index].append(poll)
        again, _ = plan[index]
        if again and index + 1 < count:
            batches[index + 1].append(poll)
    batches = [b for b in batches if b] or [polls]
    audiences = audiences_for(stores)
    replay = Replay(hours, zones, audiences)
    got = [
        replay.ingest(b, lose_mirror=plan[i % len(plan)][1] and i % 2 == 1)
        for i, b in enumerate(batches)
    ]
    for audience in audiences:
        want = expected(batches, hours, zones, audience, audience.covers)
        assert [g[audience.subscription_id] for g in got] == want, audience


def test_an_incident_ongoing_across_batches_is_notified_once_then_recovers():
    # active at T0, inactive at T0+1h (flip at T0+30min), still inactive at T0+2h, active at
    # T0+3h (flip at T0+2h30): one down (ongoing, 30 business minutes), then nothing, then one
    # recovered with the whole stretch's 120 minutes.
    replay = Replay(OPEN_ALWAYS, ZONES, [Audience(None, 0)])
    first = replay.ingest([("A", True, T0), ("A", False, T0 + H)])[None]
    assert first == [(DOWN, "A", 2 * T0 + H, 2 * (T0 + H), 60 * 2_000_000 * 30, True)]
    assert replay.ingest([("A", False, T0 + 2 * H)])[None] == []
    last = replay.ingest([("A", True, T0 + 3 * H)])[None]
    end = 2 * (T0 + 2 * H) + H
    assert last == [(RECOVERED, "A", 2 * T0 + H, end, end - (2 * T0 + H), False)]


def test_a_closed_incident_revealed_by_one_batch_gets_one_down_and_no_recovered():
    replay = Replay(OPEN_ALWAYS, ZONES, [Audience(None, 0)])
    batch = [("A", True, T0), ("A", False, T0 + H), ("A", True, T0 + 2 * H)]
    [(kind, *_, ongoing)] = replay.ingest(batch)[None]
    assert (kind, ongoing) == (DOWN, False)
    assert replay.ingest([("A", True, T0 + 3 * H)])[None] == []


def test_a_duplicate_batch_and_an_overlapping_batch_send_nothing_new():
    replay = Replay(OPEN_ALWAYS, ZONES, [Audience(None, 0)])
    batch = [("A", True, T0), ("A", False, T0 + H)]
    assert len(replay.ingest(batch)[None]) == 1
    assert replay.ingest(batch)[None] == []
    # overlapping: the same polls and one more inactive one: the same ongoing incident
    assert replay.ingest([*batch, ("A", False, T0 + 2 * H)])[None] == []


def test_an_outage_longer_than_a_week_keeps_one_identity():
    day = 24 * H
    replay = Replay(OPEN_ALWAYS, ZONES, [Audience(None, 0)])
    assert len(replay.ingest([("A", False, T0), ("A", False, T0 + H)])[None]) == 1
    for n in range(1, 10):
        assert replay.ingest([("A", False, T0 + n * day)])[None] == []
    [(kind, _, start, end, business, _)] = replay.ingest([("A", True, T0 + 10 * day)])[None]
    assert (kind, start, end) == (RECOVERED, 2 * T0, 2 * (T0 + 9 * day) + day)
    assert business == end - start  # open 24/7: the whole stretch, nine and a half days


def test_the_threshold_waits_for_enough_business_minutes_per_audience():
    # inactive from T0+30min: 30 minutes at T0+1h, 90 at T0+2h, 150 at T0+3h
    replay = Replay(OPEN_ALWAYS, ZONES, [Audience(None, 0), Audience("s90", minutes_to_ticks(90))])
    first = replay.ingest([("A", True, T0), ("A", False, T0 + H)])
    assert (len(first[None]), first["s90"]) == (1, [])
    second = replay.ingest([("A", False, T0 + 2 * H)])
    assert second[None] == []
    assert [n[0] for n in second["s90"]] == [DOWN]
    assert second["s90"][0][4] == minutes_to_ticks(90)
    third = replay.ingest([("A", True, T0 + 3 * H)])
    assert [n[0] for n in third[None]] == [n[0] for n in third["s90"]] == [RECOVERED]


def test_a_batch_of_only_old_polls_moves_a_start_and_notifies_again():
    replay = Replay(OPEN_ALWAYS, ZONES, [Audience(None, 0)])
    [first] = replay.ingest([("A", True, T0), ("A", False, T0 + 2 * H)])[None]
    [second] = replay.ingest([("A", False, T0 + H // 2)])[None]
    assert (first[2], second[2]) == (2 * T0 + 2 * H, 2 * T0 + H // 2)


def test_a_lost_mirror_costs_reads_not_notifications():
    replay = Replay(OPEN_ALWAYS, ZONES, [Audience(None, 0)])
    batch = [("A", True, T0), ("A", False, T0 + H), ("A", True, T0 + 2 * H)]
    replay.ingest(batch)
    reads = replay.reads
    assert replay.ingest([("A", True, T0 + 3 * H)])[None] == []
    assert replay.reads == reads  # known and closed: not read again
    assert replay.ingest([("A", True, T0 + 4 * H)], lose_mirror=True)[None] == []
    assert replay.reads == reads + 1  # unknown: read, nothing owed


def test_an_audience_created_later_gets_its_down_when_the_incident_reaches_its_threshold():
    view = View("A", 10, 20, minutes_to_ticks(45), True, True)
    told_zero = step(State(), view, [0]).state  # the topic at 0 was told at 45 minutes
    later = View("A", 10, 30, minutes_to_ticks(61), True, True)
    result = step(told_zero, later, [0, minutes_to_ticks(60)])
    assert result.down == (minutes_to_ticks(45), minutes_to_ticks(61))
    assert result.state.open_ranges == ((-1, minutes_to_ticks(45)), result.down)


def test_the_notification_json_and_its_stable_id():
    view = View("8419537941919820732", 4, 10, minutes_to_ticks(75), True, True)
    texts = {"start_utc": "2023-01-23T16:45:00.000000Z", "end_utc": "2023-01-23T18:00:00.000000Z"}
    body = notification(DOWN, view, texts, "2023-01-23T18:00:05.000000Z")
    assert body == {
        "type": "store.down",
        "timestamp": "2023-01-23T18:00:05.000000Z",
        "data": {
            "store_id": "8419537941919820732",
            "start_utc": "2023-01-23T16:45:00.000000Z",
            "end_utc": "2023-01-23T18:00:00.000000Z",
            "business_minutes": 75.0,
            "ongoing": True,
        },
    }
    assert webhook_id(DOWN, view.store_id, 4) == webhook_id(DOWN, view.store_id, 4)
    assert webhook_id(DOWN, view.store_id, 4) != webhook_id(RECOVERED, view.store_id, 4)
    assert webhook_id(DOWN, view.store_id, 4) != webhook_id(DOWN, view.store_id, 5)
    assert webhook_id(DOWN, view.store_id, 4).startswith("msg_")
