"""The poll history (SPEC §10): batches ingested once into UTC-day partitions, reports that
read only the partitions their span needs plus a small carry (docs/history.md).

- :mod:`~storemon.history.buckets`: the stable store bucket of a store id (FNV-1a), the one
  hash every reader of the layout (store shards, issue 18) imports;
- :mod:`~storemon.history.partition`: one UTC day's polls, deduplicated, sorted by (bucket,
  store, time) with per-bucket offsets, in the snapshot file format;
- :mod:`~storemon.history.carry`: the few polls per store from before a cut that a report
  needs (the last evidence poll, its status run's start and the poll before it);
- :mod:`~storemon.history.ingest`: a batch (or a new base) merged into the history; the
  manifest; the carry moved forward; retention;
- :mod:`~storemon.history.answer`: the report from a history;
- :mod:`~storemon.history.alert_view`: SPEC §10's alert incidents of a version of the history
  (evaluated right after a batch lands);
- :mod:`~storemon.history.shards`: a report split into store shards by bucket range, each
  shard's report at the whole report's ``now``, and the shards assembled into the one report
  (issue 18).

Everything here is pure: bytes in (a ``load(key)`` callable), objects and a new manifest
out; the caller (the ``storemon`` command, the service) stores them.
"""
