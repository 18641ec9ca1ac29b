"""行政手続きオンライン化: progress per bureau and period, quarterly updates, delays, alerts.

The arithmetic (ledgers, closing, corrections) is in :mod:`services.online_procedures.ledger`, the
Excel layout in :mod:`services.online_procedures.excel`, the models in
:mod:`services.online_procedures.models`. This module is the service: storage, the permission
check and the audit trail around every read and write, validation of what a card submits, and
what alerts are due.

**Time model.** "Today" (``as_of``) decides everything; nothing runs on a timer.

- The store keeps one ledger per bureau, with a cell per fiscal quarter from 令和5年度 (FY2023) on.
  The seed (the table of the 2023-08-08 meeting) fills FY2023: Q1 (4～6月) as an actual with its
  notes, Q2–Q4 as plans with their notes; the R6 and R7 columns become whole-year plans of FY2024
  and FY2025. Later years start empty: their plans come from what is carried into them, from
  an imported table, or (procedure-level bureaus) from each procedure's planned period.
- A period closes ``alert_days`` (N) business days after it ends; until then the bureau's DX PRO
  (or an admin) reports its actual, and on closing the shortfall is carried into the next period
  as 遅れ (see the ledger module). A period nobody reported closes with an actual of 0: not
  reported is not done. On the day it closes, bureaus with delays are due an alert; if they are
  still late ``escalation_days`` (M) business days later, an escalation to the bureau's manager.
- So with only the seed in the store, on 2026-11-26 every plan since FY2023 Q2 has closed
  unreported and is carried, as 遅れ, into FY2026 Q3; an imported up-to-date table (Excel, same
  layout, the current fiscal year) brings the figures back to reality.

**Storage.** Table ``OnlineProcedures``, one partition ``state``:

- ``bureau|<局>``: one entity per bureau, its whole ledger as JSON (procedure records included),
  split over properties; its ETag is the bureau's version, carried in every update card;
- ``submission|<digest>``: one per saved card submission (``services.kernel.submissions``: the
  card's id, the sender, the bureau and the values), inserted in the same batch as the bureau's
  write, so the same person sending the same card again saves once; anybody else, or other
  values, is a new submission that meets the bureau's ETag check;
- ``import|<id>``: one per imported workbook, in the same batch as every bureau it replaced.

One partition makes every write a single all-or-nothing batch: a card submission (marker + bureau,
with the bureau's ETag) and a whole-table import (marker + every bureau, each with its ETag).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

from services.audit.models import Change as AuditChange
from services.audit.trail import AuditLog
from services.kernel.calendar import add_business_days
from services.kernel.memo import EtagMemo, etags_of
from services.kernel.numbers import parse_count as parse_number
from services.kernel.privacy import mask_my_number
from services.kernel.submissions import Submission, SubmissionMarkers, new_submission_id, valid_submission_id
from services.online_procedures.excel import (
    CellIssue,
    ImportRefused,
    current_table_year,
    ledger_row,
    live_table,
    parse_workbook,
    seed_table,
    workbook_bytes,
)
from services.online_procedures.ledger import (
    Cell,
    Closure,
    Inconsistent,
    Ledger,
    Report,
    available_for_advance,
    bureau_summary,
    closing_day,
    correct,
    delayed_procedures,
    index_of_period,
    outstanding_delays,
    period_status,
    project,
)
from services.online_procedures.models import (
    FIRST_TRACKED_FISCAL_YEAR,
    JOB_DELAY,
    JOB_ESCALATION,
    AlertTarget,
    Blocker,
    BureauSummary,
    Change,
    CitySummary,
    DelayAlert,
    Figure,
    Group,
    Method,
    Period,
    PeriodState,
    Procedure,
    ProcedureChoice,
    ReportView,
    Source,
    Status,
    SubmitResult,
    TableView,
    UpdateForm,
)
from services.people.identity import Actor, Person, system_actor
from services.people.permissions import Action, Resource, ResourceKind, check, require
from services.proactive.alerts import DueAlert
from services.proactive.digest import ChartPoint, ProgrammeStatus, StatusItem, StatusLevel
from storage.base import (
    MAX_AUDITED_OPERATIONS,
    MAX_STRING_CHARS,
    BatchFailed,
    BatchOperation,
    Entity,
    EntityExists,
    EntityNotFound,
    ETagMismatch,
    TableStore,
    validate_key,
)

TABLE = "OnlineProcedures"
PARTITION = "state"
BUREAU_PREFIX = "bureau|"
SUBMISSION_PREFIX = "submission|"
IMPORT_PREFIX = "import|"
AUDIT_KIND = "online_procedures"
DEFAULT_ALERT_DAYS = 5
DEFAULT_ESCALATION_DAYS = 10
MAX_COUNT = 100_000
MAX_REASON_CHARS = 500
MAX_CHOICES = 40  # procedures listed on one update card
_CHUNK = MAX_STRING_CHARS - 1000
MAX_DOC_PARTS = 15  # about 900 KB of UTF-16: under the 1 MiB entity limit
# A batch request carries at most 4 MiB, the audit journal row (up to 600 KB) included.
MAX_BATCH_PAYLOAD_BYTES = 3_400_000

FIELD_DONE = "done"
FIELD_DELAYED = "delayed"
FIELD_ADVANCED = "advanced"
FIELD_REASON = "reason"
FIELD_PROCEDURES = "procedures"
FIELDS = (FIELD_DONE, FIELD_DELAYED, FIELD_ADVANCED, FIELD_REASON, FIELD_PROCEDURES)


class OnlineProceduresError(Exception):
    """A request that cannot be done; ``str(error)`` is a Japanese sentence for the user."""


class UnknownBureau(OnlineProceduresError):
    def __init__(self, bureau: str):
        shown = mask_my_number(bureau)  # echoed to the user: masked, and short
        shown = shown if len(shown) <= 30 else shown[:29] + "…"
        super().__init__(f"「{shown}」という局は、オンライン化の表にありません。")
        self.bureau = bureau


class NotReportable(OnlineProceduresError):
    """The period cannot take actuals now (not begun, or waiting for the previous one to close)."""


class FormRejected(OnlineProceduresError):
    """The submission was not saved; ``form`` is the same card again, with the user's values,
    an error next to each field concerned, and (after a conflict) the new figures and a notice."""

    def __init__(self, form: UpdateForm):
        message = form.notice or "；".join(form.errors.values())
        super().__init__(message)
        self.form = form


def _valid_submission_id(text: str) -> bool:
    return valid_submission_id(text)


def fiscal_year_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


# --- (de)serialising a ledger --------------------------------------------------------------------


def _procedure_doc(p: Procedure) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": p.id, "n": p.name}
    optional = {
        "s": p.section,
        "g": p.group.value if p.group is not Group.GROUP1 else "",
        "c": p.annual_cases,
        "i": p.important or None,
        "m": p.method.value if p.method else "",
        "mt": p.method_text,
        "p": p.planned.key if p.planned else "",
        "st": p.status.value if p.status is not Status.NOT_STARTED else "",
        "d": p.completed_on.isoformat() if p.completed_on else "",
        "b": p.blocker.value if p.blocker else "",
        "bt": p.blocker_text,
    }
    doc.update({k: v for k, v in optional.items() if v not in ("", None)})
    return doc


def _procedure(doc: Mapping[str, Any]) -> Procedure:
    return Procedure(
        id=doc["id"],
        name=doc["n"],
        section=doc.get("s", ""),
        group=Group(doc.get("g") or Group.GROUP1),
        annual_cases=doc.get("c"),
        important=bool(doc.get("i")),
        method=Method(doc["m"]) if doc.get("m") else None,
        method_text=doc.get("mt", ""),
        planned=Period.from_key(doc["p"]) if doc.get("p") else None,
        status=Status(doc.get("st") or Status.NOT_STARTED),
        completed_on=date.fromisoformat(doc["d"]) if doc.get("d") else None,
        blocker=Blocker(doc["b"]) if doc.get("b") else None,
        blocker_text=doc.get("bt", ""),
    )


def _cell_doc(cell: Cell) -> dict[str, Any]:
    doc: dict[str, Any] = {"p": cell.period.key, "plan": cell.plan}
    if cell.plan_delayed:
        doc["pd"] = cell.plan_delayed
    if cell.plan_advanced:
        doc["pa"] = cell.plan_advanced
    if cell.report is not None:
        doc["report"] = asdict(cell.report)
    if cell.closure is not None:
        doc["closure"] = asdict(cell.closure)
    return doc


def _cell(doc: Mapping[str, Any]) -> Cell:
    closure = doc.get("closure")
    if closure is not None:
        closure = Closure(**{**closure, "took": [tuple(t) for t in closure.get("took", [])]})
    report = doc.get("report")
    return Cell(
        Period.from_key(doc["p"]),
        doc.get("plan"),
        doc.get("pd", 0),
        doc.get("pa", 0),
        Report(**report) if report else None,
        closure,
    )


def ledger_doc(ledger: Ledger) -> dict[str, Any]:
    return {
        "v": 1,
        "source": ledger.source.value,
        "base_year": ledger.base_year,
        "fixed": [ledger.before, ledger.group1, ledger.priority, ledger.earlier],
        "not_scheduled": ledger.not_scheduled,
        "individual": ledger.individual,
        "note": ledger.note,
        "cells": [_cell_doc(c) for c in ledger.cells],
        "history": [_cell_doc(c) for c in ledger.history],
        "procedures": [_procedure_doc(p) for p in ledger.procedures],
        "proc_reports": {k: asdict(r) for k, r in ledger.proc_reports.items()},
    }


def ledger_from_doc(
    bureau: str, order: int, doc: Mapping[str, Any], version: int = 0, etag: str | None = None
) -> Ledger:
    before, group1, priority, earlier = doc["fixed"]
    return Ledger(
        bureau=bureau,
        order=order,
        source=Source(doc.get("source", Source.COUNTS)),
        base_year=doc.get("base_year", FIRST_TRACKED_FISCAL_YEAR),
        before=before,
        group1=group1,
        priority=priority,
        earlier=earlier,
        not_scheduled=doc.get("not_scheduled", 0),
        individual=doc.get("individual", 0),
        note=doc.get("note", ""),
        cells=[_cell(c) for c in doc.get("cells", [])],
        history=[_cell(c) for c in doc.get("history", [])],
        procedures=[_procedure(p) for p in doc.get("procedures", [])],
        proc_reports={k: Report(**r) for k, r in doc.get("proc_reports", {}).items()},
        version=version,
        etag=etag,
    )


def bureau_row_key(bureau: str) -> str:
    return BUREAU_PREFIX + bureau


def ledger_entity(ledger: Ledger, now: datetime, actor_name: str = "") -> Entity:
    text = json.dumps(ledger_doc(ledger), ensure_ascii=False, separators=(",", ":"))
    parts = [text[i : i + _CHUNK] for i in range(0, len(text), _CHUNK)] or [""]
    if len(parts) > MAX_DOC_PARTS:
        raise OnlineProceduresError(
            f"{ledger.bureau}の記録が大きすぎて保存できません（手続きの数を減らすか、局を分けてください）。"
        )
    props: dict[str, Any] = {
        "kind": "bureau",
        "name": ledger.bureau,
        "order": ledger.order,
        "source": ledger.source.value,
        "version": ledger.version,
        "updated_at": now,
        "updated_by": actor_name,
        "parts": len(parts),
    }
    props.update({f"doc{i}": part for i, part in enumerate(parts)})
    return Entity(PARTITION, bureau_row_key(ledger.bureau), props)


def ledger_from_entity(entity: Entity) -> Ledger:
    text = "".join(entity.get(f"doc{i}", "") for i in range(int(entity.get("parts", 0))))
    return ledger_from_doc(
        entity["name"], int(entity["order"]), json.loads(text), int(entity.get("version", 0)), entity.etag
    )


def ledger_from_seed_row(row: Mapping[str, Any], order: int) -> Ledger:
    """A bureau of the seed table (``services.kernel.seed`` frame row, Japanese column names)."""

    def n(column: str) -> int:
        return int(row[column])

    cells = [
        Cell(
            Period(2023, 1),
            None,
            closure=Closure(
                n("R5年度 4～6月実績"), n("R5年度 4～6月 遅れ"), n("R5年度 4～6月 前倒し"), 0, [], "seed"
            ),
        ),
    ]
    for q, months in ((2, "7～9月"), (3, "10～12月"), (4, "1～3月")):
        cells.append(
            Cell(
                Period(2023, q),
                n(f"R5年度 {months}予定"),
                n(f"R5年度 {months} 遅れ"),
                n(f"R5年度 {months} 前倒し"),
            )
        )
    cells.append(Cell(Period(2024), n("R6年度予定")))
    cells.append(Cell(Period(2025), n("R7年度予定")))
    return Ledger(
        bureau=str(row["局"]),
        order=order,
        before=n("R3年5月まで実績"),
        group1=n("R3年6月～R5年3月 グループ1実績"),
        priority=n("R3年6月～R5年3月 重要取組実績"),
        not_scheduled=n("重要取組未実施"),
        individual=n("個別対応が必要な手続き"),
        note=str(row.get("備考") or ""),
        cells=cells,
    )


# --- parsing what a card submits -------------------------------------------------------------------


def parse_count(text: Any, *, required: bool) -> tuple[int | None, str]:
    """An ``Input.Number`` value (it arrives as a string): a whole number, 0 or more, up to
    :data:`MAX_COUNT` (the shared parser: ``12件`` and ``１２`` are 12). Returns ``(value, "")``
    or ``(None, Japanese error)``."""
    return parse_number(text, required=required, max_digits=len(str(MAX_COUNT)), maximum=MAX_COUNT)


def clean_reason(text: Any) -> str:
    reason = " ".join(unicodedata.normalize("NFKC", "" if text is None else str(text)).split())
    return mask_my_number(reason)


def _reason_problem(reason: str, correction: bool, shortfall: int, below_plan: str) -> str | None:
    """What is wrong with the reason given for a report, if anything: a correction of a closed
    period and a result short of the plan (``below_plan`` says so) need one, and it has a limit."""
    if correction and not reason:
        return "締め済みの期間の訂正には理由が必要です"
    if shortfall > 0 and not reason:
        return below_plan
    if len(reason) > MAX_REASON_CHARS:
        return f"{MAX_REASON_CHARS}文字以内で入力してください"
    return None


@dataclass(frozen=True)
class ImportResult:
    fiscal_year: int
    bureaus: int
    changed: tuple[str, ...]
    added: tuple[str, ...]
    procedure_bureaus: tuple[str, ...]

    @property
    def summary(self) -> str:
        parts = [f"令和{self.fiscal_year - 2018}年度の表を取り込みました（{self.bureaus}局）。"]
        parts.append(
            f"変更があった局: {len(self.changed)}"
            + (f"（{'、'.join(self.changed)}）" if self.changed else "")
        )
        if self.added:
            parts.append(f"新しい局: {'、'.join(self.added)}")
        if self.procedure_bureaus:
            parts.append(f"手続きごとの記録: {'、'.join(self.procedure_bureaus)}")
        return "\n".join(parts)


# --- the service ---------------------------------------------------------------------------------------


class OnlineProceduresService:
    """Reads, writes and alerts of the online-procedures programme.

    ``alert_days`` (N) and ``escalation_days`` (M) are the settings
    ``ONLINE_PROCEDURES_ALERT_DAYS`` and ``ONLINE_PROCEDURES_ESCALATION_DAYS``.
    """

    def __init__(
        self,
        store: TableStore,
        clock: Callable[[], datetime],
        *,
        alert_days: int = DEFAULT_ALERT_DAYS,
        escalation_days: int = DEFAULT_ESCALATION_DAYS,
        audit: AuditLog | None = None,
        seed_rows: Callable[[], Iterable[Mapping[str, Any]]] | None = None,
    ):
        if alert_days < 1 or escalation_days < 1:
            raise ValueError("alert_days and escalation_days must be 1 or more")
        self._store = store
        self._clock = clock
        self.alert_days = alert_days
        self.escalation_days = escalation_days
        self._audit = audit or AuditLog(store, clock)
        self._seed_rows = seed_rows or _stored_seed_rows(store)
        self._memo = EtagMemo()  # summaries by the bureaus' ETags: recomputed after any write

    # --- loading ---------------------------------------------------------------------------------

    def _bureau_entities(self) -> list[Entity]:
        """Every bureau's stored entity, in the table's order (created from the seed on first use)."""
        entities = list(self._store.query(TABLE, PARTITION, {"kind": "bureau"}))
        if not entities:
            self._initialise()
            entities = list(self._store.query(TABLE, PARTITION, {"kind": "bureau"}))
        return sorted(entities, key=lambda e: (int(e["order"]), e["name"]))

    def ledgers(self) -> list[Ledger]:
        """Every bureau's stored ledger, in the table's order (created from the seed on first use)."""
        return [ledger_from_entity(e) for e in self._bureau_entities()]

    def _initialise(self) -> None:
        rows = [r for r in self._seed_rows() if str(r["局"]) != "総計"]
        now = self._clock()
        ops = [
            BatchOperation("insert", ledger_entity(ledger_from_seed_row(r, i + 1), now, "seed"))
            for i, r in enumerate(rows)
        ]
        if not ops:
            return
        try:
            self._store.batch(TABLE, ops)
        except BatchFailed as exc:
            if not isinstance(exc.cause, EntityExists):
                raise  # another instance initialised at the same time: theirs is as good

    def ledger(self, bureau: str) -> Ledger:
        entity = self._store.get(TABLE, PARTITION, bureau_row_key(bureau)) if _key_ok(bureau) else None
        if entity is None:
            if not any(True for _ in self._store.query(TABLE, PARTITION, {"kind": "bureau"})):
                self._initialise()
                return self.ledger(bureau)
            raise UnknownBureau(bureau)
        return ledger_from_entity(entity)

    def bureau_names(self) -> list[str]:
        return [str(e["name"]) for e in self._bureau_entities()]

    # --- reading (every read goes through the permission check) ------------------------------------

    def city_summary(self, viewer: Person, as_of: date) -> CitySummary:
        """全庁: published figures, readable by every member of staff."""
        require(viewer, Action.READ, Resource(ResourceKind.GENERAL))
        entities = self._bureau_entities()
        # computed again only when a bureau's ETag changed since (services.kernel.memo)
        return self._memo.get(
            ("city", as_of, self.alert_days), etags_of(entities), lambda: self._city_summary(entities, as_of)
        )

    def _city_summary(self, entities: list[Entity], as_of: date) -> CitySummary:
        summaries = tuple(
            self._memo.get(
                ("bureau", e.row_key, as_of, self.alert_days),
                etags_of([e]),
                lambda e=e: bureau_summary(ledger_from_entity(e), as_of, self.alert_days),
            )
            for e in entities
        )
        first = summaries[0].current
        total = summaries[0].progress
        for s in summaries[1:]:
            total = total + s.progress
        return CitySummary(as_of, first.period, first.state, first.closes_on, total, summaries)

    def bureau_summary(self, viewer: Person, bureau: str, as_of: date) -> BureauSummary:
        require(viewer, Action.READ, Resource(ResourceKind.ONLINE_PROCEDURES, bureau=bureau))
        return bureau_summary(self.ledger(bureau), as_of, self.alert_days)

    def may_submit(self, viewer: Person, bureau: str) -> bool:
        return check(viewer, Action.WRITE, Resource(ResourceKind.ONLINE_PROCEDURES, bureau=bureau)).allowed

    def may_read(self, viewer: Person, bureau: str) -> bool:
        return check(viewer, Action.READ, Resource(ResourceKind.ONLINE_PROCEDURES, bureau=bureau)).allowed

    @staticmethod
    def is_admin_for_all(viewer: Person) -> bool:
        """Admins only: a write on every bureau at once (corrections of closed periods, imports)."""
        return check(viewer, Action.WRITE, Resource(ResourceKind.ONLINE_PROCEDURES)).allowed

    def own_bureaus(self, viewer: Person) -> list[str]:
        """The bureaus whose actuals ``viewer`` may submit (all of them for an admin)."""
        return [b for b in self.bureau_names() if self.may_submit(viewer, b)]

    def readable_bureaus(self, viewer: Person) -> list[str]:
        return [b for b in self.bureau_names() if self.may_read(viewer, b)]

    def closed_periods(self, viewer: Person, bureau: str, as_of: date) -> list[Period]:
        """Closed periods an admin may correct, newest first."""
        if not self.is_admin_for_all(viewer):
            return []
        projected = project(self.ledger(bureau), as_of, self.alert_days)
        return [c.period for c in reversed(projected.cells) if c.closed]

    # --- the update form ------------------------------------------------------------------------------

    def update_form(
        self, actor: Actor, bureau: str, as_of: date, period_key: str = "", *, submission_id: str = ""
    ) -> UpdateForm:
        """The form for ``bureau``'s current period (or, for an admin, a closed one to correct)."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.ONLINE_PROCEDURES, bureau=bureau))
        ledger = self.ledger(bureau)
        projected = project(ledger, as_of, self.alert_days)
        i = self._reportable_index(actor.person, projected, period_key, as_of)
        return self._form(ledger, projected, i, as_of, submission_id or new_submission_id())

    def _reportable_index(self, person: Person, projected: Ledger, period_key: str, as_of: date) -> int:
        if period_key:
            try:
                i = projected.index(Period.from_key(period_key))
            except (KeyError, ValueError):
                raise NotReportable("その期間はこの局の表にありません。") from None
        else:
            i = projected.current_index()
        state = projected.state(i, as_of)
        period = projected.cells[i].period
        if state is PeriodState.UPCOMING:
            raise NotReportable(
                f"{period.label}はまだ始まっていないため、実績は入力できません（{period.start.month}月"
                f"{period.start.day}日から）。"
            )
        if state is PeriodState.WAITING:
            previous = projected.cells[i - 1].period
            raise NotReportable(
                f"{period.label}の実績は、{previous.label}の締め（"
                f"{_md(closing_day(previous, self.alert_days))}）のあとに入力できます。"
            )
        if state is PeriodState.CLOSED:  # corrections: admins only (a write on every bureau)
            require(person, Action.WRITE, Resource(ResourceKind.ONLINE_PROCEDURES))
        return i

    def _form(
        self,
        ledger: Ledger,
        projected: Ledger,
        i: int,
        as_of: date,
        submission_id: str,
        *,
        values: Mapping[str, str] | None = None,
        errors: Mapping[str, str] | None = None,
        notice: str = "",
    ) -> UpdateForm:
        status = period_status(projected, i, as_of, self.alert_days)
        correction = status.state is PeriodState.CLOSED
        filled = dict(values or {})
        if not values and status.report is not None and ledger.source is Source.COUNTS:
            filled = {
                FIELD_DONE: str(status.report.done),
                FIELD_DELAYED: str(status.report.delayed),
                FIELD_ADVANCED: str(status.report.advanced),
                FIELD_REASON: status.report.reason if not correction else "",
            }
        choices, more = self._choices(ledger, projected, i) if ledger.source is Source.PROCEDURES else ((), 0)
        if not values and choices:
            filled.setdefault(FIELD_PROCEDURES, ",".join(c.id for c in choices if c.done_here))
            report = ledger.proc_reports.get(status.period.key)
            if report and not correction:
                filled.setdefault(FIELD_REASON, report.reason)
        return UpdateForm(
            bureau=ledger.bureau,
            source=ledger.source,
            status=status,
            etag=ledger.etag or "",
            submission_id=submission_id,
            correction=correction,
            values=filled,
            errors=dict(errors or {}),
            notice=notice,
            choices=choices,
            more_choices=more,
        )

    def _choices(self, ledger: Ledger, projected: Ledger, i: int) -> tuple[tuple[ProcedureChoice, ...], int]:
        period = projected.cells[i].period
        first_open = projected.current_index()
        found: list[ProcedureChoice] = []
        for p in ledger.procedures:
            if p.status is Status.INDIVIDUAL:
                continue
            done_here = p.done and p.completed_on is not None and period.start <= p.completed_on <= period.end
            if p.done and not done_here:
                continue
            if not p.done and p.planned is None and not p.important:
                continue
            planned = index_of_period(projected.cells, p.planned)
            delayed = planned is not None and planned < first_open
            found.append(ProcedureChoice(p.id, p.name, p.section, p.planned, bool(delayed), done_here))

        def rank(c: ProcedureChoice) -> tuple:
            due = c.planned is not None and c.planned <= period
            return (not c.done_here, not c.delayed, not due, c.planned or Period(9999), c.section, c.name)

        found.sort(key=rank)
        return tuple(found[:MAX_CHOICES]), max(0, len(found) - MAX_CHOICES)

    # --- submitting -----------------------------------------------------------------------------------

    def submit(self, actor: Actor, data: Mapping[str, Any], as_of: date) -> SubmitResult:
        """Save what an update card submitted. Raises :class:`FormRejected` (the card again, with
        errors, or with the new figures after a conflict), :class:`NotReportable`, or
        :class:`~services.people.permissions.Forbidden`. The same card submitted twice saves once."""
        bureau = str(data.get("bureau") or "")
        period_key = str(data.get("period") or "")
        submission_id = str(data.get("submission") or "")
        shown_etag = str(data.get("etag") or "")
        require(actor.person, Action.WRITE, Resource(ResourceKind.ONLINE_PROCEDURES, bureau=bureau))
        if not _valid_submission_id(submission_id):
            raise NotReportable("このカードは古いか壊れています。もう一度「実績を入力」から開いてください。")
        ledger = self.ledger(bureau)
        values = {k: str(data.get(k) if data.get(k) is not None else "") for k in FIELDS}
        submission = self._submission(actor, submission_id, bureau, period_key, values)
        duplicate = self._duplicate(submission, ledger, as_of)
        if duplicate is not None:
            return duplicate
        projected = project(ledger, as_of, self.alert_days)
        i = self._reportable_index(actor.person, projected, period_key, as_of)
        if shown_etag != (ledger.etag or ""):
            raise FormRejected(
                self._form(
                    ledger,
                    projected,
                    i,
                    as_of,
                    submission_id,
                    values=values,
                    notice="ほかの方が先にこの局の実績を更新しました。最新の値を表示しています。内容を確認して、もう一度送信してください。",
                )
            )
        if ledger.source is Source.PROCEDURES:
            new_ledger, errors = self._apply_procedures(actor, ledger, projected, i, values, as_of)
        else:
            new_ledger, errors = self._apply_counts(actor, projected, i, values)
        if errors:
            raise FormRejected(
                self._form(ledger, projected, i, as_of, submission_id, values=values, errors=errors)
            )
        assert new_ledger is not None
        return self._save(actor, ledger, projected, new_ledger, i, submission, values, as_of)

    @property
    def _markers(self) -> SubmissionMarkers:
        return SubmissionMarkers(self._store, TABLE, PARTITION, SUBMISSION_PREFIX)

    @staticmethod
    def _submission(
        actor: Actor, submission_id: str, bureau: str, period_key: str, values: Mapping[str, str]
    ) -> Submission:
        """This sending of the card (``services.kernel.submissions``): the record is the bureau,
        the values are the period and the fields (counts as the parser reads them, procedures as a set)."""
        normal: dict[str, Any] = {"period": period_key, FIELD_REASON: clean_reason(values.get(FIELD_REASON))}
        for name in (FIELD_DONE, FIELD_DELAYED, FIELD_ADVANCED):
            count, error = parse_count(values.get(name), required=False)
            normal[name] = values.get(name, "") if error else count
        chosen = {x.strip() for x in values.get(FIELD_PROCEDURES, "").split(",")}
        normal[FIELD_PROCEDURES] = sorted(chosen - {""})
        return Submission(submission_id, actor.object_id, bureau, normal)

    def _duplicate(self, submission: Submission, ledger: Ledger, as_of: date) -> SubmitResult | None:
        """The stored answer when ``submission`` is a retry of one already saved: the same person,
        the same bureau and the same values. A marker of anybody or anything else is never used."""
        marker = self._markers.find(submission)
        if marker is None:
            return None
        stored = json.loads(marker.result)
        changes = tuple(Change(c["label"], c["before"], c["after"]) for c in stored.get("changes", []))
        return SubmitResult(
            ledger.bureau,
            Period.from_key(stored["period"]),
            changes,
            bureau_summary(ledger, as_of, self.alert_days),
            duplicate=True,
        )

    def _apply_counts(
        self, actor: Actor, projected: Ledger, i: int, values: Mapping[str, str]
    ) -> tuple[Ledger | None, dict[str, str]]:
        cell = projected.cells[i]
        correction = cell.closed
        errors: dict[str, str] = {}
        done, error = parse_count(values[FIELD_DONE], required=True)
        if error:
            errors[FIELD_DONE] = error
        delayed, error = parse_count(values[FIELD_DELAYED], required=False)
        if error:
            errors[FIELD_DELAYED] = error
        advanced, error = parse_count(values[FIELD_ADVANCED], required=False)
        if error:
            errors[FIELD_ADVANCED] = error
        reason = clean_reason(values[FIELD_REASON])
        if errors:
            return None, errors
        assert done is not None and delayed is not None and advanced is not None
        work = projected.copy()
        target = work.cells[i]
        if target.plan is None and target.closure is not None:  # the seed's actual-only period
            target.plan = target.closure.done - target.closure.advanced
        plan = target.plan if target.plan is not None else done - advanced
        carried = target.plan_delayed
        if delayed > done:
            errors[FIELD_DELAYED] = f"完了した件数（{done}件）以下で入力してください"
        elif delayed > carried:
            errors[FIELD_DELAYED] = (
                f"この期間に繰り越された遅れは{carried}件です。{carried}件以下で入力してください"
                if carried
                else "この期間に繰り越された遅れはありません。0 にしてください"
            )
        if advanced > done - min(delayed, done):
            errors[FIELD_ADVANCED] = "遅れ分と前倒し分の合計が、完了した件数を超えています"
        elif done - advanced > plan:
            errors[FIELD_ADVANCED] = (
                f"予定（{plan}件）を超えて完了した分は前倒しとして入力してください（{done - plan}件以上）"
            )
        elif advanced > available_for_advance(work, i) + _given_back(target):
            errors[FIELD_ADVANCED] = (
                f"前倒しできるのは、以降の予定と重要取組未実施の合計"
                f"（{available_for_advance(work, i)}件）までです"
            )
        shortfall = plan - (done - advanced)
        if not errors:
            below_plan = f"予定（{plan}件）を下回るため、理由を入力してください"
            problem = _reason_problem(reason, correction, shortfall, below_plan)
            if problem:
                errors[FIELD_REASON] = problem
        if errors:
            return None, errors
        new_report = Report(
            done,
            delayed,
            advanced,
            reason,
            self._clock().isoformat(),
            actor.object_id,
            actor.name,
            correction=correction,
        )
        if correction:
            try:
                correct(work, i, new_report)
            except Inconsistent as exc:
                return None, {FIELD_DONE: str(exc)}
        else:
            target.report = new_report
        return work, {}

    def _apply_procedures(
        self, actor: Actor, ledger: Ledger, projected: Ledger, i: int, values: Mapping[str, str], as_of: date
    ) -> tuple[Ledger | None, dict[str, str]]:
        cell = projected.cells[i]
        period = cell.period
        correction = cell.closed
        choices, _ = self._choices(ledger, projected, i)
        offered = {c.id: c for c in choices}
        selected = [s for s in (x.strip() for x in values[FIELD_PROCEDURES].split(",")) if s]
        unknown = [s for s in selected if s not in offered]
        if unknown:
            return None, {FIELD_PROCEDURES: "一覧にない手続きが選ばれています。カードを開き直してください"}
        reason = clean_reason(values[FIELD_REASON])
        completed_on = min(as_of, period.end)
        chosen = set(selected)
        procedures = []
        for p in ledger.procedures:
            choice = offered.get(p.id)
            if choice is not None and p.id in chosen and not choice.done_here:
                p = _replace(p, status=Status.DONE, completed_on=completed_on)
            elif choice is not None and choice.done_here and p.id not in chosen:
                p = _replace(p, status=Status.IN_PROGRESS, completed_on=None)
            procedures.append(p)
        work = ledger.copy()
        work.procedures = procedures
        after = project(work, as_of, self.alert_days)
        after_cell = after.cells[after.index(period)]
        if after_cell.closure is not None:
            c = after_cell.closure
            shortfall = c.shortfall
        else:
            report = after_cell.report or Report(0)
            shortfall = (after_cell.plan or 0) - (report.done - report.advanced)
        below_plan = f"予定に対して{shortfall}件が未完了のため、理由を入力してください"
        problem = _reason_problem(reason, correction, shortfall, below_plan)
        if problem:
            return None, {FIELD_REASON: problem}
        work.proc_reports[period.key] = Report(
            0,
            reason=reason,
            at=self._clock().isoformat(),
            by_id=actor.object_id,
            by_name=actor.name,
            correction=correction,
        )
        return work, {}

    def _save(
        self,
        actor: Actor,
        ledger: Ledger,
        projected: Ledger,
        new_ledger: Ledger,
        i: int,
        submission: Submission,
        values: Mapping[str, str],
        as_of: date,
    ) -> SubmitResult:
        period = projected.cells[i].period
        submission_id = submission.card_id
        before = bureau_summary(ledger, as_of, self.alert_days)
        stored = new_ledger
        stored.version = ledger.version + 1
        stored.etag = ledger.etag
        after = bureau_summary(stored, as_of, self.alert_days)
        changes = _changes(before, after, period)
        now = self._clock()
        result = json.dumps(
            {"period": period.key, "changes": [asdict(c) for c in changes]}, ensure_ascii=False
        )
        marker = self._markers.insert(
            submission, result, now, bureau=ledger.bureau, period=period.key, by=actor.object_id
        )
        entity = ledger_entity(stored, now, actor.name)
        reason = clean_reason(values.get(FIELD_REASON, ""))
        operation = "correct" if projected.cells[i].closed else "update"
        audit = AuditChange(
            AUDIT_KIND,
            f"{ledger.bureau}/{period.key}",
            operation,
            {c.label: c.before for c in changes},
            {c.label: c.after for c in changes},
            reason,
        )

        def write() -> None:
            self._store.batch(TABLE, [marker, BatchOperation("upsert", entity, etag=ledger.etag)])

        try:
            self._audit.apply(actor, [audit], write)
        except BatchFailed as exc:
            if isinstance(exc.cause, EntityExists | ETagMismatch | EntityNotFound):
                # the same retry saved at the same moment (its marker won): answer it as saved
                duplicate = self._duplicate(submission, self.ledger(ledger.bureau), as_of)
                if duplicate is not None:
                    return duplicate
            if isinstance(exc.cause, ETagMismatch | EntityNotFound):
                fresh = self.ledger(ledger.bureau)
                fresh_projected = project(fresh, as_of, self.alert_days)
                raise FormRejected(
                    self._form(
                        fresh,
                        fresh_projected,
                        fresh_projected.index(period),
                        as_of,
                        submission_id,
                        values={k: values.get(k, "") for k in FIELDS},
                        notice="ほかの方が同時にこの局の実績を更新しました。最新の値を表示しています。"
                        "内容を確認して、もう一度送信してください。",
                    )
                ) from None
            raise
        saved = self.ledger(ledger.bureau)
        return SubmitResult(ledger.bureau, period, changes, bureau_summary(saved, as_of, self.alert_days))

    # --- alerts -----------------------------------------------------------------------------------

    def due_alerts(self, as_of: date) -> list[DelayAlert]:
        """The delay alerts and escalations that should have gone out by ``as_of``. Sends nothing.

        For the most recently closed period: each bureau still late (carried-over procedures not
        yet reported done) is due an alert to its DX PRO channel from the closing day, and an
        escalation to its manager ``escalation_days`` business days later. Their natural keys are
        ``(job, bureau, period)``: the caller records them insert-if-absent before sending."""
        alerts: list[DelayAlert] = []
        for ledger in self.ledgers():
            projected = project(ledger, as_of, self.alert_days)
            closed = [c for c in projected.cells if c.closed]
            if not closed:
                continue
            last = max(closed, key=lambda c: c.period.end)
            alert_day = closing_day(last.period, self.alert_days)
            if alert_day > as_of:
                continue  # closed by the seed or an import before its closing day
            late = outstanding_delays(projected)
            if not late:
                continue
            procedures = (
                tuple(delayed_procedures(ledger, projected, self.alert_days))
                if ledger.source is Source.PROCEDURES
                else ()
            )
            current = projected.cells[projected.current_index()].period
            shortfall = last.closure.shortfall if last.closure else 0
            alert = DelayAlert(
                JOB_DELAY,
                bureau=ledger.bureau,
                period=last.period,
                due_on=alert_day,
                escalation=False,
                target=AlertTarget.DX_PRO_CHANNEL,
                delayed=late,
                shortfall=shortfall,
                source=ledger.source,
                delayed_procedures=procedures,
                current=current,
            )
            alerts.append(alert)
            escalate_on = add_business_days(alert_day, self.escalation_days)
            if escalate_on <= as_of:
                alerts.append(
                    replace(
                        alert,
                        job=JOB_ESCALATION,
                        due_on=escalate_on,
                        escalation=True,
                        target=AlertTarget.MANAGER,
                    )
                )
        return alerts

    # --- writing whole ledgers (the Excel import) ------------------------------------------------------

    # --- the table and Excel -----------------------------------------------------------------------

    def table(self, viewer: Person, as_of: date) -> TableView:
        """The live table (the year being reported now), in the material's layout."""
        require(viewer, Action.READ, Resource(ResourceKind.GENERAL))
        return live_table(self.ledgers(), as_of, self.alert_days)

    def seed_table(self, viewer: Person) -> TableView:
        """The meeting material's table exactly as seeded (令和5年8月8日)."""
        require(viewer, Action.READ, Resource(ResourceKind.GENERAL))
        from services.kernel.seed import read_online_procedures

        return seed_table(read_online_procedures(self._store))

    def export_xlsx(self, viewer: Person, as_of: date, *, seed: bool = False) -> bytes:
        """The table as .xlsx; an admin's file also lists the procedure-level records (手続き一覧)."""
        table = self.seed_table(viewer) if seed else self.table(viewer, as_of)
        procedures = None
        if not seed and self.is_admin_for_all(viewer):
            procedures = {x.bureau: x.procedures for x in self.ledgers() if x.source is Source.PROCEDURES}
        return workbook_bytes(table, procedures)

    def import_xlsx(self, actor: Actor, data: bytes, as_of: date, filename: str = "") -> ImportResult:
        """Replace the table with an updated one in the same layout (admins only), all or nothing.

        Refused whole (:class:`~services.online_procedures.excel.ImportRefused`, every bad cell
        named) unless it is the current year's table, every bureau is there, every row and column
        adds up as in the seed, closed quarters are 実績 and open ones 予定, and the rows of
        procedure-level bureaus equal what their records give. Recorded in the audit trail."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.ONLINE_PROCEDURES))
        parsed = parse_workbook(data)
        ledgers = self.ledgers()
        year = current_table_year(ledgers, as_of, self.alert_days)
        live = live_table(ledgers, as_of, self.alert_days)
        issues: list[CellIssue] = []
        if parsed.fiscal_year != year:
            raise ImportRefused(
                [
                    CellIssue(
                        parsed.cell("q1", 1),
                        f"取り込めるのは現在の表（令和{year - 2018}年度）です。"
                        f"この表は令和{parsed.fiscal_year - 2018}年度です。"
                        "ボットで「Excelで出力」した表に書き込んでください",
                    )
                ]
            )
        for q in (1, 2, 3, 4):
            want = live.columns[live.column_index(f"q{q}")].label
            got = parsed.columns[next(i for i, c in enumerate(parsed.columns) if c.key == f"q{q}")].label
            if want != got:
                state = "締め済みなので「実績」" if want.endswith("実績") else "まだ締めていないので「予定」"
                issues.append(
                    CellIssue(parsed.cell(f"q{q}", 2), f"この四半期は{state}にしてください（{want}）")
                )
        names = {r.bureau for r in parsed.rows}
        issues += [
            CellIssue("", f"「{x.bureau}」の行がありません（局を表から外すことはできません）")
            for x in ledgers
            if x.bureau not in names
        ]
        old = {x.bureau: x for x in ledgers}
        live_rows = {r.bureau: r for r in live.rows}
        new: list[Ledger] = []
        unchanged: set[str] = set()
        for order, row in enumerate(parsed.rows, start=1):
            previous = old.get(row.bureau)
            procedures = (parsed.procedures or {}).get(row.bureau)
            if procedures is None and previous is not None and previous.source is Source.PROCEDURES:
                procedures = previous.procedures
            shown = live_rows.get(row.bureau)
            if (
                previous is not None
                and shown is not None
                and previous.order == order
                and (parsed.procedures or {}).get(row.bureau) is None
                and previous.note == row.note
                and shown.figures == tuple(row.figures[c.key] for c in live.columns)
            ):
                unchanged.add(row.bureau)  # kept as it is: reports, reasons and history included
                new.append(previous)
                continue
            if procedures is not None:
                ledger = _procedure_ledger(previous, row.bureau, order, procedures, row.note)
                derived = ledger_row(project(ledger, as_of, self.alert_days), year)
                for column in parsed.columns:
                    want_figure, got_figure = derived[column.key], row.figures[column.key]
                    if want_figure != got_figure:
                        issues.append(
                            CellIssue(
                                parsed.cell(column.key, row.row),
                                f"{row.bureau}は手続きごとの記録から集計します。"
                                f"記録からは「{want_figure.text or 0}」です"
                                f"（表は「{got_figure.text or 0}」）",
                            )
                        )
            else:
                ledger = _counts_ledger(previous, row, order, parsed)
            new.append(ledger)
        if issues:
            raise ImportRefused(issues)
        for ledger in new:
            previous = old.get(ledger.bureau)
            if ledger.bureau not in unchanged:
                ledger.version = previous.version + 1 if previous else 1
        before_rows = {r.bureau: r for r in live.rows}
        after_table = live_table(new, as_of, self.alert_days)
        titles = [c.title for c in after_table.columns]
        changed, added, changes = [], [], []
        for row in after_table.rows:
            old_row = before_rows.get(row.bureau)
            after = {t: f.text for t, f in zip(titles, row.figures, strict=True)}
            if old_row is None:
                added.append(row.bureau)
                changes.append(AuditChange(AUDIT_KIND, row.bureau, "import", None, after, filename))
            elif (
                old_row.figures != row.figures
                or old_row.note != row.note
                or (old[row.bureau].source is not next(x.source for x in new if x.bureau == row.bureau))
            ):
                changed.append(row.bureau)
                before = {t: f.text for t, f in zip(titles, old_row.figures, strict=True)}
                changes.append(AuditChange(AUDIT_KIND, row.bureau, "import", before, after, filename))
        procedure_bureaus = tuple(x.bureau for x in new if x.source is Source.PROCEDURES)
        changes.insert(
            0,
            AuditChange(
                AUDIT_KIND,
                "table",
                "import",
                None,
                {
                    "年度": f"令和{year - 2018}年度",
                    "局": len(new),
                    "変更": changed,
                    "追加": added,
                    "手続きごとの記録": list(procedure_bureaus),
                },
                f"Excel の取込（{filename or 'ファイル名なし'}）",
            ),
        )
        self.replace_ledgers(actor, ledgers, [x for x in new if x.bureau not in unchanged], changes)
        return ImportResult(year, len(new), tuple(changed), tuple(added), procedure_bureaus)

    def replace_ledgers(
        self, actor: Actor, old: Sequence[Ledger], new: Sequence[Ledger], changes: Sequence[AuditChange]
    ) -> None:
        """Write ``new`` in one batch, each bureau with the ETag it had in ``old`` (admins only)."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.ONLINE_PROCEDURES))
        if len(new) + 1 > MAX_AUDITED_OPERATIONS:
            raise OnlineProceduresError(f"局が多すぎます（{MAX_AUDITED_OPERATIONS - 1}局まで）。")
        etags = {x.bureau: x.etag for x in old}
        now = self._clock()
        ops = [
            BatchOperation(
                "insert",
                Entity(
                    PARTITION,
                    IMPORT_PREFIX + new_submission_id(),
                    {"kind": "import", "at": now, "by": actor.object_id, "bureaus": len(new)},
                ),
            )
        ]
        payload = 0
        for ledger in new:
            etag = etags.get(ledger.bureau)
            entity = ledger_entity(ledger, now, actor.name)
            payload += sum(2 * len(v) for k, v in entity.properties.items() if k.startswith("doc"))
            ops.append(
                BatchOperation("upsert", entity, etag=etag) if etag else BatchOperation("insert", entity)
            )
        if payload > MAX_BATCH_PAYLOAD_BYTES:  # Azure refuses a batch request over 4 MiB
            raise OnlineProceduresError(
                "表と手続きの記録が大きすぎて一度に取り込めません。手続き一覧を局ごとに分けて取り込んでください。"
            )

        def write() -> None:
            self._store.batch(TABLE, ops)

        try:
            self._audit.apply(actor, list(changes), write)
        except BatchFailed as exc:
            if isinstance(exc.cause, ETagMismatch | EntityNotFound | EntityExists):
                raise OnlineProceduresError(
                    "取り込みの途中で、ほかの方が実績を更新しました。何も変更していません。もう一度取り込んでください。"
                ) from None
            raise


