"""Procedure-level bureaus: switching to records through the 手続き一覧 sheet, ticking procedures
done on the card, late procedures in summaries and alerts; and the scheduler adapters."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.online_procedures.excel import PROCEDURE_COLUMNS, SHEET_PROCEDURES, ImportRefused
from services.online_procedures.models import Period, Source
from services.online_procedures.service import (
    FIELD_PROCEDURES,
    FIELD_REASON,
    FormRejected,
    OnlineProceduresAlerts,
    OnlineProceduresService,
    OnlineProceduresStatus,
    as_due_alert,
)
from services.people.permissions import Forbidden
from storage.sqlite import SqliteTableStore
from tests.fakes import InMemoryTableStore
from tests.support.people import ADMIN, DX_CHILD, DX_HEALTH, Clock, actor_of, load_fixtures

FINANCE = "財政局"  # 28 | 56 | 3 | Q1 10 | - | 5 | 2 | R6 5 | - | 未実施 3 | 112 | 個別 2
IN_Q2 = date(2023, 9, 20)


def finance_procedures() -> list[list]:
    """財政局's row of the seed, as procedure records (same figures, cell by cell)."""
    rows: list[list] = []

    def add(name, group="グループ1", planned=None, status="対応中", done=None, blocker=None, important=None):
        rows.append(
            [
                None,
                FINANCE,
                "税務課",
                name,
                group,
                None,
                important,
                "電子申請システム" if done else None,
                None,
                planned,
                status,
                done,
                blocker,
                None,
            ]
        )

    for i in range(28):
        add(f"R3以前{i}", status="完了", done=date(2021, 3, 1))
    for i in range(56):
        add(f"グループ1-{i}", status="完了", done=date(2022, 5, 1))
    for i in range(3):
        add(f"重要-{i}", group="重要取組", status="完了", done=date(2022, 6, 1), important="○")
    for i in range(10):
        add(f"R5第1-{i}", planned="R5年度 4～6月", status="完了", done=date(2023, 5, 10))
    for i in range(5):
        add(f"R5第3-{i}", planned="令和5年度 第3四半期")
    for i in range(2):
        add(f"R5第4-{i}", planned="2023Q4")
    for i in range(5):
        add(f"R6-{i}", planned="R6年度")
    for i in range(3):
        add(f"未実施-{i}", group="重要取組", important="○")
    for i in range(2):
        add(f"個別-{i}", status="個別対応", blocker="委託事業者が受付")
    return rows


def with_procedures(data: bytes, rows: list[list], **cells) -> bytes:
    workbook = load_workbook(io.BytesIO(data))
    for ref, value in cells.items():
        workbook.worksheets[0][ref] = value
    sheet = workbook.create_sheet(SHEET_PROCEDURES)
    sheet.append(list(PROCEDURE_COLUMNS))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def clock():
    return Clock(datetime(2023, 9, 20, 10, 0, tzinfo=TIMEZONE))


@pytest.fixture
def store(request, tmp_path):
    """The in-memory fake; ``@pytest.mark.parametrize("store", ["sqlite"], indirect=True)`` for SQLite."""
    backend = getattr(request, "param", "memory")
    store = InMemoryTableStore() if backend == "memory" else SqliteTableStore(tmp_path / "s.sqlite3")
    seed_store(store, load_seed())
    yield store
    store.close()


@pytest.fixture
def people(store, clock):
    return load_fixtures(store, clock)


@pytest.fixture
def service(store, clock):
    return OnlineProceduresService(store, clock)


@pytest.fixture
def admin(people):
    return actor_of(people, ADMIN)


@pytest.fixture
def switched(service, admin):
    data = with_procedures(service.export_xlsx(admin.person, IN_Q2), finance_procedures())
    result = service.import_xlsx(admin, data, IN_Q2, "records.xlsx")
    assert result.procedure_bureaus == (FINANCE,) and result.changed == (FINANCE,)
    return service


def test_a_bureau_switches_to_procedure_records_with_the_same_figures(switched, admin):
    summary = switched.bureau_summary(admin.person, FINANCE, IN_Q2)
    assert summary.source is Source.PROCEDURES and summary.procedure_count == 114
    table = switched.table(admin.person, IN_Q2)
    row = next(r for r in table.rows if r.bureau == FINANCE)
    seed_row = next(r for r in switched.seed_table(admin.person).rows if r.bureau == FINANCE)
    assert row.figures == seed_row.figures and row.source is Source.PROCEDURES
    assert table.total == switched.seed_table(admin.person).total
    # the export lists the records; importing it again changes nothing
    again = switched.import_xlsx(admin, switched.export_xlsx(admin.person, IN_Q2), IN_Q2, "again.xlsx")
    assert again.changed == () and again.procedure_bureaus == (FINANCE,)


