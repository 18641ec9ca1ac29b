"""The online-procedures service: the seed table reproduced exactly, true figures, quarterly
updates (validation, permissions, idempotency, conflicts), delays, alerts and the Excel import."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from services.audit.trail import AuditLog
from services.kernel.seed import DEFAULT_DATA_DIR, load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.online_procedures.excel import ImportRefused
from services.online_procedures.models import (
    JOB_DELAY,
    JOB_ESCALATION,
    AlertTarget,
    Figure,
    Period,
    PeriodState,
)
from services.online_procedures.service import (
    FIELD_ADVANCED,
    FIELD_DELAYED,
    FIELD_DONE,
    FIELD_REASON,
    PARTITION,
    TABLE,
    FormRejected,
    NotReportable,
    OnlineProceduresService,
    parse_count,
)
from services.people.identity import system_actor
from services.people.permissions import Forbidden
from tests.fakes import InMemoryTableStore
from tests.support.people import (
    ADMIN,
    CONTACT,
    DX_CHILD,
    DX_HEALTH,
    MANAGER,
    STAFF,
    Clock,
    actor_of,
    load_fixtures,
)

CSV_PATH = DEFAULT_DATA_DIR / "online_procedures.csv"
MEETING = date(2023, 8, 8)
IN_Q2 = date(2023, 9, 20)  # 令和5年度 第2四半期, reports accepted until 10/5 (closes 10/6)
HEALTH = "健康福祉局"


def csv_rows() -> list[dict[str, str]]:
    """The seed CSV read independently of services.kernel.seed (csv module, blanks kept)."""
    with CSV_PATH.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def n(text: str) -> int:
    return int(text.replace(",", "")) if text.strip() else 0


# The material's columns: the figure column and its 遅れ/前倒し note columns in the CSV.
MATERIAL = (
    ("R3年5月まで実績", None, None),
    ("R3年6月～R5年3月 グループ1実績", None, None),
    ("R3年6月～R5年3月 重要取組実績", None, None),
    ("R5年度 4～6月実績", "R5年度 4～6月 遅れ", "R5年度 4～6月 前倒し"),
    ("R5年度 7～9月予定", "R5年度 7～9月 遅れ", "R5年度 7～9月 前倒し"),
    ("R5年度 10～12月予定", "R5年度 10～12月 遅れ", "R5年度 10～12月 前倒し"),
    ("R5年度 1～3月予定", "R5年度 1～3月 遅れ", "R5年度 1～3月 前倒し"),
    ("R6年度予定", None, None),
    ("R7年度予定", None, None),
    ("重要取組未実施", None, None),
    ("帳票数", None, None),
    ("個別対応が必要な手続き", None, None),
)


def material_text(row: dict[str, str], value: str, delayed: str | None, advanced: str | None) -> str:
    """How the material prints a cell: ``(遅れ 11) 12``; blank for an empty cell."""
    notes = ""
    if delayed and n(row[delayed]):
        notes += f"(遅れ {n(row[delayed])}) "
    if advanced and n(row[advanced]):
        notes += f"(前倒し {n(row[advanced])}) "
    if not row[value].strip() and not notes:
        return ""
    return f"{notes}{n(row[value])}"


@pytest.fixture
def store():
    store = InMemoryTableStore()
    seed_store(store, load_seed())
    return store


@pytest.fixture
def clock():
    return Clock(datetime(2023, 9, 20, 10, 0, tzinfo=TIMEZONE))


@pytest.fixture
def people(store, clock):
    return load_fixtures(store, clock)


@pytest.fixture
def service(store, clock):
    return OnlineProceduresService(store, clock, alert_days=5, escalation_days=10)


@pytest.fixture
def admin(people):
    return actor_of(people, ADMIN)


@pytest.fixture
def dx(people):
    return actor_of(people, DX_HEALTH)


def form_data(form, **values) -> dict[str, str]:
    data = {
        "bureau": form.bureau,
        "period": form.status.period.key,
        "etag": form.etag,
        "submission": form.submission_id,
        FIELD_DONE: "",
        FIELD_DELAYED: "",
        FIELD_ADVANCED: "",
        FIELD_REASON: "",
    }
    data.update(values)
    return data


# --- the seed table, reproduced exactly ----------------------------------------------------------------


@pytest.mark.parametrize("view", ["live", "seed"])
def test_the_table_reproduces_the_material_cell_by_cell(service, admin, view):
    table = service.table(admin.person, MEETING) if view == "live" else service.seed_table(admin.person)
    rows = csv_rows()
    assert [r.bureau for r in table.rows] + ["総計"] == [r["局"] for r in rows]
    for row, expected in zip((*table.rows, table.total), rows, strict=True):
        for column, figure, (value, delayed, advanced) in zip(
            table.columns, row.figures, MATERIAL, strict=True
        ):
            assert column.text(figure) == material_text(expected, value, delayed, advanced), (
                row.bureau,
                value,
            )
    assert [c.title for c in table.columns][3:7] == [
        "R5年度 4～6月 実績",
        "R5年度 7～9月 予定",
        "R5年度 10～12月 予定",
        "R5年度 1～3月 予定",
    ]


@pytest.mark.parametrize("view", ["live", "seed"])
def test_the_excel_export_reproduces_the_material_cell_by_cell(service, admin, view):
    data = service.export_xlsx(admin.person, MEETING, seed=view == "seed")
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert [sheet.cell(1, c).value for c in range(1, 14)] == [
        "局",
        "R3年5月まで 実績",
        "R3年6月～R5年3月",
        None,
        "R5年度",
        None,
        None,
        None,
        "R6年度 予定",
        "R7年度 予定",
        "重要取組 未実施",
        "帳票数",
        "個別対応が 必要な手続き",
    ]
    assert [sheet.cell(2, c).value for c in range(3, 9)] == [
        "グループ1 実績",
        "重要取組 実績",
        "4～6月 実績",
        "7～9月 予定",
        "10～12月 予定",
        "1～3月 予定",
    ]
    for r, expected in enumerate(csv_rows(), start=3):
        assert sheet.cell(r, 1).value == expected["局"]
        for c, (value, delayed, advanced) in enumerate(MATERIAL, start=2):
            cell = sheet.cell(r, c).value
            assert ("" if cell is None else str(cell)) == material_text(expected, value, delayed, advanced), (
                f"{sheet.cell(r, c).coordinate} {expected['局']} {value}"
            )
    assert sheet["E7"].value == "(前倒し 1) 4"  # 市民人権局, 4～6月
    assert sheet["F10"].value == "(遅れ 36) 38"  # 健康福祉局, 7～9月
    assert sheet.max_row == 25 and sheet.max_column == 13
    assert "要確認" in sheet["A23"].comment.text  # 上下水道局: the erratum note travels with the row


# --- figures are true ------------------------------------------------------------------------------------


def test_the_city_summary_equals_sums_computed_from_the_csv(service, admin):
    rows = [r for r in csv_rows() if r["局"] != "総計"]
    done = sum(
        n(r[c])
        for r in rows
        for c in (
            "R3年5月まで実績",
            "R3年6月～R5年3月 グループ1実績",
            "R3年6月～R5年3月 重要取組実績",
            "R5年度 4～6月実績",
        )
    )
    advanced = sum(n(r["R5年度 4～6月 前倒し"]) for r in rows)
    later_delays = {
        r["局"]: sum(n(r[f"R5年度 {m} 遅れ"]) for m in ("7～9月", "10～12月", "1～3月")) for r in rows
    }
    forms = sum(n(r["帳票数"]) for r in rows)

    summary = service.city_summary(admin.person, MEETING)
    assert summary.progress.forms_total == forms == 3706
    assert summary.progress.done == done == 1696
    assert summary.progress.remaining == forms - done
    assert summary.progress.advanced == advanced == 19
    assert summary.progress.delayed == sum(later_delays.values()) == 77
    assert summary.progress.not_scheduled == sum(n(r["重要取組未実施"]) for r in rows)
    assert summary.progress.needs_individual == sum(n(r["個別対応が必要な手続き"]) for r in rows)
    assert {b.bureau: b.progress.delayed for b in summary.delayed_bureaus} == {
        k: v for k, v in later_delays.items() if v
    }
    assert summary.progress.plan_rate == pytest.approx((done - advanced) / (done - advanced + 77))
    assert summary.current == Period(2023, 2) and summary.current_state is PeriodState.OPEN
    # the text's facts: 1,061 = 991 グループ1 + 70 重要取組 went online from R3.6 to R5.3
    assert (
        sum(n(r["R3年6月～R5年3月 グループ1実績"]) + n(r["R3年6月～R5年3月 重要取組実績"]) for r in rows)
        == 1061
    )


def test_with_only_the_seed_every_unreported_plan_is_late_by_2026(service, admin):
    summary = service.city_summary(admin.person, date(2026, 11, 26))
    assert summary.current == Period(2026, 3)
    assert summary.progress.done == 1696
    assert summary.progress.delayed == 62 + 24 + 513 + 739 + 637  # every plan since FY2023 Q2
    assert summary.progress.forms_total == 3706


# --- the quarterly update -----------------------------------------------------------------------


def test_input_numbers_arrive_as_strings():
    assert parse_count("12", required=True) == (12, "")
    assert parse_count("１２", required=True) == (12, "")  # full-width digits
    assert parse_count(" 1,234 ", required=True) == (1234, "")
    assert parse_count("3.0", required=True) == (3, "")
    assert parse_count("", required=False) == (0, "")
    assert parse_count("", required=True)[1] == "入力してください"
    assert parse_count("12件", required=True) == (12, "")  # as people write it
    for bad in ("-1", "1.5", "abc", "12個", "٣", "1" * 7, "9" * 5000):
        value, error = parse_count(bad, required=True)
        assert value is None and error, bad


def test_a_dx_pro_reports_below_plan_with_a_reason_and_the_delay_shows(service, dx):
    form = service.update_form(dx, HEALTH, IN_Q2)
    assert (form.status.period, form.status.plan, form.status.plan_delayed) == (Period(2023, 2), 38, 36)
    with pytest.raises(FormRejected) as rejected:
        service.submit(dx, form_data(form, done="30", delayed="30"), IN_Q2)
    assert rejected.value.form.errors == {FIELD_REASON: "予定（38件）を下回るため、理由を入力してください"}
    assert rejected.value.form.values[FIELD_DONE] == "30"  # the user's values come back
    result = service.submit(dx, form_data(form, done="30", delayed="30", reason="委託先との調整"), IN_Q2)
    assert [(c.before, c.after) for c in result.changes][:2] == [
        ("未報告", "30件（うち遅れ分 30）"),
        ("－", "8件"),
    ]
    bureau = service.bureau_summary(dx.person, HEALTH, IN_Q2)
    assert bureau.progress.delayed == 1 + 14 + 8 and bureau.progress.delayed_expected == 2
    assert bureau.current.report.reason == "委託先との調整"
    # after the close, the shortfall is carried into 10～12月 and the history keeps the reason
    later = service.bureau_summary(dx.person, HEALTH, date(2023, 10, 6))
    assert later.current.period == Period(2023, 3) and later.current.plan_delayed == 1 + 8
    assert [(h.period.key, h.shortfall, h.reason) for h in later.history][-1] == (
        "2023Q2",
        8,
        "委託先との調整",
    )


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"done": ""}, FIELD_DONE, "入力してください"),
        ({"done": "-3"}, FIELD_DONE, "0以上の整数"),
        ({"done": "2.5"}, FIELD_DONE, "整数"),
        ({"done": "38", "delayed": "39"}, FIELD_DELAYED, "完了した件数（38件）以下"),
        ({"done": "38", "delayed": "37"}, FIELD_DELAYED, "繰り越された遅れは36件"),
        ({"done": "38", "delayed": "36", "advanced": "3"}, FIELD_ADVANCED, "合計が、完了した件数を超えて"),
        ({"done": "40"}, FIELD_ADVANCED, "前倒しとして入力してください（2件以上）"),
    ],
)
def test_invalid_values_get_their_error_next_to_the_field(service, dx, values, field, message):
    form = service.update_form(dx, HEALTH, IN_Q2)
    with pytest.raises(FormRejected) as rejected:
        service.submit(dx, form_data(form, **values), IN_Q2)
    assert message in rejected.value.form.errors[field]
    assert rejected.value.form.values["done"] == values["done"]


def test_a_period_that_has_not_begun_takes_no_actuals(service, dx):
    with pytest.raises(NotReportable, match="まだ始まっていない"):
        service.update_form(dx, HEALTH, date(2023, 6, 1), "2023Q3")
    with pytest.raises(NotReportable, match="締め"):  # 10/2: Q3 has begun, Q2 still takes reports
        service.update_form(dx, HEALTH, date(2023, 10, 2), "2023Q3")


def test_a_closed_period_is_corrected_only_by_an_admin_with_a_reason(service, dx, admin):
    after_close = date(2023, 10, 20)
    with pytest.raises(Forbidden):
        service.update_form(dx, HEALTH, after_close, "2023Q2")
    form = service.update_form(admin, HEALTH, after_close, "2023Q2")
    assert form.correction and form.status.state is PeriodState.CLOSED
    with pytest.raises(FormRejected) as rejected:
        service.submit(admin, form_data(form, done="38", delayed="36"), after_close)
    assert "訂正には理由" in rejected.value.form.errors[FIELD_REASON]
    service.submit(admin, form_data(form, done="38", delayed="36", reason="報告漏れの訂正"), after_close)
    summary = service.bureau_summary(admin.person, HEALTH, after_close)
    assert summary.current.plan == 1 and summary.current.plan_delayed == 1  # nothing carried from Q2 now
    assert [h.reason for h in summary.history if h.period.key == "2023Q2"] == ["報告漏れの訂正"]


@pytest.mark.parametrize("who", [DX_CHILD, MANAGER, CONTACT, STAFF])
def test_only_the_bureaus_own_dx_pros_and_admins_may_submit(service, people, who):
    actor = actor_of(people, who)
    with pytest.raises(Forbidden):
        service.update_form(actor, HEALTH, IN_Q2)
    form = service.update_form(actor_of(people, ADMIN), HEALTH, IN_Q2)
    with pytest.raises(Forbidden):
        service.submit(actor, form_data(form, done="38", delayed="36"), IN_Q2)


def test_reads_go_through_the_permission_check(service, people):
    assert service.bureau_summary(actor_of(people, MANAGER).person, HEALTH, IN_Q2).bureau == HEALTH
    with pytest.raises(Forbidden):
        service.bureau_summary(actor_of(people, STAFF).person, HEALTH, IN_Q2)
    assert service.city_summary(actor_of(people, STAFF).person, IN_Q2).progress.forms_total == 3706


def test_submitting_the_same_card_twice_counts_once(service, dx, store, clock):
    form = service.update_form(dx, HEALTH, IN_Q2)
    data = form_data(form, done="38", delayed="36")
    first = service.submit(dx, data, IN_Q2)
    version = service.ledger(HEALTH).version
    second = service.submit(dx, data, IN_Q2)
    assert not first.duplicate and second.duplicate
    assert second.changes == first.changes
    assert service.ledger(HEALTH).version == version
    markers = [e for e in store.query(TABLE, PARTITION, {"kind": "submission"})]
    assert len(markers) == 1
    audit = AuditLog(store, clock).recent(actor_of_admin(store, clock).person, "online_procedures")
    assert len(audit) == 1 and audit[0].operation == "update"


def actor_of_admin(store, clock):
    from services.people.service import PeopleService

    return actor_of(PeopleService(store, clock), ADMIN)


def test_two_dx_pros_at_once_one_wins_and_the_other_sees_the_new_figures(service, people, admin):
    second_dx = actor_of(people, DX_HEALTH, "a:other-conversation")
    mine = service.update_form(admin, HEALTH, IN_Q2)
    theirs = service.update_form(second_dx, HEALTH, IN_Q2)
    service.submit(admin, form_data(mine, done="38", delayed="36"), IN_Q2)
    with pytest.raises(FormRejected) as conflict:
        service.submit(second_dx, form_data(theirs, done="20", delayed="20", reason="遅延"), IN_Q2)
    form = conflict.value.form
    assert "ほかの方が先に" in form.notice
    assert form.status.report.done == 38  # the new figures
    assert form.values["done"] == "20" and form.etag != theirs.etag
    service.submit(second_dx, form_data(form, done="20", delayed="20", reason="遅延"), IN_Q2)
    assert service.bureau_summary(admin.person, HEALTH, IN_Q2).current.report.done == 20


def test_a_write_that_loses_the_race_inside_the_batch_is_a_conflict(service, store, dx, admin):
    form = service.update_form(dx, HEALTH, IN_Q2)
    original_batch = store.batch

    def racing_batch(table, operations):
        if table == TABLE and any(op.entity.row_key.startswith("bureau|") for op in operations):
            store.batch = original_batch
            other = service.update_form(admin, HEALTH, IN_Q2)
            service.submit(admin, form_data(other, done="38", delayed="36"), IN_Q2)
        return original_batch(table, operations)

    store.batch = racing_batch
    with pytest.raises(FormRejected) as conflict:
        service.submit(dx, form_data(form, done="10", delayed="10", reason="x"), IN_Q2)
    assert "同時に" in conflict.value.form.notice
    assert service.bureau_summary(admin.person, HEALTH, IN_Q2).current.report.done == 38


# --- alerts -------------------------------------------------------------------------------------------


def test_due_alerts_after_n_business_days_then_escalation_after_m(service, dx):
    assert service.due_alerts(date(2023, 10, 5)) == [a for a in service.due_alerts(date(2023, 10, 5))]
    before = {a.key for a in service.due_alerts(date(2023, 10, 5))}
    assert all(key[2] == "2023Q1" for key in before)  # the seed's Q1 closed on 7/7
    on_close = service.due_alerts(date(2023, 10, 6))  # Q2 ended 9/30; 5 business days later
    delays = {a.bureau: a for a in on_close if a.job == JOB_DELAY}
    assert all(a.period == Period(2023, 2) and a.due_on == date(2023, 10, 6) for a in delays.values())
    assert delays[HEALTH].target is AlertTarget.DX_PRO_CHANNEL and not delays[HEALTH].escalation
    assert delays[HEALTH].delayed == 38 + 1 + 14 and delays[HEALTH].shortfall == 38
    assert delays[HEALTH].key == (JOB_DELAY, HEALTH, "2023Q2")
    assert not [a for a in on_close if a.escalation]
    assert "総務局" not in delays  # no plan, no delay, no alert

    escalation_day = date(2023, 10, 23)  # 10 business days after 10/6 (10/9 is スポーツの日)
    assert not [a for a in service.due_alerts(date(2023, 10, 20)) if a.escalation]
    escalations = {a.bureau: a for a in service.due_alerts(escalation_day) if a.escalation}
    assert escalations[HEALTH].job == JOB_ESCALATION and escalations[HEALTH].target is AlertTarget.MANAGER
    assert escalations[HEALTH].due_on == escalation_day

    # the bureau reports the 39 delays carried into 10～12月 done: only the 14 rescheduled for
    # 1～3月 are still late; with those too, no escalation
    form = service.update_form(dx, HEALTH, date(2023, 10, 20))
    assert form.status.plan_delayed == 39
    service.submit(dx, form_data(form, done="39", delayed="39"), date(2023, 10, 20))
    escalations = {a.bureau: a for a in service.due_alerts(escalation_day) if a.escalation}
    assert escalations[HEALTH].delayed == 14
    assert "建設局" in escalations  # others still late
    ministry = service.due_alerts(date(2023, 10, 6))
    assert {a.bureau for a in ministry} >= {"市民人権局", "産業振興局"}


# --- the Excel import ----------------------------------------------------------------------------------


def edited(data: bytes, **cells) -> bytes:
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    for ref, value in cells.items():
        sheet[ref] = value
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_an_exported_table_imports_back_unchanged_and_is_audited(service, admin, store, clock):
    # first make the live table differ from the material (財政局 moves 2 of 1～3月's plan into 7～9月),
    # so that a round trip that fell back to the seed, or lost the edit, would show
    edited_table = edited(service.export_xlsx(admin.person, IN_Q2), F6=2, H6=None, F25=64, H25=511)
    assert service.import_xlsx(admin, edited_table, IN_Q2, "edited.xlsx").changed == ("財政局",)
    live = service.table(admin.person, IN_Q2).rows
    assert live != service.seed_table(admin.person).rows

    result = service.import_xlsx(admin, service.export_xlsx(admin.person, IN_Q2), IN_Q2, "table.xlsx")
    assert result.bureaus == 22 and result.changed == ()
    entries = AuditLog(store, clock).recent(admin.person, "online_procedures")
    assert entries[0].operation == "import" and entries[0].entity_id == "table"
    assert service.table(admin.person, IN_Q2).rows == live
    finance = next(r for r in live if r.bureau == "財政局")
    assert finance.figures[4] == Figure(2) and finance.figures[6] == Figure(0)


def test_an_updated_table_is_imported(service, admin):
    data = service.export_xlsx(admin.person, IN_Q2)
    # 財政局 (row 6): move 2 of 1～3月's plan into 7～9月; 総計 follows
    data = edited(data, F6=2, H6=None, F25=64, H25=511)
    result = service.import_xlsx(admin, data, IN_Q2, "updated.xlsx")
    assert result.changed == ("財政局",)
    row = next(r for r in service.table(admin.person, IN_Q2).rows if r.bureau == "財政局")
    assert row.figures[4] == Figure(2) and row.figures[6] == Figure(0)


@pytest.mark.parametrize(
    ("cells", "where", "message"),
    [
        ({"E7": "abc"}, "E7", "数値ではありません"),
        ({"E7": -4}, "E7", "負の数"),
        ({"E7": "(遅れ 5) 4"}, "E7", "超えています"),
        ({"B7": "(遅れ 1) 12"}, "B7", "この列には"),
        ({"E7": 5}, "L7", "期間の列の合計"),
        ({"E7": 5, "L7": 192}, "E25", "総計 92 が各局の合計 93"),
        ({"F2": "7～9月 実績"}, "F2", "まだ締めていないので「予定」"),
        ({"A8": "市民人権局"}, "A8", "同じ局"),
    ],
)
def test_a_bad_file_is_refused_whole_with_the_cell_named(service, admin, store, cells, where, message):
    data = edited(service.export_xlsx(admin.person, IN_Q2), **cells)
    before = store.snapshot()
    with pytest.raises(ImportRefused) as refused:
        service.import_xlsx(admin, data, IN_Q2, "bad.xlsx")
    assert any(i.cell == where and message in i.message for i in refused.value.issues), refused.value.issues
    assert store.snapshot()[TABLE] == before[TABLE]


def test_only_the_current_years_table_is_imported_and_only_by_an_admin(service, admin, dx):
    data = service.export_xlsx(admin.person, IN_Q2)
    with pytest.raises(ImportRefused, match="現在の表（令和8年度）"):
        service.import_xlsx(admin, data, date(2026, 11, 26), "old.xlsx")
    with pytest.raises(Forbidden):
        service.import_xlsx(dx, data, IN_Q2, "x.xlsx")
    with pytest.raises(ImportRefused, match="読めません"):
        service.import_xlsx(admin, b"not a workbook", IN_Q2, "x.xlsx")


def test_a_2026_table_rebases_the_ledgers(service, admin):
    today = date(2026, 11, 26)
    data = service.export_xlsx(admin.person, today)
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet["E1"].value == "R5年度～R7年度 実績" and sheet["F1"].value == "R8年度"
    assert sheet["H2"].value == "10～12月 予定" and sheet["G2"].value == "7～9月 実績"
    # 健康福祉局 (row 10): the office brings the table up to date: 600 done in R5-R7, 89 planned for Q3
    assert sheet["E10"].value == 12 and sheet["H10"].value == "(遅れ 689) 689"
    data = edited(data, E10=612, H10="(遅れ 20) 89", E25=92 + 600, H25=1975 - 600)
    result = service.import_xlsx(admin, data, today, "2026.xlsx")
    assert result.changed == (HEALTH,)
    summary = service.bureau_summary(admin.person, HEALTH, today)
    assert summary.progress.done == 38 + 236 + 29 + 612 and summary.progress.delayed == 20
    assert summary.current.plan == 89 and summary.current.plan_delayed == 20
    assert any(h.superseded for h in summary.history)  # the FY2023-25 quarters stay visible


def test_export_and_import_need_no_file_on_disk(tmp_path: Path, service, admin):
    path = tmp_path / "t.xlsx"
    path.write_bytes(service.export_xlsx(admin.person, IN_Q2))
    assert service.import_xlsx(admin, path.read_bytes(), IN_Q2, path.name).changed == ()


def test_the_system_actor_can_import(service):
    actor = system_actor("CLI", "cli")
    data = service.export_xlsx(actor.person, IN_Q2)
    assert service.import_xlsx(actor, data, IN_Q2, "cli.xlsx").bureaus == 22


def test_the_cli_exports_imports_and_lists_alerts(store, tmp_path, capsys, monkeypatch):
    from services.online_procedures.cli import main

    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    out = tmp_path / "table.xlsx"
    assert main(["--as-of", "2023-09-20", "export", str(out)], store=store) == 0
    assert main(["--as-of", "2023-09-20", "import", str(out)], store=store) == 0
    assert "令和5年度の表を取り込みました（22局）" in capsys.readouterr().out
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(edited(out.read_bytes(), E7="x"))
    assert main(["--as-of", "2023-09-20", "import", str(bad)], store=store) == 1
    assert "E7: 数値ではありません" in capsys.readouterr().err
    assert main(["--as-of", "2023-10-06", "alerts"], store=store) == 0
    assert "遅れ通知 健康福祉局 令和5年度 第2四半期（7～9月） 遅れ 53件" in capsys.readouterr().out


def test_n_and_m_are_validated_settings():
    from services.kernel.settings import Settings, SettingsError

    defaults = Settings.from_env({})
    assert (defaults.online_procedures_alert_days, defaults.online_procedures_escalation_days) == (5, 10)
    custom = Settings.from_env(
        {"ONLINE_PROCEDURES_ALERT_DAYS": "3", "ONLINE_PROCEDURES_ESCALATION_DAYS": "7"}
    )
    assert (custom.online_procedures_alert_days, custom.online_procedures_escalation_days) == (3, 7)
    for name, value in (
        ("ONLINE_PROCEDURES_ALERT_DAYS", "0"),
        ("ONLINE_PROCEDURES_ALERT_DAYS", "five"),
        ("ONLINE_PROCEDURES_ESCALATION_DAYS", "-1"),
        ("ONLINE_PROCEDURES_ESCALATION_DAYS", "61"),
    ):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({name: value})
    with pytest.raises(ValueError):
        OnlineProceduresService(InMemoryTableStore(), lambda: None, alert_days=0)


def test_an_import_keeps_what_it_does_not_change(service, admin, dx):
    form = service.update_form(dx, HEALTH, IN_Q2)
    service.submit(dx, form_data(form, done="30", delayed="30", reason="委託先との調整"), IN_Q2)
    version = service.ledger(HEALTH).version
    data = edited(service.export_xlsx(admin.person, IN_Q2), F6=2, H6=None, F25=64, H25=511)  # 財政局 only
    assert service.import_xlsx(admin, data, IN_Q2, "x.xlsx").changed == ("財政局",)
    assert service.ledger(HEALTH).version == version  # not rewritten
    assert service.bureau_summary(admin.person, HEALTH, IN_Q2).current.report.reason == "委託先との調整"
    later = service.bureau_summary(admin.person, HEALTH, date(2023, 10, 20))
    assert [h.reason for h in later.history if h.period.key == "2023Q2"] == ["委託先との調整"]


def test_the_bots_clock_can_start_at_a_fixed_instant():
    from app import running_clock
    from services.kernel.settings import Settings, SettingsError

    start = Settings.from_env({"BOT_CLOCK_START": "2023-09-20T10:00:00+09:00"}).clock_start
    assert start == datetime(2023, 9, 20, 10, 0, tzinfo=TIMEZONE)
    now = running_clock(start)()
    assert start <= now < start.replace(minute=1) and now.tzinfo is not None
    assert Settings.from_env({}).clock_start is None
    for bad in ("2023-09-20T10:00:00", "yesterday"):
        with pytest.raises(SettingsError, match="BOT_CLOCK_START"):
            Settings.from_env({"BOT_CLOCK_START": bad})


def test_the_cli_reports_a_store_never_seeded_without_creating_one(tmp_path, capsys, monkeypatch):
    from services.online_procedures.cli import main

    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.delenv("AZURE_TABLES_CONNECTION_STRING", raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "var"))
    assert main(["export", str(tmp_path / "t.xlsx")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("エラー: 初期データがまだありません。") and err.count("\n") == 1
    assert not (tmp_path / "var").exists() and not (tmp_path / "t.xlsx").exists()
    assert (
        main(["export", str(tmp_path / "t.xlsx")], store=InMemoryTableStore()) == 2
    )  # a store without the seed
    assert "初期データがまだありません" in capsys.readouterr().err


def test_the_cli_reports_a_missing_file_in_one_line(store, tmp_path, capsys, monkeypatch):
    from services.online_procedures.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["import", str(tmp_path / "ない.xlsx")], store=store) == 2
    assert capsys.readouterr().err == f"エラー: ファイルが見つかりません: {tmp_path / 'ない.xlsx'}\n"
    assert main(["--as-of", "9月", "alerts"], store=store) == 2
    assert "日付は YYYY-MM-DD で指定してください: 9月" in capsys.readouterr().err


def test_the_city_summary_kept_between_reads_follows_a_write_made_by_another_instance(store, clock, dx):
    reader = OnlineProceduresService(store, clock, alert_days=5, escalation_days=10)
    writer = OnlineProceduresService(store, clock, alert_days=5, escalation_days=10)  # the CLI, another app
    before = reader.city_summary(dx.person, IN_Q2)
    assert reader.city_summary(dx.person, IN_Q2) is before  # nothing written: the same figures, kept
    form = writer.update_form(dx, HEALTH, IN_Q2)
    writer.submit(dx, form_data(form, done="30", delayed="30", reason="委託先との調整"), IN_Q2)
    after = reader.city_summary(dx.person, IN_Q2)
    health = next(b for b in after.bureaus if b.bureau == HEALTH)
    assert after is not before and health.current.report is not None and health.current.report.done == 30
    assert next(b for b in before.bureaus if b.bureau == HEALTH).current.report is None
    assert reader.bureau_names() == [b.bureau for b in after.bureaus]
