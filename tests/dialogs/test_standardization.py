"""The 業務システムの標準化 dialog: card actions in, the next card out (the turn is not used)."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from cards import standardization as cards
from dialogs.base import DialogDeps
from dialogs.standardization import StandardizationDialog, export_workbook, looks_like_workbook
from services.kernel.programmes import ProgrammeInfo
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.people.permissions import Forbidden
from services.standardization.models import Handling
from tests.fakes import InMemoryTableStore
from tests.support import people as fx
from tests.support.cards import action_data
from tests.support.cards import card_json as text
from tests.support.cards import inputs_by_id as inputs

INFO = ProgrammeInfo("standardization", "業務システムの標準化", "🏗️", "", ("標準化",))


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
def deps(store, clock, people):
    return DialogDeps(store=store, clock=clock, people=people)


@pytest.fixture
def dialog(deps):
    return StandardizationDialog(INFO, deps)


async def test_the_overview_shows_overdue_systems_in_red_with_how_long(dialog, people):
    card = await dialog.open(None, fx.actor_of(people, fx.STAFF))
    body = text(card)
    assert "全体の状況" in body and "2026年12月1日（火）時点" in body
    assert "01 住民基本台帳（市民人権局）: 移行期限 2026/3/31 から245日超過（約8か月）" in body
    assert '"color": "Attention"' in body
    assert "データ要件の適合期限 2026/3/31 から245日超過" in body  # 税 and 障害者福祉
    assert "主務省令" not in body or "未設定" in body
    assert "2023年8月8日 会議資料時点" in body and "約5倍" in body
    assert cards.SYSTEM_INPUT not in inputs(card)  # staff read no system's detail


async def test_a_section_contact_adds_a_budgeted_gap_and_an_admin_reviews_it(dialog, people):
    contact, admin = fx.actor_of(people, fx.CONTACT), fx.actor_of(people, fx.ADMIN)
    overview = await dialog.open(None, contact)
    assert [c["value"] for c in inputs(overview)[cards.SYSTEM_INPUT]["choices"]] == ["03", "04", "05", "06"]
    system = await dialog.act(None, contact, cards.SYSTEM_VERB, {cards.SYSTEM_INPUT: "03"})
    assert "03 固定資産税 システム" in text(
        system
    ) and "主務省令で設定予定の移行管理の期限（未設定）" in text(system)
    form = await dialog.act(None, contact, cards.GAP_VERB, action_data(system, cards.GAP_VERB))
    data = action_data(form, cards.GAP_SAVE_VERB)
    bad = await dialog.act(
        None,
        contact,
        cards.GAP_SAVE_VERB,
        {**data, "title": "課税台帳の独自項目", "handling": Handling.LOOSE.value, "amount": "十万"},
    )
    assert "0以上の整数（円）" in text(bad) and inputs(bad)["title"]["value"] == "課税台帳の独自項目"
    saved = await dialog.act(
        None,
        contact,
        cards.GAP_SAVE_VERB,
        {**data, "title": "課税台帳の独自項目", "handling": Handling.LOOSE.value, "amount": "12,000,000"},
    )
    assert "登録しました" in text(saved) and "精査待ち（精査順 1番目）" in text(saved)
    with pytest.raises(Forbidden):
        await dialog.act(None, contact, cards.REVIEW_VERB, {})
    review = await dialog.act(None, admin, cards.REVIEW_VERB, {})
    assert "課税台帳の独自項目" in text(review) and "12,000,000円" in text(review)
    answer = {
        **action_data(review, cards.REVIEW_SAVE_VERB),
        "result_need": "妥当",
        "result_method": "要再検討",
        "result_scope": "妥当",
        "comment_method": "",
    }
    again = await dialog.act(None, admin, cards.REVIEW_SAVE_VERB, answer)
    assert "要再検討のときは" in text(again) and inputs(again)["result_method"]["value"] == "要再検討"
    done = await dialog.act(
        None, admin, cards.REVIEW_SAVE_VERB, {**answer, "comment_method": "既存の連携基盤を使う"}
    )
    assert "精査結果を保存しました" in text(done) and "精査待ちの Gap はありません" in text(done)
    after = await dialog.act(None, contact, cards.SYSTEM_VERB, {"system": "03"})
    assert "精査済み（要再検討あり）" in text(after) and "既存の連携基盤を使う" in text(after)
    overview = await dialog.act(None, admin, cards.OVERVIEW_VERB, {})
    assert "Gap を精査する（0件）" in text(overview)


async def test_updating_a_step_keeps_the_input_on_an_error_and_then_saves(dialog, people):
    contact = fx.actor_of(people, fx.CONTACT)
    form = await dialog.act(None, contact, cards.STEP_VERB, {"system": "04", cards.STEP_INPUT: "quote"})
    data = action_data(form, cards.STEP_SAVE_VERB)
    bad = await dialog.act(
        None, contact, cards.STEP_SAVE_VERB, {**data, "status": "対応中", "done_on": "2026-11-30"}
    )
    assert "完了日は状況が「完了」のときだけ" in text(bad) and inputs(bad)["status"]["value"] == "対応中"
    saved = await dialog.act(
        None, contact, cards.STEP_SAVE_VERB, {**data, "status": "完了", "done_on": "2023-07-28"}
    )
    assert "「見積依頼」を「完了」で保存しました" in text(saved) and "完了（2023/7/28）" in text(saved)
    stale = await dialog.act(None, contact, cards.STEP_SAVE_VERB, {**data, "status": "対応中", "done_on": ""})
    assert "ほかの方が先に更新しました" in text(stale)


async def test_a_manager_reads_but_does_not_write(dialog, people):
    manager = fx.actor_of(people, fx.MANAGER)
    system = await dialog.act(None, manager, cards.SYSTEM_VERB, {"system": "09"})
    assert "09 障害者福祉 システム" in text(system) and cards.GAP_VERB not in text(system)
    with pytest.raises(Forbidden):
        await dialog.act(None, manager, cards.GAP_SAVE_VERB, {"system": "09", "title": "x"})


async def test_the_export_builds_a_workbook_and_an_edited_one_imports_whole_or_nothing(dialog, deps, people):
    admin = fx.actor_of(people, fx.ADMIN)
    with pytest.raises(Forbidden):
        export_workbook(deps, fx.actor_of(people, fx.STAFF), {})
    data = export_workbook(deps, admin, {})
    assert looks_like_workbook("x.xlsx", data)
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["システム"]
    assert sheet["A2"].value == "01" and sheet["B4"].value == "固定資産税" and sheet["F4"].value == "○"
    sheet["E2"] = "株式会社 堺システム"
    sheet["J2"] = 400_000_000
    sheet["L2"] = 50_000_000
    workbook["補助金"]["B2"] = 100_000_000
    sheet["H4"] = "2028-03-31"  # the ordinance's deadline for 固定資産税
    sheet["J5"] = "よんおく"
    bad = io.BytesIO()
    workbook.save(bad)
    refused = await dialog.on_file(None, admin, "標準化.xlsx", bad.getvalue())
    assert "取り込めませんでした" in text(refused) and "システム!J5: 0以上の整数（円）" in text(refused)
    assert "株式会社 堺システム" not in text(
        await dialog.act(None, admin, cards.SYSTEM_VERB, {"system": "01"})
    )
    sheet["J5"] = 100_000_000
    good = io.BytesIO()
    workbook.save(good)
    result = await dialog.on_file(None, admin, "標準化.xlsx", good.getvalue())
    assert "取り込みました" in text(result) and "100,000,000円" in text(result)
    detail = await dialog.act(None, admin, cards.SYSTEM_VERB, {"system": "03"})
    assert "主務省令で設定された移行管理の期限（2028年3月31日）" in text(detail)
    overview = await dialog.act(None, admin, cards.OVERVIEW_VERB, {})
    # 500,000,000 eligible against a 100,000,000 cap: 5 times, as the material says
    assert "5.00倍" in text(overview) and "市費（見積の合計 − 補助金）" in text(overview)
    assert "450,000,000円" in text(overview)  # 400M + 50M + 100M − 100M


async def test_a_section_enters_its_estimate_and_the_overview_shares_the_city_cost(dialog, people):
    contact, admin = fx.actor_of(people, fx.CONTACT), fx.actor_of(people, fx.ADMIN)
    system = await dialog.act(None, contact, cards.SYSTEM_VERB, {"system": "03"})
    form = await dialog.act(None, contact, cards.COSTS_VERB, action_data(system, cards.COSTS_VERB))
    data = action_data(form, cards.COSTS_SAVE_VERB)
    bad = await dialog.act(
        None, contact, cards.COSTS_SAVE_VERB, {**data, "eligible": "1.5", "outside_1": "200"}
    )
    assert "0以上の整数（円）" in text(bad) and inputs(bad)["outside_1"]["value"] == "200"
    saved = await dialog.act(
        None, contact, cards.COSTS_SAVE_VERB, {**data, "eligible": "１,０００,０００", "outside_1": "200,000"}
    )
    assert "見積を保存しました（合計 1,200,000円）" in text(saved)
    overview = await dialog.act(None, admin, cards.OVERVIEW_VERB, {})
    assert (
        "1,200,000円" in text(overview) and "Chart.Donut" in text(overview) and "端数の扱い" in text(overview)
    )


async def test_the_export_button_offers_the_workbook_through_the_file_flow(store, clock, people):
    offered = []

    class Files:
        async def offer(self, turn, actor, offer):
            offered.append(offer)
            return {"type": "AdaptiveCard", "version": "1.5", "body": []}

    dialog = StandardizationDialog(INFO, DialogDeps(store=store, clock=clock, people=people, files=Files()))
    await dialog.act(None, fx.actor_of(people, fx.ADMIN), cards.EXPORT_VERB, {})
    assert offered[0].export == "standardization.workbook" and offered[0].name.endswith(".xlsx")
    with pytest.raises(Forbidden):
        await dialog.act(None, fx.actor_of(people, fx.STAFF), cards.EXPORT_VERB, {})


async def test_the_ict_office_enters_the_ordinance_deadline_and_the_overdue_follows(dialog, people):
    admin, contact = fx.actor_of(people, fx.ADMIN), fx.actor_of(people, fx.CONTACT)
    system = await dialog.act(None, contact, cards.SYSTEM_VERB, {"system": "03"})
    assert cards.SETTINGS_VERB not in text(system)
    with pytest.raises(Forbidden):
        await dialog.act(None, contact, cards.SETTINGS_VERB, {"system": "03"})
    form = await dialog.act(None, admin, cards.SETTINGS_VERB, {"system": "01"})
    data = action_data(form, cards.SETTINGS_SAVE_VERB)
    refused = await dialog.act(
        None,
        admin,
        cards.SETTINGS_SAVE_VERB,
        {**data, "bureau": "市民人権局", "own_deadline": "2027-03-31", "special": "false"},
    )
    assert "移行困難システムか特定移行支援システムにだけ" in text(refused)
    assert inputs(refused)["own_deadline"]["value"] == "2027-03-31"
    saved = await dialog.act(
        None,
        admin,
        cards.SETTINGS_SAVE_VERB,
        {
            **data,
            "bureau": "市民人権局",
            "section": "市民生活部/戸籍住民課",
            "own_deadline": "2027-03-31",
            "special": "true",
        },
    )
    assert "特定移行支援システムの期限（2027年3月31日）" in text(saved) and "市民生活部/戸籍住民課" in text(
        saved
    )
    overview = await dialog.act(None, admin, cards.OVERVIEW_VERB, {})
    assert "01 住民基本台帳（市民人権局）: 移行期限" not in text(overview)  # no longer overdue
    hard = await dialog.act(None, admin, cards.SETTINGS_VERB, {"system": "03"})
    data = action_data(hard, cards.SETTINGS_SAVE_VERB)
    await dialog.act(
        None,
        admin,
        cards.SETTINGS_SAVE_VERB,
        {**data, "bureau": "財政局", "own_deadline": "2026-09-30", "data_done_on": "2026-03-01"},
    )
    overview = await dialog.act(None, admin, cards.OVERVIEW_VERB, {})
    assert "03 固定資産税（財政局）: 移行期限 2026/9/30 から62日超過（約2か月）" in text(overview)
    assert "03 固定資産税（財政局）: データ要件" not in text(overview)
