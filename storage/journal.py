"""Journal rows: a change and the record of it, saved in one transaction.

The audit trail lives in its own table, and Table Storage transactions cannot span tables, so a
change and its audit entry cannot be written together directly. Instead, while
:func:`attached` is active (the audit trail opens it around a write), the first write the
backend makes carries one extra *journal row* in the same transaction: same table, same
partition, row key ``~audit~…``, holding the audit entries. The journal row therefore exists
exactly when the change was saved. Afterwards the audit trail copies the entries into its own
table and deletes the journal row; if the process dies in between, the copy is made on the next
start (:mod:`services.audit.trail`, ``recover``).

The backends take part through three calls: :func:`joined` around each transaction they run,
:func:`wanted` to turn a single write into a one-operation transaction while a journal row is
waiting, and :func:`hidden` to leave journal rows out of :meth:`TableStore.query` (unless
:func:`revealed` is active, which only recovery uses).

State is a context variable: it follows the thread (or task) that runs the write, so a write in
one request never carries another request's journal row.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from storage.base import (
    MAX_AUDITED_OPERATIONS,
    BatchFailed,
    BatchOperation,
    Entity,
    InvalidEntity,
    TableStore,
)

PREFIX = "~audit~"
CHUNK_CHARS = 30_000  # one string property holds at most 32K UTF-16 characters


@dataclass
class Attachment:
    """The journal row waiting for the first write of an audited change."""

    key: str  # the journal row's row key (``~audit~`` + the first audit entry's row key)
    payload: dict[str, Any]  # JSON-ready: the audit entries to copy
    where: tuple[str, str] | None = None  # (table, partition) once the row was written
    busy: bool = field(default=False, repr=False)

    @property
    def written(self) -> bool:
        return self.where is not None

    def row(self, partition_key: str) -> Entity:
        text = dumps(self.payload)
        chunks = [text[i : i + CHUNK_CHARS] for i in range(0, len(text), CHUNK_CHARS)] or [""]
        properties: dict[str, Any] = {f"journal_{i:03d}": chunk for i, chunk in enumerate(chunks)}
        properties["journal_parts"] = len(chunks)
        return Entity(partition_key, self.key, properties)


_waiting: ContextVar[Attachment | None] = ContextVar("journal_waiting", default=None)
_revealed: ContextVar[bool] = ContextVar("journal_revealed", default=False)


@contextlib.contextmanager
def attached(attachment: Attachment) -> Iterator[Attachment]:
    """Within this block, the first write the store makes also writes ``attachment``'s row."""
    token = _waiting.set(attachment)
    try:
        yield attachment
    finally:
        _waiting.reset(token)


def wanted() -> bool:
    """True while a journal row waits for a write (a backend then sends a single write as a batch)."""
    waiting = _waiting.get()
    return waiting is not None and not waiting.written and not waiting.busy


@contextlib.contextmanager
def joined(table: str, operations: list[BatchOperation]) -> Iterator[list[BatchOperation]]:
    """The operations a backend should run as one transaction: ``operations`` plus the waiting
    journal row, if any. The row counts as written only when the block ends without an error."""
    waiting = _waiting.get()
    if waiting is None or waiting.written or waiting.busy or not operations:
        yield operations
        return
    if len(operations) > MAX_AUDITED_OPERATIONS:
        raise InvalidEntity(
            f"an audited write holds at most {MAX_AUDITED_OPERATIONS} operations per batch "
            f"(one place is the journal row), not {len(operations)}"
        )
    partition = operations[0].entity.partition_key
    waiting.busy = True
    try:
        yield [*operations, BatchOperation("insert", waiting.row(partition))]
    finally:
        waiting.busy = False
    waiting.where = (table, partition)


def hidden(row_key: str) -> bool:
    """True for a journal row that a query should leave out (all of them, unless revealed)."""
    return row_key.startswith(PREFIX) and not _revealed.get()


def is_journal(row_key: str) -> bool:
    return row_key.startswith(PREFIX)


def single(store: TableStore, table: str, operation: BatchOperation) -> Entity | None:
    """Run one write as a one-operation batch (so the waiting journal row joins it), raising the
    same error the single write would have raised."""
    try:
        return store.batch(table, [operation])[0]
    except BatchFailed as exc:
        # the cause keeps its own __cause__ (e.g. the SDK's error): callers read that chain
        raise exc.cause  # noqa: B904


@contextlib.contextmanager
def revealed() -> Iterator[None]:
    """Within this block queries return journal rows too (for recovery)."""
    token = _revealed.set(True)
    try:
        yield
    finally:
        _revealed.reset(token)


def dumps(payload: dict[str, Any]) -> str:
    """The payload as a journal row stores it: ASCII JSON, so its size in Azure (UTF-16) and in
    Azurite (UTF-8 with escapes) is known from its length."""
    return json.dumps(payload, ensure_ascii=True, sort_keys=True)


def pending(
    store: TableStore, skip: str, tables: Sequence[str] | None = None
) -> Iterator[tuple[str, Entity]]:
    """Every journal row still in the store (table, row), in ``tables`` (default: all) but ``skip``."""
    for table in store.tables() if tables is None else tables:
        if table.lower() == skip.lower():
            continue
        with revealed():
            rows = [e for e in store.query(table) if is_journal(e.row_key)]
        for row in rows:
            yield table, row


def discard(store: TableStore, table: str, partition_key: str, row_key: str) -> None:
    """Delete a journal row once its entries are copied (a missing row is fine)."""
    if not is_journal(row_key):
        raise ValueError(f"not a journal row: {row_key!r}")
    store.delete(table, partition_key, row_key)


def payload_of(entity: Entity) -> dict[str, Any]:
    """The JSON payload a journal row holds."""
    parts = int(entity.get("journal_parts", 0))
    return json.loads("".join(entity.get(f"journal_{i:03d}", "") for i in range(parts)))
