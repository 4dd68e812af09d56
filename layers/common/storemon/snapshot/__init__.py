"""Ingest once, answer reports in milliseconds: the columnar snapshot of the three inputs.

- :mod:`~storemon.snapshot.file_format`: the file (a checksummed header, then named NumPy
  arrays in checksummed sections); :class:`~storemon.snapshot.file_format.SnapshotError`;
- :mod:`~storemon.snapshot.build`: the writer (``snapshot_from_csv_bytes``,
  ``snapshot_from_parsed``);
- :mod:`~storemon.snapshot.reader`: a loaded snapshot (``load_snapshot``), its per-store arrays
  and, when needed, the parsed inputs back;
- :mod:`~storemon.snapshot.answer`: ``report_from_snapshot``, the report of any ``as_of`` and
  store subset with the same bytes as the CSV path, through the report package's own phases.

The writer parses and validates the three files exactly as a report does (same rules,
same skip counts) and keeps what every later report needs, in the report's store order
(store ids as text; a store's position in that order is its *rank*):

- the valid polls, deduplicated (SPEC §4: one poll per store and instant, ``inactive``
  winning) and sorted by (store, time), with a per-store offset index;
- the business-hours calendar: each store's merged business intervals (UTC, minus its
  closures) over every date near its polls and over the month before any ``as_of`` from the
  first poll (at most ``AS_OF_DAYS_BACK`` days before the newest) to ``AS_OF_DAYS_AHEAD``
  days after it (every window of such an ``as_of``; ranges ending there and starting at most
  a month before its start);
- the closures it was built with (SPEC §9), when it was built with a closures file;
- the evidence classification (polls inside business hours) and the status-change timeline
  (the midpoints between consecutive evidence polls of different status);
- per-store facts (first and last poll, counts, zone, hours) and the three files' counts.

``report_from_snapshot`` then answers any ``as_of``, store subset and period with the same
bytes as the CSV path: it never touches the per-poll arrays unless ``now`` falls before some
store's last poll, and works per store (offsets) so one store costs microseconds. A period
outside the calendar's range runs the engine on the snapshot's parsed inputs instead
(closures included; still no CSV).

The arrays of the file, by section:

``derived`` (read by every report; ``n`` stores, ranks ``0..n-1``)
    meta_json (uint8: JSON with now_us, as-of range, calendar_from_us, zone names, the files'
    counts, closure_reasons),
    store_ids (<U), poll_offsets (n+1), first_poll_us, last_poll_us, first_poll_iso,
    last_poll_iso (ASCII), raw_polls (duplicates included), inside_polls, first_inside_us (int64 max
    when none), first_active, first_inside_active, has_hours, hours_days, zone_index,
    zone_source (0 file, 1 missing, 2 invalid); interval_offsets (n+1), interval_open,
    interval_close (seconds after meta's calendar_base_s), interval_before (business
    seconds of the store before the interval); change_offsets (n+1), change_tick,
    change_later_us (the later poll of the pair), change_kind (0: between polls inside
    business hours, 1: between any polls, before the store's first poll inside business
    hours); with closures: closure_rank (-1: every store), closure_start_day,
    closure_start_s, closure_end_day, closure_end_s (local wall times), closure_reason (index
    into meta's closure_reasons).
``inputs`` (read only for an early ``as_of`` or the engine fallback)
    poll_us, poll_active and poll_inside (bit-packed), dup_index / dup_extra (unique polls
    that had extra copies, and how many), hours_rank, hours_weekday, hours_start, hours_end.
"""
