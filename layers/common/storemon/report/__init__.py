"""The uptime report (SPEC §2-§5, §7): the pure computation, tables in, frames out.

- :mod:`~storemon.report.pipeline`: the entry points (``report_from_csv_bytes``,
  ``report_from_frames``, ``report_from_parsed``) and the phases in order;
- :mod:`~storemon.report.business_hours`: each store's zone and business intervals (UTC);
- :mod:`~storemon.report.timeline`: polls selected, evidence, status changes, week events,
  window totals;
- :mod:`~storemon.report.incidents`: SPEC §7's incidents;
- :mod:`~storemon.report.per_group`: vectorised helpers over arrays grouped by store;
- :mod:`~storemon.report.csv_output`: every CSV storemon writes, formula-safe.

No AWS, no Powertools, no I/O: bytes or frames in, frames and a summary out.
"""
