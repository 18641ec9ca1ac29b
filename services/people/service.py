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

CLI (same settings as the app): ``.venv/bin/python -m services.people --help`` (:mod:`services.people.cli`).
"""

from __future__ import annotations

from dataclasses import replace

from services.kernel.seed import dx_selection_departments
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
from storage.base import (
    InvalidEntity,
    validate_key,
)

__all__ = [
    "ConcurrentEdit",
    "InvalidChange",
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
