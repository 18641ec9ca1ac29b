"""The TableStore port: the only way the product reads or writes persistent data.

Two backends implement it (``storage.sqlite.SqliteTableStore``, the embedded default, and
``storage.azure.AzureTableStore``, production) and one contract suite
(``tests/storage/test_contract.py``) holds both to the same behaviour.

The port is synchronous on purpose: services stay plain functions that are easy to read and
test. The bot edge calls into services with ``asyncio.to_thread`` so a slow network round trip
to Azure never blocks the event loop.

Model: a *table* holds *entities*; an entity is addressed by ``(partition_key, row_key)`` and
carries a flat dict of properties. Supported property values: ``str``, ``int`` (64-bit),
``float``, ``bool``, timezone-aware ``datetime`` and ``None`` (a ``None`` property is not stored).
Every write returns the entity with its new ``etag``.

Reads return plain Python values: a datetime comes back as the same instant (equal, exact to
the microsecond) with ``tzinfo=UTC``, whatever zone it was written in. Limits are counted in
UTF-16 code units, as Azure counts them: an emoji is two "characters".
"""

from __future__ import annotations

import abc
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

# Azure Table Storage limits, enforced here because Azurite accepts more than Azure does.
MAX_BATCH_OPERATIONS = 100
# An audited write keeps one place of each batch for its journal row (storage.journal).
MAX_AUDITED_OPERATIONS = MAX_BATCH_OPERATIONS - 1
MAX_USER_PROPERTIES = 252  # 255 minus PartitionKey, RowKey and Timestamp
MAX_STRING_CHARS = 32 * 1024  # 64 KiB of UTF-16
MAX_ENTITY_BYTES = 1024 * 1024
MAX_KEY_CHARS = 512  # 1 KiB of UTF-16
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Azure's Edm.DateTime range (Azurite stores earlier dates; the SDK garbles years before 1000).
DATETIME_MIN = datetime(1601, 1, 1, tzinfo=UTC)
DATETIME_MAX = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)

_TABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{2,62}$")
_PROPERTY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")
_FORBIDDEN_KEY_CHARS = re.compile(r"[/\\#?\x00-\x1f\x7f-\x9f]")
_RESERVED_PROPERTIES = {"PartitionKey", "RowKey", "Timestamp", "etag", "odata.etag"}


class StorageError(Exception):
    """Base class of the errors a TableStore raises."""


class EntityNotFound(StorageError):
    """The entity does not exist (raised by conditional writes and deletes)."""


class EntityExists(StorageError):
    """``insert`` found an entity with the same keys already there."""


class ETagMismatch(StorageError):
    """Somebody else changed the entity since it was read: the stale write was refused."""


class InvalidEntity(StorageError, ValueError):
    """A key, table name, property name, value or size breaks the rules above."""


class BatchFailed(StorageError):
    """One operation of a batch failed, so none of them was applied.

    ``index`` is the position of the failing operation and ``cause`` the error it raised.
    """

    def __init__(self, index: int, cause: StorageError):
        super().__init__(f"batch operation {index} failed: {cause!r}")
        self.index = index
        self.cause = cause


