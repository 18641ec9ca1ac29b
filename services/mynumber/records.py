"""How an operation is stored: one entity per operation in table ``MyNumber``.

Partition: the bureau (so an operation's write and its duplicate-submission marker share one
batch). Row key ``op|<id>``; the whole operation as JSON in ``doc`` (items, survey answers, ①②③,
publication, checklist), plus a few plain properties to filter on. Markers of saved submissions
are ``dup|<hash>`` rows in the same partition.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from services.mynumber.models import (
    AuditRef,
    Cause,
    ChecklistEntry,
    ChecklistKind,
    ChecklistStatus,
    FullCheck,
    Item,
    LeakCheck,
    LinkMethod,
    Mislinks,
    Operation,
    Publication,
    PublicationStatus,
    StepStatus,
    Viewed,
    empty_checklist,
)
from services.people.identity import OrgUnit
from storage.base import MAX_STRING_CHARS, Entity

TABLE = "MyNumber"
OP_PREFIX = "op|"
DUP_PREFIX = "dup|"


def _d(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _e(enum_type, value: Any):  # noqa: ANN001, ANN202
    return enum_type(value) if value else None


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "value") and not isinstance(value, bool | int | str):
        return value.value
    return value


def operation_doc(op: Operation) -> dict[str, Any]:
    doc = asdict(op)
    for key in ("id", "unit", "version", "etag"):
        doc.pop(key)
    doc["unit"] = op.unit.path
    return _plain(doc)


def _audit(doc: Any) -> AuditRef | None:
    if not doc:
        return None
    return AuditRef(
        doc["run_id"], date.fromisoformat(doc["run_on"]), doc["in_scope"], doc["checked"], doc["found"]
    )


def operation_from_doc(
    op_id: str, doc: dict[str, Any], version: int = 0, etag: str | None = None
) -> Operation:
    items = tuple(
        Item(
            i["id"],
            i["name"],
            _e(LinkMethod, i.get("method")),
            i.get("method_text", ""),
            i.get("number_on_application"),
            i.get("from_others"),
            i.get("records"),
            i.get("answered_by", ""),
            _d(i.get("answered_on")),
        )
        for i in doc.get("items", [])
    )
    f, m, leak, pub = (doc.get(k) or {} for k in ("full_check", "mislinks", "leak_check", "publication"))
    checklist = (
        tuple(
            ChecklistEntry(
                ChecklistKind(e["kind"]),
                e.get("owner", ""),
                ChecklistStatus(e.get("status") or "未着手"),
                _d(e.get("due")),
                e.get("note", ""),
            )
            for e in doc.get("checklist", [])
        )
        or empty_checklist()
    )
    return Operation(
        id=op_id,
        unit=OrgUnit.parse(doc["unit"]),
        name=doc["name"],
        items=items,
        survey_due=_d(doc.get("survey_due")),
        full_check=FullCheck(
            StepStatus(f.get("status") or "未着手"),
            _d(f.get("due")),
            f.get("in_scope"),
            f.get("checked"),
            _audit(f.get("audit")),
        ),
        mislinks=Mislinks(
            StepStatus(m.get("status") or "未着手"),
            _d(m.get("due")),
            m.get("found"),
            m.get("corrected"),
            tuple(Cause(c) for c in m.get("causes", [])),
            m.get("cause_text", ""),
            _audit(m.get("audit")),
        ),
        leak_check=LeakCheck(
            StepStatus(leak.get("status") or "未着手"),
            _d(leak.get("due")),
            _e(Viewed, leak.get("viewed")),
            leak.get("action", ""),
        ),
        publication=Publication(
            PublicationStatus(pub.get("status") or "未公表"), _d(pub.get("published_on"))
        ),
        checklist=checklist,
        updated_by=doc.get("updated_by", ""),
        version=version,
        etag=etag,
    )


def operation_entity(op: Operation, now: datetime) -> Entity:
    text = json.dumps(operation_doc(op), ensure_ascii=False, sort_keys=True)
    if len(text) > MAX_STRING_CHARS - 100:
        raise ValueError("operation record too large")
    return Entity(
        op.bureau,
        OP_PREFIX + op.id,
        {
            "kind": "operation",
            "id": op.id,
            "name": op.name,
            "unit": op.unit.path,
            "doc": text,
            "version": op.version,
            "updated_at": now,
        },
    )


def operation_from_entity(entity: Entity) -> Operation:
    return operation_from_doc(
        entity["id"], json.loads(entity["doc"]), int(entity.get("version", 0)), entity.etag
    )
