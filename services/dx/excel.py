"""The 堺市DX Excel export: plans (with KPI attainment and overdue milestones), departments taking part,
and training sessions with who enrolled, waited and attended. Built from the data stored now."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font

from services.dx.models import Plan
from services.dx.plans import PlanService
from services.dx.training import TrainingService
from services.people.identity import Person
from services.people.permissions import Action, Resource, ResourceKind, require

PLAN_COLUMNS = (
    "局",
    "部",
    "DX対象業務",
    "区分",
    "状態",
    "KPI",
    "目標値",
    "実績",
    "単位",
    "達成率",
    "マイルストーン",
    "期日超過",
    "コメント数",
    "提出日",
    "報告書の共有",
)
SESSION_COLUMNS = (
    "研修",
    "日付",
    "時間",
    "場所",
    "定員",
    "申込",
    "キャンセル待ち",
    "出席",
    "氏名",
    "所属",
    "状況",
)


def _bold(sheet) -> None:  # type: ignore[no-untyped-def]
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def _plan_row(plan: Plan, as_of: date) -> list:
    r = plan.report
    return [
        plan.bureau,
        plan.department,
        plan.business,
        plan.category.label,
        plan.state.label,
        plan.kpi,
        plan.kpi_target,
        r.kpi_actual if r else None,
        plan.kpi_unit,
        round(plan.attainment, 4) if plan.attainment is not None else None,
        len(plan.milestones),
        len(plan.overdue_milestones(as_of)),
        len(plan.comments),
        plan.submitted_at.date().isoformat() if plan.submitted_at else "",
        "共有" if r and r.shared else "",
    ]


def export_xlsx(viewer: Person, plans: PlanService, training: TrainingService, as_of: date) -> bytes:
    """Administrators only: the whole programme as an .xlsx file."""
    require(viewer, Action.READ, Resource(ResourceKind.DX_REVIEW))
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = "DX実行計画"
    sheet.append(list(PLAN_COLUMNS))
    for plan in plans.all_plans():
        sheet.append(_plan_row(plan, as_of))
    _bold(sheet)
    overview = plans.overview(viewer, as_of)
    parts = workbook.create_sheet("参加部署")
    parts.append(["局", "部", "参加", "計画数", "状態"])
    for d in overview.departments:
        if d.participating or d.plans:
            parts.append(
                [
                    d.bureau,
                    d.department,
                    "○" if d.participating else "",
                    len(d.plans),
                    "、".join(p.state.label for p in d.plans),
                ]
            )
    parts.append([])
    parts.append([f"目標 {overview.target}部署（DX選定会議、2023年8月8日 会議資料時点）"])
    _bold(parts)
    names = {p.object_id: p for p in training.roster()}
    sessions = workbook.create_sheet("研修の受講")
    sessions.append(list(SESSION_COLUMNS))
    catalogue = training.catalogue
    for s in training.sessions():
        course = catalogue.course(s.course)
        head = [
            course.title if course else s.course,
            s.day.isoformat(),
            f"{s.start}-{s.end}",
            s.place or s.link,
            s.capacity,
            len(s.enrolled),
            len(s.waiting),
            len(s.attended),
        ]
        for oid in s.enrolled + s.waiting:
            person = names.get(oid)
            status = "出席" if oid in s.attended else "申込" if oid in s.enrolled else "キャンセル待ち"
            sessions.append([*head, person.name if person else oid, s.units.get(oid, ""), status])
        if not s.enrolled and not s.waiting:
            sessions.append(head)
    _bold(sessions)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
