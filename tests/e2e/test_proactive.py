"""Proactive messages end to end through the Agents Playground (HTTP/WebSocket API).

A bot and Playground of their own (a fresh store), with 福祉 部長 (管理職, 健康福祉局) at the
keyboard so the Playground knows their personal chat. The administrator works in the team's
DX PRO channel: registers it for 健康福祉局/健康部, runs the delay alerts now from the jobs card;
the alert appears in the channel as a new post and the escalation in the manager's chat. A DX PRO
in the channel snoozes the alert with a date; running the job again sends nothing new. The weekly
digest then reaches the manager.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from cards import proactive
from services.proactive.jobs import DELAY_ALERTS, WEEKLY_DIGEST
from tests.e2e.conftest import running_e2e
from tests.support.cards import execute_buttons as buttons
from tests.support.playground import CHANNEL_ID, TEST_USERS, card_text

pytestmark = pytest.mark.e2e

MANAGER_CHAT = TEST_USERS["manager"].personal_chat_id


@pytest.fixture(scope="module")
def stack(tmp_path_factory, pytestconfig):
    with running_e2e(tmp_path_factory.mktemp("e2e-proactive"), pytestconfig) as own:
        yield own


def test_register_run_now_alert_snooze_and_the_managers_digest(api):
    # the administrator (at the keyboard) registers the DX PRO channel and runs the alerts now
    stream = api.stream()
    api.post_message("このチャネルを登録", conversation="channel")
    form = stream.next(conversation=CHANNEL_ID, containing="チャネルの登録")
    register = buttons(form.card)["登録する"]
    mapped = api.execute(
        form, register["verb"], {**register["data"], proactive.UNIT_INPUT: "健康福祉局/健康部"}
    )
    assert "健康福祉局/健康部の遅延アラートがこのチャネルに届きます" in card_text(mapped["value"])

    api.post_message("定時の通知", conversation="channel")
    jobs = stream.next(conversation=CHANNEL_ID, containing="定時の通知と配信状況")
    after_run = api.stream()
    ran = api.execute(jobs, proactive.RUN_JOB_VERB, {"job": DELAY_ALERTS})
    assert "遅延アラート・エスカレーション" in card_text(ran["value"])
    alert = after_run.next(conversation=CHANNEL_ID, containing="オンライン化の遅れ: 健康福祉局")
    assert alert.from_bot and alert.post_conversation_id  # a new post in the channel
    assert "この通知が届いた理由" in card_text(alert.card) and "再通知する日" in card_text(alert.card)

    # a DX PRO in the channel snoozes it for a week: the alert is shared by the channel, so it stays
    # as it is for everyone and the confirmation comes as a new reply; nothing is sent again
    snooze = buttons(alert.card)["この日まで保留する"]
    until = date.today() + timedelta(days=7)
    replies = api.stream()
    snoozed = api.execute(
        alert,
        snooze["verb"],
        {**snooze["data"], proactive.SNOOZE_INPUT: until.isoformat()},
        as_user="dx_health",
        conversation=alert.post_conversation_id,
    )
    assert snoozed["type"] == "application/vnd.microsoft.activity.message"
    confirmation = replies.next(conversation=CHANNEL_ID, containing="この通知を保留しました")
    assert f"{until.month}月{until.day}日" in card_text(confirmation.card)
    again = api.stream()
    ran_again = api.execute(jobs, proactive.RUN_JOB_VERB, {"job": DELAY_ALERTS})
    assert "送信 0件" in card_text(ran_again["value"])
    assert again.quiet(1.0, conversation=CHANNEL_ID, containing="オンライン化の遅れ") == []

    # the manager of 健康福祉局 has the bot in their chat; the weekly digest reaches it
    api.switch_user("manager")
    chat = api.stream()
    api.install("personal")
    chat.next(conversation=MANAGER_CHAT)
    api.post_message("メニュー", conversation="channel")  # any bot card in the channel to click on
    menu = chat.next(conversation=CHANNEL_ID, containing="ICT推進ボット")
    digest_stream = api.stream()
    ran = api.execute(menu, proactive.RUN_JOB_VERB, {"job": WEEKLY_DIGEST}, as_user="admin")
    assert "管理職向け週次ダイジェスト" in card_text(ran["value"])
    digest = digest_stream.next(conversation=MANAGER_CHAT, containing="健康福祉局 週次ダイジェスト")
    text = card_text(digest.card)
    assert (
        "行政手続きオンライン化" in text
        and "福祉 部長 さんが健康福祉局の管理職として登録されているため" in text
    )
