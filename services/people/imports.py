"""The organisation and roster imports and the Microsoft Graph sync: whole files or directories
brought into the roster, validated all or nothing, written in audited batches, idempotent, and
kept to the rules across records (:mod:`services.people.guards`): the roster import and the sync
rewrite the admin guard and the units guard with the people they change; the organisation import
claims the units it removes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from services.audit.models import Change
from services.kernel.tabular import ImportIssue, ImportRejected, read_table
from services.people.base import PeopleBase
from services.people.directory import DirectoryUser, SyncReport, graph_grants, merge_grants
from services.people.guards import adds_units, claim_units, guarded, units_guard_op
from services.people.identity import (
    Actor,
    OrgUnit,
    Person,
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
    ConcurrentEdit,
    import_write,
    same_person,
)
from services.people.roster_file import ROSTER_COLUMNS, ImportResult, parse_roster
from storage.base import (
    BatchOperation,
    Entity,
    EntityExists,
    EntityNotFound,
    ETagMismatch,
)


class PeopleImports(PeopleBase):
    def _write_guarded(
        self,
        actor: Actor,
        existing: dict[str, Person],
        items: list[tuple[Change, BatchOperation]],
        afters: Sequence[Person],
        guard: Entity | None,
        units_guard: Entity | None,
        now: datetime,
    ) -> None:
        """Write a bulk change of people (``items``, one per person of ``afters``) with the guards:
        the admin guard (read before ``existing``) when it changes who is an administrator, the
        units guard (read before the organisation) when it gives somebody a unit or scope."""
        items, guard_op = guarded(existing, items, afters, guard, now)
        adds = any(adds_units(existing.get(p.object_id), p) for p in afters)
        self._write_people(actor, items, guard_op, units_guard_op(units_guard, now) if adds else None)

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
        unchanged = len(declared) - len([u for u in added if u in declared])
        if not added and not removed:
            return ImportResult("組織", unchanged=unchanged)
        if removed:
            self._refuse_units_in_use(removed)  # the plain case: refused without writing anything
            # claim them: from now on nobody is given them; then check again (services.people.guards)
            claim_units(self._store, self._clock, frozenset(removed))
        try:
            return self._write_organisation(actor, current, new_units, added, removed, unchanged)
        finally:
            if removed:
                claim_units(self._store, self._clock, frozenset(removed), release=True)

    def _refuse_units_in_use(self, removed: Sequence[OrgUnit]) -> None:
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

    def _write_organisation(
        self,
        actor: Actor,
        current: Organisation,
        new_units: frozenset[OrgUnit],
        added: list[OrgUnit],
        removed: list[OrgUnit],
        unchanged: int,
    ) -> ImportResult:
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
        org, units_guard = self._org_for_people()
        desired = parse_roster(data, filename, org)
        guard = self._admin_guard()  # before reading who the administrators are
        existing = {p.object_id: p for p in self._everyone()}
        now = self._clock()
        items: list[tuple[Change, BatchOperation]] = []
        afters: list[Person] = []
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
            afters.append(after)
            if before is None:
                created += 1
            else:
                updated += 1
                revoked += len({g.key for g in before.grants} - {g.key for g in grants})
        self._write_guarded(actor, existing, items, afters, guard, units_guard, now)
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
            afters.append(after)
            if before is None:
                created += 1
            else:
                updated += 1
        self._write_guarded(actor, existing, items, afters, guard, units_guard, now)
        return SyncReport(
            len(users), created, updated, unchanged, skipped, tuple(unresolved), without_manager
        )
