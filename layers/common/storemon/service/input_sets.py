"""An input set (the recorded versions of the inputs: the three required ones and the optional
closures file), its snapshot, and the report of a record computed from one or the other
(issue 9).

- The first report of an input set (normally the upload refresh) parses its inputs once,
  computes the report from the parsed inputs and writes their snapshot (closures included) at
  ``snapshots/<input-set id>/snapshot.bin`` (:mod:`storemon.snapshot`). Writing is best
  effort: a failed write is logged and counted, the report does not fail.
- Every later report on the same input versions (full, subset, ``as_of``, one store) reads
  the snapshot instead of the CSV files; when it is missing or refused (another version,
  damaged, truncated) the reason is logged and counted and the CSV files are read (the
  worker then writes the snapshot again from them).

The input-set id is :func:`storemon.service.records.refresh_report_id` of the recorded input
versions (the refresh report of those inputs has the same id, and ``latest`` records it as
``input_set``). A snapshot never changes once written, so loaded ones are kept per warm
container (:class:`~storemon.service.cache.ObjectCache`). Which path answered is the report's
``source`` (``snapshot`` or ``csv``): logged, and recorded on the report's record. The engine
and the snapshot reader (pandas, NumPy) are imported when first used, so the routes of the
get_report function that never need them do not load them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storemon.errors import ObjectForbidden, ObjectMissing
from storemon.service import aws, records, sources
from storemon.service.cache import ObjectCache
from storemon.service.observability import add_count, logger
from storemon.service.records import InputSet, ReportRecord, RequestPeriod
from storemon.service.settings import Settings

if TYPE_CHECKING:
    from storemon.inputs.closures import Closures
    from storemon.inputs.tables import Hours, Polls, Zones
    from storemon.page.periods import PagePeriods
    from storemon.report.periods import Period
    from storemon.report.result import ReportResult
    from storemon.snapshot.reader import Snapshot

    # an input set read and parsed: polls, hours, zones and the closures (None without a file)
    ParsedInputs = tuple[Polls, Hours, Zones, Closures | None]
    Compute = Callable[..., ReportResult]  # another report from the same source (keywords)

SNAPSHOT_PREFIX = "snapshots/"
SNAPSHOT_NAME = "snapshot.bin"
FROM_SNAPSHOT, FROM_CSV, FROM_HISTORY = "snapshot", "csv", "history"
BUILD = "snapshot"  # the worker's message kind: build an input set's snapshot
BUILD_REQUEST_SECONDS = 60  # one build request per input set and warm container in this time
DEFAULT_DAYS = 30  # GET /stores/{id}/days without a range: the last 30 days (the page's bars)
_US_PER_DAY = 86_400_000_000
_BUILDS_REQUESTED: dict[str, float] = {}


def _load(data: bytes) -> Snapshot:
    from storemon.snapshot.reader import load_snapshot

    return load_snapshot(data)


_SNAPSHOTS: ObjectCache[Snapshot] = ObjectCache(size=2, parse=_load)


def input_set_id(inputs: InputSet) -> str | None:
    """The id of a complete input set (None when an input is missing)."""
    return None if not inputs or sources.missing(inputs) else records.refresh_report_id(inputs)


def snapshot_key(input_set: str) -> str:
    return f"{SNAPSHOT_PREFIX}{input_set}/{SNAPSHOT_NAME}"


def stored_snapshot(settings: Settings, input_set: str) -> Snapshot | None:
    """The input set's snapshot (loaded once per container), or None when there is none or
    it is refused: the reason is logged and counted, and the caller reads the CSV files."""
    from storemon.errors import SnapshotError

    key = snapshot_key(input_set)
    try:
        return _SNAPSHOTS.get(settings.bucket, key)
    except ObjectMissing:  # the first report of an input set, or an expired snapshot
        logger.info("no snapshot of these inputs: the CSV files are read", extra={"key": key})
        add_count("SnapshotsMissing")
        return None
    except ObjectForbidden as exc:  # the role cannot read it, or cannot tell it is missing
        logger.error("snapshot unreadable: the CSV files are read", extra={"reason": str(exc)})
        add_count("SnapshotsForbidden")
        return None
    except SnapshotError as exc:
        _fallback("snapshot refused", key, "SnapshotsRefused", str(exc))
        return None


def _fallback(what: str, key: str, metric: str, reason: str | None = None) -> None:
    extra = {"key": key} | ({"reason": reason} if reason else {})
    logger.warning(f"{what}: the CSV files are read", extra=extra)
    add_count(metric)


def write_snapshot(settings: Settings, input_set: str, data: bytes) -> None:
    """Store a snapshot (best effort: the report does not depend on it)."""
    key = snapshot_key(input_set)
    try:
        aws.put_object(settings.bucket, key, data, "application/octet-stream")
    except Exception:
        logger.warning("could not write the snapshot", exc_info=True, extra={"key": key})
        add_count("SnapshotWriteFailures")
        return
    logger.info("snapshot written", extra={"key": key, "bytes": len(data)})
    add_count("SnapshotsWritten")


@dataclass
class RecordReport:
    """A record's report (:func:`report_of_record`): ``result``, ``source``; a full report's
    status now and span of evidence (the alerts' too) from ``now_inputs`` and the page's month
    and last 30 days, each made when first asked (:meth:`status_now`, :meth:`alert_view`,
    :meth:`page_periods`: a refresh moves ``latest`` before making them)."""

    result: ReportResult
    source: str
    compute: Compute
    status: Any = None
    span: Any = None  # storemon.report.span.SpanEvidence of a full report
    page: bool = False
    periods: PagePeriods | None = None  # computed already (store shards: assembled)
    now_inputs: ParsedInputs | None = None  # what status and span are made of, when asked

    def status_now(self) -> Any:
        """Every store's status now (None when not a full report), made once."""
        if self.status is None and self.now_inputs is not None:
            from storemon.report.current_status import status_of_span
            from storemon.report.span import span_evidence

            self.span = span_evidence(*self.now_inputs)
            self.status, self.now_inputs = status_of_span(self.span), None
        return self.status

    def alert_view(self) -> Any:
        """SPEC §10's incidents at now as the alerts read them (candidates.view_frame), from
        the status's span of evidence; None without one (not a full report)."""
        self.status_now()
        if self.span is None:
            return None
        from storemon.alerting.candidates import view_frame
        from storemon.report.alerts import alert_incidents_of_span

        return view_frame(alert_incidents_of_span(self.span))

    def page_periods(self) -> PagePeriods | None:
        """The month and the last 30 days at the report's now (None without a page)."""
        if not self.page or self.periods is not None:
            return self.periods
        from storemon.page.periods import page_periods

        now = self.result.summary["now"]
        compute = self.compute
        return page_periods(lambda period, as_of: compute(period=period, as_of=as_of), now)


def report_of_record(
    settings: Settings,
    record: ReportRecord,
    *,
    incidents: bool = False,
    rebuild: bool = True,
    page: bool = False,
    parsed_csv: ParsedInputs | None = None,
    incidents_later: bool = False,
) -> RecordReport:
    """The report a record asks for, where it came from (``history`` for an input set with a
    poll history; else ``snapshot`` when its inputs have a usable one, else ``csv``, and with
    `rebuild` the snapshot is written from the parsed CSV files); with ``incidents`` (a full
    report) what its status now is made of, with `page` what its page draws (both when asked,
    :class:`RecordReport`, and `incidents_later` a history's incidents); `parsed_csv`: its
    CSV files parsed (:func:`inputs_to_shard`). UnusableInput when the inputs cannot work."""
    request = record.get("request")
    incidents = incidents or page  # the page draws them
    now_views = incidents and records.is_full(record)
    store_ids = request.get("store_ids") if request else None
    options = _engine_options(request, incidents)
    inputs = record.get("inputs") or {}
    if inputs.get("history"):
        options["incidents_later"] = incidents_later
        of_history, parsed, compute = _from_history(settings, inputs, options)
        logger.info("report computed from the poll history", extra=of_history.summary["history"])
        add_count("ReportsFromHistory")
        now_inputs = parsed if now_views else None
        return RecordReport(of_history, FROM_HISTORY, compute, page=page, now_inputs=now_inputs)
    input_set = input_set_id(inputs)
    started = time.perf_counter()
    snap = stored_snapshot(settings, input_set) if input_set and parsed_csv is None else None
    result = _answer(settings, input_set, snap, started, options) if input_set and snap else None
    if result is not None and snap is not None:
        logger.info("report computed from the snapshot", extra={"input_set": input_set})
        add_count("ReportsFromSnapshot")
        of_snap = (*snap.parsed_inputs(), snap.closures()) if now_views else None
        from storemon.snapshot.answer import report_from_snapshot

        def from_snapshot(**asked: Any) -> ReportResult:
            return report_from_snapshot(snap, store_ids=store_ids, **asked)

        return RecordReport(result, FROM_SNAPSHOT, from_snapshot, page=page, now_inputs=of_snap)
    rebuild_set = input_set if rebuild else None
    result, parsed = _from_csv(settings, inputs, rebuild_set, options, parsed_csv)
    logger.info("report computed from the CSV files", extra={"input_set": input_set})
    add_count("ReportsFromCsv")

    def from_csv(**asked: Any) -> ReportResult:
        from storemon.report.pipeline import report_from_parsed

        polls, hours, zones, closures = parsed
        return report_from_parsed(
            polls, hours, zones, store_ids=store_ids, closures=closures, **asked
        )

    now_inputs = parsed if now_views else None
    return RecordReport(result, FROM_CSV, from_csv, page=page, now_inputs=now_inputs)


def _engine_options(request: Any, incidents: bool) -> dict:
    return {
        "as_of": request.get("as_of") if request else None,
        "store_ids": request.get("store_ids") if request else None,
        "incidents": incidents,
        "period": engine_period(request.get("period") if request else None),
    }


def _from_history(
    settings: Settings, inputs: InputSet, options: dict
) -> tuple[ReportResult, ParsedInputs, Compute]:
    """The report of the recorded version of the poll history (SPEC §10): the carry and the
    days its span needs (docs/history.md), the polls and files it read, and how to compute
    another report of it."""
    from storemon.history.answer import report_and_polls, report_from_history
    from storemon.service import history_store

    version = inputs["history"]
    assert version is not None
    manifest = history_store.manifest_at(settings, version["key"])
    load = history_store.load(settings)
    result, found = report_and_polls(manifest, load, name="history", **options)

    def compute(**asked: Any) -> ReportResult:
        store_ids = options["store_ids"]
        return report_from_history(manifest, load, name="history", store_ids=store_ids, **asked)

    return result, (found.polls, found.hours, found.zones, found.closures), compute


def _history_polls(settings: Settings, inputs: InputSet, *, every_day: bool) -> ParsedInputs:
    """The history's polls (``every_day``: all of them, for a snapshot; else those of a
    report of §5's windows with the incidents, for the alerts) and its files."""
    from storemon.history.answer import polls_for
    from storemon.report.periods import Period
    from storemon.service import history_store

    version = inputs["history"]
    assert version is not None
    manifest = history_store.manifest_at(settings, version["key"])
    if every_day:
        manifest = {**manifest, "carry": None}  # the retained carry and every day
    found = polls_for(manifest, history_store.load(settings), period=Period(), incidents=True)
    return found.polls, found.hours, found.zones, found.closures


def _from_snapshot(
    settings: Settings, input_set: str, started: float, options: dict
) -> ReportResult | None:
    snap = stored_snapshot(settings, input_set)
    return None if snap is None else _answer(settings, input_set, snap, started, options)


def _answer(
    settings: Settings, input_set: str, snap: Snapshot, started: float, options: dict
) -> ReportResult | None:
    """The report from a loaded snapshot; None (logged, forgotten) when it is refused."""
    from storemon.errors import SnapshotError
    from storemon.snapshot.answer import report_from_snapshot

    try:
        return report_from_snapshot(snap, started=started, **options)
    except SnapshotError as exc:  # a section damaged past the header
        key = snapshot_key(input_set)
        _SNAPSHOTS.forget(settings.bucket, key)
        _fallback("snapshot refused", key, "SnapshotsRefused", str(exc))
        return None


def _from_csv(
    settings: Settings,
    inputs: InputSet,
    rebuild_set: str | None,
    options: dict,
    parsed: ParsedInputs | None = None,
) -> tuple[ReportResult, ParsedInputs]:
    from storemon.report.preload import import_engine_in_background

    import_engine_in_background()  # pandas loads while S3 answers and the status file parses

    started = time.perf_counter()
    parsed = parse_recorded(settings, inputs) if parsed is None else parsed
    from storemon.report.pipeline import report_from_parsed

    result = report_from_parsed(*parsed[:3], started=started, closures=parsed[3], **options)
    if rebuild_set:
        _rebuild(settings, rebuild_set, parsed)
    return result, parsed


def inputs_to_shard(
    settings: Settings, record: ReportRecord
) -> tuple[ParsedInputs | None, str | None]:
    """What a report that may be computed by store shards starts from (docs/shards.md):
    ``(parsed, source)``: the snapshot's inputs when it holds more than
    ``settings.shard_polls`` polls (a smaller one: ``(None, None)``, the report reads the
    snapshot as always), else the CSV files parsed (``source`` csv: the caller passes them on
    as `parsed_csv` when it does not shard). A poll history's input set: ``(None, None)``
    (it is sharded from its manifest: :func:`storemon.service.shard_jobs.fan_out_history`).
    UnusableInput when the inputs cannot work."""
    inputs = record.get("inputs") or {}
    if inputs.get("history"):
        return None, None
    input_set = input_set_id(inputs)
    snap = stored_snapshot(settings, input_set) if input_set else None
    if snap is not None:
        if int(snap.meta["polls"]) <= settings.shard_polls:
            return None, None
        return (*snap.parsed_inputs(), snap.closures()), FROM_SNAPSHOT
    from storemon.report.preload import import_engine_in_background

    import_engine_in_background()
    return parse_recorded(settings, inputs), FROM_CSV


def write_snapshot_of(settings: Settings, record: ReportRecord, parsed: ParsedInputs) -> None:
    """The snapshot of a record's parsed CSV files (best effort), as its first report writes."""
    input_set = input_set_id(record.get("inputs") or {})
    if input_set:
        _rebuild(settings, input_set, parsed)


def parse_recorded(settings: Settings, inputs: InputSet) -> ParsedInputs:
    """The recorded versions of an input set, read and parsed: (polls, hours, zones,
    closures or None). UnusableInput when one cannot work (the closures file included)."""
    from storemon.inputs.limits import Limits
    from storemon.inputs.parse import parse_input_files

    if inputs.get("history"):
        return _history_polls(settings, inputs, every_day=True)
    limits = Limits.from_env()  # STOREMON_MAX_*, from the template's Max* parameters
    data, names = sources.read(settings, inputs, limits.max_input_bytes)
    parsed = parse_input_files(
        data[0], data[1], data[2], names=(names[0], names[1], names[2]), limits=limits
    )
    del data
    closures_file = sources.read_closures(settings, inputs, limits.max_input_bytes)
    if closures_file is None:
        return (*parsed, None)
    from storemon.inputs.closures import read_closures  # pandas: after the status file parsed

    return (*parsed, read_closures(*closures_file, limits))


def _rebuild(settings: Settings, input_set: str, parsed: ParsedInputs) -> None:
    """Write the snapshot of parsed inputs (best effort)."""
    from storemon.snapshot.build import snapshot_from_parsed

    try:
        data = snapshot_from_parsed(*parsed[:3], closures=parsed[3])
    except Exception:
        logger.warning("could not build the snapshot", exc_info=True)
        add_count("SnapshotWriteFailures")
        return
    write_snapshot(settings, input_set, data)
    _SNAPSHOTS.forget(settings.bucket, snapshot_key(input_set))


def alert_view_of_record(settings: Settings, record: ReportRecord) -> Any:
    """SPEC §10's incidents of a record's inputs at their newest poll, as the alerts read them
    (:func:`storemon.alerting.candidates.view_frame`): from the input set's snapshot, else the
    CSV files. UnusableInput when the inputs cannot work."""
    from storemon.alerting.candidates import view_frame
    from storemon.report.alerts import alert_incidents

    inputs = record.get("inputs") or {}
    if inputs.get("history"):
        return view_frame(alert_incidents(*_history_polls(settings, inputs, every_day=False)))
    input_set = input_set_id(inputs)
    snap = stored_snapshot(settings, input_set) if input_set else None
    if snap is not None:
        return view_frame(alert_incidents(*snap.parsed_inputs(), snap.closures()))
    polls, hours, zones, closures = parse_recorded(settings, inputs)
    return view_frame(alert_incidents(polls, hours, zones, closures))


# ----------------------------------------------------------------------------- snapshot only


def engine_period(period: RequestPeriod | None) -> Period | None:
    """The engine's period of a request's (None: §5's windows)."""
    if not period:
        return None
    from storemon.report.periods import Period

    return Period.of(
        windows=period["windows"], start=period["from"], end=period["to"], daily=period["daily"]
    )


def report_from_stored_snapshot(
    settings: Settings,
    input_set: str,
    *,
    as_of: str | None,
    store_ids: list[str] | None,
    period: RequestPeriod | None = None,
) -> ReportResult | None:
    """The report from the input set's snapshot alone, or None when it is missing, unreadable
    or refused (never the CSV files: get_report's memory is sized for snapshots)."""
    options = {
        "as_of": as_of,
        "store_ids": store_ids,
        "incidents": False,
        "period": engine_period(period),
    }
    return _from_snapshot(settings, input_set, time.perf_counter(), options)


def days_from_stored_snapshot(
    settings: Settings, input_set: str, store_id: str, period: RequestPeriod | None
) -> ReportResult | None:
    """One store's report day by day from the input set's snapshot alone (None as
    :func:`report_from_stored_snapshot`): over `period`'s range, or without one over the
    :data:`DEFAULT_DAYS` days before the data's now."""
    if period is None:
        from storemon.clock.iso import request_text

        snap = stored_snapshot(settings, input_set)
        if snap is None:
            return None
        to_us = int(snap.now_us)
        start = request_text(to_us - DEFAULT_DAYS * _US_PER_DAY)
        period = {"windows": None, "from": start, "to": request_text(to_us), "daily": True}
    return report_from_stored_snapshot(
        settings, input_set, as_of=None, store_ids=[store_id], period=period
    )


def request_build(settings: Settings, input_set: str, report_id: str) -> None:
    """Ask the worker to build the input set's snapshot (from the inputs of the report
    `report_id`); at most once a minute per input set from one warm container."""
    now = time.monotonic()
    if now - _BUILDS_REQUESTED.get(input_set, -BUILD_REQUEST_SECONDS) < BUILD_REQUEST_SECONDS:
        return
    aws.send_message(
        settings.queue_url, {"kind": BUILD, "input_set": input_set, "report_id": report_id}
    )
    _BUILDS_REQUESTED[input_set] = now
    logger.info("snapshot build requested", extra={"input_set": input_set})
    add_count("SnapshotBuildsRequested")


def handle_build(settings: Settings, message: dict) -> str:
    """The worker's part: build the snapshot of the inputs of ``message["report_id"]``'s
    record unless a usable one exists by now: "snapshot-built", "snapshot-present" or
    "unknown". An unusable input is logged and the message dropped (the report route keeps
    answering 503); anything else is raised (retried)."""
    from storemon.errors import UnusableInput

    report_id = message.get("report_id")
    record = records.get(settings, report_id) if isinstance(report_id, str) else None
    input_set = input_set_id((record.get("inputs") if record else None) or {})
    if record is None or input_set is None:
        logger.warning("snapshot build for an unknown report: dropped", extra={"m": message})
        return "unknown"
    if stored_snapshot(settings, input_set) is not None:
        return "snapshot-present"
    try:
        polls, hours, zones, closures = parse_recorded(settings, record["inputs"])
    except UnusableInput as exc:
        logger.error("cannot build the snapshot", extra={"reason": str(exc)})
        return "snapshot-impossible"
    from storemon.snapshot.build import snapshot_from_parsed

    aws.put_object(
        settings.bucket,
        snapshot_key(input_set),
        snapshot_from_parsed(polls, hours, zones, closures=closures),
        "application/octet-stream",
    )
    _SNAPSHOTS.forget(settings.bucket, snapshot_key(input_set))
    logger.info("snapshot built", extra={"input_set": input_set})
    add_count("SnapshotsWritten")
    return "snapshot-built"
