"""A poll history in a local directory (``storemon ingest --into``, ``storemon report
--history``): the objects of :mod:`storemon.history` as files under their keys, and
``manifest.json``, replaced by a rename (readers see one version or the next). Ingests are
serialised by an exclusive lock on ``DIR/.lock``; objects neither the new manifest nor the
one before name are removed after the swap.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storemon.errors import ConfigurationError

MANIFEST = "manifest.json"


class HistoryDir:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    def load(self, key: str) -> bytes:
        try:
            return (self.path / key).read_bytes()
        except OSError as exc:
            raise ConfigurationError(f"{self.path}: cannot read {key} ({exc.strerror})") from None

    def manifest(self) -> dict | None:
        """The current manifest, None for a directory without one."""
        from storemon.history.ingest import check_manifest

        try:
            text = (self.path / MANIFEST).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConfigurationError(f"{self.path}: cannot read the manifest ({exc})") from None
        return check_manifest(json.loads(text), str(self.path / MANIFEST))

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def commit(self, old: dict | None, new: dict, objects: dict[str, bytes]) -> None:
        """Write the new objects, swap the manifest, remove what neither version names."""
        for key, data in objects.items():
            target = self.path / key
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            partial.write_bytes(data)
            partial.replace(target)
        partial = self.path / (MANIFEST + ".partial")
        partial.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(partial, self.path / MANIFEST)
        keep = referenced(new) | (referenced(old) if old else set())
        for folder in ("partitions", "carry", "retained", "inputs"):
            for file in sorted((self.path / folder).glob("*")):
                if f"{folder}/{file.name}" not in keep:
                    file.unlink(missing_ok=True)


def referenced(manifest: dict) -> set[str]:
    """Every object key a manifest names."""
    keys = {entry["key"] for entry in manifest["partitions"].values()}
    keys |= {entry["key"] for entry in (manifest.get("inputs") or {}).values()}
    keys |= {manifest[kind]["key"] for kind in ("carry", "retained") if manifest.get(kind)}
    return keys
