"""The seed in the store: written once into the ``Seed`` table (insert-if-absent, one partition per
file) and read back as the same DataFrames, because every figure shown is computed from stored data."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

import pandas as pd

from services.kernel.memo import EtagMemo, etags_of
from services.kernel.seed.checks import DX_SELECTION_MEETING
from services.kernel.seed.loader import SeedData, to_frame
from services.kernel.seed.model import (
    LIST_SEPARATOR,
    SEED_TABLE,
    Column,
    FileSchema,
    Kind,
    SeedError,
    SeedIssue,
)
from services.kernel.seed.schemas import SCHEMA_BY_NAME, SCHEMAS
from storage.base import MAX_BATCH_OPERATIONS, BatchFailed, BatchOperation, Entity, EntityExists, TableStore

# --- the store -------------------------------------------------------------------------------


def _row_key(position: int) -> str:
    return f"{position + 1:04d}"


def _encode(column: Column, value: Any) -> Any:
    if column.kind is Kind.OPT_COUNT:
        return None if pd.isna(value) else int(value)
    if column.kind is Kind.COUNT:
        return int(value)
    if column.kind is Kind.FLAG:
        return bool(value)
    if column.kind in (Kind.DATE, Kind.OPT_DATE):
        return None if value is None else value.isoformat()
    if column.kind is Kind.LIST:
        return LIST_SEPARATOR.join(value)
    return str(value)


def _decode(column: Column, value: Any) -> Any:
    kind = column.kind
    if kind is Kind.COUNT:
        return 0 if value is None else int(value)
    if kind is Kind.OPT_COUNT:
        return pd.NA if value is None else int(value)
    if kind is Kind.FLAG:
        return bool(value)
    if kind in (Kind.DATE, Kind.OPT_DATE):
        return None if value is None else date.fromisoformat(value)
    if kind is Kind.LIST:
        return tuple(value.split(LIST_SEPARATOR)) if value else ()
    return "" if value is None else str(value)


def seed_entities(schema: FileSchema, frame: pd.DataFrame) -> Iterator[Entity]:
    """The entities of one seed file: partition = file stem, row key = data row number."""
    for position, row in enumerate(frame.itertuples(index=False)):
        props = {c.key: _encode(c, v) for c, v in zip(schema.columns, row, strict=True)}
        yield Entity(schema.name, _row_key(position), {k: v for k, v in props.items() if v is not None})


def _chunks(items: Sequence[Entity], size: int) -> Iterable[Sequence[Entity]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def seed_store(store: TableStore, seed: SeedData) -> int:
    """Insert the seed rows that are not in the store yet; returns how many were added.

    Existing rows are never overwritten (the seed is a starting point, not a sync): running it
    twice, or on several instances at once, adds nothing the second time.
    """
    added = 0
    for schema in SCHEMAS:
        present = {e.row_key for e in store.query(SEED_TABLE, schema.name)}
        missing = [e for e in seed_entities(schema, seed[schema.name]) if e.row_key not in present]
        for chunk in _chunks(missing, MAX_BATCH_OPERATIONS):
            try:
                store.batch(SEED_TABLE, [BatchOperation("insert", e) for e in chunk])
                added += len(chunk)
            except BatchFailed as exc:
                if not isinstance(exc.cause, EntityExists):
                    raise
                for entity in chunk:  # another instance is seeding too: insert what is still missing
                    try:
                        store.insert(SEED_TABLE, entity)
                        added += 1
                    except EntityExists:
                        pass
    return added


def read_seed_frame(store: TableStore, name: str) -> pd.DataFrame:
    """A seed file as stored, as the same DataFrame :func:`load_seed` gives for it."""
    schema = SCHEMA_BY_NAME[name]
    entities = list(store.query(SEED_TABLE, name))
    if not entities:
        raise SeedError(
            [
                SeedIssue(
                    schema.filename, "ストアにシードデータがありません（先に seed_store を実行してください）"
                )
            ]
        )

    def build() -> pd.DataFrame:
        records = [{c.name: _decode(c, e.get(c.key)) for c in schema.columns} for e in entities]
        return to_frame(schema, records)

    # Built again only when a seed row's ETag changed (a re-seed); each caller gets its own copy.
    return _frame_memo(store).get(name, etags_of(entities), build).copy()


_FRAME_MEMOS: weakref.WeakKeyDictionary[TableStore, EtagMemo] = weakref.WeakKeyDictionary()
_FRAME_MEMOS_LOCK = threading.Lock()


def _frame_memo(store: TableStore) -> EtagMemo:
    """The seed frames built from ``store`` (one memo per open store, gone with it)."""
    with _FRAME_MEMOS_LOCK:
        try:
            memo = _FRAME_MEMOS.get(store)
            if memo is None:
                memo = _FRAME_MEMOS[store] = EtagMemo(size=64)
        except TypeError:  # a store that cannot be weakly referenced or hashed: nothing kept
            memo = EtagMemo(size=0)
        return memo


def read_online_procedures(store: TableStore) -> pd.DataFrame:
    return read_seed_frame(store, "online_procedures")


def dx_selection_departments(store: TableStore) -> int | None:
    """How many departments held a DX selection meeting (DX選定会議), as the stored seed states it
    (``dx_programme.csv``, the row 「DX選定会議」, column 数値): the target of one DX PRO per
    department. None when the seed is not in the store."""
    try:
        frame = read_seed_frame(store, "dx_programme")
    except SeedError:
        return None
    values = [v for item, v in zip(frame["項目"], frame["数値"], strict=True) if item == DX_SELECTION_MEETING]
    if not values or pd.isna(values[0]):
        return None
    return int(values[0])
