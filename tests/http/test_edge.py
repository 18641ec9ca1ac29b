"""Hostile input at the HTTP edge (issue 10): every body is parsed once, strictly, and validated
against the shape the bot reads; a bad activity is 400, a bad card action a polite card; an invoke
always gets an invoke response; nothing is written for input that failed validation."""

from __future__ import annotations

import json

import pytest

from bot.settings import Settings
from services.kernel.seed import load_seed, seed_store
from services.proactive.conversations import ConversationDirectory
from tests.support import people as fx
from tests.support.activities import channel_mention, execute_invoke, personal_message
from tests.support.cards import card_json as card_text

JSON = {"Content-Type": "application/json"}


@pytest.fixture
async def client(make_client, store, tmp_path):
    return await make_client(Settings(data_dir=tmp_path), store)


@pytest.fixture
async def admin_client(make_client, store, tmp_path):
    seed_store(store, load_seed())
    fx.load_fixtures(store)
    return await make_client(Settings(data_dir=tmp_path), store, clock=fx.Clock())


def raw(activity: dict) -> bytes:
    return json.dumps(activity, ensure_ascii=False).encode("utf-8")


def written(store) -> dict:
    """Everything in the store but the roster the fixtures loaded."""
    return {
        t: rows
        for t, rows in store.snapshot().items()
        if t not in ("People", "Organisation", "Audit") and rows
    }


# --- encodings: the body is UTF-8 JSON and nothing else -------------------------------------------


def _encodings(url: str) -> list[tuple[str, bytes, str]]:
    body = raw(personal_message(url, "メニュー"))
    return [
        ("utf-8 BOM", b"\xef\xbb\xbf" + body, "application/json"),
        ("utf-16", json.dumps(personal_message(url, "メニュー")).encode("utf-16"), "application/json"),
        ("utf-16-le", json.dumps(personal_message(url, "メニュー")).encode("utf-16-le"), "application/json"),
        ("encoded surrogate", body.replace("メニュー".encode(), b"\xed\xa0\x80"), "application/json"),
        ("charset utf-16", body, "application/json; charset=utf-16"),
        ("charset shift_jis", body, "application/json; charset=shift_jis"),
        ("NaN", body.replace(b'"locale": "ja-JP"', b'"locale": NaN'), "application/json"),
        ("5000-digit number", body.replace(b'"locale": "ja-JP"', b'"n": ' + b"9" * 5000), "application/json"),
        (
            "1000 levels deep",
            body[:-1] + b', "channelData": ' + b"[" * 1000 + b"]" * 1000 + b"}",
            "application/json",
        ),
        (
            "30 levels deep",
            body[:-1] + b', "value": ' + b'{"a":' * 30 + b"1" + b"}" * 30 + b"}",
            "application/json",
        ),
    ]


@pytest.mark.parametrize("case", range(10))
async def test_a_body_that_is_not_strict_utf8_json_is_400_and_writes_nothing(client, connector, store, case):
    name, body, content_type = _encodings(connector.url)[case]
    response = await client.post("/api/messages", data=body, headers={"Content-Type": content_type})
    assert response.status == 400, name
    assert connector.activities == [] and written(store) == {}


async def test_a_utf8_charset_is_accepted(client, connector):
    body = raw(personal_message(connector.url, "メニュー"))
    response = await client.post(
        "/api/messages", data=body, headers={"Content-Type": "application/json; charset=UTF-8"}
    )
    assert response.status == 201
    assert "ICT推進ボット" in card_text(connector.cards()[0])


# --- fields of the wrong type ------------------------------------------------------------------------


WRONG_FIELDS = [
    ("from", "x"),
    ("from", 5),
    ("conversation", 5),
    ("conversation", {"id": 5}),
    ("conversation", {}),
    ("recipient", []),
    ("timestamp", "yesterday"),
    ("timestamp", 5),
    ("entities", {}),
    ("entities", ["x"]),
    ("attachments", "x"),
    ("attachments", [5]),
    ("text", ["x"]),
    ("membersAdded", {"id": "x"}),
    ("channelData", "x"),
    ("serviceUrl", 5),
    ("serviceUrl", "file:///etc/passwd"),
    ("locale", 1),
    ("historyDisclosed", "yes"),
    ("textHighlights", [{"occurrence": "x"}]),
    ("suggestedActions", "x"),
    ("relatesTo", {"user": "x"}),
    ("type", 5),
    ("replyToId", {}),
    ("localTimestamp", "2026-13-45"),
]


