"""業務システムの標準化: deadlines and overdue around 2026-03-31, the hard-to-migrate and 特定移行支援
exceptions, the cost arithmetic, the review order and the permissions (service on the in-memory store)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from services.audit.trail import AuditLog
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.people.permissions import Forbidden
from services.standardization import rules
from services.standardization.models import Costs, DeadlineKind, Handling, Step, StepStatus, System
from services.standardization.service import (
    FormError,
    OutOfOrder,
    StandardizationError,
    StandardizationService,
)
from tests.fakes import InMemoryTableStore
from tests.support import people as fx

DEADLINE = date(2026, 3, 31)


@pytest.fixture
def store():
    store = InMemoryTableStore()
    seed_store(store, load_seed())
    return store


@pytest.fixture
def clock():
    return fx.Clock(datetime(2026, 12, 1, 10, 0, tzinfo=TIMEZONE))


@pytest.fixture
def people(store, clock):
    return fx.load_fixtures(store, clock)


@pytest.fixture
def service(store, clock, people):
    return StandardizationService(store, clock)


def actor(people, who):
    return fx.actor_of(people, who)


# --- the seed and the 20 operations ----------------------------------------------------------


def test_the_twenty_operations_with_tax_and_disability_welfare_hard_to_migrate(service):
    systems = service.systems()
    assert (
        len(systems) == 20
        and systems[0].operation == "住民基本台帳"
        and systems[-1].operation == "戸籍の附票"
    )
    hard = [s.operation for s in systems if s.hard]
    assert hard == ["固定資産税", "個人住民税", "法人住民税", "軽自動車税", "障害者福祉"]
    assert [s.name for s in service.steps()] == [
        "見積依頼",
        "Gap対応",
        "見積精査",
        "予算要求",
        "移行",
        "稼働",
    ]
    gap = service.steps()[1]
    assert (gap.start, gap.end) == (
        date(2023, 7, 31),
        date(2023, 9, 30),
    ) and gap.owner.value == "担当課・ICT推進室"
    assert service.steps()[0].owner.value == "担当課"


def test_the_seed_has_no_invented_migration_date_for_the_hard_systems():
    hard = load_seed()["standardization_hard_systems"]
    assert "移行期限日" not in hard.columns
    assert hard["移行管理の期限"].str.contains("移行管理の期限を設定").all()
    assert not hard["移行管理の期限"].str.contains("移行完了").any()
    facts = load_seed()["standardization_facts"].set_index("項目")
    assert facts.loc["補助金対象経費と補助金額上限の比率", "数値"] == 5
    assert facts.loc["閣議決定の予定", "時期"] == "令和5年8月中"
    assert list(facts.query("区分 == '経費区分'").index) == [
        "移行経費等",
        "ガバメントクラウド利用料",
        "疎結合システムの構築費",
        "業務効率化ツールの提供等にかかる経費",
    ]


# --- deadlines -------------------------------------------------------------------------------


def system(**changes) -> System:
    return replace(System("01", "住民基本台帳", "住民基本台帳", "市民人権局"), **changes)


@pytest.mark.parametrize(
    ("today", "overdue"),
    [
        (date(2026, 3, 31), None),
        (date(2026, 4, 1), (1, 0)),
        (date(2026, 4, 30), (30, 0)),
        (date(2026, 12, 1), (245, 8)),
    ],
)
def test_a_standard_system_not_live_is_overdue_after_the_end_of_fy_r7(today, overdue):
    status = rules.system_status(system(), rules.default_steps([]), [], today)
    assert status.deadline.kind is DeadlineKind.STANDARD and status.deadline.due == DEADLINE
    assert (status.overdue.days, status.overdue.months) == overdue if overdue else status.overdue is None


def test_a_live_system_is_not_overdue():
    steps = rules.default_steps([])
    live = system(steps=(Step("live", StepStatus.DONE, done_on=date(2026, 2, 1)),))
    status = rules.system_status(live, steps, [], date(2026, 12, 1))
    assert status.overdue is None and status.live_on == date(2026, 2, 1) and status.state_label == "稼働済み"


def test_a_hard_system_has_no_migration_deadline_until_the_ordinance_sets_it():
    steps = rules.default_steps([])
    hard = system(hard=True)
    status = rules.system_status(hard, steps, [], date(2026, 12, 1))
    assert status.deadline.due is None and status.overdue is None and "未設定" in status.deadline.label
    assert status.data_overdue.days == 245  # the data requirements were due by March R8
    met = rules.system_status(replace(hard, data_done_on=date(2026, 3, 1)), steps, [], date(2026, 12, 1))
    assert met.data_overdue is None
    set_ = rules.system_status(replace(hard, own_deadline=date(2028, 3, 31)), steps, [], date(2026, 12, 1))
    assert set_.deadline.due == date(2028, 3, 31) and set_.overdue is None
    assert next(v for v in set_.steps if v.definition.key == "live").end == date(2028, 3, 31)


def test_a_special_migration_support_system_gets_its_own_deadline():
    steps = rules.default_steps([])
    special = system(special=True, own_deadline=date(2026, 9, 30))
    status = rules.system_status(special, steps, [], date(2026, 12, 1))
    assert status.deadline.kind is DeadlineKind.SPECIAL and status.overdue.days == 62
    assert rules.system_status(special, steps, [], date(2026, 9, 30)).overdue is None


# --- costs -----------------------------------------------------------------------------------


def with_costs(number: str, eligible: int, *outside: int) -> System:
    return System(number, f"業務{number}", "x", costs=Costs(eligible, (*outside, 0, 0, 0, 0, 0)[:5]))


def test_a_cap_above_the_eligible_total_covers_all_eligible_costs():
    systems = [with_costs("01", 1_000_000, 0, 200_000, 0, 0, 0), with_costs("02", 3_000_000)]
    summary = rules.cost_summary(systems, 10_000_000)
    assert summary.subsidy == 4_000_000 and summary.city_cost == 200_000
    assert [r.subsidy for r in summary.rows] == [1_000_000, 3_000_000]
    assert [r.city_cost for r in summary.rows] == [200_000, 0]


def test_a_cap_below_the_eligible_total_is_shared_in_proportion_with_exact_sums():
    systems = [with_costs("01", 1), with_costs("02", 1), with_costs("03", 1)]
    summary = rules.cost_summary(systems, 2)
    assert [r.subsidy for r in summary.rows] == [1, 1, 0]  # the yen left goes to the first of equals
    assert [r.city_cost for r in summary.rows] == [0, 0, 1] and summary.city_cost == 1
    systems = [with_costs("01", 5_000_000, 1_000), with_costs("02", 2_500_000), with_costs("03", 2_500_001)]
    summary = rules.cost_summary(systems, 2_000_000)  # the material: eligible ≈ 5 × cap
    assert summary.subsidy == 2_000_000 and round(summary.ratio, 1) == 5.0
    assert sum(r.subsidy for r in summary.rows) == 2_000_000
    assert sum(r.city_cost for r in summary.rows) == summary.city_cost == summary.total - 2_000_000
    assert [r.subsidy for r in summary.rows] == [
        1_000_000,
        500_000,
        500_000,
    ]  # floors 999,999 / 499,999 / 500,000; .95 and .90 get the 2 yen


def test_no_cap_entered_means_no_subsidy_counted():
    summary = rules.cost_summary([with_costs("01", 100)], None)
    assert summary.subsidy == 0 and summary.city_cost == 100 and summary.ratio is None


@given(hs.integers(0, 10**12), hs.lists(hs.integers(0, 10**11), min_size=1, max_size=20))
def test_sharing_always_sums_exactly_and_never_exceeds_a_weight_share(amount, weights):
    if sum(weights) == 0:
        amount = 0
    parts = rules.share_in_proportion(amount, weights)
    assert sum(parts) == amount
    total = sum(weights) or 1
    assert all(abs(p * total - amount * w) < total for p, w in zip(parts, weights, strict=True))


# --- gaps, review order, permissions -----------------------------------------------------------


def test_a_section_adds_gaps_and_the_ict_office_reviews_them_in_submission_order(
    service, people, store, clock
):
    contact, admin = actor(people, fx.CONTACT), actor(people, fx.ADMIN)
    first = service.add_gap(
        contact,
        "03",
        {"title": "課税台帳の独自項目", "handling": Handling.LOOSE.value, "amount": "12,000,000"},
    )
    assert "1件目" in first.message
    service.add_gap(contact, "04", {"title": "帳票の様式", "handling": Handling.FLOW.value})
    service.add_gap(
        contact, "05", {"title": "申告データの連携", "handling": Handling.TOOL.value, "amount": "3000000円"}
    )
    queue = service.review_queue(admin.person)
    assert [g.title for g in queue] == ["課税台帳の独自項目", "申告データの連携"]
    ok = {"result_need": "妥当", "result_method": "妥当", "result_scope": "妥当"}
    with pytest.raises(OutOfOrder, match="受付番号 1"):
        service.review_gap(admin, queue[1].id, ok)
    with pytest.raises(FormError) as rejected:
        service.review_gap(admin, queue[0].id, {**ok, "result_scope": "要再検討"})
    assert "comment_scope" in rejected.value.errors and rejected.value.values["result_scope"] == "要再検討"
    saved = service.review_gap(
        admin, queue[0].id, {**ok, "result_scope": "要再検討", "comment_scope": "範囲を縮小"}
    )
    assert "要再検討あり" in saved.message
    assert [g.title for g in service.review_queue(admin.person)] == ["申告データの連携"]
    entries = AuditLog(store, clock).recent(admin.person, "standardization")
    assert {e.operation for e in entries} >= {"create", "approve"}


def test_the_same_gap_sent_twice_by_the_same_person_is_saved_once(service, people):
    contact = actor(people, fx.CONTACT)
    data = {"title": "課税台帳の独自項目", "handling": Handling.LOOSE.value, "amount": "1"}
    service.add_gap(contact, "03", data)
    again = service.add_gap(contact, "03", data)
    assert again.duplicate and len(service.gaps()) == 1


def test_who_may_do_what(service, people):
    contact, manager = actor(people, fx.CONTACT), actor(people, fx.MANAGER)
    staff, admin = actor(people, fx.STAFF), actor(people, fx.ADMIN)
    with pytest.raises(Forbidden):  # 財政局's contact does not write 健康福祉局's systems
        service.add_gap(contact, "07", {"title": "x"})
    with pytest.raises(Forbidden):  # a manager reads but does not write
        service.update_step(manager, "07", "quote", {"status": "完了"}, date(2026, 12, 1))
    assert service.detail(manager.person, "07", date(2026, 12, 1)).status.system.operation == "国民健康保険"
    with pytest.raises(Forbidden):
        service.detail(staff.person, "07", date(2026, 12, 1))
    gap = service.add_gap(contact, "03", {"title": "x", "handling": Handling.TOOL.value})
    assert not gap.duplicate
    with pytest.raises(Forbidden):  # only the ICT office reviews
        service.review_gap(contact, "03-1", {})
    with pytest.raises(Forbidden):  # a system with no bureau yet: admins only
        service.add_gap(contact, "02", {"title": "x"})
    assert service.overview(staff.person, date(2026, 12, 1)).live == 0
    assert service.add_gap(admin, "02", {"title": "x"}).message


def test_updating_a_step_validates_keeps_the_input_and_checks_the_etag(service, people):
    contact = actor(people, fx.CONTACT)
    etag = service.system("03").etag
    with pytest.raises(FormError) as rejected:
        service.update_step(
            contact,
            "03",
            "migrate",
            {"status": "完了", "done_on": "2027-01-01", "etag": etag},
            date(2026, 12, 1),
        )
    assert "未来" in rejected.value.errors["done_on"] and rejected.value.values["status"] == "完了"
    saved = service.update_step(contact, "03", "quote", {"status": "完了", "etag": etag}, date(2026, 12, 1))
    assert "保存しました" in saved.message
    assert service.system("03").step("quote").done_on == date(2026, 12, 1)
    with pytest.raises(StandardizationError, match="ほかの方が先に更新"):  # another step, the same stale card
        service.update_step(contact, "03", "gap", {"status": "対応中", "etag": etag}, date(2026, 12, 1))
    again = service.update_step(contact, "03", "quote", {"status": "完了", "etag": etag}, date(2026, 12, 1))
    assert again.duplicate  # the same person, the same values, the same card: saved once


def test_due_alerts_cover_due_soon_overdue_steps_and_past_deadlines(service, people):
    alerts = service.due_alerts(date(2026, 12, 1))
    kinds = {(a.number, a.kind.value) for a in alerts}
    assert ("01", "deadline") in kinds and ("03", "deadline") not in kinds  # 税: no migration deadline yet
    assert ("01", "step_overdue") in kinds
    early = service.due_alerts(date(2023, 7, 25))
    assert {a.step for a in early if a.kind.value == "due_soon"} == {"見積依頼"}


def test_a_section_contact_writes_only_the_systems_of_their_section(service, people, store, clock):
    admin = actor(people, fx.ADMIN)
    systems = [
        replace(s, section={"07": "健康部/国保課", "11": "長寿社会部/介護保険課"}.get(s.number, s.section))
        for s in service.systems()
    ]
    service.replace_all(admin, systems, service.steps(), None, "test")
    from services.people.identity import Actor, OrgUnit, Person, Role, RoleGrant

    section_contact = Actor(
        Person(
            "s",
            "国保 担当",
            grants=(RoleGrant(Role.BUREAU_CONTACT, OrgUnit("健康福祉局", "健康部", "国保課")),),
        )
    )
    assert "登録しました" in service.add_gap(section_contact, "07", {"title": "x"}).message
    with pytest.raises(Forbidden, match="健康福祉局/長寿社会部/介護保険課を担当する局担当"):
        service.add_gap(section_contact, "11", {"title": "x"})
    bureau_contact = Actor(
        Person("b", "局 担当", grants=(RoleGrant(Role.BUREAU_CONTACT, OrgUnit("健康福祉局")),))
    )
    assert service.add_gap(bureau_contact, "11", {"title": "y"}).message


def test_overdue_steps_of_a_system_come_in_one_alert_and_each_alert_once(service):
    alerts = [a for a in service.due_alerts(date(2026, 12, 1)) if a.number == "07"]
    assert [a.kind.value for a in alerts] == ["deadline", "step_overdue"]
    assert alerts[1].step == "見積依頼・Gap対応・見積精査" and alerts[1].due == date(2023, 7, 31)
    every = service.due_alerts(date(2026, 12, 1))
    assert len({a.key for a in every}) == len(every)


@pytest.mark.parametrize(
    ("today", "label"),
    [
        (date(2026, 4, 15), "15日超過"),
        (date(2026, 12, 1), "245日超過（約8か月）"),
        (date(2027, 3, 31), "365日超過（約1年）"),
        (date(2029, 7, 31), "1,218日超過（約3年4か月）"),
    ],
)
def test_how_long_overdue_reads_in_days_months_and_years(today, label):
    assert rules.overdue_since(DEADLINE, today).label == label


def test_the_alert_days_setting_is_validated_and_used(store, clock, people):
    from services.kernel.settings import Settings, SettingsError

    assert Settings.from_env({}).standardization_alert_days == 5
    assert Settings.from_env({"STANDARDIZATION_ALERT_DAYS": "10"}).standardization_alert_days == 10
    for value in ("0", "21", "five"):
        with pytest.raises(SettingsError, match="STANDARDIZATION_ALERT_DAYS"):
            Settings.from_env({"STANDARDIZATION_ALERT_DAYS": value})
    # 2023-07-24 (Mon): 見積依頼 ends 2023-07-31, five business days later
    near = StandardizationService(store, clock, alert_days=5).due_alerts(date(2023, 7, 24))
    far = StandardizationService(store, clock, alert_days=4).due_alerts(date(2023, 7, 24))
    assert {a.step for a in near} == {"見積依頼"} and far == []


def test_two_gaps_submitted_at_once_get_consecutive_numbers(service, people, store):
    contact = actor(people, fx.CONTACT)
    service.add_gap(contact, "03", {"title": "先の Gap"})
    real_get = store.get
    raced = []

    def get(table, pk, rk):  # another section saves a gap between our read of the counter and our write
        entity = real_get(table, pk, rk)
        if rk == "counter" and not raced:
            raced.append(True)
            service.add_gap(actor(people, fx.ADMIN), "01", {"title": "割り込んだ Gap"})
        return entity

    store.get = get
    saved = service.add_gap(contact, "04", {"title": "後の Gap"})
    assert "受付番号 3" in saved.message
    assert [(g.sequence, g.title) for g in service.gaps()] == [
        (1, "先の Gap"),
        (2, "割り込んだ Gap"),
        (3, "後の Gap"),
    ]


def test_on_sqlite_the_largest_records_fit_and_reads_skip_the_markers(tmp_path, clock):
    from storage.sqlite import SqliteTableStore

    store = SqliteTableStore(tmp_path / "bot.db")
    try:
        seed_store(store, load_seed())
        people = fx.load_fixtures(store, clock)
        service = StandardizationService(store, clock)
        contact = actor(people, fx.CONTACT)
        note = "備" * 1000
        for step in service.steps():
            service.update_step(
                contact,
                "03",
                step.key,
                {"status": "対応中", "note": note, "etag": service.system("03").etag},
                date(2026, 12, 1),
            )
        for i in range(30):
            service.add_gap(contact, "04", {"title": f"Gap {i}", "detail": "詳" * 1000})
        assert all(s.note == note for s in service.system("03").steps)
        assert len(service.gaps()) == 30 and len(service.systems()) == 20
        assert len(list(store.query("Standardization", "state", {"kind": "submission"}))) == 36
    finally:
        store.close()


def test_the_cli_exports_imports_and_lists_alerts(tmp_path, store, people, capsys, monkeypatch):
    from services.standardization.cli import main

    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    out = tmp_path / "標準化.xlsx"
    assert main(["export", str(out)], store=store) == 0 and out.exists()
    assert main(["import", str(out)], store=store) == 0
    assert "20業務・工程 6件を取り込みました" in capsys.readouterr().out
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    assert main(["import", str(bad)], store=store) == 1
    assert "Excel（.xlsx）として読めません" in capsys.readouterr().err
    assert main(["--as-of", "2026-12-01", "alerts"], store=store) == 0
    assert "2026-03-31 deadline 01 住民基本台帳 市民人権局  245日超過（約8か月）" in capsys.readouterr().out


def test_an_import_read_before_a_card_update_is_refused_whole(service, people):
    from services.standardization.excel import parse_workbook, workbook_bytes

    admin, contact = actor(people, fx.ADMIN), actor(people, fx.CONTACT)
    data = workbook_bytes(service.systems(), service.steps(), None, [], date(2026, 12, 1))
    parsed = parse_workbook(data, service.systems())
    service.update_step(
        contact, "03", "quote", {"status": "完了", "etag": service.system("03").etag}, date(2026, 12, 1)
    )
    with pytest.raises(StandardizationError, match="もう一度取り込んでください"):
        service.replace_all(admin, parsed.systems, parsed.steps, 1, "test")
    assert service.system("03").step("quote").status is StepStatus.DONE and service.cap() is None
