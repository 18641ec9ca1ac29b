"""キャッシュレス: the service. Storage (:mod:`services.cashless.storage`), the permission check and the
audit trail around every read and write, the update cards, the exclusions and what alerts are due;
the indicator and the workbooks are in :mod:`services.cashless.transfers` (mixed in). The rules are
in :mod:`services.cashless.policy`.

Permissions (``ResourceKind.CASHLESS``): the overview, the classification and the indicator are
city-wide summaries every member of staff may read; a receivable's detail is read by its bureau's
managers and contacts; its bureau's contacts (the owning section) and admins write it; a receivable
without a bureau, the exclusions and the indicator import are admins' only.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from services.audit.models import Change as AuditChange
from services.audit.trail import AuditLog
from services.cashless import forms
from services.cashless import storage as st
from services.cashless.errors import (  # noqa: F401 - the service's errors, imported from here by callers
    AUDIT_KIND,
    CashlessError,
    FormRejected,
    UnknownReceivable,
    resource_of,
)
from services.cashless.models import (
    FIELD_PLANNED,
    FIELD_REASON,
    FIELD_STATUS,
    FIELDS,
    AlertKind,
    CashlessAlert,
    ChangeLine,
    Classification,
    Exclusion,
    Overview,
    Receivable,
    Row,
    SubmitResult,
    Thresholds,
    UpdateForm,
)
from services.cashless.policy import (
    classify,
    coverage,
    is_late,
    late_alert_day,
    tender_reminder_day,
    tender_reminder_due,
    transition_problem,
)
from services.cashless.transfers import ImportOutcome, Transfers  # noqa: F401
from services.kernel.privacy import safe_token
from services.people.identity import Actor, Person
from services.people.permissions import Action, Resource, ResourceKind, check, require
from storage.base import (
    BatchFailed,
    BatchOperation,
    Entity,
    EntityExists,
    EntityNotFound,
    ETagMismatch,
    TableStore,
)

DEFAULT_THRESHOLDS = Thresholds()
MAX_EXCLUSIONS = 80


def _order(r: Receivable) -> tuple:
    """The material's receivables first, then added ones, then what R4/R5当初 introduced."""
    return (bool(r.introduced), not r.id.startswith("r"), r.id)