@pytest.mark.parametrize(("field", "value"), WRONG_FIELDS)
async def test_a_field_of_the_wrong_type_is_400_and_writes_nothing(client, connector, store, field, value):
    activity = personal_message(connector.url, "メニュー")
    activity[field] = value
    response = await client.post("/api/messages", data=raw(activity), headers=JSON)
    assert response.status == 400, await response.text()
    assert connector.activities == [] and written(store) == {}


@pytest.mark.parametrize("shape", ["mentioned string", "mentioned list", "channel string", "team number"])
async def test_teams_parts_of_the_wrong_shape_are_400_not_an_apology(client, connector, store, shape):
    activity = channel_mention(connector.url, "メニュー")
    if shape == "mentioned string":
        activity["entities"][0]["mentioned"] = "28:ict-suishin-bot"
    elif shape == "mentioned list":
        activity["entities"][0]["mentioned"] = ["x"]
    elif shape == "channel string":
        activity["channelData"]["channel"] = "DX PRO"
    else:
        activity["channelData"]["team"] = 5
    response = await client.post("/api/messages", data=raw(activity), headers=JSON)
    assert response.status == 400
    assert connector.texts() == [] and written(store) == {}


async def test_a_teams_timestamp_with_seven_fractional_digits_is_read(client, connector):
    activity = personal_message(connector.url, "メニュー")
    activity["timestamp"] = "2026-11-26T01:00:00.1234567Z"
    response = await client.post("/api/messages", data=raw(activity), headers=JSON)
    assert response.status == 201


# --- card actions: bad ones get a polite card, nothing written ----------------------------------------


BAD_ACTIONS = [
    {"action": {"type": "Action.Execute", "verb": 1}},
    {"action": {"type": "Action.Execute", "verb": ["online_procedures.submit"]}},
    {"action": "x"},
    "x",
    {"action": {"verb": "online_procedures.submit", "data": "x"}},
    {"action": {"verb": "online_procedures.submit", "data": {"bureau": ["健康福祉局"]}}},
    {"action": {"verb": "online_procedures.submit", "data": {"reason": "理" * 60_000}}},
    {"action": {"verb": "admin.audit", "data": {"entity_kind": "person", "entity_id": "x" * 40_000}}},
    {"action": {"verb": "online_procedures.submit", "data": {"done": {"n": 1}}}},
    {"action": {"verb": "online_procedures.submit", "data": {"done": 10**20}}},
    {"action": {"verb": "x" * 1000}},
    {"action": {"verb": "menu.show\x00"}},
]


@pytest.mark.parametrize("case", range(len(BAD_ACTIONS)))
async def test_a_bad_action_execute_gets_the_polite_card_in_the_invoke_response(
    admin_client, connector, store, case
):
    activity = execute_invoke(connector.url, "menu.show", user_aad=fx.ADMIN)
    activity["value"] = BAD_ACTIONS[case]
    before = store.snapshot()
    response = await admin_client.post("/api/messages", data=raw(activity), headers=JSON)
    assert response.status == 200
    body = await response.json()
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "入力内容を確認してください" in card_text(body["value"])
    assert connector.activities == []  # no apology posted beside it
    assert store.snapshot() == before  # nothing written, not even a conversation reference


async def test_a_bad_action_submit_gets_the_polite_card(client, connector, store):
    activity = personal_message(connector.url, "", value={"verb": 5})
    response = await client.post("/api/messages", data=raw(activity), headers=JSON)
    assert response.status == 201
    assert "入力内容を確認してください" in card_text(connector.cards()[0])
    assert written(store) == {}


@pytest.mark.parametrize(
    "data",
    [
        {"object_id": "a/b#c?"},
        {"object_id": "x" * 1500},
        {"object_id": "ａ\\ｂ"},
    ],
)
async def test_input_that_cannot_be_a_storage_key_is_answered_politely(admin_client, connector, data):
    response = await admin_client.post(
        "/api/messages", json=execute_invoke(connector.url, "admin.person", data, user_aad=fx.ADMIN)
    )
    assert response.status == 200
    text = card_text((await response.json())["value"])
    assert "処理中に問題が発生" not in text
    assert connector.activities == []


@pytest.mark.parametrize("aad", ["a/b", "a#b?c", "a\\b", "x" * 300])
async def test_a_user_id_that_cannot_be_a_storage_key_is_refused_at_the_edge(
    admin_client, connector, store, aad
):
    before = store.snapshot()
    activity = execute_invoke(
        connector.url, "register.submit", {"unit": "健康福祉局", "message": "x"}, user_aad=aad
    )
    response = await admin_client.post("/api/messages", json=activity)
    assert response.status == 400
    assert store.snapshot() == before and connector.activities == []