def test_a_table_row_that_disagrees_with_the_records_is_refused_by_cell(service, admin):
    rows = finance_procedures()[:-1]  # one 個別対応 record fewer than the table says
    data = with_procedures(service.export_xlsx(admin.person, IN_Q2), rows)
    with pytest.raises(ImportRefused) as refused:
        service.import_xlsx(admin, data, IN_Q2, "x.xlsx")
    [issue] = refused.value.issues
    assert issue.cell == "M6" and "記録からは「1」" in issue.message


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("状況", "済", "次のいずれかで"),
        ("予定時期", "来年", "期間として読めません"),
        ("完了日", "2023/13/40", "存在しない日付"),
        ("局", "幻の局", "表にない局"),
        ("手続き名", None, "必須"),
    ],
)
def test_a_bad_procedure_row_is_named_by_sheet_and_cell(service, admin, column, value, message):
    rows = finance_procedures()
    rows[100][PROCEDURE_COLUMNS.index(column)] = value  # sheet row 102
    data = with_procedures(service.export_xlsx(admin.person, IN_Q2), rows)
    with pytest.raises(ImportRefused) as refused:
        service.import_xlsx(admin, data, IN_Q2, "x.xlsx")
    letter = "ABCDEFGHIJKLMN"[PROCEDURE_COLUMNS.index(column)]
    assert any(
        i.cell == f"{SHEET_PROCEDURES}!{letter}102" and message in i.message for i in refused.value.issues
    )


def test_unfinished_ordinary_procedures_need_a_planned_period(service, admin):
    rows = finance_procedures()
    rows[110][PROCEDURE_COLUMNS.index("重要取組")] = None  # an unplanned 未実施 one, now not 重要
    rows[110][PROCEDURE_COLUMNS.index("区分")] = "グループ1"
    data = with_procedures(service.export_xlsx(admin.person, IN_Q2), rows)
    with pytest.raises(ImportRefused, match="予定時期が必要"):
        service.import_xlsx(admin, data, IN_Q2, "x.xlsx")


@pytest.mark.parametrize("store", ["memory", "sqlite"], indirect=True)
def test_a_dx_pro_ticks_procedures_done_and_late_ones_are_listed(switched, people, clock):
    dx_admin = actor_of(people, ADMIN)
    form = switched.update_form(dx_admin, FINANCE, IN_Q2)
    assert form.source is Source.PROCEDURES and form.status.period == Period(2023, 2)
    ids = [c.id for c in form.choices if c.planned == Period(2023, 3)]
    assert len(ids) == 5 and not any(c.done_here for c in form.choices)
    data = {
        "bureau": FINANCE,
        "period": "2023Q2",
        "etag": form.etag,
        "submission": form.submission_id,
        FIELD_PROCEDURES: ids[0],
        FIELD_REASON: "",
    }
    result = switched.submit(dx_admin, data, IN_Q2)
    assert result.summary.progress.done == 28 + 56 + 3 + 10 + 1
    assert result.summary.progress.advanced == 1
    # after 10～12月 closes unreported, the four left are late, by name
    after = switched.bureau_summary(dx_admin.person, FINANCE, date(2024, 1, 20))
    assert [d.name for d in after.delayed_procedures] == [f"R5第3-{i}" for i in range(1, 5)]
    alerts = [a for a in switched.due_alerts(date(2024, 1, 20)) if a.bureau == FINANCE]
    assert alerts and len(alerts[0].delayed_procedures) == 4 and alerts[0].source is Source.PROCEDURES
    # ticking two of them done in 1～3月: no longer late
    late_form = switched.update_form(dx_admin, FINANCE, date(2024, 1, 20))
    late_ids = [c.id for c in late_form.choices if c.delayed][:2]
    with pytest.raises(FormRejected) as rejected:  # 2 of 4 carried + 2 planned: below the plan
        switched.submit(
            dx_admin,
            {
                "bureau": FINANCE,
                "period": "2023Q4",
                "etag": late_form.etag,
                "submission": late_form.submission_id,
                FIELD_PROCEDURES: ",".join(late_ids),
                FIELD_REASON: "",
            },
            date(2024, 1, 20),
        )
    assert "未完了のため、理由を入力してください" in rejected.value.form.errors[FIELD_REASON]
    switched.submit(
        dx_admin,
        {
            "bureau": FINANCE,
            "period": "2023Q4",
            "etag": late_form.etag,
            "submission": late_form.submission_id,
            FIELD_PROCEDURES: ",".join(late_ids),
            FIELD_REASON: "残りは来期",
        },
        date(2024, 1, 20),
    )
    assert len(switched.bureau_summary(dx_admin.person, FINANCE, date(2024, 1, 20)).delayed_procedures) == 2


