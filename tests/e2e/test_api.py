"""End to end through the Agents Playground's HTTP/WebSocket API, without a browser.

The same Playground and bot as the UI tests; a user's actions are the HTTP calls the
Playground's page makes, and what the bot posts is read from the conversation WebSocket.
"""

from __future__ import annotations

import pytest

from bot.programmes import PROGRAMMES
from cards import proactive
from cards.menu import GREETING
from services.proactive.jobs import DELAY_ALERTS
from tests.support.cards import execute_buttons as menu_buttons
from tests.support.playground import CHANNEL_ID, TEAM_ID, TEST_USERS, PlaygroundError, card_text

pytestmark = pytest.mark.e2e

CARD_TYPE = "application/vnd.microsoft.card.adaptive"


def button(card: dict, title: str) -> dict:
    [(_, action)] = [(t, a) for t, a in menu_buttons(card).items() if t == title or t.endswith(" " + title)]
    return action


def test_installation_greets_the_user_with_the_menu(api):
    stream = api.stream()
    api.install("personal")
    greeting = stream.next(conversation=TEST_USERS["admin"].personal_chat_id, containing=GREETING)
    assert greeting.from_bot
    titles = list(menu_buttons(greeting.card))
    for programme in PROGRAMMES:
        assert any(t.endswith(programme.info.title) for t in titles), programme.info.title


@pytest.mark.parametrize("programme", PROGRAMMES, ids=[p.info.key for p in PROGRAMMES])
def test_each_programme_opens_from_the_menu(api, programme):
    stream = api.stream()
    api.post_message("メニュー")
    menu = stream.next(containing=GREETING)
    action = button(menu.card, programme.info.title)
    answer = api.execute(menu, action["verb"], action["data"])
    assert answer["type"] == CARD_TYPE
    assert programme.info.title in card_text(answer["value"])
    assert GREETING not in card_text(answer["value"])


def test_action_execute_answers_in_the_invoke_and_posts_nothing(api):
    stream = api.stream()
    api.post_message("メニュー")
    menu = stream.next(containing=GREETING)
    after_click = api.stream()
    answer = api.execute(menu, "cashless.open")
    assert answer["type"] == CARD_TYPE and answer["value"]["version"] == "1.5"
    assert "キャッシュレス" in card_text(answer["value"])
    # The card is replaced in place: no new message, and the Playground pushes no update either
    # (its page renders the invoke response itself).
    assert after_click.quiet(1.0, conversation=menu.conversation_id) == []


def test_action_submit_fallback_updates_the_submitted_card(api):
    """Clients without Universal Actions send Action.Submit; the bot edits the card it came from."""
    stream = api.stream()
    api.post_message("メニュー")
    menu = stream.next(containing=GREETING)
    after_click = api.stream()
    api.submit(menu, {"verb": "dx.open"})
    update = after_click.next(action="updateMessage", containing="堺市DX")
    assert update.message_id == menu.message_id
    assert after_click.quiet(0.5, action="createMessage", conversation=menu.conversation_id) == []


def test_a_mention_in_the_dx_pro_channel_is_answered_in_that_thread(api):
    stream = api.stream()
    sent = api.post_message("キャッシュレス", as_user="dx_health", conversation="channel")
    assert sent.conversation_id == f"{CHANNEL_ID};messageid={sent.message_id}"
    answer = stream.next(conversation=CHANNEL_ID, containing="キャッシュレス")
    assert answer.conversation_id == sent.conversation_id  # a reply in the post, not a new post
    assert answer.from_bot


def test_a_channel_message_without_a_mention_never_reaches_the_bot(api):
    stream = api.stream()
    api.post_message("キャッシュレス", as_user="dx_child", conversation="channel", mention_bot=False)
    assert stream.quiet(1.5, conversation=CHANNEL_ID) == []


def test_only_the_current_user_writes_in_the_personal_chat(api):
    with pytest.raises(PlaygroundError, match="switch_user"):
        api.post_message("メニュー", as_user="staff")


def test_a_user_without_permission_is_refused_politely(api):
    api.switch_user("staff")  # 一般 職員: the Playground restarts with them at the keyboard
    stream = api.stream()
    api.post_message("管理")
    refusal = stream.next(conversation=TEST_USERS["staff"].personal_chat_id, containing="操作できません")
    text = card_text(refusal.card)
    assert "ICTイノベーション推進室（管理者）のみが行えます" in text
    assert "管理メニュー" not in text
    assert "メニューに戻る" in menu_buttons(refusal.card)


def test_the_admin_opens_the_admin_menu(api):
    stream = api.stream()
    api.post_message("メニュー")
    menu = stream.next(containing=GREETING)
    action = button(menu.card, "管理メニュー")
    answer = api.execute(menu, action["verb"], action["data"])
    assert "ICTイノベーション推進室（管理者のみ）" in card_text(answer["value"])


def test_a_proactive_alert_reaches_the_channel_registered_for_the_department(api):
    """The admin registers the team's General channel as 子ども青少年局/子育て支援部's DX PRO channel,
    then runs the delay alerts now from the jobs card: the alert arrives there as a new post."""
    stream = api.stream()
    api.post_message("このチャネルを登録", conversation="general")
    form = stream.next(conversation=TEAM_ID, containing="チャネルの登録")
    register = button(form.card, "登録する")
    mapped = api.execute(
        form, register["verb"], {**register["data"], proactive.UNIT_INPUT: "子ども青少年局/子育て支援部"}
    )
    assert "子ども青少年局/子育て支援部の遅延アラートがこのチャネルに届きます" in card_text(mapped["value"])

    api.post_message("定時の通知")
    jobs = stream.next(conversation=TEST_USERS["admin"].personal_chat_id, containing="定時の通知と配信状況")
    after_click = api.stream()
    ran = api.execute(jobs, proactive.RUN_JOB_VERB, {"job": DELAY_ALERTS})
    assert "「遅延アラート・エスカレーション」を実行しました" in card_text(ran["value"])
    alert = after_click.next(conversation=TEAM_ID, containing="オンライン化の遅れ: 子ども青少年局")
    assert alert.from_bot and alert.post_conversation_id  # a new post in the channel, not a reply
    assert "DX PRO チャネルにお知らせしています" in card_text(alert.card)  # why it came
