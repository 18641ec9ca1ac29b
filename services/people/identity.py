"""Who is who: the organisation's units, people, their roles, and the actor of a change.

Plain models only (cards import this module). The services that store and change them are
``services.people.organisation`` and ``services.people.service``; the one permission check is
``services.people.permissions``.

The organisation has three levels: 局 (bureau), 部 (department) and 課・室 (section). A unit is
written as its path, ``局``, ``局/部`` or ``局/部/課・室``.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

PATH_SEPARATOR = "/"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
#: Characters a unit name may not contain: the path separator and what storage keys forbid.
FORBIDDEN_NAME_CHARS = re.compile(r"[/\\#?|\x00-\x1f\x7f-\x9f]")
LEVEL_LABELS = {1: "局", 2: "部", 3: "課・室"}


def clean_name(text: str) -> str:
    """NFKC (full-width letters and digits become half-width), trimmed, inner spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def normalise_object_id(text: str) -> str:
    return clean_name(text).lower()


def is_object_id(text: str) -> bool:
    """Entra ID object ids are GUIDs (Teams sends them as ``from.aadObjectId``)."""
    return bool(GUID.match(normalise_object_id(text)))


@dataclass(frozen=True, order=True)
class OrgUnit:
    bureau: str
    department: str = ""
    section: str = ""

    def __post_init__(self) -> None:
        if not self.bureau or (self.section and not self.department):
            raise ValueError(f"not a unit path: {self.bureau!r}/{self.department!r}/{self.section!r}")

    @classmethod
    def parse(cls, path: str) -> OrgUnit:
        """``局``, ``局/部`` or ``局/部/課・室`` (full-width ／ accepted); raises ValueError."""
        parts = [clean_name(p) for p in clean_name(path).replace("／", PATH_SEPARATOR).split(PATH_SEPARATOR)]
        if not 1 <= len(parts) <= 3 or any(not p for p in parts):
            raise ValueError(f"not a unit path: {path!r}")
        return cls(*parts)

    @property
    def path(self) -> str:
        return PATH_SEPARATOR.join(p for p in (self.bureau, self.department, self.section) if p)

    @property
    def level(self) -> int:
        return 3 if self.section else 2 if self.department else 1

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]

    @property
    def name(self) -> str:
        return self.section or self.department or self.bureau

    @property
    def parent(self) -> OrgUnit | None:
        if self.section:
            return OrgUnit(self.bureau, self.department)
        if self.department:
            return OrgUnit(self.bureau)
        return None

    def contains(self, other: OrgUnit) -> bool:
        """True when ``other`` is this unit or lies within it."""
        mine = (self.bureau, self.department, self.section)
        theirs = (other.bureau, other.department, other.section)
        return all(m == t for m, t in zip(mine, theirs, strict=True) if m)

    def __str__(self) -> str:
        return self.path


class Role(enum.StrEnum):
    ADMIN = "admin"  # ICTイノベーション推進室: everything, settings
    BUREAU_CONTACT = "bureau_contact"  # 制度担当・システム所管課, of a bureau or section
    DX_PRO = "dx_pro"  # of a department
    MANAGER = "manager"  # 部長・局長, of a bureau or department
    STAFF = "staff"  # everyone else

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "管理者",
    Role.BUREAU_CONTACT: "局担当",
    Role.DX_PRO: "DX PRO",
    Role.MANAGER: "管理職",
    Role.STAFF: "職員",
}
#: Which unit levels a role may be scoped to (an empty tuple: the role takes no scope).
ROLE_SCOPE_LEVELS: dict[Role, tuple[int, ...]] = {
    Role.ADMIN: (),
    Role.BUREAU_CONTACT: (1, 2, 3),
    Role.DX_PRO: (2,),
    Role.MANAGER: (1, 2),
    Role.STAFF: (),
}


def parse_role(text: str) -> Role:
    """A role from its code (``dx_pro``) or its Japanese label (``DX PRO``); raises ValueError."""
    key = clean_name(text).lower().replace(" ", "").replace("_", "")
    for role in Role:
        if key in (role.value.replace("_", ""), ROLE_LABELS[role].lower().replace(" ", "")):
            return role
    raise ValueError(f"unknown role {text!r}")