class CashlessService(Transfers):
    def __init__(
        self,
        store: TableStore,
        clock: Callable[[], datetime],
        *,
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
        lead_months: int = 6,
        goal_2025: int = 40,
        goal_2030: int = 65,
        audit: AuditLog | None = None,
        bureaus: Callable[[], Sequence[str]] | None = None,
    ):
        self._store = store
        self._clock = clock
        self.thresholds = thresholds
        self.lead_months = lead_months
        self.goals = (goal_2025, goal_2030)
        self._audit = audit or AuditLog(store, clock)
        self._bureaus = bureaus or (lambda: ())

    # --- loading ------------------------------------------------------------------------------

    def receivables(self) -> list[Receivable]:
        entities = list(self._store.query(st.TABLE, st.REGISTRY, {"kind": "receivable"}))
        if not entities:
            self._initialise()
            entities = list(self._store.query(st.TABLE, st.REGISTRY, {"kind": "receivable"}))
        return sorted((st.receivable_from_entity(e) for e in entities), key=_order)

    def _initialise(self) -> None:
        from services.kernel.seed import SeedError

        try:
            receivables, exclusions = st.seed_receivables(self._store)
        except SeedError:
            return  # no seed in the store (``app.py --seed`` not run): an empty registry until it is
        now = self._clock()
        ops = [BatchOperation("insert", st.receivable_entity(r, now, "seed")) for r in receivables]
        ops += [BatchOperation("insert", st.exclusion_entity(x, now)) for x in exclusions]
        if not ops:
            return
        try:
            self._store.batch(st.TABLE, ops)
        except BatchFailed as exc:
            if not isinstance(exc.cause, EntityExists):
                raise  # another instance seeded at the same time

    def exclusions(self) -> list[Exclusion]:
        self.receivables()  # seeded on first use
        return sorted(
            (
                st.exclusion_from_entity(e)
                for e in self._store.query(st.TABLE, st.REGISTRY, {"kind": "exclusion"})
            ),
            key=lambda x: x.id,
        )

    def _get(self, rid: str) -> Receivable:
        if not rid or not rid.isascii() or not rid.isalnum() or len(rid) > 20:
            raise UnknownReceivable(rid)
        self.receivables()
        entity = self._store.get(st.TABLE, st.REGISTRY, st.RECEIVABLE_PREFIX + rid)
        if entity is None:
            raise UnknownReceivable(rid)
        return st.receivable_from_entity(entity)

    def classification(self, r: Receivable) -> Classification:
        return classify(r, self.thresholds, self.exclusions())

    # --- reading ------------------------------------------------------------------------------

    def overview(self, viewer: Person, as_of: date) -> Overview:
        require(viewer, Action.READ, Resource(ResourceKind.GENERAL))
        receivables = self.receivables()
        exclusions = self.exclusions()
        rows = tuple(self._row(r, exclusions, as_of) for r in receivables)
        return Overview(
            as_of,
            rows,
            coverage(receivables, self.thresholds, exclusions),
            self.thresholds,
            self.indicator(viewer),
        )

    def _row(self, r: Receivable, exclusions: Sequence[Exclusion], as_of: date) -> Row:
        reminder = tender_reminder_day(r.tender_year, self.lead_months) if r.tender_year else None
        return Row(r, classify(r, self.thresholds, exclusions), is_late(r, as_of), reminder)

    def detail(self, viewer: Person, rid: str, as_of: date) -> Row:
        r = self._get(rid)
        require(viewer, Action.READ, resource_of(r))
        return self._row(r, self.exclusions(), as_of)

    def may_write(self, viewer: Person, r: Receivable) -> bool:
        return check(viewer, Action.WRITE, resource_of(r)).allowed

    def may_read(self, viewer: Person, r: Receivable) -> bool:
        return check(viewer, Action.READ, resource_of(r)).allowed

    @staticmethod
    def is_admin(viewer: Person) -> bool:
        return check(viewer, Action.WRITE, resource_of()).allowed

    # --- the update card ------------------------------------------------------------------------

    def update_form(self, actor: Actor, rid: str) -> UpdateForm:
        r = self._get(rid)
        require(actor.person, Action.WRITE, resource_of(r))
        return self._form(actor, r, forms.form_values(r))

    def _form(
        self,
        actor: Actor,
        r: Receivable,
        values: Mapping[str, str],
        errors: Mapping[str, str] | None = None,
        notice: str = "",
        conflict: bool = False,
    ) -> UpdateForm:
        """The update card's form; after a ``conflict``, ``r`` is the record as stored now, and its
        values are shown beside the ones the person typed (which stay in the inputs)."""
        admin = self.is_admin(actor.person)
        return UpdateForm(
            r,
            self.classification(r),
            safe_token(8),
            admin,
            tuple(self._bureaus()) if admin else (),
            dict(values),
            dict(errors or {}),
            notice,
            forms.form_values(r) if conflict else {},
        )

    def submit(self, actor: Actor, data: Mapping[str, Any], as_of: date) -> SubmitResult:
        """Save an update card. Forbidden (nothing written), :class:`FormRejected` (the card again), or the
        result; the same person sending the same values from the same card again saves nothing more."""
        rid = str(data.get("receivable") or "")
        shown_etag = str(data.get("etag") or "")
        r = self._get(rid)
        require(actor.person, Action.WRITE, resource_of(r))
        values = {k: str(data.get(k) if data.get(k) is not None else "") for k in FIELDS}
        key = forms.submission_key(actor.object_id, rid, shown_etag, values)
        duplicate = self._duplicate(key, r)
        if duplicate is not None:
            return duplicate
        if shown_etag != (r.etag or ""):
            raise FormRejected(
                self._form(
                    actor,
                    r,
                    values,
                    notice=(
                        "ほかの方が先にこの債権を更新しました。最新の内容を表示しています。確認して、もう一度送信してください。"
                    ),
                    conflict=True,
                )
            )
        admin = self.is_admin(actor.person)
        new, errors = forms.apply_values(
            r,
            values,
            admin=admin,
            bureaus=tuple(self._bureaus()),
            at=self._clock().isoformat(timespec="seconds"),
            by_name=actor.name,
        )
        if new is not None:
            problem = transition_problem(
                r.status,
                new.status,
                new.planned_on,
                forms.clean_text(values["reason"]),
                self.classification(r).policy_class,
            )
            if problem:
                field = (
                    FIELD_PLANNED
                    if "予定日" in problem
                    else (FIELD_REASON if "理由" in problem else FIELD_STATUS)
                )
                errors = {field: problem}
        if errors or new is None:
            raise FormRejected(self._form(actor, r, values, errors))
        lines = forms.changes(r, new)
        if not lines:
            raise FormRejected(
                self._form(actor, r, values, notice="変更がありません。値を変えてから送信してください。")
            )
        if new.bureau != r.bureau:
            require(actor.person, Action.WRITE, resource_of(new))
        return self._save(actor, r, new, lines, key, values)

    def _duplicate(self, key: str, r: Receivable) -> SubmitResult | None:
        marker = self._store.get(st.TABLE, st.REGISTRY, st.SUBMISSION_PREFIX + key)
        if marker is None:
            return None
        saved = json.loads(marker.get("changes", "[]"))
        current = self._get(r.id)
        return SubmitResult(
            current, self.classification(current), tuple(ChangeLine(*c) for c in saved), duplicate=True
        )

    def _save(
        self,
        actor: Actor,
        old: Receivable,
        new: Receivable,
        lines: tuple,
        key: str,
        values: Mapping[str, str],
    ) -> SubmitResult:
        now = self._clock()
        stored = replace(new, version=old.version + 1)
        marker = Entity(
            st.REGISTRY,
            st.SUBMISSION_PREFIX + key,
            {
                "kind": "submission",
                "receivable": old.id,
                "at": now,
                "by": actor.object_id,
                "changes": json.dumps([[c.label, c.before, c.after] for c in lines], ensure_ascii=False),
            },
        )
        audit = AuditChange(
            AUDIT_KIND,
            f"{old.id} {old.name}",
            "update",
            {c.label: c.before for c in lines},
            {c.label: c.after for c in lines},
            forms.clean_text(values.get("reason")),
        )

        def write() -> None:
            self._store.batch(
                st.TABLE,
                [
                    BatchOperation("insert", marker),
                    BatchOperation("upsert", st.receivable_entity(stored, now, actor.name), etag=old.etag),
                ],
            )

        try:
            self._audit.apply(actor, [audit], write)
        except BatchFailed as exc:
            if isinstance(exc.cause, EntityExists):
                duplicate = self._duplicate(key, old)
                if duplicate is not None:
                    return duplicate
            if isinstance(exc.cause, ETagMismatch | EntityNotFound):
                raise FormRejected(
                    self._form(
                        actor,
                        self._get(old.id),
                        values,
                        notice=(
                            "ほかの方が同時にこの債権を更新しました。最新の内容を表示しています。確認して、もう一度送信してください。"
                        ),
                        conflict=True,
                    )
                ) from None
            raise
        saved = self._get(old.id)
        return SubmitResult(saved, self.classification(saved), lines)

    # --- exclusions (admins) ------------------------------------------------------------------------

    def add_exclusion(self, actor: Actor, keyword: str, reason: str) -> Exclusion:
        require(actor.person, Action.WRITE, resource_of())
        keyword, reason = forms.clean_text(keyword)[:60], forms.clean_text(reason)[: forms.MAX_TEXT]
        if not keyword or not reason:
            raise CashlessError("対象外にする債権名（の一部）と理由の両方を入力してください。")
        existing = self.exclusions()
        if len(existing) >= MAX_EXCLUSIONS:
            raise CashlessError(f"対象外の登録は{MAX_EXCLUSIONS}件までです。")
        if any(x.keyword == keyword for x in existing):
            raise CashlessError(f"「{keyword}」はすでに対象外に登録されています。")
        exclusion = Exclusion(f"x{secrets.token_hex(4)}", keyword, reason, actor.name)
        now = self._clock()
        self._audit.apply(
            actor,
            [
                AuditChange(
                    AUDIT_KIND,
                    f"exclusion {keyword}",
                    "create",
                    None,
                    {"債権名": keyword, "理由": reason},
                    reason,
                )
            ],
            lambda: self._store.insert(st.TABLE, st.exclusion_entity(exclusion, now)),
        )
        return exclusion

    # --- alerts ------------------------------------------------------------------------------------------

    def due_alerts(self, as_of: date) -> list[CashlessAlert]:
        """Targets whose planned introduction date has passed, and 指定管理者 facilities whose switching
        year's 公募 is coming (from ``lead_months`` before it, on a business day). Sends nothing."""
        alerts: list[CashlessAlert] = []
        for r in self.receivables():
            if is_late(r, as_of) and r.planned_on is not None and late_alert_day(r.planned_on) <= as_of:
                alerts.append(
                    CashlessAlert(
                        AlertKind.LATE,
                        r.id,
                        r.name,
                        r.bureau,
                        r.section,
                        late_alert_day(r.planned_on),
                        planned_on=r.planned_on,
                        status=r.status,
                    )
                )
            day = tender_reminder_due(r, as_of, self.lead_months)
            if day is not None:
                alerts.append(
                    CashlessAlert(
                        AlertKind.SWITCH,
                        r.id,
                        r.name,
                        r.bureau,
                        r.section,
                        day,
                        tender_year=r.tender_year,
                        status=r.status,
                    )
                )
        return alerts
