"""マイナンバー情報総点検: the operations and their items, the survey, ①②③, publication, checklist.

Storage in :mod:`services.mynumber.records`; the rules in :mod:`services.mynumber.rules`. Every read
asks the permission check and every write calls ``require`` first, then goes through the audit
trail (audit first, then one batch: the operation with its ETag plus the submission marker).

**Who may do what** (``ResourceKind.MYNUMBER``, a resource per operation with its bureau, department
and section): the section's bureau contacts (a contact scoped to the bureau or department covers
its sections) answer the survey and update ①②③, publication and the checklist; managers read
their bureau; administrators register operations (card or Excel) and see everything. Staff see the
city-wide matrix and progress counts only.

**Duplicates.** A submission is a duplicate when the same person sends the same values for the same
operation from the same card (same ETag) again: its marker (``dup|<hash>``) is in the store, and
nothing is written twice. Anything else is a new submission and meets the ETag check.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime

from services.audit.models import Change
from services.audit.trail import AuditLog
from services.kernel.settings import TIMEZONE
from services.kernel.submissions import Submission
from services.mynumber import rules
from services.mynumber.models import (
    DEFAULT_THRESHOLD,
    AuditRef,
    AuditResult,
    Form,
    FormKind,
    FullCheck,
    ImportSummary,
    Item,
    Operation,
    Saved,
    StepStatus,
)
from services.mynumber.records import (
    DUP_PREFIX,
    OP_PREFIX,
    TABLE,
    operation_doc,
    operation_entity,
    operation_from_entity,
)
from services.mynumber.views import MyNumberViews
from services.people.identity import Actor, OrgUnit, Person
from services.people.organisation import load_organisation
from services.people.permissions import Action, Resource, ResourceKind, check, require
from storage.base import (
    MAX_AUDITED_OPERATIONS,
    BatchFailed,
    BatchOperation,
    Entity,
    EntityExists,
    EntityNotFound,
    ETagMismatch,
    TableStore,
)

AUDIT_KIND = "mynumber"


class MyNumberError(Exception):
    """A request that cannot be carried out; ``str(error)`` is Japanese."""


class UnknownOperation(MyNumberError):
    def __init__(self) -> None:
        super().__init__("この事務は見つかりませんでした（削除されたか、カードが古い可能性があります）。")


class FormRejected(MyNumberError):
    """Nothing was saved; ``form`` is the same card again with the user's values and the errors."""

    def __init__(self, form: Form):
        super().__init__("入力内容を確認してください。")
        self.form = form


def resource_of(unit: OrgUnit) -> Resource:
    return Resource(ResourceKind.MYNUMBER, unit.bureau, unit.department or None, section=unit.section or None)


