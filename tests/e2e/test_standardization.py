"""業務システムの標準化 end to end, through the Agents Playground (its HTTP/WebSocket API and headless
Chromium), on the shared stack (``app.py --seed``, the test roster, the real clock: today is past the
FY R7 deadline of 2026-03-31, so every system not live is overdue).

財政 担当 (局担当 財政局) owns the four tax systems; 情報 太郎 is the ICT office (admin).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cards import standardization as cards
from services.standardization.models import Handling
from tests.support.cards import action_data
from tests.support.cards import card_json as text

pytestmark = pytest.mark.e2e

TITLE = "業務システムの標準化 全体の状況"


def test_a_contact_adds_a_budgeted_gap_an_admin_reviews_it_and_the_overview_updates(api):
    api.switch_user("contact")
    stream = api.stream()
    api.post_message("標準化")
    overview = stream.next(containing=TITLE)
    assert "移行期限 2026/3/31 から" in text(overview.card) and "日超過" in text(overview.card)

    system = api.execute(overview, cards.SYSTEM_VERB, {cards.SYSTEM_INPUT: "05"})["value"]
    assert "05 法人住民税 システム" in text(system)
    form = api.execute(overview, cards.GAP_VERB, action_data(system, cards.GAP_VERB))["value"]
    data = action_data(form, cards.GAP_SAVE_VERB)
    invalid = api.execute(
        overview,
        cards.GAP_SAVE_VERB,
        {**data, "title": "", "handling": Handling.LOOSE.value, "amount": "3000000"},
    )["value"]
    title_at = next(i for i, e in enumerate(invalid["body"]) if e.get("id") == "title")
    assert "Gap（差分）の内容を入力してください" in invalid["body"][title_at + 1]["text"]
    assert next(e for e in invalid["body"] if e.get("id") == "amount")["value"] == "3000000"  # kept
    gap = {
        **data,
        "title": "電子申告データの独自連携",
        "handling": Handling.LOOSE.value,
        "amount": "3,000,000",
    }
    saved = api.execute(overview, cards.GAP_SAVE_VERB, gap)["value"]
    assert "登録しました" in text(saved) and "精査待ち（精査順 1番目）" in text(saved)
    again = api.execute(overview, cards.GAP_SAVE_VERB, gap)["value"]
    assert "すでに保存されています" in text(again)  # the same card twice counts once

    api.switch_user("admin")
    stream = api.stream()
    api.post_message("標準化")
    admin_view = stream.next(containing=TITLE)
    assert "Gap を精査する（1件）" in text(admin_view.card)
    review = api.execute(admin_view, cards.REVIEW_VERB)["value"]
    assert "電子申告データの独自連携" in text(review) and "3,000,000円" in text(review)
    done = api.execute(
        admin_view,
        cards.REVIEW_SAVE_VERB,
        {
            **action_data(review, cards.REVIEW_SAVE_VERB),
            "result_need": "妥当",
            "result_method": "要再検討",
            "comment_method": "共通の連携基盤で対応できないか検討してください",
            "result_scope": "妥当",
        },
    )["value"]
    assert "精査結果を保存しました（精査済み（要再検討あり））" in text(done)
    after = api.execute(admin_view, cards.OVERVIEW_VERB)["value"]
    assert "Gap を精査する（0件）" in text(after)
    detail = api.execute(admin_view, cards.SYSTEM_VERB, {"system": "05"})["value"]
    assert "共通の連携基盤で対応できないか検討してください" in text(detail)


def test_the_same_flow_in_the_browser(stack, playground):
    ui = playground
    ui.switch_user("contact")
    ui.send("標準化")
    card = ui.wait_for_card("全体の状況")
    expect(card).to_contain_text("01 住民基本台帳（市民人権局）: 移行期限 2026/3/31 から")
    expect(card).to_contain_text("2023年8月8日 会議資料時点")
    ui.choose("システムを選ぶ", "06 軽自動車税", card)
    ui.click_card_button("詳細を見る", card)
    expect(card).to_contain_text("06 軽自動車税 システム")
    expect(card).to_contain_text("主務省令で設定予定の移行管理の期限（未設定）")
    ui.click_card_button("Gap を追加する", card)
    expect(card).to_contain_text("Gap の追加: 06 軽自動車税")
    ui.fill_text("Gap の内容", "納税通知書の独自様式", card)
    ui.choose("対応方法", Handling.TOOL.value, card)
    ui.fill_text("概算額", "2,000,000", card)
    ui.click_card_button("登録する", card)
    expect(card).to_contain_text("精査待ち（精査順 1番目）")

    ui.switch_user("admin")
    ui.send("標準化")
    card = ui.wait_for_card("全体の状況")
    ui.click_card_button("Gap を精査する（1件）", card)
    expect(card).to_contain_text("納税通知書の独自様式")
    for _, label in (
        ("need", "システム化の必要性"),
        ("method", "システム化方法の妥当性"),
        ("scope", "システム化範囲の妥当性"),
    ):
        ui.choose(label, "妥当", card)
    ui.fill_text("システム化の必要性のコメント", "様式の共通化も並行して検討", card)
    ui.click_card_button("精査結果を保存する", card)
    expect(card).to_contain_text("精査結果を保存しました（精査済み（妥当））")
    ui.click_card_button("全体の状況", card)
    expect(card).to_contain_text("Gap を精査する（0件）")
