"""The report's modules, pandas and NumPy with them, imported on a thread of their own.

A fresh process that reports from the CSV files (the ``storemon`` command, a cold worker)
would otherwise spend a third of a second importing pandas before it reads a byte. Called
first, :func:`import_engine_in_background` lets that import run while the caller reads its
input files (from disk or S3) and parses the status file, which needs NumPy only
(:mod:`storemon.inputs.parse`: pandas is first needed by the hours and zones files, on the
parser's second thread, and by the status file's last step). The caller then imports the
pipeline as usual and waits only for what is left of the import (Python's import locks make
the two imports one).

This module imports nothing heavy itself: importing it is free.
"""

from __future__ import annotations

import contextlib
import threading


def import_engine_in_background() -> threading.Thread:
    """Start importing the report pipeline (and everything it imports) on a daemon thread."""
    thread = threading.Thread(target=_import_quietly, name="storemon-engine-import", daemon=True)
    thread.start()
    return thread


def _import_quietly() -> None:
    # an error here is the caller's own import's too: raised there, in its place
    with contextlib.suppress(Exception):
        import storemon.report.pipeline  # noqa: F401
