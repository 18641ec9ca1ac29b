"""People and roles: the roster, role grants, registration requests, and the imports.

Every public method that reads or changes somebody else's data takes the acting
:class:`~services.people.identity.Actor` (or the viewing :class:`~services.people.identity.Person`) and asks
:mod:`services.people.permissions` first; every change is written through
:meth:`services.audit.trail.AuditLog.apply` (audit first, then the write; see ``services/audit.py``).

Storage: table ``People``, one partition ``people``; row ``person-<object id>`` per person (roles
as JSON in the entity, so a grant is one ETag-checked write) and ``request-<object id>`` per
registration request (same partition, so approving writes the person and the request in one
batch). Imports write up to 100 people per batch; each batch and its audit entries are all or
nothing, validation is all or nothing for the whole file, and an import is idempotent, so a file
whose writing was interrupted is completed by importing it again.

**Rules across records.** "At least one administrator" spans every person, and an ETag on the one
person changed cannot protect it: two admins revoking each other at once would each see the other
still there. So the rule has a record of its own, ``guard-admins``, and every change that makes
somebody an administrator or not rewrites it under its ETag *in the same batch* as the people it
changes. The check reads the guard first, then the administrators; of two such changes at once,
one batch fails on the guard, and is checked again against what the other saved.

"A unit in use cannot be removed from the organisation" spans two tables (``Organisation`` and
``People``), which no batch can. Its record is ``guard-units`` in the People partition: an
organisation import first *claims* the units it removes there (under the guard's ETag), then
checks that nobody uses them, writes the organisation, and releases the claim. Every change that
gives somebody a unit or a scope reads the guard before the organisation, treats claimed units
as gone, and rewrites the guard under its ETag in the same batch: so either it lands first and
the import sees the new use, or the claim lands first and the change fails and is checked again.

CLI (same settings as the app): ``python -m services.people --help``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from services.audit.models import Change
from services.audit.trail import AuditLog
from services.kernel.privacy import mask_my_number
from services.kernel.tabular import ImportIssue, ImportRejected, read_table, split_header
from services.people.identity import (
    Actor,
    OrgUnit,
    Person,
    RegistrationRequest,
    RequestStatus,
    Role,
    RoleGrant,
    RoleSource,
    clean_name,
    is_object_id,
    normalise_object_id,
    parse_role,
    system_actor,
)
from services.people.organisation import (
    ORG_COLUMNS,
    Organisation,
    describe_units,
    load_organisation,
    organisation_entity,
    parse_organisation_file,
    seed_organisation,
)
from services.people.organisation import TABLE as ORG_TABLE
from services.people.permissions import Action, Resource, ResourceKind, require
from storage.base import (
    MAX_BATCH_OPERATIONS,
    BatchFailed,
    BatchOperation,
    Entity,
    EntityExists,
    EntityNotFound,
    ETagMismatch,
    InvalidEntity,
    TableStore,
    validate_key,
)

TABLE = "People"
PARTITION = "people"
ROSTER_COLUMNS = ("オブジェクトID", "氏名", "局", "部", "課・室", "ロール", "ロール対象")
_ROLE_CHOICES = "管理者 / 局担当 / DX PRO / 管理職 / 職員"


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
            message or "ほかの管理者が同時にこの内容を変更しました。最新の状態を確認して、もう一度実行してください。"
        )
        self.current = current


class InvalidChange(PeopleError):
    pass


LAST_ADMIN = "最後の管理者のロールは取り消せません。先にほかの方に管理者を付与してください。"


# --- rows ↔ models -----------------------------------------------------------------------------


def person_row(object_id: str) -> str:
    return f"person-{object_id}"


ADMIN_GUARD_ROW = "guard-admins"  # rewritten (under its ETag) by every change of who is an admin
UNITS_GUARD_ROW = "guard-units"  # units an organisation import is removing; rewritten by unit uses
CLAIM_TTL = timedelta(minutes=10)  # a claim older than this (its import crashed) is ignored
_RETRIES = 3
_NOT_READ: Any = object()
_BUSY = "同じ時刻に名簿の変更がありました。もう一度取り込んでください。"


def _units_of(person: Person | None) -> set[OrgUnit]:
    if person is None:
        return set()
    return ({person.unit} if person.unit else set()) | {g.scope for g in person.grants if g.scope is not None}


def _adds_units(before: Person | None, after: Person) -> bool:
    return bool(_units_of(after) - _units_of(before))


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


def _request_snapshot(request: RegistrationRequest | None) -> dict[str, Any] | None:
    if request is None:
        return None
    return {"name": request.name, "requested_unit": request.requested_unit, "message": request.message,
            "status": request.status.value}


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


def _person(entity: Entity) -> Person:
    bureau = entity.get("bureau", "")
    unit = OrgUnit(bureau, entity.get("department", ""), entity.get("section", "")) if bureau else None
    grants = tuple(RoleGrant.from_dict(d) for d in json.loads(entity.get("grants_json", "[]")))
    return Person(
        object_id=entity["object_id"], name=entity.get("name", ""), unit=unit, grants=grants,
        registered=True, job_title=entity.get("job_title", ""), manager_id=entity.get("manager_id", ""),
        etag=entity.etag,
    )


def _request(entity: Entity) -> RegistrationRequest:
    return RegistrationRequest(
        object_id=entity["object_id"], name=entity.get("name", ""), requested_unit=entity.get("requested_unit", ""),
        message=entity.get("message", ""), requested_at=entity["requested_at"],
        status=RequestStatus(entity.get("status", RequestStatus.PENDING)), decided_by=entity.get("decided_by", ""),
        etag=entity.etag,
    )


def _same(a: Person | None, b: Person) -> bool:
    if a is None:
        return False
    return snapshot(a) == snapshot(b)


def _import_write(
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


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    what: str  # 組織 | 名簿
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    revoked: int = 0  # roles the re-import took away
    untouched: int = 0  # people on the roster who are not in the file (left as they were)
    details: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)

    def summary(self) -> str:
        if self.what == "組織":
            if not self.changed:
                return f"組織ファイルを確認しました。変更はありません（{self.unchanged}件）。"
            return f"組織を取り込みました: 追加 {self.created}件・削除 {self.removed}件・変更なし {self.unchanged}件。"
        if not self.changed:
            return f"名簿ファイルを確認しました。変更はありません（{self.unchanged}人）。"
        text = f"名簿を取り込みました: 新規 {self.created}人・更新 {self.updated}人・変更なし {self.unchanged}人"
        if self.revoked:
            text += f"・取り消したロール {self.revoked}件"
        return text + "。"


@dataclass(frozen=True)
class DirectoryUser:
    """One user as Microsoft Graph describes them (``/users`` and ``/users/{id}/manager``)."""

    object_id: str
    name: str
    department: str = ""
    job_title: str = ""
    manager_id: str = ""


@dataclass(frozen=True)
class SyncReport:
    seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    unresolved: tuple[str, ...] = ()  # departments no unit matched
    without_manager: int = 0

    def summary(self) -> str:
        text = (f"Graph から {self.seen}人を読み込みました: 新規 {self.created}人・更新 {self.updated}人・"
                f"変更なし {self.unchanged}人・対象外 {self.skipped}人・上司なし {self.without_manager}人")
        if self.unresolved:
            text += f"。組織に見つからない所属: {'、'.join(self.unresolved[:10])}"
        return text + "。"


#: Job titles that make a Graph user a manager: of their bureau, or of their department.
BUREAU_HEAD_SUFFIXES = ("局長", "区長")
DEPARTMENT_HEAD_SUFFIXES = ("部長",)


def graph_grants(job_title: str, unit: OrgUnit | None) -> list[RoleGrant]:
    """Roles Microsoft Graph implies: 局長・区長 → manager of the bureau, 部長 → of the department
    (deputies, 副…, excluded). Everything else comes from the roster or an administrator."""
    title = clean_name(job_title)
    if unit is None or not title or title.startswith("副"):
        return []
    if title.endswith(BUREAU_HEAD_SUFFIXES):
        return [RoleGrant(Role.MANAGER, OrgUnit(unit.bureau), RoleSource.GRAPH)]
    if title.endswith(DEPARTMENT_HEAD_SUFFIXES) and unit.department:
        return [RoleGrant(Role.MANAGER, OrgUnit(unit.bureau, unit.department), RoleSource.GRAPH)]
    return []


def _merge(keep: Iterable[RoleGrant], add: Iterable[RoleGrant]) -> tuple[RoleGrant, ...]:
    """``keep`` plus those of ``add`` whose (role, scope) is not there yet."""
    merged = {g.key: g for g in keep}
    for grant in add:
        merged.setdefault(grant.key, grant)
    return tuple(sorted(merged.values()))


# --- the service -------------------------------------------------------------------------------


@dataclass
class _Desired:
    row: int
    name: str
    unit: OrgUnit
    grants: list[RoleGrant] = field(default_factory=list)


class PeopleService:
    def __init__(self, store: TableStore, clock: Callable[[], datetime], audit: AuditLog | None = None):
        self._store = store
        self._clock = clock
        self.audit = audit or AuditLog(store, clock)

    # --- identity and reads --------------------------------------------------------------------

    def resolve(self, object_id: str | None, name: str = "") -> Person:
        """The person behind a Teams user (``from.aadObjectId``); unregistered means staff.

        This is how the bot learns *who is asking*, once per turn, so it reads without a check.
        """
        oid = normalise_object_id(object_id or "")
        if not oid:
            return Person.unregistered("", name)
        try:
            validate_key("RowKey", person_row(oid))
        except InvalidEntity:
            return Person.unregistered(oid, name)
        entity = self._store.get(TABLE, PARTITION, person_row(oid))
        return _person(entity) if entity else Person.unregistered(oid, name)

    def _load(self, object_id: str) -> Person | None:
        entity = self._store.get(TABLE, PARTITION, person_row(object_id))
        return _person(entity) if entity else None

    def _everyone(self) -> list[Person]:
        return [_person(e) for e in self._store.query(TABLE, PARTITION, {"kind": "person"})]

    def get(self, viewer: Person, object_id: str) -> Person | None:
        oid = normalise_object_id(object_id)
        require(viewer, Action.READ, Resource(ResourceKind.PEOPLE, owner=oid))
        try:
            return self._load(oid)
        except InvalidEntity:  # not something a row key can hold: nobody by that id
            return None

    def everyone(self, viewer: Person) -> list[Person]:
        require(viewer, Action.READ, Resource(ResourceKind.PEOPLE))
        return sorted(self._everyone(), key=lambda p: (p.name, p.object_id))

    def find(self, viewer: Person, text: str, limit: int = 15) -> list[Person]:
        """People whose name contains ``text``, or whose object id is ``text``."""
        needle = clean_name(text)
        people = self.everyone(viewer)
        if not needle:
            return people[:limit]
        oid = normalise_object_id(needle)
        return [p for p in people if p.object_id == oid or needle in clean_name(p.name)][:limit]

    def organisation(self, viewer: Person) -> Organisation:
        require(viewer, Action.READ, Resource(ResourceKind.ORGANISATION))
        return load_organisation(self._store)

    def admin_ids(self) -> list[str]:
        """Object ids of the administrators, for the bot to notify (a system lookup, no viewer)."""
        return [p.object_id for p in self._everyone() if p.is_admin]

    # --- writing people, audited -----------------------------------------------------------------

    # --- the guard of "at least one administrator" ----------------------------------------------------

    def _admin_guard(self) -> Entity | None:
        """Read this BEFORE reading who the administrators are (see the module docstring)."""
        return self._store.get(TABLE, PARTITION, ADMIN_GUARD_ROW)

    def _admin_guard_op(self, guard: Entity | None, admins_after: Iterable[str],
                        now: datetime) -> BatchOperation:
        entity = Entity(PARTITION, ADMIN_GUARD_ROW, {
            "kind": "guard", "rule": "at least one administrator", "admins": len(set(admins_after)),
            "updated_at": now,
        })
        if guard is None:
            return BatchOperation("insert", entity)
        return BatchOperation("upsert", entity, guard.etag)

    def _units_guard(self) -> tuple[Entity | None, frozenset[OrgUnit]]:
        """The units guard and the units an organisation import is removing right now."""
        entity = self._store.get(TABLE, PARTITION, UNITS_GUARD_ROW)
        if entity is None:
            return None, frozenset()
        claimed_at = entity.get("claimed_at")
        if claimed_at is None or claimed_at + CLAIM_TTL < self._clock():
            return entity, frozenset()
        return entity, frozenset(OrgUnit.parse(p) for p in json.loads(entity.get("removing") or "[]"))

    def _org_for_people(self) -> tuple[Organisation, Entity | None]:
        """The organisation as people's units and scopes may use it: the units guard is read
        first, then the organisation, without the units an import is removing."""
        guard, removing = self._units_guard()
        org = load_organisation(self._store)
        return (replace(org, units=org.units - removing) if removing else org), guard

    def _units_guard_op(self, guard: Entity | None, now: datetime) -> BatchOperation:
        """Rewrite the units guard as it was read (same claim), under its ETag."""
        props: dict[str, Any] = dict(guard.properties) if guard is not None else {"removing": "[]"}
        props.update(kind="guard", rule="a unit in use is not removed", touched_at=now)
        entity = Entity(PARTITION, UNITS_GUARD_ROW, props)
        if guard is None:
            return BatchOperation("insert", entity)
        return BatchOperation("upsert", entity, guard.etag)

    def _claim_units(self, removed: frozenset[OrgUnit], release: bool = False) -> None:
        """Add (or, with ``release``, take away) ``removed`` to the units an import is removing."""
        for _ in range(_RETRIES):
            guard, removing = self._units_guard()
            now = self._clock()
            claimed = (removing - removed) if release else (removing | removed)
            text = json.dumps(sorted(u.path for u in claimed), ensure_ascii=False)
            if len(text) > 30_000:
                raise InvalidChange(
                    "一度に削除する部・課・室が多すぎます。ファイルを分けて取り込んでください。")
            props = {"kind": "guard", "rule": "a unit in use is not removed", "removing": text,
                     "claimed_at": now if claimed else None, "touched_at": now}
            entity = Entity(PARTITION, UNITS_GUARD_ROW, {k: v for k, v in props.items() if v is not None})
            try:
                if guard is None:
                    self._store.insert(TABLE, entity)
                else:
                    self._store.upsert(TABLE, entity, etag=guard.etag)
                return
            except (ETagMismatch, EntityExists, EntityNotFound):
                if not release:
                    raise ConcurrentEdit(None, _BUSY) from None
        if not release:
            raise ConcurrentEdit(None, _BUSY)

    @staticmethod
    def _admins_after(people: Iterable[Person], changed: Iterable[Person]) -> set[str]:
        admins = {p.object_id for p in people if p.is_admin}
        for person in changed:
            (admins.add if person.is_admin else admins.discard)(person.object_id)
        return admins

    def _write_people(self, actor: Actor, items: Sequence[tuple[Change, BatchOperation]],
                      guard_op: BatchOperation | None = None, units_op: BatchOperation | None = None) -> None:
        """Audit first, then write, in batches of up to 100 (one partition): each all or nothing.
        ``guard_op`` (the admin guard) goes in the first batch: put the items that change who is an
        administrator first. ``units_op`` (the units guard) goes in every batch, each under the
        ETag the previous one left."""
        per_batch = MAX_BATCH_OPERATIONS - (1 if units_op is not None else 0)
        first = per_batch - (1 if guard_op is not None else 0)
        starts = [0, *range(first, len(items), per_batch)]
        for n, start in enumerate(starts):
            chunk = items[start : first if n == 0 else start + per_batch]
            changes = [c for c, _ in chunk]
            operations = [op for _, op in chunk]
            if n == 0 and guard_op is not None:
                operations.append(guard_op)
            if units_op is not None and operations:
                operations.append(units_op)
            if not operations:
                continue
            try:
                written = self.audit.apply(actor, changes,
                                           lambda ops=operations: self._store.batch(TABLE, ops))
                last = written[-1]
                if units_op is not None and last is not None:
                    units_op = BatchOperation("upsert", units_op.entity, last.etag)
            except BatchFailed as exc:
                if isinstance(exc.cause, ETagMismatch | EntityExists | EntityNotFound):
                    raise ConcurrentEdit(None, "同じ時刻にほかの変更がありました。もう一度実行してください"
                                               "（同じファイルは何度取り込んでも結果は同じです）。") from exc
                raise

    def _guarded(self, existing: dict[str, Person], items: list[tuple[Change, BatchOperation]],
                 afters: Sequence[Person], guard: Entity | None,
                 now: datetime) -> tuple[list[tuple[Change, BatchOperation]], BatchOperation | None]:
        """For a bulk write (``items``, one per person of ``afters``): refuse it if it would leave
        no administrator, and when it changes who is one, put those people first and return the
        guard operation for their batch."""
        def flips(person: Person) -> bool:
            before = existing.get(person.object_id)
            return (before is not None and before.is_admin) != person.is_admin

        flipped = [i for i, person in enumerate(afters) if flips(person)]
        if not flipped:
            return items, None
        admins_before = {oid for oid, p in existing.items() if p.is_admin}
        admins_after = self._admins_after(existing.values(), afters)
        if admins_before and not admins_after:
            raise InvalidChange("この内容を取り込むと管理者が1人もいなくなるため、取り込めません。"
                                "管理者のロールを持つ方を1人以上残してください。")
        if len(flipped) >= MAX_BATCH_OPERATIONS:
            raise InvalidChange(
                f"管理者の付与・取り消しは、1回の取り込みで{MAX_BATCH_OPERATIONS - 1}人までです。")
        order = flipped + [i for i in range(len(items)) if i not in set(flipped)]
        return [items[i] for i in order], self._admin_guard_op(guard, admins_after, now)

    def _save(self, actor: Actor, before: Person | None, after: Person, operation: str, reason: str,
              extra: Sequence[tuple[Change, BatchOperation]] = (), *, guard: Entity | None = None,
              guard_read: bool = False, units_guard: Any = _NOT_READ) -> Person:
        """Write one person (and ``extra``). A change of who is an administrator also rewrites the
        admin guard: a removal must pass the ``guard`` it read before its check (``guard_read``).
        A change that gives a unit or scope rewrites the units guard it read (``units_guard``,
        from :meth:`_org_for_people`, before checking the units)."""
        now = self._clock()
        entity = person_entity(after, now, actor)
        op = BatchOperation("insert", entity) if before is None else BatchOperation("upsert", entity, before.etag)
        change = Change("person", after.object_id, operation, snapshot(before), snapshot(after), reason)
        guard_op = None
        if (before is not None and before.is_admin) != after.is_admin:
            if not guard_read:
                if not after.is_admin:
                    raise AssertionError("removing an administrator needs the guard read before the check")
                guard = self._admin_guard()
            guard_op = self._admin_guard_op(guard, self._admins_after(self._everyone(), [after]), now)
        units_op = None
        if _adds_units(before, after):
            if units_guard is _NOT_READ:
                raise AssertionError("giving a unit or scope needs the units guard read before the check")
            units_op = self._units_guard_op(units_guard, now)
        try:
            self._write_people(actor, [(change, op), *extra], guard_op, units_op)
        except ConcurrentEdit:
            raise ConcurrentEdit(self._load(after.object_id)) from None
        saved = self._load(after.object_id)
        assert saved is not None
        return saved

    def _check_grant(self, grant: RoleGrant, org: Organisation) -> None:
        problem = grant.scope_problem()
        if problem:
            raise InvalidChange(problem + "。")
        if grant.scope is not None and grant.scope not in org:
            raise InvalidChange(f"「{grant.scope.path}」は組織にありません。")

    def grant(self, actor: Actor, object_id: str, grant: RoleGrant, *, etag: str | None, reason: str = "",
              create_name: str = "") -> Person:
        """Give ``object_id`` a role. ``etag`` is the person's ETag as the admin saw it (None with
        ``create_name`` to create a new person); a stale one raises :class:`ConcurrentEdit`."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.PEOPLE))
        oid = normalise_object_id(object_id)
        for attempt in range(_RETRIES):
            org, units_guard = self._org_for_people()
            self._check_grant(grant, org)
            person = self._load(oid)
            if person is None:
                if not create_name:
                    raise PersonNotFound(oid)
                if not is_object_id(oid):
                    raise InvalidChange("オブジェクトID は GUID（xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx）で指定してください。")
                after = Person(oid, clean_name(create_name), grants=(grant,) if grant.role is not Role.STAFF else ())
                return self._save(actor, None, after, "grant", reason, units_guard=units_guard)
            if etag is not None and person.etag != etag:
                raise ConcurrentEdit(person)
            if grant.role is Role.STAFF or any(g.key == grant.key for g in person.grants):
                return person  # nothing to change: no write, no entry
            after = replace(person, grants=tuple(sorted((*person.grants, grant))))
            try:
                return self._save(actor, person, after, "grant", reason, units_guard=units_guard)
            except ConcurrentEdit as conflict:
                # Only a guard moved (an organisation import, an admin change): check again.
                unchanged = conflict.current is not None and conflict.current.etag == person.etag
                if attempt + 1 < _RETRIES and unchanged:
                    continue
                raise
        raise AssertionError("unreachable")

    def revoke(self, actor: Actor, object_id: str, role: Role, scope: OrgUnit | None, *, etag: str | None,
               reason: str = "") -> Person:
        require(actor.person, Action.WRITE, Resource(ResourceKind.PEOPLE))
        oid = normalise_object_id(object_id)
        for attempt in range(_RETRIES):
            guard = self._admin_guard()  # first: any admin change after this read fails our batch
            person = self._load(oid)
            if person is None:
                raise PersonNotFound(oid)
            if etag is not None and person.etag != etag:
                raise ConcurrentEdit(person)
            key = (role.value, scope.path if scope else "")
            remaining = tuple(g for g in person.grants if g.key != key)
            if len(remaining) == len(person.grants):
                return person
            after = replace(person, grants=remaining)
            if person.is_admin and not after.is_admin and set(self.admin_ids()) <= {oid}:
                raise InvalidChange(LAST_ADMIN)
            try:
                return self._save(actor, person, after, "revoke", reason, guard=guard, guard_read=True)
            except ConcurrentEdit as conflict:
                # Only the guard moved (another admin change landed): check the rule again.
                unchanged = conflict.current is not None and conflict.current.etag == person.etag
                if attempt + 1 < _RETRIES and (unchanged or etag is None):
                    continue
                raise
        raise AssertionError("unreachable")

    # --- the organisation import ---------------------------------------------------------------

    def _usage(self, units: Iterable[OrgUnit], people: Sequence[Person]) -> dict[OrgUnit, int]:
        usage = {}
        for unit in units:
            count = sum(
                1 for p in people
                if (p.unit is not None and unit.contains(p.unit))
                or any(g.scope is not None and unit.contains(g.scope) for g in p.grants)
            )
            if count:
                usage[unit] = count
        return usage

    def import_organisation(self, actor: Actor, data: bytes, filename: str = "") -> ImportResult:
        """Replace the organisation with the file's (seed bureaus always stay). All or nothing."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.ORGANISATION))
        declared = parse_organisation_file(data, filename)
        current = load_organisation(self._store)
        new_units = frozenset(declared) | seed_organisation().units
        added = sorted(new_units - current.units)
        removed = sorted(current.imported - new_units)
        unchanged = len(declared) - len([u for u in added if u in declared])
        if not added and not removed:
            return ImportResult("組織", unchanged=unchanged)
        if removed:
            self._refuse_units_in_use(removed)  # the plain case: refused without writing anything
            # claim them: from now on nobody is given them; then check again (module docstring)
            self._claim_units(frozenset(removed))
        try:
            return self._write_organisation(actor, current, new_units, added, removed, unchanged)
        finally:
            if removed:
                self._claim_units(frozenset(removed), release=True)

    def _refuse_units_in_use(self, removed: Sequence[OrgUnit]) -> None:
        usage = self._usage(removed, self._everyone())
        if usage:
            raise ImportRejected([
                ImportIssue(f"「{u.path}」はファイルにありませんが、{n}人の所属またはロール対象なので削除できません"
                            "（先に名簿を更新してください）")
                for u, n in sorted(usage.items())
            ])

    def _write_organisation(self, actor: Actor, current: Organisation, new_units: frozenset[OrgUnit],
                            added: list[OrgUnit], removed: list[OrgUnit], unchanged: int) -> ImportResult:
        self._refuse_units_in_use(removed)  # after the claim: nobody can start using them now
        changes = [Change("org_unit", u.path, "create", None, {"level": u.level_label}) for u in added]
        changes += [Change("org_unit", u.path, "delete", {"level": u.level_label}, None) for u in removed]
        entity = organisation_entity(new_units - seed_organisation().units, self._clock())

        def write() -> None:
            if current.etag is None:
                self._store.insert(ORG_TABLE, entity)
            else:
                self._store.upsert(ORG_TABLE, entity, etag=current.etag)

        try:
            self.audit.apply(actor, changes, write)
        except (ETagMismatch, EntityExists, EntityNotFound):
            raise ConcurrentEdit(None, "ほかの管理者が同時に組織を更新しました。もう一度取り込んでください。") from None
        details = []
        if added:
            details.append(f"追加: {describe_units(added)}")
        if removed:
            details.append(f"削除: {describe_units(removed)}")
        return ImportResult("組織", created=len(added), removed=len(removed), unchanged=unchanged,
                            details=tuple(details))

    # --- the roster import ---------------------------------------------------------------------

    def _parse_roster(self, data: bytes, filename: str, org: Organisation) -> dict[str, _Desired]:
        body = split_header(read_table(data, filename), ROSTER_COLUMNS)
        issues: list[ImportIssue] = []
        desired: dict[str, _Desired] = {}
        seen_grants: dict[tuple[str, tuple[str, str]], int] = {}
        c_id, c_name, c_bureau, c_dept, c_section, c_role, c_scope = ROSTER_COLUMNS
        for number, cells in body:
            raw_id, name, bureau, department, section, raw_role, raw_scope = (clean_name(c) for c in cells)
            before = len(issues)

            def issue(message: str, column: str, number: int = number) -> None:
                issues.append(ImportIssue(message, number, column))

            oid = normalise_object_id(raw_id)
            if not oid:
                issue("オブジェクトIDが空です", c_id)
            elif not is_object_id(oid):
                issue(f"オブジェクトIDは GUID（xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx）で書いてください（\"{raw_id}\"）", c_id)
            if not name:
                issue("氏名が空です", c_name)
            unit: OrgUnit | None = None
            if not bureau:
                issue("局が空です", c_bureau)
            elif OrgUnit(bureau) not in org:
                issue(f"局「{bureau}」は組織にありません", c_bureau)
            elif section and not department:
                issue("課・室を書く行には部も書いてください", c_dept)
            elif department and OrgUnit(bureau, department) not in org:
                issue(f"部「{bureau}/{department}」は組織にありません", c_dept)
            elif section and OrgUnit(bureau, department, section) not in org:
                issue(f"課・室「{bureau}/{department}/{section}」は組織にありません", c_section)
            else:
                unit = OrgUnit(bureau, department, section)
            role: Role | None = None
            if not raw_role:
                issue(f"ロールが空です（{_ROLE_CHOICES}）", c_role)
            else:
                try:
                    role = parse_role(raw_role)
                except ValueError:
                    issue(f"ロールは {_ROLE_CHOICES} のいずれかです（\"{raw_role}\"）", c_role)
            scope: OrgUnit | None = None
            if raw_scope:
                try:
                    scope = OrgUnit.parse(raw_scope)
                except ValueError:
                    issue(f"ロール対象は「局」「局/部」「局/部/課・室」の形で書いてください（\"{raw_scope}\"）", c_scope)
                else:
                    if scope not in org:
                        issue(f"ロール対象「{scope.path}」は組織にありません", c_scope)
                        scope = None
            if len(issues) > before or role is None or unit is None:
                continue
            if not raw_scope:
                if role is Role.DX_PRO:
                    if not unit.department:
                        issue("DX PRO のロール対象が空で、部も空です（ロール対象に「局/部」を書いてください）", c_scope)
                        continue
                    scope = OrgUnit(unit.bureau, unit.department)
                elif role in (Role.BUREAU_CONTACT, Role.MANAGER):
                    scope = OrgUnit(unit.bureau)
            grant = RoleGrant(role, scope, RoleSource.ROSTER)
            problem = grant.scope_problem()
            if problem:
                issue(problem, c_scope)
                continue
            first = desired.get(oid)
            if first is None:
                first = desired[oid] = _Desired(number, name, unit)
            else:
                if first.name != name:
                    issue(f"{first.row}行目と氏名が違います（同じオブジェクトIDの行は同じ氏名・所属で書いてください）", c_name)
                    continue
                if first.unit != unit:
                    issue(f"{first.row}行目と所属が違います（同じオブジェクトIDの行は同じ氏名・所属で書いてください）", c_bureau)
                    continue
            key = (oid, grant.key)
            if key in seen_grants:
                issue(f"{seen_grants[key]}行目と重複しています（{grant.label}）", c_role)
                continue
            seen_grants[key] = number
            if role is not Role.STAFF:
                first.grants.append(grant)
        if issues:
            raise ImportRejected(issues)
        return desired

    def import_roster(self, actor: Actor, data: bytes, filename: str = "") -> ImportResult:
        """Bring the roster in line with the file: names, units and each listed person's roles
        (a role missing from the file is revoked; roles from Graph stay). All or nothing."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.PEOPLE))
        org, units_guard = self._org_for_people()
        desired = self._parse_roster(data, filename, org)
        guard = self._admin_guard()  # before reading who the administrators are
        existing = {p.object_id: p for p in self._everyone()}
        now = self._clock()
        items: list[tuple[Change, BatchOperation]] = []
        afters: list[Person] = []
        created = updated = unchanged = revoked = 0
        for oid, want in desired.items():
            before = existing.get(oid)
            kept = [g for g in (before.grants if before else ()) if g.source is RoleSource.GRAPH]
            grants = _merge(want.grants, kept)
            after = Person(oid, want.name, want.unit, grants, job_title=before.job_title if before else "",
                           manager_id=before.manager_id if before else "")
            if _same(before, after):
                unchanged += 1
                continue
            items.append(_import_write(before, after, now, actor))
            afters.append(after)
            if before is None:
                created += 1
            else:
                updated += 1
                revoked += len({g.key for g in before.grants} - {g.key for g in grants})
        items, guard_op = self._guarded(existing, items, afters, guard, now)
        adds = any(_adds_units(existing.get(p.object_id), p) for p in afters)
        self._write_people(actor, items, guard_op, self._units_guard_op(units_guard, now) if adds else None)
        untouched = len(set(existing) - set(desired))
        return ImportResult("名簿", created=created, updated=updated, unchanged=unchanged, revoked=revoked,
                            untouched=untouched)

    # --- either file ---------------------------------------------------------------------------

    def import_file(self, actor: Actor, data: bytes, filename: str = "") -> ImportResult:
        """Import an organisation or a roster file, told apart by the header row."""
        rows = read_table(data, filename)
        header = [clean_name(c) for c in (rows[0] if rows else [])]
        while header and not header[-1]:
            header.pop()
        if header == [clean_name(c) for c in ROSTER_COLUMNS]:
            return self.import_roster(actor, data, filename)
        if header == [clean_name(c) for c in ORG_COLUMNS]:
            return self.import_organisation(actor, data, filename)
        raise ImportRejected([ImportIssue(
            f"1行目の見出しが、組織ファイル（{','.join(ORG_COLUMNS)}）とも名簿ファイル（{','.join(ROSTER_COLUMNS)}）"
            "とも違います", 1)])

    # --- registration requests -----------------------------------------------------------------

    def registration_of(self, actor: Actor) -> RegistrationRequest | None:
        require(actor.person, Action.READ, Resource(ResourceKind.REGISTRATION, owner=actor.object_id))
        if not actor.object_id:
            return None
        try:
            entity = self._store.get(TABLE, PARTITION, request_row(actor.object_id))
        except InvalidEntity:
            return None
        return _request(entity) if entity else None

    def request_registration(self, actor: Actor, requested_unit: str, message: str = "") -> tuple[RegistrationRequest, bool]:
        """Ask the administrators to put ``actor`` on the roster. Returns the request and whether
        it is new (asking twice while a request is pending changes nothing)."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.REGISTRATION, owner=actor.object_id))
        if actor.person.registered:
            raise InvalidChange("すでに名簿に登録されています。")
        if not actor.object_id:
            raise InvalidChange("Teams の利用者ID（オブジェクトID）が届いていないため、依頼を受け付けられません。")
        existing = self.registration_of(actor)
        if existing is not None and existing.status is RequestStatus.PENDING:
            return existing, False
        now = self._clock()
        request = RegistrationRequest(
            object_id=actor.object_id, name=mask_my_number(clean_name(actor.name))[:100],
            requested_unit=mask_my_number(clean_name(requested_unit))[:200],
            message=mask_my_number(message.strip())[:500], requested_at=now,
        )
        entity = self._request_entity(request)
        change = Change("registration", actor.object_id, "request", _request_snapshot(existing),
                        _request_snapshot(request))

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
            "kind": "request", "object_id": request.object_id, "name": request.name,
            "requested_unit": request.requested_unit, "message": request.message,
            "requested_at": request.requested_at, "status": request.status.value, "decided_by": request.decided_by,
        }
        return Entity(PARTITION, request_row(request.object_id), {k: v for k, v in props.items() if v != ""})

    def pending_requests(self, viewer: Person) -> list[RegistrationRequest]:
        require(viewer, Action.READ, Resource(ResourceKind.REGISTRATION))
        rows = self._store.query(TABLE, PARTITION, {"kind": "request", "status": RequestStatus.PENDING.value})
        return sorted((_request(e) for e in rows), key=lambda r: r.requested_at)

    def _pending(self, object_id: str, etag: str | None) -> RegistrationRequest:
        entity = self._store.get(TABLE, PARTITION, request_row(normalise_object_id(object_id)))
        if entity is None:
            raise InvalidChange("この登録依頼は見つかりません。")
        request = _request(entity)
        if request.status is not RequestStatus.PENDING:
            raise ConcurrentEdit(request, "この登録依頼はすでに処理されています。")
        if etag is not None and request.etag != etag:
            raise ConcurrentEdit(request)
        return request

    def approve(self, actor: Actor, object_id: str, *, grant: RoleGrant, unit: OrgUnit | None,
                etag: str | None, reason: str = "") -> Person:
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
            after = replace(before, unit=unit or before.unit, grants=_merge(before.grants, extra))
        decided = replace(request, status=RequestStatus.APPROVED, decided_by=actor.object_id)
        request_item = (
            Change("registration", request.object_id, "approve", _request_snapshot(request),
                   _request_snapshot(decided), reason),
            BatchOperation("upsert", self._request_entity(decided), request.etag),
        )
        return self._save(actor, before, after, "approve", reason, extra=[request_item],
                          units_guard=units_guard)

    def reject(self, actor: Actor, object_id: str, *, etag: str | None, reason: str = "") -> RegistrationRequest:
        require(actor.person, Action.WRITE, Resource(ResourceKind.PEOPLE))
        request = self._pending(object_id, etag)
        decided = replace(request, status=RequestStatus.REJECTED, decided_by=actor.object_id)
        change = Change("registration", request.object_id, "reject", _request_snapshot(request),
                        _request_snapshot(decided), reason)
        try:
            self._write_people(actor, [(change, BatchOperation("upsert", self._request_entity(decided), request.etag))])
        except ConcurrentEdit:
            raise ConcurrentEdit(None, "この登録依頼はほかの管理者が処理しました。") from None
        return decided

    # --- Microsoft Graph -------------------------------------------------------------------------

    def apply_directory(self, actor: Actor, users: Sequence[DirectoryUser]) -> SyncReport:
        """Update the roster from Microsoft Graph: names, units, job titles, managers, and the
        roles Graph implies (:func:`graph_grants`). Roles from the roster or admins are kept."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.PEOPLE))
        org, units_guard = self._org_for_people()
        guard = self._admin_guard()  # before reading who the administrators are
        existing = {p.object_id: p for p in self._everyone()}
        now = self._clock()
        items: list[tuple[Change, BatchOperation]] = []
        afters: list[Person] = []
        created = updated = unchanged = skipped = without_manager = 0
        unresolved: list[str] = []
        for user in users:
            oid = normalise_object_id(user.object_id)
            name = clean_name(user.name)
            if not is_object_id(oid) or not name:
                skipped += 1
                continue
            if not user.manager_id:
                without_manager += 1
            before = existing.get(oid)
            unit = org.resolve(user.department) if user.department else None
            if unit is None:
                if user.department and user.department not in unresolved:
                    unresolved.append(user.department)
                unit = before.unit if before else None
            kept = [g for g in (before.grants if before else ()) if g.source is not RoleSource.GRAPH]
            grants = _merge(kept, graph_grants(user.job_title, unit))
            after = Person(oid, name, unit, grants, job_title=clean_name(user.job_title),
                           manager_id=normalise_object_id(user.manager_id))
            if _same(before, after):
                unchanged += 1
                continue
            items.append(_import_write(before, after, now, actor))
            afters.append(after)
            if before is None:
                created += 1
            else:
                updated += 1
        items, guard_op = self._guarded(existing, items, afters, guard, now)
        adds = any(_adds_units(existing.get(p.object_id), p) for p in afters)
        self._write_people(actor, items, guard_op, self._units_guard_op(units_guard, now) if adds else None)
        return SyncReport(len(users), created, updated, unchanged, skipped, tuple(unresolved), without_manager)