def test_only_offered_procedures_can_be_ticked(switched, people):
    admin = actor_of(people, ADMIN)
    form = switched.update_form(admin, FINANCE, IN_Q2)
    with pytest.raises(FormRejected) as rejected:
        switched.submit(
            admin,
            {
                "bureau": FINANCE,
                "period": "2023Q2",
                "etag": form.etag,
                "submission": form.submission_id,
                FIELD_PROCEDURES: "NOPE",
                FIELD_REASON: "",
            },
            IN_Q2,
        )
    assert "一覧にない手続き" in rejected.value.form.errors[FIELD_PROCEDURES]


# --- the scheduler's ports ----------------------------------------------------------------------


def test_the_alert_source_and_digest_status(service, people):
    alerts = OnlineProceduresAlerts(service).due_alerts(date(2023, 10, 23))
    health = [a for a in alerts if a.bureau == "健康福祉局"]
    assert {a.key for a in health} == {
        "online_procedures|健康福祉局|2023Q2|delay",
        "online_procedures|健康福祉局|2023Q2|escalation",
    }
    assert {a.subject for a in health} == {"online_procedures|健康福祉局|2023Q2"}
    assert all(a.item.bureau == "健康福祉局" for a in health)
    status = OnlineProceduresStatus(service)
    city = status.status(date(2023, 8, 8), None)
    assert "3,706件のうち 1,696件 完了" in city.headline and city.items[0].label == "健康福祉局"
    one = status.status(date(2023, 8, 8), "健康福祉局")
    assert one.level.value == "delayed" and "遅れ 51件" in one.headline
    assert status.status(date(2023, 8, 8), "幻の局").level.value == "not_tracked"
    escalation = as_due_alert(next(a.item for a in health if a.escalation))
    assert escalation.escalation and "管理職" in escalation.why


def test_dx_pros_of_another_bureau_cannot_tick(switched, people):
    for other in (DX_CHILD, DX_HEALTH):
        with pytest.raises(Forbidden, match="財政局の DX PRO"):
            switched.update_form(actor_of(people, other), FINANCE, IN_Q2)


@pytest.mark.azurite
def test_the_write_path_on_azure_table_storage(azurite_connection_string, clock):
    """Submissions (batch of marker + bureau with its ETag), duplicates, conflicts and a whole-table
    import, on a real Azurite: the production backend's batch and ETag rules."""
    from services.online_procedures.service import PARTITION, TABLE
    from storage.azure import AzureTableStore

    store = AzureTableStore(azurite_connection_string)
    try:
        for entity in list(store.query(TABLE, PARTITION)):  # the Azurite of the session is shared
            store.delete(TABLE, entity.partition_key, entity.row_key)
        seed_store(store, load_seed())
        people = load_fixtures(store, clock)
        service = OnlineProceduresService(store, clock)
        dx, admin = actor_of(people, DX_HEALTH), actor_of(people, ADMIN)
        form = service.update_form(dx, "健康福祉局", IN_Q2)
        stale = service.update_form(admin, "健康福祉局", IN_Q2)
        data = {
            "bureau": "健康福祉局",
            "period": "2023Q2",
            "etag": form.etag,
            "submission": form.submission_id,
            "done": "30",
            "delayed": "30",
            "advanced": "",
            "reason": "調整中",
        }
        assert not service.submit(dx, data, IN_Q2).duplicate
        assert service.submit(dx, data, IN_Q2).duplicate
        with pytest.raises(FormRejected) as conflict:
            service.submit(admin, {**data, "etag": stale.etag, "submission": stale.submission_id}, IN_Q2)
        assert conflict.value.form.status.report.done == 30
        exported = service.export_xlsx(admin.person, IN_Q2)
        workbook = load_workbook(io.BytesIO(exported))
        sheet = workbook.worksheets[0]
        sheet["F6"], sheet["H6"], sheet["F25"], sheet["H25"] = 2, None, 64, 511  # 財政局: 2 from Q4 to Q2
        out = io.BytesIO()
        workbook.save(out)
        assert service.import_xlsx(admin, out.getvalue(), IN_Q2, "azure.xlsx").changed == (FINANCE,)
        assert service.bureau_summary(admin.person, "健康福祉局", IN_Q2).current.report.reason == "調整中"
    finally:
        store.close()
