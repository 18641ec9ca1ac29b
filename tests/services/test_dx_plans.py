"""堺市DX plans: states and their permissions, the comment thread, history, ETags, participation, overview."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from services.audit.trail import AuditLog
from services.dx.catalogue import load_catalogue
from services.dx.forms import form_of
from services.dx.models import Category, PlanState
from services.dx.plans import FormRejected, PlanError, PlanService, StaleCard
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.people.identity import OrgUnit, system_actor
from services.people.permissions import Forbidden
from tests.fakes import InMemoryTableStore
from tests.support import people as fx

HEALTH, DEPT = "健康福祉局", "健康部"


@pytest.fixture
def store():
    return InMemoryTableStore()


@pytest.fixture
def clock():
    return fx.Clock(datetime(2026, 11, 26, 10, 0, tzinfo=TIMEZONE))


@pytest.fixture
def people(store, clock):
    return fx.load_fixtures(store, clock)


@pytest.fixture
def service(store, clock, people):
    return PlanService(store, clock)


def actor(people, oid):
    return fx.actor_of(people, oid)


def plan_data(form, **changes):
    data = {
        "plan_id": form.plan_id,
        "etag": form.etag,
        "business": "窓口受付の予約化",
        "category": "applications",
        "purpose": "待ち時間を減らす",
        "goal": "窓口の待ち時間を半分にする",
        "kpi": "平均待ち時間",
        "kpi_target": "１５",
        "kpi_unit": "分",
        "issues": "予約システムがない",
        "milestones": "2026-12-15 業務フローの作成\nR8.12.1 現状の調査",
    }
    data.update(changes)
    return data


def submitted(service, people):
    dx = actor(people, fx.DX_HEALTH)
    form = service.new_form(dx, HEALTH, DEPT)
    return service.save(dx, plan_data(form), submit=True)


def test_the_target_is_read_from_the_seed(store):
    assert load_catalogue().target == 72
    seed = load_seed()
    seed_store(store, seed)
    assert load_catalogue(store).target == 72
    assert [c for c, _ in load_catalogue(store).categories] == list(Category)


def test_a_dx_pro_writes_and_submits_their_departments_plan(service, people, store):
    plan = submitted(service, people)
    assert plan.state is PlanState.SUBMITTED and plan.kpi_target == 15.0
    assert [m.title for m in plan.milestones] == [
        "現状の調査",
        "業務フローの作成",
    ]  # sorted by date (和暦 too)
    assert [h.action for h in plan.history] == ["提出"]
    entries = AuditLog(store, fx.Clock()).recent(system_actor("t", "t").person, "dx_plan")
    assert entries and entries[0].after["state"] == "submitted"


def test_another_departments_dx_pro_and_staff_may_not_write(service, people):
    with pytest.raises(Forbidden):
        service.new_form(actor(people, fx.DX_CHILD), HEALTH, DEPT)
    with pytest.raises(Forbidden):
        service.new_form(actor(people, fx.STAFF), HEALTH, DEPT)
    form = service.new_form(actor(people, fx.DX_HEALTH), HEALTH, DEPT)
    with pytest.raises(Forbidden):
        service.save(actor(people, fx.DX_CHILD), plan_data(form), submit=True)
    assert service.all_plans() == []


def test_invalid_values_come_back_with_errors_and_the_input_kept(service, people):
    dx = actor(people, fx.DX_HEALTH)
    form = service.new_form(dx, HEALTH, DEPT)
    with pytest.raises(FormRejected) as rejected:
        service.save(dx, plan_data(form, kpi_target="たくさん", milestones="来月 何か", goal=""), submit=True)
    errors = rejected.value.form.errors
    assert set(errors) == {"kpi_target", "milestones", "goal"}
    assert rejected.value.form.values["kpi_target"] == "たくさん"
    assert service.all_plans() == []


def test_only_admins_review_and_the_return_needs_a_comment(service, people):
    plan = submitted(service, people)
    for who in (fx.DX_HEALTH, fx.MANAGER):
        with pytest.raises(Forbidden):
            service.act(actor(people, who), plan.plan_id, plan.etag, "accept")
    admin = actor(people, fx.ADMIN)
    with pytest.raises(PlanError):
        service.act(admin, plan.plan_id, plan.etag, "return", "")
    returned = service.act(admin, plan.plan_id, plan.etag, "return", "KPIを具体的にしてください")
    assert returned.state is PlanState.DRAFT and returned.returned
    assert (
        returned.comments[-1].text == "KPIを具体的にしてください"
        and returned.comments[-1].author_name == "情報 太郎"
    )


def test_the_full_cycle_return_resubmit_review_accept_report(service, people):
    plan = submitted(service, people)
    admin, dx = actor(people, fx.ADMIN), actor(people, fx.DX_HEALTH)
    plan = service.act(admin, plan.plan_id, plan.etag, "review")
    assert plan.state is PlanState.IN_REVIEW
    plan = service.act(admin, plan.plan_id, plan.etag, "return", "目標に数値を")
    form = service.edit_form(dx, plan.plan_id)
    plan = service.save(dx, plan_data(form, goal="待ち時間を15分以下にする"), submit=True)
    assert plan.state is PlanState.SUBMITTED and not plan.returned
    plan = service.act(admin, plan.plan_id, plan.etag, "accept", "進めてください")
    assert plan.state is PlanState.ACTIVE
    with pytest.raises(StaleCard):  # no edit outside 下書き
        service.save(dx, plan_data(form_of(plan)), submit=False)
    plan = service.file_report(
        dx,
        {
            "plan_id": plan.plan_id,
            "etag": plan.etag,
            "kpi_actual": "12",
            "results": "予約で平準化",
            "learned": "予約枠の設計が大事",
            "shared": "true",
        },
    )
    assert plan.state is PlanState.REPORTED and plan.attainment == pytest.approx(0.8)
    assert [
        p.plan_id for p in service.shared_reports(actor(people, fx.STAFF).person, Category.APPLICATIONS)
    ] == [plan.plan_id]
    assert service.shared_reports(actor(people, fx.STAFF).person, Category.PAPER) == []
    actions = [h.action for h in plan.history]
    assert actions == [
        "提出",
        "ICT室確認を開始",
        "差し戻し",
        "提出",
        "確認完了（実行中へ）",
        "実施報告書の提出",
    ]


def test_managers_read_their_bureau_only(service, people):
    plan = submitted(service, people)
    assert service.plan(actor(people, fx.MANAGER).person, plan.plan_id).plan_id == plan.plan_id
    with pytest.raises(Forbidden):
        service.plan(actor(people, fx.CONTACT).person, plan.plan_id)


def test_two_editors_never_silently_overwrite_each_other(service, people):
    dx, admin = actor(people, fx.DX_HEALTH), actor(people, fx.ADMIN)
    form = service.new_form(dx, HEALTH, DEPT)
    plan = service.save(dx, plan_data(form), submit=False)
    stale = service.edit_form(dx, plan.plan_id)
    service.save(
        admin, plan_data(service.edit_form(admin, plan.plan_id), business="紙の申請書の削減"), submit=False
    )
    with pytest.raises(FormRejected) as rejected:
        service.save(dx, plan_data(stale, business="郵送の削減"), submit=False)
    assert "ほかの方" in rejected.value.form.notice and rejected.value.form.values["business"] == "郵送の削減"
    assert service.plan(dx.person, plan.plan_id).business == "紙の申請書の削減"


def test_a_retried_card_is_saved_once(service, people):
    dx = actor(people, fx.DX_HEALTH)
    form = service.new_form(dx, HEALTH, DEPT)
    first = service.save(dx, plan_data(form), submit=True)
    again = service.save(dx, plan_data(form), submit=True)
    assert again.version == first.version and len(service.all_plans()) == 1
    admin = actor(people, fx.ADMIN)
    accepted = service.act(admin, first.plan_id, first.etag, "accept")
    assert service.act(admin, first.plan_id, first.etag, "accept").version == accepted.version


def test_comments_from_both_sides_form_a_thread(service, people):
    plan = submitted(service, people)
    service.act(actor(people, fx.ADMIN), plan.plan_id, plan.etag, "comment", "KPIの根拠は？")
    plan = service.act(actor(people, fx.DX_HEALTH), plan.plan_id, plan.etag, "comment", "昨年度の実績です")
    assert [c.author_name for c in plan.comments[-2:]] == ["情報 太郎", "健康 花子"]


def test_participation_and_the_overview(service, people, store):
    admin = actor(people, fx.ADMIN)
    with pytest.raises(Forbidden):
        service.set_participation(actor(people, fx.DX_HEALTH), [OrgUnit(HEALTH, DEPT)], None)
    count = service.set_participation(
        admin, [OrgUnit(HEALTH, DEPT), OrgUnit("子ども青少年局", "子育て支援部")], date(2026, 12, 1)
    )
    assert count == 2
    submitted(service, people)
    overview = service.overview(actor(people, fx.STAFF).person, date(2026, 11, 26))
    assert overview.target == 72 and len(overview.participating) == 2 and overview.with_plan == 1
    assert overview.state_counts()[PlanState.SUBMITTED] == 1
    service.set_participation(admin, [OrgUnit(HEALTH, DEPT)], date(2026, 12, 1))
    assert set(service.participation()) == {(HEALTH, DEPT)}


def test_a_my_number_typed_into_a_comment_is_masked_before_it_is_kept(service, people, store):
    plan = submitted(service, people)
    plan = service.act(
        actor(people, fx.ADMIN), plan.plan_id, plan.etag, "comment", "番号 123456789018 を確認"
    )
    assert "123456789018" not in plan.comments[-1].text and "9018" in plan.comments[-1].text
    assert "123456789018" not in str(store.snapshot())


def test_a_long_thread_is_split_over_properties_within_storage_limits(service, people, store):
    plan = submitted(service, people)
    admin = actor(people, fx.ADMIN)
    for k in range(60):  # 60 comments of 1,000 characters: twice what one property may hold
        plan = service.act(admin, plan.plan_id, plan.etag, "comment", f"{k}:" + "伴" * 990)
    again = service.plan(admin.person, plan.plan_id)
    assert len(again.comments) == 61 and again.comments[-1].text.startswith("59:")
    [entity] = [e for e in store.query("DxPlans") if e.row_key.startswith("plan|")]
    assert "data2" in entity.properties and all(
        len(v) <= 30_000 for k, v in entity.properties.items() if k.startswith("data")
    )
