"""botbuilder ``Storage`` over our TableStore, so ConversationState/UserState (and the dialog
stack inside them) survive restarts and are shared by every instance of the bot.

Layout of one state item (table ``BotState`` by default):

- RowKey: SHA-256 hex of the botbuilder key. Those keys look like
  ``msteams/conversations/19:abc@thread.tacv2;messageid=1/`` and contain ``/`` and other
  characters Azure refuses in keys. PartitionKey: the first two hex digits of the same hash,
  which spreads the items over 256 partitions. The original key is kept in ``key``.
- ``data0``, ``data1``, ...: the item serialised as JSON, split into pieces of at most
  32 Ki UTF-16 code units (Azure's string limit); ``chunks`` says how many. The whole entity
  is still bound by the 1 MiB limit, so a state item can hold about 500,000 characters.

Serialisation is botbuilder's own (as in botbuilder-azure's BlobStorage and CosmosDB storage):
``jsonpickle``'s ``Pickler().flatten`` on write and ``Unpickler().restore`` on read, so the
dialog stack's objects (``DialogState``, ``DialogInstance``, ...) come back as objects. Only
this bot writes that table: restoring ``py/object`` entries instantiates the classes named.

Optimistic concurrency, as the botbuilder storages do it: ``read`` puts the entity's ETag in
the item's ``e_tag``; ``write`` of an item whose ``e_tag`` is neither ``None`` nor ``"*"``
succeeds only if the stored item still has that ETag, and otherwise raises
:class:`StateETagConflict`. After a successful write the item's ``e_tag`` is updated to the
new ETag, so a second save in the same turn does not conflict with itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from botbuilder.core import Storage
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler

from storage.base import MAX_STRING_CHARS, Entity, EntityExists, EntityNotFound, ETagMismatch, TableStore

DEFAULT_TABLE = "BotState"
_E_TAG = "e_tag"


class StateETagConflict(KeyError):
    """A state write carried a stale ``e_tag``: somebody else saved this state since it was read.

    A ``KeyError``, like the conflict error of botbuilder's ``MemoryStorage``.
    """

    def __str__(self) -> str:  # KeyError's repr-style message is hard to read in logs
        return str(self.args[0]) if self.args else "state e_tag conflict"


class TableStoreStateStorage(Storage):
    """``botbuilder.core.Storage`` backed by a :class:`~storage.base.TableStore`."""

    def __init__(self, store: TableStore, table: str = DEFAULT_TABLE) -> None:
        self._store = store
        self._table = table

    async def read(self, keys: list[str]) -> dict[str, object]:
        if not keys:
            return {}
        return await asyncio.to_thread(self._read, list(keys))

    async def write(self, changes: dict[str, object]) -> None:
        if changes is None:
            raise TypeError("TableStoreStateStorage.write(): changes are required")
        if not changes:
            return
        await asyncio.to_thread(self._write, changes)

    async def delete(self, keys: Iterable[str]) -> None:
        keys = list(keys or [])
        if keys:
            await asyncio.to_thread(self._delete, keys)

    # --- the synchronous work, run in a worker thread -------------------------------------

    def _read(self, keys: list[str]) -> dict[str, object]:
        items: dict[str, object] = {}
        for key in keys:
            entity = self._store.get(self._table, *entity_keys(key))
            if entity is not None:
                flat = json.loads(join_chunks(entity))
                flat[_E_TAG] = entity.etag  # for a py/object this becomes an attribute
                items[key] = Unpickler().restore(flat)
        return items

    def _write(self, changes: Mapping[str, object]) -> None:
        for key, item in changes.items():
            e_tag = _get_e_tag(item)
            if e_tag == "":
                raise ValueError(f"TableStoreStateStorage.write(): empty e_tag for {key!r}")
            flat = Pickler().flatten(item)
            if isinstance(flat, dict):
                flat.pop(_E_TAG, None)  # the ETag lives on the entity, not in the JSON
            partition_key, row_key = entity_keys(key)
            props: dict[str, Any] = {"key": key, **split_chunks(json.dumps(flat, ensure_ascii=False))}
            entity = Entity(partition_key, row_key, props)
            written = self._save(entity, None if e_tag == "*" else e_tag, key)
            _set_e_tag(item, written.etag)

    def _save(self, entity: Entity, e_tag: str | None, key: str) -> Entity:
        if e_tag is None:
            return self._store.upsert(self._table, entity)
        try:
            return self._store.upsert(self._table, entity, etag=e_tag)
        except ETagMismatch as exc:
            raise StateETagConflict(f"state {key!r} was saved by someone else since it was read") from exc
        except EntityNotFound:
            # Deleted since it was read. MemoryStorage writes in that case too; insert so
            # that a concurrent re-creation is still caught.
            try:
                return self._store.insert(self._table, entity)
            except EntityExists as exc:
                raise StateETagConflict(f"state {key!r} was re-created by someone else") from exc

    def _delete(self, keys: list[str]) -> None:
        for key in keys:
            self._store.delete(self._table, *entity_keys(key))


# --- helpers -------------------------------------------------------------------------------------


def entity_keys(key: str) -> tuple[str, str]:
    """(PartitionKey, RowKey) of a botbuilder storage key."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return digest[:2], digest


def split_chunks(text: str, max_units: int = MAX_STRING_CHARS) -> dict[str, Any]:
    """``{"chunks": n, "data0": ..., ...}``: pieces of at most ``max_units`` UTF-16 code units,
    never splitting a surrogate pair (an emoji)."""
    encoded = text.encode("utf-16-le")
    limit = max_units * 2
    pieces: list[str] = []
    start = 0
    while start < len(encoded):
        end = min(start + limit, len(encoded))
        if end < len(encoded) and 0xD8 <= encoded[end - 1] <= 0xDB:
            end -= 2  # the last unit is a high surrogate: keep it with its low half
        pieces.append(encoded[start:end].decode("utf-16-le"))
        start = end
    props: dict[str, Any] = {f"data{i}": piece for i, piece in enumerate(pieces)}
    props["chunks"] = len(pieces)
    return props


def join_chunks(entity: Entity) -> str:
    return "".join(entity[f"data{i}"] for i in range(entity["chunks"]))


def _get_e_tag(item: object) -> str | None:
    if isinstance(item, dict):
        return item.get(_E_TAG)
    return getattr(item, _E_TAG, None)


def _set_e_tag(item: object, e_tag: str | None) -> None:
    if isinstance(item, dict):
        item[_E_TAG] = e_tag
    elif hasattr(item, "__dict__"):
        setattr(item, _E_TAG, e_tag)
