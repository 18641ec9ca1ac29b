"""What a read computed from stored entities, kept until a write changes one of them (issue 18 §6).

A programme's summary reads the same entities on every turn and recomputes the same figures from
them. :class:`EtagMemo` keeps a computed value together with the ETags of the entities it was
computed from; the read still asks the store for the entities (cheap, and the only way to see a
write by another instance, the CLI or an import), and recomputes only when an ETag differs. So a
value is never older than the store: a write anywhere changes an ETag, and the next read
recomputes. Values must be immutable (frozen dataclasses, tuples): they are shared between turns.

    memo = EtagMemo()
    summary = memo.get(("city", as_of), etags_of(entities), lambda: compute(entities, as_of))
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_SIZE = 512


def etags_of(entities: Iterable[Any]) -> tuple[tuple[str, str, str | None], ...] | None:
    """The version of a set of entities: their keys and ETags (None if any has no ETag: not cached)."""
    versions = []
    for entity in entities:
        if not entity.etag:
            return None
        versions.append((entity.partition_key, entity.row_key, entity.etag))
    return tuple(versions)


class EtagMemo:
    """Values by key, each valid while its entities keep the ETags it was computed from (LRU)."""

    def __init__(self, size: int = DEFAULT_SIZE):
        self._size = size
        self._values: OrderedDict[Hashable, tuple[Hashable, Any]] = OrderedDict()
        self._lock = threading.Lock()  # services run in worker threads
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, version: Hashable | None, compute: Callable[[], T]) -> T:
        """The value for ``key`` computed at ``version`` (ETags); ``compute()`` when there is none.
        ``version`` None (an entity without an ETag) computes every time and keeps nothing."""
        if version is not None:
            with self._lock:
                hit = self._values.get(key)
                if hit is not None and hit[0] == version:
                    self._values.move_to_end(key)
                    self.hits += 1
                    return hit[1]
        self.misses += 1
        value = compute()
        if version is not None:
            with self._lock:
                self._values[key] = (version, value)
                self._values.move_to_end(key)
                while len(self._values) > self._size:
                    self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
