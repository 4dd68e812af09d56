"""``alert_store.write_states``: the states' conditional writes made concurrently, each
written or refused on its own, the answers in the writes' order (moto's DynamoDB)."""

from __future__ import annotations

from storemon.alerting.rule import State
from storemon.service import alert_store, aws
from storemon.service.settings import Settings


def write(key: str, old_version: int) -> alert_store.StateWrite:
    return alert_store.StateWrite(key, ("1001", 7), State(), old_version, "2023-01-25T00Z", True)


def test_each_state_is_written_unless_another_moved_it_first(stack, monkeypatch):
    monkeypatch.setenv("ALERTS_TABLE", stack["alerts_table"])
    settings = Settings.from_env()
    assert alert_store.write_states(settings, [write("taken", 0)]) == [True]
    writes = [write(f"k{i}", 0) for i in range(30)]
    writes.insert(20, write("taken", 0))  # exists already: refused
    writes.append(write("moved", 3))  # no such version: refused

    assert alert_store.write_states(settings, writes) == [True] * 20 + [False] + [True] * 10 + [
        False
    ]
    assert aws.get_item(stack["alerts_table"], {"alert_key": "k29"})["version"] == 1
    assert alert_store.write_states(settings, [write("taken", 1), write("k0", 1)]) == [True, True]
    assert alert_store.write_states(settings, []) == []
