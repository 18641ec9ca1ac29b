"""Things people ran into (issue 9), through the whole app: small talk, titles typed as the buttons
show them, and a file sent by somebody the bot takes no file from."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from tests.support import people as fx
from tests.support.activities import personal_message
from tests.support.cards import card_json as text


@pytest.fixture
def store(store):
    seed_store(store, load_seed())
    fx.load_fixtures(store)
    return store


@pytest.fixture
async def client(make_client, settings, store):
    return await make_client(settings, store, clock=fx.Clock(datetime(2023, 9, 20, 10, 0, tzinfo=TIMEZONE)))


async def say(client, connector, user: str, text_: str, **extra) -> dict:
    activity = personal_message(connector.url, text_, user_aad=user)
    activity.update(extra)
    response = await client.post("/api/messages", json=activity)
    assert response.status in (200, 201)
    return connector.cards()[-1]


@pytest.mark.parametrize(
    ("message", "reply"),
    [
        ("こんにちは", "こんにちは！"),
        ("ありがとう", "どういたしまして"),
        ("ありがとうございました！", "どういたしまして"),
    ],
)
async def test_small_talk_gets_a_friendly_reply_not_a_not_found(client, connector, message, reply):
    card = await say(client, connector, fx.STAFF, message)
    assert reply in text(card) and "見つかりませんでした" not in text(card)


async def test_the_title_as_the_menu_button_shows_it_opens_the_programme(client, connector):
    card = await say(client, connector, fx.STAFF, "行政手続きオンライン化")
    assert "行政手続きオンライン化 全庁の状況" in text(card)


async def test_a_staff_member_sending_a_file_is_told_what_files_the_bot_takes_and_from_whom(
    client, connector, files
):
    served, hits, base = files
    served["table.xlsx"] = b"PK\x03\x04 not really"
    attachment = {
        "contentType": "application/vnd.microsoft.teams.file.download.info",
        "name": "table.xlsx",
        "content": {"downloadUrl": f"{base}/table.xlsx", "uniqueId": "x", "fileType": "xlsx"},
    }
    card = await say(client, connector, fx.STAFF, "", attachments=[attachment])
    shown = text(card)
    assert "ファイルは受け取っていません" in shown and "管理者のみ" not in shown
    assert (
        "組織ファイル・名簿ファイル" in shown
        and "行政手続きオンライン化の表" in shown
        and "管理者から" in shown
    )
    assert hits == []  # not even downloaded
