"""A test's own tables on the session's shared Azurite: every table name gets a prefix."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from storage.base import BatchOperation, Entity, TableStore


class PrefixedStore(TableStore):
    """Gives each test its own tables on the session's Azurite."""

    def __init__(self, inner: TableStore, prefix: str):
        self.inner, self.prefix = inner, prefix

    def get(self, table: str, partition_key: str, row_key: str) -> Entity | None:
        return self.inner.get(self.prefix + table, partition_key, row_key)

    def query(
        self, table: str, partition_key: str | None = None, where: Mapping[str, Any] | None = None
    ) -> Iterator[Entity]:
        return self.inner.query(self.prefix + table, partition_key, where)

    def insert(self, table: str, entity: Entity) -> Entity:
        return self.inner.insert(self.prefix + table, entity)

    def upsert(self, table: str, entity: Entity, etag: str | None = None) -> Entity:
        return self.inner.upsert(self.prefix + table, entity, etag)

    def delete(self, table: str, partition_key: str, row_key: str, etag: str | None = None) -> None:
        self.inner.delete(self.prefix + table, partition_key, row_key, etag)

    def batch(self, table: str, operations: list[BatchOperation]) -> list[Entity | None]:
        return self.inner.batch(self.prefix + table, operations)

    def tables(self) -> list[str]:
        return [t[len(self.prefix) :] for t in self.inner.tables() if t.startswith(self.prefix)]

    def ping(self) -> bool:
        return self.inner.ping()

    def close(self) -> None:
        self.inner.close()
