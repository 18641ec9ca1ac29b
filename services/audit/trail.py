"""The audit trail: every change, who made it, when (Asia/Tokyo), from which conversation,
the values before and after, and why. Append-only.

Append-only is enforced by the API: :class:`AuditLog` has no method that updates or deletes an
entry, and it touches the store only through :class:`_AppendOnlyTable`, which exposes insert
(insert-if-absent) and reads and nothing else. Row keys are time-ordered
(``20261126010203123456-0000-ab12cd34``: UTC time to the microsecond, a sequence number within one
write, a random tail), in one partition per Asia/Tokyo month (``2026-11``).

Before anything is stored, every string and number passes through
:func:`services.kernel.privacy.mask_value`: a 12-digit number never reaches the table.

**A change and its entry are saved together.** The audit lives in its own table (``Audit``) so
that one query per month exports it, whatever tables the programmes use; Table Storage
transactions cannot span tables. So :meth:`AuditLog.apply` hands the entries to the store as a
*journal row* (:mod:`storage.journal`) that the write's own transaction carries: the journal row
exists exactly when the change was saved. The entries are then copied into ``Audit`` under row
keys fixed in advance (so a copy made twice is one entry) and the journal row is deleted. A
process that stops between the write and the copy leaves the journal row, and
:meth:`AuditLog.recover` (run at start-up) makes the copy. So the trail holds an entry exactly
for each change that was saved: a refused or failed write leaves none.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from services.audit.models import ENTITY_LABELS, AuditEntry, Change
from services.kernel.privacy import mask_my_number, mask_value
from services.kernel.settings import TIMEZONE
from services.people.identity import Actor, Person
from services.people.permissions import Action, Resource, ResourceKind, require
from storage import journal
from storage.base import (
    MAX_BATCH_OPERATIONS,
    BatchFailed,
    BatchOperation,
    Entity,
    EntityExists,
    StorageError,
    TableStore,
)

log = logging.getLogger(__name__)

TABLE = "Audit"
MAX_JSON_CHARS = 30_000  # under the 32K-character string limit of a property
MAX_JOURNAL_CHARS = 300_000  # ASCII JSON of one change's entries: 600 KB as Azure counts (UTF-16)
_BULKY = ("before_json", "after_json")
T = TypeVar("T")


class _AppendOnlyTable:
    """The only handle the audit log has on the store: insert and read, nothing else."""

    def __init__(self, store: TableStore, table: str):
        self._store = store
        self._table = table

    def append(self, entities: Sequence[Entity]) -> None:
        """Insert-if-absent, in batches of up to 100 (all entities share one partition)."""
        for start in range(0, len(entities), MAX_BATCH_OPERATIONS):
            chunk = entities[start : start + MAX_BATCH_OPERATIONS]
            if len(chunk) == 1:
                self._store.insert(self._table, chunk[0])
            else:
                self._store.batch(self._table, [BatchOperation("insert", e) for e in chunk])

    def partition(self, partition_key: str, where: dict[str, Any] | None = None) -> Iterator[Entity]:
        return self._store.query(self._table, partition_key, where)


def month_key(moment: datetime) -> str:
    return moment.astimezone(TIMEZONE).strftime("%Y-%m")


def _months_back(moment: datetime, count: int) -> list[str]:
    """``count`` month partitions ending with ``moment``'s, newest first."""
    local = moment.astimezone(TIMEZONE)
    year, month = local.year, local.month
    keys = []
    for _ in range(count):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return keys


def _months_between(start: date, end: date) -> list[str]:
    keys = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    return keys


def _json(value: Any) -> str | None:
    if value is None:
        return None
    text = json.dumps(mask_value(value), ensure_ascii=False, sort_keys=True, default=str)
    if len(text) > MAX_JSON_CHARS:
        text = json.dumps({"_truncated": True, "preview": text[:1000]}, ensure_ascii=False)
    return text


def _payload(entities: Sequence[Entity]) -> dict[str, Any]:
    """Audit entities as the JSON a journal row holds."""
    return {
        "entries": [
            [e.partition_key, e.row_key, {**e.properties, "at": e["at"].astimezone(UTC).isoformat()}]
            for e in entities
        ]
    }


def _fitting(entities: list[Entity]) -> list[Entity]:
    """The entities, with their before/after cut to a preview (or left out) when all of them
    would not fit in one journal row (an entity is at most 1 MiB)."""
    for limit in (None, 200, 0):
        if limit is not None:
            entities = [_cut(e, limit) for e in entities]
        if len(journal.dumps(_payload(entities))) <= MAX_JOURNAL_CHARS:
            break
    return entities


