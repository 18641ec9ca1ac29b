"""The 堺市DX dialog: card actions in, the next card out (the turn is not used)."""

from __future__ import annotations

from datetime import datetime

import pytest

from cards import dx as cards
from dialogs.base import DialogDeps
from dialogs.dx import DxDialog
from services.kernel.programmes import ProgrammeInfo
from services.kernel.settings import TIMEZONE
from services.people.permissions import Forbidden
from tests.fakes import InMemoryTableStore
from tests.support import people as fx
from tests.support.cards import action_data, inputs_by_id
from tests.support.cards import card_json as text

INFO = ProgrammeInfo("dx", "堺市DX", "🚀", "", ("dx",))
HEALTH, DEPT = "健康福祉局", "健康部"
PLAN = {
    "business": "証明書の再発行",
    "category": "data",
    "purpose": "来庁を減らす",
    "goal": "半分をオンラインで",
    "kpi": "オンライン申請の割合",
    "kpi_target": "50",
    "kpi_unit": "%",
    "issues": "",
    "milestones": "2026-12-01 調査\n2027-01-15 業務フローの作成",
}


@pytest.fixture
def store():
    return InMemoryTableStore()


@pytest.fixture
def clock():
    return fx.Clock(datetime(2026, 11, 26, 10, 0, tzinfo=TIMEZONE))


@pytest.fixture
def people(store, clock):
    return fx.load_fixtures(store, clock)


class RecordingNotifier:
    def __init__(self):
        self.sent: list[tuple[list[str], dict]] = []

    async def notify_people(self, object_ids, card):
        self.sent.append((list(object_ids), card))
        return len(object_ids)


@pytest.fixture
def notifier():
    return RecordingNotifier()


@pytest.fixture
def dialog(store, clock, people, notifier):
    return DxDialog(INFO, DialogDeps(store=store, clock=clock, people=people, notifier=notifier))


async def test_a_returned_plan_reaches_the_departments_dx_pros_with_the_comment(dialog, people, notifier):
    sent = await submitted_plan(dialog, people)
    admin = who(people, fx.ADMIN)
    view = await dialog.act(None, admin, cards.PLAN, {"plan_id": action_data(sent, cards.COMMENT)["plan_id"]})
    assert notifier.sent == []
    await dialog.act(
        None, admin, cards.RETURN, {**action_data(view, cards.RETURN), cards.COMMENT_INPUT: "目標を数値で"}
    )
    [(ids, card)] = notifier.sent
    assert ids == [fx.DX_HEALTH] and "差し戻されました" in text(card) and "目標を数値で" in text(card)


def who(people, oid):
    return fx.actor_of(people, oid)


async def submitted_plan(dialog, people) -> dict:
    dx = who(people, fx.DX_HEALTH)
    form = await dialog.act(None, dx, cards.NEW, {"bureau": HEALTH, "department": DEPT})
    return await dialog.act(None, dx, cards.SUBMIT, {**action_data(form, cards.SUBMIT), **PLAN})


async def test_the_home_card_offers_a_dx_pro_their_department(dialog, people):
    card = await dialog.open(None, who(people, fx.DX_HEALTH))
    assert action_data(card, cards.DEPARTMENT) == {
        "verb": cards.DEPARTMENT,
        "bureau": HEALTH,
        "department": DEPT,
    }
    assert "Chart.Donut" in text(card) and "参加部署の設定" not in text(card)
    admin = await dialog.open(None, who(people, fx.ADMIN))
    assert "参加部署の設定" in text(admin) and "Excel で出力" in text(admin)


