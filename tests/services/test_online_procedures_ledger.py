"""The quarter arithmetic of 行政手続きオンライン化 over whole fiscal years (pure ledger functions)."""

from __future__ import annotations

from datetime import date

import pytest

from services.online_procedures.ledger import (
    NOT_SCHEDULED,
    Cell,
    Inconsistent,
    Ledger,
    Report,
    closing_day,
    correct,
    outstanding_delays,
    progress,
    project,
)
from services.online_procedures.models import Figure, Period, PeriodState, Procedure, Status

N = 5  # business days from a quarter's end to its close


def fy2026(plans=(10, 12, 8, 20), not_scheduled=5) -> Ledger:
    ledger = Ledger("テスト局", 1, base_year=2026, before=100, not_scheduled=not_scheduled)
    ledger.cells = [Cell(Period(2026, q), plan) for q, plan in zip((1, 2, 3, 4), plans, strict=True)]
    return ledger


def cell(ledger: Ledger, key: str) -> Cell:
    found = ledger.find(Period.from_key(key))
    assert found is not None, key
    return found


def report(
    ledger: Ledger, key: str, done: int, delayed: int = 0, advanced: int = 0, reason: str = ""
) -> None:
    cell(ledger, key).report = Report(done, delayed, advanced, reason)


def test_closing_days_are_business_days_after_the_quarter_end():
    assert closing_day(Period(2026, 1), N) == date(2026, 7, 7)  # 6/30 Tue -> 5 business days
    assert closing_day(Period(2026, 2), N) == date(2026, 10, 7)  # 9/30 Wed
    # Q3 ends on 12/31, inside the year-end break (12/29-1/3); 1/12 2027 is 成人の日
    assert closing_day(Period(2026, 3), N) == date(2027, 1, 8)
    # Q4 runs January to March: it closes in April of the next calendar year
    assert Period(2026, 4).start == date(2027, 1, 1) and Period(2026, 4).end == date(2027, 3, 31)
    assert closing_day(Period(2026, 4), N) == date(2027, 4, 7)
    assert closing_day(Period(2024), N) == closing_day(Period(2024, 4), N)  # a whole-year plan


def test_a_whole_fiscal_year_plans_shortfalls_carries_and_advances():
    ledger = fy2026()
    total = ledger.forms_total
    assert total == 100 + 50 + 5

    # Q1 (Apr-Jun): 7 of 10 done; it stays open until its closing day
    report(ledger, "2026Q1", 7, reason="人員不足")
    on_last_day = project(ledger, date(2026, 7, 6), N)
    assert on_last_day.state(0, date(2026, 7, 6)) is PeriodState.OPEN
    assert cell(on_last_day, "2026Q2").figure == Figure(12)  # nothing carried yet
    assert progress(on_last_day).delayed == 3 and progress(on_last_day).delayed_expected == 3

    closed = project(ledger, date(2026, 7, 7), N)
    assert cell(closed, "2026Q1").figure == Figure(7)
    assert cell(closed, "2026Q2").figure == Figure(15, delayed=3)  # shortfall carried as 遅れ
    assert closed.forms_total == total
    assert progress(closed).delayed == 3 and progress(closed).done == 107

    # Q2 (Jul-Sep): 18 done, 3 of them the carried delays, 3 brought forward from later
    ledger = closed
    report(ledger, "2026Q2", 18, delayed=3, advanced=3)
    ledger = project(ledger, date(2026, 10, 7), N)
    assert cell(ledger, "2026Q2").figure == Figure(18, delayed=3, advanced=3)
    assert cell(ledger, "2026Q2").closure.shortfall == 0
    assert cell(ledger, "2026Q3").figure == Figure(5)  # 3 taken out of Q3's plan
    assert ledger.forms_total == total
    assert progress(ledger).delayed == 0 and progress(ledger).advanced == 3

    # Q3 (Oct-Dec): nothing reported -> closes with 0 done; the whole plan is carried into Q4
    ledger = project(ledger, date(2027, 1, 8), N)
    q3 = cell(ledger, "2026Q3")
    assert q3.closure.source == "auto" and q3.figure == Figure(0) and q3.closure.shortfall == 5
    assert cell(ledger, "2026Q4").figure == Figure(25, delayed=5)
    assert ledger.forms_total == total

    # Q4 (Jan-Mar) and the year boundary: the shortfall goes into next fiscal year's Q1
    report(ledger, "2026Q4", 20, delayed=5, reason="年度末の繁忙")
    still_open = project(ledger, date(2027, 4, 6), N)
    assert still_open.cells[still_open.current_index()].period == Period(2026, 4)
    ledger = project(ledger, date(2027, 4, 7), N)
    assert cell(ledger, "2027Q1").figure == Figure(5, delayed=5)
    assert [c.period.key for c in ledger.cells[-4:]] == ["2027Q1", "2027Q2", "2027Q3", "2027Q4"]
    assert ledger.forms_total == total
    assert progress(ledger).done == 100 + 7 + 18 + 0 + 20
    assert progress(ledger).delayed == 5


