"""People and roles: the service over the roster. This module holds the reads and the role grants;
the imports and the Graph sync are in :mod:`services.people.imports`, the registration requests in
:mod:`services.people.registrations`, and the storage under them in :mod:`services.people.base`.

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

**Rules across records** ("at least one administrator", "a unit in use is not removed from the
organisation") cannot be kept by the ETag of one record: each has a guard record of its own in the
People partition (``guard-admins``, ``guard-units``), read before the check and rewritten under its
ETag in the same batch as the change, so that of two changes at once one fails and is checked again
(:mod:`services.people.guards` tells how). Revoke, grant, approve, the roster import and the Graph
sync go through them; the organisation import claims the units it removes.

CLI (same settings as the app): ``.venv/bin/python -m services.people --help`` (:mod:`services.people.cli`).
"""

from __future__ import annotations

from dataclasses import replace

from services.kernel.seed import dx_selection_departments
from services.people.guards import LAST_ADMIN, RETRIES
from services.people.identity import (
    Actor,
    OrgUnit,
    Person,
    Role,
    RoleGrant,
    clean_name,
    is_object_id,
    normalise_object_id,
)
from services.people.imports import PeopleImports
from services.people.organisation import (
    Organisation,
    load_organisation,
)
from services.people.permissions import Action, Resource, ResourceKind, require
from services.people.records import (
    PARTITION,
    TABLE,
    ConcurrentEdit,
    InvalidChange,
    PeopleError,
    PersonNotFound,
    person_from,
    person_row,
)
from services.people.registrations import Registrations
from services.people.roster_file import ROSTER_COLUMNS
from storage.base import (
    InvalidEntity,
    validate_key,
)

__all__ = [
    "ConcurrentEdit",
    "InvalidChange",
    "LAST_ADMIN",
    "ROSTER_COLUMNS",
    "PeopleError",
    "PeopleService",
    "PersonNotFound",
]


class PeopleService(PeopleImports, Registrations):
    """Who is on the roster and with which roles: reads (each behind the permission check), grants and
    revocations, plus the imports and registration requests of its bases."""

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
        for attempt in range(RETRIES):
            org, units_guard = self._org_for_people()
            self._check_grant(grant, org)
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
                if attempt + 1 < RETRIES and unchanged:
                    continue
                raise
        raise AssertionError("unreachable")

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
        for attempt in range(RETRIES):
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
                if attempt + 1 < RETRIES and (unchanged or etag is None):
                    continue
                raise
        raise AssertionError("unreachable")
