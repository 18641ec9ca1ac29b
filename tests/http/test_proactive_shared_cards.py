"""Delay alerts in a channel are shared by every member (issue 9): their buttons answer with a new
reply, and 「今すぐ実行」 tells bureaus with no registered channel apart from failures."""

from __future__ import annotations

import pytest

from app import RUNTIME_KEY, create_app
from cards.common import SHARED_CARD_KEY
from services.kernel.seed import load_seed, seed_store
from services.proactive.alerts import StaticAlerts
from tests.http.test_proactive_flows import CHANNEL, channel_invoke, invoke, register_channel, reply_to_shared
from tests.support import people as fx
from tests.support.activities import execute_invoke
from tests.support.cards import actions as _actions
from tests.support.cards import card_json as text_of
from tests.support.proactive import delay_alert


@pytest.fixture
def clock():
    return fx.Clock()


@pytest.fixture
async def app(settings, store, clock):
    seed_store(store, load_seed())
    fx.load_fixtures(store, clock)
    return create_app(settings, store=store, clock=clock)


@pytest.fixture
async def client(serve, app):
    return await serve(app)


async def run_alerts(client, connector) -> dict:
    return await invoke(
        client, execute_invoke(connector.url, "proactive.run", {"job": "delay_alerts"}, user_aad=fx.ADMIN)
    )


async def test_bureaus_without_a_channel_are_reported_as_such_with_how_to_register_one(
    app, client, connector
):
    app[RUNTIME_KEY].proactive.planner.alert_sources = [
        StaticAlerts(
            "online_procedures", [delay_alert("健康福祉局", department="健康部"), delay_alert("財政局")]
        )
    ]
    jobs = text_of(await run_alerts(client, connector))
    assert "送信できなかったもの" not in jobs and "送信に失敗" not in jobs
    assert "DX PRO チャネルが登録されていないため送らなかった局・部: 2件" in jobs
    assert "健康福祉局/健康部" in jobs and "財政局" in jobs and "このチャネルを登録" in jobs
    assert "失敗 0件・送り先（チャネルなど）が未登録 2件" in jobs  # the job's last result, too


async def test_every_button_of_a_delay_alert_in_a_channel_leaves_the_alert_for_everyone(
    app, client, connector
):
    await register_channel(client, connector)
    app[RUNTIME_KEY].proactive.planner.alert_sources = [
        StaticAlerts("online_procedures", [delay_alert("健康福祉局", department="健康部")])
    ]
    before = len(connector.activities)
    await run_alerts(client, connector)
    [posted] = connector.activities[before:]
    alert = posted["attachments"][0]["content"]
    buttons = [a for a in _actions(alert) if a.get("type") == "Action.Execute"]
    assert buttons and all(a["data"].get(SHARED_CARD_KEY) for a in buttons)
    assert all(a["fallback"]["data"].get(SHARED_CARD_KEY) for a in buttons)  # Action.Submit too
    for button in buttons:
        reply = await reply_to_shared(
            client, connector, channel_invoke(connector.url, fx.DX_HEALTH, button["verb"], button["data"])
        )
        assert reply["type"] == "AdaptiveCard"


async def test_a_submit_fallback_in_a_channel_does_not_update_the_shared_card(app, client, connector):
    await register_channel(client, connector)
    app[RUNTIME_KEY].proactive.planner.alert_sources = [
        StaticAlerts("online_procedures", [delay_alert("健康福祉局", department="健康部")])
    ]
    before = len(connector.activities)
    await run_alerts(client, connector)
    alert = connector.activities[before]["attachments"][0]["content"]
    button = next(a for a in _actions(alert) if a.get("type") == "Action.Execute")
    activity = channel_invoke(connector.url, fx.DX_HEALTH, button["verb"], button["data"])
    activity.update(type="message", value=button["fallback"]["data"], replyToId="alert-1")
    activity.pop("name")
    before = len(connector.activities)
    response = await client.post("/api/messages", json=activity)
    assert response.status in (200, 201)
    assert connector.updates == []  # the shared alert was not replaced
    [reply] = connector.activities[before:]
    assert reply["_conversation_id"].startswith(CHANNEL) and reply["attachments"]
