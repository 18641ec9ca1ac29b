"""The ``People`` table: its rows and their models (people and registration requests, and what the
audit trail records of them), and the errors the people service raises."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from services.audit.models import Change
from services.kernel.privacy import mask_my_number
from services.people.identity import Actor, OrgUnit, Person, RegistrationRequest, RequestStatus, RoleGrant
from storage.base import BatchOperation, Entity

TABLE = "People"
PARTITION = "people"


# --- errors ----------------------------------------------------------------------------------


class PeopleError(Exception):
    """A change was refused; ``str(error)`` is a Japanese sentence for the user."""


class PersonNotFound(PeopleError):
    def __init__(self, object_id: str):
        super().__init__(f"オブジェクトID {object_id} の職員は名簿にありません。")
        self.object_id = object_id


class ConcurrentEdit(PeopleError):
    """Somebody else changed the record since it was shown; ``current`` is its new state."""

    def __init__(self, current: Person | RegistrationRequest | None, message: str = ""):
        super().__init__(
            message
            or "ほかの管理者が同時にこの内容を変更しました。最新の状態を確認して、もう一度実行してください。"
        )
        self.current = current


class InvalidChange(PeopleError):
    pass


# --- rows ↔ models -----------------------------------------------------------------------------


def person_row(object_id: str) -> str:
    return f"person-{object_id}"


def request_row(object_id: str) -> str:
    return f"request-{object_id}"


def snapshot(person: Person | None) -> dict[str, Any] | None:
    """What the audit trail records of a person (before/after values)."""
    if person is None:
        return None
    return {
        "name": person.name,
        "unit": person.unit.path if person.unit else "",
        "roles": [g.to_dict() for g in sorted(person.grants)],
        "job_title": person.job_title,
        "manager_id": person.manager_id,
    }


def request_snapshot(request: RegistrationRequest | None) -> dict[str, Any] | None:
    if request is None:
        return None
    return {
        "name": request.name,
        "requested_unit": request.requested_unit,
        "message": request.message,
        "status": request.status.value,
    }


def _unit_props(unit: OrgUnit | None) -> dict[str, str]:
    if unit is None:
        return {}
    return {"bureau": unit.bureau, "department": unit.department, "section": unit.section}


def person_entity(person: Person, now: datetime, actor: Actor) -> Entity:
    props: dict[str, Any] = {
        "kind": "person",
        "object_id": person.object_id,
        "name": mask_my_number(person.name),
        **_unit_props(person.unit),
        "grants_json": json.dumps([g.to_dict() for g in sorted(person.grants)], ensure_ascii=False),
        "job_title": person.job_title,
        "manager_id": person.manager_id,
        "updated_at": now,
        "updated_by": actor.object_id,
    }
    return Entity(PARTITION, person_row(person.object_id), {k: v for k, v in props.items() if v != ""})


def person_from(entity: Entity) -> Person:
    bureau = entity.get("bureau", "")
    unit = OrgUnit(bureau, entity.get("department", ""), entity.get("section", "")) if bureau else None
    grants = tuple(RoleGrant.from_dict(d) for d in json.loads(entity.get("grants_json", "[]")))
    return Person(
        object_id=entity["object_id"],
        name=entity.get("name", ""),
        unit=unit,
        grants=grants,
        registered=True,
        job_title=entity.get("job_title", ""),
        manager_id=entity.get("manager_id", ""),
        etag=entity.etag,
    )


def request_from(entity: Entity) -> RegistrationRequest:
    return RegistrationRequest(
        object_id=entity["object_id"],
        name=entity.get("name", ""),
        requested_unit=entity.get("requested_unit", ""),
        message=entity.get("message", ""),
        requested_at=entity["requested_at"],
        status=RequestStatus(entity.get("status", RequestStatus.PENDING)),
        decided_by=entity.get("decided_by", ""),
        etag=entity.etag,
    )


def same_person(a: Person | None, b: Person) -> bool:
    if a is None:
        return False
    return snapshot(a) == snapshot(b)


def import_write(
    before: Person | None, after: Person, now: datetime, actor: Actor
) -> tuple[Change, BatchOperation]:
    """The audited change and the batch operation that write ``after`` from an import or a sync:
    a new person is inserted, a known one is upserted over the ETag read."""
    entity = person_entity(after, now, actor)
    oid = after.object_id
    if before is None:
        return Change("person", oid, "create", None, snapshot(after)), BatchOperation("insert", entity)
    update = Change("person", oid, "update", snapshot(before), snapshot(after))
    return update, BatchOperation("upsert", entity, before.etag)
