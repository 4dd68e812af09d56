"""The three input files' bytes parsed and validated into tables: what every report (and the
snapshot's writer) computes from."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from storemon.inputs import status_reader, tables
from storemon.inputs.file_text import DEFAULT_NAMES
from storemon.inputs.limits import DEFAULT as DEFAULT_LIMITS
from storemon.inputs.limits import Limits
from storemon.inputs.tables import Hours, Polls, Zones


def parse_input_files(
    status: bytes,
    hours: bytes,
    timezones: bytes,
    *,
    names: tuple[str, str, str] | None = None,
    progress: Callable[[str], None] | None = None,
    limits: Limits | None = None,
) -> tuple[Polls, Hours, Zones]:
    """The three files' bytes (plain or gzip) parsed and validated, each bounded by ``limits``
    (default :data:`storemon.inputs.limits.DEFAULT`)."""
    limits = limits or DEFAULT_LIMITS
    progress = progress or (lambda phase: None)
    status_name, hours_name, zones_name = names or (
        DEFAULT_NAMES["status"],
        DEFAULT_NAMES["hours"],
        DEFAULT_NAMES["timezones"],
    )

    def hours_and_zones() -> tuple[Hours, Zones]:
        from storemon.inputs import csv_reader  # pandas: loads here while the status file is read

        hours_frame = csv_reader.read_input(hours, "hours", hours_name, limits)
        zones_frame = csv_reader.read_input(timezones, "timezones", zones_name, limits)
        return tables.parse_hours(hours_frame), tables.parse_timezones(zones_frame)

    # the small files on a second thread while the status file is read; an error in the
    # status file still comes first (the thread is waited for before it propagates)
    with ThreadPoolExecutor(1) as pool:
        others = pool.submit(hours_and_zones)
        polls = status_reader.read_status(status, status_name, limits)
        progress(f"parsed {status_name}: {polls.stats.rows_read:,} rows")
        hours_table, zones_table = others.result()
    progress(f"parsed {hours_name}: {hours_table.stats.rows_read:,} rows")
    progress(f"parsed {zones_name}: {zones_table.stats.rows_read:,} rows")
    return polls, hours_table, zones_table