def test_done_beyond_the_plan_counts_as_brought_forward():
    ledger = fy2026()
    report(ledger, "2026Q1", 13)  # 3 more than planned, not declared as 前倒し
    ledger = project(ledger, date(2026, 7, 7), N)
    assert cell(ledger, "2026Q1").figure == Figure(13, advanced=3)
    assert cell(ledger, "2026Q2").figure == Figure(9)
    assert ledger.forms_total == 155


def test_advances_come_out_of_later_plans_then_out_of_unscheduled():
    ledger = fy2026(plans=(5, 1, 0, 0), not_scheduled=5)
    report(ledger, "2026Q1", 8, advanced=3)
    ledger = project(ledger, date(2026, 7, 7), N)
    assert cell(ledger, "2026Q2").figure == Figure(0)
    assert ledger.not_scheduled == 3
    assert cell(ledger, "2026Q1").closure.took == [("2026Q2", 1, 0), (NOT_SCHEDULED, 2, 0)]
    assert ledger.forms_total == 100 + 6 + 5


def test_advances_take_the_part_of_a_plan_that_is_not_a_carried_delay_first():
    ledger = fy2026(plans=(4, 0, 6, 0))
    cell(ledger, "2026Q3").plan_delayed = 4  # 6 planned, 4 of them carried delays
    report(ledger, "2026Q1", 7, advanced=3)
    ledger = project(ledger, date(2026, 7, 7), N)
    assert cell(ledger, "2026Q3").figure == Figure(3, delayed=3)  # 2 own + 1 delayed taken


def test_a_correction_flows_through_the_later_closed_periods():
    ledger = fy2026()
    report(ledger, "2026Q1", 7, reason="x")
    report(ledger, "2026Q2", 15, delayed=3)
    ledger = project(ledger, date(2027, 1, 8), N)  # Q1-Q3 closed, Q3 unreported
    assert cell(ledger, "2026Q4").figure == Figure(28, delayed=8)
    correct(ledger, ledger.index(Period(2026, 1)), Report(5, reason="訂正: 実際は5件", correction=True))
    assert cell(ledger, "2026Q2").plan == 17 and cell(ledger, "2026Q2").closure.shortfall == 2
    assert cell(ledger, "2026Q3").plan == 10 and cell(ledger, "2026Q3").closure.shortfall == 10
    assert cell(ledger, "2026Q4").figure == Figure(30, delayed=10)
    assert ledger.forms_total == 155


def test_a_correction_that_breaks_a_later_actual_is_refused():
    ledger = fy2026()
    report(ledger, "2026Q1", 7, reason="x")
    report(ledger, "2026Q2", 15, delayed=3)  # reported 3 carried delays done in Q2
    ledger = project(ledger, date(2026, 10, 7), N)
    before = ledger.copy()
    with pytest.raises(Inconsistent):  # Q1 all done -> Q2 had no carried delays to report done
        correct(ledger, ledger.index(Period(2026, 1)), Report(10, correction=True))
    assert cell(before, "2026Q2").plan == 15


