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
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from services.audit.models import Change
from services.audit.trail import AuditLog
from services.dx.models import (
    Category,
    Comment,
    DepartmentStatus,
    HistoryEntry,
    Milestone,
    Overview,
    Plan,
    PlanForm,
    PlanState,
    Report,
)
from services.kernel.calendar import DateParseError, parse_japanese_date
from services.kernel.settings import TIMEZONE
from services.people.identity import Actor, OrgUnit, Person
from services.people.organisation import load_organisation
from services.people.permissions import Action, Resource, ResourceKind, check, require
from storage.base import EntityExists, EntityNotFound, ETagMismatch, TableStore

TABLE = "DxPlans"
PARTICIPATION = "participation"
MAX_JSON = 30_000
LIMITS = {
    "business": 100,
    "purpose": 1000,
    "goal": 1000,
    "kpi": 200,
    "kpi_unit": 10,
    "issues": 1000,
    "milestones": 2000,
    "comment": 1000,
    "results": 2000,
    "learned": 2000,
}
FIELDS = ("business", "category", "purpose", "goal", "kpi", "kpi_target", "kpi_unit", "issues", "milestones")
REQUIRED = {
    "business": "DX対象業務",
    "category": "区分",
    "purpose": "目的",
    "goal": "目標",
    "kpi": "KPI",
    "kpi_target": "KPIの目標値",
    "kpi_unit": "単位",
    "milestones": "マイルストーン",
}


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


def clean(text: Any) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def parse_number(text: str) -> float | None:
    """A KPI figure: NFKC, commas allowed, at most 15 characters, 0 or more."""
    value = clean(text).replace(",", "")
    if not value or len(value) > 15:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number >= 0 and number == number and number != float("inf") else None


