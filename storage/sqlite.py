"""The embedded TableStore backend: one SQLite file in WAL mode.

Layout: a single generic table holds every entity of every store table::

    entities(table_name, partition_key, row_key, etag, properties)
    PRIMARY KEY (table_name, partition_key, row_key)

``table_name`` is stored lower-cased because Azure table names are case-insensitive.
``properties`` is a JSON object with a type tag per value, named after the Azure EDM types so
the file reads like the Azure wire format::

    {"count": ["Int64", 1099511627776], "due": ["DateTime", "2026-11-26T00:00:00.000000Z"],
     "name": ["String", "健康福祉局"], "ratio": ["Double", 0.5], "done": ["Boolean", true]}

Datetimes are normalised to UTC: an aware datetime in any zone goes in, the same instant comes
back as an aware datetime with ``tzinfo=timezone.utc`` (equal to the input, exact to the
microsecond), as on Azure. Non-finite doubles are written as the strings "NaN", "Infinity"
and "-Infinity" (again like Azure), because SQLite's JSON functions reject bare NaN.

Concurrency: one connection guarded by a lock, so the store is safe to share between threads
(``asyncio.to_thread`` workers). Every write runs in a ``BEGIN IMMEDIATE`` transaction and
a busy timeout lets several processes share the file. An ETag check is an
``UPDATE/DELETE ... WHERE etag = ?`` that must touch exactly one row.

Ordering: rows sort by SQLite's BINARY collation, i.e. Unicode code point order. Azure (and
Azurite) sort keys by UTF-16 code units, which differs only between characters above U+FFFF
(emoji) and U+E000-U+FFFF (e.g. full-width forms); keep that in mind for such keys.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
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
    validate_where,
)

SCHEMA_VERSION = 1
PAGE_SIZE = 1000  # rows read per lock acquisition while a query is iterated
BUSY_TIMEOUT_SECONDS = 10.0
_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entities (
    table_name    TEXT NOT NULL,
    partition_key TEXT NOT NULL,
    row_key       TEXT NOT NULL,
    etag          TEXT NOT NULL,
    properties    TEXT NOT NULL,
    PRIMARY KEY (table_name, partition_key, row_key)
) WITHOUT ROWID
"""