async def test_a_turn_that_fails_in_an_invoke_answers_the_invoke_and_posts_nothing(
    client, connector, store, monkeypatch
):
    from dialogs.menu import MainDialog

    async def boom(self, *args):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(MainDialog, "on_action", boom)
    response = await client.post("/api/messages", json=execute_invoke(connector.url, "menu.show"))
    assert response.status == 200
    body = await response.json()
    assert "保存されていません" in card_text(body["value"])
    assert connector.activities == []
    assert ConversationDirectory(store, lambda: None).all() == []  # the failed turn stored no reference


async def test_a_failed_message_turn_stores_no_reference_and_logs_one_traceback(
    client, connector, store, monkeypatch, caplog
):
    from dialogs.menu import MainDialog

    async def boom(self, *args):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(MainDialog, "on_text", boom)
    with caplog.at_level("ERROR"):
        await client.post("/api/messages", json=personal_message(connector.url, "こんにちは"))
    assert any("保存されていません" in t for t in connector.texts())
    assert ConversationDirectory(store, lambda: None).all() == []
    assert [r.getMessage() for r in caplog.records if r.exc_info] == ["unhandled error in a turn"]


async def test_an_invoke_the_bot_does_not_handle_is_4xx_not_501(client, connector, store):
    activity = execute_invoke(connector.url, "menu.show")
    activity["name"] = "composeExtension/query"
    response = await client.post("/api/messages", data=raw(activity), headers=JSON)
    assert 400 <= response.status < 500
    assert written(store) == {}


async def test_a_successful_turn_stores_the_reference(client, connector, store):
    await client.post("/api/messages", json=personal_message(connector.url, "メニュー"))
    assert len(ConversationDirectory(store, lambda: None).all()) == 1


# --- registration: only units of the organisation -----------------------------------------------------


async def test_registration_refuses_a_unit_that_is_not_in_the_organisation(admin_client, connector, store):
    before = store.snapshot()
    activity = execute_invoke(
        connector.url, "register.submit", {"unit": "2023Q2", "message": ""}, user_aad=fx.UNREGISTERED
    )
    response = await admin_client.post("/api/messages", json=activity)
    assert response.status == 200
    assert "一覧から選んでください" in card_text((await response.json())["value"])
    after = store.snapshot()
    assert {t: rows for t, rows in after.items() if t != "ConversationRefs"} == {
        t: rows for t, rows in before.items() if t != "ConversationRefs"
    }


# --- cards that echo input: cut to what the field allows, and checked where they are sent -----------


async def test_a_card_too_large_for_teams_is_replaced_by_a_short_one_where_it_is_sent(
    client, connector, monkeypatch
):
    from cards.common import MAX_SEND_BYTES, adaptive_card, card_send_bytes, text_block
    from dialogs.menu import MainDialog

    async def huge(self, actor, hint=None):
        return adaptive_card([text_block("あ" * 20_000)])

    monkeypatch.setattr(MainDialog, "menu", huge)
    response = await client.post("/api/messages", json=execute_invoke(connector.url, "menu.show"))
    card = (await response.json())["value"]
    assert "表示できません" in card_text(card) and card_send_bytes(card) <= MAX_SEND_BYTES
    await client.post("/api/messages", json=personal_message(connector.url, "メニュー"))
    [sent] = connector.cards()
    assert "表示できません" in card_text(sent)


async def test_echoed_values_are_cut_to_what_their_field_allows(admin_client, connector):
    from cards.common import card_send_bytes

    long_query = "検" * 1_900  # under the action limit, far over what a header shows
    found = await admin_client.post(
        "/api/messages",
        json=execute_invoke(connector.url, "admin.find", {"query": long_query}, user_aad=fx.ADMIN),
    )
    card = (await found.json())["value"]
    assert long_query not in card_text(card) and "検" * 49 + "…" in card_text(card)
    refused = await admin_client.post(
        "/api/messages",
        json=execute_invoke(
            connector.url, "online_procedures.bureau", {"bureau": "局" * 1_900}, user_aad=fx.ADMIN
        ),
    )
    text = card_text((await refused.json())["value"])
    assert "局" * 100 not in text and "という局は" in text
    assert card_send_bytes((await refused.json())["value"]) < 10_000
