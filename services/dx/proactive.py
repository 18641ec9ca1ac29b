"""What 堺市DX tells the scheduler: ``alerts=`` (plans), ``reminders=`` (training) and ``status=`` (digests).

**Alerts** (``DxAlerts.due_alerts(as_of)``, the ``delay_alerts`` job):

- a department taking part whose plan due date has passed with no plan submitted (to its DX PRO channel);
- an accepted plan (実行中) with a milestone past its date and not done (to the department's DX PRO channel);
- a plan waiting for the ICT office (提出 or ICT室確認) for more than M business days
  (``DX_REVIEW_ALERT_DAYS``): to each administrator's 1:1 chat.

**Reminders** (``DxReminders.due_alerts(as_of)``, the ``training_reminders`` job):

- from N business days before a session (``DX_TRAINING_REMINDER_DAYS``) until the day before it, one
  reminder to the DX PRO channels of the departments whose people are enrolled or in the course's
  audience (departments taking part, or with a DX PRO); departments whose reminder would land in the
  same channels share one message;
- after an assigned video's due date, a 1:1 follow-up to each person of its audience who has not
  watched it.

Each alert's natural key makes the proactive engine send it once; its ``item`` is a
:class:`SessionReminder`, :class:`VideoFollowUp` or :class:`PlanAlert` for ``cards.dx``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from services.dx.models import (
    PROGRAMME,
    TITLE,
    Audience,
    Course,
    Plan,
    PlanAlert,
    PlanState,
    Session,
    SessionReminder,
    VideoFollowUp,
)
from services.dx.plans import PlanService, local_date
from services.dx.training import TrainingService
from services.kernel.calendar import business_days_between
from services.people.identity import Person, Role
from services.proactive.alerts import DueAlert
from services.proactive.digest import ChartPoint, ProgrammeStatus, StatusItem, StatusLevel

ICON = "🚀"


def jp(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日（{'月火水木金土日'[day.weekday()]}）"


# --- training reminders --------------------------------------------------------------------------


def audience_departments(course: Course, roster: list[Person]) -> set[tuple[str, str]]:
    """The departments of a course's audience: DX PROs', 部長's, and (all staff) everyone's."""
    units: set[tuple[str, str]] = set()
    for person in roster:
        if Audience.DX_PROS in course.audiences:
            units |= {(s.bureau, s.department) for s in person.scopes(Role.DX_PRO)}
        if Audience.DIRECTORS in course.audiences:
            units |= {(s.bureau, s.department) for s in person.scopes(Role.MANAGER) if s.department}
        if Audience.ALL_STAFF in course.audiences and person.unit and person.unit.department:
            units.add((person.unit.bureau, person.unit.department))
    return units


@dataclass
class DxReminders:
    training: TrainingService
    plans: PlanService
    days: int = 3
    channels: Callable[[str, str], tuple[str, ...]] | None = None  # (bureau, department) -> conversation ids
    programme: str = PROGRAMME

    def session_reminders(self, as_of: date) -> list[SessionReminder]:
        catalogue = self.training.catalogue
        roster = None
        reminders = []
        for session in self.training.sessions():
            if not (as_of < session.day and business_days_between(as_of, session.day) <= self.days):
                continue
            course = catalogue.course(session.course)
            if course is None:
                continue
            if roster is None:
                roster = self.training.roster()
            units: dict[tuple[str, str], int] = {}
            for person_id in session.enrolled + session.waiting:
                path = session.units.get(person_id, "")
                parts = path.split("/")
                if len(parts) >= 2:
                    key = (parts[0], parts[1])
                    units[key] = units.get(key, 0) + (person_id in session.enrolled)
            for bureau, department in audience_departments(course, roster):
                units.setdefault((bureau, department), 0)
            if any(a in (Audience.DX_PROS, Audience.DIRECTORS) for a in course.audiences):
                for bureau, department in self.plans.participation():
                    units.setdefault((bureau, department), 0)
            reminders += self._grouped(session, course, units)
        return reminders

    def _grouped(
        self, session: Session, course: Course, units: dict[tuple[str, str], int]
    ) -> list[SessionReminder]:
        """One reminder per set of departments that would reach the same channels."""
        groups: dict[tuple[str, tuple[str, ...]], list[tuple[str, int]]] = {}
        for (bureau, department), count in sorted(units.items()):
            targets = self.channels(bureau, department) if self.channels else (department,)
            groups.setdefault((bureau, targets or ("",)), []).append((department, count))
        return [
            SessionReminder(session, course, bureau, tuple(d for d, _ in members), sum(c for _, c in members))
            for (bureau, _), members in groups.items()
        ]

    def video_followups(self, as_of: date) -> list[VideoFollowUp]:
        catalogue = self.training.catalogue
        assignments = [a for a in self.training.assignments() if a.due < as_of]
        if not assignments:
            return []
        watched = self.training.watched()
        roster = self.training.roster()
        result = []
        for assignment in assignments:
            course = catalogue.course(assignment.course)
            if course is None:
                continue
            for person in roster:
                if (
                    self.training.in_audience(person, assignment.audiences)
                    and (person.object_id, course.key) not in watched
                ):
                    result.append(VideoFollowUp(course, assignment.due, person.object_id, person.name))
        return result

    def due_alerts(self, as_of: date) -> list[DueAlert]:
        alerts = [session_alert(r) for r in self.session_reminders(as_of)]
        alerts += [video_alert(f) for f in self.video_followups(as_of)]
        return alerts


def session_alert(reminder: SessionReminder) -> DueAlert:
    s, c = reminder.session, reminder.course
    where = s.place or "オンライン"
    return DueAlert(
        key=f"dx|session|{s.session_id}|{reminder.bureau}|{reminder.departments[0]}",
        programme=PROGRAMME,
        bureau=reminder.bureau,
        department=reminder.departments[0],
        title=f"研修のお知らせ: {c.title}（{jp(s.day)}）",
        why=(
            f"{'・'.join(reminder.departments)}の方が申し込んでいるか受講の対象（{c.audience_label}）のため、"
            f"研修の{jp(s.day)}の前に DX PRO チャネルへお知らせしています。"
        ),
        next_step=(
            "まだ申し込んでいない方は「申し込む」から申し込んでください（定員を超えるとキャンセル待ちになります）。"
            "都合が悪くなった方は、研修のカードから取り消してください。"
        ),
        subject=f"dx|session|{s.session_id}|{reminder.bureau}",
        due=s.day,
        facts=(
            ("日時", f"{jp(s.day)} {s.start}～{s.end}"),
            ("場所", where),
            ("定員", f"{s.capacity}人（申込 {len(s.enrolled)}人・キャンセル待ち {len(s.waiting)}人）"),
        ),
        item=reminder,
    )


def video_alert(followup: VideoFollowUp) -> DueAlert:
    c = followup.course
    return DueAlert(
        key=f"dx|video|{c.key}|{followup.person}|{followup.due.isoformat()}",
        programme=PROGRAMME,
        bureau="",
        person=followup.person,
        title=f"研修動画「{c.title}」の視聴をお願いします",
        why=(
            f"{followup.name} さんは「{c.title}」（{c.audience_label}向け）の受講の対象で、視聴期限の"
            f"{jp(followup.due)}を過ぎてもまだ視聴済みになっていないため、個人チャットでお知らせしています。"
        ),
        next_step="動画を視聴したら「視聴済みにする」を押してください。",
        subject=f"dx|video|{c.key}|{followup.person}",
        due=followup.due,
        item=followup,
    )


# --- plan alerts ---------------------------------------------------------------------------------


@dataclass
class DxAlerts:
    plans: PlanService
    admins: Callable[[], list[str]]
    review_days: int = 5
    programme: str = PROGRAMME

    def plan_alerts(self, as_of: date) -> list[PlanAlert]:
        result = []
        plans = self.plans.all_plans()
        by_unit: dict[tuple[str, str], list[Plan]] = {}
        for plan in plans:
            by_unit.setdefault((plan.bureau, plan.department), []).append(plan)
        for (bureau, department), due in sorted(self.plans.participation().items()):
            mine = by_unit.get((bureau, department), [])
            if due is not None and due < as_of and not any(p.state is not PlanState.DRAFT for p in mine):
                result.append(PlanAlert("not_submitted", bureau, department, due=due))
        for plan in plans:
            for milestone in plan.overdue_milestones(as_of):
                result.append(
                    PlanAlert("milestone", plan.bureau, plan.department, plan, milestone, due=milestone.due)
                )
            if plan.state in (PlanState.SUBMITTED, PlanState.IN_REVIEW) and plan.submitted_at is not None:
                days = business_days_between(local_date(plan.submitted_at), as_of)
                if days > self.review_days:
                    result.append(PlanAlert("review", plan.bureau, plan.department, plan, waiting_days=days))
        return result

    def due_alerts(self, as_of: date) -> list[DueAlert]:
        alerts: list[DueAlert] = []
        for item in self.plan_alerts(as_of):
            if item.kind == "review":
                alerts += [review_alert(item, admin) for admin in self.admins()]
            else:
                alerts.append(plan_alert(item))
        return alerts


def plan_alert(item: PlanAlert) -> DueAlert:
    unit = f"{item.bureau}/{item.department}"
    if item.kind == "not_submitted":
        assert item.due is not None
        return DueAlert(
            key=f"dx|plan-due|{item.bureau}|{item.department}|{item.due.isoformat()}",
            programme=PROGRAMME,
            bureau=item.bureau,
            department=item.department,
            title=f"DX実行計画が未提出です: {unit}",
            why=(
                f"{unit}の DX実行計画の提出期限（{jp(item.due)}）を過ぎても、"
                "提出された計画がないためお知らせしています。"
            ),
            next_step="DX PRO の方は「DX」と送り、「計画を作成」から DX実行計画を書いて提出してください。",
            due=item.due,
            item=item,
        )
    assert item.plan is not None and item.milestone is not None
    return DueAlert(
        key=f"dx|milestone|{item.plan.plan_id}|{item.milestone.due.isoformat()}|{item.milestone.title}",
        programme=PROGRAMME,
        bureau=item.bureau,
        department=item.department,
        title=f"マイルストーンの期日を過ぎています: {item.plan.business}",
        why=(
            f"{unit}の DX実行計画「{item.plan.business}」のマイルストーン「{item.milestone.title}」"
            f"（{jp(item.milestone.due)}）が完了になっていないためお知らせしています。"
        ),
        next_step=(
            "終わっていれば計画のカードで完了にしてください。"
            "遅れている場合は、コメントで見通しを ICTイノベーション推進室に伝えてください。"
        ),
        subject=f"dx|milestone|{item.plan.plan_id}",
        due=item.milestone.due,
        item=item,
    )


def review_alert(item: PlanAlert, admin: str) -> DueAlert:
    assert item.plan is not None
    return DueAlert(
        key=f"dx|review|{item.plan.plan_id}|{item.plan.version}|{admin}",
        programme=PROGRAMME,
        bureau=item.bureau,
        department=item.department,
        person=admin,
        title=f"DX実行計画の確認をお願いします: {item.bureau}/{item.department}",
        why=(
            f"「{item.plan.business}」の計画が提出から {item.waiting_days} 営業日、ICTイノベーション推進室の"
            "確認を待っているため、管理者の方にお知らせしています。"
        ),
        next_step="計画を開き、コメントを添えて差し戻すか、確認を完了してください。",
        subject=f"dx|review|{item.plan.plan_id}",
        item=item,
    )


# --- the digest line -----------------------------------------------------------------------------


@dataclass
class DxStatus:
    plans: PlanService
    programme: str = PROGRAMME

    def status(self, as_of: date, bureau: str | None) -> ProgrammeStatus:
        from services.people.identity import system_actor

        overview = self.plans.overview(system_actor("ダイジェスト", "digest").person, as_of)
        departments = [d for d in overview.departments if bureau is None or d.bureau == bureau]
        taking_part = [d for d in departments if d.participating]
        plans = [p for d in departments for p in d.plans]
        if bureau is not None and not taking_part and not plans:
            return ProgrammeStatus(
                PROGRAMME,
                TITLE,
                ICON,
                StatusLevel.NOT_TRACKED,
                "この局には DX の参加部署・計画がまだありません。",
            )
        counts = {s: sum(1 for p in plans if p.state is s) for s in PlanState}
        overdue = [(p, m) for p in plans for m in p.overdue_milestones(as_of)]
        with_plan = sum(1 for d in departments if any(p.state is not PlanState.DRAFT for p in d.plans))
        target = f"（目標 {overview.target}部署）" if bureau is None else ""
        headline = f"参加 {len(taking_part)}部署{target}・計画を提出した部署 {with_plan}・計画 " + "・".join(
            f"{s.label} {counts[s]}件" for s in PlanState
        )
        items = tuple(
            StatusItem(f"{p.department}「{p.business}」", f"{m.title}（{jp(m.due)} 期限）", True, p.bureau)
            for p, m in overdue[:20]
        )
        level = StatusLevel.OVERDUE if overdue else StatusLevel.ON_TRACK
        return ProgrammeStatus(
            PROGRAMME,
            TITLE,
            ICON,
            level,
            headline,
            items,
            chart_title="DX実行計画の状態（件）",
            chart=tuple(ChartPoint(s.label, counts[s]) for s in PlanState),
        )
