"""Hand-written fakes of our own ports, for service and dialog tests.

The real backends are tested by ``tests/storage/test_contract.py``; this fake follows the same
rules (it reuses the port's validation) so a service that passes against it behaves the same on
SQLite and Azure.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from storage import journal
from storage.base import (
    BatchFailed,
    BatchOperation,
    Entity,
    EntityExists,
    EntityNotFound,
    ETagMismatch,
    StorageError,
    TableStore,
    matches_where,
    validate_batch,
    validate_entity,
    validate_key,
    validate_table_name,
)


class InMemoryTableStore(TableStore):
    def __init__(self) -> None:
        self._tables: dict[str, dict[tuple[str, str], Entity]] = {}
        self._etags = itertools.count(1)
        self._lock = threading.RLock()
        self.healthy = True

    def _table(self, table: str) -> dict[tuple[str, str], Entity]:
        validate_table_name(table)
        return self._tables.setdefault(table, {})

    def _stamp(self, entity: Entity) -> Entity:
        props = {k: v for k, v in entity.properties.items() if v is not None}
        return Entity(entity.partition_key, entity.row_key, props, f'W/"{next(self._etags)}"')

    def get(self, table: str, partition_key: str, row_key: str) -> Entity | None:
        validate_key("PartitionKey", partition_key)
        validate_key("RowKey", row_key)
        with self._lock:
            return self._table(table).get((partition_key, row_key))

    def query(
        self, table: str, partition_key: str | None = None, where: Mapping[str, Any] | None = None
    ) -> Iterator[Entity]:
        with self._lock:
            rows = sorted(self._table(table).items())
        for (pk, rk), entity in rows:
            if journal.hidden(rk):
                continue
            if partition_key is not None and pk != partition_key:
                continue
            if not matches_where(entity.properties, where):
                continue
            yield entity

    def insert(self, table: str, entity: Entity) -> Entity:
        if journal.wanted():
            return journal.single(self, table, BatchOperation("insert", entity))  # type: ignore[return-value]
        validate_entity(entity)
        with self._lock:
            rows = self._table(table)
            key = (entity.partition_key, entity.row_key)
            if key in rows:
                raise EntityExists(key)
            rows[key] = self._stamp(entity)
            return rows[key]

    def upsert(self, table: str, entity: Entity, etag: str | None = None) -> Entity:
        if journal.wanted():
            return journal.single(self, table, BatchOperation("upsert", entity, etag))  # type: ignore[return-value]
        validate_entity(entity)
        with self._lock:
            rows = self._table(table)
            key = (entity.partition_key, entity.row_key)
            if etag is not None:
                if key not in rows:
                    raise EntityNotFound(key)
                if rows[key].etag != etag:
                    raise ETagMismatch(key)
            rows[key] = self._stamp(entity)
            return rows[key]

    def delete(self, table: str, partition_key: str, row_key: str, etag: str | None = None) -> None:
        if journal.wanted():
            journal.single(self, table, BatchOperation("delete", Entity(partition_key, row_key), etag))
            return
        with self._lock:
            rows = self._table(table)
            key = (partition_key, row_key)
            if etag is not None:
                if key not in rows:
                    raise EntityNotFound(key)
                if rows[key].etag != etag:
                    raise ETagMismatch(key)
            rows.pop(key, None)

    def batch(self, table: str, operations: list[BatchOperation]) -> list[Entity | None]:
        validate_batch(operations)
        with journal.joined(table, operations) as steps, self._lock:
            snapshot = dict(self._table(table))
            results: list[Entity | None] = []
            for index, op in enumerate(steps):
                try:
                    # this class's own steps, not a subclass's (test stores override the public ones)
                    if op.kind == "insert":
                        results.append(InMemoryTableStore.insert(self, table, op.entity))
                    elif op.kind == "upsert":
                        results.append(InMemoryTableStore.upsert(self, table, op.entity, op.etag))
                    else:
                        InMemoryTableStore.delete(
                            self, table, op.entity.partition_key, op.entity.row_key, op.etag
                        )
                        results.append(None)
                except StorageError as exc:
                    self._tables[table] = snapshot
                    raise BatchFailed(index, exc) from exc
            return results[: len(operations)]

    def tables(self) -> list[str]:
        with self._lock:
            return sorted(name for name, rows in self._tables.items() if rows)

    def ping(self) -> bool:
        return self.healthy

    def snapshot(self) -> dict[str, dict[tuple[str, str], tuple[dict[str, Any], str | None]]]:
        """Every table's rows (properties and ETag), for asserting that nothing was written."""
        with self._lock:
            return {
                table: {key: (dict(e.properties), e.etag) for key, e in rows.items()}
                for table, rows in self._tables.items()
                if rows
            }
