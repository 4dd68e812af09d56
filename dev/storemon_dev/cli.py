"""The ``storemon`` command: report, ingest, generate, serve, invoke, token."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storemon.errors import InputError, StoremonError

if TYPE_CHECKING:
    from storemon.report.result import ReportResult


class CommandError(StoremonError):
    """The command cannot be done as given: a flag missing, an output that cannot be written."""

    exit_status = 2


class Progress:
    """Phase timings on standard error, only when it is a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.started = time.perf_counter()
        self.last = self.started

    def __call__(self, phase: str) -> None:
        now = time.perf_counter()
        if self.enabled:
            print(
                f"storemon: {phase} ({now - self.last:.2f} s, {now - self.started:.2f} s total)",
                file=sys.stderr,
                flush=True,
            )
        self.last = now


def load_source(location: str, max_bytes: int | None = None) -> bytes:
    """The bytes of a local file or an ``s3://bucket/key`` object; a local file over
    ``max_bytes`` fails before it is read."""
    if location.startswith("s3://"):
        from storemon.service import aws

        try:
            return aws.read_s3_url(location)
        except Exception as exc:  # botocore's errors: missing key, bucket, credentials...
            raise InputError(location, f"cannot read from S3 ({exc})") from None
    path = Path(location)
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes and path.is_file():
            raise InputError(
                location,
                f"file is {size:,} bytes, over the limit of {max_bytes:,} (max_input_bytes)",
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(location, "file not found") from None
    except IsADirectoryError:
        raise InputError(location, "is a directory, not a file") from None
    except OSError as exc:
        raise InputError(location, f"cannot be read ({exc.strerror})") from None


def _report(args: argparse.Namespace) -> int:
    if args.history:
        return _report_from_history(args)
    if args.snapshot:
        return _report_from_snapshot(args)
    missing = _missing_inputs(args)
    if missing:
        raise CommandError(f"{', '.join(missing)} required (or --snapshot)")
    return _report_from_csv(args)


def _missing_inputs(args: argparse.Namespace) -> list[str]:
    return [f"--{name}" for name in ("status", "hours", "timezones") if not getattr(args, name)]


def _store_ids(args: argparse.Namespace) -> list[str] | None:
    if args.stores is None:
        return None
    return [s.strip() for s in args.stores.split(",") if s.strip()]


def _period(args: argparse.Namespace):
    """The period the flags name (InputError when they cannot work together); None when they
    name none (the engine's default, §5's windows: the periods module, and pandas with it,
    is not imported for it)."""
    if args.windows is None and args.start is None and args.end is None and not args.daily:
        return None
    from storemon.report.periods import Period

    return Period.of(windows=args.windows, start=args.start, end=args.end, daily=args.daily)


def _report_from_csv(args: argparse.Namespace) -> int:
    """The report from the CSV files, as the worker makes it: parse, then report from the
    parsed tables. Reading and parsing the files needs no pandas, so the engine (pandas with
    it, a third of a second of imports) loads on a thread of its own meanwhile."""
    from storemon.report.preload import import_engine_in_background

    import_engine_in_background()
    from storemon.inputs.parse import parse_input_files

    progress = Progress(sys.stderr.isatty())
    limits = _limits(args)
    period = _period(args)
    status = load_source(args.status, limits.max_input_bytes)
    hours = load_source(args.hours, limits.max_input_bytes)
    zones = load_source(args.timezones, limits.max_input_bytes)
    closures = load_source(args.closures, limits.max_input_bytes) if args.closures else None
    progress("read the input files")
    started = time.perf_counter()
    closed = _read_closures(closures, args.closures, limits)  # its errors first, as ever
    names = (args.status, args.hours, args.timezones)
    parsed = parse_input_files(status, hours, zones, names=names, progress=progress, limits=limits)
    del status, hours, zones
    from storemon.report.pipeline import report_from_parsed

    result = report_from_parsed(
        *parsed,
        as_of=args.as_of,
        store_ids=_store_ids(args),
        started=started,
        incidents=bool(args.incidents or args.html),  # the page shows them too
        period=period,
        closures=closed,
    )
    progress(f"computed the report of {len(result.report):,} rows")

    def compute(**asked):
        return report_from_parsed(*parsed, store_ids=_store_ids(args), closures=closed, **asked)

    return _write_outputs(result, args, progress, compute)


def _read_closures(data: bytes | None, name: str | None, limits):
    if data is None:
        return None
    from storemon.inputs.closures import read_closures

    return read_closures(data, name, limits)


def _report_from_history(args: argparse.Namespace) -> int:
    from storemon_dev.history_cli import report_of_history

    progress = Progress(sys.stderr.isatty())
    incidents = bool(args.incidents or args.html)
    result = report_of_history(args, _period(args), _store_ids(args), incidents)

    def compute(period=None, as_of=None, incidents=False):
        at = argparse.Namespace(**{**vars(args), "as_of": as_of})
        return report_of_history(at, period, _store_ids(args), incidents)

    return _write_outputs(result, args, progress, compute)


def _write_outputs(result, args: argparse.Namespace, progress: Progress, compute) -> int:
    from storemon.report.result import report_to_csv

    text = report_to_csv(result.report)
    try:
        if args.out in (None, "-"):
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            Path(args.out).write_text(text)
        if args.summary:
            Path(args.summary).write_text(json.dumps(result.summary, indent=2) + "\n")
        if args.html:
            from storemon_dev.page_cli import write_page

            write_page(args.html, result, compute, period_named=_period(args) is not None)
        if args.incidents:
            _write_incidents(result, args.incidents)
    except OSError as exc:
        raise CommandError(f"cannot write output: {exc}") from None
    progress("wrote the report")
    return 0


def _load_snapshot(location: str):
    """A snapshot from a path (memory-mapped) or an s3:// URL."""
    from storemon.snapshot.reader import load_snapshot

    if location.startswith("s3://"):
        return load_snapshot(load_source(location))
    return load_snapshot(location)


def _report_from_snapshot(args: argparse.Namespace) -> int:
    """The report from a snapshot; a refused snapshot falls back to the CSV files if given."""
    from storemon.errors import SnapshotError
    from storemon.snapshot.answer import report_from_snapshot

    started = time.perf_counter()
    progress = Progress(sys.stderr.isatty())
    period = _period(args)
    try:
        snap = _load_snapshot(args.snapshot)
        progress(f"loaded the snapshot {args.snapshot}")
        result = report_from_snapshot(
            snap,
            as_of=args.as_of,
            store_ids=_store_ids(args),
            started=started,
            incidents=bool(args.incidents or args.html),
            period=period,
        )
    except SnapshotError as exc:
        if _missing_inputs(args):
            raise
        print(f"storemon: snapshot refused ({exc}): reading the CSV files", file=sys.stderr)
        return _report_from_csv(args)
    if args.closures:
        print(
            f"storemon: {args.closures} not read: the snapshot carries the closures it was "
            "ingested with (storemon ingest --closures)",
            file=sys.stderr,
        )

    def compute(**asked):
        return report_from_snapshot(snap, store_ids=_store_ids(args), **asked)

    return _write_outputs(result, args, progress, compute)


def _ingest(args: argparse.Namespace) -> int:
    """Parse and validate the three files once into a snapshot file (``--into``: add a
    batch to a poll history)."""
    if args.into:
        from storemon_dev.history_cli import ingest_into

        return ingest_into(args, load_source, _limits(args))
    missing = _missing_inputs(args) + ([] if args.out else ["--out"])
    if missing:
        raise CommandError(f"{', '.join(missing)} required (or --into)")
    from storemon.snapshot.build import snapshot_from_csv_bytes
    from storemon.snapshot.reader import load_snapshot

    started = time.perf_counter()
    progress = Progress(sys.stderr.isatty())
    limits = _limits(args)
    status = load_source(args.status, limits.max_input_bytes)
    hours = load_source(args.hours, limits.max_input_bytes)
    zones = load_source(args.timezones, limits.max_input_bytes)
    closures = load_source(args.closures, limits.max_input_bytes) if args.closures else None
    names = (args.status, args.hours, args.timezones)
    data = snapshot_from_csv_bytes(
        status,
        hours,
        zones,
        names=names,
        progress=progress,
        limits=limits,
        closures=closures,
        closures_name=args.closures,
    )
    out = Path(args.out)
    try:
        partial = out.with_name(out.name + ".partial")
        partial.write_bytes(data)
        partial.replace(out)
    except OSError as exc:
        raise CommandError(f"cannot write the snapshot: {exc}") from None
    written = load_snapshot(data)
    stores, meta = len(written.store_ids), written.meta
    print(
        f"snapshot: {out} ({len(data):,} bytes; {stores:,} stores, {meta['polls']:,} polls; "
        f"{time.perf_counter() - started:.2f} s)"
    )
    return 0


def _write_incidents(result: ReportResult, path: str) -> None:
    """SPEC §7's incidents CSV (``--incidents FILE``; the report computed them)."""
    from storemon.report.incidents import incidents_to_csv

    if result.incidents is None:
        print("storemon: the report computed no incidents; not writing " + path, file=sys.stderr)
        return
    Path(path).write_text(incidents_to_csv(result.incidents))


def _add_limit_flags(report: argparse.ArgumentParser) -> None:
    """``--max-input-bytes`` and the like, one per field of ``storemon.limits.Limits``."""
    from dataclasses import fields

    from storemon.inputs.limits import DEFAULT

    group = report.add_argument_group("limits (per input file; see docs/rules.md, Limits)")
    for item in fields(DEFAULT):
        flag = "--" + item.name.replace("_", "-")
        default = getattr(DEFAULT, item.name)
        group.add_argument(flag, type=_positive, metavar="N", help=f"default {default:,}")


def _positive(text: str) -> int:
    value = int(text) if text.strip().isdigit() else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text!r}")
    return value