# --- CLI -------------------------------------------------------------------------------------


def _cli_actor() -> Actor:
    import getpass

    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "unknown"
    return system_actor(f"CLI（{user}）", "cli")


def _parse_scope(text: str | None) -> OrgUnit | None:
    return OrgUnit.parse(text) if text else None


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日付は YYYY-MM-DD で指定してください: {text}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m services.people",
        description="ICT推進ボットの組織・名簿・ロール・監査ログ（アプリと同じ設定 DATA_DIR / "
                    "AZURE_TABLES_CONNECTION_STRING を使います）",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("import-org", help="組織ファイル（CSV/.xlsx、列: 局,部,課・室）を取り込む")
    p.add_argument("file", type=Path)
    p = sub.add_parser("import-roster", help="名簿ファイル（CSV/.xlsx）を取り込む")
    p.add_argument("file", type=Path)
    p = sub.add_parser("list", help="名簿とロールの一覧")
    p.add_argument("--role", help="このロールの人だけ（admin, dx_pro, 管理者 など）")
    p = sub.add_parser("grant", help="ロールを付与する")
    p.add_argument("object_id")
    p.add_argument("role", help="admin | bureau_contact | dx_pro | manager | staff（日本語名も可）")
    p.add_argument("scope", nargs="?", help="ロール対象: 局 / 局/部 / 局/部/課・室")
    p.add_argument("--reason", default="")
    p.add_argument("--name", default="", help="名簿にない人を新しく登録するときの氏名")
    p = sub.add_parser("revoke", help="ロールを取り消す")
    p.add_argument("object_id")
    p.add_argument("role")
    p.add_argument("scope", nargs="?")
    p.add_argument("--reason", default="")
    p = sub.add_parser("requests", help="未処理の登録依頼の一覧")
    p = sub.add_parser("export-audit", help="期間の監査ログを Excel に書き出す")
    p.add_argument("--from", dest="start", type=_date, required=True, help="開始日 YYYY-MM-DD（日本時間）")
    p.add_argument("--to", dest="end", type=_date, required=True, help="終了日 YYYY-MM-DD（この日を含む）")
    p.add_argument("--out", type=Path, required=True, help="書き出す .xlsx ファイル")
    sub.add_parser("sync-graph", help="Microsoft Graph から名簿を同期する（GRAPH_* の設定が必要）")
    return parser


