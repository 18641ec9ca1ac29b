"""ICTリテラシー: recommendations per level and tool, department gaps and the at-risk rule,
permissions, duplicates and conflicts, the seed's words, the digest line."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.literacy.models import DEFAULT_TOOLS, Assessment, LevelInfo, Move, Need, TrainingMenu
from services.literacy.rules import M365_NOTE, OTHER_NOTE, TOP_NOTE, department_gaps, recommend
from services.literacy.service import Conflict, Invalid, LiteracyService
from services.literacy.status import LiteracyStatus
from services.people.permissions import Forbidden
from services.proactive.digest import StatusLevel
from tests.fakes import InMemoryTableStore
from tests.support import people as fx

MENU = {n: TrainingMenu(n, "概要") for n in ("堺市DXガイドブック", "BPR", "データ活用", "データアカデミー")}
LEVELS = {
    1: LevelInfo(1, "わかる", "理解", "日常業務に必要なICTがわかる（基本操作を含む）"),
    2: LevelInfo(2, "つかえる", "推進", "業務の課題解決に必要なデジタルツールがつかえる"),
    3: LevelInfo(3, "つくれる", "導入", "専門知識を習得してRPAロボットやDB等をつくれる"),
}


@pytest.mark.parametrize(
    ("tool", "current", "training", "note"),
    [
        ("Teams", 0, "堺市DXガイドブック", ""),
        ("Teams", 1, None, M365_NOTE),
        ("Microsoft 365", 2, None, M365_NOTE),
        ("RPA", 0, "堺市DXガイドブック", ""),
        ("RPA", 1, "BPR", ""),
        ("RPA", 2, "BPR", ""),
        ("データベース・Power Platform", 1, "データ活用", ""),
        ("データベース・Power Platform", 2, "データアカデミー", ""),
        ("kintone", 0, "堺市DXガイドブック", ""),
        ("kintone", 1, None, OTHER_NOTE),
    ],
)
def test_the_next_level_and_its_training(tool, current, training, note):
    rec = recommend(tool, current, MENU, LEVELS)
    assert rec.next_level == current + 1
    assert rec.next_description == LEVELS[current + 1].description
    assert (rec.training.name if rec.training else None) == training
    assert rec.note == note


def test_the_top_level_recommends_nothing_and_a_missing_menu_entry_is_never_recommended():
    top = recommend("RPA", 3, MENU, LEVELS)
    assert top.done and top.training is None and top.note == TOP_NOTE
    without = recommend("RPA", 1, {}, LEVELS)
    assert without.training is None and without.note == OTHER_NOTE


def _person(oid: str, name: str, **levels: int) -> Assessment:
    return Assessment(oid, name, "健康福祉局", "健康部", dict(levels))


def test_gaps_count_builders_as_users_too():
    people = [_person("a", "A", RPA=3), _person("b", "B", RPA=2), _person("c", "C", RPA=1)]
    [row] = department_gaps(["RPA"], {"RPA": Need("RPA", use=3, build=2)}, people, [], date(2026, 1, 5), 90)
    assert (row.use_have, row.build_have) == (2, 1)
    assert (row.use_short, row.build_short) == (1, 1) and row.has_gap and not row.at_risk


def test_the_only_builder_moving_within_the_horizon_puts_the_department_at_risk():
    people = [_person("a", "健康 花子", RPA=3), _person("b", "B", RPA=2)]
    needs = {"RPA": Need("RPA", use=1, build=1)}
    moving = [Move("a", "健康 花子", date(2026, 4, 1))]
    [row] = department_gaps(["RPA"], needs, people, moving, date(2026, 1, 5), 90)
    assert not row.has_gap
    assert row.at_risk == (
        "つくれる人が不足する見込み: 唯一の「つくれる」1名が異動予定"
        "（健康 花子さん（2026年4月1日））、必要1名",
    )
    [later] = department_gaps(["RPA"], needs, people, moving, date(2025, 12, 1), 90)  # 121 days away
    assert later.at_risk == ()
    [two] = department_gaps(["RPA"], needs, [*people, _person("c", "C", RPA=3)], moving, date(2026, 1, 5), 90)
    assert two.at_risk == ()  # another builder stays
    [unneeded] = department_gaps(["RPA"], {}, people, moving, date(2026, 1, 5), 90)
    assert unneeded.at_risk == ()  # a skill the department does not need is not at risk


# --- the service on a store -------------------------------------------------------------------


@pytest.fixture
def store():
    store = InMemoryTableStore()
    seed_store(store, load_seed())
    return store


@pytest.fixture
def clock():
    return fx.Clock(datetime(2026, 1, 5, 10, 0, tzinfo=TIMEZONE))


@pytest.fixture
def people(store, clock):
    return fx.load_fixtures(store, clock)


@pytest.fixture
def service(store, clock, people):
    return LiteracyService(store, clock)


def test_the_strategy_is_the_materials_words(service):
    strategy = service.strategy()
    assert strategy.aim == "業務改善や課題解決に ICT を有効に活用できる職員を育成"
    assert [i.heading for i in strategy.issues] == [
        "デジタルツールが分からない",
        "デジタルツールがつかえない、つけれない",
        "導入したデジタルツールが維持できない",
    ]
    assert [i.number for i in strategy.initiatives] == ["①", "②", "③"]
    assert (
        strategy.initiatives[1].lines[0]
        == "デジタルツールの操作や活用方法を理解して業務で活用する「つかえる」"
    )
    assert [lv.name for lv in strategy.levels] == ["わかる", "つかえる", "つくれる"]
    assert strategy.keep and strategy.keep.description == "「つかえる」「つくれる」人材を継続してサポート"


def test_recommendations_come_from_the_seeded_dx_menu(service, people):
    me = fx.actor_of(people, fx.STAFF)
    service.save_assessment(me, fx.STAFF, {"Teams": "わかる", "RPA": "つかえる"}, None)
    view = service.self_view(me)
    by_tool = {r.tool: r for r in view.recommendations}
    assert by_tool["RPA"].training and by_tool["RPA"].training.name == "BPR"
    assert "業務フロー" in by_tool["RPA"].training.summary  # the seed's 研修概要
    assert (
        by_tool["Microsoft 365"].training and by_tool["Microsoft 365"].training.name == "堺市DXガイドブック"
    )
    assert by_tool["Teams"].note == M365_NOTE


def test_anyone_keeps_their_own_assessment_and_no_one_elses(service, people):
    staff, dx = fx.actor_of(people, fx.STAFF), fx.actor_of(people, fx.DX_HEALTH)
    saved, wrote = service.save_assessment(dx, fx.DX_HEALTH, {"RPA": "つくれる"}, None)
    assert wrote and saved.level("RPA") == 3 and saved.department == "健康部"
    with pytest.raises(Forbidden):
        service.save_assessment(staff, fx.DX_HEALTH, {"RPA": "わかる"}, saved.etag)
    with pytest.raises(Forbidden):
        service.assessment_of(staff.person, fx.DX_HEALTH)
    manager = fx.actor_of(people, fx.MANAGER)  # 健康福祉局's manager reads it
    assert service.assessment_of(manager.person, fx.DX_HEALTH).level("RPA") == 3
    assert service.assessment_of(dx.person, fx.DX_HEALTH).level("RPA") == 3


def test_a_resubmitted_card_saves_once_and_a_stale_one_is_refused(service, people, store):
    dx = fx.actor_of(people, fx.DX_HEALTH)
    first, _ = service.save_assessment(dx, fx.DX_HEALTH, {"RPA": "つくれる"}, None)
    again, wrote = service.save_assessment(dx, fx.DX_HEALTH, {"RPA": "つくれる"}, None)
    assert not wrote and again.etag == first.etag
    service.save_assessment(dx, fx.DX_HEALTH, {"RPA": "つかえる"}, first.etag)
    with pytest.raises(Conflict):
        service.save_assessment(dx, fx.DX_HEALTH, {"RPA": "わかる"}, first.etag)
    with pytest.raises(Invalid):
        service.save_assessment(dx, fx.DX_HEALTH, {"RPA": "すごい"}, None)
    audit = [e for e in store.query("Audit") if e.get("entity_kind") == "literacy_assessment"]
    assert len(audit) == 2


def test_managers_set_their_departments_needs_and_see_gaps_and_risks(service, people, clock):
    dx = fx.actor_of(people, fx.DX_HEALTH)
    service.save_assessment(dx, fx.DX_HEALTH, {"RPA": "つくれる"}, None)
    manager = fx.actor_of(people, fx.MANAGER)
    assert service.departments_managed(manager.person) == ["健康福祉局/健康部"]
    today = clock().date()
    view = service.department_view(manager.person, "健康福祉局", "健康部", today)
    values = {"use|RPA": "2", "build|RPA": "１名", f"move|{fx.DX_HEALTH}": "2026-03-31"}
    after, wrote = service.set_needs(manager, "健康福祉局", "健康部", values, view.etag, today)
    rpa = next(r for r in after.rows if r.tool == "RPA")
    assert wrote and (rpa.use_short, rpa.build_short) == (1, 0)
    assert rpa.at_risk and "健康 花子さん" in rpa.at_risk[0]
    with pytest.raises(Invalid) as invalid:
        service.set_needs(manager, "健康福祉局", "健康部", {"use|RPA": "-1"}, after.etag, today)
    assert "use|RPA" in invalid.value.errors
    with pytest.raises(Forbidden):
        service.set_needs(dx, "健康福祉局", "健康部", values, after.etag, today)
    with pytest.raises(Forbidden):
        service.department_view(fx.actor_of(people, fx.STAFF).person, "健康福祉局", "健康部", today)
    line = LiteracyStatus(service).status(today, "健康福祉局")
    assert line.level is StatusLevel.OVERDUE and "不足 1 件" in line.headline
    assert any("つかえる 1名不足（必要2・現在1）" in i.detail for i in line.items)
    assert LiteracyStatus(service).status(today, "財政局").level is StatusLevel.ON_TRACK


def test_an_admin_extends_the_tools_and_staff_may_not(service, people):
    admin, staff = fx.actor_of(people, fx.ADMIN), fx.actor_of(people, fx.STAFF)
    assert service.tools() == DEFAULT_TOOLS
    assert service.add_tool(admin, "ｋｉｎｔｏｎｅ")[-1] == "kintone"
    assert service.add_tool(admin, "kintone") == (*DEFAULT_TOOLS, "kintone")  # once
    with pytest.raises(Forbidden):
        service.add_tool(staff, "Excel")
    with pytest.raises(Invalid):
        service.add_tool(admin, "a|b")


def test_a_retry_is_a_duplicate_only_for_the_same_manager(service, people, store, clock):
    from services.people.identity import OrgUnit, Role, RoleGrant, system_actor

    second = "00000000-0000-4000-8000-0000000000b4"
    people.grant(
        system_actor("準備", "setup"),
        second,
        RoleGrant(Role.MANAGER, OrgUnit("健康福祉局")),
        etag=None,
        create_name="福祉 次長",
    )
    first, other = fx.actor_of(people, fx.MANAGER), fx.actor_of(people, second)
    today = clock().date()
    card = service.department_view(first.person, "健康福祉局", "健康部", today)  # one card, two managers
    _, wrote = service.set_needs(first, "健康福祉局", "健康部", {"use|RPA": "2"}, card.etag, today)
    _, again = service.set_needs(first, "健康福祉局", "健康部", {"use|RPA": "2"}, card.etag, today)
    assert wrote and not again  # the same manager's retry
    with pytest.raises(Conflict):
        service.set_needs(other, "健康福祉局", "健康部", {"use|RPA": "2"}, card.etag, today)
