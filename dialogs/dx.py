"""The 堺市DX dialog: the overview, DX実行計画 with the ICT office's 伴走, 実施報告書 and shared reports,
participation, the DX PRO training programme (sessions, enrolment, videos, attendance) and データアカデミー.

Every read and write goes through ``services.dx`` (which asks the one permission check and writes the
audit trail); ``Forbidden`` escapes to ``MainDialog``, which shows the polite card. "Today" is
``deps.clock()`` in Asia/Tokyo. The registry line's ``alerts=``, ``reminders=``, ``status=``,
``alert_card=`` and ``exports=`` are the functions at the end of this module.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from botbuilder.core import TurnContext

from cards import dx as cards
from cards.menu import error_card
from dialogs.base import DialogDeps, FileOffer, ProgrammeDialog
from services.dx.excel import export_xlsx
from services.dx.models import Category, Plan, PlanState
from services.dx.plans import FormRejected, PlanError, PlanService, StaleCard, UnknownPlan
from services.dx.proactive import DxAlerts, DxReminders, DxStatus
from services.dx.training import TrainingError, TrainingService
from services.kernel.calendar import DateParseError, parse_japanese_date
from services.kernel.programmes import ProgrammeInfo
from services.kernel.settings import TIMEZONE
from services.people.identity import Actor, OrgUnit, Role
from services.people.permissions import Action, Resource, ResourceKind, require
from services.proactive.alerts import DueAlert
from services.proactive.channels import ChannelMap

logger = logging.getLogger(__name__)
EXPORT = "dx.plans"


def _setting(deps: DialogDeps, name: str, default: int) -> int:
    return int(getattr(getattr(deps, "settings", None), name, default))


def plan_service(deps: DialogDeps) -> PlanService:
    return PlanService(deps.store, deps.clock)


def training_service(deps: DialogDeps) -> TrainingService:
    return TrainingService(deps.store, deps.clock)


def alert_source(deps: DialogDeps) -> DxAlerts:
    """``alerts=``: plans not submitted by their due date, overdue milestones, reviews waiting too long."""
    return DxAlerts(plan_service(deps), deps.people.admin_ids, _setting(deps, "dx_review_alert_days", 5))


def reminder_source(deps: DialogDeps) -> DxReminders:
    """``reminders=``: session reminders to DX PRO channels, video follow-ups in 1:1 chats."""
    channels = ChannelMap(deps.store, deps.clock)

    def targets(bureau: str, department: str) -> tuple[str, ...]:
        return tuple(sorted(m.conversation_id for m in channels.for_unit(bureau, department)))

    return DxReminders(
        training_service(deps), plan_service(deps), _setting(deps, "dx_training_reminder_days", 3), targets
    )


def status_source(deps: DialogDeps) -> DxStatus:
    """``status=``: the programme's line in the digests."""
    return DxStatus(plan_service(deps))


def alert_card(alert: DueAlert) -> dict:
    """``alert_card=``: the scheduler sends this card (the snooze block is added to it)."""
    return cards.reminder_card(alert)


def export_builder(deps: DialogDeps, actor: Actor, params: Mapping[str, str]) -> bytes:
    """``exports={"dx.plans": ...}``: the programme as Excel (administrators), built from the stored data."""
    today = deps.clock().astimezone(TIMEZONE).date()
    return export_xlsx(actor.person, plan_service(deps), training_service(deps), today)


def _split(value: Any) -> list[str]:
    return [v for v in str(value or "").split(",") if v]


