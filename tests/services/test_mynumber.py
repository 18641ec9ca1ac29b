"""マイナンバー情報総点検: classification and matrix, validation, permissions, publication figures,
duplicates and conflicts, the audit attachment, the Excel import, alerts and the digest line."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from services.audit.trail import AuditLog
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.kernel.tabular import ImportRejected
from services.mynumber import rules
from services.mynumber.excel import IMPORT_COLUMNS, publication_xlsx
from services.mynumber.models import AuditResult, Cause, FormKind, LinkMethod, StepStatus
from services.mynumber.service import FormRejected, MyNumberService
from services.mynumber.sources import MyNumberAlerts, MyNumberStatus
from services.people.identity import Role, system_actor
from services.people.permissions import Forbidden
from services.proactive.digest import StatusLevel
from tests.fakes import InMemoryTableStore
from tests.support import mynumber as mx
from tests.support import people as fx


@pytest.fixture
def store():
    return InMemoryTableStore()


@pytest.fixture
def clock():
    return fx.Clock(datetime(2023, 9, 20, 10, 0, tzinfo=TIMEZONE))


@pytest.fixture
def service(store, clock):
    return MyNumberService(store, clock)


def inspection(service, actor, o, **values):
    form = service.form(actor, FormKind.INSPECTION, o.bureau, o.id)
    data = {**form.values, **values, "bureau": o.bureau, "operation": o.id, "etag": form.etag}
    return service.submit(actor, FormKind.INSPECTION, data)


# --- classification -------------------------------------------------------------------------------


def test_a_synthetic_survey_gives_the_materials_matrix_43_2_0_2(service):
    mx.seed_operations(service, mx.material_survey())
    matrix = service.matrix(mx.STAFF.person)
    assert matrix.cells == (43, 2, 0, 2) and matrix.total == 47 and matrix.unclassified == 0
    assert matrix.targets == 2


def test_classification_counts_only_records_linked_otherwise_and_uses_the_threshold():
    big = mx.op(mx.CHILD, "児童手当", (LinkMethod.AUTO, 5_000), (LinkMethod.THREE_OR_FEWER, 30))
    c = rules.classify(big, 100)
    assert c.needs_full_check and c.records == 30 and c.bucket == "small"
    assert rules.classify(big, 30).bucket == "large"
    fine = mx.op(mx.TAX, "住民税", (LinkMethod.FOUR_ITEMS, 99), (LinkMethod.ID_DOCUMENT, 1))
    assert not rules.classify(fine, 100).needs_full_check and rules.classify(fine, 100).bucket == "large"
    assert rules.classify(mx.op(mx.TAX, "未回答", (None, None)), 100) is None


def test_the_snapshot_comes_from_the_stored_seed(store, service):
    assert service.snapshot_matrix() is None and service.snapshot_progress() is None
    seed_store(store, load_seed())
    assert service.snapshot_matrix().cells == (43, 2, 0, 2)
    snap = service.snapshot_progress()
    assert (snap.items, snap.answered, snap.sections, len(snap.bureaus)) == (79, 41, 15, 4)


# --- the survey -----------------------------------------------------------------------------------


def test_the_survey_needs_a_method_and_other_needs_text_then_recomputes_the_matrix(service):
    [o] = mx.seed_operations(service, [mx.op(mx.TAX, "市民税の課税", (None, None), (None, None))])
    who = mx.contact(mx.TAX)
    form = service.form(who, FormKind.SURVEY, o.bureau, o.id)
    base = {"bureau": o.bureau, "operation": o.id, "etag": form.etag}
    with pytest.raises(FormRejected) as rejected:
        service.submit(who, FormKind.SURVEY, {**base, "i1_records": "1,200", "i2_method": "その他"})
    errors = rejected.value.form.errors
    assert errors == {
        "i1_method": "紐付け方法を選んでください",
        "i2_other": "「その他」の場合は紐付け方法を入力してください",
        "i2_records": "入力してください",
    }
    assert rejected.value.form.values["i1_records"] == "1,200"  # kept for the card
    assert service.matrix(who.person).unclassified == 1
    service.submit(
        who,
        FormKind.SURVEY,
        {
            **base,
            "i1_method": "システム自動連携",
            "i1_records": "1,200",
            "i2_method": "3情報以下で照会",
            "i2_records": "80件",
        },
    )
    assert service.matrix(who.person).cells == (0, 0, 0, 1)


def test_free_text_is_masked_before_storage(service, store):
    [o] = mx.seed_operations(service, [mx.op(mx.TAX, "市民税", (None, None))])
    who = mx.contact(mx.TAX)
    form = service.form(who, FormKind.SURVEY, o.bureau, o.id)
    service.submit(
        who,
        FormKind.SURVEY,
        {
            "bureau": o.bureau,
            "operation": o.id,
            "etag": form.etag,
            "i1_method": "その他",
            "i1_other": "番号 123456789018 で照合",
            "i1_records": "3",
        },
    )
    raw = str([e.properties for e in store.query("MyNumber")]) + str(
        [e.properties for e in store.query("Audit")]
    )
    assert "123456789018" not in raw and "********9018" in raw


# --- inspection ① ② ③ -----------------------------------------------------------------------------


@pytest.fixture
def target(service):
    return mx.seed_operations(service, [mx.op(mx.WELFARE, "生活保護", (LinkMethod.THREE_OR_FEWER, 400))])[0]


def test_inspection_checks_are_shown_with_the_fields(service, target):
    who = mx.contact(mx.WELFARE)
    with pytest.raises(FormRejected) as rejected:
        inspection(service, who, target, in_scope="100", checked="120", found="5", corrected="6", causes="")
    assert rejected.value.form.errors == {
        "checked": "点検済み件数（120件）は点検対象件数（100件）以下にしてください",
        "corrected": "修正件数（6件）は誤紐付け件数（5件）以下にしてください",
        "causes": "誤紐付けがある場合は、原因を選んでください",
    }
    saved = inspection(
        service,
        who,
        target,
        in_scope="100",
        checked="100",
        s1_status="完了",
        found="5",
        corrected="3",
        causes="家族の番号,その他",
        cause_text="転記ミス",
        s2_status="実施中",
        viewed="なし",
        action="本人へ通知",
    )
    assert saved.operation.full_check.status is StepStatus.DONE
    assert saved.operation.mislinks.causes == (Cause.FAMILY, Cause.OTHER)
    assert service.overview(who.person, date(2023, 9, 20)).rows[0].steps[0][1] is StepStatus.DONE


def test_overview_lists_targets_by_bureau_with_what_is_overdue(service, target):
    view = service.overview(mx.ADMIN.person, date(2023, 12, 1))
    [row] = view.rows
    assert row.operation.name == "生活保護" and len(row.overdue) == 3 and view.overdue_count == 3
    assert service.overview(mx.ADMIN.person, date(2023, 11, 1)).overdue_count == 0


def test_a_retried_submission_saves_once_and_a_stale_card_meets_the_etag(service, target, store, clock):
    who = mx.contact(mx.WELFARE)
    form = service.form(who, FormKind.INSPECTION, target.bureau, target.id)
    data = {
        **form.values,
        "in_scope": "10",
        "bureau": target.bureau,
        "operation": target.id,
        "etag": form.etag,
    }
    first = service.submit(who, FormKind.INSPECTION, data)
    again = service.submit(who, FormKind.INSPECTION, data)
    assert not first.duplicate and again.duplicate and again.operation.version == first.operation.version
    other = mx.contact(mx.WELFARE, "別担当")
    with pytest.raises(FormRejected) as stale:
        service.submit(other, FormKind.INSPECTION, {**data, "in_scope": "11"})
    assert "ほかの方が先に" in stale.value.form.notice
    audits = [e for e in AuditLog(store, clock).recent(mx.ADMIN.person, "mynumber")]
    assert len([a for a in audits if a.operation == "update"]) == 1


def test_an_audit_result_attaches_to_steps_one_and_two(service, target):
    saved = service.attach_audit_result(
        mx.ADMIN, target.bureau, target.id, AuditResult("run-0001", date(2023, 9, 1), 400, 400, 3)
    )
    f, m = saved.operation.full_check, saved.operation.mislinks
    assert (
        f.status is StepStatus.DONE and f.audit.run_id == "run-0001" and m.found == 3 and m.audit.found == 3
    )
    assert m.status is StepStatus.IN_PROGRESS


# --- permissions ----------------------------------------------------------------------------------


def test_another_sections_contact_cannot_edit_and_staff_read_nothing(service, target):
    with pytest.raises(Forbidden):
        service.form(mx.contact(mx.PENSION), FormKind.INSPECTION, target.bureau, target.id)
    with pytest.raises(Forbidden):
        inspection(service, mx.contact(mx.TAX), target, in_scope="1")
    with pytest.raises(Forbidden):
        service.operation(mx.STAFF.person, target.bureau, target.id)
    assert (
        service.operations(mx.STAFF.person) == [] and service.operations(mx.contact(mx.PENSION).person) == []
    )
    bureau_contact = mx.actor(mx.person("局担当", (Role.BUREAU_CONTACT, mx.OrgUnit("健康福祉局"))))
    assert service.may_write(bureau_contact.person, target)


def test_managers_read_their_bureau_only(service, target):
    assert [o.name for o in service.operations(mx.manager("健康福祉局").person)] == ["生活保護"]
    assert service.operations(mx.manager("財政局").person) == []
    with pytest.raises(Forbidden):
        service.form(mx.manager("健康福祉局"), FormKind.INSPECTION, target.bureau, target.id)
    assert service.publication_table(mx.manager("健康福祉局").person, "健康福祉局", date(2023, 9, 20)).rows
    with pytest.raises(Forbidden):
        service.publication_table(mx.manager("健康福祉局").person, None, date(2023, 9, 20))


# --- publication ----------------------------------------------------------------------------------


def test_publication_table_figures_and_rates(service):
    a, b, _ = mx.seed_operations(
        service,
        [
            mx.op(mx.WELFARE, "生活保護", (LinkMethod.THREE_OR_FEWER, 400)),
            mx.op(mx.CHILD, "児童手当", (LinkMethod.OTHER, 50)),
            mx.op(mx.TAX, "市民税", (LinkMethod.AUTO, 10_000)),
        ],
    )
    inspection(
        service,
        mx.ADMIN,
        a,
        in_scope="400",
        checked="400",
        found="4",
        corrected="4",
        causes="同姓同名の他人",
        viewed="あり",
        action="閲覧者へ説明",
    )
    inspection(service, mx.ADMIN, b, in_scope="50", checked="20", found="0")
    table = service.publication_table(mx.ADMIN.person, None, date(2023, 9, 20))
    assert sorted(r.operation for r in table.rows) == [
        "児童手当",
        "生活保護",
    ]  # the tax operation is no target
    rows = {r.operation: r for r in table.rows}
    assert rows["生活保護"].rate == pytest.approx(0.01) and rows["生活保護"].impact == "あり"
    assert rows["生活保護"].response == "4件を修正。閲覧者へ説明" and rows["児童手当"].rate == 0
    assert (table.in_scope, table.found) == (450, 4) and table.rate == pytest.approx(4 / 450)
    sheet = load_workbook(io.BytesIO(publication_xlsx(table))).active
    assert (
        sheet["C3"].value == "生活保護"
        and sheet["D3"].value == 400
        and sheet["F3"].value == pytest.approx(0.01)
    )
    assert sheet["A5"].value == "合計" and sheet["E5"].value == 4


# --- the Excel import -----------------------------------------------------------------------------


def workbook(rows):
    book = Workbook()
    book.active.append(list(IMPORT_COLUMNS))
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_import_is_refused_whole_on_a_bad_cell(service):
    data = workbook(
        [
            [
                "財政局",
                "税務部",
                "市民税課",
                "市民税の課税",
                "給与支払報告",
                "システム自動連携",
                "",
                "はい",
                "はい",
                5000,
                "",
            ],
            [
                "財政局",
                "税務部",
                "市民税課",
                "市民税の課税",
                "年金支払報告",
                "その他",
                "",
                "",
                "",
                "12件",
                "",
            ],
            ["財政局", "税務部", "市民税課", "市民税の課税", "申告書", "", "", "", "", "abc", ""],
        ]
    )
    with pytest.raises(ImportRejected) as refused:
        service.import_xlsx(mx.ADMIN, data, "import.xlsx")
    text = str(refused.value)
    assert "セル G3" in text and "セル F4" in text and "セル J4" in text
    assert service.all_operations() == []


def test_the_import_adds_then_updates_keeping_answers(service):
    rows = [
        [
            "財政局",
            "税務部",
            "市民税課",
            "市民税の課税",
            "給与支払報告",
            "システム自動連携",
            "",
            "はい",
            "はい",
            5000,
            "R5.7.31",
        ],
        ["財政局", "税務部", "市民税課", "市民税の課税", "申告書", "", "", "", "", "", ""],
    ]
    first = service.import_xlsx(mx.ADMIN, workbook(rows), "import.xlsx")
    assert (first.operations_added, first.items) == (1, 2)
    [o] = service.all_operations()
    assert o.items[0].records == 5000 and o.survey_due == date(2023, 7, 31) and not o.items[1].answered
    again = service.import_xlsx(mx.ADMIN, workbook(rows), "import.xlsx")
    assert (again.operations_added, again.operations_updated, again.unchanged) == (0, 0, 1)
    with pytest.raises(Forbidden):
        service.import_xlsx(mx.contact(mx.TAX), workbook(rows), "import.xlsx")


# --- alerts and the digest ------------------------------------------------------------------------


def test_alerts_go_to_the_sections_contacts_for_unanswered_and_overdue_work(store, clock, service):
    people = fx.load_fixtures(store, clock)  # 財政 担当: 局担当 of 財政局
    mx.seed_operations(
        service,
        [
            mx.op(mx.TAX, "市民税", (None, None), (LinkMethod.AUTO, 5)),
            mx.op(mx.TAX, "固定資産税", (LinkMethod.THREE_OR_FEWER, 300)),
            mx.op(mx.WELFARE, "生活保護", (None, None)),
        ],
    )
    source = MyNumberAlerts(service, people)
    assert source.due_alerts(date(2023, 7, 20)) == []  # more than 5 business days before 7/31
    [near] = source.due_alerts(date(2023, 7, 25))
    assert near.person == fx.CONTACT and "未回答 1情報" in near.title and near.bureau == "財政局"
    alerts = source.due_alerts(date(2023, 12, 1))
    assert [a.key.split("|")[1] for a in alerts] == ["survey", "overdue"]
    assert "3件" in alerts[1].title and all(a.person == fx.CONTACT for a in alerts)


def test_the_digest_line_shows_totals_with_a_chart(store, service):
    seed_store(store, load_seed())
    empty = MyNumberStatus(service).status(date(2023, 9, 20), None)
    assert empty.level is StatusLevel.NOT_TRACKED and "79情報のうち 41情報回答" in empty.headline
    mx.seed_operations(service, mx.material_survey())
    line = MyNumberStatus(service).status(date(2023, 12, 1), None)
    assert (
        line.level is StatusLevel.OVERDUE
        and "点検対象 2業務" in line.headline
        and "期限超過 6件" in line.headline
    )
    assert [p.label for p in line.chart][:2] == ["点検対象", "① 完了"] and line.chart[0].value == 2
    health = MyNumberStatus(service).status(date(2023, 9, 20), "財政局")
    assert health.level is StatusLevel.ON_TRACK and "点検対象 0業務" in health.headline


def test_only_admins_register_operations(service, store):
    from services.people.service import PeopleService

    PeopleService(store, lambda: datetime.now(TIMEZONE))  # seed bureaus are known without an import
    with pytest.raises(Forbidden):
        service.register(mx.contact(mx.TAX), {"unit": "財政局/税務部/市民税課", "name": "x", "items": "a"})
    with pytest.raises(FormRejected) as rejected:
        service.register(mx.ADMIN, {"unit": "存在しない局", "name": "", "items": ""})
    assert set(rejected.value.form.errors) == {"unit", "name", "items"}
    saved = service.register(
        system_actor("admin", "t"),
        {"unit": "財政局/税務部/市民税課", "name": "市民税", "items": "給与支払報告\n申告書、申告書"},
    )
    assert [i.name for i in saved.operation.items] == ["給与支払報告", "申告書"]


def test_the_settings_of_the_programme_are_validated():
    from services.kernel.settings import Settings, SettingsError

    s = Settings.from_env({"MYNUMBER_THRESHOLD": "50", "MYNUMBER_COMPLETION_DATE": "2023-12-28"})
    assert (s.mynumber_threshold, s.mynumber_completion, s.mynumber_interim_report) == (
        50,
        date(2023, 12, 28),
        date(2023, 8, 31),
    )
    for env, message in (
        ({"MYNUMBER_THRESHOLD": "0"}, "MYNUMBER_THRESHOLD"),
        ({"MYNUMBER_SURVEY_DUE": "7月末"}, "YYYY-MM-DD"),
        ({"MYNUMBER_COMPLETION_DATE": "2023-08-01"}, "MYNUMBER_INTERIM_REPORT_DATE 以降"),
    ):
        with pytest.raises(SettingsError, match=message):
            Settings.from_env(env)


def test_the_cli_writes_a_template_imports_it_and_exports_the_table(tmp_path, store, capsys, monkeypatch):
    from services.mynumber.cli import main

    monkeypatch.chdir(tmp_path)  # no developer .env is read
    template = tmp_path / "template.xlsx"
    assert main(["template", str(template)], store=store) == 0
    assert main(["import", str(template)], store=store) == 0
    assert "事務 1件を追加" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(
        ",".join(IMPORT_COLUMNS) + "\n健康福祉局,健康部,保険年金課,年金,給付,郵送,,,,1,\n", encoding="utf-8"
    )
    assert main(["import", str(bad)], store=store) == 1
    assert "セル F2" in capsys.readouterr().err
    out = tmp_path / "table.xlsx"
    assert main(["--as-of", "2023-09-20", "export", str(out)], store=store) == 0
    assert load_workbook(out).active["A3"].value == "合計"  # 4情報で照会: no target operation
