"""The People table under the service: loading people, and writing them audited (audit first, then
the write, in batches of up to 100 in one partition, each all or nothing), with the guard records of
the rules across records (:mod:`services.people.guards`) in the same batches. The service's parts
(:mod:`~services.people.imports`, :mod:`~services.people.registrations`, :mod:`~services.people.service`)
build on it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from services.audit.models import Change
from services.audit.trail import AuditLog
from services.people.guards import (
    NOT_READ,
    adds_units,
    admin_guard_op,
    admins_after,
    org_for_people,
    read_admin_guard,
    units_guard_op,
)
from services.people.identity import Actor, Person, RoleGrant
from services.people.organisation import Organisation
from services.people.records import (
    PARTITION,
    TABLE,
    ConcurrentEdit,
    InvalidChange,
    person_entity,
    person_from,
    person_row,
    snapshot,
)
from storage.base import (
    MAX_AUDITED_OPERATIONS,
    BatchFailed,
    BatchOperation,
    Entity,
    EntityExists,
    EntityNotFound,
    ETagMismatch,
    TableStore,
)


class PeopleBase:
    def __init__(self, store: TableStore, clock: Callable[[], datetime], audit: AuditLog | None = None):
        self._store = store
        self._clock = clock
        self.audit = audit or AuditLog(store, clock)

    def _load(self, object_id: str) -> Person | None:
        entity = self._store.get(TABLE, PARTITION, person_row(object_id))
        return person_from(entity) if entity else None

    def _everyone(self) -> list[Person]:
        return [person_from(e) for e in self._store.query(TABLE, PARTITION, {"kind": "person"})]

    def admin_ids(self) -> list[str]:
        """Object ids of the administrators, for the bot to notify (a system lookup, no viewer)."""
        return [p.object_id for p in self._everyone() if p.is_admin]

    # --- the guards of rules across records (services.people.guards) -----------------------------

    def _admin_guard(self) -> Entity | None:
        """Read this BEFORE reading who the administrators are (see :mod:`services.people.guards`)."""
        return read_admin_guard(self._store)

    def _org_for_people(self) -> tuple[Organisation, Entity | None]:
        """The organisation as people's units and scopes may use it, and the units guard read
        before it (pass it to :meth:`_save` or :func:`~services.people.guards.units_guard_op`)."""
        return org_for_people(self._store, self._clock)

    # --- writing people, audited -----------------------------------------------------------------

    def _write_people(
        self,
        actor: Actor,
        items: Sequence[tuple[Change, BatchOperation]],
        guard_op: BatchOperation | None = None,
        units_op: BatchOperation | None = None,
    ) -> None:
        """Audit first, then write, in batches of up to 100 (one partition): each all or nothing.
        ``guard_op`` (the admin guard) goes in the first batch: put the items that change who is an
        administrator first. ``units_op`` (the units guard) goes in every batch, each under the
        ETag the previous one left."""
        per_batch = MAX_AUDITED_OPERATIONS - (1 if units_op is not None else 0)
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
                written = self.audit.apply(
                    actor, changes, lambda ops=operations: self._store.batch(TABLE, ops)
                )
                last = written[-1]
                if units_op is not None and last is not None:
                    units_op = BatchOperation("upsert", units_op.entity, last.etag)
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
        *,
        guard: Entity | None = None,
        guard_read: bool = False,
        units_guard: Any = NOT_READ,
    ) -> Person:
        """Write one person (and ``extra``). A change of who is an administrator also rewrites the
        admin guard: a removal must pass the ``guard`` it read before its check (``guard_read``).
        A change that gives a unit or scope rewrites the units guard it read (``units_guard``,
        from :meth:`_org_for_people`, before checking the units)."""
        now = self._clock()
        entity = person_entity(after, now, actor)
        op = (
            BatchOperation("insert", entity)
            if before is None
            else BatchOperation("upsert", entity, before.etag)
        )
        change = Change("person", after.object_id, operation, snapshot(before), snapshot(after), reason)
        guard_op = None
        if (before is not None and before.is_admin) != after.is_admin:
            if not guard_read:
                if not after.is_admin:
                    raise AssertionError("removing an administrator needs the guard read before the check")
                guard = self._admin_guard()
            guard_op = admin_guard_op(guard, admins_after(self._everyone(), [after]), now)
        units_op = None
        if adds_units(before, after):
            if units_guard is NOT_READ:
                raise AssertionError("giving a unit or scope needs the units guard read before the check")
            units_op = units_guard_op(units_guard, now)
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
