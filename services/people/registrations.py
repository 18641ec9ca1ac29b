"""Registration requests: an unregistered user asks to be put on the roster; an administrator
approves (granting a role, in one batch with the request) or rejects."""

from __future__ import annotations

from dataclasses import replace

from services.audit.models import Change
from services.kernel.privacy import mask_my_number
from services.people.base import PeopleBase
from services.people.directory import merge_grants
from services.people.identity import (
    Actor,
    OrgUnit,
    Person,
    RegistrationRequest,
    RequestStatus,
    Role,
    RoleGrant,
    clean_name,
    normalise_object_id,
)
from services.people.permissions import Action, Resource, ResourceKind, require
from services.people.records import (
    PARTITION,
    TABLE,
    ConcurrentEdit,
    InvalidChange,
    request_from,
    request_row,
    request_snapshot,
)
from storage.base import (
    BatchOperation,
    Entity,
    EntityExists,
    ETagMismatch,
    InvalidEntity,
)


class Registrations(PeopleBase):
    # --- registration requests -----------------------------------------------------------------

    def registration_of(self, actor: Actor) -> RegistrationRequest | None:
        require(actor.person, Action.READ, Resource(ResourceKind.REGISTRATION, owner=actor.object_id))
        if not actor.object_id:
            return None
        try:
            entity = self._store.get(TABLE, PARTITION, request_row(actor.object_id))
        except InvalidEntity:
            return None
        return request_from(entity) if entity else None

    def request_registration(
        self, actor: Actor, requested_unit: str, message: str = ""
    ) -> tuple[RegistrationRequest, bool]:
        """Ask the administrators to put ``actor`` on the roster. Returns the request and whether
        it is new (asking twice while a request is pending changes nothing)."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.REGISTRATION, owner=actor.object_id))
        if actor.person.registered:
            raise InvalidChange("すでに名簿に登録されています。")
        if not actor.object_id:
            raise InvalidChange(
                "Teams の利用者ID（オブジェクトID）が届いていないため、依頼を受け付けられません。"
            )
        existing = self.registration_of(actor)
        if existing is not None and existing.status is RequestStatus.PENDING:
            return existing, False
        now = self._clock()
        request = RegistrationRequest(
            object_id=actor.object_id,
            name=mask_my_number(clean_name(actor.name))[:100],
            requested_unit=mask_my_number(clean_name(requested_unit))[:200],
            message=mask_my_number(message.strip())[:500],
            requested_at=now,
        )
        entity = self._request_entity(request)
        change = Change(
            "registration", actor.object_id, "request", request_snapshot(existing), request_snapshot(request)
        )

        def write() -> None:
            if existing is None:
                self._store.insert(TABLE, entity)
            else:
                self._store.upsert(TABLE, entity, etag=existing.etag)

        try:
            self.audit.apply(actor, [change], write)
        except (EntityExists, ETagMismatch):
            current = self.registration_of(actor)
            if current is not None and current.status is RequestStatus.PENDING:
                return current, False
            raise
        saved = self.registration_of(actor)
        assert saved is not None
        return saved, True

    @staticmethod
    def _request_entity(request: RegistrationRequest) -> Entity:
        props = {
            "kind": "request",
            "object_id": request.object_id,
            "name": request.name,
            "requested_unit": request.requested_unit,
            "message": request.message,
            "requested_at": request.requested_at,
            "status": request.status.value,
            "decided_by": request.decided_by,
        }
        return Entity(PARTITION, request_row(request.object_id), {k: v for k, v in props.items() if v != ""})

    def pending_requests(self, viewer: Person) -> list[RegistrationRequest]:
        require(viewer, Action.READ, Resource(ResourceKind.REGISTRATION))
        rows = self._store.query(TABLE, PARTITION, {"kind": "request", "status": RequestStatus.PENDING.value})
        return sorted((request_from(e) for e in rows), key=lambda r: r.requested_at)

    def _pending(self, object_id: str, etag: str | None) -> RegistrationRequest:
        entity = self._store.get(TABLE, PARTITION, request_row(normalise_object_id(object_id)))
        if entity is None:
            raise InvalidChange("この登録依頼は見つかりません。")
        request = request_from(entity)
        if request.status is not RequestStatus.PENDING:
            raise ConcurrentEdit(request, "この登録依頼はすでに処理されています。")
        if etag is not None and request.etag != etag:
            raise ConcurrentEdit(request)
        return request

    def approve(
        self,
        actor: Actor,
        object_id: str,
        *,
        grant: RoleGrant,
        unit: OrgUnit | None,
        etag: str | None,
        reason: str = "",
    ) -> Person:
        """Put the requester on the roster with ``grant`` (staff: no extra role). Person and request
        are written in one batch."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.PEOPLE))
        request = self._pending(object_id, etag)
        org, units_guard = self._org_for_people()
        self._check_grant(grant, org)
        if unit is not None and unit not in org:
            raise InvalidChange(f"「{unit.path}」は組織にありません。")
        before = self._load(request.object_id)
        extra = [] if grant.role is Role.STAFF else [grant]
        if before is None:
            after = Person(request.object_id, request.name, unit, tuple(extra))
        else:
            after = replace(before, unit=unit or before.unit, grants=merge_grants(before.grants, extra))
        decided = replace(request, status=RequestStatus.APPROVED, decided_by=actor.object_id)
        request_item = (
            Change(
                "registration",
                request.object_id,
                "approve",
                request_snapshot(request),
                request_snapshot(decided),
                reason,
            ),
            BatchOperation("upsert", self._request_entity(decided), request.etag),
        )
        return self._save(
            actor, before, after, "approve", reason, extra=[request_item], units_guard=units_guard
        )

    def reject(
        self, actor: Actor, object_id: str, *, etag: str | None, reason: str = ""
    ) -> RegistrationRequest:
        require(actor.person, Action.WRITE, Resource(ResourceKind.PEOPLE))
        request = self._pending(object_id, etag)
        decided = replace(request, status=RequestStatus.REJECTED, decided_by=actor.object_id)
        change = Change(
            "registration",
            request.object_id,
            "reject",
            request_snapshot(request),
            request_snapshot(decided),
            reason,
        )
        try:
            self._write_people(
                actor, [(change, BatchOperation("upsert", self._request_entity(decided), request.etag))]
            )
        except ConcurrentEdit:
            raise ConcurrentEdit(None, "この登録依頼はほかの管理者が処理しました。") from None
        return decided
