"""The cards the scheduler sends for 堺市DX: training reminders, video follow-ups and plan alerts."""

from __future__ import annotations

from cards.common import (
    adaptive_card,
    fact_set,
    header,
    submit_action,
    text_block,
)
from cards.dx.common import (
    DEPARTMENT,
    ENROL,
    HOME,
    PLAN,
    SESSION,
    TITLE,
    TRAINING,
    WATCHED,
    _section,
)
from services.dx.models import (
    CATEGORY_LABELS,
    Category,
    PlanAlert,
    SessionReminder,
    VideoFollowUp,
)
from services.proactive.alerts import DueAlert

# --- the cards the scheduler sends ---------------------------------------------------------------


def reminder_card(alert: DueAlert) -> dict:
    """A training reminder or a plan alert (``alert.item`` is the source's own object)."""
    item = alert.item
    body = [*header(alert.title, TITLE, "🔔" if isinstance(item, SessionReminder | VideoFollowUp) else "⚠️")]
    if alert.facts:
        body.append(fact_set(list(alert.facts)))
    if isinstance(item, SessionReminder):
        body.append(text_block(item.course.summary, size="Small", isSubtle=True))
        if item.enrolled_here:
            body.append(text_block(f"この部署からの申込: {item.enrolled_here}人", size="Small"))
    body += [
        _section("この通知が届いた理由"),
        text_block(alert.why, isSubtle=True),
        _section("次にしていただくこと"),
        text_block(alert.next_step),
    ]
    actions: list[dict] = []
    if isinstance(item, SessionReminder):
        actions = [
            submit_action("申し込む", ENROL, {"session_id": item.session.session_id}, style="positive"),
            submit_action("研修の詳細", SESSION, {"session_id": item.session.session_id}),
        ]
    elif isinstance(item, VideoFollowUp):
        actions = [
            submit_action("視聴済みにする", WATCHED, {"course": item.course.key}, style="positive"),
            submit_action("研修の一覧", TRAINING),
        ]
    elif isinstance(item, PlanAlert) and item.plan is not None:
        actions = [submit_action("計画を開く", PLAN, {"plan_id": item.plan.plan_id})]
    elif isinstance(item, PlanAlert):
        actions = [
            submit_action("部署の計画", DEPARTMENT, {"bureau": item.bureau, "department": item.department})
        ]
    return adaptive_card(body, [*actions, submit_action("堺市DX", HOME)])


def category_label(value: str) -> str:
    try:
        return CATEGORY_LABELS[Category(value)]
    except ValueError:
        return value
