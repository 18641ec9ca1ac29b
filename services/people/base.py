"""The People table under the service: loading people, and writing them audited (audit first, then
the write, in batches of up to 100 in one partition, each all or nothing). The service's parts
(:mod:`~services.people.imports`, :mod:`~services.people.registrations`, :mod:`~services.people.service`)
build on it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from services.audit.models import Change
from services.audit.trail import AuditLog
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
    MAX_BATCH_OPERATIONS,
    BatchFailed,
    BatchOperation,
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