async def test_a_manager_chooses_a_department_of_their_bureau_from_the_overview(dialog, people):
    await submitted_plan(dialog, people)
    manager = who(people, fx.MANAGER)
    home = await dialog.open(None, manager)
    assert [c["value"] for c in inputs_by_id(home)[cards.UNIT_INPUT]["choices"]] == [f"{HEALTH}/{DEPT}"]
    plans = await dialog.act(None, manager, cards.DEPARTMENT, {cards.UNIT_INPUT: f"{HEALTH}/{DEPT}"})
    assert "証明書の再発行" in text(plans) and "計画を作成" not in text(plans)
    staff_home = await dialog.open(None, who(people, fx.STAFF))
    assert cards.UNIT_INPUT not in inputs_by_id(staff_home)


async def test_a_staff_member_cannot_open_the_plan_form(dialog, people):
    with pytest.raises(Forbidden):
        await dialog.act(None, who(people, fx.STAFF), cards.NEW, {"bureau": HEALTH, "department": DEPT})


async def test_a_stale_form_is_shown_again_with_the_input_kept(dialog, people):
    dx, admin = who(people, fx.DX_HEALTH), who(people, fx.ADMIN)
    form = await dialog.act(None, dx, cards.NEW, {"bureau": HEALTH, "department": DEPT})
    saved = await dialog.act(None, dx, cards.SAVE, {**action_data(form, cards.SAVE), **PLAN})
    assert "下書きを保存しました" in text(saved)
    plan_id = action_data(saved, cards.EDIT)["plan_id"]
    mine = await dialog.act(None, dx, cards.EDIT, {"plan_id": plan_id})
    theirs = await dialog.act(None, admin, cards.EDIT, {"plan_id": plan_id})
    await dialog.act(
        None, admin, cards.SAVE, {**action_data(theirs, cards.SAVE), **PLAN, "goal": "管理者の案"}
    )
    stale = await dialog.act(
        None, dx, cards.SUBMIT, {**action_data(mine, cards.SUBMIT), **PLAN, "goal": "私の案"}
    )
    assert "ほかの方が同時に" in text(stale) and inputs_by_id(stale)["goal"]["value"] == "私の案"


async def test_milestones_report_and_shared_reports(dialog, people):
    sent = await submitted_plan(dialog, people)
    admin, dx, staff = who(people, fx.ADMIN), who(people, fx.DX_HEALTH), who(people, fx.STAFF)
    plan_id = action_data(sent, cards.COMMENT)["plan_id"]
    view = await dialog.act(None, admin, cards.PLAN, {"plan_id": plan_id})
    active = await dialog.act(None, admin, cards.ACCEPT, action_data(view, cards.ACCEPT))
    assert "実行中" in text(active)
    mine = await dialog.act(None, dx, cards.PLAN, {"plan_id": plan_id})
    assert "⛔" not in text(mine)  # 2026-12-01 is not yet due on 11/26
    updated = await dialog.act(
        None, dx, cards.MILESTONE, {**action_data(mine, cards.MILESTONE), cards.MILESTONES_INPUT: "0"}
    )
    assert "マイルストーンを更新しました" in text(updated) and "完了 1/2" in text(updated)
    form = await dialog.act(None, dx, cards.REPORT_FORM, {"plan_id": plan_id})
    bad = await dialog.act(
        None,
        dx,
        cards.REPORT,
        {
            **action_data(form, cards.REPORT),
            "kpi_actual": "多い",
            "results": "結果",
            "learned": "",
            "shared": "true",
        },
    )
    assert "KPIの実績を数で" in text(bad) and inputs_by_id(bad)["results"]["value"] == "結果"
    done = await dialog.act(
        None,
        dx,
        cards.REPORT,
        {
            **action_data(form, cards.REPORT),
            "kpi_actual": "40",
            "results": "予約の導入",
            "learned": "周知が大事",
            "shared": "true",
        },
    )
    assert "実施報告書を提出しました" in text(done) and "達成率 80%" in text(done)
    listing = await dialog.act(None, staff, cards.REPORTS, {cards.CATEGORY_INPUT: "data"})
    assert "証明書の再発行" in text(listing)
    full = await dialog.act(None, staff, cards.REPORT_VIEW, action_data(listing, cards.REPORT_VIEW))
    assert "周知が大事" in text(full)
    with pytest.raises(Forbidden):  # the plan itself stays with the department, its managers and admins
        await dialog.act(None, staff, cards.PLAN, {"plan_id": plan_id})


