"""堺市DX departments: which take part (and their plan due date), the overview, and shared reports.

A part of :class:`services.dx.plans.PlanService` (a mixin: it uses the service's store, audit
trail and plan reads). Partition ``participation`` of table ``DxPlans``, row ``<bureau>|<department>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from services.audit.models import Change
from services.dx.models import Category, DepartmentStatus, Overview, Plan
from services.people.identity import Actor, OrgUnit, Person
from services.people.organisation import load_organisation
from services.people.permissions import Action, Resource, ResourceKind, require
from storage.base import MAX_AUDITED_OPERATIONS, BatchOperation, Entity

if TYPE_CHECKING:
    from services.audit.trail import AuditLog
    from storage.base import TableStore

TABLE = "DxPlans"
PARTICIPATION = "participation"


class Departments:
    _store: TableStore
    _audit: AuditLog

    def _load(self, plan_id: str) -> Plan | None:  # provided by PlanService
        raise NotImplementedError

    def plan(self, viewer: Person, plan_id: str) -> Plan:  # provided by PlanService
        raise NotImplementedError

    def all_plans(self) -> list[Plan]:  # provided by PlanService
        raise NotImplementedError

    def participation(self) -> dict[tuple[str, str], date | None]:
        """(bureau, department) → the plan due date (None: none set) of every department taking part."""
        result = {}
        for e in self._store.query(TABLE, PARTICIPATION):
            due = e.get("plan_due") or ""
            result[(e["bureau"], e["department"])] = date.fromisoformat(due) if due else None
        return result

    def overview(self, viewer: Person, as_of: date) -> Overview:
        """Which departments take part and have a plan, each plan's state (everyone may read it)."""
        from services.dx.catalogue import load_catalogue

        require(viewer, Action.READ, Resource(ResourceKind.GENERAL))
        taking_part = self.participation()
        plans: dict[tuple[str, str], list[Plan]] = {}
        for plan in self.all_plans():
            plans.setdefault((plan.bureau, plan.department), []).append(plan)
        units = {(u.bureau, u.department) for u in load_organisation(self._store).departments}
        units |= set(taking_part) | set(plans)
        departments = tuple(
            DepartmentStatus(b, d, (b, d) in taking_part, tuple(plans.get((b, d), ())))
            for b, d in sorted(units)
        )
        return Overview(load_catalogue(self._store).target, departments, as_of)

    def shared_reports(self, viewer: Person, category: Category | None = None) -> list[Plan]:
        require(viewer, Action.READ, Resource(ResourceKind.GENERAL))
        return [
            p
            for p in self.all_plans()
            if p.report and p.report.shared and (category is None or p.category is category)
        ]

    # --- participation (admins) ---------------------------------------------------------------

    def set_participation(self, actor: Actor, units: Sequence[OrgUnit], plan_due: date | None) -> int:
        """Replace the set of departments taking part; returns how many take part now."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.DX_REVIEW))
        org = load_organisation(self._store)
        wanted = {(u.bureau, u.department) for u in units if u.level == 2 and u in org}
        before = self.participation()
        due = plan_due.isoformat() if plan_due else ""
        changes: list[Change] = []
        ops: list[BatchOperation] = []
        for key in sorted(set(before) | wanted):
            row = f"{key[0]}|{key[1]}"
            old_due = before.get(key)
            old = {"plan_due": old_due.isoformat() if old_due else ""} if key in before else None
            if key not in wanted:
                ops.append(BatchOperation("delete", Entity(PARTICIPATION, row)))
                changes.append(Change("dx_participation", row, "delete", old, None))
            elif old is None or old["plan_due"] != due:
                props = {"bureau": key[0], "department": key[1], "plan_due": due or None}
                ops.append(BatchOperation("upsert", Entity(PARTICIPATION, row, props)))
                changes.append(
                    Change("dx_participation", row, "update" if old else "create", old, {"plan_due": due})
                )
        step = MAX_AUDITED_OPERATIONS
        for start in range(0, len(ops), step):
            chunk, audit = ops[start : start + step], changes[start : start + step]
            self._audit.apply(actor, audit, lambda chunk=chunk: self._store.batch(TABLE, chunk))
        return len(wanted)