def _cut(entity: Entity, chars: int) -> Entity:
    cut = {
        k: json.dumps({"_truncated": True, "preview": entity[k][:chars]} if chars else {"_truncated": True})
        for k in _BULKY
        if k in entity.properties
    }
    return Entity(entity.partition_key, entity.row_key, {**entity.properties, **cut})


def _entities_of(payload: dict[str, Any]) -> list[Entity]:
    return [
        Entity(partition, row_key, {**props, "at": datetime.fromisoformat(props["at"])})
        for partition, row_key, props in payload["entries"]
    ]


def _entry(entity: Entity) -> AuditEntry:
    def load(name: str) -> Any:
        raw = entity.get(name)
        return None if raw is None else json.loads(raw)

    return AuditEntry(
        entry_id=entity.row_key,
        at=entity["at"].astimezone(TIMEZONE),
        actor_id=entity.get("actor_id", ""),
        actor_name=entity.get("actor_name", ""),
        conversation_id=entity.get("conversation_id", ""),
        entity_kind=entity.get("entity_kind", ""),
        entity_id=entity.get("entity_id", ""),
        operation=entity.get("operation", ""),
        before=load("before_json"),
        after=load("after_json"),
        reason=entity.get("reason", ""),
        compensates=entity.get("compensates", ""),
    )