def _procedure_ledger(
    previous: Ledger | None, bureau: str, order: int, procedures: Sequence[Procedure], note: str
) -> Ledger:
    """A bureau that keeps procedure-level records: every figure is derived from them."""
    ledger = Ledger(
        bureau=bureau, order=order, source=Source.PROCEDURES, note=note, procedures=list(procedures)
    )
    if previous is not None:
        ledger.proc_reports = dict(previous.proc_reports)
        ledger.history = list(previous.history) if previous.source is Source.PROCEDURES else []
        ledger.etag = previous.etag
    return ledger


def _counts_ledger(previous: Ledger | None, row: Any, order: int, parsed: Any) -> Ledger:
    """A counted bureau from an imported row: the table's year and the two after it."""
    year = parsed.fiscal_year
    f = row.figures
    ledger = Ledger(
        bureau=row.bureau,
        order=order,
        source=Source.COUNTS,
        base_year=year,
        before=f["before"].value,
        group1=f["group1"].value,
        priority=f["priority"].value,
        earlier=f["earlier"].value if "earlier" in f else 0,
        not_scheduled=f["not_scheduled"].value,
        individual=f["individual"].value,
        note=row.note,
    )
    old_cells = {c.period: c for c in previous.cells} if previous is not None else {}
    if previous is not None:
        ledger.etag = previous.etag
        ledger.history = list(previous.history)
        if previous.source is Source.COUNTS:
            ledger.history += [c for c in previous.cells if c.period.fiscal_year < year and c.closed]
    for q in (1, 2, 3, 4):
        figure = f[f"q{q}"]
        period = Period(year, q)
        kept = old_cells.get(period)
        if kept is not None and kept.figure == figure and kept.closed == parsed.closed[q - 1]:
            ledger.cells.append(kept)  # unchanged: its report, reason and closure stay
        elif parsed.closed[q - 1]:
            ledger.cells.append(
                Cell(
                    period,
                    None,
                    closure=Closure(figure.value, figure.delayed, figure.advanced, 0, [], "import"),
                )
            )
        else:
            old = old_cells.get(period)
            report = old.report if old is not None and not old.closed else None
            ledger.cells.append(Cell(period, figure.value, figure.delayed, figure.advanced, report))
    for offset, key in ((1, "next1"), (2, "next2")):
        figure = f[key]
        fy = year + offset
        quarters = [old_cells.get(Period(fy, q)) for q in (1, 2, 3, 4)]
        if (
            all(c is not None and not c.closed for c in quarters)
            and sum((c.figure for c in quarters if c is not None), Figure()) == figure
            and (offset == 1 or not any(p.fiscal_year > fy for p in old_cells))
        ):
            ledger.cells += [Cell(c.period, c.plan, c.plan_delayed, c.plan_advanced) for c in quarters if c]
        else:
            ledger.cells.append(Cell(Period(fy), figure.value, figure.delayed, figure.advanced))
    return ledger


