"""堺市DX end to end through the Agents Playground (HTTP/WebSocket API).

A bot and Playground of their own (a fresh store; the bot's clock starts on 2026-11-26, a Thursday).

1. 健康 花子 (DX PRO 健康福祉局/健康部) writes and submits a DX実行計画 in her 1:1 chat; the
   administrator opens it in the DX PRO channel and returns it with a comment; she sees the comment
   on her plan and resubmits it.
2. The administrator registers the DX PRO channel, adds a BPR session on Monday 2026-11-30 and runs
   the training reminders now: the reminder appears in the channel, and the DX PRO's click on
   「申し込む」 there enrols her.
"""

from __future__ import annotations

import pytest

from cards import dx as cards
from cards import proactive
from services.proactive.jobs import TRAINING_REMINDERS
from tests.e2e.conftest import running_e2e
from tests.support.cards import action_data
from tests.support.cards import execute_buttons as buttons
from tests.support.playground import CHANNEL_ID, TEST_USERS, card_text

pytestmark = pytest.mark.e2e

HEALTH, DEPT = "健康福祉局", "健康部"
DX_CHAT = TEST_USERS["dx_health"].personal_chat_id
PLAN = {
    "business": "各種証明書の再発行",
    "category": "applications",
    "purpose": "来庁を減らす",
    "goal": "再発行の半分をオンラインで受け付ける",
    "kpi": "オンライン申請の割合",
    "kpi_target": "50",
    "kpi_unit": "%",
    "issues": "本人確認の方法",
    "milestones": "2027-01-15 業務フローの作成",
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory, pytestconfig):
    with running_e2e(tmp_path_factory.mktemp("e2e-dx"), pytestconfig, current_user="dx_health") as own:
        yield own


def test_a_plan_is_returned_with_a_comment_and_resubmitted(api):
    stream = api.stream()
    api.post_message("DX")
    home = stream.next(conversation=DX_CHAT, containing="堺市DX")
    assert "目標 72部署" in card_text(home.card)
    department = api.execute(home, cards.DEPARTMENT, {"bureau": HEALTH, "department": DEPT})["value"]
    form = api.execute(home, cards.NEW, action_data(department, cards.NEW))["value"]
    sent = api.execute(home, cards.SUBMIT, {**action_data(form, cards.SUBMIT), **PLAN})["value"]
    assert "計画を提出しました" in card_text(sent)
    plan_id = action_data(sent, cards.COMMENT)["plan_id"]

    # the administrator, in the DX PRO channel, opens the plan and returns it with a comment
    api.post_message("DX", as_user="admin", conversation="channel")
    admin_home = stream.next(conversation=CHANNEL_ID, containing="堺市DX")
    opened = api.execute(admin_home, cards.PLAN, {"plan_id": plan_id}, as_user="admin")["value"]
    assert "差し戻す" in card_text(opened)
    returned = api.execute(
        admin_home,
        cards.RETURN,
        {**action_data(opened, cards.RETURN), cards.COMMENT_INPUT: "本人確認の方法を具体的に書いてください"},
        as_user="admin",
    )["value"]
    assert "差し戻しました" in card_text(returned)

    # the DX PRO sees the comment on her plan and resubmits
    seen = api.execute(home, cards.PLAN, {"plan_id": plan_id})["value"]
    assert "本人確認の方法を具体的に書いてください" in card_text(seen) and "情報 太郎" in card_text(seen)
    assert "下書き（差し戻し）" in card_text(seen)
    edit = api.execute(home, cards.EDIT, {"plan_id": plan_id})["value"]
    again = api.execute(
        home,
        cards.SUBMIT,
        {
            **action_data(edit, cards.SUBMIT),
            **PLAN,
            "issues": "本人確認はマイナンバーカードの公的個人認証で行う",
        },
    )["value"]
    assert "計画を提出しました" in card_text(again) and "📨 提出" in card_text(again)


def test_a_training_reminder_arrives_in_the_dx_pro_channel_and_the_enrol_button_works(api):
    # messages come from the Playground's current user (the DX PRO); the admin acts through card invokes
    stream = api.stream()
    api.post_message("DX", conversation="channel")
    home = stream.next(conversation=CHANNEL_ID, containing="堺市DX")
    mapped = api.execute(
        home,
        proactive.MAP_CHANNEL_VERB,
        {"conversation_id": CHANNEL_ID, "channel_name": "DX PRO", proactive.UNIT_INPUT: f"{HEALTH}/{DEPT}"},
        as_user="admin",
    )
    assert "健康福祉局/健康部" in card_text(mapped["value"])
    added = api.execute(
        home,
        cards.SESSION_SAVE,
        {
            "course": "c3",
            "day": "2026-11-30",
            "start": "14:00",
            "end": "16:00",
            "place": "本館 会議室",
            "capacity": "20",
        },
        as_user="admin",
    )["value"]
    assert "研修の日程を追加しました" in card_text(added)

    after_run = api.stream()
    ran = api.execute(home, proactive.RUN_JOB_VERB, {"job": TRAINING_REMINDERS}, as_user="admin")
    assert "研修リマインダー" in card_text(ran["value"])
    reminder = after_run.next(conversation=CHANNEL_ID, containing="研修のお知らせ: BPR")
    assert reminder.from_bot and "この通知が届いた理由" in card_text(reminder.card)
    assert "この日まで保留する" in buttons(reminder.card)  # the proactive engine's snooze

    # the reminder is shared by the channel: it stays as it is for everyone, and the answer to the
    # enrol button comes as a new reply
    enrol = buttons(reminder.card)["申し込む"]
    replies = api.stream()
    answered = api.execute(
        reminder,
        enrol["verb"],
        enrol["data"],
        as_user="dx_health",
        conversation=reminder.post_conversation_id,
    )
    assert answered["type"] == "application/vnd.microsoft.activity.message"
    enrolled = replies.next(conversation=CHANNEL_ID, containing="申込を受け付けました").card
    assert "健康 花子 さん: 申込を受け付けました" in card_text(enrolled)
    assert "申込 1人" in card_text(enrolled)
