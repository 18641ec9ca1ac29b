"""Verbs, input ids, limits and small helpers shared by the 堺市DX cards."""

from __future__ import annotations

from cards.common import (
    text_block,
)
from services.dx.models import (
    Plan,
    PlanState,
)

ICON = "🚀"
TITLE = "堺市DX"
V = "dx."
HOME, DEPARTMENT, NEW, EDIT, SAVE, SUBMIT, PLAN = (
    V + x for x in ("home", "department", "new", "edit", "save", "submit", "plan")
)
COMMENT, REVIEW, RETURN, ACCEPT, MILESTONE = (
    V + x for x in ("comment", "review", "return", "accept", "milestone")
)
REPORT_FORM, REPORT, REPORTS, PARTICIPATION, PARTICIPATION_SAVE = (
    V + x for x in ("report_form", "report", "reports", "participation", "participation_save")
)
TRAINING, SESSION, ENROL, CANCEL, WATCHED, ATTENDANCE = (
    V + x for x in ("training", "session", "enrol", "cancel", "watched", "attendance")
)
SESSION_FORM, SESSION_SAVE, ASSIGN, ACADEMY, STAGE, EXPORT, WAITING = (
    V + x for x in ("session_form", "session_save", "assign", "academy", "stage", "export", "waiting")
)
DEPARTMENT_TRAINING = V + "department_training"
REPORT_VIEW = V + "report_view"
COMMENT_INPUT, CATEGORY_INPUT, UNITS_INPUT, DUE_INPUT = "comment", "category_choice", "units", "plan_due"
MILESTONES_INPUT = "milestones_done"
UNIT_INPUT = "unit_choice"
MAX_ROWS = 40
MAX_CHART = 20
MAX_CHOICES = 100
MAX_REPORTS = 10
MAX_WAITING = 25
MAX_PEOPLE = 30
MAX_COMMENTS = 6  # the newest; a Teams message holds about 28 KB
MAX_COMMENT_CHARS = 300
MAX_HISTORY = 6
STATE_ICONS = {
    PlanState.DRAFT: "📝",
    PlanState.SUBMITTED: "📨",
    PlanState.IN_REVIEW: "🔍",
    PlanState.ACTIVE: "🏃",
    PlanState.REPORTED: "✅",
}


def _section(title: str) -> dict:
    return text_block(title, weight="Bolder", spacing="Medium", separator=True)


def _buttons(*actions: dict) -> dict:
    return {"type": "ActionSet", "actions": list(actions)}


def _field_error(errors: dict[str, str], name: str) -> list[dict]:
    return (
        [text_block(f"⚠️ {errors[name]}", color="Attention", size="Small", spacing="None")]
        if name in errors
        else []
    )


def _state(plan: Plan) -> str:
    returned = "（差し戻し）" if plan.returned and plan.state is PlanState.DRAFT else ""
    return f"{STATE_ICONS[plan.state]} {plan.state.label}{returned}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short_status(status: str) -> str:
    if status in ("受講済み", "視聴済み"):
        return "✅"
    if status == "申込済み":
        return "📝"
    return "⏳" if status.startswith("キャンセル待ち") else "－"


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def kpi_text(plan: Plan) -> str:
    text = f"{plan.kpi}: 目標 {_number(plan.kpi_target)}{plan.kpi_unit}"
    if plan.report is not None:
        rate = f"（達成率 {plan.attainment:.0%}）" if plan.attainment is not None else ""
        text += f" ／ 実績 {_number(plan.report.kpi_actual)}{plan.kpi_unit}{rate}"
    return text
