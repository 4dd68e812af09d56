"""The alerts' pure evaluation, replayed over batches without AWS: the reference's alert
incidents after each ingest -> the candidates (with a mirror) -> the rule per identity, with
an in-memory state table. What the service does around DynamoDB, minus the I/O."""

from __future__ import annotations

import pandas as pd

from storemon.alerting import candidates
from storemon.alerting.rule import Audience, State, View, identity_key, notices
from tests.engine.reference_periods import alert_incidents

TIMESTAMP = "2023-01-01T00:00:00.000000Z"


def view_of(found: dict) -> pd.DataFrame:
    """reference_periods.alert_incidents' dict as the service's view frame."""
    rows = sorted(found.items())
    return pd.DataFrame(
        {
            "store_id": pd.Series([s for (s, _), _ in rows], dtype=object),
            "start_tick": pd.Series([t for (_, t), _ in rows], dtype="int64"),
            "end_tick": pd.Series([v[0] for _, v in rows], dtype="int64"),
            "business_ticks": pd.Series([v[1] for _, v in rows], dtype="int64"),
            "ongoing": pd.Series([v[2] for _, v in rows], dtype=bool),
            "in_week": pd.Series([v[3] for _, v in rows], dtype=bool),
            "start_utc": pd.Series([str(t) for (_, t), _ in rows], dtype=object),
            "end_utc": pd.Series([str(v[0]) for _, v in rows], dtype=object),
        }
    )


class Replay:
    """Ingest batches one after another; ``ingest`` returns, per audience (its subscription
    id, or None for the topic), the notifications as reference_alerts lists them."""

    def __init__(self, hours, zones, audiences: list[Audience]):
        self.hours, self.zones, self.audiences = hours, zones, audiences
        self.history: set = set()
        self.states: dict[str, State] = {}
        self.mirror = candidates.empty_mirror()
        self.reads = 0

    def ingest(self, batch, *, lose_mirror: bool = False) -> dict:
        self.history |= set(batch)
        polls = sorted(self.history, key=lambda p: (p[0], p[2], p[1]))
        view = view_of(alert_incidents(polls, self.hours, self.zones))
        if lose_mirror:
            self.mirror = candidates.empty_mirror()
        chosen = candidates.select(view, self.mirror, self.audiences)
        sent: dict = {a.subscription_id: [] for a in self.audiences}
        seen = []
        for row in chosen.itertuples(index=False):
            key = identity_key(row.store_id, int(row.start_tick))
            self.reads += 1
            incident = View(
                row.store_id,
                int(row.start_tick),
                int(row.end_tick),
                int(row.business_ticks),
                bool(row.ongoing),
                bool(row.in_week),
            )
            texts = {"start_utc": row.start_utc, "end_utc": row.end_utc}
            step, owed = notices(
                self.states.get(key, State()), incident, self.audiences, texts, TIMESTAMP
            )
            self.states[key] = step.state
            seen.append((row.store_id, int(row.start_tick), step.state))
            for notice in owed:
                item = (
                    notice.payload["type"],
                    row.store_id,
                    int(row.start_tick),
                    int(row.end_tick),
                    int(row.business_ticks),
                    bool(row.ongoing),
                )
                if notice.topic:
                    sent[None].append(item)
                for sub in notice.subscriptions:
                    sent[sub].append(item)
        self.mirror = candidates.next_mirror(view, self.mirror, candidates.states_frame(seen))
        return {k: sorted(v, key=lambda n: (n[1], n[2])) for k, v in sent.items()}
