"""The production TableStore backend: Azure Table Storage through ``azure-data-tables`` (sync).

This is the only module that imports ``azure.data.tables`` / ``azure.core``.

How the port maps onto the SDK, and the pitfalls it works around:

- Tables are created on first use (``create_table_if_not_exists``); the clients are cached.
  Azure table names are case-insensitive, so the cache is keyed by the lower-cased name.
- Every ``int`` is written as ``Edm.Int64`` (Python ints beyond 32 bits must be, and one type
  keeps things simple). ``where`` filters on ints are *not* sent to the server: Azurite answers
  500 when an Int64 literal (``1L``) meets a Boolean, Double or Int32 property, so an int
  filter on a property of mixed types would break the query. The other filter values
  (str, bool, float, datetime) go into the OData filter; every result is then checked
  type-strictly in Python, because Azurite is loose (``'1'`` matches the Int64 ``1``).
- Reads return ``EntityProperty`` for Int64 and a ``TablesEntityDatetime`` subclass for dates;
  both are turned back into plain ``int`` and plain aware ``datetime`` (UTC).
- Filters are built as ``"PartitionKey eq @pk and name eq @p0"``: the SDK finds parameters by
  splitting on spaces, so no parentheses around them.
- ``delete_entity`` swallows 404 even with an ETag, so a conditional delete is sent as a
  one-operation transaction, which does report a missing entity.
- In a transaction, deleting a missing entity fails the whole batch. The port says an
  unconditional delete of a missing entity is no error, so such a batch is retried without
  that operation (the failed attempt applied nothing).
- Azure's limits (and ours: keys, types, sizes, batches) are checked by ``storage.base``
  before any request, because Azurite accepts more than Azure does in most respects.
  One exception: Azurite checks the 1 MiB entity limit against the UTF-8 size of the JSON
  request body, and the SDK escapes non-ASCII text as ``\\uXXXX`` (6 bytes a kanji, 12 an
  emoji; Azure counts 2 and 4). So on Azurite an entity holding more than about 170,000
  Japanese characters is refused; the service's size refusals surface as InvalidEntity.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import (
    EdmType,
    EntityProperty,
    TableClient,
    TableEntity,
    TableServiceClient,
    TableTransactionError,
    UpdateMode,
)

from storage import journal
from storage.base import (
    BatchFailed,
    BatchOperation,
    Entity,
    EntityExists,
    EntityNotFound,
    ETagMismatch,
    InvalidEntity,
    StorageError,
    TableStore,
    matches_where,
    validate_batch,
    validate_entity,
    validate_key,
    validate_table_name,
    validate_where,
)

PING_TIMEOUT_SECONDS = 5
# Every request is bounded (the SDK's defaults are 300 s to connect and 10 retries with up to 120 s
# of backoff: a turn would wait far past Teams' ~15 s when storage is down). The bot passes its
# settings (STORAGE_CONNECT_TIMEOUT_SECONDS, STORAGE_READ_TIMEOUT_SECONDS, STORAGE_RETRIES).
CONNECT_TIMEOUT_SECONDS = 2.0
READ_TIMEOUT_SECONDS = 3.0
RETRIES = 1
RETRY_BACKOFF_SECONDS = 0.2  # before the second retry onwards (the first is immediate), at most 1 s


class AzureTableStore(TableStore):
    """TableStore over an Azure Storage account (or Azurite) given by its connection string.

    One call takes at most about ``(retries + 1) × (connect_timeout + read_timeout)`` plus a little
    backoff; a read timeout is retried only for reads and idempotent writes (the SDK's rule), never
    for a batch or an insert (POST).
    """

    def __init__(
        self,
        connection_string: str,
        *,
        connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
        read_timeout: float = READ_TIMEOUT_SECONDS,
        retries: int = RETRIES,
    ) -> None:
        # Building the client does no I/O; the first request happens on first use. The table
        # clients made from it share its transport and policies (timeouts and retries included).
        self._service = TableServiceClient.from_connection_string(
            connection_string,
            connection_timeout=connect_timeout,
            read_timeout=read_timeout,
            retry_total=retries,
            retry_backoff_factor=RETRY_BACKOFF_SECONDS,
            retry_backoff_max=1,
        )
        self._tables: dict[str, TableClient] = {}
        self._lock = threading.Lock()

    # --- reads -----------------------------------------------------------------------------

    def get(self, table: str, partition_key: str, row_key: str) -> Entity | None:
        validate_key("PartitionKey", partition_key)
        validate_key("RowKey", row_key)
        client = self._table(table)
        try:
            with _translated_errors():
                found = client.get_entity(partition_key, row_key)
        except EntityNotFound:
            return None
        return _from_azure(found)

    def query(
        self,
        table: str,
        partition_key: str | None = None,
        where: Mapping[str, Any] | None = None,
    ) -> Iterator[Entity]:
        validate_table_name(table)
        if partition_key is not None:
            validate_key("PartitionKey", partition_key)
        validate_where(where)
        return self._query(table, partition_key, dict(where or {}))

    def _query(self, table: str, partition_key: str | None, where: dict[str, Any]) -> Iterator[Entity]:
        clauses: list[str] = []
        parameters: dict[str, Any] = {}
        if partition_key is not None:
            clauses.append("PartitionKey eq @pk")
            parameters["pk"] = partition_key
        for index, (name, value) in enumerate(where.items()):
            if isinstance(value, int) and not isinstance(value, bool):
                continue  # matched below only: Azurite answers 500 to an Int64 literal, see above
            clauses.append(f"{name} eq @p{index}")
            parameters[f"p{index}"] = value
        client = self._table(table)
        with _translated_errors():
            if clauses:
                pages = client.query_entities(" and ".join(clauses), parameters=parameters)
            else:
                pages = client.list_entities()
            # ItemPaged follows the continuation tokens: every page (1,000 entities each) is read.
            for found in pages:
                if journal.hidden(found["RowKey"]):
                    continue
                entity = _from_azure(found)
                # The server filter narrows; this decides, type-strict like SQLite. (Azurite
                # matches the string '1' with the Int64 1, and 1.0 with 1.)
                if matches_where(entity.properties, where):
                    yield entity

    # --- writes ----------------------------------------------------------------------------

    def insert(self, table: str, entity: Entity) -> Entity:
        if journal.wanted():
            return journal.single(self, table, BatchOperation("insert", entity))  # type: ignore[return-value]
        validate_entity(entity)
        client = self._table(table)
        with _translated_errors():
            written = client.create_entity(_to_azure(entity))
        return _stamped(entity, written)

    def upsert(self, table: str, entity: Entity, etag: str | None = None) -> Entity:
        if journal.wanted():
            return journal.single(self, table, BatchOperation("upsert", entity, etag))  # type: ignore[return-value]
        validate_entity(entity)
        client = self._table(table)
        with _translated_errors():
            if etag is None:
                written = client.upsert_entity(_to_azure(entity), mode=UpdateMode.REPLACE)
            else:
                written = client.update_entity(
                    _to_azure(entity),
                    mode=UpdateMode.REPLACE,
                    etag=etag,
                    match_condition=MatchConditions.IfNotModified,
                )
        return _stamped(entity, written)

    def delete(self, table: str, partition_key: str, row_key: str, etag: str | None = None) -> None:
        if journal.wanted():
            journal.single(self, table, BatchOperation("delete", Entity(partition_key, row_key), etag))
            return
        validate_key("PartitionKey", partition_key)
        validate_key("RowKey", row_key)
        client = self._table(table)
        keys = {"PartitionKey": partition_key, "RowKey": row_key}
        with _translated_errors():
            if etag is None:
                client.delete_entity(partition_key, row_key)  # a missing entity is fine
                return
            try:
                client.submit_transaction(
                    [("delete", keys, {"etag": etag, "match_condition": MatchConditions.IfNotModified})]
                )
            except TableTransactionError as exc:
                raise _transaction_cause(exc) from exc

    def batch(self, table: str, operations: list[BatchOperation]) -> list[Entity | None]:
        validate_batch(operations)
        with journal.joined(table, operations) as steps:  # the waiting journal row, if any, joins
            return self._batch(table, steps)[: len(operations)]

    def _batch(self, table: str, operations: list[BatchOperation]) -> list[Entity | None]:
        client = self._table(table)
        pending = list(range(len(operations)))  # positions still to send
        while pending:
            try:
                with _translated_errors(transaction=False):
                    written = client.submit_transaction([_batch_step(operations[i]) for i in pending])
            except TableTransactionError as exc:
                position = exc.index if 0 <= exc.index < len(pending) else 0
                index = pending[position]
                cause = _transaction_cause(exc)
                op = operations[index]
                if op.kind == "delete" and op.etag is None and isinstance(cause, EntityNotFound):
                    pending.remove(index)  # nothing was applied; send the rest again
                    continue
                raise BatchFailed(index, cause) from exc
            results: list[Entity | None] = [None] * len(operations)
            for index, metadata in zip(pending, written, strict=True):
                if operations[index].kind != "delete":
                    results[index] = _stamped(operations[index].entity, metadata)
            return results
        return [None] * len(operations)  # every operation was a delete of a missing entity

    def tables(self) -> list[str]:
        with _translated_errors():
            return sorted(t.name for t in self._service.list_tables())

    # --- lifecycle -------------------------------------------------------------------------

    def ping(self) -> bool:
        try:
            # No retries and short timeouts: /healthz must answer quickly when storage is down.
            self._service.get_service_properties(
                retry_total=0,
                connection_timeout=PING_TIMEOUT_SECONDS,
                read_timeout=PING_TIMEOUT_SECONDS,
            )
        except AzureError:
            return False
        return True

    def close(self) -> None:
        with self._lock:
            clients, self._tables = list(self._tables.values()), {}
        for client in clients:
            client.close()
        self._service.close()

    # --- helpers ---------------------------------------------------------------------------

    def _table(self, table: str) -> TableClient:
        validate_table_name(table)
        key = table.lower()
        with self._lock:
            client = self._tables.get(key)
        if client is None:
            # Not under the lock: when storage hangs, one thread's request must not make every
            # other thread wait behind it. Two threads may both create the table; that is harmless.
            with _translated_errors():
                created = self._service.create_table_if_not_exists(table)
            with self._lock:
                client = self._tables.setdefault(key, created)
        return client


# --- conversions -------------------------------------------------------------------------------


def _to_azure(entity: Entity) -> dict[str, Any]:
    data: dict[str, Any] = {"PartitionKey": entity.partition_key, "RowKey": entity.row_key}
    for name, value in entity.properties.items():
        if value is None:
            continue
        if isinstance(value, bool):  # bool is an int: check it first
            data[name] = value
        elif isinstance(value, int):
            data[name] = EntityProperty(value, EdmType.INT64)
        elif isinstance(value, datetime):
            data[name] = value.astimezone(UTC)  # aware (validated): the same instant
        else:
            data[name] = value
    return data


def _from_azure(found: TableEntity) -> Entity:
    props: dict[str, Any] = {}
    for name, value in found.items():
        if name in ("PartitionKey", "RowKey"):
            continue
        if isinstance(value, EntityProperty):
            value = value.value
        if isinstance(value, datetime):  # the SDK's TablesEntityDatetime, already UTC
            value = datetime.combine(value.date(), value.time(), tzinfo=UTC)
        props[name] = value
    return Entity(found["PartitionKey"], found["RowKey"], props, found.metadata.get("etag"))


def _stamped(entity: Entity, metadata: Mapping[str, Any]) -> Entity:
    props = {k: v for k, v in entity.properties.items() if v is not None}
    return Entity(entity.partition_key, entity.row_key, props, metadata.get("etag"))


def _batch_step(op: BatchOperation) -> tuple[str, dict[str, Any], dict[str, Any]]:
    conditional = {"etag": op.etag, "match_condition": MatchConditions.IfNotModified}
    if op.kind == "insert":
        return ("create", _to_azure(op.entity), {})
    if op.kind == "upsert":
        if op.etag is None:
            return ("upsert", _to_azure(op.entity), {"mode": UpdateMode.REPLACE})
        return ("update", _to_azure(op.entity), {"mode": UpdateMode.REPLACE, **conditional})
    if op.kind == "delete":
        keys = {"PartitionKey": op.entity.partition_key, "RowKey": op.entity.row_key}
        return ("delete", keys, conditional if op.etag is not None else {})
    raise StorageError(f"unknown batch operation kind {op.kind!r}")


# --- errors ------------------------------------------------------------------------------------

# The service's refusals of an entity that storage.base let through (it should not happen on
# Azure, but Azurite measures size differently: see the module doc).
_INVALID_ENTITY_CODES = {
    "EntityTooLarge",
    "PropertyValueTooLarge",
    "PropertyNameTooLong",
    "TooManyProperties",
    "KeyValueTooLarge",
    "InvalidValueType",
    "OutOfRangeInput",
    "RequestBodyTooLarge",
}
_TRANSACTION_ERRORS: dict[str, type[StorageError]] = {
    "EntityAlreadyExists": EntityExists,
    "UpdateConditionNotSatisfied": ETagMismatch,
    "ResourceNotFound": EntityNotFound,
    **{code: InvalidEntity for code in _INVALID_ENTITY_CODES},
}


def _error_code(exc: AzureError) -> str:
    code = getattr(exc, "error_code", None)
    return str(getattr(code, "value", code) or "")


def _transaction_cause(exc: TableTransactionError) -> StorageError:
    """The port's error for the failing operation of a transaction."""
    error_type = _TRANSACTION_ERRORS.get(_error_code(exc))
    if error_type is None and exc.status_code == 412:
        error_type = ETagMismatch
    elif error_type is None and exc.status_code == 404:
        error_type = EntityNotFound
    message = (exc.message or str(exc)).splitlines()[0]
    return (error_type or StorageError)(message)


@contextmanager
def _translated_errors(transaction: bool = True) -> Iterator[None]:
    """Translate the SDK's exceptions into the port's; ``transaction=False`` lets
    ``TableTransactionError`` through for the caller to inspect."""
    try:
        yield
    except StorageError:
        raise
    except ResourceModifiedError as exc:  # 412 on If-Match
        raise ETagMismatch(_first_line(exc)) from exc
    except ResourceNotFoundError as exc:
        raise EntityNotFound(_first_line(exc)) from exc
    except ResourceExistsError as exc:
        raise EntityExists(_first_line(exc)) from exc
    except TableTransactionError as exc:
        if not transaction:
            raise
        raise _transaction_cause(exc) from exc
    except AzureError as exc:
        if _error_code(exc) in _INVALID_ENTITY_CODES:
            raise InvalidEntity(_first_line(exc)) from exc
        raise StorageError(f"Azure Table Storage: {_first_line(exc)}") from exc


def _first_line(exc: AzureError) -> str:
    return (getattr(exc, "message", None) or str(exc)).splitlines()[0]
