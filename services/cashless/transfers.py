"""The Excel side of キャッシュレス, as a part of the service: the national indicator (read, import whole),
the registry workbook (export, and the edited workbook back in, whole or nothing). Every write
checks permission first, is audited, and is one write (the indicator) or one batch with ETags."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from services.audit.models import Change as AuditChange
from services.audit.trail import AuditLog
from services.cashless import forms
from services.cashless import storage as st
from services.cashless.errors import AUDIT_KIND, CashlessError, resource_of
from services.cashless.excel import (
    WorkbookRefused,
    parse_indicator_workbook,
    parse_registry_workbook,
    registry_workbook,
)
from services.cashless.models import Exclusion, IndicatorView, IndicatorYear, Overview, Receivable, Thresholds
from services.cashless.registry_import import check_rows
from services.kernel.privacy import safe_token
from services.people.identity import Actor, Person
from services.people.permissions import Action, Resource, ResourceKind, require
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


class Transfers:
    """Mixed into :class:`services.cashless.service.CashlessService`, which provides these."""

    _store: TableStore
    _clock: Callable[[], datetime]
    _audit: AuditLog
    _bureaus: Callable[[], Sequence[str]]
    thresholds: Thresholds
    goals: tuple[int, int]

    def receivables(self) -> list[Receivable]:
        raise NotImplementedError

    def exclusions(self) -> list[Exclusion]:
        raise NotImplementedError

    def overview(self, viewer: Person, as_of: date) -> Overview:
        raise NotImplementedError

    # --- the national indicator -----------------------------------------------------------------------

    def indicator(self, viewer: Person) -> IndicatorView | None:
        require(viewer, Action.READ, Resource(ResourceKind.GENERAL))
        entity = self._store.get(st.TABLE, st.INDICATOR, "current")
        if entity is None:
            return None
        lines = st.indicator_lines(entity.get("lines", "[]"))
        years = sorted({x.fiscal_year for x in lines})
        return IndicatorView(
            tuple(IndicatorYear(y, tuple(x for x in lines if x.fiscal_year == y)) for y in years),
            *self.goals,
            entity.get("at_jst", ""),
            entity.get("by", ""),
            entity.get("filename", ""),
        )

    def import_indicator(self, actor: Actor, data: bytes, filename: str = "") -> IndicatorView:
        """Replace the payment counts and amounts with a workbook's (admins), whole or nothing:
        :class:`services.cashless.excel.WorkbookRefused` names every bad cell."""
        require(actor.person, Action.WRITE, resource_of())
        lines = parse_indicator_workbook(data)
        now = self._clock()
        before = self._store.get(st.TABLE, st.INDICATOR, "current")
        entity = Entity(
            st.INDICATOR,
            "current",
            {
                "lines": st.indicator_lines_json(lines),
                "at": now,
                "at_jst": now.isoformat(timespec="minutes"),
                "by": actor.name,
                "filename": filename[:200],
            },
        )
        audit = AuditChange(
            AUDIT_KIND,
            "indicator",
            "import",
            {"行数": len(st.indicator_lines(before.get("lines", "[]")))} if before else None,
            {"行数": len(lines), "年度": sorted({x.fiscal_year for x in lines})},
            f"Excel の取込（{filename or 'ファイル名なし'}）",
        )
        self._audit.apply(actor, [audit], lambda: self._store.upsert(st.TABLE, entity))
        view = self.indicator(actor.person)
        assert view is not None
        return view

    # --- Excel -----------------------------------------------------------------------------------------

    def export_xlsx(self, viewer: Person, as_of: date) -> bytes:
        overview = self.overview(viewer, as_of)
        return registry_workbook(overview)

    def import_registry(self, actor: Actor, data: bytes, filename: str = "") -> tuple[int, int]:
        """An edited registry workbook (admins), whole or nothing: :class:`WorkbookRefused` names every bad
        cell; otherwise every changed row is written in one batch with its ETag. Returns (changed, added)."""
        require(actor.person, Action.WRITE, resource_of())
        rows = parse_registry_workbook(data)
        now = self._clock()
        pairs, issues = check_rows(
            rows,
            self.receivables(),
            self.exclusions(),
            self.thresholds,
            tuple(self._bureaus()),
            now.isoformat(timespec="seconds"),
            actor.name,
        )
        if issues:
            raise WorkbookRefused(issues)
        if len(pairs) + 1 > MAX_AUDITED_OPERATIONS:
            raise CashlessError(
                f"一度に変更できる債権は{MAX_AUDITED_OPERATIONS - 1}件までです。ファイルを分けてください。"
            )
        ops = [
            BatchOperation(
                "insert",
                Entity(
                    st.REGISTRY,
                    f"import|{safe_token(8)}",
                    {"kind": "import", "at": now, "by": actor.object_id, "rows": len(pairs)},
                ),
            )
        ]
        changes = []
        for old, new in pairs:
            stored = replace(new, version=(old.version + 1) if old else 1)
            entity = st.receivable_entity(stored, now, actor.name)
            ops.append(
                BatchOperation("upsert", entity, etag=old.etag) if old else BatchOperation("insert", entity)
            )
            lines = forms.changes(old or Receivable(new.id, "", new.channel, methods=None), new)
            changes.append(
                AuditChange(
                    AUDIT_KIND,
                    f"{new.id} {new.name}",
                    "import" if old else "create",
                    {c.label: c.before for c in lines} if old else None,
                    {c.label: c.after for c in lines},
                    f"Excel の取込（{filename or 'ファイル名なし'}）",
                )
            )
        if len(ops) == 1:
            return 0, 0
        try:
            self._audit.apply(actor, changes, lambda: self._store.batch(st.TABLE, ops))
        except BatchFailed as exc:
            if isinstance(exc.cause, ETagMismatch | EntityNotFound | EntityExists):
                raise CashlessError(
                    "取り込みの途中で、ほかの方が債権を更新しました。何も変更していません。"
                    "もう一度出力してから取り込んでください。"
                ) from None
            raise
        added = sum(1 for old, _ in pairs if old is None)
        return len(pairs) - added, added


@dataclass(frozen=True)
class ImportOutcome:
    view: IndicatorView

    @property
    def summary(self) -> str:
        years = "、".join(f"R{y.fiscal_year - 2018}" for y in self.view.years)
        return f"決済手段別の件数・金額を取り込みました（{len(self.view.years)}年度分: {years}）。"
