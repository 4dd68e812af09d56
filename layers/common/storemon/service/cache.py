"""What a warm container keeps of S3 objects that never change once written.

A report's files (``stores.json``, ``incidents.json``) and an input set's snapshot are written
once and never changed, so what was read from them stays right for the life of the container.
:class:`ObjectCache` keeps the last few, least recently used first out, keyed by (bucket, key);
every cache made here is listed, so :func:`clear_caches` empties them all (a cold container,
in tests).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from storemon.service import aws

Value = TypeVar("Value")
_ALL: list[ObjectCache | ByteCache] = []


class ObjectCache(Generic[Value]):
    """The last ``size`` objects read from S3, each as ``parse(bytes)``, by (bucket, key).

    A read or parse that raises (the object is missing, a snapshot is refused) caches nothing.
    Safe to share between threads (the local stack runs functions in threads of one process).
    """

    def __init__(self, size: int, parse: Callable[[bytes], Value]) -> None:
        self.size = size
        self.parse = parse
        self._values: OrderedDict[tuple[str, str], Value] = OrderedDict()
        self._lock = threading.Lock()
        _ALL.append(self)

    def get(self, bucket: str, key: str) -> Value:
        """The object's value, read and parsed on the first call (S3 errors propagate)."""
        with self._lock:
            if (bucket, key) in self._values:
                self._values.move_to_end((bucket, key))
                return self._values[(bucket, key)]
        value = self.parse(aws.get_object(bucket, key))
        with self._lock:
            self._values[(bucket, key)] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value

    def forget(self, bucket: str, key: str) -> None:
        """Drop one object (it was replaced, or found damaged past what ``parse`` checks)."""
        with self._lock:
            self._values.pop((bucket, key), None)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


class ByteCache:
    """Objects' bytes by (bucket, key), the least recently used dropped first once they hold
    more than ``limit`` bytes (an object larger than that is not kept)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._values: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()
        _ALL.append(self)

    def get(self, bucket: str, key: str) -> bytes:
        with self._lock:
            if (bucket, key) in self._values:
                self._values.move_to_end((bucket, key))
                return self._values[(bucket, key)]
        data = aws.get_object(bucket, key)
        if len(data) > self.limit:
            return data
        with self._lock:
            if (bucket, key) not in self._values:
                self._values[(bucket, key)] = data
                self._held += len(data)
            while self._held > self.limit:
                self._held -= len(self._values.popitem(last=False)[1])
        return data

    def put(self, bucket: str, key: str, data: bytes) -> None:
        """Keep bytes this container just wrote (the next read of them is not a GET)."""
        if len(data) > self.limit:
            return
        with self._lock:
            if (bucket, key) not in self._values:
                self._values[(bucket, key)] = data
                self._held += len(data)
            self._values.move_to_end((bucket, key))
            while self._held > self.limit:
                self._held -= len(self._values.popitem(last=False)[1])

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._held = 0


def clear_caches() -> None:
    """Empty every :class:`ObjectCache`: the next reads go to S3, as in a cold container."""
    for cache in _ALL:
        cache.clear()
