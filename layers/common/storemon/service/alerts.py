"""SPEC §10's alerts, evaluated after each ingest: which notifications are owed, recorded in
DynamoDB with conditional writes, then published to the SNS topic and queued for the webhook
subscriptions.

The one call an ingest makes once ``latest`` covers it::

    alerts.queue_evaluation(settings, report_id, ingest_at)   # the worker evaluates it
    # or, in the worker, with the ingest's alert incidents already computed:
    alerts.evaluate(settings, view, ingest_at=..., token=...)

``view`` is :func:`storemon.alerting.candidates.view_frame` of the ingest's
:func:`storemon.report.alerts.alert_incidents`; ``ingest_at`` orders ingests (ISO UTC text,
later ingests later: ``latest``'s ``current_at``). An evaluation:

1. takes the lease of the ``cursor`` (:mod:`storemon.service.alert_store`): one evaluation at
   a time; an ingest already evaluated, or older than one evaluated, is not evaluated again;
2. sends what a previous evaluation left in the outbox (it stopped before sending);
3. picks the incidents that may owe something (:mod:`storemon.alerting.candidates`, against
   the mirror of the last evaluation), reads their states, applies the rule
   (:func:`storemon.alerting.rule.notices`);
4. writes the owed notifications to the outbox (S3 ``alerts/outbox.json``), then, 100
   identities at a time (those that notify first, ongoing ones first), each changed state
   with a conditional write on its version, 8 at a time (a state another
   evaluation moved first is read again and decided again: no identity is ever notified
   twice by a duplicate or concurrent evaluation) and their notifications: each topic
   notification published to SNS, one delivery message per notification and subscription
   queued (:mod:`storemon.service.delivery` POSTs it);
5. writes the mirror and completes the cursor.

A failure anywhere raises: the worker's message is retried, and the retry resends the outbox
before deciding anything again (at least once; receivers drop repeats by ``webhook-id``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from functools import partial
from typing import Any

from storemon.alerting.rule import Audience, Notice, State, View, identity_key, notices
from storemon.clock.iso import utc_text
from storemon.errors import ObjectForbidden, ObjectMissing
from storemon.service import alert_store, aws, input_sets, records, subscriptions
from storemon.service.observability import add_count, logger
from storemon.service.records import utcnow
from storemon.service.settings import Settings, require
from storemon.service.together import together

EVALUATE = "alerts"
PREFIX = "alerts/"
MIRROR_KEY = PREFIX + "mirror.csv.gz"
OUTBOX_KEY = PREFIX + "outbox.json"
LEASE_SECONDS = 300  # the worker's timeout
BUSY_DELAY_SECONDS = 2
MAX_CONFLICTS = 3
SEND_CHUNK = 100  # states written (8 at a time), then their notifications sent


def queue_evaluation(settings: Settings, report_id: str, ingest_at: str, delay: int = 0) -> None:
    """Ask the worker to evaluate the alerts of the ingest `report_id` covers."""
    message = {"kind": EVALUATE, "report_id": report_id, "ingest_at": ingest_at}
    aws.send_message(settings.queue_url, message, delay_seconds=delay)


def enabled(settings: Settings) -> bool:
    return bool(settings.alerts_table)


def ingest_at_of(inputs: dict, current_at: str) -> str:
    """The time that orders the ingest of `inputs` (the cursor's ``evaluated_at``): the poll
    history's version's (when its manifest became current: a batch landed, a new base or new
    hours) when the inputs hold a history, else `current_at` (when ``latest`` moved to them)."""
    history = inputs.get("history") or {}
    return str(history.get("last_modified") or current_at)


def evaluated(settings: Settings, ingest_at: str) -> bool:
    """Whether the ingest of `ingest_at` (or a newer one) was evaluated already."""
    return str(alert_store.cursor(settings).get("evaluated_at", "")) >= ingest_at


def handle_evaluation(settings: Settings, message: dict, message_id: str | None = None) -> str:
    """The worker's part: evaluate the ingest of ``message`` (``report_id``: the complete
    report that moved ``latest``, or ``manifest_key``: a version of the poll history;
    ``ingest_at``). A busy cursor queues it again shortly."""
    report_id, ingest_at = message.get("report_id"), message.get("ingest_at")
    if not enabled(settings):
        logger.info("alerts are not configured (ALERTS_TABLE): evaluation dropped")
        return "alerts-off"
    if "manifest_key" in message:
        from storemon.service import alerts_history

        return alerts_history.handle_evaluation(settings, message, message_id)
    record = records.get(settings, report_id) if isinstance(report_id, str) else None
    if (
        record is None
        or record["status"] != records.COMPLETE
        or not isinstance(report_id, str)
        or not isinstance(ingest_at, str)
    ):
        logger.error("dropping an alerts evaluation of no complete report", extra={"m": message})
        add_count("MessagesDropped")
        return "unknown"
    if evaluated(settings, ingest_at):
        return f"alerts-{alert_store.DONE}"  # (evaluated with its report: no view to compute)
    view = input_sets.alert_view_of_record(settings, record)
    outcome = evaluate(settings, view, ingest_at=ingest_at, token=message_id or str(uuid.uuid4()))
    if outcome == f"alerts-{alert_store.BUSY}":
        queue_evaluation(settings, report_id, ingest_at, delay=BUSY_DELAY_SECONDS)
    return outcome


@dataclass(frozen=True)
class Scope:
    """What an evaluation of a version of the poll history brings
    (:mod:`storemon.service.alerts_history`): the ``audiences`` it read, the version
    (``manifest_key``) and, for a narrow view, ``from_tick``: per store the bound the view
    holds the incidents ending after (the mirror's rows of incidents starting before it stay:
    :func:`storemon.alerting.candidates.next_mirror`)."""

    audiences: list[Audience]
    manifest_key: str = ""
    from_tick: Any = None


def audiences_digest(audiences: list[Audience]) -> str:
    """A digest of who is told what (the cursor keeps it: a narrow view needs the same)."""
    import hashlib

    rows = sorted(
        (a.subscription_id or "", a.threshold, sorted(a.stores) if a.stores is not None else None)
        for a in audiences
    )
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:32]


def evaluate(
    settings: Settings, view: Any, *, ingest_at: str, token: str, scope: Scope | None = None
) -> str:
    """Evaluate one ingest (see the module doc): "alerts:<n> sent", "alerts-done" (evaluated
    already) or "alerts-busy" (another evaluation runs: try again shortly)."""
    taken = alert_store.acquire(settings, ingest_at, token, LEASE_SECONDS)
    if taken != alert_store.ACQUIRED:
        return f"alerts-{taken}"
    if scope is None:
        scope = Scope(subscriptions.audiences(settings))
    try:
        sent = _evaluate(settings, view, ingest_at, token, scope)
    except Exception:
        alert_store.release(settings, token)
        raise
    alert_store.finish(
        settings,
        token,
        ingest_at,
        mirror=_MIRROR.get(settings.bucket, ("",))[0],  # the one it wrote
        manifest=scope.manifest_key,
        audiences=audiences_digest(scope.audiences),
    )
    return f"alerts:{sent} sent"


def _evaluate(
    settings: Settings, view: Any, ingest_at: str, token: str, scope: Scope | None = None
) -> int:
    """The evaluation under the lease: the notifications sent."""
    from storemon.alerting import candidates

    if scope is None:
        scope = Scope(subscriptions.audiences(settings))
    cursor = alert_store.cursor(settings)
    if cursor.get("outbox_at"):
        _send(settings, _read_outbox(settings))
        alert_store.sent_outbox(settings, token)
    audiences = scope.audiences
    mirror = _load_mirror(settings, str(cursor.get("mirror", "")))
    chosen = candidates.select(view, mirror, audiences)
    context = Context(audiences, utc_text(utcnow()), ingest_at)
    plans = sorted(_plan(settings, chosen, context), key=lambda p: (not p.owed, not p.view.ongoing))
    planned = [n for plan in plans for n in plan.owed]
    if planned:  # before any state moves: a retry sends them even if this stops
        _write_outbox(settings, planned)
        alert_store.note_outbox(settings, token, ingest_at)
    owed: list[Notice] = []
    states: list[tuple[str, int, State]] = []
    # the incidents that notify first, a chunk at a time: its states written, then its
    # notifications sent, so the first alerts leave before the rest is written
    for start in range(0, len(plans), SEND_CHUNK):
        sent, decided = _apply(settings, plans[start : start + SEND_CHUNK], context)
        _send(settings, sent)
        owed.extend(sent)
        states.extend(decided)
    if planned:
        alert_store.sent_outbox(settings, token)
    logger.info(
        "alerts evaluated",
        extra={"incidents": len(view), "candidates": len(chosen), "notifications": len(owed)},
    )
    add_count("AlertCandidates", len(chosen))
    add_count("AlertNotifications", len(owed))
    states_now = candidates.states_frame(states)
    _save_mirror(settings, candidates.next_mirror(view, mirror, states_now, scope.from_tick))
    return len(owed)


@dataclass(frozen=True)
class Context:
    """What every identity of one evaluation is decided with."""

    audiences: list[Audience]
    timestamp: str  # when the notifications were found (their "timestamp")
    ingest_at: str


@dataclass
class Plan:
    """One chosen incident: its key, view, stored item, and what the rule decided."""

    key: str
    view: View
    texts: dict[str, str]
    item: dict | None
    state: State  # the state after this ingest
    owed: list[Notice]
    write: bool


def _plan(settings: Settings, chosen: Any, context: Context) -> list[Plan]:
    """Read the chosen incidents' states and decide each (nothing written yet)."""
    rows = list(chosen.itertuples(index=False))
    keys = [identity_key(r.store_id, int(r.start_tick)) for r in rows]
    stored = alert_store.read_states(settings, keys)
    plans = []
    for row, key in zip(rows, keys, strict=True):
        view = View(
            str(row.store_id),
            int(row.start_tick),
            int(row.end_tick),
            int(row.business_ticks),
            bool(row.ongoing),
            bool(row.in_week),
        )
        texts = {"start_utc": str(row.start_utc), "end_utc": str(row.end_utc)}
        plans.append(_decide(key, view, texts, stored.get(key), context))
    return plans