class MyNumberService(MyNumberViews):
    def __init__(
        self,
        store: TableStore,
        clock: Callable[[], datetime],
        *,
        threshold: int = DEFAULT_THRESHOLD,
        survey_due: date = date(2023, 7, 31),
        interim_report: date = date(2023, 8, 31),
        completion: date = date(2023, 11, 30),
        warn_days: int = 5,
        audit: AuditLog | None = None,
    ):
        self._store = store
        self._clock = clock
        self.threshold = threshold
        self.survey_due = survey_due
        self.interim_report = interim_report
        self.completion = completion
        self.warn_days = warn_days
        self._audit = audit or AuditLog(store, clock)

    def today(self) -> date:
        return self._clock().astimezone(TIMEZONE).date()

    # --- reading ----------------------------------------------------------------------------------

    def all_operations(self) -> list[Operation]:
        """Every operation, for the scheduler's sources (no viewer: they only count and alert)."""
        ops = [operation_from_entity(e) for e in self._store.query(TABLE, None, {"kind": "operation"})]
        return sorted(ops, key=lambda o: (o.unit.path, o.name, o.id))

    def operations(self, viewer: Person) -> list[Operation]:
        """The operations ``viewer`` may read."""
        return [o for o in self.all_operations() if check(viewer, Action.READ, resource_of(o.unit)).allowed]

    def _load(self, bureau: str, op_id: str) -> Operation:
        try:
            entity = self._store.get(TABLE, bureau, OP_PREFIX + op_id) if bureau and op_id else None
        except ValueError:  # a key storage refuses: nothing by that id
            entity = None
        if entity is None:
            raise UnknownOperation()
        return operation_from_entity(entity)

    def operation(self, viewer: Person, bureau: str, op_id: str) -> Operation:
        op = self._load(bureau, op_id)
        require(viewer, Action.READ, resource_of(op.unit))
        return op

    def may_write(self, viewer: Person, op: Operation) -> bool:
        return check(viewer, Action.WRITE, resource_of(op.unit)).allowed

    def readable_bureaus(self, viewer: Person) -> list[str]:
        """Bureaus whose whole records (publication table) ``viewer`` may read."""
        bureaus = dict.fromkeys(o.bureau for o in self.all_operations())
        return [b for b in bureaus if check(viewer, Action.READ, Resource(ResourceKind.MYNUMBER, b)).allowed]

    def is_admin(self, viewer: Person) -> bool:
        return check(viewer, Action.WRITE, Resource(ResourceKind.MYNUMBER)).allowed

    # --- forms --------------------------------------------------------------------------------------

    def form(self, actor: Actor, kind: FormKind, bureau: str = "", op_id: str = "") -> Form:
        if kind is FormKind.REGISTER:
            require(actor.person, Action.WRITE, Resource(ResourceKind.MYNUMBER))
            return Form(kind, None, {"survey_due": self.survey_due.isoformat()})
        op = self._load(bureau, op_id)
        require(actor.person, Action.WRITE, resource_of(op.unit))
        values = {
            FormKind.SURVEY: rules.survey_values,
            FormKind.INSPECTION: rules.inspection_values,
            FormKind.CHECKLIST: rules.checklist_values,
        }[kind](op)
        return Form(kind, op, values, default_due=self.completion)

    def submit(self, actor: Actor, kind: FormKind, data: Mapping[str, object]) -> Saved:
        """Save what an editing card sent.

        Raises FormRejected (nothing saved), UnknownOperation or Forbidden."""
        if kind is FormKind.REGISTER:
            return self.register(actor, data)
        op = self._load(str(data.get("bureau") or ""), str(data.get("operation") or ""))
        require(actor.person, Action.WRITE, resource_of(op.unit))
        values = {k: str(v if v is not None else "") for k, v in data.items() if k not in ("verb",)}
        marker = _marker(actor, op.id, kind, str(data.get("etag") or ""), values)
        if self._store.get(TABLE, op.bureau, marker) is not None:
            return Saved(op, kind, (), duplicate=True)
        if str(data.get("etag") or "") != (op.etag or ""):
            raise FormRejected(
                Form(
                    kind,
                    op,
                    values,
                    notice=(
                        "ほかの方が先にこの事務の記録を更新しました。最新の内容を確認し、もう一度入力して送信してください。"
                    ),
                    default_due=self.completion,
                    current=_VALUES[kind](op),
                )
            )
        if kind is FormKind.SURVEY:
            new, errors = rules.apply_survey(op, values, actor.name, self.today())
        elif kind is FormKind.INSPECTION:
            new, errors = rules.apply_inspection(op, values)
        else:
            new, errors = rules.apply_checklist(op, values)
        if errors:
            raise FormRejected(Form(kind, op, values, errors, default_due=self.completion))
        return self._save(actor, op, new, kind, marker, typed=values)

    def _save(
        self,
        actor: Actor,
        before: Operation,
        after: Operation,
        kind: FormKind,
        marker: str | None,
        operation: str = "update",
        reason: str = "",
        typed: Mapping[str, str] | None = None,
    ) -> Saved:
        """Save ``after`` over ``before`` (its ETag). On a conflict, the card comes back with the
        values ``typed`` on it (else the stored ones) and the stored values shown beside them."""
        after = _with(after, updated_by=actor.name, version=before.version + 1)
        old, new = operation_doc(before), operation_doc(after)
        changed = {k for k in new if k != "updated_by" and new[k] != old.get(k)}
        changes = tuple(_describe(k, old.get(k), new[k]) for k in sorted(changed))
        now = self._clock()
        ops = [BatchOperation("upsert", operation_entity(after, now), etag=before.etag)]
        if marker:
            ops.insert(
                0, BatchOperation("insert", Entity(before.bureau, marker, {"kind": "submission", "at": now}))
            )
        audit = Change(
            AUDIT_KIND,
            f"{before.bureau}/{before.id}",
            operation,
            {k: old.get(k) for k in changed},
            {k: new[k] for k in changed},
            reason,
        )
        try:
            self._audit.apply(actor, [audit], lambda: self._store.batch(TABLE, ops))
        except BatchFailed as exc:
            if isinstance(exc.cause, EntityExists):
                return Saved(self._load(before.bureau, before.id), kind, (), duplicate=True)
            if isinstance(exc.cause, ETagMismatch | EntityNotFound):
                fresh = self._load(before.bureau, before.id)
                raise FormRejected(
                    Form(
                        kind,
                        fresh,
                        dict(typed) if typed is not None else _VALUES[kind](fresh),
                        notice=(
                            "ほかの方が同時にこの事務の記録を更新しました。最新の内容を表示しています。"
                            "確認して、もう一度送信してください。"
                        ),
                        default_due=self.completion,
                        current=_VALUES[kind](fresh),
                    )
                ) from None
            raise
        return Saved(self._load(before.bureau, before.id), kind, changes)

    def register(self, actor: Actor, data: Mapping[str, object]) -> Saved:
        """An administrator adds an operation with its items (by card)."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.MYNUMBER))
        values = {k: str(data.get(k) or "") for k in ("unit", "name", "items", "survey_due")}
        errors: dict[str, str] = {}
        unit = self.parse_unit(values["unit"], errors, "unit")
        name = rules.clean_text(values["name"], 100)
        if not name:
            errors["name"] = "事務の名前を入力してください"
        names, problem = rules.parse_item_names(values["items"])
        if problem:
            errors["items"] = problem
        due, problem = rules.parse_date(values["survey_due"])
        if problem:
            errors["survey_due"] = problem
        if unit and name and any(o.unit == unit and o.name == name for o in self.all_operations()):
            errors["name"] = "同じ課・室に同じ名前の事務がすでにあります"
        if errors or unit is None:
            raise FormRejected(Form(FormKind.REGISTER, None, values, errors))
        op = Operation(new_id(), unit, name, rules.items_from_names(names), due or None)
        return self.create(actor, [op])[0]

    def parse_unit(self, text: str, errors: dict[str, str], key: str) -> OrgUnit | None:
        try:
            unit = OrgUnit.parse(text)
        except ValueError:
            errors[key] = "「局/部/課・室」の形で入力してください（例: 健康福祉局/健康部/保険年金課）"
            return None
        if OrgUnit(unit.bureau) not in load_organisation(self._store):
            errors[key] = f"「{unit.bureau}」は組織にありません"
            return None
        return unit

    def create(
        self, actor: Actor, new: Sequence[Operation], updates: Sequence[tuple[Operation, Operation]] = ()
    ) -> list[Saved]:
        """Insert new operations and replace updated ones, one audited batch per bureau."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.MYNUMBER))
        saved = []
        now = self._clock()
        by_bureau: dict[str, list[tuple[Operation | None, Operation]]] = {}
        for op in new:
            by_bureau.setdefault(op.bureau, []).append((None, op))
        for before, after in updates:
            by_bureau.setdefault(after.bureau, []).append((before, _with(after, version=before.version + 1)))
        for bureau, pairs in by_bureau.items():
            for start in range(0, len(pairs), MAX_AUDITED_OPERATIONS):
                chunk = pairs[start : start + MAX_AUDITED_OPERATIONS]
                batch = [
                    BatchOperation("insert", operation_entity(_with(a, updated_by=actor.name), now))
                    if b is None
                    else BatchOperation(
                        "upsert", operation_entity(_with(a, updated_by=actor.name), now), etag=b.etag
                    )
                    for b, a in chunk
                ]
                audits = [
                    Change(
                        AUDIT_KIND,
                        f"{bureau}/{a.id}",
                        "create" if b is None else "import",
                        operation_doc(b) if b else None,
                        operation_doc(a),
                    )
                    for b, a in chunk
                ]
                try:
                    self._audit.apply(actor, audits, lambda batch=batch: self._store.batch(TABLE, batch))
                except BatchFailed as exc:
                    if isinstance(exc.cause, ETagMismatch | EntityNotFound | EntityExists):
                        raise MyNumberError(
                            "同じ時刻にほかの変更がありました。もう一度実行してください。"
                        ) from exc
                    raise
                saved += [Saved(self._load(bureau, a.id), FormKind.REGISTER, ()) for _, a in chunk]
        return saved

    def import_xlsx(self, actor: Actor, data: bytes, filename: str = "") -> ImportSummary:
        """Operations and items from Excel (admins): whole or nothing. An operation already registered
        (same unit and name) gets the file's items; answers the file leaves blank are kept."""
        from services.mynumber.excel import parse_operations

        require(actor.person, Action.WRITE, Resource(ResourceKind.MYNUMBER))
        org = load_organisation(self._store)
        parsed = parse_operations(data, filename, lambda bureau: OrgUnit(bureau) in org)
        existing = {(o.unit, o.name): o for o in self.all_operations()}
        new, updates, unchanged = [], [], 0
        for p in parsed:
            before = existing.get((p.unit, p.name))
            if before is None:
                new.append(Operation(new_id(), p.unit, p.name, tuple(p.items), p.survey_due))
                continue
            items = list(rules.items_from_names([i.name for i in p.items], before.items))
            merged = tuple(_merge_answer(old, given) for old, given in zip(items, p.items, strict=True))
            after = _with(before, items=merged, survey_due=p.survey_due or before.survey_due)
            if operation_doc(after) == operation_doc(before):
                unchanged += 1
            else:
                updates.append((before, after))
        self.create(actor, new, updates)
        return ImportSummary(len(new), len(updates), sum(len(p.items) for p in parsed), unchanged)

    # --- the linkage audit (issue 13) attaches its result here --------------------------------------------

    def attach_audit_result(self, actor: Actor, bureau: str, op_id: str, result: AuditResult) -> Saved:
        """Fill ① and ② of an operation from a linkage-audit run (its id and date are kept)."""
        op = self._load(bureau, op_id)
        require(actor.person, Action.WRITE, resource_of(op.unit))
        if not 0 <= result.checked <= result.in_scope or result.found < 0:
            raise MyNumberError("監査結果の件数が正しくありません（点検済み ≤ 点検対象、誤紐付け ≥ 0）。")
        ref = AuditRef(result.run_id, result.run_on, result.in_scope, result.checked, result.found)
        full = FullCheck(
            StepStatus.DONE if result.checked == result.in_scope else StepStatus.IN_PROGRESS,
            op.full_check.due,
            result.in_scope,
            result.checked,
            ref,
        )
        mis = op.mislinks
        mislinks = _with(
            mis,
            found=result.found,
            audit=ref,
            status=mis.status
            if mis.status is not StepStatus.NOT_STARTED or not result.found
            else StepStatus.IN_PROGRESS,
        )
        return self._save(
            actor,
            op,
            _with(op, full_check=full, mislinks=mislinks),
            FormKind.INSPECTION,
            None,
            reason=f"紐付け監査 {result.run_id}（{result.run_on.isoformat()}）",
        )