def _given_back(cell: Cell) -> int:
    """What a closed period's old 前倒し would give back to the later plans on a correction."""
    if cell.closure is None:
        return 0
    return sum(taken for key, taken, _ in cell.closure.took if key != "new")


def _replace(p: Procedure, **changes: Any) -> Procedure:
    return replace(p, **changes)


def _md(day: date) -> str:
    weekdays = "月火水木金土日"
    return f"{day.month}月{day.day}日（{weekdays[day.weekday()]}）"


def _key_ok(bureau: str) -> bool:
    try:
        validate_key("RowKey", bureau_row_key(bureau))
        return True
    except Exception:
        return False


def _report_text(report: Any) -> str:
    if report is None:
        return "未報告"
    text = f"{report.done}件"
    notes = []
    if report.delayed:
        notes.append(f"うち遅れ分 {report.delayed}")
    if report.advanced:
        notes.append(f"うち前倒し {report.advanced}")
    return text + (f"（{'、'.join(notes)}）" if notes else "")


def _changes(before: BureauSummary, after: BureauSummary, period: Period) -> tuple[Change, ...]:
    def status_of(summary: BureauSummary):
        if summary.current.period == period:
            return summary.current.report, summary.current.plan
        row = next((h for h in summary.history if h.period == period and not h.superseded), None)
        if row is None:
            return None, 0
        return ReportView(row.done, row.done_delayed, row.done_advanced, row.reason), row.plan or 0

    (r0, plan0), (r1, plan1) = status_of(before), status_of(after)

    def short(report: Any, plan: int) -> str:
        if report is None:
            return "－"
        return f"{max(0, plan - (report.done - report.advanced))}件"

    rows = [
        Change(f"{period.short_label}の実績", _report_text(r0), _report_text(r1)),
        Change(f"{period.short_label}の予定に対する不足", short(r0, plan0), short(r1, plan1)),
        Change("局の完了（累計）", f"{before.progress.done:,}件", f"{after.progress.done:,}件"),
        Change("局の遅れ", f"{before.progress.delayed:,}件", f"{after.progress.delayed:,}件"),
    ]
    return tuple(rows)


