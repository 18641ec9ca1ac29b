"""The organisation and roster imports and the Microsoft Graph sync: whole files or directories
brought into the roster, validated all or nothing, written in audited batches, idempotent, and
kept to the rules across records (:mod:`services.people.guards`): the roster import and the sync
rewrite the admin guard and the units guard with the people they change; the organisation import
claims the units it removes.

**A roster import larger than one batch survives a crash.** A batch (up to 100 people) is all or
nothing, but a process killed between two batches would leave the roster half imported. So an
import that needs more than one batch first keeps its file (compressed, in the ``roster-import``
partition) and puts a journal row (:data:`JOURNAL_ROW`) in its *first* batch and the journal's
removal in its *last*: the journal exists exactly while an import is half done. Whoever finds it
(:meth:`PeopleImports.resume_interrupted_import`: the app at start-up, and every roster import or
sync before its own) finishes that import from the kept file; it is idempotent, so the people
already written are left as they are. The journal row also keeps two imports from running at once.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

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
from services.people.records import (
    PARTITION,
    TABLE,
    ConcurrentEdit,
    InvalidChange,
    import_write,
    same_person,
)
from services.people.roster_file import ROSTER_COLUMNS, ImportResult, parse_roster
from storage.base import (
    MAX_BATCH_OPERATIONS,
    BatchOperation,
    Entity,
    EntityExists,
    EntityNotFound,
    ETagMismatch,
)

JOURNAL_ROW = "roster-import-in-progress"  # in the people partition: batched with the people
FILE_PARTITION = "roster-import"  # the file of the import in progress, in chunks
_CHUNK_CHARS = 30_000  # base64 characters per chunk entity (under the 64 KiB string limit)
JOURNAL_KIND = "roster_import"
KEPT_FILE_HOURS = 1  # a kept file with no journal row is dropped after this long


def _encode(data: bytes) -> list[str]:
    text = base64.b64encode(zlib.compress(data, 9)).decode("ascii")
    return [text[i : i + _CHUNK_CHARS] for i in range(0, len(text), _CHUNK_CHARS)] or [""]


def _decode(chunks: Sequence[str]) -> bytes:
    return zlib.decompress(base64.b64decode("".join(chunks)))


def _batches(count: int, guard_op: BatchOperation | None, units_op: BatchOperation | None) -> int:
    """How many batches :meth:`PeopleBase._write_people` needs for ``count`` items."""
    per_batch = MAX_BATCH_OPERATIONS - (1 if units_op is not None else 0)
    first = per_batch - (1 if guard_op is not None else 0)
    return 1 if count <= first else 1 + -(-(count - first) // per_batch)


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
        *,
        journal: _Journal | None = None,
    ) -> None:
        """Write a bulk change of people (``items``, one per person of ``afters``) with the guards:
        the admin guard (read before ``existing``) when it changes who is an administrator, the
        units guard (read before the organisation) when it gives somebody a unit or scope.
        With a ``journal`` (a roster import), a write of more than one batch is journaled."""
        items, guard_op = guarded(existing, items, afters, guard, now)
        adds = any(adds_units(existing.get(p.object_id), p) for p in afters)
        units_op = units_guard_op(units_guard, now) if adds else None
        if journal is not None and (journal.resuming or _batches(len(items), guard_op, units_op) > 1):
            if guard_op is not None and not journal.resuming:
                admin_before = {oid: p.is_admin for oid, p in existing.items()}
                flips = sum(1 for p in afters if admin_before.get(p.object_id, False) != p.is_admin)
                if flips + 1 > MAX_BATCH_OPERATIONS - 2:  # they and the journal row share the first batch
                    raise InvalidChange(
                        f"管理者の付与・取り消しは、1回の取り込みで{MAX_BATCH_OPERATIONS - 3}人までです。"
                    )
            items = journal.wrap(self, actor, items, now)
        self._write_people(actor, items, guard_op, units_op)
        if journal is not None:
            journal.done(self)

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
        (a role missing from the file is revoked; roles from Graph stay). All or nothing, a crash
        included: an import that a crash cut short is finished first (the same file again is
        then that import's result)."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.PEOPLE))
        resumed = self.resume_interrupted_import()
        if resumed is not None and resumed[0] == _digest(data):
            return resumed[1]
        return self._import_roster(actor, data, filename, _Journal(data, filename))

    def resume_interrupted_import(self) -> tuple[str, ImportResult] | None:
        """Finish a roster import that a crash cut short (its journal row is there), from the file
        it kept; returns (the file's digest, the result), or None when there was none. Run it at
        start-up; every roster import and sync runs it first."""
        marker = self._store.get(TABLE, PARTITION, JOURNAL_ROW)
        if marker is None:
            self._drop_kept_files()
            return None
        actor = system_actor(f"名簿取込の再開（{marker.get('actor_name', '')}）", "recovery")
        filename = marker.get("filename", "")
        chunks = sorted(self._store.query(TABLE, FILE_PARTITION), key=lambda e: e.row_key)
        mine = [e["data"] for e in chunks if e.row_key.startswith(marker["import_id"] + "-")]
        journal = _Journal(b"", filename, resume=marker)
        try:
            if len(mine) != marker.get("chunks", -1):
                raise InvalidChange("取り込み途中のファイルが欠けています。")
            journal.data = _decode(mine)
            result = self._import_roster(actor, journal.data, filename, journal)
        except (ImportRejected, InvalidChange) as refused:  # cannot be finished: give it up, audited
            why = f"再開できません: {refused}"[:500]
            change = Change(JOURNAL_KIND, marker["import_id"], "abandon", None, None, why)
            self._write_people(actor, [(change, BatchOperation("delete", marker))])
            journal.done(self)
            return None
        return marker.get("digest", ""), result

    def _drop_kept_files(self) -> None:
        """Files kept for imports that never wrote their first batch (a crash before it): those
        older than :data:`KEPT_FILE_HOURS` (a younger one may belong to an import starting now)."""
        cutoff = self._clock() - timedelta(hours=KEPT_FILE_HOURS)
        for entity in list(self._store.query(TABLE, FILE_PARTITION)):
            at = entity.get("at")
            if at is None or at < cutoff:
                self._store.delete(TABLE, FILE_PARTITION, entity.row_key)

    def _import_roster(self, actor: Actor, data: bytes, filename: str, journal: _Journal) -> ImportResult:
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
        self._write_guarded(actor, existing, items, afters, guard, units_guard, now, journal=journal)
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
        self.resume_interrupted_import()  # never sync over a half-imported roster
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


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Journal:
    """The journal of one roster import (see the module's docstring)."""

    def __init__(self, data: bytes, filename: str, resume: Entity | None = None):
        self.data = data
        self.filename = filename
        self.marker = resume
        self.resuming = resume is not None
        self.import_id = resume["import_id"] if resume is not None else _digest(data)[:16] + "-" + _now_tag()
        self.kept = False

    def wrap(
        self, people: PeopleImports, actor: Actor, items: list[tuple[Change, BatchOperation]], now: datetime
    ) -> list[tuple[Change, BatchOperation]]:
        """``items`` with the journal row's insert first (unless resuming) and its removal last."""
        props: dict[str, object] = {
            "kind": JOURNAL_KIND,
            "import_id": self.import_id,
            "digest": _digest(self.data),
            "filename": self.filename[:200],
            "actor_id": actor.object_id,
            "actor_name": actor.name[:200],
            "people": len(items),
            "at": now,
        }
        summary = {"ファイル": self.filename or "（名前なし）", "人数": len(items)}
        out = list(items)
        if not self.resuming:
            chunks = _encode(self.data)
            props["chunks"] = len(chunks)
            rows = [(f"{self.import_id}-{n:05d}", c) for n, c in enumerate(chunks)]
            for first in range(0, len(rows), MAX_BATCH_OPERATIONS):
                people._store.batch(
                    TABLE,
                    [
                        BatchOperation("insert", Entity(FILE_PARTITION, row, {"data": c, "at": now}))
                        for row, c in rows[first : first + MAX_BATCH_OPERATIONS]
                    ],
                )
            self.kept = True
            reason = "名簿取込（複数回に分けて書き込み）"
            start_change = Change(JOURNAL_KIND, self.import_id, "start", None, summary, reason)
            out.insert(0, (start_change, BatchOperation("insert", Entity(PARTITION, JOURNAL_ROW, props))))
        end_change = Change(JOURNAL_KIND, self.import_id, "complete", None, summary, "名簿取込の完了")
        out.append((end_change, BatchOperation("delete", Entity(PARTITION, JOURNAL_ROW, props))))
        return out

    def done(self, people: PeopleImports) -> None:
        """After the last batch: the kept file is no longer needed (a leftover is dropped later)."""
        if self.kept or self.resuming:
            for entity in list(people._store.query(TABLE, FILE_PARTITION)):
                if entity.row_key.startswith(self.import_id + "-"):
                    people._store.delete(TABLE, FILE_PARTITION, entity.row_key)


def _now_tag() -> str:
    import secrets

    return secrets.token_hex(4)
