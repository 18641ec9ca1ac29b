"""Proactive messages over HTTP: an admin registers a channel, runs the delay-alert job now, the
alert appears in the channel and is snoozed from there; the weekly digest reaches a manager's
1:1 chat; and the refusals (non-admins, snoozes from elsewhere) write nothing."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from app import RUNTIME_KEY, create_app
from cards.proactive import MAP_CHANNEL_VERB, SNOOZE_INPUT, SNOOZE_VERB
from services.audit.trail import AuditLog
from services.people.identity import system_actor
from services.proactive.alerts import StaticAlerts
from services.proactive.snoozes import SnoozeBook
from tests.support import people as fx
from tests.support.activities import channel_mention, execute_invoke, installation_add, personal_message
from tests.support.cards import actions as _actions
from tests.support.cards import card_json as text_of
from tests.support.proactive import delay_alert

CHANNEL = "19:dxpro-channel@thread.tacv2"


@pytest.fixture
def clock():
    return fx.Clock()


@pytest.fixture
def people(store, clock):
    return fx.load_fixtures(store, clock)


@pytest.fixture
async def app(settings, store, people, clock):
    return create_app(settings, store=store, clock=clock)


@pytest.fixture
async def client(serve, app):
    return await serve(app)


def in_channel(activity: dict, user: str) -> dict:
    activity["from"] = {"id": f"29:{user}", "name": "利用者", "aadObjectId": user}
    return activity


def channel_invoke(url: str, user: str, verb: str, data: dict) -> dict:
    activity = in_channel(channel_mention(url, ""), user)
    activity.update(
        type="invoke",
        name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": verb, "data": {"verb": verb, **data}}},
    )
    activity.pop("text")
    activity.pop("entities")
    return activity


async def post(client: TestClient, activity: dict):
    response = await client.post("/api/messages", json=activity)
    assert response.status in (200, 201)
    return response


async def invoke(client, activity) -> dict:
    response = await post(client, activity)
    return (await response.json())["value"]


async def reply_to_shared(client, connector, activity) -> dict:
    """A button on a card the whole channel shares: the invoke answers with a message (the card
    stays), and the answer comes as a new reply in the channel."""
    before = len(connector.activities)
    body = await (await post(client, activity)).json()
    assert body["type"] == "application/vnd.microsoft.activity.message" and isinstance(body["value"], str)
    [reply] = connector.activities[before:]
    assert reply["_conversation_id"].startswith(CHANNEL)
    return reply["attachments"][0]["content"]


async def register_channel(client, connector, unit="健康福祉局/健康部") -> dict:
    await post(client, in_channel(channel_mention(connector.url, "このチャネルを登録"), fx.ADMIN))
    form = connector.cards()[-1]
    assert "チャネルの登録" in text_of(form) and "健康福祉局/健康部" in text_of(form)
    return await invoke(
        client,
        channel_invoke(
            connector.url,
            fx.ADMIN,
            MAP_CHANNEL_VERB,
            {"conversation_id": CHANNEL, "channel_name": "DX PRO", "unit": unit},
        ),
    )


async def test_an_admin_registers_the_channel_and_it_is_audited(client, connector, store, clock):
    card = await register_channel(client, connector)
    assert "健康福祉局/健康部のDX PRO チャネル（#DX PRO）として登録しました" in text_of(card)
    entries = AuditLog(store, clock).recent(system_actor("t", "t").person, "channel_mapping")
    assert [e.entity_id for e in entries] == [CHANNEL] and entries[0].after["bureau"] == "健康福祉局"
    assert entries[0].actor_id == fx.ADMIN and entries[0].operation == "create"


@pytest.mark.parametrize("user", [fx.DX_HEALTH, fx.MANAGER, fx.STAFF, fx.UNREGISTERED])
async def test_only_admins_register_channels_or_see_the_jobs(client, connector, store, user):
    await post(client, in_channel(channel_mention(connector.url, "このチャネルを登録"), user))
    assert "操作できません" in text_of(connector.cards()[-1])
    refused = await invoke(
        client,
        channel_invoke(
            connector.url, user, MAP_CHANNEL_VERB, {"conversation_id": CHANNEL, "unit": "健康福祉局"}
        ),
    )
    assert "操作できません" in text_of(refused)
    jobs = await invoke(
        client, execute_invoke(connector.url, "proactive.run", {"job": "delay_alerts"}, user_aad=user)
    )
    assert "操作できません" in text_of(jobs)
    assert store.snapshot().get("ChannelMappings", {}) == {} and store.snapshot().get("JobRuns", {}) == {}


async def test_admin_runs_the_delay_alerts_now_and_the_alert_appears_in_the_channel(
    app, client, connector, store, clock
):
    await register_channel(client, connector)
    runtime = app[RUNTIME_KEY]
    alert = delay_alert("健康福祉局", department="健康部")
    runtime.proactive.planner.alert_sources = [StaticAlerts("online_procedures", [alert])]
    before = len(connector.activities)
    jobs = await invoke(
        client, execute_invoke(connector.url, "proactive.run", {"job": "delay_alerts"}, user_aad=fx.ADMIN)
    )
    assert "送信 1件" in text_of(jobs) and "今すぐ実行" in text_of(jobs)
    [posted] = connector.activities[before:]
    assert posted["_conversation_id"] == CHANNEL and "replyToId" not in posted
    card = posted["attachments"][0]["content"]
    assert "令和8年度 第2四半期のオンライン化実績が未提出です" in text_of(card)
    assert "この通知が届いた理由" in text_of(card)

    # someone in the channel snoozes it: recorded, audited, and confirmed in a new reply (the
    # alert is shared by the whole channel: it stays as it is for everyone)
    data = next(a["data"] for a in _actions(card) if a.get("data", {}).get("verb") == SNOOZE_VERB)
    snoozed = await reply_to_shared(
        client,
        connector,
        channel_invoke(connector.url, fx.DX_HEALTH, SNOOZE_VERB, {**data, SNOOZE_INPUT: "2026-12-10"}),
    )
    assert "2026年12月10日（木）まで、この通知を保留しました" in text_of(snoozed)
    assert SnoozeBook(store, clock).get(alert.snooze_subject).until.isoformat() == "2026-12-10"
    entries = AuditLog(store, clock).recent(system_actor("t", "t").person, "alert_snooze")
    assert entries[0].actor_id == fx.DX_HEALTH and entries[0].after["until"] == "2026-12-10"

    # a date in the past is refused on the same card, and somebody elsewhere cannot snooze it
    again = await reply_to_shared(
        client,
        connector,
        channel_invoke(connector.url, fx.DX_HEALTH, SNOOZE_VERB, {**data, SNOOZE_INPUT: "2026-11-01"}),
    )
    assert "明日以降" in text_of(again)
    elsewhere = await invoke(
        client,
        execute_invoke(connector.url, SNOOZE_VERB, {**data, SNOOZE_INPUT: "2026-12-01"}, user_aad=fx.STAFF),
    )
    assert "保留できるのは" in text_of(elsewhere)


async def test_the_weekly_digest_reaches_the_managers_chat(app, client, connector):
    await post(client, installation_add(connector.url, user_aad=fx.MANAGER))
    before = len(connector.activities)
    jobs = await invoke(
        client, execute_invoke(connector.url, "proactive.run", {"job": "weekly_digest"}, user_aad=fx.ADMIN)
    )
    assert "送信 1件" in text_of(jobs)
    [digest] = connector.activities[before:]
    assert digest["_conversation_id"] == f"a:personal-{fx.MANAGER}"
    text = text_of(digest["attachments"][0]["content"])
    assert (
        "健康福祉局 週次ダイジェスト" in text
        and "福祉 部長 さんが健康福祉局の管理職として登録されているため" in text
    )


async def test_the_jobs_card_lists_every_job(client, connector):
    card = await say_admin(client, connector, "定時の通知")
    text = text_of(card)
    for title in (
        "遅延アラート・エスカレーション",
        "研修リマインダー",
        "管理職向け週次ダイジェスト",
        "推進室向け月次ダイジェスト",
    ):
        assert title in text
    assert "毎週月曜 9:00（休日の場合は翌営業日）" in text and "スケジューラーが動いていません" in text


async def test_the_admin_lists_known_channels_and_registers_one_from_the_list(client, connector):
    await post(
        client, in_channel(channel_mention(connector.url, "メニュー"), fx.DX_HEALTH)
    )  # the bot learns the channel
    listing = await invoke(client, execute_invoke(connector.url, "proactive.channels", user_aad=fx.ADMIN))
    assert "未登録のチャネル" in text_of(listing) and "#DX PRO" in text_of(listing)
    form = await invoke(
        client,
        execute_invoke(
            connector.url, "proactive.channel_form", {"conversation_id": CHANNEL}, user_aad=fx.ADMIN
        ),
    )
    assert "#DX PRO" in text_of(form)
    done = await invoke(
        client,
        execute_invoke(
            connector.url,
            MAP_CHANNEL_VERB,
            {"conversation_id": CHANNEL, "unit": "@office"},
            user_aad=fx.ADMIN,
        ),
    )
    assert "ICTイノベーション推進室のチャネル" in text_of(done) and "月次ダイジェスト" in text_of(done)


async def say_admin(client, connector, text: str) -> dict:
    await post(client, personal_message(connector.url, text, user_aad=fx.ADMIN))
    return connector.cards()[-1]
