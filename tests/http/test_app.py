"""The bot over HTTP: Teams-shaped activities in, replies out to a local recording connector."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import create_app
from bot.settings import Settings
from services.proactive.conversations import ConversationDirectory
from tests.support.activities import channel_mention, execute_invoke, installation_add, personal_message
from tests.support.cards import card_json as card_texts


@pytest.fixture
async def client(make_client, store, tmp_path):
    return await make_client(Settings(data_dir=tmp_path, max_body_bytes=64 * 1024), store)


async def post(client: TestClient, activity: dict):
    return await client.post("/api/messages", json=activity)


async def test_personal_menu_message_gets_the_japanese_menu_card(client, connector):
    response = await post(client, personal_message(connector.url, "メニュー"))
    assert response.status in (200, 201)
    [card] = connector.cards()
    text = card_texts(card)
    assert "ICT推進ボット" in text and "マイナンバー情報総点検" in text and "デジタル・ディバイド対策" in text
    assert card["version"] == "1.5"


async def test_channel_mention_is_stripped_and_answered_in_the_channel(client, connector, store):
    await post(client, channel_mention(connector.url, "メニュー"))
    [activity] = connector.activities
    assert activity["_conversation_id"].startswith("19:dxpro-channel@thread.tacv2")
    assert "ICT推進ボット" in card_texts(connector.cards()[0])
    assert "見つかりませんでした" not in card_texts(connector.cards()[0])  # the mention was not read as text


async def test_programme_keyword_opens_that_programme(client, connector):
    await post(client, channel_mention(connector.url, "スマホ教室の予定"))
    assert "デジタル・ディバイド対策" in card_texts(connector.cards()[0])
    assert "スマホ教室（計画と実施）" in card_texts(connector.cards()[0])  # the real card, even unseeded


async def test_unknown_text_gets_the_menu_with_a_hint(client, connector):
    await post(client, personal_message(connector.url, "天気を教えて"))
    text = card_texts(connector.cards()[0])
    assert "見つかりませんでした" in text and "マイナンバー情報総点検" in text


async def test_install_greets_and_captures_the_reference(client, connector, store):
    await post(client, installation_add(connector.url, user_aad="aad-new"))
    assert "ICT推進ボット" in card_texts(connector.cards()[0])
    record = ConversationDirectory(store, lambda: None).personal_for("aad-new")
    assert record is not None and record.service_url == connector.url


async def test_every_message_captures_the_reference(client, connector, store):
    await post(client, channel_mention(connector.url, "DX"))
    [record] = ConversationDirectory(store, lambda: None).all()
    assert record.conversation_type == "channel"
    assert record.channel_name == "DX PRO" and record.team_id == "19:team@thread.tacv2"


async def test_action_execute_returns_the_next_card_in_the_invoke_response(client, connector):
    response = await post(client, execute_invoke(connector.url, "cashless.open"))
    assert response.status == 200
    body = await response.json()
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "キャッシュレス" in card_texts(body["value"]) and "区分別・導入状況別の債権数" in card_texts(
        body["value"]
    )
    assert connector.activities == []  # the card was updated in place, not posted


async def test_action_submit_updates_the_submitted_card(client, connector):
    activity = personal_message(connector.url, "", value={"verb": "menu.show"})
    activity["replyToId"] = "card-42"
    await post(client, activity)
    [update] = connector.updates
    assert update["_activity_id"] == "card-42"
    assert "ICT推進ボット" in card_texts(update["attachments"][0]["content"])


async def test_malformed_json_is_400_without_a_stack_trace(client):
    response = await client.post(
        "/api/messages", data=b'{"type": "message", ', headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    body = await response.text()
    assert "Traceback" not in body and "malformed JSON" in body


@pytest.mark.parametrize("body", [b"[]", b'"hello"', b'{"text": "no type"}', b'{"type": ""}'])
async def test_a_body_that_is_not_an_activity_is_400(client, body):
    response = await client.post("/api/messages", data=body, headers={"Content-Type": "application/json"})
    assert response.status == 400


async def test_an_oversized_body_is_413(client, connector):
    activity = personal_message(connector.url, "あ" * 40_000)  # ~120 KB of UTF-8, over the 64 KiB limit
    response = await post(client, activity)
    assert response.status == 413
    assert connector.activities == []


async def test_healthz_reports_storage(client, store):
    ok = await client.get("/healthz")
    assert ok.status == 200 and (await ok.json())["storage"] == "ok"
    store.healthy = False
    down = await client.get("/healthz")
    assert down.status == 503 and (await down.json())["storage"] == "unavailable"


async def test_turn_error_tells_the_user_in_japanese(client, connector, monkeypatch):
    from dialogs.menu import MainDialog

    async def boom(self, *args):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(MainDialog, "on_text", boom)
    await post(client, personal_message(connector.url, "メニュー"))
    assert any("保存されていません" in t for t in connector.texts())


async def test_with_an_app_id_a_request_without_a_token_is_refused(store, tmp_path, connector):
    settings = Settings(
        app_id="11111111-2222-3333-4444-555555555555", app_password="secret", data_dir=tmp_path
    )
    async with TestClient(TestServer(create_app(settings, store=store))) as secured:
        response = await post(secured, personal_message(connector.url, "メニュー"))
        assert response.status == 401
        forged = await secured.post(
            "/api/messages",
            json=personal_message(connector.url, "メニュー"),
            headers={"Authorization": "Bearer not-a-real-token"},
        )
        assert forged.status == 401
    assert connector.activities == []


async def test_anonymous_mode_logs_a_warning_at_start_up(store, tmp_path, caplog):
    with caplog.at_level("WARNING"):
        create_app(Settings(data_dir=tmp_path), store=store)
    assert any("anonymous local mode" in r.message for r in caplog.records)
