"""The ICTリテラシー dialog: card actions in, the next card out (the turn is not used)."""

from __future__ import annotations

from datetime import datetime

import pytest

from cards import literacy as cards
from dialogs.base import DialogDeps
from dialogs.literacy import LiteracyDialog
from services.kernel.programmes import ProgrammeInfo
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.people.permissions import Forbidden
from tests.fakes import InMemoryTableStore
from tests.support import people as fx
from tests.support.cards import actions
from tests.support.cards import card_json as text
from tests.support.cards import inputs_by_id as inputs

INFO = ProgrammeInfo("literacy", "ICTリテラシー", "📚", "", ("リテラシー",))


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
def dialog(store, clock, people):
    return LiteracyDialog(INFO, DialogDeps(store=store, clock=clock, people=people))


def data_of(card: dict, verb: str) -> dict:
    return next(a["data"] for a in actions(card) if a["data"].get("verb") == verb)


async def test_staff_complete_the_self_assessment_and_see_the_next_level(dialog, people):
    staff = fx.actor_of(people, fx.STAFF)
    card = await dialog.open(None, staff)
    assert "デジタルツールが分からない" in text(
        card
    ) and "日常業務に必要なICTがわかる（基本操作を含む）" in text(card)
    assert inputs(card)["level|RPA"]["value"] == "0"
    data = {
        **data_of(card, cards.SAVE_VERB),
        "level|Teams": "1",
        "level|Microsoft 365": "1",
        "level|RPA": "1",
        "level|データベース・Power Platform": "0",
    }
    saved = await dialog.act(None, staff, cards.SAVE_VERB, data)
    assert "保存しました" in text(saved)
    assert "いまは「わかる」→ 次は「つかえる」" in text(
        saved
    ) and "おすすめの研修（堺市DXの研修メニュー）: BPR" in text(saved)
    assert inputs(saved)["level|RPA"]["value"] == "1"
    again = await dialog.act(None, staff, cards.SAVE_VERB, data)  # the same card sent twice
    assert "同じ内容で保存済みです" in text(again)
    invalid = await dialog.act(
        None, staff, cards.SAVE_VERB, {**data_of(saved, cards.SAVE_VERB), "level|RPA": "9"}
    )
    assert "レベルを選んでください" in text(invalid) and inputs(invalid)["level|RPA"]["value"] == "9"


async def test_a_manager_sets_needs_and_sees_the_at_risk_department(dialog, people):
    dx = fx.actor_of(people, fx.DX_HEALTH)
    card = await dialog.open(None, dx)
    await dialog.act(None, dx, cards.SAVE_VERB, {**data_of(card, cards.SAVE_VERB), "level|RPA": "3"})
    manager = fx.actor_of(people, fx.MANAGER)
    mine = await dialog.open(None, manager)
    assert inputs(mine)[cards.DEPARTMENT_INPUT]["value"] == "健康福祉局/健康部"
    view = await dialog.act(
        None, manager, cards.DEPARTMENT_VERB, {cards.DEPARTMENT_INPUT: "健康福祉局/健康部"}
    )
    assert "健康福祉局/健康部 の必要人材" in text(view)
    data = {
        **data_of(view, cards.NEEDS_VERB),
        "use|RPA": "1",
        "build|RPA": "1",
        f"move|{fx.DX_HEALTH}": "2026-03-31",
    }
    saved = await dialog.act(None, manager, cards.NEEDS_VERB, data)
    assert "保存しました" in text(
        saved
    ) and "唯一の「つくれる」1名が異動予定（健康 花子さん（2026年3月31日））" in text(saved)
    wrong = await dialog.act(
        None, manager, cards.NEEDS_VERB, {**data_of(saved, cards.NEEDS_VERB), "use|RPA": "x"}
    )
    assert "0～999の整数で入力してください（入力: x）" in text(wrong)
    with pytest.raises(Forbidden):
        await dialog.act(None, dx, cards.DEPARTMENT_VERB, {cards.DEPARTMENT_INPUT: "健康福祉局/健康部"})


async def test_only_admins_extend_the_tools(dialog, people):
    with pytest.raises(Forbidden):
        await dialog.act(None, fx.actor_of(people, fx.STAFF), cards.TOOLS_VERB, {})
    admin = fx.actor_of(people, fx.ADMIN)
    added = await dialog.act(None, admin, cards.ADD_TOOL_VERB, {cards.TOOL_INPUT: "kintone"})
    assert "「kintone」を追加しました（5件）" in text(added)
    again = await dialog.act(None, admin, cards.ADD_TOOL_VERB, {cards.TOOL_INPUT: "kintone"})
    assert "すでに一覧にあります" in text(again)
    staff_card = await dialog.open(None, fx.actor_of(people, fx.STAFF))
    assert "level|kintone" in inputs(staff_card)


async def test_without_a_choice_on_the_card_the_department_picker_opens(dialog, people):
    admin = fx.actor_of(people, fx.ADMIN)
    picker = await dialog.act(None, admin, cards.DEPARTMENT_VERB, {})
    choices = [c["value"] for c in inputs(picker)[cards.DEPARTMENT_INPUT]["choices"]]
    assert "健康福祉局/健康部" in choices and "財政局/税務部" in choices  # every department, for an admin
    staff_picker = await dialog.act(None, fx.actor_of(people, fx.STAFF), cards.DEPARTMENT_VERB, {})
    assert "見られる部署はありません" in text(staff_picker)
