"""The directory side of the roster: a user as Microsoft Graph describes them, the roles a job title
implies, and the report of a sync. Shared by the service and the Graph client (no cycle between them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.people.identity import OrgUnit, Role, RoleGrant, RoleSource, clean_name


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
        text = (
            f"Graph から {self.seen}人を読み込みました: 新規 {self.created}人・更新 {self.updated}人・"
            f"変更なし {self.unchanged}人・対象外 {self.skipped}人・上司なし {self.without_manager}人"
        )
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


def merge_grants(keep: Iterable[RoleGrant], add: Iterable[RoleGrant]) -> tuple[RoleGrant, ...]:
    """``keep`` plus those of ``add`` whose (role, scope) is not there yet."""
    merged = {g.key: g for g in keep}
    for grant in add:
        merged.setdefault(grant.key, grant)
    return tuple(sorted(merged.values()))
