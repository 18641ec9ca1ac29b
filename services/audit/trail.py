"""The audit trail: every change, who made it, when (Asia/Tokyo), from which conversation,
the values before and after, and why. Append-only.

Append-only is enforced by the API: :class:`AuditLog` has no method that updates or deletes an
entry, and it touches the store only through :class:`_AppendOnlyTable`, which exposes insert
(insert-if-absent) and reads and nothing else. Row keys are time-ordered
(``20261126010203123456-0000-ab12cd34``: UTC time to the microsecond, a sequence number within one
write, a random tail), in one partition per Asia/Tokyo month (``2026-11``).

Before anything is stored, every string and number passes through
:func:`services.kernel.privacy.mask_value`: a 12-digit number never reaches the table.

**Write and audit: audit first, then a compensating note.** The audit lives in its own table
(``Audit``) so that one query per month exports it, whatever tables the programmes use; Table
Storage batches cannot span tables, so a write and its entry cannot share a transaction. So
:meth:`AuditLog.apply` appends the entries first and only then runs the write. If the write
fails (an ETag conflict, storage down), it appends a ``compensation`` entry that names the entry
whose change was not saved, and re-raises. A crash between the two leaves an entry for a change
that did not happen — the trail can over-report, but never misses a change.
"""

from __future__ import annotations

import contextlib
import json
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
from storage.base import (
    MAX_BATCH_OPERATIONS,
    BatchFailed,
    BatchOperation,
    Entity,
    EntityExists,
    TableStore,
)

TABLE = "Audit"
MAX_JSON_CHARS = 30_000  # under the 32K-character string limit of a property
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
        self._clock = clock

    # --- writing ----------------------------------------------------------------------------

    def record(
        self, actor: Actor, changes: Sequence[Change], *, compensates: Sequence[str] = ()
    ) -> list[AuditEntry]:
        """Append one entry per change (atomically for up to 100 changes) and return them."""
        if not changes:
            return []
        now = self._clock()
        partition = month_key(now)
        stamp = now.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")
        for _ in range(5):
            tail = secrets.token_hex(4)
            entities = [
                Entity(
                    partition,
                    f"{stamp}-{i:04d}-{tail}",
                    self._properties(actor, now, change, compensates[i] if i < len(compensates) else ""),
                )
                for i, change in enumerate(changes)
            ]
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

    @staticmethod
    def _properties(actor: Actor, now: datetime, change: Change, compensates: str) -> dict[str, Any]:
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
            "compensates": compensates,
        }
        return {k: v for k, v in props.items() if v is not None and v != ""}

    def compensate(self, actor: Actor, entries: Sequence[AuditEntry], error: str) -> list[AuditEntry]:
        """Append a note for each entry whose change was not saved after all."""
        notes = [
            Change(
                e.entity_kind,
                e.entity_id,
                "compensation",
                None,
                None,
                f"この変更は保存されませんでした（{error}）",
            )
            for e in entries
        ]
        return self.record(actor, notes, compensates=[e.entry_id for e in entries])

    def apply(self, actor: Actor, changes: Sequence[Change], write: Callable[[], T]) -> T:
        """Audit first, then ``write()``; a failed write gets a compensating note and re-raises."""
        entries = self.record(actor, changes)
        try:
            return write()
        except BaseException as exc:
            # the original error matters more; if compensating fails too, the entries stay (over-reporting)
            with contextlib.suppress(Exception):
                self.compensate(actor, entries, type(exc).__name__)
            raise

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