def parse_milestones(text: str) -> tuple[list[Milestone], str]:
    """Lines of 「2026-12-01 内容」 (西暦 or 和暦); returns (milestones, error)."""
    result = []
    for number, line in enumerate(clean(text).splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        head, _, title = line.replace("\u3000", " ").partition(" ")
        try:
            due = parse_japanese_date(head)
        except DateParseError:
            return [], f"{number}行目: 「日付 内容」の形で書いてください（例: 2026-12-01 業務フローの作成）"
        if not title.strip():
            return [], f"{number}行目: 日付のあとに内容を書いてください"
        result.append(Milestone(due, title.strip()[:100]))
    return sorted(result, key=lambda m: m.due), ""


def milestones_text(milestones: Sequence[Milestone]) -> str:
    return "\n".join(f"{m.due.isoformat()} {m.title}" for m in milestones)


def _row(department: str, token: str) -> str:
    return f"plan|{department}|{token}"


def split_plan_id(plan_id: str) -> tuple[str, str, str]:
    parts = plan_id.split("|")
    if len(parts) != 3 or not all(parts):
        raise UnknownPlan()
    return parts[0], parts[1], parts[2]


class PlanService:
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
        return Plan.from_dict(json.loads(entity["data"]), entity.etag) if entity else None

    def plan(self, viewer: Person, plan_id: str) -> Plan:
        plan = self._load(plan_id)
        if plan is None:
            raise UnknownPlan()
        require(viewer, Action.READ, Resource(ResourceKind.DX, plan.bureau, plan.department))
        return plan

    def all_plans(self) -> list[Plan]:
        """Every plan (a system read for overviews, alerts and digests)."""
        plans = [
            Plan.from_dict(json.loads(e["data"]), e.etag)
            for e in self._store.query(TABLE)
            if e.row_key.startswith("plan|")
        ]
        return sorted(plans, key=lambda p: (p.bureau, p.department, p.plan_id))

    def department_plans(self, viewer: Person, bureau: str, department: str) -> list[Plan]:
        require(viewer, Action.READ, Resource(ResourceKind.DX, bureau, department))
        return [
            Plan.from_dict(json.loads(e["data"]), e.etag)
            for e in self._store.query(TABLE, bureau)
            if e.row_key.startswith(f"plan|{department}|")
        ]

    def may_write(self, person: Person, bureau: str, department: str) -> bool:
        return check(person, Action.WRITE, Resource(ResourceKind.DX, bureau, department)).allowed

    @staticmethod
    def may_review(person: Person) -> bool:
        return check(person, Action.WRITE, Resource(ResourceKind.DX_REVIEW)).allowed

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

    def shared_report(self, viewer: Person, plan_id: str) -> Plan:
        """A report shared with all departments (anyone may read it); otherwise the plan's own read check."""
        plan = self._load(plan_id)
        if plan is None:
            raise UnknownPlan()
        if plan.report is not None and plan.report.shared:
            require(viewer, Action.READ, Resource(ResourceKind.GENERAL))
            return plan
        return self.plan(viewer, plan_id)

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
        changes, ops = [], []
        from storage.base import BatchOperation, Entity

        for key in sorted(set(before) | wanted):
            row = f"{key[0]}|{key[1]}"
            old = before.get(key, "absent") if key in before else "absent"
            if key in wanted:
                if key in before and (before[key].isoformat() if before[key] else "") == due:
                    continue
                ops.append(
                    BatchOperation(
                        "upsert",
                        Entity(
                            PARTICIPATION,
                            row,
                            {"bureau": key[0], "department": key[1], "plan_due": due or None},
                        ),
                    )
                )
                changes.append(
                    Change(
                        "dx_participation",
                        row,
                        "update" if key in before else "create",
                        None if old == "absent" else {"plan_due": str(old or "")},
                        {"plan_due": due},
                    )
                )
            else:
                ops.append(BatchOperation("delete", Entity(PARTICIPATION, row)))
                changes.append(Change("dx_participation", row, "delete", {"plan_due": str(old or "")}, None))
        for start in range(0, len(ops), 100):
            chunk, audit = ops[start : start + 100], changes[start : start + 100]
            self._audit.apply(actor, audit, lambda chunk=chunk: self._store.batch(TABLE, chunk))
        return len(wanted)

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
        return self._form_of(plan)

    @staticmethod
    def _form_of(
        plan: Plan,
        values: Mapping[str, str] | None = None,
        errors: Mapping[str, str] | None = None,
        notice: str = "",
    ) -> PlanForm:
        shown = {k: str(v) for k, v in plan.content().items() if k != "milestones"}
        shown["kpi_target"] = f"{plan.kpi_target:g}"
        shown["milestones"] = milestones_text(plan.milestones)
        return PlanForm(
            plan.bureau,
            plan.department,
            plan.plan_id,
            plan.etag or "",
            dict(values) if values is not None else shown,
            dict(errors or {}),
            notice,
        )

    def _validate(self, form: PlanForm, data: Mapping[str, Any]) -> tuple[dict[str, Any], PlanForm | None]:
        values = {k: str(data.get(k) or "") for k in FIELDS}
        errors: dict[str, str] = {}
        for name, label in REQUIRED.items():
            if not clean(values[name]):
                errors[name] = f"{label}を入力してください"
        for name, limit in LIMITS.items():
            if name in values and len(clean(values[name])) > limit:
                errors[name] = f"{limit}文字以内で入力してください"
        content: dict[str, Any] = {k: clean(values[k]) for k in FIELDS}
        if content["category"] and content["category"] not in {c.value for c in Category}:
            errors["category"] = "区分を選んでください"
        target = parse_number(values["kpi_target"])
        if clean(values["kpi_target"]) and (target is None or target == 0):
            errors["kpi_target"] = "KPIの目標値は 0 より大きい数で入力してください（例: 120）"
        content["kpi_target"] = target or 0.0
        milestones, problem = parse_milestones(values["milestones"])
        if problem:
            errors["milestones"] = problem
        content["milestones"] = milestones
        if errors:
            return content, PlanForm(
                form.bureau,
                form.department,
                form.plan_id,
                form.etag,
                values,
                errors,
                "入力内容を確認してください。",
            )
        return content, None

    def save(self, actor: Actor, data: Mapping[str, Any], *, submit: bool) -> Plan:
        """Save the plan card (a new plan or a draft), and submit it when asked (下書き → 提出)."""
        plan_id = str(data.get("plan_id") or "")
        bureau, department, token = split_plan_id(plan_id)
        require(actor.person, Action.WRITE, Resource(ResourceKind.DX, bureau, department))
        etag = str(data.get("etag") or "")
        form = PlanForm(bureau, department, plan_id, etag)
        content, rejected = self._validate(form, data)
        if rejected:
            raise FormRejected(rejected)
        current = self._load(plan_id)
        now = self._clock()
        new_content = {**content, "milestones": [m.to_dict() for m in content["milestones"]]}
        target_state = PlanState.SUBMITTED if submit else PlanState.DRAFT
        if current is not None and self._is_duplicate(current, actor, new_content, target_state):
            return current
        if current is not None and current.etag != etag:
            raise FormRejected(
                PlanForm(
                    bureau,
                    department,
                    plan_id,
                    current.etag or "",
                    {k: str(data.get(k) or "") for k in FIELDS},
                    {},
                    "ほかの方が同時にこの計画を更新しました。入力内容は残しています。"
                    "最新の状態を確認して、もう一度送信してください。",
                )
            )
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
        return self._write(actor, current, plan, "submit" if submit else ("update" if current else "create"))

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

        text = json.dumps(after.to_dict(), ensure_ascii=False)
        if len(text) > MAX_JSON:
            raise PlanError(
                "この計画に保存できる量（コメントと履歴）の上限に達しました。ICTイノベーション推進室に"
                "ご相談ください。"
            )
        _, department, token = split_plan_id(after.plan_id)
        entity = Entity(after.bureau, _row(department, token), {"data": text, "state": after.state.value})
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
        actual = parse_number(str(data.get("kpi_actual") or ""))
        results, learned = clean(data.get("results")), clean(data.get("learned"))
        errors = []
        if actual is None:
            errors.append("KPIの実績を数で入力してください（例: 95）")
        if not results:
            errors.append("取組の結果を入力してください")
        if not learned:
            errors.append("分かったこと・今後に生かすことを入力してください")
        if len(results) > LIMITS["results"] or len(learned) > LIMITS["learned"]:
            errors.append("結果・分かったことはそれぞれ2000文字以内で入力してください")
        if errors:
            raise PlanError("、".join(errors) + "。")
        shared = str(data.get("shared") or "").lower() in ("true", "1", "yes")
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