def test_a_correction_can_bring_advances_back():
    ledger = fy2026()
    report(ledger, "2026Q1", 12, advanced=2)
    ledger = project(ledger, date(2026, 7, 7), N)
    assert cell(ledger, "2026Q2").figure == Figure(10)
    correct(ledger, 0, Report(10, correction=True))
    assert cell(ledger, "2026Q1").figure == Figure(10) and cell(ledger, "2026Q2").figure == Figure(12)
    assert ledger.forms_total == 155


def test_outstanding_delays_go_down_as_the_open_period_reports_them_done():
    ledger = fy2026()
    report(ledger, "2026Q1", 6, reason="x")
    ledger = project(ledger, date(2026, 7, 7), N)
    assert outstanding_delays(ledger) == 4
    report(ledger, "2026Q2", 3, delayed=3, reason="x")
    assert outstanding_delays(ledger) == 1
    report(ledger, "2026Q2", 16, delayed=4)
    assert outstanding_delays(ledger) == 0 and progress(ledger).delayed == 0


# --- procedure-level bureaus -------------------------------------------------------------------------


def procedures_ledger(*procedures: Procedure) -> Ledger:
    from services.online_procedures.models import Source

    return Ledger("手続局", 1, source=Source.PROCEDURES, procedures=list(procedures))


def p(
    pid: str,
    planned: str | None = None,
    done_on: date | None = None,
    important: bool = False,
    status: Status | None = None,
) -> Procedure:
    return Procedure(
        pid,
        f"手続{pid}",
        "課A",
        planned=Period.from_key(planned) if planned else None,
        status=status or (Status.DONE if done_on else Status.IN_PROGRESS),
        completed_on=done_on,
        important=important,
    )


def test_procedure_records_give_the_same_figures_as_counts():
    ledger = procedures_ledger(
        p("1", done_on=date(2021, 3, 1)),  # R3年5月まで
        p("2", done_on=date(2022, 5, 1)),  # R3.6-R5.3 グループ1
        p("3", "2026Q1", date(2026, 5, 10)),  # on plan
        p("4", "2026Q1"),  # late
        p("5", "2026Q2", date(2026, 6, 1)),  # done in Q1, planned Q2: 前倒し
        p("6", "2026Q3"),
        p("7", important=True),  # 重要取組未実施
        p("8", status=Status.INDIVIDUAL),
    )
    on = date(2026, 8, 1)  # Q1 closed on 7/7, Q2 open
    projected = project(ledger, on, N)
    assert (projected.before, projected.group1, projected.not_scheduled, projected.individual) == (1, 1, 1, 1)
    assert cell(projected, "2026Q1").figure == Figure(2, advanced=1)
    assert cell(projected, "2026Q1").closure.shortfall == 1  # procedure 4, carried
    assert cell(projected, "2026Q2").figure == Figure(1, delayed=1)  # procedure 5 left Q2
    assert cell(projected, "2026Q3").figure == Figure(1)
    assert projected.forms_total == 7  # 8 procedures, one needs individual handling
    result = progress(projected)
    assert (result.done, result.delayed, result.advanced) == (4, 1, 1)


def test_ticking_a_late_procedure_done_in_the_open_period_clears_the_delay():
    late = p("4", "2026Q1")
    ledger = procedures_ledger(p("3", "2026Q1", date(2026, 5, 10)), late)
    on = date(2026, 8, 1)
    assert outstanding_delays(project(ledger, on, N)) == 1
    ledger.procedures[1] = Procedure(
        late.id, late.name, late.section, planned=late.planned, status=Status.DONE, completed_on=on
    )
    projected = project(ledger, on, N)
    assert outstanding_delays(projected) == 0
    assert projected.cells[projected.current_index()].report.done == 1
