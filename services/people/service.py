"""People and roles: the service over the roster, role grants, registration requests, the
organisation and roster imports, and the Microsoft Graph sync.

Every public method that reads or changes somebody else's data takes the acting
:class:`~services.people.identity.Actor` (or the viewing :class:`~services.people.identity.Person`) and asks
:mod:`services.people.permissions` first; every change is written through
:meth:`services.audit.trail.AuditLog.apply` (audit first, then the write).

Storage (rows in :mod:`services.people.records`): table ``People``, one partition ``people``; row
``person-<object id>`` per person (roles as JSON in the entity, so a grant is one ETag-checked write) and
``request-<object id>`` per registration request (same partition, so approving writes the person and the
request in one batch). Imports write up to 100 people per batch; each batch and its audit entries are all
or nothing, validation is all or nothing for the whole file (:mod:`services.people.roster_file`), and an
import is idempotent, so a file whose writing was interrupted is completed by importing it again.

CLI (same settings as the app): ``.venv/bin/python -m services.people --help`` (:mod:`services.people.cli`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from services.audit.models import Change
from services.audit.trail import AuditLog
from services.kernel.privacy import mask_my_number
from services.kernel.seed import dx_selection_departments
from services.kernel.tabular import ImportIssue, ImportRejected, read_table
from services.people.directory import DirectoryUser, SyncReport, graph_grants, merge_grants
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
from services.people.records import (
    PARTITION,
    TABLE,
    ConcurrentEdit,
    InvalidChange,
    PeopleError,
    PersonNotFound,
    import_write,
    person_entity,
    person_from,
    person_row,
    request_from,
    request_row,
    request_snapshot,
    same_person,
    snapshot,
)
from services.people.roster_file import ROSTER_COLUMNS, ImportResult, parse_roster
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

__all__ = [
    "ConcurrentEdit",
    "InvalidChange",
    "PeopleError",
    "PeopleService",
    "PersonNotFound",
]


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
        return person_from(entity) if entity else Person.unregistered(oid, name)

    def _load(self, object_id: str) -> Person | None:
        entity = self._store.get(TABLE, PARTITION, person_row(object_id))
        return person_from(entity) if entity else None

    def _everyone(self) -> list[Person]:
        return [person_from(e) for e in self._store.query(TABLE, PARTITION, {"kind": "person"})]

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

    def dx_department_target(self) -> int | None:
        """How many departments should have a DX PRO: those that held a DX selection meeting, as the
        stored seed says (``dx_programme.csv``); None before the seed is in the store."""
        return dx_selection_departments(self._store)

    def admin_ids(self) -> list[str]:
        """Object ids of the administrators, for the bot to notify (a system lookup, no viewer)."""
        return [p.object_id for p in self._everyone() if p.is_admin]

    # --- writing people, audited -----------------------------------------------------------------

    def _write_people(self, actor: Actor, items: Sequence[tuple[Change, BatchOperation]]) -> None:
        """Audit first, then write, in batches of up to 100 (one partition): each all or nothing."""
        for start in range(0, len(items), MAX_BATCH_OPERATIONS):
            chunk = items[start : start + MAX_BATCH_OPERATIONS]
            changes = [c for c, _ in chunk]
            operations = [op for _, op in chunk]
            try:
                self.audit.apply(actor, changes, lambda ops=operations: self._store.batch(TABLE, ops))
            except BatchFailed as exc:
                if isinstance(exc.cause, ETagMismatch | EntityExists | EntityNotFound):
                    raise ConcurrentEdit(
                        None,
                        "同じ時刻にほかの変更がありました。もう一度実行してください"
                        "（同じファイルは何度取り込んでも結果は同じです）。",
                    ) from exc
                raise

    def _save(
        self,
        actor: Actor,
        before: Person | None,
        after: Person,
        operation: str,
        reason: str,
        extra: Sequence[tuple[Change, BatchOperation]] = (),
    ) -> Person:
        now = self._clock()
        entity = person_entity(after, now, actor)
        op = (
            BatchOperation("insert", entity)
            if before is None
            else BatchOperation("upsert", entity, before.etag)
        )
        change = Change("person", after.object_id, operation, snapshot(before), snapshot(after), reason)
        try:
            self._write_people(actor, [(change, op), *extra])
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

    def grant(
        self,
        actor: Actor,
        object_id: str,
        grant: RoleGrant,
        *,
        etag: str | None,
        reason: str = "",
        create_name: str = "",
    ) -> Person:
        """Give ``object_id`` a role. ``etag`` is the person's ETag as the admin saw it (None with
        ``create_name`` to create a new person); a stale one raises :class:`ConcurrentEdit`."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.PEOPLE))
        oid = normalise_object_id(object_id)
        self._check_grant(grant, load_organisation(self._store))
        person = self._load(oid)
        if person is None:
            if not create_name:
                raise PersonNotFound(oid)
            if not is_object_id(oid):
                raise InvalidChange(
                    "オブジェクトID は GUID（xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx）で指定してください。"
                )
            after = Person(
                oid, clean_name(create_name), grants=(grant,) if grant.role is not Role.STAFF else ()
            )
            return self._save(actor, None, after, "grant", reason)
        if etag is not None and person.etag != etag:
            raise ConcurrentEdit(person)
        if grant.role is Role.STAFF or any(g.key == grant.key for g in person.grants):
            return person  # nothing to change: no write, no entry
        after = replace(person, grants=tuple(sorted((*person.grants, grant))))
        return self._save(actor, person, after, "grant", reason)

    def revoke(
        self,
        actor: Actor,
        object_id: str,
        role: Role,
        scope: OrgUnit | None,
        *,
        etag: str | None,
        reason: str = "",
    ) -> Person:
        require(actor.person, Action.WRITE, Resource(ResourceKind.PEOPLE))
        oid = normalise_object_id(object_id)
        person = self._load(oid)
        if person is None:
            raise PersonNotFound(oid)
        if etag is not None and person.etag != etag:
            raise ConcurrentEdit(person)
        key = (role.value, scope.path if scope else "")
        remaining = tuple(g for g in person.grants if g.key != key)
        if len(remaining) == len(person.grants):
            return person
        if role is Role.ADMIN and set(self.admin_ids()) <= {oid}:
            raise InvalidChange(
                "最後の管理者のロールは取り消せません。先にほかの方に管理者を付与してください。"
            )
        return self._save(actor, person, replace(person, grants=remaining), "revoke", reason)

    # --- the organisation import ---------------------------------------------------------------

    def _usage(self, units: Iterable[OrgUnit], people: Sequence[Person]) -> dict[OrgUnit, int]:
        usage = {}
        for unit in units:
            count = sum(
                1
                for p in people
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
        usage = self._usage(removed, self._everyone())
        if usage:
            raise ImportRejected(
                [
                    ImportIssue(
                        f"「{u.path}」はファイルにありませんが、{n}人の所属またはロール対象なので削除できません"
                        "（先に名簿を更新してください）"
                    )
                    for u, n in sorted(usage.items())
                ]
            )
        unchanged = len(declared) - len([u for u in added if u in declared])
        if not added and not removed:
            return ImportResult("組織", unchanged=unchanged)
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
            raise ConcurrentEdit(
                None, "ほかの管理者が同時に組織を更新しました。もう一度取り込んでください。"
            ) from None
        details = []
        if added:
            details.append(f"追加: {describe_units(added)}")
        if removed:
            details.append(f"削除: {describe_units(removed)}")
        return ImportResult(
            "組織", created=len(added), removed=len(removed), unchanged=unchanged, details=tuple(details)
        )

    # --- the roster import ---------------------------------------------------------------------

    def import_roster(self, actor: Actor, data: bytes, filename: str = "") -> ImportResult:
        """Bring the roster in line with the file: names, units and each listed person's roles
        (a role missing from the file is revoked; roles from Graph stay). All or nothing."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.PEOPLE))
        org = load_organisation(self._store)
        desired = parse_roster(data, filename, org)
        existing = {p.object_id: p for p in self._everyone()}
        now = self._clock()
        items: list[tuple[Change, BatchOperation]] = []
        created = updated = unchanged = revoked = 0
        for oid, want in desired.items():
            before = existing.get(oid)
            kept = [g for g in (before.grants if before else ()) if g.source is RoleSource.GRAPH]
            grants = merge_grants(want.grants, kept)
            after = Person(
                oid,
                want.name,
                want.unit,
                grants,
                job_title=before.job_title if before else "",
                manager_id=before.manager_id if before else "",
            )
            if same_person(before, after):
                unchanged += 1
                continue
            items.append(import_write(before, after, now, actor))
            if before is None:
                created += 1
            else:
                updated += 1
                revoked += len({g.key for g in before.grants} - {g.key for g in grants})
        self._write_people(actor, items)
        untouched = len(set(existing) - set(desired))
        return ImportResult(
            "名簿",
            created=created,
            updated=updated,
            unchanged=unchanged,
            revoked=revoked,
            untouched=untouched,
        )

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
        raise ImportRejected(
            [
                ImportIssue(
                    f"1行目の見出しが、組織ファイル（{','.join(ORG_COLUMNS)}）とも名簿ファイル（{','.join(ROSTER_COLUMNS)}）"
                    "とも違います",
                    1,
                )
            ]
        )

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
        org = load_organisation(self._store)
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
        return self._save(actor, before, after, "approve", reason, extra=[request_item])

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

    # --- Microsoft Graph -------------------------------------------------------------------------

    def apply_directory(self, actor: Actor, users: Sequence[DirectoryUser]) -> SyncReport:
        """Update the roster from Microsoft Graph: names, units, job titles, managers, and the
        roles Graph implies (:func:`graph_grants`). Roles from the roster or admins are kept."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.PEOPLE))
        org = load_organisation(self._store)
        existing = {p.object_id: p for p in self._everyone()}
        now = self._clock()
        items: list[tuple[Change, BatchOperation]] = []
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
            grants = merge_grants(kept, graph_grants(user.job_title, unit))
            after = Person(
                oid,
                name,
                unit,
                grants,
                job_title=clean_name(user.job_title),
                manager_id=normalise_object_id(user.manager_id),
            )
            if same_person(before, after):
                unchanged += 1
                continue
            items.append(import_write(before, after, now, actor))
            if before is None:
                created += 1
            else:
                updated += 1
        self._write_people(actor, items)
        return SyncReport(
            len(users), created, updated, unchanged, skipped, tuple(unresolved), without_manager
        )