def _limits(args: argparse.Namespace):
    """The limits of the flags given, the defaults otherwise."""
    from dataclasses import fields, replace

    from storemon.inputs.limits import DEFAULT

    given = {
        item.name: getattr(args, item.name)
        for item in fields(DEFAULT)
        if getattr(args, item.name, None) is not None
    }
    return replace(DEFAULT, **given)


def _generate(args: argparse.Namespace) -> int:
    from storemon_dev.generate.dataset import write_dataset

    paths = write_dataset(args.out, stores=args.stores, days=args.days, seed=args.seed)
    for kind, path in paths.items():
        print(f"{kind}: {path}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from storemon_dev.local.server import serve

    code = serve(args.host, args.port, args.data, auth=not args.no_auth)
    # the stack is stopped; skip the interpreter's clean-up of moto's and boto's many objects
    # (8-15 s of garbage collection at exit), so SIGTERM/Ctrl-C end the process at once
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _invoke(args: argparse.Namespace) -> int:
    from storemon_dev.local.invoke import invoke

    return invoke(args.function, args.event)


def _token(args: argparse.Namespace) -> int:
    from storemon_dev.local.userpool import token_command

    return token_command(args.aws, args.user, admin=args.admin, stores=args.stores)


def _add_token_parser(commands: Any) -> None:
    token = commands.add_parser(
        "token", help="create or update a user of `storemon serve`'s pool; print an access token"
    )
    token.add_argument("--aws", required=True, help="the AWS: endpoint printed by storemon serve")
    token.add_argument("--user", required=True, help="user name (created if new)")
    role = token.add_mutually_exclusive_group(required=True)
    role.add_argument("--stores", help="comma-separated store ids the owner may see")
    role.add_argument("--admin", action="store_true", help="an administrator (every store)")
    token.set_defaults(handler=_token)


def _add_report_command(commands: Any) -> None:
    report = commands.add_parser("report", help="compute the uptime report from three CSV files")
    report.add_argument("--status", help="store_status CSV (.csv, .csv.gz, s3://)")
    report.add_argument("--hours", help="menu_hours CSV (.csv, .csv.gz, s3://)")
    report.add_argument("--timezones", help="timezones CSV (.csv, .csv.gz, s3://)")
    report.add_argument(
        "--snapshot", help="snapshot from `storemon ingest` (the CSVs, if given, are the fallback)"
    )
    report.add_argument(
        "--history", help="poll history directory from `storemon ingest --into` (SPEC §10)"
    )
    report.add_argument(
        "--closures",
        help="closures CSV (store_id,start_local,end_local[,reason]; with --snapshot: read "
        "only when the snapshot is refused, a snapshot carries its own)",
    )
    report.add_argument("--as-of", help="report as of this UTC instant instead of the newest poll")
    report.add_argument(
        "--windows", help="comma-separated windows ending at now: hour,day,week,month (any subset)"
    )
    report.add_argument("--from", dest="start", help="a range [from, to): its start (UTC instant)")
    report.add_argument("--to", dest="end", help="the range's end; now is this instant")
    report.add_argument(
        "--daily", action="store_true", help="with --from/--to: one row per store and local date"
    )
    report.add_argument("--stores", help="comma-separated store ids to report on")
    report.add_argument("--out", help="report CSV path (default: standard output)")
    report.add_argument("--summary", help="write the summary JSON to this path")
    report.add_argument("--html", help="write the report page (self-contained HTML) to this path")
    report.add_argument("--incidents", help="write the week's incidents CSV to this path")
    _add_limit_flags(report)
    report.set_defaults(handler=_report)


def _add_ingest_command(commands: Any) -> None:
    ingest = commands.add_parser(
        "ingest", help="parse and validate the three CSV files once into a snapshot"
    )
    ingest.add_argument("--status", required=True, help="store_status CSV (.csv, .csv.gz, s3://)")
    ingest.add_argument("--hours", help="menu_hours CSV (.csv, .csv.gz, s3://)")
    ingest.add_argument("--timezones", help="timezones CSV (.csv, .csv.gz, s3://)")
    ingest.add_argument(
        "--closures", help="closures CSV (SPEC §9; .csv, .csv.gz, s3://): the snapshot carries them"
    )
    ingest.add_argument("--out", help="snapshot file to write")
    ingest.add_argument(
        "--into",
        help="poll history directory: add --status as one batch (SPEC §10; docs/history.md); "
        "--hours/--timezones/--closures, when given, replace the history's",
    )
    ingest.add_argument(
        "--base", action="store_true", help="with --into: --status is the new base file"
    )
    ingest.add_argument(
        "--retention-days", type=_positive, default=90, help="with --into, a new history: days kept"
    )
    ingest.add_argument(
        "--carry-lag-days",
        type=_positive,
        default=8,
        help="with --into, a new history: the carry's cut, days before the newest",
    )
    _add_limit_flags(ingest)
    ingest.set_defaults(handler=_ingest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="storemon",
        description="Store uptime and downtime within business hours.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    _add_report_command(commands)
    _add_ingest_command(commands)

    generate = commands.add_parser("generate", help="write a realistic synthetic dataset")
    generate.add_argument("--out", required=True, help="directory for the three files")
    generate.add_argument("--stores", type=int, default=14_092)
    generate.add_argument("--days", type=int, default=7)
    generate.add_argument("--seed", type=int, default=0)
    generate.set_defaults(handler=_generate)

    serve = commands.add_parser("serve", help="run the whole service locally (no AWS, no Docker)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--data", help="directory with the input files to seed (default: generated)")
    serve.add_argument(
        "--no-auth",
        action="store_true",
        help="no token checks: every request runs as an administrator (an OPEN API)",
    )
    serve.set_defaults(handler=_serve)
    _add_token_parser(commands)

    invoke = commands.add_parser("invoke", help="run one function handler on the local stack")
    invoke.add_argument("function", help="trigger, worker, get_report or a logical id")
    invoke.add_argument("--event", required=True, help="event JSON file (see events/)")
    invoke.set_defaults(handler=_invoke)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; an error storemon raises on purpose ends it with one line on standard
    error and the error's exit status (never a traceback)."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except StoremonError as exc:
        print(f"storemon: error: {exc}", file=sys.stderr)
        return exc.exit_status


if __name__ == "__main__":
    sys.exit(main())