class AuditLog:
    """Append to and read the audit trail. There is deliberately no update or delete."""

    def __init__(self, store: TableStore, clock: Callable[[], datetime]):
        self._table = _AppendOnlyTable(store, TABLE)
        self._store = store  # for journal rows only (storage.journal reads and discards them)
        self._clock = clock

    # --- writing ----------------------------------------------------------------------------

    def record(self, actor: Actor, changes: Sequence[Change]) -> list[AuditEntry]:
        """Append one entry per change (atomically for up to 100 changes) and return them."""
        if not changes:
            return []
        now = self._clock()
        for _ in range(5):
            entities = self._entities(actor, now, changes, secrets.token_hex(4))
            try:
                self._table.append(entities)
            except EntityExists:
                continue  # the same microsecond and the same random tail: draw again
            except BatchFailed as exc:
                if isinstance(exc.cause, EntityExists):
                    continue
                raise
            return [_entry(Entity(e.partition_key, e.row_key, {**e.properties, "at": now})) for e in entities]
        raise RuntimeError("could not find a free audit row key")

    def _entities(self, actor: Actor, now: datetime, changes: Sequence[Change], tail: str) -> list[Entity]:
        partition = month_key(now)
        stamp = now.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")
        return [
            Entity(partition, f"{stamp}-{i:04d}-{tail}", self._properties(actor, now, change))
            for i, change in enumerate(changes)
        ]

    @staticmethod
    def _properties(actor: Actor, now: datetime, change: Change) -> dict[str, Any]:
        props = {
            "at": now,
            "at_jst": now.astimezone(TIMEZONE).isoformat(timespec="seconds"),
            "actor_id": mask_my_number(actor.object_id),
            "actor_name": mask_my_number(actor.name),
            "conversation_id": mask_my_number(actor.conversation_id),
            "entity_kind": change.entity_kind,
            "entity_id": mask_my_number(change.entity_id),
            "operation": change.operation,
            "before_json": _json(change.before),
            "after_json": _json(change.after),
            "reason": mask_my_number(change.reason or "")[:2000],
        }
        return {k: v for k, v in props.items() if v is not None and v != ""}

    def apply(self, actor: Actor, changes: Sequence[Change], write: Callable[[], T]) -> T:
        """Run ``write()``; its first storage write carries the entries for ``changes`` (see the
        module docstring), and they reach the trail exactly when that write was saved."""
        if not changes:
            return write()
        now = self._clock()
        entities = _fitting(self._entities(actor, now, changes, secrets.token_hex(4)))
        attachment = journal.Attachment(journal.PREFIX + entities[0].row_key, _payload(entities))
        try:
            with journal.attached(attachment):
                return write()
        finally:
            # A write that failed after its first transaction was saved still changed something.
            if attachment.where is not None:
                table, partition = attachment.where
                self._settle(table, partition, attachment.key, entities)

    def recover(self, tables: Sequence[str] | None = None) -> int:
        """Copy the entries of journal rows left by a process that stopped between a write and its
        copy (in ``tables``, or every table); returns how many journal rows were settled. Safe to
        run at any time, in any number of processes."""
        settled = 0
        for table, row in journal.pending(self._store, skip=TABLE, tables=tables):
            try:
                entities = _entities_of(journal.payload_of(row))
            except (ValueError, KeyError, TypeError):
                log.error(
                    "監査記録の転記: 読めない記録があります（%s %s）。残して先へ進みます。",
                    table,
                    row.row_key,
                )
                continue
            if self._settle(table, row.partition_key, row.row_key, entities):
                settled += 1
        return settled

    def _settle(self, table: str, partition: str, key: str, entities: list[Entity]) -> bool:
        """Copy a saved change's entries into the trail and delete its journal row. A storage
        error leaves the journal row for :meth:`recover`: the change itself is saved."""
        try:
            try:
                self._table.append(entities)
            except (EntityExists, BatchFailed):
                for entity in entities:  # copied before, in whole or in part
                    with contextlib.suppress(EntityExists):
                        self._table.append([entity])
            journal.discard(self._store, table, partition, key)
        except StorageError:
            log.warning("監査記録の転記を後回しにしました（次回起動時に転記します）", exc_info=True)
            return False
        return True

    # --- reading (administrators only) ------------------------------------------------------

    def recent(
        self,
        viewer: Person,
        entity_kind: str | None = None,
        entity_id: str | None = None,
        *,
        limit: int = 20,
        months: int = 24,
    ) -> list[AuditEntry]:
        """The newest entries (of one entity, when given), newest first."""
        require(viewer, Action.READ, Resource(ResourceKind.AUDIT))
        where: dict[str, Any] = {}
        if entity_kind:
            where["entity_kind"] = entity_kind
        if entity_id:
            where["entity_id"] = mask_my_number(entity_id)
        found: list[AuditEntry] = []
        for partition in _months_back(self._clock(), months):
            rows = list(self._table.partition(partition, where or None))
            found.extend(_entry(e) for e in reversed(rows))
            if len(found) >= limit:
                break
        return found[:limit]

    def between(self, viewer: Person, start: date, end: date) -> list[AuditEntry]:
        """Every entry from ``start`` to ``end`` (Asia/Tokyo dates, both included), oldest first."""
        require(viewer, Action.READ, Resource(ResourceKind.AUDIT))
        if end < start:
            raise ValueError("end is before start")
        lower = datetime.combine(start, datetime.min.time(), TIMEZONE)
        upper = datetime.combine(end + timedelta(days=1), datetime.min.time(), TIMEZONE)
        entries = []
        for partition in _months_between(start, end):
            for entity in self._table.partition(partition):
                if lower <= entity["at"] < upper:
                    entries.append(_entry(entity))
        return entries

    def export_xlsx(self, viewer: Person, start: date, end: date, path: str | Path) -> int:
        """Write the entries of a period to an Excel file; returns how many were written."""
        data, count = self.export_bytes(viewer, start, end)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(data)
        return count

    def export_bytes(self, viewer: Person, start: date, end: date) -> tuple[bytes, int]:
        """The entries of a period as an .xlsx (administrators only), and how many there are."""
        import io

        from openpyxl import Workbook
        from openpyxl.styles import Font

        entries = self.between(viewer, start, end)
        workbook = Workbook()
        sheet = workbook.worksheets[0]  # a new workbook has one sheet (``active`` is typed Optional)
        sheet.title = "変更履歴"
        sheet.append(list(EXPORT_COLUMNS))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for e in entries:
            sheet.append(
                [
                    e.at.strftime("%Y-%m-%d %H:%M:%S"),
                    e.actor_id,
                    e.actor_name,
                    e.conversation_id,
                    ENTITY_LABELS.get(e.entity_kind, e.entity_kind),
                    e.entity_id,
                    e.operation_label,
                    _cell(e.before),
                    _cell(e.after),
                    e.reason,
                    e.compensates,
                    e.entry_id,
                ]
            )
        sheet.freeze_panes = "A2"
        for column, width in zip(
            "ABCDEFGHIJKL", (20, 38, 16, 24, 10, 38, 14, 50, 50, 30, 30, 34), strict=True
        ):
            sheet.column_dimensions[column].width = width
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue(), len(entries)


EXPORT_COLUMNS = (
    "日時（日本時間）",
    "操作者ID",
    "操作者",
    "会話",
    "対象の種類",
    "対象",
    "操作",
    "変更前",
    "変更後",
    "理由",
    "取消対象",
    "記録ID",
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return mask_my_number(json.dumps(value, ensure_ascii=False, sort_keys=True))