def _decide(key: str, view: View, texts: dict, item: dict | None, context: Context) -> Plan:
    state = alert_store.state_of(item)
    if item and str(item.get("evaluated_at", "")) > context.ingest_at:
        return Plan(key, view, texts, item, state, [], False)  # a newer ingest decided it
    step, owed = notices(state, view, context.audiences, texts, context.timestamp)
    return Plan(key, view, texts, item, step.state, owed, step.state != state)


def _apply(
    settings: Settings, plans: list[Plan], context: Context
) -> tuple[list[Notice], list[tuple[str, int, State]]]:
    """Write each changed state (conditional on its version; a state
    another evaluation moved is read again and decided again); the notifications owed, and
    every chosen incident's state now."""
    writes = [plan for plan in plans if plan.write]
    done = alert_store.write_states(settings, [_write(plan, context) for plan in writes])
    moved = {id(plan) for plan, ok in zip(writes, done, strict=True) if not ok}
    owed: list[Notice] = []
    states: list[tuple[str, int, State]] = []
    for planned in plans:
        plan = _decided_again(settings, planned, context) if id(planned) in moved else planned
        owed.extend(plan.owed)
        states.append((plan.view.store_id, plan.view.start_tick, plan.state))
    return owed, states


def _decided_again(settings: Settings, plan: Plan, context: Context) -> Plan:
    """A plan whose state another evaluation moved first: read, decide and write again."""
    for _ in range(MAX_CONFLICTS):
        add_count("AlertStateConflicts")
        item = alert_store.read_states(settings, [plan.key]).get(plan.key)
        plan = _decide(plan.key, plan.view, plan.texts, item, context)
        if not plan.write or alert_store.write_state(settings, _write(plan, context)):
            return plan
    raise RuntimeError(f"the alert state {plan.key} kept changing under this evaluation")


