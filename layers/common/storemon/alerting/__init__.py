"""SPEC §10's alerts, pure: which notifications an ingest owes (no AWS, no I/O).

- :mod:`~storemon.alerting.rule`: the notification rule for one incident identity and every
  audience at once (the SNS topic at the service's M, each webhook subscription at its own
  ``min_minutes``), the state it keeps, the notifications' JSON and their stable ids (pure
  Python: no NumPy);
- :mod:`~storemon.alerting.candidates`: the incidents of one ingest as a frame, and which of
  them may owe a notification given what the previous evaluation left (vectorised), so an
  hourly ingest reads and writes the state of the few identities that changed only.
"""