def main(argv: Sequence[str] | None = None, *, store: TableStore | None = None,
         clock: Callable[[], datetime] | None = None, graph_session: Any = None) -> int:
    from services.kernel.settings import TIMEZONE, settings_or_report

    args = build_parser().parse_args(argv)
    settings = settings_or_report()
    if settings is None:
        return 2
    own_store = store is None
    if store is None:
        from storage import open_store

        store = open_store(data_dir=settings.data_dir, azure_connection_string=settings.azure_tables_connection_string)
    clock = clock or (lambda: datetime.now(TIMEZONE))
    people = PeopleService(store, clock)
    actor = _cli_actor()
    try:
        return _run(args, people, actor, settings, graph_session)
    except ImportRejected as error:
        print(f"取り込めませんでした（何も変更していません）: {len(error.issues)}件の問題\n{error}", file=sys.stderr)
        return 1
    except (PeopleError, ValueError) as error:
        print(f"エラー: {error}", file=sys.stderr)
        return 1
    finally:
        if own_store:
            store.close()


def _run(args: argparse.Namespace, people: PeopleService, actor: Actor, settings: Any, graph_session: Any) -> int:
    admin = actor.person
    if args.command in ("import-org", "import-roster"):
        data = args.file.read_bytes()
        importer = people.import_organisation if args.command == "import-org" else people.import_roster
        result = importer(actor, data, args.file.name)
        print(result.summary())
        for line in result.details:
            print(f"  {line}")
        if result.untouched:
            print(f"  ファイルにない登録者 {result.untouched}人は変更していません。")
        return 0
    if args.command == "list":
        wanted = parse_role(args.role) if args.role else None
        for person in people.everyone(admin):
            if wanted is not None and not person.has(wanted):
                continue
            unit = person.unit.path if person.unit else "-"
            print(f"{person.object_id}\t{person.name}\t{unit}\t{person.roles_label}")
        return 0
    if args.command == "grant":
        person = people.grant(actor, args.object_id, RoleGrant(parse_role(args.role), _parse_scope(args.scope)),
                              etag=None, reason=args.reason, create_name=args.name)
        print(f"{person.name}（{person.object_id}）: {person.roles_label}")
        return 0
    if args.command == "revoke":
        person = people.revoke(actor, args.object_id, parse_role(args.role), _parse_scope(args.scope),
                               etag=None, reason=args.reason)
        print(f"{person.name}（{person.object_id}）: {person.roles_label}")
        return 0
    if args.command == "requests":
        for request in people.pending_requests(admin):
            print(f"{request.object_id}\t{request.name}\t{request.requested_unit}\t"
                  f"{request.requested_at.isoformat(timespec='minutes')}\t{request.message}")
        return 0
    if args.command == "export-audit":
        count = people.audit.export_xlsx(admin, args.start, args.end, args.out)
        print(f"監査ログ {count}件を {args.out} に書き出しました（{args.start}〜{args.end}、日本時間）。")
        return 0
    if args.command == "sync-graph":
        from services.people.graph_sync import GraphDirectory

        if not settings.graph_enabled:
            print("エラー: GRAPH_TENANT_ID・GRAPH_CLIENT_ID・GRAPH_CLIENT_SECRET を設定してください。", file=sys.stderr)
            return 2
        directory = GraphDirectory.from_settings(settings, session=graph_session)
        report = people.apply_directory(actor, directory.users())
        print(report.summary())
        return 0
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