def _stored_seed_rows(store: TableStore) -> Callable[[], list[Mapping[str, Any]]]:
    def rows() -> list[Mapping[str, Any]]:
        from services.kernel.seed import read_online_procedures

        frame = read_online_procedures(store)
        return [dict(zip(frame.columns, r, strict=True)) for r in frame.itertuples(index=False)]

    return rows


# --- the scheduler's ports (services.proactive.alerts, services.proactive.digest) ---------------------------

PROGRAMME_KEY = "online_procedures"


def as_due_alert(alert: DelayAlert) -> DueAlert:
    """A :class:`DelayAlert` for the delay-alert job; ``item`` keeps the alert for its card."""
    period = alert.period
    kind = "escalation" if alert.escalation else "delay"
    if alert.escalation:
        title = f"{alert.bureau}: {period.label}の遅れが解消されていません（{alert.delayed:,}件）"
        why = (
            f"{period.label}の締めから{alert.due_on.month}月{alert.due_on.day}日までに遅れが解消されなかったため、"
            "局の管理職の方にお知らせしています。"
        )
        next_step = "局の DX PRO と状況を確認し、遅れている手続きの対応予定を決めてください。"
    else:
        title = f"{alert.bureau}: {period.label}の締めで遅れがあります（{alert.delayed:,}件）"
        why = f"{period.label}が締まり、予定に対して遅れている手続きがあるため、"
        "DX PRO チャネルにお知らせしています。"
        next_step = "遅れていた手続きが完了したら、カードの「実績を入力」から報告してください。"
    facts = [("遅れている手続き", f"{alert.delayed:,}件")]
    if alert.shortfall:
        facts.append((f"うち{period.short_label}からの繰越", f"{alert.shortfall:,}件"))
    return DueAlert(
        key="|".join((PROGRAMME_KEY, alert.bureau, period.key, kind)),
        programme=PROGRAMME_KEY,
        bureau=alert.bureau,
        title=title,
        why=why,
        next_step=next_step,
        escalation=alert.escalation,
        subject="|".join((PROGRAMME_KEY, alert.bureau, period.key)),
        due=alert.due_on,
        facts=tuple(facts),
        item=alert,
    )


