"""A report's JSON files (per-store summaries, incidents) read once per warm container.

A report's files never change once written, so a small least-recently-used cache keyed by
object key is always right; it holds the last few documents so a burst of one-store
requests on the same report reads S3 once.
"""

from __future__ import annotations

import json
from collections import OrderedDict

from storemon.errors import NotFound, ObjectMissing
from storemon.service import aws


class ReportFileCache:
    """The last ``size`` JSON documents read from ``bucket``, by key."""

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self._documents: OrderedDict[str, dict] = OrderedDict()

    def get(self, bucket: str, key: str) -> dict:
        """The document at `key`; NotFound when it no longer exists."""
        cached = self._documents.get(key)
        if cached is not None:
            self._documents.move_to_end(key)
            return cached
        try:
            document = json.loads(aws.get_object(bucket, key))
        except ObjectMissing:  # expired with its report (RetentionDays) before the record
            raise NotFound(f"the report's file {key} no longer exists: it has expired") from None
        self._documents[key] = document
        while len(self._documents) > self.size:
            self._documents.popitem(last=False)
        return document

    def clear(self) -> None:
        self._documents.clear()
