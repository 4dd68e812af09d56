"""``storemon ingest --into HISTORY_DIR`` and ``storemon report --history HISTORY_DIR``."""

from __future__ import annotations

import argparse
import time

from storemon_dev.history_dir import HistoryDir


def ingest_into(args: argparse.Namespace, load_source, limits) -> int:
    """Add one batch (``--base``: a new base file) to the history, with new hours, zones
    or closures files when given (the first ingest needs hours and zones)."""
    from storemon.history.ingest import add_batch, new_manifest, set_inputs

    started = time.perf_counter()
    history = HistoryDir(args.into)
    files: dict[str, tuple[str, bytes] | None] = {
        kind: (location, load_source(location, limits.max_input_bytes))
        for kind, location in (
            ("hours", args.hours),
            ("timezones", args.timezones),
            ("closures", args.closures),
        )
        if location
    }
    status = load_source(args.status, limits.max_input_bytes)
    with history.locked():
        old = history.manifest()
        manifest = old or new_manifest(
            retention_days=args.retention_days, carry_lag_days=args.carry_lag_days
        )
        objects: dict[str, bytes] = {}
        if files:
            update = set_inputs(manifest, history.load, files, limits)
            manifest, objects = update.manifest, dict(update.objects)
        load = lambda key: objects[key] if key in objects else history.load(key)  # noqa: E731
        update = add_batch(manifest, load, status, args.status, base=args.base, limits=limits)
        objects.update(update.objects)
        if update.changed or objects:
            history.commit(old, update.manifest, objects)
    manifest = update.manifest
    polls = sum(int(e["polls"]) for e in manifest["partitions"].values())
    print(
        f"history: {args.into} ({update.note or 'ingested ' + args.status}; "
        f"{len(manifest['partitions'])} days, {polls:,} polls, {len(manifest['batches'])} "
        f"batches; {time.perf_counter() - started:.2f} s)"
    )
    return 0


def report_of_history(args: argparse.Namespace, period, store_ids, incidents: bool):
    """The report from a history directory."""
    from storemon.errors import ConfigurationError
    from storemon.history.answer import report_from_history

    history = HistoryDir(args.history)
    manifest = history.manifest()
    if manifest is None:
        raise ConfigurationError(f"{args.history}: no history here (storemon ingest --into)")
    return report_from_history(
        manifest,
        history.load,
        as_of=args.as_of,
        store_ids=store_ids,
        incidents=incidents,
        period=period,
        name=args.history,
    )