class SqliteTableStore(TableStore):
    """TableStore over one SQLite file (created if missing; its directory must exist)."""

    def __init__(self, path: str | Path, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._busy_timeout = busy_timeout  # SQLITE_BUSY_TIMEOUT_SECONDS: the file's lock, and ours
        self._closed = False
        # isolation_level=None: autocommit; transactions are explicit (see _transaction).
        self._conn = sqlite3.connect(
            self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        with self._transaction() as conn:
            conn.execute(_SCHEMA)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    # --- reads -----------------------------------------------------------------------------

    def get(self, table: str, partition_key: str, row_key: str) -> Entity | None:
        name = _table_key(table)
        validate_key("PartitionKey", partition_key)
        validate_key("RowKey", row_key)
        rows = self._read(
            "SELECT etag, properties FROM entities"
            " WHERE table_name = ? AND partition_key = ? AND row_key = ?",
            (name, partition_key, row_key),
        )
        if not rows:
            return None
        etag, props_json = rows[0]
        return Entity(partition_key, row_key, decode_properties(props_json), etag)

    def query(
        self,
        table: str,
        partition_key: str | None = None,
        where: Mapping[str, Any] | None = None,
    ) -> Iterator[Entity]:
        # Validate now, not on the first next() of the generator.
        name = _table_key(table)
        if partition_key is not None:
            validate_key("PartitionKey", partition_key)
        validate_where(where)
        return self._query(name, partition_key, dict(where or {}))

    def _query(self, name: str, partition_key: str | None, where: dict[str, Any]) -> Iterator[Entity]:
        conditions = ["table_name = ?"]
        params: list[Any] = [name]
        if partition_key is not None:
            conditions.append("partition_key = ?")
            params.append(partition_key)
        for prop, value in where.items():
            # Narrow in SQL on the type tag (and the value where SQLite compares it exactly);
            # matches_where below decides, so the comparison is Python's and type-strict.
            tag, encoded = encode_value(value)
            conditions.append("json_extract(properties, ?) = ?")
            params += [f'$."{prop}"[0]', tag]
            if tag != "Double":
                conditions.append("json_extract(properties, ?) = ?")
                params += [f'$."{prop}"[1]', encoded]
        sql = (
            "SELECT partition_key, row_key, etag, properties FROM entities WHERE "
            + " AND ".join(conditions)
            + " AND (partition_key, row_key) > (?, ?) ORDER BY partition_key, row_key LIMIT ?"
        )
        # Keyset paging: the lock is held for one page at a time, never while the caller
        # works on the rows, so a long iteration does not block other threads.
        after = ("", "")
        while True:
            rows = self._read(sql, (*params, *after, PAGE_SIZE))
            for pk, rk, etag, props_json in rows:
                if journal.hidden(rk):
                    continue
                props = decode_properties(props_json)
                if matches_where(props, where):
                    yield Entity(pk, rk, props, etag)
            if len(rows) < PAGE_SIZE:
                return
            after = (rows[-1][0], rows[-1][1])

    # --- writes ----------------------------------------------------------------------------

    def insert(self, table: str, entity: Entity) -> Entity:
        if journal.wanted():
            return journal.single(self, table, BatchOperation("insert", entity))  # type: ignore[return-value]
        name = _table_key(table)
        validate_entity(entity)
        with self._transaction() as conn:
            return _insert(conn, name, entity)

    def upsert(self, table: str, entity: Entity, etag: str | None = None) -> Entity:
        if journal.wanted():
            return journal.single(self, table, BatchOperation("upsert", entity, etag))  # type: ignore[return-value]
        name = _table_key(table)
        validate_entity(entity)
        with self._transaction() as conn:
            return _upsert(conn, name, entity, etag)

    def delete(self, table: str, partition_key: str, row_key: str, etag: str | None = None) -> None:
        if journal.wanted():
            journal.single(self, table, BatchOperation("delete", Entity(partition_key, row_key), etag))
            return
        name = _table_key(table)
        validate_key("PartitionKey", partition_key)
        validate_key("RowKey", row_key)
        with self._transaction() as conn:
            _delete(conn, name, partition_key, row_key, etag)

    def batch(self, table: str, operations: list[BatchOperation]) -> list[Entity | None]:
        name = _table_key(table)
        validate_batch(operations)
        results: list[Entity | None] = []
        with journal.joined(table, operations) as steps, self._transaction() as conn:
            # an exception rolls the whole batch back (and leaves the journal row waiting)
            for index, op in enumerate(steps):
                try:
                    if op.kind == "insert":
                        results.append(_insert(conn, name, op.entity))
                    elif op.kind == "upsert":
                        results.append(_upsert(conn, name, op.entity, op.etag))
                    elif op.kind == "delete":
                        _delete(conn, name, op.entity.partition_key, op.entity.row_key, op.etag)
                        results.append(None)
                    else:
                        raise StorageError(f"unknown batch operation kind {op.kind!r}")
                except StorageError as exc:
                    raise BatchFailed(index, exc) from exc
        return results[: len(operations)]

    def tables(self) -> list[str]:
        return [row[0] for row in self._read("SELECT DISTINCT table_name FROM entities ORDER BY 1", ())]

    # --- lifecycle -------------------------------------------------------------------------

    def ping(self) -> bool:
        try:
            self._read("SELECT 1", ())
        except StorageError:
            return False
        return True

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    # --- helpers ---------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise StorageError(f"the store {self.path} is closed")
        return self._conn

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """The connection's lock, waited for no longer than the busy timeout: a thread held up by
        another process's write lock must not queue every other thread behind it for good."""
        if not self._lock.acquire(timeout=self._busy_timeout):
            raise StorageError(f"SQLite: the store was busy for more than {self._busy_timeout:g} s")
        try:
            yield
        finally:
            self._lock.release()

    def _read(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        with self._locked(), _sqlite_errors():
            return self._connection().execute(sql, params).fetchall()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._locked(), _sqlite_errors():
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")


@contextmanager
def _sqlite_errors() -> Iterator[None]:
    """Report SQLite failures (locked file, disk full, ...) as the port's StorageError."""
    try:
        yield
    except sqlite3.Error as exc:
        raise StorageError(f"SQLite: {exc}") from exc


# --- statements (run inside a transaction) ---------------------------------------------------


def _insert(conn: sqlite3.Connection, name: str, entity: Entity) -> Entity:
    stored, props_json = _prepare(entity)
    cursor = conn.execute(
        "INSERT INTO entities (table_name, partition_key, row_key, etag, properties)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (name, entity.partition_key, entity.row_key, stored.etag, props_json),
    )
    if cursor.rowcount != 1:
        raise EntityExists(f"{name}: ({entity.partition_key!r}, {entity.row_key!r}) already exists")
    return stored


def _upsert(conn: sqlite3.Connection, name: str, entity: Entity, etag: str | None) -> Entity:
    stored, props_json = _prepare(entity)
    if etag is None:
        conn.execute(
            "INSERT INTO entities (table_name, partition_key, row_key, etag, properties)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (table_name, partition_key, row_key)"
            " DO UPDATE SET etag = excluded.etag, properties = excluded.properties",
            (name, entity.partition_key, entity.row_key, stored.etag, props_json),
        )
        return stored
    cursor = conn.execute(
        "UPDATE entities SET etag = ?, properties = ?"
        " WHERE table_name = ? AND partition_key = ? AND row_key = ? AND etag = ?",
        (stored.etag, props_json, name, entity.partition_key, entity.row_key, etag),
    )
    if cursor.rowcount != 1:
        raise _conflict(conn, name, entity.partition_key, entity.row_key)
    return stored


def _delete(conn: sqlite3.Connection, name: str, partition_key: str, row_key: str, etag: str | None) -> None:
    if etag is None:
        conn.execute(
            "DELETE FROM entities WHERE table_name = ? AND partition_key = ? AND row_key = ?",
            (name, partition_key, row_key),
        )
        return
    cursor = conn.execute(
        "DELETE FROM entities WHERE table_name = ? AND partition_key = ? AND row_key = ? AND etag = ?",
        (name, partition_key, row_key, etag),
    )
    if cursor.rowcount != 1:
        raise _conflict(conn, name, partition_key, row_key)


def _conflict(conn: sqlite3.Connection, name: str, partition_key: str, row_key: str) -> StorageError:
    """The error for a conditional write that touched no row: gone, or changed by someone else."""
    exists = conn.execute(
        "SELECT 1 FROM entities WHERE table_name = ? AND partition_key = ? AND row_key = ?",
        (name, partition_key, row_key),
    ).fetchone()
    where = f"{name}: ({partition_key!r}, {row_key!r})"
    if exists is None:
        return EntityNotFound(f"{where} does not exist")
    return ETagMismatch(f"{where} was changed since it was read")


def _prepare(entity: Entity) -> tuple[Entity, str]:
    """The entity as stored (``None`` properties dropped, a fresh ETag) and its JSON."""
    props = {k: v for k, v in entity.properties.items() if v is not None}
    stored = Entity(entity.partition_key, entity.row_key, props, f'W/"{uuid.uuid4().hex}"')
    return stored, encode_properties(props)


def _table_key(table: str) -> str:
    validate_table_name(table)
    return table.lower()


# --- value encoding ----------------------------------------------------------------------------


def encode_value(value: Any) -> tuple[str, Any]:
    """A property value as ``(EDM type tag, JSON value)``. Check ``bool`` before ``int``."""
    if isinstance(value, bool):
        return "Boolean", value
    if isinstance(value, int):
        return "Int64", value
    if isinstance(value, float):
        if math.isfinite(value):
            return "Double", value
        return "Double", "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, str):
        return "String", value
    if isinstance(value, datetime):
        return "DateTime", value.astimezone(UTC).strftime(_DATETIME_FORMAT)
    raise TypeError(f"unsupported property type {type(value).__name__}")  # validate_entity stops this


def decode_value(tag: str, value: Any) -> Any:
    if tag == "DateTime":
        return datetime.strptime(value, _DATETIME_FORMAT).replace(tzinfo=UTC)
    if tag == "Double":
        return float(value)  # also parses "NaN", "Infinity", "-Infinity"
    if tag == "Int64":
        return int(value)
    if tag == "Boolean":
        return bool(value)
    if tag == "String":
        return str(value)
    raise StorageError(f"unknown type tag {tag!r} in the store")


def encode_properties(props: Mapping[str, Any]) -> str:
    tagged = {name: list(encode_value(value)) for name, value in props.items()}
    return json.dumps(tagged, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def decode_properties(text: str) -> dict[str, Any]:
    return {name: decode_value(tag, value) for name, (tag, value) in json.loads(text).items()}