@dataclass(frozen=True)
class Entity:
    partition_key: str
    row_key: str
    properties: Mapping[str, Any] = field(default_factory=dict)
    etag: str | None = None

    def __getitem__(self, name: str) -> Any:
        return self.properties[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.properties.get(name, default)


@dataclass(frozen=True)
class BatchOperation:
    """One step of :meth:`TableStore.batch`.

    ``kind``: ``insert`` (fails if present), ``upsert`` (replace or create; with ``etag`` it
    must match), or ``delete`` (with ``etag`` it must match).
    """

    kind: Literal["insert", "upsert", "delete"]
    entity: Entity
    etag: str | None = None


class TableStore(abc.ABC):
    """The storage port. Implementations must be safe to call from several threads."""

    @abc.abstractmethod
    def get(self, table: str, partition_key: str, row_key: str) -> Entity | None:
        """The entity, or ``None`` if there is none."""

    @abc.abstractmethod
    def query(
        self,
        table: str,
        partition_key: str | None = None,
        where: Mapping[str, Any] | None = None,
    ) -> Iterator[Entity]:
        """Entities of one partition (or the whole table when ``partition_key`` is None),
        ordered by ``(partition_key, row_key)``, optionally filtered by property equality.

        Backends page transparently: a partition of any size is returned whole.
        """

    @abc.abstractmethod
    def insert(self, table: str, entity: Entity) -> Entity:
        """Insert-if-absent. Raises :class:`EntityExists` if the keys are taken."""

    @abc.abstractmethod
    def upsert(self, table: str, entity: Entity, etag: str | None = None) -> Entity:
        """Replace the whole entity (creating it when ``etag`` is None).

        With ``etag`` the entity must exist and still carry that ETag, otherwise
        :class:`ETagMismatch` (or :class:`EntityNotFound` if it is gone).
        """

    @abc.abstractmethod
    def delete(self, table: str, partition_key: str, row_key: str, etag: str | None = None) -> None:
        """Delete; a missing entity is not an error unless ``etag`` was given."""

    @abc.abstractmethod
    def batch(self, table: str, operations: list[BatchOperation]) -> list[Entity | None]:
        """Apply up to 100 operations on one partition, all or nothing.

        Returns the written entity (``None`` for deletes) per operation. On failure raises
        :class:`BatchFailed` and nothing is applied.
        """

    @abc.abstractmethod
    def tables(self) -> list[str]:
        """The names of the tables that hold (or held) entities."""

    @abc.abstractmethod
    def ping(self) -> bool:
        """True when the backend answers (used by ``GET /healthz``)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections. Safe to call twice."""


# --- validation shared by the backends -------------------------------------------------------


def validate_table_name(table: str) -> None:
    if not _TABLE_NAME.match(table or ""):
        raise InvalidEntity(f"invalid table name {table!r}: 3-63 letters/digits, starting with a letter")


def utf16_len(text: str, what: str = "text") -> int:
    """Length in UTF-16 code units, the unit of Azure's limits ("characters" above).

    An emoji or a rare kanji outside the BMP counts twice. Lone surrogates cannot be stored by
    either backend and are refused here.
    """
    try:
        return len(text.encode("utf-16-le")) // 2
    except UnicodeEncodeError as exc:
        raise InvalidEntity(f"{what} is not valid Unicode (lone surrogate)") from exc


def validate_key(kind: str, key: str) -> None:
    if not isinstance(key, str) or key == "":
        raise InvalidEntity(f"{kind} must be a non-empty string")
    if utf16_len(key, kind) > MAX_KEY_CHARS:
        raise InvalidEntity(f"{kind} is longer than {MAX_KEY_CHARS} characters")
    if _FORBIDDEN_KEY_CHARS.search(key):
        raise InvalidEntity(f"{kind} {key!r} contains / \\ # ? or a control character")


def validate_entity(entity: Entity) -> None:
    """Check keys, property names, value types and Azure's size limits."""
    validate_key("PartitionKey", entity.partition_key)
    validate_key("RowKey", entity.row_key)
    props = {k: v for k, v in entity.properties.items() if v is not None}
    if len(props) > MAX_USER_PROPERTIES:
        raise InvalidEntity(f"entity has {len(props)} properties; at most {MAX_USER_PROPERTIES} are allowed")
    size = 2 * (utf16_len(entity.partition_key) + utf16_len(entity.row_key))
    for name, value in props.items():
        if name in _RESERVED_PROPERTIES or not _PROPERTY_NAME.match(name):
            raise InvalidEntity(f"invalid property name {name!r}")
        size += 2 * len(name) + _value_size(name, value)
    if size > MAX_ENTITY_BYTES:
        raise InvalidEntity(f"entity is about {size} bytes; at most {MAX_ENTITY_BYTES} are allowed")


def _value_size(name: str, value: Any) -> int:
    if isinstance(value, bool):
        return 1
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise InvalidEntity(f"property {name!r}: integer out of 64-bit range")
        return 8
    if isinstance(value, float):
        return 8
    if isinstance(value, str):
        units = utf16_len(value, what=f"property {name!r}")
        if units > MAX_STRING_CHARS:
            raise InvalidEntity(f"property {name!r}: string longer than {MAX_STRING_CHARS} characters")
        return 2 * units
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidEntity(f"property {name!r}: datetime must be timezone-aware")
        if not DATETIME_MIN <= value <= DATETIME_MAX:
            raise InvalidEntity(f"property {name!r}: datetime outside 1601-01-01..9999-12-31 UTC")
        return 8
    raise InvalidEntity(f"property {name!r}: unsupported type {type(value).__name__}")


def validate_where(where: Mapping[str, Any] | None) -> None:
    """Check the equality filter of :meth:`TableStore.query`.

    Values follow the property rules, except that ``None`` (no stored value) and NaN (never
    equal to itself) cannot be matched and are refused. Matching is type-strict on every
    backend: ``True`` does not match ``1`` and ``1`` does not match ``1.0``.
    """
    for name, value in (where or {}).items():
        if name in _RESERVED_PROPERTIES or not _PROPERTY_NAME.match(name):
            raise InvalidEntity(f"invalid property name {name!r} in filter")
        if value is None:
            raise InvalidEntity(
                f"filter on {name!r}: None cannot be matched (absent properties aren't stored)"
            )
        if isinstance(value, float) and value != value:
            raise InvalidEntity(f"filter on {name!r}: NaN cannot be matched")
        _value_size(name, value)


def matches_where(properties: Mapping[str, Any], where: Mapping[str, Any] | None) -> bool:
    """The type-strict equality of :meth:`TableStore.query` filters, as the backends apply it."""
    for name, wanted in (where or {}).items():
        value = properties.get(name)
        if type(value) is not type(wanted) or value != wanted:
            return False
    return True


def validate_batch(operations: list[BatchOperation]) -> None:
    if not operations:
        raise InvalidEntity("a batch needs at least one operation")
    if len(operations) > MAX_BATCH_OPERATIONS:
        raise InvalidEntity(f"a batch takes at most {MAX_BATCH_OPERATIONS} operations, got {len(operations)}")
    partitions = {op.entity.partition_key for op in operations}
    if len(partitions) != 1:
        raise InvalidEntity("all operations of a batch must share one partition key")
    seen: set[str] = set()
    for op in operations:
        if op.entity.row_key in seen:
            raise InvalidEntity(f"row key {op.entity.row_key!r} appears twice in one batch")
        seen.add(op.entity.row_key)
        if op.kind == "delete":
            validate_key("PartitionKey", op.entity.partition_key)
            validate_key("RowKey", op.entity.row_key)
        else:
            validate_entity(op.entity)
