"""業務システムの標準化: the service. Storage, the permission check and the audit trail around every
read and write, validation of what a card submits, and what alerts are due.

Who may do what (``services.people.permissions``):

- everybody reads the overview (``GENERAL``); a system's detail is read by its bureau's managers
  and contacts (``STANDARDIZATION`` of the system's bureau) and by the ICT office (admins);
- the system's section (the bureau contact, 制度担当・システム所管課) writes its steps and gaps; a step
  owned by the ICT office alone is written by the ICT office;
- the ICT office reviews gaps (``STANDARDIZATION_REVIEW``: admins only), in submission order, and
  sets the step list, the subsidy cap, and each system's section, vendor and own deadline
  (Excel import).

"Today" (``as_of``) is passed in; nothing runs on a timer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from services.audit.models import Change
from services.people.identity import Actor, OrgUnit, Person
from services.people.permissions import Action, Resource, ResourceKind, require
from services.standardization import rules
from services.standardization import store as st
from services.standardization.forms import (  # noqa: F401 - re-exported for the dialog and tests
    COST_FIELDS,
    MAX_TEXT,
    MAX_TITLE,
    Conflict,
    FormError,
    OutOfOrder,
    StandardizationError,
    UnknownSystem,
    choice,
    clean_text,
    parse_day,
    parse_yen,
)
from services.standardization.models import (
    REVIEW_POINTS,
    Costs,
    Gap,
    Handling,
    Review,
    ReviewResult,
    Saved,
    Step,
    StepDef,
    StepStatus,
    System,
)
from services.standardization.reads import DEFAULT_ALERT_DAYS, StandardizationReads  # noqa: F401 - re-exported
from storage.base import BatchFailed, BatchOperation, Entity, EntityExists, ETagMismatch

AUDIT_KIND = "standardization"


class StandardizationService(StandardizationReads):
    """The whole service: :class:`StandardizationReads` plus every write (permission, validation,
    ETag, duplicate marker, audit)."""

    # --- writing ------------------------------------------------------------------------------

    def _save(
        self, actor: Actor, changes: Sequence[Change], operations: list[BatchOperation], marker: str
    ) -> Saved | None:
        """Marker first, then the writes, in one batch after the audit entries; None: saved;
        a :class:`Saved` duplicate when the marker was there already."""
        ops = [
            BatchOperation("insert", st.marker_entity(marker, self._clock(), actor.object_id)),
            *operations,
        ]
        if self._store.get(st.TABLE, st.PARTITION, marker) is not None:
            return Saved(
                "同じ内容はすでに保存されています（二重送信のため、新たには保存していません）。",
                duplicate=True,
            )

        def write() -> None:
            self._store.batch(st.TABLE, ops)

        try:
            self._audit.apply(actor, list(changes), write)
        except BatchFailed as error:
            if error.index == 0 and isinstance(error.cause, EntityExists):
                return Saved(
                    "同じ内容はすでに保存されています（二重送信のため、新たには保存していません）。",
                    duplicate=True,
                )
            if isinstance(error.cause, ETagMismatch | EntityExists):
                raise Conflict(
                    "ほかの方が先に更新しました。最新の内容を表示しますので、確認してもう一度送信してください。"
                ) from error
            raise
        return None

    def update_step(
        self, actor: Actor, number: str, step_key: str, data: Mapping[str, Any], as_of: date
    ) -> Saved:
        system = self.system(number)
        definition = next((d for d in self.steps() if d.key == step_key), None)
        if definition is None:
            raise StandardizationError("この工程は設定にありません（工程の設定が変わった可能性があります）。")
        kind = (
            ResourceKind.STANDARDIZATION
            if definition.owner.section_writes
            else ResourceKind.STANDARDIZATION_REVIEW
        )
        require(actor.person, Action.WRITE, self.resource(system, kind))
        values = {k: clean_text(data.get(k)) for k in ("start", "end", "done_on", "note")}
        values["status"] = choice(data.get("status"))
        errors: dict[str, str] = {}
        try:
            status = StepStatus(values["status"])
        except ValueError:
            errors["status"] = "状況を選んでください"
            status = StepStatus.NOT_STARTED
        start, e1 = parse_day(values["start"])
        end, e2 = parse_day(values["end"])
        done_on, e3 = parse_day(values["done_on"])
        errors.update({k: m for k, m in (("start", e1), ("end", e2), ("done_on", e3)) if m})
        if start and end and end < start:
            errors["end"] = "終了日は開始日以降にしてください"
        if done_on and done_on > as_of:
            errors["done_on"] = "完了日に未来の日付は入力できません"
        if done_on and status is not StepStatus.DONE:
            errors["done_on"] = "完了日は状況が「完了」のときだけ入力してください"
        if len(values["note"]) > MAX_TEXT:
            errors["note"] = f"備考は{MAX_TEXT}文字以内で入力してください"
        if errors:
            raise FormError(errors, values)
        if status is StepStatus.DONE and done_on is None:
            done_on = as_of
        before = system.step(step_key)
        after = Step(step_key, status, start, end, done_on, values["note"])
        steps = tuple(after if s.key == step_key else s for s in system.steps)
        if step_key not in {s.key for s in system.steps}:
            steps += (after,)
        new = replace(system, steps=steps)
        marker = st.submission_key(
            actor.object_id, f"step|{system.number}|{step_key}|{data.get('etag')}", values
        )
        change = Change(
            AUDIT_KIND, f"{system.number}|{step_key}", "update", _step_audit(before), _step_audit(after)
        )
        duplicate = self._save(
            actor,
            [change],
            [BatchOperation("upsert", st.system_entity(new), str(data.get("etag") or system.etag))],
            marker,
        )
        return duplicate or Saved(
            f"{system.label} の「{definition.name}」を「{status.value}」で保存しました。"
        )

    def update_system(self, actor: Actor, number: str, data: Mapping[str, Any], as_of: date) -> Saved:
        """The ICT office sets a system's owner, vendor, 特定移行支援 flag and own deadline (the
        ordinance's 移行管理の期限 of a hard-to-migrate system, or a 特定移行支援システム's)."""
        system = self.system(number)
        require(actor.person, Action.WRITE, Resource(ResourceKind.STANDARDIZATION))  # admins
        values = {
            k: clean_text(data.get(k))
            for k in ("bureau", "section", "vendor", "own_deadline", "data_done_on")
        }
        values["special"] = "true" if str(data.get("special") or "").lower() == "true" else "false"
        errors: dict[str, str] = {}
        for key in ("bureau", "vendor"):
            if len(values[key]) > 100 or any(ch in values[key] for ch in "/\\#?|"):
                errors[key] = "100文字以内で、/ \\ # ? | を含めずに入力してください"
        section = values["section"].replace("／", "/")
        if section:
            try:
                unit = OrgUnit.parse(f"{values['bureau'] or '局'}/{section}")
                section = "/".join(p for p in (unit.department, unit.section) if p)
            except ValueError:
                errors["section"] = "所管課は「部」か「部/課」の形で入力してください（例: 税務部/市民税課）"
            if not values["bureau"]:
                errors["bureau"] = "所管課を入力するときは所管局も入力してください"
        special = values["special"] == "true"
        own, problem = parse_day(values["own_deadline"])
        if problem:
            errors["own_deadline"] = problem
        elif own and not (system.hard or special):
            errors["own_deadline"] = "個別の期限は、移行困難システムか特定移行支援システムにだけ入力できます"
        done, problem = parse_day(values["data_done_on"])
        if problem:
            errors["data_done_on"] = problem
        elif done and done > as_of:
            errors["data_done_on"] = "未来の日付は入力できません"
        if errors:
            raise FormError(errors, values)
        new = replace(
            system,
            bureau=values["bureau"],
            section=section,
            vendor=values["vendor"],
            special=special,
            own_deadline=own,
            data_done_on=done,
        )
        marker = st.submission_key(actor.object_id, f"system|{system.number}|{data.get('etag')}", values)
        before = {k: v for k, v in st.system_doc(system).items() if k not in ("steps", "costs")}
        after = {k: v for k, v in st.system_doc(new).items() if k not in ("steps", "costs")}
        change = Change(AUDIT_KIND, system.number, "update", before, after)
        etag = str(data.get("etag") or system.etag)
        duplicate = self._save(
            actor, [change], [BatchOperation("upsert", st.system_entity(new), etag)], marker
        )
        return duplicate or Saved(
            f"{system.label} のシステム情報を保存しました（移行期限: {rules.deadline_of(new).label}）。"
        )

    def update_costs(self, actor: Actor, number: str, data: Mapping[str, Any]) -> Saved:
        """A system's estimate: the subsidy-eligible part and the rest by ※1 category (yen; blank is 0)."""
        system = self.system(number)
        require(actor.person, Action.WRITE, self.resource(system))
        values = {k: clean_text(data.get(k)) for k in COST_FIELDS}
        errors: dict[str, str] = {}
        amounts = []
        for key in COST_FIELDS:
            amount, problem = parse_yen(values[key])
            if problem:
                errors[key] = problem
            amounts.append(amount or 0)
        if errors:
            raise FormError(errors, values)
        new = replace(system, costs=Costs(amounts[0], tuple(amounts[1:])))
        marker = st.submission_key(actor.object_id, f"costs|{system.number}|{data.get('etag')}", values)
        change = Change(
            AUDIT_KIND,
            f"{system.number}|costs",
            "update",
            st.system_doc(system)["costs"],
            st.system_doc(new)["costs"],
        )
        etag = str(data.get("etag") or system.etag)
        duplicate = self._save(
            actor, [change], [BatchOperation("upsert", st.system_entity(new), etag)], marker
        )
        return duplicate or Saved(f"{system.label} の見積を保存しました（合計 {new.costs.total:,}円）。")

    def add_gap(self, actor: Actor, number: str, data: Mapping[str, Any]) -> Saved:
        system = self.system(number)
        require(actor.person, Action.WRITE, self.resource(system))
        values = {k: clean_text(data.get(k)) for k in ("title", "detail", "amount")}
        values["handling"] = choice(data.get("handling"))
        errors: dict[str, str] = {}
        if not values["title"]:
            errors["title"] = "Gap（差分）の内容を入力してください"
        elif len(values["title"]) > MAX_TITLE:
            errors["title"] = f"{MAX_TITLE}文字以内で入力してください"
        if len(values["detail"]) > MAX_TEXT:
            errors["detail"] = f"{MAX_TEXT}文字以内で入力してください"
        try:
            handling = Handling(values["handling"] or Handling.FLOW)
        except ValueError:
            errors["handling"] = "対応方法を選んでください"
            handling = Handling.FLOW
        amount, problem = parse_yen(values["amount"])
        if problem:
            errors["amount"] = problem
        elif amount is not None and not handling.needs_budget:
            errors["amount"] = "業務フローの変更で対応する場合、概算額は入力しません"
        if errors:
            raise FormError(errors, values)
        marker = st.submission_key(actor.object_id, f"gap|{system.number}", values)
        if self._store.get(st.TABLE, st.PARTITION, marker) is not None:
            return Saved(
                "同じ内容はすでに保存されています（二重送信のため、新たには保存していません）。",
                duplicate=True,
            )
        for attempt in range(3):  # another gap took the next number meanwhile: number it again
            counter = self._store.get(st.TABLE, st.PARTITION, st.COUNTER_ROW)
            sequence = int(counter["last"]) + 1 if counter else 1
            gap = Gap(
                f"{system.number}-{sequence}",
                system.number,
                sequence,
                values["title"],
                values["detail"],
                handling,
                amount,
                self._clock(),
                actor.name,
            )
            counter_entity = Entity(st.PARTITION, st.COUNTER_ROW, {"last": sequence})
            counter_op = (
                BatchOperation("upsert", counter_entity, counter.etag)
                if counter
                else BatchOperation("insert", counter_entity)
            )
            change = Change(AUDIT_KIND, f"gap|{gap.id}", "create", None, st.gap_doc(gap))
            try:
                duplicate = self._save(
                    actor, [change], [counter_op, BatchOperation("insert", st.gap_entity(gap))], marker
                )
                break
            except Conflict:
                if attempt == 2:
                    raise
        if duplicate:
            return duplicate
        if handling.needs_budget:
            position = len(rules.review_queue(self.gaps()))
            return Saved(
                f"Gap「{gap.title}」を登録しました（受付番号 {sequence}）。予算措置が必要な対応のため、"
                f"ICTイノベーション推進室の精査を受付順に行います（現在 {position}件目）。"
            )
        return Saved(
            f"Gap「{gap.title}」を登録しました（受付番号 {sequence}）。業務フローの変更で対応します。"
        )

    def review_gap(self, actor: Actor, gap_id: str, data: Mapping[str, Any]) -> Saved:
        gap = self.gap(gap_id)
        system = self.system(gap.system)
        require(actor.person, Action.WRITE, self.resource(system, ResourceKind.STANDARDIZATION_REVIEW))
        if not gap.handling.needs_budget:
            raise StandardizationError("業務フローの変更で対応する Gap は精査の対象ではありません。")
        if gap.review is not None:
            raise StandardizationError(f"Gap「{gap.title}」は精査済みです。")
        first = rules.review_queue(self.gaps())[0]
        if first.id != gap.id:
            raise OutOfOrder(
                f"Gap 対応は提出された順にヒアリングします（※3）。先に受付番号 {first.sequence} の"
                f"「{first.title}」（{self.system(first.system).operation}）を精査してください。"
            )
        values = {}
        errors: dict[str, str] = {}
        results, comments = [], []
        for key, label in REVIEW_POINTS:
            values[f"result_{key}"] = choice(data.get(f"result_{key}"))
            values[f"comment_{key}"] = clean_text(data.get(f"comment_{key}"))
            try:
                result = ReviewResult(values[f"result_{key}"])
            except ValueError:
                errors[f"result_{key}"] = f"「{label}」の結果を選んでください"
                result = ReviewResult.OK
            if result is ReviewResult.RECONSIDER and not values[f"comment_{key}"]:
                errors[f"comment_{key}"] = f"要再検討のときは「{label}」のコメントを入力してください"
            if len(values[f"comment_{key}"]) > MAX_TEXT:
                errors[f"comment_{key}"] = f"{MAX_TEXT}文字以内で入力してください"
            results.append(result)
            comments.append(values[f"comment_{key}"])
        if errors:
            raise FormError(errors, values)
        reviewed = replace(gap, review=Review(tuple(results), tuple(comments), actor.name, self._clock()))
        entity = self._store.get(st.TABLE, st.PARTITION, st.gap_row(gap.sequence))
        assert entity is not None
        marker = st.submission_key(actor.object_id, f"review|{gap.id}", values)
        change = Change(AUDIT_KIND, f"gap|{gap.id}", "approve", st.gap_doc(gap), st.gap_doc(reviewed))
        duplicate = self._save(
            actor, [change], [BatchOperation("upsert", st.gap_entity(reviewed), entity.etag)], marker
        )
        return duplicate or Saved(f"Gap「{gap.title}」の精査結果を保存しました（{reviewed.state_label}）。")

    def replace_all(
        self, actor: Actor, systems: Sequence[System], steps: Sequence[StepDef], cap: int | None, reason: str
    ) -> None:
        """Replace every system, the step list and the cap at once (the Excel import), each system
        with the ETag it was read with. Admins only; audited."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.STANDARDIZATION))
        config = self._config()
        old = {s.number: s for s in self.systems()}
        old_steps, old_cap = st.config_from(config)
        changes = [
            Change(
                AUDIT_KIND,
                "config",
                "import",
                {"steps": [s.name for s in old_steps], "cap": old_cap},
                {"steps": [s.name for s in steps], "cap": cap},
                reason,
            )
        ]
        ops = [BatchOperation("upsert", st.config_entity(steps, cap), config.etag)]
        for system in systems:
            before = old[system.number]
            changes.append(
                Change(
                    AUDIT_KIND, system.number, "import", st.system_doc(before), st.system_doc(system), reason
                )
            )
            ops.append(
                BatchOperation("upsert", st.system_entity(system), system.etag or before.etag)
            )  # the ETag the import was read with

        def write() -> None:
            self._store.batch(st.TABLE, ops)

        try:
            self._audit.apply(actor, changes, write)
        except BatchFailed as error:
            raise StandardizationError(
                "取り込み中にほかの方が更新しました。もう一度取り込んでください。"
            ) from error


def _step_audit(step: Step) -> dict[str, Any]:
    return json.loads(
        json.dumps(
            {
                "status": step.status.value,
                "start": step.start,
                "end": step.end,
                "done_on": step.done_on,
                "note": step.note,
            },
            default=str,
        )
    )


# --- Excel -----------------------------------------------------------------------------------


def export_xlsx(service: StandardizationService, viewer: Person, as_of: date) -> bytes:
    """The workbook as stored now (admins: it carries every bureau's estimates and gaps)."""
    from services.standardization.excel import workbook_bytes

    require(viewer, Action.READ, Resource(ResourceKind.STANDARDIZATION))
    return workbook_bytes(service.systems(), service.steps(), service.cap(), service.gaps(), as_of)


def import_xlsx(service: StandardizationService, actor: Actor, data: bytes, filename: str = "") -> str:
    """Replace systems, steps and the cap from a workbook, all or nothing; the summary (Japanese).
    :class:`services.standardization.excel.ImportRefused` names every bad cell."""
    from services.standardization.excel import parse_workbook

    require(actor.person, Action.WRITE, Resource(ResourceKind.STANDARDIZATION))
    parsed = parse_workbook(data, service.systems())
    service.replace_all(actor, parsed.systems, parsed.steps, parsed.cap, f"Excel 取込: {filename}"[:200])
    cap = f"{parsed.cap:,}円" if parsed.cap is not None else "未入力"
    return f"{len(parsed.systems)}業務・工程 {len(parsed.steps)}件を取り込みました（補助金額の上限: {cap}）。"