async def test_sessions_enrolment_videos_and_attendance(dialog, people):
    admin, dx = who(people, fx.ADMIN), who(people, fx.DX_HEALTH)
    form = await dialog.act(None, admin, cards.SESSION_FORM, {})
    bad = await dialog.act(
        None,
        admin,
        cards.SESSION_SAVE,
        {
            "course": "c1",
            "day": "2026-12-10",
            "start": "14:00",
            "end": "16:00",
            "capacity": "0",
            "place": "本館",
        },
    )
    assert "定員" in text(bad) and inputs_by_id(bad)["place"]["value"] == "本館" and form
    listing = await dialog.act(
        None,
        admin,
        cards.SESSION_SAVE,
        {
            "course": "c1",
            "day": "2026-12-10",
            "start": "14:00",
            "end": "16:00",
            "capacity": "1",
            "place": "本館",
        },
    )
    session = action_data(listing, cards.SESSION)
    enrolled = await dialog.act(None, dx, cards.ENROL, session)
    assert "申込を受け付けました" in text(enrolled) and action_data(enrolled, cards.CANCEL)
    waiting = await dialog.act(None, who(people, fx.DX_CHILD), cards.ENROL, session)
    assert "キャンセル待ちに登録しました" in text(waiting)
    attended = await dialog.act(None, admin, cards.ATTENDANCE, {**session, "attended": fx.DX_HEALTH})
    assert "出席を保存しました（1人）" in text(attended) and "健康 花子" in text(attended)
    watched = await dialog.act(None, dx, cards.WATCHED, {"course": "c4"})
    assert "「データ活用」を視聴済みにしました" in text(watched) and "DXマインド向上: 受講済み" in text(
        watched
    )
    department = await dialog.act(
        None, who(people, fx.MANAGER), cards.DEPARTMENT_TRAINING, {"bureau": HEALTH, "department": DEPT}
    )
    assert "健康 花子" in text(department) and "①✅" in text(department)
    own = await dialog.act(None, dx, cards.DEPARTMENT_TRAINING, {"bureau": HEALTH, "department": DEPT})
    assert "健康 花子" in text(own)  # a DX PRO sees their department's records too
    with pytest.raises(Forbidden):
        await dialog.act(
            None, who(people, fx.DX_CHILD), cards.DEPARTMENT_TRAINING, {"bureau": HEALTH, "department": DEPT}
        )


async def test_participation_and_the_academy_are_for_admins(dialog, people):
    admin = who(people, fx.ADMIN)
    with pytest.raises(Forbidden):
        await dialog.act(None, who(people, fx.DX_HEALTH), cards.PARTICIPATION, {})
    card = await dialog.act(None, admin, cards.PARTICIPATION, {})
    assert "目標 72部署" in text(card)
    saved = await dialog.act(
        None,
        admin,
        cards.PARTICIPATION_SAVE,
        {cards.UNITS_INPUT: f"{HEALTH}/{DEPT},子ども青少年局/子育て支援部", cards.DUE_INPUT: "2026-12-25"},
    )
    assert "参加部署は 2部署" in text(saved) and inputs_by_id(saved)[cards.DUE_INPUT]["value"] == "2026-12-25"
    academy = await dialog.act(
        None, admin, cards.STAGE, {"number": "③", "position": 3, "stage_3": "3", "note_3": "費用の試算中"}
    )
    assert (
        "③ を「費用対効果」にしました" in text(academy)
        and "費用の試算中" in text(academy)
        and "お越しいただかない" in text(academy)
    )
    with pytest.raises(Forbidden):
        await dialog.act(
            None, who(people, fx.DX_HEALTH), cards.STAGE, {"number": "③", "position": 3, "stage_3": "4"}
        )