@dataclass(frozen=True)
class OnlineProceduresAlerts:
    """The AlertSource of this programme (``services.proactive.alerts``)."""

    service: OnlineProceduresService
    programme: str = PROGRAMME_KEY

    def due_alerts(self, as_of: date) -> list[DueAlert]:
        return [as_due_alert(a) for a in self.service.due_alerts(as_of)]


@dataclass(frozen=True)
class OnlineProceduresStatus:
    """The StatusSource of this programme (``services.proactive.digest``): its line in the digests."""

    service: OnlineProceduresService
    title: str = "行政手続きオンライン化"
    icon: str = "🌐"
    programme: str = PROGRAMME_KEY

    def status(self, as_of: date, bureau: str | None) -> ProgrammeStatus:
        viewer = system_actor("ダイジェスト", "digest").person  # reads go through the check, too
        if bureau is not None:
            try:
                one = self.service.bureau_summary(viewer, bureau, as_of)
            except UnknownBureau:
                return ProgrammeStatus(
                    self.programme,
                    self.title,
                    self.icon,
                    StatusLevel.NOT_TRACKED,
                    "この局はオンライン化の表にありません。",
                )
            p = one.progress
            items = tuple(
                StatusItem(f"{d.name}（{d.section}）", f"{d.planned.label} 予定", bureau=bureau)
                for d in one.delayed_procedures[:20]
            )
            if not items and p.delayed:
                items = (
                    StatusItem(f"遅れ {p.delayed:,}件", f"{one.current.period.label}に報告", bureau=bureau),
                )
            return ProgrammeStatus(
                self.programme,
                self.title,
                self.icon,
                StatusLevel.DELAYED if p.delayed else StatusLevel.ON_TRACK,
                _headline(p),
                items,
            )
        city = self.service.city_summary(viewer, as_of)
        late = sorted(city.delayed_bureaus, key=lambda b: -b.progress.delayed)
        return ProgrammeStatus(
            self.programme,
            self.title,
            self.icon,
            StatusLevel.DELAYED if city.progress.delayed else StatusLevel.ON_TRACK,
            _headline(city.progress),
            tuple(StatusItem(b.bureau, f"遅れ {b.progress.delayed:,}件", bureau=b.bureau) for b in late),
            chart_title="局別の遅れ（件）",
            chart=tuple(ChartPoint(b.bureau, b.progress.delayed) for b in late[:10]),
        )


def _headline(p: Any) -> str:
    rate = f"{p.done / p.forms_total * 100:.0f}%" if p.forms_total else "－"
    return f"帳票数 {p.forms_total:,}件のうち {p.done:,}件 完了（{rate}）・遅れ {p.delayed:,}件"
