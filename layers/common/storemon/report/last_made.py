"""The last value a function made, kept per process with what it was made of.

A batch's alerts, its report and its status now read the same polls of the poll history and
select them the same way; keeping the last one made (one entry: the memory of one report) lets
the second and third ask for it again instead of making it again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


def identical(made_of: tuple, asked: tuple) -> bool:
    """The same objects (``is``), one by one: for arrays and tables, which are never changed
    once made."""
    return len(made_of) == len(asked) and all(a is b for a, b in zip(made_of, asked, strict=True))


class LastMade(Generic[K, V]):
    """The last ``size`` entries (one by default): ``(made of, value)``; :meth:`get` gives
    the value when asked with what it was made of (compared by `same`: ``==`` by default),
    else None."""

    def __init__(self, same: Callable[[K, K], bool] | None = None, size: int = 1) -> None:
        self._same = same or (lambda a, b: a == b)
        self._size = size
        self._entries: tuple[tuple[K, V], ...] = ()

    def get(self, made_of: K) -> V | None:
        for entry in self._entries:  # one read: another thread may replace them
            if self._same(entry[0], made_of):
                return entry[1]
        return None

    def keep(self, made_of: K, value: V) -> V:
        self._entries = ((made_of, value), *self._entries[: self._size - 1])
        return value

    def clear(self) -> None:
        self._entries = ()


class Newest(Generic[K, V]):
    """The last ``size`` values kept by key, the oldest dropped first (a lock keeps the
    entries whole when threads share it); for values made of immutable objects, such as a
    history's partitions, read by key again and again."""

    def __init__(self, size: int) -> None:
        import threading

        self._size = size
        self._entries: dict[K, V] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._entries.pop(key, None)
            if value is not None:
                self._entries[key] = value  # the newest last
            return value

    def keep(self, key: K, value: V) -> V:
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = value
            while len(self._entries) > self._size:
                del self._entries[next(iter(self._entries))]
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def snapshot(self) -> dict[K, V]:
        """A copy of the entries (tests set them aside and back: :meth:`restore`)."""
        with self._lock:
            return dict(self._entries)

    def restore(self, entries: dict[K, V]) -> None:
        with self._lock:
            self._entries = dict(entries)
