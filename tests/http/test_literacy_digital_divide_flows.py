"""ICTリテラシー and デジタル・ディバイド対策 over HTTP: Teams-shaped activities through the whole app
(registry lines, person per turn, Action.Execute in place, Action.Submit, a file in a 1:1 chat)."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import Workbook

from cards import digital_divide as dd_cards
from cards import literacy as cards
from services.digital_divide.classes import HEADERS
from services.kernel.settings import TIMEZONE
from tests.support import people as fx
from tests.support.activities import personal_message
from tests.support.cards import action_data
from tests.support.cards import card_json as text
from tests.support.flows import invoke, seeded


@pytest.fixture
def store(store):
    return seeded(store)


@pytest.fixture
def clock():
    return fx.Clock(datetime(2023, 6, 5, 10, 0, tzinfo=TIMEZONE))


@pytest.fixture
async def client(make_client, settings, store, clock):
    return await make_client(settings, store, clock=clock)


async def test_a_staff_member_saves_the_self_assessment_in_place(client, connector):
    card = await invoke(client, connector, fx.STAFF, "literacy.open")
    assert "ICTリテラシー" in text(card) and "デジタルツールがつかえない、つけれない" in text(card)
    data = {
        **action_data(card, cards.SAVE_VERB),
        "level|Teams": "2",
        "level|Microsoft 365": "1",
        "level|RPA": "0",
        "level|データベース・Power Platform": "1",
    }
    saved = await invoke(client, connector, fx.STAFF, cards.SAVE_VERB, data)
    assert "保存しました" in text(saved) and "次は「つかえる」" in text(saved) and "データ活用" in text(saved)
    assert connector.activities == []  # every card came back in place


async def test_the_keyword_opens_the_smartphone_classes_and_a_submit_records_one(client, connector):
    response = await client.post(
        "/api/messages", json=personal_message(connector.url, "スマホ教室", user_aad=fx.STAFF)
    )
    assert response.status in (200, 201)
    assert "177回・1,801名" in text(connector.cards()[-1])
    submit = personal_message(
        connector.url,
        "",
        user_aad=fx.ADMIN,
        value={
            "verb": dd_cards.RECORD_VERB,
            "day": "2023-05-20",
            "start": "10:00",
            "end": "12:00",
            "ward": "北区",
            "venue": "北区役所",
            "partner": "大学",
            "capacity": "12",
            "attendance": "11",
        },
    )
    await client.post("/api/messages", json=submit)
    assert "スマホ教室を記録しました" in text(connector.cards()[-1])
    summary = await invoke(client, connector, fx.STAFF, dd_cards.SUMMARY_VERB)
    assert "1回（1%）" in text(summary)


async def test_a_manager_may_not_record_classes(client, connector):
    refused = await invoke(client, connector, fx.MANAGER, dd_cards.FORM_VERB)
    assert "操作できません" in text(refused)


async def test_an_admin_sends_a_classes_workbook_with_a_bad_cell(client, connector, files):
    served, _hits, base = files
    book = Workbook()
    sheet = book.active
    sheet.append(list(HEADERS))
    sheet.append(["2023-05-10", "25:00", "12:00", "堺区", "堺区役所", "大学", 12, 10])
    out = io.BytesIO()
    book.save(out)
    served["教室.xlsx"] = out.getvalue()
    activity = personal_message(connector.url, "", user_aad=fx.ADMIN)
    activity["attachments"] = [
        {
            "contentType": "application/vnd.microsoft.teams.file.download.info",
            "name": "教室.xlsx",
            "content": {"downloadUrl": f"{base}/教室.xlsx", "uniqueId": "x", "fileType": "xlsx"},
        }
    ]
    await client.post("/api/messages", json=activity)
    assert "取り込めませんでした" in text(connector.cards()[-1]) and "B2（開始）" in text(
        connector.cards()[-1]
    )


def _workbook(*rows: list) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(HEADERS))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _attach(connector, base: str, name: str, user: str) -> dict:
    activity = personal_message(connector.url, "", user_aad=user)
    activity["attachments"] = [
        {
            "contentType": "application/vnd.microsoft.teams.file.download.info",
            "name": name,
            "content": {"downloadUrl": f"{base}/{name}", "uniqueId": "x", "fileType": "xlsx"},
        }
    ]
    return activity


async def test_a_partner_contact_sends_classes_and_staff_files_are_not_read(
    client, connector, files, store, clock
):
    from services.digital_divide.service import DigitalDivideService
    from services.people.identity import Actor, Person, Role, RoleGrant

    admin = Actor(Person("setup-admin", "準備", grants=(RoleGrant(Role.ADMIN),)), "setup")
    DigitalDivideService(store, clock).add_contact(admin, "〇〇大学", fx.CONTACT, "財政 担当")
    served, hits, base = files
    served["教室.xlsx"] = _workbook(["2023-05-10", "10:00", "12:00", "堺区", "堺区役所", "〇〇大学", 12, 10])
    await client.post("/api/messages", json=_attach(connector, base, "教室.xlsx", fx.CONTACT))
    assert "スマホ教室を取り込みました" in text(connector.cards()[-1]) and "追加 1件" in text(
        connector.cards()[-1]
    )
    before = len(hits)
    await client.post("/api/messages", json=_attach(connector, base, "教室.xlsx", fx.STAFF))
    assert len(hits) == before  # nothing downloaded for staff
    help_card = text(connector.cards()[-1])  # what the bot takes, and from whom
    assert "ファイルは受け取っていません" in help_card and "スマホ教室の連携先の担当者" in help_card


async def test_literacy_cards_stay_out_of_channels(client, connector):
    from tests.support.activities import channel_mention

    activity = channel_mention(connector.url, "リテラシー")
    activity["from"] = {"id": f"29:{fx.DX_HEALTH}", "name": "健康 花子", "aadObjectId": fx.DX_HEALTH}
    await client.post("/api/messages", json=activity)
    card = text(connector.cards()[-1])
    assert "個人チャットで「リテラシー」と送ってください" in card and "level|" not in card
