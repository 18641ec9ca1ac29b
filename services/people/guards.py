"""Rules across records, and the guard records that keep them.

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

The functions here read the guards and build their batch operations; the writers that use them are
in :mod:`services.people.base` (one person), :mod:`services.people.service` (grant, revoke),
:mod:`services.people.registrations` (approve) and :mod:`services.people.imports` (the imports and
the Graph sync).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from services.audit.models import Change
from services.people.identity import OrgUnit, Person
from services.people.organisation import Organisation, load_organisation
from services.people.records import PARTITION, TABLE, ConcurrentEdit, InvalidChange
from storage.base import (
    MAX_AUDITED_OPERATIONS,
    BatchOperation,
    Entity,
    EntityExists,
    EntityNotFound,
    ETagMismatch,
    TableStore,
)

LAST_ADMIN = "最後の管理者のロールは取り消せません。先にほかの方に管理者を付与してください。"

ADMIN_GUARD_ROW = "guard-admins"  # rewritten (under its ETag) by every change of who is an admin
UNITS_GUARD_ROW = "guard-units"  # units an organisation import is removing; rewritten by unit uses
CLAIM_TTL = timedelta(minutes=10)  # a claim older than this (its import crashed) is ignored
RETRIES = 3
NOT_READ: Any = object()  # the units guard was not read (a change that gives no unit or scope)
BUSY = "同じ時刻に名簿の変更がありました。もう一度取り込んでください。"


def units_of(person: Person | None) -> set[OrgUnit]:
    if person is None:
        return set()
    return ({person.unit} if person.unit else set()) | {g.scope for g in person.grants if g.scope is not None}


def adds_units(before: Person | None, after: Person) -> bool:
    """Whether ``after`` has a unit or scope ``before`` did not (it needs the units guard)."""
    return bool(units_of(after) - units_of(before))


# --- the guard of "at least one administrator" ----------------------------------------------------


def read_admin_guard(store: TableStore) -> Entity | None:
    """Read this BEFORE reading who the administrators are (see the module docstring)."""
    return store.get(TABLE, PARTITION, ADMIN_GUARD_ROW)


def admin_guard_op(guard: Entity | None, admins_after: Iterable[str], now: datetime) -> BatchOperation:
    entity = Entity(
        PARTITION,
        ADMIN_GUARD_ROW,
        {
            "kind": "guard",
            "rule": "at least one administrator",
            "admins": len(set(admins_after)),
            "updated_at": now,
        },
    )
    if guard is None:
        return BatchOperation("insert", entity)
    return BatchOperation("upsert", entity, guard.etag)


def admins_after(people: Iterable[Person], changed: Iterable[Person]) -> set[str]:
    """Object ids of the administrators once ``changed`` is saved over ``people``."""
    admins = {p.object_id for p in people if p.is_admin}
    for person in changed:
        (admins.add if person.is_admin else admins.discard)(person.object_id)
    return admins


def guarded(
    existing: dict[str, Person],
    items: list[tuple[Change, BatchOperation]],
    afters: Sequence[Person],
    guard: Entity | None,
    now: datetime,
) -> tuple[list[tuple[Change, BatchOperation]], BatchOperation | None]:
    """For a bulk write (``items``, one per person of ``afters``): refuse it if it would leave
    no administrator, and when it changes who is one, put those people first and return the
    guard operation for their batch (``guard`` was read before ``existing``)."""

    def flips(person: Person) -> bool:
        before = existing.get(person.object_id)
        return (before is not None and before.is_admin) != person.is_admin

    flipped = [i for i, person in enumerate(afters) if flips(person)]
    if not flipped:
        return items, None
    admins_before = {oid for oid, p in existing.items() if p.is_admin}
    admins = admins_after(existing.values(), afters)
    if admins_before and not admins:
        raise InvalidChange(
            "この内容を取り込むと管理者が1人もいなくなるため、取り込めません。"
            "管理者のロールを持つ方を1人以上残してください。"
        )
    if len(flipped) >= MAX_AUDITED_OPERATIONS:
        raise InvalidChange(
            f"管理者の付与・取り消しは、1回の取り込みで{MAX_AUDITED_OPERATIONS - 1}人までです。"
        )
    first = set(flipped)
    order = flipped + [i for i in range(len(items)) if i not in first]
    return [items[i] for i in order], admin_guard_op(guard, admins, now)


# --- the guard of "a unit in use is not removed" --------------------------------------------------


def read_units_guard(
    store: TableStore, clock: Callable[[], datetime]
) -> tuple[Entity | None, frozenset[OrgUnit]]:
    """The units guard and the units an organisation import is removing right now."""
    entity = store.get(TABLE, PARTITION, UNITS_GUARD_ROW)
    if entity is None:
        return None, frozenset()
    claimed_at = entity.get("claimed_at")
    if claimed_at is None or claimed_at + CLAIM_TTL < clock():
        return entity, frozenset()
    return entity, frozenset(OrgUnit.parse(p) for p in json.loads(entity.get("removing") or "[]"))


def org_for_people(store: TableStore, clock: Callable[[], datetime]) -> tuple[Organisation, Entity | None]:
    """The organisation as people's units and scopes may use it: the units guard is read
    first, then the organisation, without the units an import is removing."""
    guard, removing = read_units_guard(store, clock)
    org = load_organisation(store)
    return (replace(org, units=org.units - removing) if removing else org), guard


def units_guard_op(guard: Entity | None, now: datetime) -> BatchOperation:
    """Rewrite the units guard as it was read (same claim), under its ETag."""
    props: dict[str, Any] = dict(guard.properties) if guard is not None else {"removing": "[]"}
    props.update(kind="guard", rule="a unit in use is not removed", touched_at=now)
    entity = Entity(PARTITION, UNITS_GUARD_ROW, props)
    if guard is None:
        return BatchOperation("insert", entity)
    return BatchOperation("upsert", entity, guard.etag)


def claim_units(
    store: TableStore, clock: Callable[[], datetime], removed: frozenset[OrgUnit], release: bool = False
) -> None:
    """Add (or, with ``release``, take away) ``removed`` to the units an import is removing."""
    for _ in range(RETRIES):
        guard, removing = read_units_guard(store, clock)
        now = clock()
        claimed = (removing - removed) if release else (removing | removed)
        text = json.dumps(sorted(u.path for u in claimed), ensure_ascii=False)
        if len(text) > 30_000:
            raise InvalidChange("一度に削除する部・課・室が多すぎます。ファイルを分けて取り込んでください。")
        props = {
            "kind": "guard",
            "rule": "a unit in use is not removed",
            "removing": text,
            "claimed_at": now if claimed else None,
            "touched_at": now,
        }
        entity = Entity(PARTITION, UNITS_GUARD_ROW, {k: v for k, v in props.items() if v is not None})
        try:
            if guard is None:
                store.insert(TABLE, entity)
            else:
                store.upsert(TABLE, entity, etag=guard.etag)
            return
        except (ETagMismatch, EntityExists, EntityNotFound):
            if not release:
                raise ConcurrentEdit(None, BUSY) from None
    if not release:
        raise ConcurrentEdit(None, BUSY)
