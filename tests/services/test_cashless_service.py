"""キャッシュレス service on the in-memory store: the seeded registry, rollout writes and their
permissions, duplicates and conflicts, exclusions, the indicator import, alerts, digest and Excel."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from services.audit.trail import AuditLog
from services.cashless.excel import WorkbookRefused
from services.cashless.models import Channel, PolicyClass, Rollout
from services.cashless.service import CashlessError, CashlessService, FormRejected
from services.cashless.sources import CashlessAlerts, CashlessStatus
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.people.identity import Actor, OrgUnit, Person, Role, RoleGrant, system_actor
from services.people.permissions import Forbidden
from tests.fakes import InMemoryTableStore
from tests.support.people import Clock

KENSETSU = "建設局"
ADMIN = system_actor("管理者", "test")


def person(oid: str, role: Role, bureau: str = "") -> Actor:
    scope = OrgUnit(bureau) if bureau else None
    return Actor(Person(oid, f"{oid} さん", scope, (RoleGrant(role, scope),)), "a:conv")


CONTACT = person("contact-kensetsu", Role.BUREAU_CONTACT, KENSETSU)
OTHER_CONTACT = person("contact-zaisei", Role.BUREAU_CONTACT, "財政局")
MANAGER = person("manager-kensetsu", Role.MANAGER, KENSETSU)
STAFF = Actor(Person("staff", "一般 職員"), "a:conv")


@pytest.fixture
def store():
    store = InMemoryTableStore()
    seed_store(store, load_seed())
    return store


@pytest.fixture
def clock():
    return Clock(datetime(2023, 9, 20, 10, 0, tzinfo=TIMEZONE))


@pytest.fixture
def service(store, clock):
    return CashlessService(store, clock, bureaus=lambda: ["建設局", "健康福祉局", "財政局"])


def by_name(service, name):
    return next(r for r in service.receivables() if r.name == name)


def form_data(service, actor, rid, **values):
    form = service.update_form(actor, rid)
    return {
        "receivable": rid,
        "etag": form.receivable.etag,
        **{k: v for k, v in form.values.items()},
        **values,
    }


def test_the_seed_loads_the_material_with_empty_figures_not_zero(service):
    rows = service.receivables()
    assert len(rows) == 17 + 5
    assert sum(r.channel is Channel.DESIGNATED for r in rows) == 7
    assert all(r.annual_cases is None and r.annual_amount is None for r in rows)
    assert by_name(service, "布袋温泉").tender_year == 2024
    assert "複数年" in by_name(service, "自転車等駐車場").tender_note
    assert by_name(service, "目的外使用料").bureau == KENSETSU
    sports = by_name(service, "スポーツ施設（R4導入 11拠点）")
    assert sports.status is Rollout.DONE and sports.methods is None  # the material does not say which
    overview = service.overview(STAFF.person, date(2023, 9, 20))
    assert (
        len(overview.by_class(PolicyClass.TARGET)) == 17
        and len(overview.by_class(PolicyClass.INTRODUCED)) == 5
    )
    assert (
        overview.coverage.share is None and overview.coverage.missing == 22 and overview.missing_figures == 22
    )
    assert [x.keyword for x in service.exclusions()] == [
        "複写機等使用徴収金",
        "収入印紙売りさばき収入金",
        "斎場使用料",
    ]


def test_the_bureau_contact_moves_a_receivable_to_planned_with_history_and_audit(service, store, clock):
    rid = by_name(service, "目的外使用料").id
    data = form_data(
        service,
        CONTACT,
        rid,
        status="PLANNED",
        planned_on="2024-04-01",
        cases="12,000",
        amount="36000000",
        methods="card,qr",
    )
    result = service.submit(CONTACT, data, date(2023, 9, 20))
    saved = result.receivable
    assert saved.status is Rollout.PLANNED and saved.planned_on == date(2024, 4, 1)
    assert (saved.annual_cases, saved.annual_amount, saved.unit_price) == (12_000, 36_000_000, 3000)
    assert [h.status for h in saved.history] == [Rollout.PLANNED]
    assert {c.label for c in result.changes} >= {"導入状況", "導入予定日", "年間件数", "年間金額"}
    [entry] = AuditLog(store, clock).recent(ADMIN.person, "cashless")
    assert entry.after["導入状況"] == "導入予定" and entry.actor_name == CONTACT.name
    coverage = service.overview(STAFF.person, date(2023, 9, 20)).coverage
    assert (coverage.share, coverage.counted, coverage.missing) == (1.0, 1, 21)


def test_the_same_card_sent_twice_is_saved_once(service, store):
    rid = by_name(service, "目的外使用料").id
    data = form_data(service, CONTACT, rid, status="ADJUSTING")
    first = service.submit(CONTACT, data, date(2023, 9, 20))
    audit_rows = len(store.snapshot().get("Audit", {}))
    second = service.submit(CONTACT, data, date(2023, 9, 20))
    assert not first.duplicate and second.duplicate and second.changes == first.changes
    assert service._get(rid).version == 1 and len(store.snapshot().get("Audit", {})) == audit_rows


def test_another_submission_from_a_stale_card_meets_the_etag_check(service):
    rid = by_name(service, "目的外使用料").id
    stale = form_data(service, CONTACT, rid)
    service.submit(CONTACT, {**stale, "status": "ADJUSTING"}, date(2023, 9, 20))
    with pytest.raises(FormRejected) as rejected:
        service.submit(CONTACT, {**stale, "status": "DONE"}, date(2023, 9, 20))
    assert "ほかの方が先に" in rejected.value.form.notice
    assert service._get(rid).status is Rollout.ADJUSTING


def test_invalid_values_come_back_with_errors_and_nothing_is_saved(service):
    rid = by_name(service, "目的外使用料").id
    data = form_data(service, CONTACT, rid, status="PLANNED", planned_on="", cases="-4")
    with pytest.raises(FormRejected) as rejected:
        service.submit(CONTACT, data, date(2023, 9, 20))
    assert "0以上" in rejected.value.form.errors["cases"] and rejected.value.form.values["cases"] == "-4"
    data = form_data(service, CONTACT, rid, status="PLANNED", planned_on="")
    with pytest.raises(FormRejected) as rejected:
        service.submit(CONTACT, data, date(2023, 9, 20))
    assert "導入予定日" in rejected.value.form.errors["planned_on"]
    assert service._get(rid).version == 0


def test_permissions_owning_bureau_and_admins_write_managers_read_their_bureau_staff_nothing(service, store):
    rid = by_name(service, "目的外使用料").id
    for actor in (OTHER_CONTACT, MANAGER, STAFF):
        with pytest.raises(Forbidden):
            service.update_form(actor, rid)
    data = form_data(service, CONTACT, rid, status="ADJUSTING")
    before = store.snapshot()
    for actor in (OTHER_CONTACT, MANAGER, STAFF):
        with pytest.raises(Forbidden):
            service.submit(actor, data, date(2023, 9, 20))
    assert store.snapshot() == before  # nothing saved, nothing audited
    assert service.detail(MANAGER.person, rid, date(2023, 9, 20)).receivable.name == "目的外使用料"
    with pytest.raises(Forbidden):
        service.detail(OTHER_CONTACT.person, rid, date(2023, 9, 20))
    unassigned = by_name(service, "介護保険料").id
    with pytest.raises(Forbidden):
        service.update_form(CONTACT, unassigned)  # no bureau yet: admins only
    admin_data = form_data(service, ADMIN, unassigned, owner_bureau="健康福祉局", section="介護保険課")
    assert (
        service.submit(ADMIN, admin_data, date(2023, 9, 20)).receivable.owner_label == "健康福祉局 介護保険課"
    )


def test_an_admin_adds_an_exclusion_with_a_reason_and_the_class_follows(service):
    with pytest.raises(Forbidden):
        service.add_exclusion(CONTACT, "公営住宅使用料", "理由")
    with pytest.raises(CashlessError):
        service.add_exclusion(ADMIN, "公営住宅使用料", "")
    service.add_exclusion(ADMIN, "公営住宅使用料", "家賃の収納は別途検討するため")
    row = service.detail(ADMIN.person, by_name(service, "公営住宅使用料等").id, date(2023, 9, 20))
    assert row.classification.policy_class is PolicyClass.EXCLUDED and "別途検討" in row.classification.rule


def _indicator(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["年度", "決済手段", "件数", "金額（円）"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_the_indicator_import_is_whole_or_nothing_with_the_cell_named(service):
    good = [
        ["R5", "現金", 1000, 5_000_000],
        ["R5", "クレジットカード", 300, 3_000_000],
        ["R5", "口座振替", 500, 2_000_000],
    ]
    with pytest.raises(Forbidden):
        service.import_indicator(CONTACT, _indicator(good))
    with pytest.raises(WorkbookRefused) as refused:
        service.import_indicator(
            ADMIN, _indicator([*good, ["R5", "小切手", 1, 1], ["R5", "現金", "多数", 1]])
        )
    assert {str(i) for i in refused.value.issues} >= {
        "B5: 決済手段は 現金、口座振替、クレジットカード、デビットカード、"
        "電子マネー、二次元コード、収納代行 のいずれかです",
        "C6: 0以上の整数ではありません",
    }
    assert service.indicator(STAFF.person) is None  # nothing imported
    view = service.import_indicator(ADMIN, _indicator(good), "実績.xlsx")
    [year] = view.years
    assert year.share() == pytest.approx(0.3) and year.share(revised=True) == pytest.approx(0.5)
    assert (view.goal_2025, view.goal_2030) == (40, 65)


def test_due_alerts_late_targets_and_switching_years(service):
    rid = by_name(service, "目的外使用料").id
    service.submit(
        CONTACT,
        form_data(service, CONTACT, rid, status="PLANNED", planned_on="2023-12-28"),
        date(2023, 9, 20),
    )
    alerts = CashlessAlerts(service)
    assert not [a for a in alerts.due_alerts(date(2024, 1, 3)) if "導入予定日" in a.title]
    [late] = [a for a in alerts.due_alerts(date(2024, 1, 4)) if "導入予定日" in a.title]
    assert (
        late.bureau == KENSETSU
        and late.key == f"cashless|{rid}|late|2023-12-28"
        and late.due == date(2024, 1, 4)
    )
    raw = service.due_alerts(date(2023, 10, 2))
    switching = sorted(a.name for a in raw if a.kind.value == "switch")
    assert "布袋温泉" in switching and "サンスクエア堺" in switching  # R6 from 2023-10-02; R5 this year
    assert "自転車等駐車場" not in switching  # 複数年: no year entered


def test_the_status_line_counts_targets_and_states_the_coverage_basis(service):
    rid = by_name(service, "目的外使用料").id
    service.submit(
        CONTACT,
        form_data(service, CONTACT, rid, status="PLANNED", planned_on="2023-10-02"),
        date(2023, 9, 20),
    )
    city = CashlessStatus(service).status(date(2023, 10, 10), None)
    assert (
        city.level.value == "overdue" and "予定日超過 1件" in city.headline and "未入力 22件" in city.headline
    )
    bureau = CashlessStatus(service).status(date(2023, 10, 10), KENSETSU)
    assert bureau.items[0].label == "目的外使用料" and "カバー率" not in bureau.headline
    assert CashlessStatus(service).status(date(2023, 10, 10), "消防局").level.value == "not_tracked"


def test_the_registry_export_keeps_missing_figures_empty(service):
    rid = by_name(service, "目的外使用料").id
    service.submit(
        CONTACT, form_data(service, CONTACT, rid, cases="4000", amount="8000000"), date(2023, 9, 20)
    )
    sheet = load_workbook(io.BytesIO(service.export_xlsx(STAFF.person, date(2023, 9, 20)))).worksheets[0]
    header = [c.value for c in sheet[1]]
    rows = {
        row[1]: dict(zip(header, row, strict=False)) for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert rows["目的外使用料"]["年間件数"] == 4000 and rows["目的外使用料"]["平均単価（円）"] == 2000
    assert rows["介護保険料"]["年間件数"] is None and rows["介護保険料"]["年間金額（円）"] is None
    assert rows["介護保険料"]["分類"] == "全面導入の対象"


def _edited(service, edit) -> bytes:
    workbook = load_workbook(io.BytesIO(service.export_xlsx(ADMIN.person, date(2023, 9, 20))))
    edit(workbook.worksheets[0])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _row_of(sheet, name):
    return next(row[0].row for row in sheet.iter_rows(min_row=2) if row[1].value == name)


def test_the_registry_comes_back_from_excel_whole_or_nothing_with_the_cell_named(service, store):
    def bad(sheet):
        n = _row_of(sheet, "介護保険料")
        sheet[f"F{n}"] = "たくさん"
        sheet[f"C{_row_of(sheet, '布袋温泉')}"] = "直営"
        sheet[f"F{_row_of(sheet, '目的外使用料')}"] = 5000

    service.receivables()  # seeded
    before = store.snapshot()
    with pytest.raises(WorkbookRefused) as refused:
        service.import_registry(ADMIN, _edited(service, bad), "債権.xlsx")
    texts = [str(i) for i in refused.value.issues]
    assert any(t.startswith("F2: ") and "整数" in t for t in texts), texts
    assert any(t.startswith("C13: 区分は") for t in texts)
    assert store.snapshot() == before  # nothing taken, not even the good row

    with pytest.raises(Forbidden):
        service.import_registry(CONTACT, _edited(service, lambda sheet: None))

    def good(sheet):
        n = _row_of(sheet, "介護保険料")
        sheet[f"D{n}"], sheet[f"E{n}"], sheet[f"F{n}"], sheet[f"G{n}"] = (
            "健康福祉局",
            "介護保険課",
            250_000,
            4_000_000_000,
        )
        sheet[f"J{n}"], sheet[f"K{n}"] = "導入予定", date(2024, 10, 1)
        sheet.insert_rows(24)
        sheet["B24"], sheet["C24"], sheet["F24"], sheet["G24"] = (
            "斎場使用料（特定事業者）",
            "市窓口・直営施設",
            3500,
            70_000_000,
        )

    assert service.import_registry(ADMIN, _edited(service, good), "債権.xlsx") == (1, 1)
    kaigo = by_name(service, "介護保険料")
    assert (kaigo.bureau, kaigo.annual_cases, kaigo.status, kaigo.planned_on) == (
        "健康福祉局",
        250_000,
        Rollout.PLANNED,
        date(2024, 10, 1),
    )
    assert kaigo.history[-1].note == "Excel の取込"
    added = service.detail(ADMIN.person, by_name(service, "斎場使用料（特定事業者）").id, date(2023, 9, 20))
    assert added.classification.policy_class is PolicyClass.EXCLUDED
    coverage = service.overview(STAFF.person, date(2023, 9, 20)).coverage
    assert (coverage.covered_amount, coverage.total_amount, coverage.counted) == (
        4_000_000_000,
        4_070_000_000,
        2,
    )
    assert service.import_registry(ADMIN, _edited(service, lambda sheet: None)) == (
        0,
        0,
    )  # unchanged: no write


def test_the_cli_exports_and_lists_alerts(store, tmp_path, capsys, monkeypatch):
    from services.cashless.__main__ import main

    monkeypatch.delenv("CASHLESS_TARGET_MIN_CASES", raising=False)
    out = tmp_path / "債権.xlsx"
    assert main(["--as-of", "2023-10-02", "export", str(out)], store=store) == 0
    assert load_workbook(out).worksheets[0]["B2"].value == "介護保険料"
    assert main(["--as-of", "2023-10-02", "alerts"], store=store) == 0
    assert "switch r12 布袋温泉 所管未設定" in capsys.readouterr().out


def test_alerts_go_to_the_owning_sections_contacts_one_each_or_to_the_bureau(service):
    from services.cashless.sources import section_contacts

    section_unit = OrgUnit(KENSETSU, "土木部", "土木監理課")
    in_section = Actor(
        Person("c-section", "課 担当", section_unit, (RoleGrant(Role.BUREAU_CONTACT, section_unit),))
    )
    people = [CONTACT.person, in_section.person, OTHER_CONTACT.person, MANAGER.person]
    assert section_contacts(people, KENSETSU, "土木監理課") == ["c-section"]
    assert section_contacts(people, KENSETSU, "道路計画課") == ["c-section", "contact-kensetsu"]
    rid = by_name(service, "目的外使用料").id
    service.submit(
        CONTACT,
        form_data(service, CONTACT, rid, status="PLANNED", planned_on="2023-12-28"),
        date(2023, 9, 20),
    )
    [late] = [
        a
        for a in CashlessAlerts(service, people=lambda: people).due_alerts(date(2024, 1, 4))
        if "導入予定日" in a.title
    ]
    assert (late.person, late.key) == ("c-section", f"cashless|{rid}|late|2023-12-28|c-section")
    assert "土木監理課" in late.why and "導入済" in late.next_step
