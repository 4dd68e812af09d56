"""Store shards in the service (issue 18, docs/shards.md): a report of more than
``STOREMON_SHARD_POLLS`` polls computed by one worker invocation per store shard.

- **Fan-out** (:func:`fan_out`, by the delivery that holds the report's claim): the plan
  (:func:`storemon.history.shard_work.plan_shards`: now, the file counts, the page's reports,
  the status span) and each shard's inputs (its buckets' stores only) are written under
  ``reports/<id>/shards/``; the record gets ``shards_total``; one message per shard
  ``{"kind": "shard", "report_id", "shard", "total"}`` goes on the worker's own queue, so
  Lambda's SQS event source runs the shards as concurrent invocations.
- **A shard** (:func:`handle_shard`) reads its input object only, computes, writes its output
  object, then adds its number to the record's done set (``shards_done``, a DynamoDB number
  set, by a conditional ``ADD``: a duplicate delivery fails the condition and counts once).
- **Fan-in**: the delivery whose ``ADD`` makes the set complete assembles the one report
  (:func:`storemon.history.shard_work.assemble_outputs`) and writes its files and completes
  the record as one worker does (:func:`storemon.service.report_jobs.finish_report`). A
  delivery of a shard already done, while the report is still Running with every shard done
  (the assembling delivery failed), assembles again.
- **Failure**: a failing shard (or assembly) is handed back to the queue and retried; on its
  last receive the report is Failed naming it (``shard 3 of 18 (buckets 42-55): ...``). The
  record's deadline (the stale rule) covers the whole sharded report.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from storemon.errors import UnusableInput
from storemon.service import aws, input_sets, records, report_jobs
from storemon.service.observability import add_count, logger, set_report_id
from storemon.service.records import ReportRecord
from storemon.service.settings import Settings

if TYPE_CHECKING:
    from storemon.service.input_sets import ParsedInputs

SHARD = "shard"  # the worker's message kind: compute one store shard of a report
BINARY = "application/octet-stream"


def shards_prefix(settings: Settings, report_id: str) -> str:
    return f"{settings.report_prefix}{report_id}/shards/"


def _key(settings: Settings, report_id: str, name: str) -> str:
    return shards_prefix(settings, report_id) + name


def _input_key(settings: Settings, report_id: str, shard: int) -> str:
    return _key(settings, report_id, f"input-{shard:03d}.bin")


def _output_key(settings: Settings, report_id: str, shard: int) -> str:
    return _key(settings, report_id, f"output-{shard:03d}.bin")


def fan_out(
    settings: Settings,
    record: ReportRecord,
    parsed: ParsedInputs,
    source: str | None,
    *,
    full: bool,
    page: bool,
) -> str:
    """Split the report of `record` into store shards and queue them: "sharded:<n>"."""
    from storemon.history.shard_work import plan_shards, split_inputs
    from storemon.history.shards import shard_count

    request: dict = dict(record.get("request") or {})
    total = shard_count(len(parsed[0].time_us), settings.shard_polls)
    plan = plan_shards(
        parsed,
        total,
        as_of=request.get("as_of"),
        store_ids=request.get("store_ids"),
        incidents=full or page,
        period=input_sets.engine_period(request.get("period")),
        page=page,
        status=full,
    )
    outcome = _queue(settings, record, plan, split_inputs(parsed, plan), source)
    if outcome != "duplicate" and source == input_sets.FROM_CSV:
        input_sets.write_snapshot_of(settings, record, parsed)
    return outcome


def fan_out_history(
    settings: Settings, record: ReportRecord, *, full: bool, page: bool
) -> str | None:
    """Split the report of `record`, an input set with a poll history, into store shards and
    queue them ("sharded:<n>"), deciding from the manifest alone (no partition read); None
    when it is not to be sharded (one worker computes it)."""
    from storemon.history.shard_history import plan_history
    from storemon.service import history_store

    version = (record.get("inputs") or {}).get("history")
    assert version is not None
    manifest = history_store.manifest_at(settings, version["key"])
    request: dict = dict(record.get("request") or {})
    planned = plan_history(
        manifest,
        history_store.load(settings),
        settings.shard_polls,
        as_of=request.get("as_of"),
        store_ids=request.get("store_ids"),
        incidents=full or page,
        period=input_sets.engine_period(request.get("period")),
        page=page,
        status=full,
    )
    if planned is None:
        return None
    return _queue(settings, record, planned.plan, planned.shard_inputs(), input_sets.FROM_HISTORY)


def _queue(
    settings: Settings, record: ReportRecord, plan: Any, inputs: Iterable[Any], source: str | None
) -> str:
    """Write the plan and each shard's input, mark the record sharded, queue one message per
    shard: "sharded:<n>" ("duplicate" when the report finished meanwhile)."""
    from storemon.history.shard_work import to_bytes

    report_id, total = record["report_id"], plan.total
    aws.put_object(settings.bucket, _key(settings, report_id, "plan.bin"), to_bytes(plan), BINARY)
    for given in inputs:
        key = _input_key(settings, report_id, given.shard)
        aws.put_object(settings.bucket, key, to_bytes(given), BINARY)
    if not records.start_shards(settings, report_id, total, source):
        return "duplicate"  # finished meanwhile (another delivery)
    aws.send_message_batch(
        settings.queue_url,
        [{"kind": SHARD, "report_id": report_id, "shard": k, "total": total} for k in range(total)],
    )
    logger.info("report split into store shards", extra={"shards": total, "source": source})
    add_count("ReportsSharded")
    add_count("ShardsQueued", total)
    return f"sharded:{total}"


def handle_shard(settings: Settings, message: dict, receive_count: int) -> str:
    """Compute one shard of a report (see the module docstring): "shard-done:<k>/<n>",
    "complete" (this delivery assembled the report), "duplicate", "failed", "unknown" or
    "ignored". Raises to hand the message back (retried)."""
    named = _shard_of(message)
    if named is None:
        return "ignored"
    report_id, shard = named
    set_report_id(report_id)
    record = _running_record(settings, report_id, shard, message)
    if isinstance(record, str):
        return record
    total = int(record.get("shards_total") or 0)
    if shard not in (record.get("shards_done") or []):
        try:
            _compute(settings, report_id, shard)
        except Exception as exc:
            return _failed(settings, record, f"shard {_name(record, shard)}", exc, receive_count)
        done = records.shard_done(settings, report_id, shard)
        if done is not None and done < total:
            logger.info("shard done", extra={"shard": shard, "done": done, "total": total})
            return f"shard-done:{done}/{total}"
    return _assemble_when_all_done(settings, report_id, receive_count)


def _running_record(
    settings: Settings, report_id: str, shard: int, message: dict
) -> ReportRecord | str:
    """The record of a Running sharded report that has this shard, else what was done."""
    record = records.get(settings, report_id)
    if record is None:
        return _dropped("a shard of an unknown report", message, "unknown")
    if record["status"] != records.RUNNING:
        add_count("DuplicateMessages")
        return "duplicate"
    if shard >= int(record.get("shards_total") or 0):
        return _dropped("a shard the report does not have", message)
    return record


def _shard_of(message: dict) -> tuple[str, int] | None:
    """The report id and shard number a message names (None: logged and dropped)."""
    report_id, shard = message.get("report_id"), message.get("shard")
    if not isinstance(report_id, str) or not records.is_report_id(report_id):
        _dropped("a shard message without a valid report_id", message)
        return None
    if not isinstance(shard, int) or isinstance(shard, bool) or shard < 0:
        _dropped("a shard message without a valid shard number", message)
        return None
    return report_id, shard


def _dropped(why: str, message: dict, outcome: str = "ignored") -> str:
    logger.error(f"dropping {why}", extra={"m": message})
    add_count("MessagesDropped")
    return outcome


def _name(record: ReportRecord, shard: int) -> str:
    """``3 of 18 (buckets 42-55)``: a shard as a failed report names it."""
    from storemon.history.shards import bucket_ranges

    total = int(record.get("shards_total") or 0)
    lo, hi = bucket_ranges(total)[shard]
    return f"{shard} of {total} (buckets {lo}-{hi - 1})"


def _compute(settings: Settings, report_id: str, shard: int) -> None:
    """The shard's input read (from a poll history: its buckets' slices of the partitions
    its report reads), computed, its output written."""
    from storemon.history.shard_history import HistoryShardInput, compute_history_shard
    from storemon.history.shard_work import ShardInput, compute_shard, from_bytes, to_bytes

    data = aws.get_object(settings.bucket, _input_key(settings, report_id, shard))
    given = from_bytes(data, object)
    del data
    if isinstance(given, HistoryShardInput):
        output = compute_history_shard(given, *_history_readers(settings))
    elif isinstance(given, ShardInput):
        output = compute_shard(given)
    else:
        raise ValueError(f"shard {shard}'s input is a {type(given).__name__}")
    key = _output_key(settings, report_id, shard)
    aws.put_object(settings.bucket, key, to_bytes(output), BINARY)


def _history_readers(settings: Settings) -> tuple[Any, Any]:
    """The history's ``load`` and a ``read_range`` that counts the bytes it reads (logged
    and the ``ShardBytesRead`` metric)."""
    from storemon.service import history_store

    def read_range(key: str, offset: int, size: int) -> bytes:
        data = history_store.read_range(settings, key, offset, size)
        add_count("ShardBytesRead", len(data))
        return data

    return history_store.load(settings), read_range


def _assemble_when_all_done(settings: Settings, report_id: str, receive_count: int) -> str:
    """Assemble the report when every shard is done and it is still Running (the delivery
    that completed the set, or a later one after it failed)."""
    record = records.get(settings, report_id)
    if record is None or record["status"] != records.RUNNING:
        add_count("DuplicateMessages")
        return "duplicate"
    total = int(record.get("shards_total") or 0)
    if len(record.get("shards_done") or []) < total:
        add_count("DuplicateMessages")
        return "duplicate"
    try:
        return _assemble(settings, record)
    except Exception as exc:
        return _failed(settings, record, f"assembling the {total} shards", exc, receive_count)


def _assemble(settings: Settings, record: ReportRecord) -> str:
    started = time.perf_counter()
    made = reassemble(settings, record, started)
    return report_jobs.finish_report(settings, record, made, started)


def reassemble(
    settings: Settings, record: ReportRecord, started: float | None = None
) -> input_sets.RecordReport:
    """The one report of a sharded record from its plan and its shards' outputs."""
    from storemon.history.shard_work import ShardOutput, ShardPlan, assemble_outputs, from_bytes

    report_id = record["report_id"]
    plan_data = aws.get_object(settings.bucket, _key(settings, report_id, "plan.bin"))
    plan = from_bytes(plan_data, ShardPlan)
    assert isinstance(plan, ShardPlan)
    outputs: list[Any] = [
        from_bytes(
            aws.get_object(settings.bucket, _output_key(settings, report_id, k)), ShardOutput
        )
        for k in range(plan.total)
    ]
    result, status, periods = assemble_outputs(outputs, plan, started)

    def no_other_report(**asked: Any) -> Any:
        raise AssertionError("a sharded report's page periods are assembled, never computed")

    return input_sets.RecordReport(
        result,
        str(record.get("source")),
        no_other_report,
        status=status,
        page=periods is not None,
        periods=periods,
    )


def _failed(
    settings: Settings, record: ReportRecord, what: str, exc: Exception, receive_count: int
) -> str:
    """An unusable input fails the report at once; anything else is raised (retried) until
    the last receive, which fails the report naming `what` first."""
    reason = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, UnusableInput):
        return report_jobs.fail_report(settings, record, f"{what}: {exc}")
    if receive_count >= settings.max_receive_count:
        error = f"{what}: gave up after {receive_count} attempts: {reason}"
        report_jobs.fail_report(settings, record, error)
    else:
        logger.warning("%s failed (attempt %d), will retry", what, receive_count, exc_info=True)
        add_count("ShardRetries")
    raise exc