def _write(plan: Plan, context: Context) -> alert_store.StateWrite:
    return alert_store.StateWrite(
        plan.key,
        (plan.view.store_id, plan.view.start_tick),
        plan.state,
        alert_store.version_of(plan.item),
        context.ingest_at,
        plan.view.ongoing,
    )


# ----------------------------------------------------------------------------- sending
def _send(settings: Settings, owed: list[Notice]) -> None:
    """Publish the topic's notifications to SNS; queue one delivery per subscription."""
    topic = [
        (n.payload, {"type": n.payload["type"], "store_id": n.payload["data"]["store_id"]})
        for n in owed
        if n.topic
    ]
    if topic:  # 10 a call (SNS's limit), 8 calls at a time
        arn = require(settings, "alert_topic_arn")
        batches = [topic[start : start + 10] for start in range(0, len(topic), 10)]
        together([partial(aws.publish_batch, arn, batch) for batch in batches], max_threads=8)
    deliveries = [
        {"subscription_id": sub, "webhook_id": n.webhook_id, "payload": n.payload}
        for n in owed
        for sub in n.subscriptions
    ]
    if deliveries:
        aws.send_message_batch(require(settings, "delivery_queue_url"), deliveries)


def _write_outbox(settings: Settings, owed: list[Notice]) -> None:
    body = json.dumps({"notices": [n.to_json() for n in owed]})
    aws.put_object(settings.bucket, OUTBOX_KEY, body, "application/json")


def _read_outbox(settings: Settings) -> list[Notice]:
    try:
        data = json.loads(aws.get_object(settings.bucket, OUTBOX_KEY))
    except (ObjectMissing, ObjectForbidden, ValueError):
        logger.warning("the alerts outbox is unreadable: its notifications are not resent")
        return []
    return [Notice.from_json(n) for n in data.get("notices") or []]


def _load_mirror(settings: Settings, digest: str = "") -> Any:
    """The mirror of the last evaluation: this container's own when it wrote the one the
    cursor names (`digest`), else read from S3."""
    from storemon.alerting import candidates

    kept = _MIRROR.get(settings.bucket)
    if digest and kept is not None and kept[0] == digest:
        return kept[1]
    try:
        return candidates.mirror_from_bytes(aws.get_object(settings.bucket, MIRROR_KEY))
    except ObjectMissing:
        return candidates.empty_mirror()
    except (ObjectForbidden, ValueError, OSError, EOFError):
        logger.warning("the alerts mirror is unreadable: every incident is a candidate")
        return candidates.empty_mirror()


def _save_mirror(settings: Settings, mirror: Any) -> None:
    """Write the mirror, keep it (and its digest, which the cursor names) in this container."""
    import hashlib

    from storemon.alerting import candidates

    data = candidates.mirror_to_bytes(mirror)
    aws.put_object(settings.bucket, MIRROR_KEY, data, "application/gzip")
    digest = hashlib.sha256(data).hexdigest()
    _MIRROR.clear()
    _MIRROR[settings.bucket] = (digest, mirror)


_MIRROR: dict[str, tuple[str, Any]] = {}  # bucket -> (digest, frame) of the last mirror written