class DxDialog(ProgrammeDialog):
    def __init__(self, programme: ProgrammeInfo, deps: DialogDeps):
        super().__init__(programme, deps)
        self.plans = plan_service(deps)
        self.training = training_service(deps)

    # --- overview and plans -------------------------------------------------------------------

    async def open(self, turn: TurnContext, actor: Actor) -> dict:
        return await self.home(actor)

    async def home(self, actor: Actor, message: str = "") -> dict:
        overview = await self._run(self.plans.overview, actor.person, self.today())
        own = [(s.bureau, s.department) for s in actor.person.scopes(Role.DX_PRO)]
        listed = [(d.bureau, d.department) for d in overview.departments if d.participating or d.plans]
        readable = [u for u in listed if u not in own and self.plans.may_read(actor.person, *u)]
        return cards.home_card(
            overview, own=own, readable=readable, admin=self.plans.may_review(actor.person), message=message
        )

    async def department(self, actor: Actor, bureau: str, department: str, message: str = "") -> dict:
        plans = await self._run(self.plans.department_plans, actor.person, bureau, department)
        return cards.department_card(
            bureau,
            department,
            plans,
            may_write=self.plans.may_write(actor.person, bureau, department),
            message=message,
        )

    async def plan(
        self, actor: Actor, plan_id: str, *, message: str = "", warning: str = "", comment: str = ""
    ) -> dict:
        plan = await self._run(self.plans.plan, actor.person, plan_id)
        return cards.plan_card(
            plan,
            self.today(),
            may_write=self.plans.may_write(actor.person, plan.bureau, plan.department),
            may_review=self.plans.may_review(actor.person),
            message=message,
            warning=warning,
            comment=comment,
        )

    async def act(self, turn: TurnContext, actor: Actor, verb: str, data: dict[str, Any]) -> dict:
        action = verb.partition(".")[2]
        plan_id = str(data.get("plan_id") or "")
        bureau, department = str(data.get("bureau") or ""), str(data.get("department") or "")
        try:
            handler = getattr(self, f"_on_{action}", None)
            if handler is not None:
                return await handler(turn, actor, data, plan_id, bureau, department)
        except UnknownPlan as error:
            return await self.home(actor, str(error))
        except TrainingError as error:
            return await self.training_home(actor, str(error))
        logger.warning("dx: unknown action %r", verb)
        return await self.home(actor, "このボタンは古いカードのもののようです。")

    async def _on_home(self, turn, actor, data, plan_id, bureau, department) -> dict:
        return await self.home(actor)

    async def _on_department(self, turn, actor, data, plan_id, bureau, department) -> dict:
        if not bureau and data.get(cards.UNIT_INPUT):
            bureau, _, department = str(data[cards.UNIT_INPUT]).partition("/")
        if not bureau or not department:
            return await self.home(actor)
        return await self.department(actor, bureau, department)

    async def _on_plan(self, turn, actor, data, plan_id, bureau, department) -> dict:
        return await self.plan(actor, plan_id)

    async def _on_new(self, turn, actor, data, plan_id, bureau, department) -> dict:
        form = await self._run(self.plans.new_form, actor, bureau, department)
        return cards.plan_form_card(form, await self._categories())

    async def _on_edit(self, turn, actor, data, plan_id, bureau, department) -> dict:
        form = await self._run(self.plans.edit_form, actor, plan_id)
        return cards.plan_form_card(form, await self._categories())

    async def _categories(self) -> tuple:
        return self.training.catalogue.categories

    async def _save(self, actor: Actor, data: dict[str, Any], submit: bool) -> dict:
        try:
            plan = await self._run(self.plans.save, actor, data, submit=submit)
        except FormRejected as rejected:
            return cards.plan_form_card(rejected.form, await self._categories())
        except StaleCard as stale:
            return await self.plan(actor, stale.plan.plan_id, warning=str(stale))
        except PlanError as error:
            return error_card(str(error))
        message = (
            "計画を提出しました。ICTイノベーション推進室が確認します。"
            if submit
            else "下書きを保存しました。内容が固まったら「編集・提出」から提出してください。"
        )
        return await self.plan(actor, plan.plan_id, message=message)

    async def _on_save(self, turn, actor, data, plan_id, bureau, department) -> dict:
        return await self._save(actor, data, submit=False)

    async def _on_submit(self, turn, actor, data, plan_id, bureau, department) -> dict:
        return await self._save(actor, data, submit=True)

    async def _plan_action(self, actor: Actor, data: dict[str, Any], action: str, done: str) -> dict:
        plan_id, etag = str(data.get("plan_id") or ""), str(data.get("etag") or "")
        comment = str(data.get(cards.COMMENT_INPUT) or "")
        indices = [int(v) for v in _split(data.get(cards.MILESTONES_INPUT)) if v.isdigit()]
        try:
            plan = await self._run(
                self.plans.act,
                actor,
                plan_id,
                etag,
                action,
                comment,
                indices if action == "milestones" else None,
            )
        except StaleCard as stale:
            return await self.plan(actor, plan_id, warning=str(stale), comment=comment)
        except PlanError as error:
            if isinstance(error, UnknownPlan):
                raise
            return await self.plan(actor, plan_id, warning=str(error), comment=comment)
        if action in ("return", "accept"):
            await self._tell_dx_pros(plan)
        return await self.plan(actor, plan_id, message=done)

    async def _tell_dx_pros(self, plan: Plan) -> None:
        """The department's DX PROs get the returned or accepted plan in their 1:1 chat."""
        try:
            roster = await self._run(self.training.roster)
            ids = [
                p.object_id
                for p in roster
                if any(
                    (s.bureau, s.department) == (plan.bureau, plan.department) for s in p.scopes(Role.DX_PRO)
                )
            ]
            what = (
                "差し戻されました。コメントを確認し、直して提出してください"
                if plan.state is PlanState.DRAFT
                else "ICTイノベーション推進室の確認が完了し、実行中になりました"
            )
            card = cards.plan_card(plan, self.today(), may_write=True, message=f"DX実行計画が{what}。")
            await self.deps.notifier.notify_people(ids, card)
        except Exception:  # the admin's action is saved; a failed notice must not undo it
            logger.exception("dx: could not notify the DX PROs of %s", plan.plan_id)

    async def _on_comment(self, turn, actor, data, plan_id, bureau, department) -> dict:
        return await self._plan_action(actor, data, "comment", "コメントを追加しました。")

    async def _on_review(self, turn, actor, data, plan_id, bureau, department) -> dict:
        return await self._plan_action(actor, data, "review", "ICT室確認を開始しました。")

    async def _on_return(self, turn, actor, data, plan_id, bureau, department) -> dict:
        return await self._plan_action(
            actor, data, "return", "コメントを添えて差し戻しました（下書きに戻りました）。"
        )

    async def _on_accept(self, turn, actor, data, plan_id, bureau, department) -> dict:
        return await self._plan_action(
            actor, data, "accept", "確認を完了しました。計画は「実行中」になりました。"
        )

    async def _on_milestone(self, turn, actor, data, plan_id, bureau, department) -> dict:
        return await self._plan_action(actor, data, "milestones", "マイルストーンを更新しました。")

    async def _on_report_form(self, turn, actor, data, plan_id, bureau, department) -> dict:
        plan = await self._run(self.plans.plan, actor.person, plan_id)
        require(actor.person, Action.WRITE, Resource(ResourceKind.DX, plan.bureau, plan.department))
        return cards.report_form_card(plan)

    async def _on_report(self, turn, actor, data, plan_id, bureau, department) -> dict:
        try:
            await self._run(self.plans.file_report, actor, data)
        except StaleCard as stale:
            return await self.plan(actor, plan_id, warning=str(stale))
        except PlanError as error:
            if isinstance(error, UnknownPlan):
                raise
            plan = await self._run(self.plans.plan, actor.person, plan_id)
            values = {k: str(data.get(k) or "") for k in ("kpi_actual", "results", "learned", "shared")}
            return cards.report_form_card(plan, error=str(error), values=values)
        return await self.plan(actor, plan_id, message="DX実施報告書を提出しました。")

    async def _on_reports(self, turn, actor, data, plan_id, bureau, department) -> dict:
        value = str(data.get(cards.CATEGORY_INPUT) or "")
        category = Category(value) if value in {c.value for c in Category} else None
        plans = await self._run(self.plans.shared_reports, actor.person, category)
        return cards.reports_card(plans, category)

    async def _on_report_view(self, turn, actor, data, plan_id, bureau, department) -> dict:
        plan = await self._run(self.plans.shared_report, actor.person, plan_id)
        return cards.shared_report_card(plan)

    async def _on_waiting(self, turn, actor, data, plan_id, bureau, department) -> dict:
        require(actor.person, Action.READ, Resource(ResourceKind.DX_REVIEW))
        plans = await self._run(self.plans.all_plans)
        waiting = [p for p in plans if p.state in (PlanState.SUBMITTED, PlanState.IN_REVIEW)]
        waiting.sort(key=lambda p: p.submitted_at or self.deps.clock())
        return cards.waiting_card(waiting, self.today())

    async def _participation(self, actor: Actor, *, error: str = "", message: str = "") -> dict:
        require(actor.person, Action.READ, Resource(ResourceKind.DX_REVIEW))
        org = await self._run(self.deps.people.organisation, actor.person)
        selected = await self._run(self.plans.participation)
        dues = [d for d in selected.values() if d]
        target = self.training.catalogue.target
        departments = [(u.bureau, u.department) for u in org.departments]
        return cards.participation_card(
            departments, sorted(selected), max(dues) if dues else None, target, error=error, message=message
        )

    async def _on_participation(self, turn, actor, data, plan_id, bureau, department) -> dict:
        return await self._participation(actor)

    async def _on_participation_save(self, turn, actor, data, plan_id, bureau, department) -> dict:
        units = []
        for path in _split(data.get(cards.UNITS_INPUT)):
            try:
                units.append(OrgUnit.parse(path))
            except ValueError:
                continue
        due_text = str(data.get(cards.DUE_INPUT) or "").strip()
        try:
            due = parse_japanese_date(due_text) if due_text else None
        except DateParseError:
            return await self._participation(actor, error="提出期限は日付で入力してください。")
        count = await self._run(self.plans.set_participation, actor, units, due)
        return await self._participation(actor, message=f"保存しました。参加部署は {count}部署です。")

    async def _on_export(self, turn, actor, data, plan_id, bureau, department) -> dict:
        require(actor.person, Action.READ, Resource(ResourceKind.DX_REVIEW))
        name = f"堺市DX_{self.today().strftime('%Y%m%d')}.xlsx"
        return await self.deps.files.offer(
            turn,
            actor,
            FileOffer(EXPORT, name, "堺市DX の計画・参加部署・研修の受講状況（保存済みの記録から作成）"),
        )

    # --- training -----------------------------------------------------------------------------

    async def training_home(self, actor: Actor, message: str = "") -> dict:
        today = self.today()
        sessions = [s for s in await self._run(self.training.sessions) if s.day >= today]
        mine = (
            await self._run(self.training.person_courses, actor.person, actor.object_id)
            if actor.object_id
            else []
        )
        return cards.training_card(
            self.training.catalogue.courses,
            sessions,
            mine,
            admin=self.plans.may_review(actor.person),
            message=message,
        )

    async def session(self, actor: Actor, session_id: str, *, message: str = "", warning: str = "") -> dict:
        session = await self._run(self.training.session, session_id)
        course = self.training.catalogue.course(session.course)
        if course is None:
            return await self.training_home(actor, "その研修は見つかりませんでした。")
        admin = self.plans.may_review(actor.person)
        names = {p.object_id: p.name for p in await self._run(self.training.roster)} if admin else {}
        return cards.session_card(
            session, course, me=actor.object_id, names=names, admin=admin, message=message, warning=warning
        )

    async def _on_training(self, turn, actor, data, plan_id, bureau, department) -> dict:
        return await self.training_home(actor)

    async def _on_session(self, turn, actor, data, plan_id, bureau, department) -> dict:
        return await self.session(actor, str(data.get("session_id") or ""))

    async def _on_enrol(self, turn, actor, data, plan_id, bureau, department) -> dict:
        session_id = str(data.get("session_id") or "")
        _, outcome = await self._run(self.training.enrol, actor, session_id)
        return await self.session(actor, session_id, message=f"{actor.name} さん: {outcome.label}。")

    async def _on_cancel(self, turn, actor, data, plan_id, bureau, department) -> dict:
        session_id = str(data.get("session_id") or "")
        await self._run(self.training.cancel, actor, session_id)
        return await self.session(actor, session_id, message="申込を取り消しました。")

    async def _on_attendance(self, turn, actor, data, plan_id, bureau, department) -> dict:
        session_id = str(data.get("session_id") or "")
        session = await self._run(
            self.training.record_attendance, actor, session_id, _split(data.get("attended"))
        )
        return await self.session(
            actor, session_id, message=f"出席を保存しました（{len(session.attended)}人）。"
        )

    async def _on_watched(self, turn, actor, data, plan_id, bureau, department) -> dict:
        course = str(data.get("course") or "")
        new = await self._run(self.training.mark_watched, actor, course)
        title = getattr(self.training.catalogue.course(course), "title", "")
        return await self.training_home(
            actor, f"「{title}」を視聴済みにしました。" if new else f"「{title}」はすでに視聴済みです。"
        )

    async def _on_session_form(self, turn, actor, data, plan_id, bureau, department) -> dict:
        require(actor.person, Action.WRITE, Resource(ResourceKind.DX_REVIEW))
        return cards.session_form_card(self.training.catalogue.courses)

    async def _on_session_save(self, turn, actor, data, plan_id, bureau, department) -> dict:
        try:
            await self._run(self.training.create_session, actor, data)
        except TrainingError as error:
            values = {
                k: str(data.get(k) or "")
                for k in ("course", "day", "start", "end", "place", "link", "capacity")
            }
            return cards.session_form_card(self.training.catalogue.courses, values=values, error=str(error))
        return await self.training_home(actor, "研修の日程を追加しました。")

    async def _on_assign(self, turn, actor, data, plan_id, bureau, department) -> dict:
        try:
            assignment = await self._run(
                self.training.assign_video,
                actor,
                str(data.get("video") or ""),
                str(data.get("video_due") or ""),
            )
        except TrainingError as error:
            return cards.session_form_card(self.training.catalogue.courses, error=str(error))
        title = getattr(self.training.catalogue.course(assignment.course), "title", "")
        return await self.training_home(actor, f"「{title}」の視聴期限を設定しました。")

    async def _on_academy(self, turn, actor, data, plan_id, bureau, department) -> dict:
        teams = await self._run(self.training.academy)
        return cards.academy_card(teams, admin=self.plans.may_review(actor.person))

    async def _on_stage(self, turn, actor, data, plan_id, bureau, department) -> dict:
        number, position = str(data.get("number") or ""), str(data.get("position") or "")
        stage = str(data.get(f"stage_{position}") or "")
        if not stage.isdigit():
            raise TrainingError("段階を選んでください。")
        note = str(data.get(f"note_{position}") or "")
        team = await self._run(self.training.set_stage, actor, number, int(stage), note)
        teams = await self._run(self.training.academy)
        return cards.academy_card(
            teams, admin=True, message=f"{team.number} を「{team.stage.label}」にしました。"
        )

    async def _on_department_training(self, turn, actor, data, plan_id, bureau, department) -> dict:
        rows = await self._run(self.training.department_records, actor.person, bureau, department)
        return cards.department_training_card(
            bureau, department, self.training.catalogue.courses, [(p.name, statuses) for p, statuses in rows]
        )
