"""The online-procedures dialog: card actions in, the next card out (the turn is not used)."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from cards import online_procedures as cards
from dialogs.base import DialogDeps
from dialogs.online_procedures import OnlineProceduresDialog, looks_like_table
from services.kernel.programmes import ProgrammeInfo
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.people.permissions import Forbidden
from tests.fakes import InMemoryTableStore
from tests.support import people as fx
from tests.support.cards import actions
from tests.support.cards import card_json as text
from tests.support.cards import inputs_by_id as inputs

INFO = ProgrammeInfo("online_procedures", "行政手続きオンライン化", "🌐", "", ("オンライン化",))
HEALTH = "健康福祉局"


@pytest.fixture
def store():
    store = InMemoryTableStore()
    seed_store(store, load_seed())
    return store


@pytest.fixture
def clock():
    return fx.Clock(datetime(2023, 9, 20, 10, 0, tzinfo=TIMEZONE))


@pytest.fixture
def people(store, clock):
    return fx.load_fixtures(store, clock)


@pytest.fixture
def dialog(store, clock, people):
    return OnlineProceduresDialog(INFO, DialogDeps(store=store, clock=clock, people=people))


def submit_data(card: dict) -> dict:
    return next(a["data"] for a in actions(card) if a["data"].get("verb") == cards.SUBMIT_VERB)


async def test_a_dx_pro_opens_the_city_summary_with_their_bureau_offered(dialog, people):
    card = await dialog.open(None, fx.actor_of(people, fx.DX_HEALTH))
    assert (
        "全庁の状況" in text(card) and "3,706件" in text(card) and "Chart.VerticalBar.Grouped" in text(card)
    )
    assert inputs(card)[cards.BUREAU_INPUT]["value"] == HEALTH
    assert any(a["data"].get("verb") == cards.UPDATE_VERB for a in actions(card))


async def test_staff_see_the_city_summary_but_not_bureau_details(dialog, people):
    staff = fx.actor_of(people, fx.STAFF)
    card = await dialog.open(None, staff)
    assert cards.BUREAU_INPUT not in inputs(card)
    with pytest.raises(Forbidden):
        await dialog.act(None, staff, cards.BUREAU_VERB, {"bureau": HEALTH})


async def test_submit_below_plan_needs_a_reason_then_the_delay_shows(dialog, people):
    dx = fx.actor_of(people, fx.DX_HEALTH)
    form = await dialog.act(None, dx, cards.UPDATE_VERB, {cards.BUREAU_INPUT: HEALTH})
    assert "令和5年度 第2四半期" in text(form) and "38件（うち遅れの繰越 36件）" in text(form)
    data = {**submit_data(form), "done": "30", "delayed": "30", "advanced": "", "reason": ""}
    again = await dialog.act(None, dx, cards.SUBMIT_VERB, data)
    assert "予定（38件）を下回るため、理由を入力してください" in text(again)
    assert inputs(again)["done"]["value"] == 30  # the user's value, filled back in
    data = {**submit_data(again), "done": "30", "delayed": "30", "advanced": "", "reason": "委託先との調整"}
    confirmation = await dialog.act(None, dx, cards.SUBMIT_VERB, data)
    assert (
        "保存しました" in text(confirmation)
        and "未報告" in text(confirmation)
        and "30件（うち遅れ分 30）" in text(confirmation)
    )
    bureau = await dialog.act(None, dx, cards.BUREAU_VERB, {"bureau": HEALTH})
    assert "うち今期の報告による見込み 2件" in text(bureau)
    duplicate = await dialog.act(None, dx, cards.SUBMIT_VERB, data)
    assert "すでに保存されています" in text(duplicate)


async def test_an_invalid_value_gets_its_error_in_place(dialog, people):
    dx = fx.actor_of(people, fx.DX_HEALTH)
    form = await dialog.act(None, dx, cards.UPDATE_VERB, {"bureau": HEALTH})
    data = {**submit_data(form), "done": "abc", "delayed": "", "advanced": "", "reason": "x"}
    again = await dialog.act(None, dx, cards.SUBMIT_VERB, data)
    body = again["body"]
    position = next(i for i, e in enumerate(body) if e.get("id") == "done")
    assert "整数" in body[position + 1]["text"] and "（入力: abc）" in body[position + 1]["text"]
    assert inputs(again)["reason"]["value"] == "x"


async def test_the_concurrent_update_is_shown_with_the_new_figures(dialog, people):
    dx = fx.actor_of(people, fx.DX_HEALTH)
    admin = fx.actor_of(people, fx.ADMIN)
    mine = await dialog.act(None, dx, cards.UPDATE_VERB, {"bureau": HEALTH})
    theirs = await dialog.act(None, admin, cards.UPDATE_VERB, {"bureau": HEALTH})
    await dialog.act(None, admin, cards.SUBMIT_VERB, {**submit_data(theirs), "done": "38", "delayed": "36"})
    conflict = await dialog.act(
        None, dx, cards.SUBMIT_VERB, {**submit_data(mine), "done": "20", "delayed": "20", "reason": "遅延"}
    )
    assert "ほかの方が先に" in text(conflict) and "38件（うち遅れ分 36）" in text(conflict)
    assert submit_data(conflict)["etag"] != submit_data(mine)["etag"]


async def test_a_period_not_reportable_is_explained_on_the_bureau_card(store, people):
    early = fx.Clock(datetime(2023, 10, 2, 10, 0, tzinfo=TIMEZONE))  # Q2 ended; it still takes reports
    dialog = OnlineProceduresDialog(INFO, DialogDeps(store=store, clock=early, people=people))
    admin = fx.actor_of(people, fx.ADMIN)
    card = await dialog.act(None, admin, cards.CORRECT_VERB, {"bureau": HEALTH, cards.PERIOD_INPUT: "2023Q3"})
    assert "締め" in text(card) and "オンライン化の状況" in text(card)


async def test_the_table_pages_and_the_material_view(dialog, people):
    actor = fx.actor_of(people, fx.STAFF)
    first = await dialog.act(None, actor, cards.TABLE_VERB, {"view": "seed", "page": 1})
    assert "会議資料のまま" in text(first) and "(前倒し 1) 4" in text(first)
    last = await dialog.act(None, actor, cards.TABLE_VERB, {"view": "seed", "page": 99})
    assert "総計" in text(last) and "3706" in text(last)


async def test_an_admin_corrects_a_closed_period(store, people):
    later = fx.Clock(datetime(2023, 10, 20, 10, 0, tzinfo=TIMEZONE))
    dialog = OnlineProceduresDialog(INFO, DialogDeps(store=store, clock=later, people=people))
    admin = fx.actor_of(people, fx.ADMIN)
    bureau = await dialog.act(None, admin, cards.BUREAU_VERB, {"bureau": HEALTH})
    assert inputs(bureau)[cards.PERIOD_INPUT]["value"] == "2023Q2"
    form = await dialog.act(None, admin, cards.CORRECT_VERB, {"bureau": HEALTH, cards.PERIOD_INPUT: "2023Q2"})
    assert "訂正の理由（必須）" in text(form)
    done = await dialog.act(
        None,
        admin,
        cards.SUBMIT_VERB,
        {**submit_data(form), "done": "38", "delayed": "36", "reason": "報告漏れ"},
    )
    assert "保存しました" in text(done)
    dx = fx.actor_of(people, fx.DX_HEALTH)
    with pytest.raises(Forbidden):
        await dialog.act(None, dx, cards.CORRECT_VERB, {"bureau": HEALTH, cards.PERIOD_INPUT: "2023Q2"})


async def test_an_admin_imports_a_table_sent_as_a_file(dialog, people, store):
    admin = fx.actor_of(people, fx.ADMIN)
    data = dialog.service.export_xlsx(admin.person, dialog.today())
    assert looks_like_table("表.xlsx", data) and not looks_like_table("roster.csv", b"a,b\n")
    result = await dialog.on_file(None, admin, "表.xlsx", data)
    assert "取り込みました" in text(result)
    workbook = load_workbook(io.BytesIO(data))
    workbook.worksheets[0]["E7"] = "四"
    broken = io.BytesIO()
    workbook.save(broken)
    refused = await dialog.on_file(None, admin, "表.xlsx", broken.getvalue())
    assert "取り込めませんでした" in text(refused) and "E7: 数値ではありません" in text(refused)
    with pytest.raises(Forbidden):
        await dialog.act(None, fx.actor_of(people, fx.DX_HEALTH), cards.IMPORT_VERB, {})
