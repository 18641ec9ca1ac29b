"""Making "at once" certain in tests: writers that both read before either writes."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from storage.base import TableStore

BARRIER_SECONDS = 10.0  # only reached when a writer stops before writing (it was refused)


class RacingStore:
    """The store, except that while armed (:meth:`arm`), the next ``parties`` writes (batch, insert
    or upsert) on ``tables`` wait for each other: every writer has done all its reads before any
    of them writes.

    A writer refused before it writes never reaches the barrier; the others then go on alone after
    :data:`BARRIER_SECONDS` (no assertion depends on that time)."""

    def __init__(self, store: TableStore, *tables: str):
        self._store = store
        self._tables = set(tables)
        self._lock = threading.Lock()
        self._barrier: threading.Barrier | None = None
        self._left = 0
        self.together = 0  # writers the last barrier released together (all had read first)

    def arm(self, parties: int = 2) -> None:
        with self._lock:
            self._barrier = threading.Barrier(parties)
            self._left = parties
            self.together = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def _wait(self, table: str) -> None:
        barrier = None
        with self._lock:
            if table in self._tables and self._barrier is not None and self._left > 0:
                self._left -= 1
                barrier = self._barrier
        if barrier is not None:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=BARRIER_SECONDS)
                with self._lock:
                    self.together += 1

    def batch(self, table: str, operations):
        self._wait(table)
        return self._store.batch(table, operations)

    def insert(self, table: str, entity):
        self._wait(table)
        return self._store.insert(table, entity)

    def upsert(self, table: str, entity, etag=None):
        self._wait(table)
        return self._store.upsert(table, entity, etag=etag)