class RoleSource(enum.StrEnum):
    ROSTER = "roster"  # an imported roster file; a re-import replaces these (and ADMIN ones)
    ADMIN = "admin"  # granted by an administrator (card or CLI)
    GRAPH = "graph"  # derived from Microsoft Graph (job title); a sync replaces only these


@dataclass(frozen=True, order=True)
class RoleGrant:
    role: Role
    scope: OrgUnit | None = None
    source: RoleSource = field(default=RoleSource.ADMIN, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.role.value, self.scope.path if self.scope else "")

    @property
    def label(self) -> str:
        """``DX PRO（健康福祉局/健康部）``"""
        return f"{self.role.label}（{self.scope.path}）" if self.scope else self.role.label

    def scope_problem(self) -> str | None:
        """Why this scope does not fit the role (Japanese), or None."""
        levels = ROLE_SCOPE_LEVELS[self.role]
        if not levels:
            return f"{self.role.label}にはロール対象を指定しません" if self.scope else None
        if self.scope is None:
            return (
                f"{self.role.label}にはロール対象（{'・'.join(LEVEL_LABELS[lv] for lv in levels)}）が必要です"
            )
        if self.scope.level not in levels:
            allowed = "・".join(LEVEL_LABELS[lv] for lv in levels)
            return f"{self.role.label}のロール対象は{allowed}です（「{self.scope.path}」"
            f"は{self.scope.level_label}）"
        return None

    def to_dict(self) -> dict[str, str]:
        return {
            "role": self.role.value,
            "scope": self.scope.path if self.scope else "",
            "source": self.source.value,
        }

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> RoleGrant:
        scope = data.get("scope") or ""
        return cls(
            Role(data["role"]),
            OrgUnit.parse(scope) if scope else None,
            RoleSource(data.get("source") or RoleSource.ADMIN),
        )


@dataclass(frozen=True)
class Person:
    """Somebody who talks to the bot. ``registered`` is False for people not on the roster:
    they are treated as staff."""

    object_id: str
    name: str
    unit: OrgUnit | None = None
    grants: tuple[RoleGrant, ...] = ()
    registered: bool = True
    job_title: str = ""
    manager_id: str = ""
    etag: str | None = None

    @classmethod
    def unregistered(cls, object_id: str, name: str = "") -> Person:
        return cls(object_id=object_id, name=name or "（名簿未登録）", registered=False)

    def has(self, role: Role) -> bool:
        if role is Role.STAFF:
            return True  # everybody is at least staff
        return any(g.role is role for g in self.grants)

    @property
    def is_admin(self) -> bool:
        return self.has(Role.ADMIN)

    def scopes(self, role: Role) -> list[OrgUnit]:
        return [g.scope for g in self.grants if g.role is role and g.scope is not None]

    @property
    def roles_label(self) -> str:
        shown = [g.label for g in sorted(self.grants) if g.role is not Role.STAFF]
        return "、".join(shown) or Role.STAFF.label


@dataclass(frozen=True)
class Actor:
    """Who is acting, and from where: what every audited change records.

    ``conversation_id`` is the Teams conversation of the turn (``cli`` or ``startup`` outside Teams).
    """

    person: Person
    conversation_id: str = ""

    @property
    def object_id(self) -> str:
        return self.person.object_id

    @property
    def name(self) -> str:
        return self.person.name


def system_actor(name: str, conversation_id: str) -> Actor:
    """An administrator acting from the server (the CLI, start-up imports): full rights."""
    person = Person(object_id=f"system:{conversation_id}", name=name, grants=(RoleGrant(Role.ADMIN),))
    return Actor(person, conversation_id)


class RequestStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class RegistrationRequest:
    object_id: str
    name: str
    requested_unit: str  # what the requester typed or chose (a unit path, possibly unknown)
    message: str
    requested_at: datetime
    status: RequestStatus = RequestStatus.PENDING
    decided_by: str = ""
    etag: str | None = None
