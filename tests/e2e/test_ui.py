"""End to end through the Agents Playground's web page in headless Chromium: what a user sees.

Each test gets a fresh page as 情報 太郎 (the page load installs the bot and it greets). The
harness (tests/support/playground_ui.py) has what the programme scenarios need: ``send``,
``click_card_button``, ``fill_number``, ``fill_text``, ``switch_user``, ``open_channel``.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from bot.programmes import PROGRAMMES
from cards.menu import GREETING
from tests.support.playground import CHANNEL_NAME
from tests.support.playground_ui import CARD, register_channel_and_run_delay_alerts

pytestmark = pytest.mark.e2e

TITLES = [p.info.title for p in PROGRAMMES]


def test_installation_greets_the_user_with_the_menu(playground):
    playground.goto()  # a real page load, which installs the bot again
    card = playground.wait_for_card(GREETING)
    expect(card).to_contain_text("ICT推進ボット")
    expect(card).to_contain_text("堺市 ICTイノベーション推進室")
    expect(playground.cards()).to_have_count(1)  # one greeting per page load
    for title in [*TITLES, "管理メニュー"]:  # every button shows; none hides behind "…"
        expect(card.get_by_role("button", name=title)).to_be_visible()
    expect(card.get_by_role("button", name="More options")).to_have_count(0)


@pytest.mark.parametrize("title", TITLES, ids=[p.info.key for p in PROGRAMMES])
def test_each_programme_opens_from_the_menu(playground, title):
    menu = playground.wait_for_card(GREETING)
    playground.click_card_button(title, menu)
    expect(menu).not_to_contain_text(GREETING)
    expect(menu.get_by_role("heading")).to_contain_text(title)


def test_action_execute_replaces_the_clicked_card_in_place(playground):
    page = playground.page
    menu = playground.wait_for_card(GREETING)  # pinned to the DOM node the user clicks in
    messages_before = playground.cards().count()
    with page.expect_request("**/_conversation/v1/invoke") as invoke:
        playground.click_card_button("キャッシュレス", menu)
    body = json.loads(invoke.value.post_data or "{}")
    assert body["name"] == "adaptiveCard/action"
    assert body["value"]["action"] == {
        "type": "Action.Execute",
        "title": "💳 キャッシュレス",
        "verb": "cashless.open",
        "data": {"verb": "cashless.open"},
    }
    assert invoke.value.response().status == 200

    expect(menu.get_by_role("heading")).to_have_text("💳 キャッシュレス")
    expect(playground.cards()).to_have_count(messages_before)  # replaced, nothing posted
    expect(page.locator(CARD).filter(has_text=GREETING)).to_have_count(0)

    # …and back: the new card's own Action.Execute button updates the same card again.
    playground.click_card_button("メニューに戻る", menu)
    expect(menu).to_contain_text(GREETING)
    expect(playground.cards()).to_have_count(messages_before)


def test_a_mention_in_the_dx_pro_channel_is_answered_in_that_thread(playground):
    playground.open_channel(CHANNEL_NAME)
    playground.send("キャッシュレスの状況を教えて")
    post = playground.post("状況を教えて")
    expect(post).to_contain_text("情報 太郎")
    answer = playground.wait_for_card("キャッシュレス", within=post)
    expect(answer.get_by_role("heading")).to_have_text("💳 キャッシュレス")
    expect(post.locator(CARD)).to_have_count(1)  # one answer, in the thread of the mention


def test_a_user_without_permission_is_refused_politely(playground):
    playground.switch_user("staff")  # 一般 職員 (the Playground restarts; the page reloads)
    menu = playground.wait_for_card(GREETING)
    expect(menu.get_by_role("button", name="管理メニュー")).to_have_count(0)
    playground.send("管理")
    refusal = playground.wait_for_card("操作できません")
    expect(refusal).to_contain_text("ICTイノベーション推進室（管理者）のみが行えます")
    expect(refusal.get_by_role("button", name="メニューに戻る")).to_be_visible()


def test_a_proactive_alert_reaches_the_dx_pro_channel(playground):
    """The admin registers the DX PRO channel for 健康福祉局/健康部 through its card, then runs the
    delay alerts now from the jobs card: the alert is posted in that channel."""
    alert = register_channel_and_run_delay_alerts(
        playground,
        CHANNEL_NAME,
        registered="健康福祉局/健康部の遅延アラートがこのチャネルに届きます",
        ran="「遅延アラート・エスカレーション」を実行しました",
    )
    expect(alert).to_contain_text("DX PRO チャネルにお知らせしています")
    expect(alert.get_by_role("button", name="実績を入力")).to_be_visible()
