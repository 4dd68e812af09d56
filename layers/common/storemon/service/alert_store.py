"""The alerts' state in DynamoDB (``AlertsTable``, partition key ``alert_key``).

- one item per incident identity (``incident#<digest of store and start>``,
  :func:`storemon.alerting.rule.identity_key`): what its audiences were told
  (:class:`storemon.alerting.rule.State`), a ``version`` that every write checks
  (:func:`write_state`: a duplicate or concurrent evaluation never moves a state twice, so it
  never sends twice), and the ``evaluated_at`` of the ingest that wrote it;
- the ``cursor`` item: the newest ingest evaluated (``evaluated_at``), the lease of the
  evaluation running (``lease_token``, ``lease_until``: one at a time), and ``outbox_at``
  while an evaluation's notifications may be unsent (their list is in S3, see
  :mod:`storemon.service.alerts`).

``evaluated_at`` values are the ingests' own order (``latest``'s ``current_at`` today): ISO
UTC texts that sort as time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from storemon.alerting.rule import State, state_from_item, state_to_item
from storemon.clock.iso import utc_text
from storemon.service import aws
from storemon.service.records import utcnow
from storemon.service.settings import Settings, require
from storemon.service.together import together

KEY = "alert_key"
CURSOR = "cursor"
ACQUIRED, DONE, BUSY = "acquired", "done", "busy"
ENDED_KEPT_DAYS = 35  # an ended incident leaves the week in at most 7 days
ONGOING_KEPT_DAYS = 400


def _table(settings: Settings) -> str:
    return require(settings, "alerts_table")


def acquire(settings: Settings, ingest_at: str, token: str, lease_seconds: int) -> str:
    """Take the evaluation lease for the ingest `ingest_at`: ACQUIRED; DONE when that ingest
    or a newer one was evaluated already; BUSY while another evaluation holds the lease.
    `token` (the SQS message id) keeps the lease across its own redeliveries."""
    now = int(utcnow().timestamp())
    taken = aws.update_item(
        _table(settings),
        {KEY: CURSOR},
        {"lease_token": token, "lease_until": now + lease_seconds},
        condition="(attribute_not_exists(#evaluated_at) OR #evaluated_at < :ingest)"
        " AND (attribute_not_exists(#lease_until) OR #lease_until < :now"
        " OR #lease_token = :token)",
        condition_values={":ingest": ingest_at, ":now": now, ":token": token},
    )
    if taken:
        return ACQUIRED
    cursor = aws.get_item(_table(settings), {KEY: CURSOR}) or {}
    return DONE if str(cursor.get("evaluated_at", "")) >= ingest_at else BUSY


def cursor(settings: Settings) -> dict:
    return aws.get_item(_table(settings), {KEY: CURSOR}) or {}


def leased_to_another(cursor_item: dict, token: str) -> bool:
    """Whether another evaluation than `token`'s holds the lease of `cursor_item` (a cursor
    read): :func:`acquire` would answer BUSY, unless the lease ends first."""
    until = int(cursor_item.get("lease_until") or 0)
    holder = cursor_item.get("lease_token")
    return bool(holder) and holder != token and until >= int(utcnow().timestamp())


def note_outbox(settings: Settings, token: str, ingest_at: str) -> bool:
    """Record that the notifications of this evaluation are in the outbox, maybe unsent."""
    return aws.update_item(
        _table(settings),
        {KEY: CURSOR},
        {"outbox_at": ingest_at},
        condition="#lease_token = :token",
        condition_values={":token": token},
    )


def sent_outbox(settings: Settings, token: str) -> bool:
    """The outbox's notifications were sent."""
    return aws.update_item(
        _table(settings),
        {KEY: CURSOR},
        {"updated_at": utc_text(utcnow())},
        condition="#lease_token = :token",
        condition_values={":token": token},
        remove=("outbox_at",),
    )


def finish(settings: Settings, token: str, ingest_at: str, **done: str) -> bool:
    """The evaluation of `ingest_at` is complete: it becomes ``evaluated_at``, the lease goes;
    `done` notes what it was: ``mirror`` the digest of the mirror it wrote (a container that
    holds it reads no S3), ``manifest`` the history version it evaluated (empty: not one) and
    ``audiences`` the digest of who it told (storemon.service.alerts_history)."""
    return aws.update_item(
        _table(settings),
        {KEY: CURSOR},
        {"evaluated_at": ingest_at, "updated_at": utc_text(utcnow()), **done},
        condition="#lease_token = :token",
        condition_values={":token": token},
        remove=("lease_token", "lease_until"),
    )


def release(settings: Settings, token: str) -> None:
    """Give the lease back (an evaluation that failed: its retry, or the next ingest's, may
    run at once)."""
    aws.update_item(
        _table(settings),
        {KEY: CURSOR},
        {"updated_at": utc_text(utcnow())},
        condition="#lease_token = :token",
        condition_values={":token": token},
        remove=("lease_token", "lease_until"),
    )


def read_states(settings: Settings, keys: list[str]) -> dict[str, dict]:
    """The stored items of these identities (absent: never told), by key."""
    return aws.batch_get_items(_table(settings), KEY, keys)


def version_of(item: dict | None) -> int:
    return int((item or {}).get("version", 0))


@dataclass(frozen=True)
class StateWrite:
    """One identity's new state, to be written if it is still at `old_version`."""

    key: str
    identity: tuple[str, int]  # (store, start tick)
    state: State
    old_version: int
    ingest_at: str
    ongoing: bool

    def put(self) -> tuple[dict, str, dict]:
        """The item, its condition and the condition's values."""
        now = utcnow()
        kept = timedelta(days=ONGOING_KEPT_DAYS if self.ongoing else ENDED_KEPT_DAYS)
        item = {
            KEY: self.key,
            "store_id": self.identity[0],
            "start_tick": self.identity[1],
            **state_to_item(self.state),
            "version": self.old_version + 1,
            "evaluated_at": self.ingest_at,
            "updated_at": utc_text(now),
            "expires_at": int((now + kept).timestamp()),
        }
        if self.old_version == 0:
            return item, "attribute_not_exists(#alert_key)", {}
        return item, "#version = :v", {":v": self.old_version}


def write_state(settings: Settings, write: StateWrite) -> bool:
    """Store the identity's new state if it is still at its old version; False when another
    evaluation moved it first (read it again and decide again)."""
    return aws.put_item_when(_table(settings), *write.put())


def write_states(settings: Settings, writes: list[StateWrite]) -> list[bool]:
    """Each write done or not (:func:`write_state`), 8 at a time (a transaction would cancel
    them all for one refused condition)."""
    return together([partial(write_state, settings, w) for w in writes], max_threads=8)


def state_of(item: dict | None) -> State:
    return state_from_item(item)
