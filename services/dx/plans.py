"""DX実行計画: departments taking part, plans through their states with the ICT office's 伴走, reports.

States: 下書き → 提出 → ICT室確認 → 実行中 → 報告済. A DX PRO of the department (or an admin)
writes the plan and submits it; the ICT office (admins) takes it into review, returns it to 下書き
with a comment or accepts it (実行中); the DX PRO files the 実施報告書 (報告済) and may share it.

Storage: table ``DxPlans``, partition = the bureau, row ``plan|<department>|<token>`` (the plan as
JSON; its ETag is the version every card carries, so two people never silently overwrite each
other), and partition ``participation``, row ``<bureau>|<department>`` (taking part, plan due date).
Every change goes through the audit trail (before/after), and the plan keeps its own history.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from services.audit.models import Change
from services.audit.trail import AuditLog
from services.dx.blobs import TooLarge, from_entity, to_properties
from services.dx.departments import TABLE, Departments
from services.dx.forms import FIELDS, LIMITS, clean, form_of, validate, validate_report
from services.dx.models import (
    Category,
    Comment,
    HistoryEntry,
    Milestone,
    Plan,
    PlanForm,
    PlanState,
    Report,
)
from services.kernel.settings import TIMEZONE
from services.people.identity import Actor, Person
from services.people.permissions import Action, Resource, ResourceKind, check, require
from storage.base import EntityExists, EntityNotFound, ETagMismatch, TableStore


class PlanError(Exception):
    """A refusal to show the user (Japanese)."""


class UnknownPlan(PlanError):
    def __init__(self) -> None:
        super().__init__("その計画は見つかりませんでした。")


class FormRejected(PlanError):
    def __init__(self, form: PlanForm):
        super().__init__(form.notice or "入力内容を確認してください。")
        self.form = form


class StaleCard(PlanError):
    """Someone else changed the plan since this card was shown; ``plan`` is the current one."""

    def __init__(self, plan: Plan, message: str = ""):
        super().__init__(
            message
            or "ほかの方がこの計画を先に更新しました。最新の内容を表示しています。"
            "内容を確認して、もう一度操作してください。"
        )
        self.plan = plan


def _conflict(stored: Plan, typed: Mapping[str, str]) -> PlanForm:
    """The plan card after a conflict: on the plan as stored now (its ETag, its values shown under
    the inputs that differ), with what the person typed kept in the inputs."""
    return replace(
        form_of(
            stored,
            typed,
            notice="ほかの方が同時にこの計画を更新しました。入力内容は残しています。"
            "最新の状態を確認して、もう一度送信してください。",
        ),
        current=form_of(stored).values,
    )


def _row(department: str, token: str) -> str:
    return f"plan|{department}|{token}"


def split_plan_id(plan_id: str) -> tuple[str, str, str]:
    parts = plan_id.split("|")
    if len(parts) != 3 or not all(parts):
        raise UnknownPlan()
    return parts[0], parts[1], parts[2]


class PlanService(Departments):
    def __init__(self, store: TableStore, clock: Callable[[], datetime], audit: AuditLog | None = None):
        self._store = store
        self._clock = clock
        self._audit = audit or AuditLog(store, clock)

    # --- reading ------------------------------------------------------------------------------

    def _load(self, plan_id: str) -> Plan | None:
        bureau, department, token = split_plan_id(plan_id)
        try:
            entity = self._store.get(TABLE, bureau, _row(department, token))
        except ValueError:
            raise UnknownPlan() from None
        return Plan.from_dict(from_entity(entity), entity.etag) if entity else None

    def plan(self, viewer: Person, plan_id: str) -> Plan:
        plan = self._load(plan_id)
        if plan is None:
            raise UnknownPlan()
        require(viewer, Action.READ, Resource(ResourceKind.DX, plan.bureau, plan.department))
        return plan

    def all_plans(self) -> list[Plan]:
        """Every plan (a system read for overviews, alerts and digests)."""
        plans = [
            Plan.from_dict(from_entity(e), e.etag)
            for e in self._store.query(TABLE)
            if e.row_key.startswith("plan|")
        ]
        return sorted(plans, key=lambda p: (p.bureau, p.department, p.plan_id))

    def department_plans(self, viewer: Person, bureau: str, department: str) -> list[Plan]:
        require(viewer, Action.READ, Resource(ResourceKind.DX, bureau, department))
        return [
            Plan.from_dict(from_entity(e), e.etag)
            for e in self._store.query(TABLE, bureau)
            if e.row_key.startswith(f"plan|{department}|")
        ]

    def may_read(self, person: Person, bureau: str, department: str) -> bool:
        return check(person, Action.READ, Resource(ResourceKind.DX, bureau, department)).allowed

    def may_write(self, person: Person, bureau: str, department: str) -> bool:
        return check(person, Action.WRITE, Resource(ResourceKind.DX, bureau, department)).allowed

    @staticmethod
    def may_review(person: Person) -> bool:
        return check(person, Action.WRITE, Resource(ResourceKind.DX_REVIEW)).allowed

    def shared_report(self, viewer: Person, plan_id: str) -> Plan:
        """A report shared with all departments (anyone may read it); otherwise the plan's own read check."""
        plan = self._load(plan_id)
        if plan is None:
            raise UnknownPlan()
        if plan.report is not None and plan.report.shared:
            require(viewer, Action.READ, Resource(ResourceKind.GENERAL))
            return plan
        return self.plan(viewer, plan_id)

    # --- the plan form ------------------------------------------------------------------------

    def new_form(self, actor: Actor, bureau: str, department: str) -> PlanForm:
        require(actor.person, Action.WRITE, Resource(ResourceKind.DX, bureau, department))
        token = secrets.token_hex(4)
        return PlanForm(
            bureau, department, f"{bureau}|{department}|{token}", "", {"category": Category.APPLICATIONS}
        )

    def edit_form(self, actor: Actor, plan_id: str) -> PlanForm:
        plan = self.plan(actor.person, plan_id)
        require(actor.person, Action.WRITE, Resource(ResourceKind.DX, plan.bureau, plan.department))
        return form_of(plan)

    def save(self, actor: Actor, data: Mapping[str, Any], *, submit: bool) -> Plan:
        """Save the plan card (a new plan or a draft), and submit it when asked (下書き → 提出)."""
        plan_id = str(data.get("plan_id") or "")
        bureau, department, token = split_plan_id(plan_id)
        require(actor.person, Action.WRITE, Resource(ResourceKind.DX, bureau, department))
        etag = str(data.get("etag") or "")
        form = PlanForm(bureau, department, plan_id, etag)
        content, rejected = validate(form, data)
        if rejected:
            raise FormRejected(rejected)
        current = self._load(plan_id)
        now = self._clock()
        new_content = {**content, "milestones": [m.to_dict() for m in content["milestones"]]}
        target_state = PlanState.SUBMITTED if submit else PlanState.DRAFT
        if current is not None and self._is_duplicate(current, actor, new_content, target_state):
            return current
        typed = {k: str(data.get(k) or "") for k in FIELDS}
        if current is not None and current.etag != etag:
            raise FormRejected(_conflict(current, typed))
        if current is not None and current.state not in (PlanState.DRAFT,):
            raise StaleCard(current, f"この計画は「{current.state.label}」のため、内容を変更できません。")
        base = current or Plan(
            plan_id, bureau, department, content["business"], Category(content["category"])
        )
        action = "提出" if submit else ("下書き保存" if current else "作成")
        plan = base.with_(
            business=content["business"],
            category=Category(content["category"]),
            purpose=content["purpose"],
            goal=content["goal"],
            kpi=content["kpi"],
            kpi_target=content["kpi_target"],
            kpi_unit=content["kpi_unit"],
            issues=content["issues"],
            milestones=tuple(content["milestones"]),
            state=target_state,
            returned=base.returned and not submit,
            submitted_at=now if submit else base.submitted_at,
            history=(*base.history, HistoryEntry(now, actor.name, action, target_state)),
            version=base.version + 1,
        )
        if submit:
            plan = plan.with_(
                comments=(
                    *plan.comments,
                    Comment(now, actor.object_id, actor.name, "計画を提出しました。", "submit"),
                )
            )
        try:
            return self._write(
                actor, current, plan, "submit" if submit else ("update" if current else "create")
            )
        except StaleCard as stale:  # someone saved it at the same moment: their values stay on the card
            fresh = self._load(plan_id)
            if fresh is None:
                raise
            raise FormRejected(_conflict(fresh, typed)) from stale

    def _is_duplicate(
        self, current: Plan, actor: Actor, content: Mapping[str, Any], state: PlanState
    ) -> bool:
        """The same person sending the same values for the same plan again (a retried card)."""
        last = current.history[-1] if current.history else None
        stored = json.loads(json.dumps(current.content()))
        return (
            last is not None
            and last.by == actor.name
            and current.state is state
            and stored == json.loads(json.dumps(content))
        )

    def _write(
        self, actor: Actor, before: Plan | None, after: Plan, operation: str, reason: str = ""
    ) -> Plan:
        from storage.base import Entity

        try:
            props = to_properties(after.to_dict())
        except TooLarge:
            raise PlanError(
                "この計画に保存できる量（コメントと履歴）の上限に達しました。ICTイノベーション推進室にご相談ください。"
            ) from None
        _, department, token = split_plan_id(after.plan_id)
        entity = Entity(after.bureau, _row(department, token), {**props, "state": after.state.value})
        change = Change(
            "dx_plan",
            after.plan_id,
            operation,
            {**before.content(), "state": before.state.value} if before else None,
            {**after.content(), "state": after.state.value},
            reason,
        )

        def write() -> Any:
            if before is None:
                return self._store.insert(TABLE, entity)
            return self._store.upsert(TABLE, entity, etag=before.etag)

        try:
            saved = self._audit.apply(actor, [change], write)
        except EntityExists:
            fresh = self._load(after.plan_id)
            if fresh is not None and self._is_duplicate(fresh, actor, after.content(), after.state):
                return fresh
            raise StaleCard(fresh or after) from None
        except (ETagMismatch, EntityNotFound):
            fresh = self._load(after.plan_id)
            raise StaleCard(fresh or after) from None
        return after.with_(etag=saved.etag)

    # --- state changes ------------------------------------------------------------------------

    def act(
        self,
        actor: Actor,
        plan_id: str,
        etag: str,
        action: str,
        text: str = "",
        milestones_done: Sequence[int] | None = None,
    ) -> Plan:
        """``review`` / ``return`` / ``accept`` (admins), ``comment`` (DX PRO or admin), ``milestones``
        (the indices of the milestones done, DX PRO of an active plan)."""
        current = self._load(plan_id)
        if current is None:
            raise UnknownPlan()
        resource = Resource(ResourceKind.DX, current.bureau, current.department)
        if action in ("review", "return", "accept"):
            require(actor.person, Action.WRITE, Resource(ResourceKind.DX_REVIEW))
        else:
            require(actor.person, Action.WRITE, resource)
        text = clean(text)
        if len(text) > LIMITS["comment"]:
            raise PlanError(f"コメントは{LIMITS['comment']}文字以内で入力してください。")
        now = self._clock()
        allowed = {
            "review": ({PlanState.SUBMITTED}, PlanState.IN_REVIEW, "ICT室確認を開始"),
            "return": ({PlanState.SUBMITTED, PlanState.IN_REVIEW}, PlanState.DRAFT, "差し戻し"),
            "accept": ({PlanState.SUBMITTED, PlanState.IN_REVIEW}, PlanState.ACTIVE, "確認完了（実行中へ）"),
        }
        if action in allowed:
            sources, target, label = allowed[action]
            last = current.history[-1] if current.history else None
            if current.etag != etag:
                if (
                    current.state is target
                    and last is not None
                    and last.by == actor.name
                    and last.action == label
                ):
                    return current  # the same button pressed twice
                raise StaleCard(current)
            if current.state not in sources:
                raise StaleCard(current, f"この計画は「{current.state.label}」のため、この操作はできません。")
            if action == "return" and not text:
                raise PlanError("差し戻すときは、コメント（直していただきたい点）を入力してください。")
            comments = current.comments
            if text or action != "review":
                comments = (*comments, Comment(now, actor.object_id, actor.name, text or label, action))
            after = current.with_(
                state=target,
                returned=action == "return",
                comments=comments,
                history=(*current.history, HistoryEntry(now, actor.name, label, target)),
                version=current.version + 1,
            )
            return self._write(actor, current, after, action, text)
        if action == "comment":
            if not text:
                raise PlanError("コメントを入力してください。")
            last_comment = current.comments[-1] if current.comments else None
            if (
                last_comment
                and last_comment.author_id == actor.object_id
                and last_comment.text == text
                and last_comment.kind == "comment"
            ):
                return current  # the same comment sent twice
            after = current.with_(
                comments=(*current.comments, Comment(now, actor.object_id, actor.name, text)),
                version=current.version + 1,
            )
            try:
                return self._write(actor, current, after, "comment", text)
            except StaleCard:  # comments never conflict: add it to the newest version
                fresh = self._load(plan_id) or current
                after = fresh.with_(
                    comments=(*fresh.comments, Comment(now, actor.object_id, actor.name, text)),
                    version=fresh.version + 1,
                )
                return self._write(actor, fresh, after, "comment", text)
        if action == "milestones":
            done = set(milestones_done or ())
            items = tuple(Milestone(m.due, m.title, i in done) for i, m in enumerate(current.milestones))
            if items == current.milestones:
                return current  # nothing changed (or the same card sent again)
            if current.etag != etag:
                raise StaleCard(current)
            if current.state is not PlanState.ACTIVE:
                raise StaleCard(current, "実行中の計画のマイルストーンだけを完了にできます。")
            finished = sum(m.done for m in items)
            after = current.with_(
                milestones=items,
                version=current.version + 1,
                history=(
                    *current.history,
                    HistoryEntry(
                        now,
                        actor.name,
                        f"マイルストーンの更新（完了 {finished}/{len(items)}）",
                        current.state,
                    ),
                ),
            )
            return self._write(actor, current, after, "update")
        raise PlanError("この操作はできません。")

    def file_report(self, actor: Actor, data: Mapping[str, Any]) -> Plan:
        """The 実施報告書: 実行中 → 報告済 (or a correction of a filed report)."""
        plan_id = str(data.get("plan_id") or "")
        current = self._load(plan_id)
        if current is None:
            raise UnknownPlan()
        require(actor.person, Action.WRITE, Resource(ResourceKind.DX, current.bureau, current.department))
        actual, results, learned, shared, problems = validate_report(data)
        if problems:
            raise PlanError("、".join(problems) + "。")
        report = Report(float(actual or 0), results, learned, shared, self._clock(), actor.name)
        if (
            current.report
            and (
                current.report.kpi_actual,
                current.report.results,
                current.report.learned,
                current.report.shared,
            )
            == (report.kpi_actual, results, learned, shared)
            and current.report.filed_by == actor.name
        ):
            return current  # the same report sent again
        if current.etag != str(data.get("etag") or ""):
            raise StaleCard(current)
        if current.state not in (PlanState.ACTIVE, PlanState.REPORTED):
            raise StaleCard(
                current, f"この計画は「{current.state.label}」のため、実施報告書はまだ提出できません。"
            )
        now = self._clock()
        after = current.with_(
            state=PlanState.REPORTED,
            report=report,
            version=current.version + 1,
            history=(*current.history, HistoryEntry(now, actor.name, "実施報告書の提出", PlanState.REPORTED)),
        )
        return self._write(actor, current, after, "report")


def local_date(moment: datetime) -> date:
    return moment.astimezone(TIMEZONE).date()
