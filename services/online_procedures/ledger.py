"""The arithmetic of 行政手続きオンライン化: one bureau's ledger, closed up to a date.

A bureau's **ledger** is the material's table row, kept per period:

- fixed done counts: R3年5月まで, R3年6月～R5年3月 (グループ1 / 重要取組), and, after a re-basing
  import, everything done in the fiscal years before the table's year (``earlier``);
- one **cell** per period from ``base_year`` on: a fiscal quarter, or a whole year when the year is
  planned only as a whole (the seed's R6/R7 columns). A cell holds its plan figure with its notes
  (``(遅れ N)``: N of the plan are carried-over delays; ``(前倒し N)``), the report of its actual if
  any, and once closed its **closure**;
- 重要取組未実施 (not scheduled), 個別対応が必要な手続き (outside 帳票数) and a note.

The invariant: 帳票数 = fixed + every closed cell's actual + every other cell's plan + 未実施.
Every operation below keeps it; the tests check it after each one.

**Closing.** A period closes on its closing day, ``close_days`` business days after its end. Until
then its actual may be reported (and re-reported); a report changes nothing else. On closing, with
the report (or, when nothing was reported, an actual of 0):

- what was done beyond the plan counts as 前倒し (brought forward);
- the 前倒し procedures are taken out of later plans, nearest first (the part of a plan that is not
  itself a carried delay first), then out of 重要取組未実施;
- the shortfall, plan − (done − 前倒し), is added to the next period's plan as 遅れ.

Closing happens *virtually* on every read (:func:`project` is a pure function of the stored
ledger and the date) and is stored with the next write of that bureau, so nothing needs a timer.

**Corrections.** An admin may correct a closed period (:func:`correct`): the new actual replaces
the old, and the change of its shortfall flows on through the later closed periods to the first
open one. A correction that would make a later period inconsistent (e.g. a later actual above its
new plan) is refused with :class:`Inconsistent`.

Procedure-level bureaus derive the same cells from their procedure records (:func:`derive`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from services.kernel.calendar import add_business_days
from services.online_procedures.models import (
    FIRST_TRACKED_FISCAL_YEAR,
    BureauSummary,
    DelayedProcedure,
    Figure,
    Group,
    HistoryRow,
    Period,
    PeriodState,
    PeriodStatus,
    Procedure,
    Progress,
    ReportView,
    Source,
    Status,
)

R3_JUNE = date(2021, 6, 1)
R5_APRIL = date(2023, 4, 1)
NOT_SCHEDULED = "unscheduled"  # the 重要取組未実施 "period" in a closure's ``took``
NEW_FORMS = "new"  # done beyond every remaining plan: the table grows by that many


class Inconsistent(ValueError):
    """An operation would break a later period (message in Japanese, for the user)."""


def closing_day(period: Period, close_days: int) -> date:
    """The first day on which ``period`` is closed: ``close_days`` business days after its end."""
    return add_business_days(period.end, close_days)


# --- the mutable working records ---------------------------------------------------------------


@dataclass
class Report:
    done: int
    delayed: int = 0
    advanced: int = 0
    reason: str = ""
    at: str = ""  # ISO datetime
    by_id: str = ""
    by_name: str = ""
    submission: str = ""
    correction: bool = False

    def view(self) -> ReportView:
        return ReportView(
            self.done,
            self.delayed,
            self.advanced,
            self.reason,
            self.by_name,
            datetime.fromisoformat(self.at) if self.at else None,
            self.correction,
        )


@dataclass
class Closure:
    done: int
    delayed: int
    advanced: int
    shortfall: int  # carried into the next period as 遅れ
    took: list[tuple[str, int, int]] = field(default_factory=list)  # (period key, plan, of it 遅れ)
    source: str = "auto"  # report | auto | seed | import | procedures
    reason: str = ""


@dataclass
class Cell:
    period: Period
    plan: int | None  # None: not known (an actual with no plan: the seed's 令和5年度 4～6月)
    plan_delayed: int = 0
    plan_advanced: int = 0
    report: Report | None = None
    closure: Closure | None = None

    @property
    def closed(self) -> bool:
        return self.closure is not None

    @property
    def figure(self) -> Figure:
        """What the table shows: the actual once closed, the plan before."""
        if self.closure is not None:
            return Figure(self.closure.done, self.closure.delayed, self.closure.advanced)
        return Figure(self.plan or 0, self.plan_delayed, self.plan_advanced)


@dataclass
class Ledger:
    bureau: str
    order: int
    source: Source = Source.COUNTS
    base_year: int = FIRST_TRACKED_FISCAL_YEAR
    before: int = 0  # R3年5月まで実績
    group1: int = 0  # R3年6月～R5年3月 グループ1実績
    priority: int = 0  # R3年6月～R5年3月 重要取組実績
    earlier: int = 0  # done in fiscal years before base_year (after a re-basing import)
    not_scheduled: int = 0  # 重要取組未実施
    individual: int = 0  # 個別対応が必要な手続き (not part of 帳票数)
    note: str = ""
    cells: list[Cell] = field(default_factory=list)
    history: list[Cell] = field(default_factory=list)  # superseded by a re-basing import
    procedures: list[Procedure] = field(default_factory=list)
    proc_reports: dict[str, Report] = field(default_factory=dict)  # procedure-level: reason per period
    version: int = 0
    etag: str | None = None

    # --- reading ------------------------------------------------------------------------------

    @property
    def fixed_done(self) -> int:
        return self.before + self.group1 + self.priority + self.earlier

    @property
    def forms_total(self) -> int:
        return self.fixed_done + sum(c.figure.value for c in self.cells) + self.not_scheduled

    def index(self, period: Period) -> int:
        for i, cell in enumerate(self.cells):
            if cell.period == period:
                return i
        raise KeyError(period.key)

    def find(self, period: Period) -> Cell | None:
        return next((c for c in self.cells if c.period == period), None)

    def current_index(self) -> int:
        """The first period that is not closed (there always is one after :func:`project`)."""
        return next(i for i, c in enumerate(self.cells) if not c.closed)

    def state(self, i: int, as_of: date) -> PeriodState:
        cell = self.cells[i]
        if cell.closed:
            return PeriodState.CLOSED
        if as_of < cell.period.start:
            return PeriodState.UPCOMING
        if i > 0 and not self.cells[i - 1].closed:
            return PeriodState.WAITING
        return PeriodState.OPEN

    def copy(self) -> Ledger:
        return copy.deepcopy(self)


# --- building cells --------------------------------------------------------------------------


def _next_period(period: Period) -> Period:
    if period.is_year or period.quarter == 4:
        return Period(period.fiscal_year + 1, 1)
    return Period(period.fiscal_year, period.quarter + 1)


def _append_year(ledger: Ledger, fiscal_year: int) -> None:
    ledger.cells.extend(Cell(Period(fiscal_year, q), 0) for q in (1, 2, 3, 4))


def extend_to(ledger: Ledger, fiscal_year: int) -> None:
    """Add empty quarterly years so that the cells reach ``fiscal_year``."""
    last = ledger.cells[-1].period.fiscal_year if ledger.cells else ledger.base_year - 1
    for year in range(last + 1, fiscal_year + 1):
        _append_year(ledger, year)


def _ensure_next(ledger: Ledger, i: int) -> int:
    if i + 1 == len(ledger.cells):
        _append_year(ledger, _next_period(ledger.cells[i].period).fiscal_year)
    return i + 1


# --- closing ---------------------------------------------------------------------------------


def _take_advance(ledger: Ledger, i: int, count: int) -> list[tuple[str, int, int]]:
    """Take ``count`` procedures done ahead of plan out of later plans (nearest first), then out of
    重要取組未実施. Whatever is left is a procedure nobody had planned: the table grows by it."""
    took: list[tuple[str, int, int]] = []
    for cell in ledger.cells[i + 1 :]:
        if count == 0:
            break
        if cell.closed or not cell.plan:
            continue
        taken = min(count, cell.plan)
        own = cell.plan - cell.plan_delayed  # take the part that is not a carried delay first
        taken_delayed = max(0, taken - own)
        cell.plan -= taken
        cell.plan_delayed -= taken_delayed
        cell.plan_advanced = min(cell.plan_advanced, cell.plan)
        took.append((cell.period.key, taken, taken_delayed))
        count -= taken
    if count and ledger.not_scheduled:
        taken = min(count, ledger.not_scheduled)
        ledger.not_scheduled -= taken
        took.append((NOT_SCHEDULED, taken, 0))
        count -= taken
    if count:
        took.append((NEW_FORMS, count, 0))
    return took


def available_for_advance(ledger: Ledger, i: int) -> int:
    """How many procedures could be brought forward into period ``i``: later plans and 未実施."""
    return sum(c.plan or 0 for c in ledger.cells[i + 1 :] if not c.closed) + ledger.not_scheduled


def close(ledger: Ledger, i: int, source: str | None = None) -> None:
    """Close period ``i`` with its report (or an actual of 0 when nothing was reported)."""
    cell = ledger.cells[i]
    report = cell.report or Report(0)
    plan = cell.plan if cell.plan is not None else report.done - report.advanced
    advanced = report.advanced
    if report.done - advanced > plan:
        advanced = report.done - plan  # done beyond the plan was brought forward
    delayed = min(report.delayed, report.done - advanced)
    shortfall = plan - (report.done - advanced)
    took = _take_advance(ledger, i, advanced) if advanced else []
    nxt = _ensure_next(ledger, i)
    if shortfall:
        adjust(ledger, nxt, shortfall, shortfall)
    cell.closure = Closure(
        report.done,
        delayed,
        advanced,
        shortfall,
        took,
        source or ("report" if cell.report else "auto"),
        report.reason,
    )


def adjust(ledger: Ledger, j: int, plan_delta: int, delayed_delta: int) -> None:
    """Change period ``j``'s plan (and its 遅れ part); through a closed period the change of its
    shortfall flows on to the next one."""
    if j >= len(ledger.cells):
        _ensure_next(ledger, j - 1)
    cell = ledger.cells[j]
    new_plan = (cell.plan or 0) + plan_delta
    new_delayed = cell.plan_delayed + delayed_delta
    if new_plan < 0 or not 0 <= new_delayed <= new_plan:
        raise Inconsistent(f"{cell.period.label}の予定が負の数になるため、この変更はできません。")
    if cell.closure is None:
        cell.plan, cell.plan_delayed = new_plan, new_delayed
        cell.plan_advanced = min(cell.plan_advanced, new_plan)
        return
    closure = cell.closure
    new_shortfall = closure.shortfall + plan_delta
    if cell.plan is None or new_shortfall < 0 or closure.delayed > new_delayed:
        raise Inconsistent(
            f"{cell.period.label}の実績と合わなくなるため、この変更はできません。"
            "先にその期間を訂正するか、Excel の取込で表を更新してください。"
        )
    cell.plan, cell.plan_delayed = new_plan, new_delayed
    closure.shortfall = new_shortfall
    if plan_delta:
        adjust(ledger, j + 1, plan_delta, plan_delta)


def correct(ledger: Ledger, i: int, report: Report) -> None:
    """Replace closed period ``i``'s actual with ``report`` (an admin's correction).

    Applied as one net change, so that no intermediate state has to be consistent: what the old
    closure took as 前倒し comes back, the new 前倒し is taken, and the change of the shortfall
    flows on through the later closed periods to the first open one."""
    cell = ledger.cells[i]
    old = cell.closure
    if old is None:
        raise ValueError("only a closed period can be corrected")
    if cell.plan is None:  # the seed's actual-only period: its plan was what it did on plan
        cell.plan = old.done - old.advanced
    for key, taken, taken_delayed in old.took:
        if key == NOT_SCHEDULED:
            ledger.not_scheduled += taken
        elif key != NEW_FORMS:
            adjust(ledger, ledger.index(Period.from_key(key)), taken, taken_delayed)
    plan = cell.plan
    advanced = max(report.advanced, report.done - plan)
    delayed = min(report.delayed, report.done - advanced)
    shortfall = plan - (report.done - advanced)
    took = _take_advance(ledger, i, advanced) if advanced else []
    delta = shortfall - old.shortfall
    if delta:
        adjust(ledger, i + 1, delta, delta)
    cell.report = report
    cell.closure = Closure(report.done, delayed, advanced, shortfall, took, "report", report.reason)


def project(ledger: Ledger, as_of: date, close_days: int) -> Ledger:
    """The ledger as it stands on ``as_of``: every period whose closing day has come is closed.

    Pure: the stored ledger is not changed. Procedure-level ledgers are derived instead."""
    if ledger.source is Source.PROCEDURES:
        return derive(ledger, as_of, close_days)
    work = ledger.copy()
    extend_to(work, max(as_of.year if as_of.month >= 4 else as_of.year - 1, work.base_year))
    i = 0
    while i < len(work.cells):
        cell = work.cells[i]
        if not cell.closed:
            if closing_day(cell.period, close_days) > as_of:
                break
            close(work, i)
        i += 1
    if all(c.closed for c in work.cells):
        _ensure_next(work, len(work.cells) - 1)
    return work


# --- procedure-level bureaus -----------------------------------------------------------------


def _period_index(cells: list[Cell], day: date) -> int | None:
    for i, cell in enumerate(cells):
        if cell.period.start <= day <= cell.period.end:
            return i
    return None


def derive(ledger: Ledger, as_of: date, close_days: int) -> Ledger:
    """The cells of a procedure-level bureau, computed from its procedures on ``as_of``.

    Where each procedure counts (so that the total adds up exactly as for counted bureaus):

    - completed in a closed period: in that period's actual, as 遅れ when it was planned for an
      earlier period, as 前倒し when for a later one or for none;
    - otherwise in the plan of its scheduled period: its planned period, or the first open period
      when the planned one has closed (as 遅れ); without a planned period, in 重要取組未実施;
    - a closed period's plan is what was planned for it or carried into it and not done before it.

    Completions in the open period are its report so far (they move into its actual at the close).
    """
    work = ledger.copy()
    work.cells = [Cell(c.period, 0) for c in ledger.cells]
    current_year = as_of.year if as_of.month >= 4 else as_of.year - 1
    extend_to(work, max(current_year, work.base_year))
    for p in ledger.procedures:  # a plan beyond the cells extends them
        if p.planned is not None:
            extend_to(work, p.planned.fiscal_year)
    cells = work.cells
    closed = [closing_day(c.period, close_days) <= as_of for c in cells]
    if all(closed):
        _append_year(work, cells[-1].period.fiscal_year + 1)
        closed += [False] * 4
    first_open = closed.index(False)
    work.before = work.group1 = work.priority = work.not_scheduled = work.individual = 0
    done = [[0, 0, 0] for _ in cells]  # done, of it delayed, of it advanced
    plan = [[0, 0] for _ in cells]  # plan, of it delayed
    for p in ledger.procedures:
        if p.status is Status.INDIVIDUAL:
            work.individual += 1
            continue
        completed = None
        if p.done and p.completed_on is not None:
            if p.completed_on < R3_JUNE:
                work.before += 1
                continue
            if p.completed_on < R5_APRIL:
                if p.group is Group.PRIORITY:
                    work.priority += 1
                else:
                    work.group1 += 1
                continue
            completed = _period_index(cells, p.completed_on)
        planned = index_of_period(cells, p.planned)
        if completed is not None and completed < first_open:
            row = done[completed]
            row[0] += 1
            if planned is not None and planned < completed:
                row[1] += 1
            elif planned is None or planned > completed:
                row[2] += 1
        if planned is None:
            if completed is None or completed >= first_open:
                work.not_scheduled += 1
            continue
        # closed periods it was planned for, or carried through, before it was done
        stop = first_open if completed is None or completed >= first_open else completed + 1
        for k in range(planned, stop):
            plan[k][0] += 1
            plan[k][1] += k > planned
        if completed is None or completed >= first_open:
            scheduled = max(planned, first_open)
            plan[scheduled][0] += 1
            plan[scheduled][1] += scheduled > planned
    for k, cell in enumerate(cells):
        cell.plan, cell.plan_delayed = plan[k]
        if k < first_open:
            d, dl, adv = done[k]
            reason = (ledger.proc_reports.get(cell.period.key) or Report(0)).reason
            cell.closure = Closure(d, dl, adv, cell.plan - (d - adv), [], "procedures", reason)
    report = ledger.proc_reports.get(cells[first_open].period.key)
    d, dl, adv = _done_in(ledger.procedures, cells, first_open)
    if report is not None or d:
        base = report or Report(0)
        cells[first_open].report = Report(d, dl, adv, base.reason, base.at, base.by_id, base.by_name)
    return work


def index_of_period(cells: list[Cell], period: Period | None) -> int | None:
    """The cell a planned period falls in (a whole-year plan in a quarterly year: its Q4)."""
    if period is None:
        return None
    if cells and period < cells[0].period:
        return 0
    for i, cell in enumerate(cells):
        if cell.period == period:
            return i
        if cell.period.is_year and cell.period.fiscal_year == period.fiscal_year:
            return i
        if period.is_year and cell.period.fiscal_year == period.fiscal_year and cell.period.quarter == 4:
            return i
    return None


def _done_in(procedures: Iterable[Procedure], cells: list[Cell], k: int) -> tuple[int, int, int]:
    done = delayed = advanced = 0
    for p in procedures:
        if not p.done or p.completed_on is None or p.status is Status.INDIVIDUAL:
            continue
        if p.completed_on < R5_APRIL or _period_index(cells, p.completed_on) != k:
            continue
        done += 1
        planned = index_of_period(cells, p.planned)
        if planned is not None and planned < k:
            delayed += 1
        elif planned is None or planned > k:
            advanced += 1
    return done, delayed, advanced


def delayed_procedures(ledger: Ledger, projected: Ledger, close_days: int) -> list[DelayedProcedure]:
    """Procedures planned for a period that has closed and not done yet (procedure-level bureaus)."""
    cells = projected.cells
    first_open = projected.current_index()
    found = []
    for p in ledger.procedures:
        if p.status is Status.INDIVIDUAL or p.done:
            continue
        planned = index_of_period(cells, p.planned)
        if planned is None or planned >= first_open:
            continue
        period = cells[planned].period
        found.append(DelayedProcedure(p.id, p.name, p.section, period, closing_day(period, close_days)))
    found.sort(key=lambda d: (d.planned, d.section, d.name))
    return found


# --- the figures -----------------------------------------------------------------------------


def progress(projected: Ledger) -> Progress:
    """The headline figures of a projected ledger."""
    i = projected.current_index()
    current = projected.cells[i]
    closed = [c for c in projected.cells if c.closed]
    done = projected.fixed_done + sum(c.closure.done for c in closed if c.closure)
    advanced = sum(c.closure.advanced for c in closed if c.closure)
    notes = sum(c.plan_delayed for c in projected.cells if not c.closed)
    delayed, expected = notes, 0
    report = current.report
    if report is not None:
        plan = current.plan or 0
        done += report.done
        advanced += report.advanced
        shortfall = max(0, plan - (report.done - report.advanced))
        unresolved = max(0, current.plan_delayed - report.delayed)
        delayed = notes - current.plan_delayed + shortfall
        expected = max(0, shortfall - unresolved)
    return Progress(
        projected.forms_total,
        done,
        advanced,
        delayed,
        expected,
        projected.not_scheduled,
        projected.individual,
    )


def outstanding_delays(projected: Ledger) -> int:
    """Carried-over procedures not yet reported done (what delay alerts and escalations count)."""
    i = projected.current_index()
    notes = sum(c.plan_delayed for c in projected.cells if not c.closed)
    report = projected.cells[i].report
    return max(0, notes - (min(report.delayed, projected.cells[i].plan_delayed) if report else 0))


def history(projected: Ledger) -> list[HistoryRow]:
    rows = [_history_row(c, superseded=True) for c in projected.history if c.closure]
    rows += [_history_row(c) for c in projected.cells if c.closure]
    return rows


def _history_row(cell: Cell, superseded: bool = False) -> HistoryRow:
    closure = cell.closure
    assert closure is not None
    return HistoryRow(
        cell.period,
        cell.plan,
        cell.plan_delayed,
        closure.done,
        closure.delayed,
        closure.advanced,
        closure.shortfall,
        closure.reason,
        closure.source,
        superseded,
    )


def period_status(projected: Ledger, i: int, as_of: date, close_days: int) -> PeriodStatus:
    cell = projected.cells[i]
    report = cell.report.view() if cell.report else None
    if cell.closure is not None and report is None:
        c = cell.closure
        report = ReportView(c.done, c.delayed, c.advanced, c.reason)
    return PeriodStatus(
        cell.period,
        projected.state(i, as_of),
        closing_day(cell.period, close_days),
        cell.plan or 0,
        cell.plan_delayed,
        report,
    )


def bureau_summary(ledger: Ledger, as_of: date, close_days: int) -> BureauSummary:
    projected = project(ledger, as_of, close_days)
    i = projected.current_index()
    late = delayed_procedures(ledger, projected, close_days) if ledger.source is Source.PROCEDURES else []
    return BureauSummary(
        bureau=ledger.bureau,
        order=ledger.order,
        source=ledger.source,
        progress=progress(projected),
        current=period_status(projected, i, as_of, close_days),
        history=tuple(history(projected)),
        delayed_procedures=tuple(late),
        procedure_count=len(ledger.procedures),
        version=ledger.version,
        etag=ledger.etag,
    )