def _merge_answer(old: Item, given: Item) -> Item:
    """The stored item (its id and answer) with the file's answer where the file gives one."""
    if given.method is None:
        return old
    merged = _with(
        old,
        method=given.method,
        method_text=given.method_text,
        number_on_application=given.number_on_application,
        from_others=given.from_others,
        records=given.records,
    )
    return merged if merged == old else _with(merged, answered_by="Excel取込")


_VALUES = {
    FormKind.SURVEY: rules.survey_values,
    FormKind.INSPECTION: rules.inspection_values,
    FormKind.CHECKLIST: rules.checklist_values,
}


def new_id() -> str:
    return secrets.token_hex(4)


def _marker(actor: Actor, op_id: str, kind: FormKind, etag: str, values: Mapping[str, str]) -> str:
    """The same person, operation, card (ETag) and values (the shared rule, ``Submission``)."""
    return DUP_PREFIX + Submission(etag, actor.object_id, f"{op_id}|{kind.value}", values).digest[:40]


def _with(value, **changes):  # noqa: ANN001, ANN202 - dataclasses.replace, typed loosely
    from dataclasses import replace

    return replace(value, **changes)


_SECTION_LABELS = {
    "items": "情報と回答",
    "full_check": "① 全データ点検",
    "mislinks": "② 誤紐付けの修正",
    "leak_check": "③ 漏えい・閲覧の調査",
    "publication": "公表",
    "checklist": "再発防止策",
    "name": "事務",
    "unit": "課・室",
    "survey_due": "回答期限",
    "version": "版",
}


def _describe(key: str, before: object, after: object) -> tuple[str, str, str]:
    def short(value: object) -> str:
        if value is None:
            return "－"
        text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str | int) else str(value)
        return text if len(text) <= 80 else text[:77] + "…"

    return (_SECTION_LABELS.get(key, key), short(before), short(after))
