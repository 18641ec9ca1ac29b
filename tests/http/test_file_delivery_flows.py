"""Files delivered in Teams over HTTP (DESIGN §4b): a card action offers the file with a file consent
card, the user's ``fileConsent/invoke`` goes to /api/messages, the bot builds the file then, PUTs it
in chunks to a stand-in for OneDrive's upload session and sends a file info card. Also: a refused
upload, a declined consent, an expired request, somebody else's answer, a permission lost in
between, and an offer made in a channel that goes to the person's 1:1 chat."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from bot.file_delivery import FILE_CONSENT, FILE_INFO
from cards import online_procedures as cards
from services.audit.trail import EXPORT_COLUMNS
from services.online_procedures.excel import SHEET_TABLE
from services.online_procedures.service import OnlineProceduresService
from services.people.identity import Role, RoleGrant, system_actor
from services.people.roster_export import SHEET_ROSTER
from services.people.roster_file import ROSTER_COLUMNS
from services.people.service import PeopleService
from tests.support import people as fx
from tests.support.activities import TENANT_ID, execute_invoke, personal_message
from tests.support.cards import action_data
from tests.support.cards import card_json as text
from tests.support.connector import LoopbackConnector
from tests.support.flows import MEETING_DAY, seeded
from tests.support.onedrive import OneDriveStandIn

HEALTH = "健康福祉局"


@pytest.fixture
def store(store):
    return seeded(store)


@pytest.fixture
def clock():
    return fx.Clock(MEETING_DAY)


@pytest.fixture
async def client(make_client, settings, store, clock):
    return await make_client(settings, store, clock=clock)


@pytest.fixture
async def onedrive():
    standin = await OneDriveStandIn().start()
    yield standin
    await standin.stop()


async def invoke(client, connector, user: str, verb: str, data: dict | None = None, **activity) -> dict:
    payload = execute_invoke(connector.url, verb, data, user_aad=user)
    payload.update(activity)
    response = await client.post("/api/messages", json=payload)
    assert response.status == 200
    return (await response.json())["value"]


def consents(connector) -> list[dict]:
    return [
        {**a, "_conversation_id": activity["_conversation_id"]}
        for activity in connector.activities
        for a in activity.get("attachments") or []
        if a.get("contentType") == FILE_CONSENT
    ]


def file_infos(connector) -> list[dict]:
    return [
        a
        for activity in connector.activities
        for a in activity.get("attachments") or []
        if a.get("contentType") == FILE_INFO
    ]


def upload_info(onedrive: OneDriveStandIn, session: str, name: str) -> dict:
    return {
        "name": name,
        "uploadUrl": onedrive.session_url(session),
        "fileType": "xlsx",
        "uniqueId": f"uid-{session}",
        "contentUrl": f"https://city.sharepoint.com/personal/user/Documents/Teams/{session}.xlsx",
    }


async def answer(client, connector, user: str, action: str, context: dict, info: dict | None = None) -> str:
    """Post the ``fileConsent/invoke`` of a click on the consent card; the bot's reply text."""
    activity = personal_message(connector.url, "", user_aad=user)
    activity.pop("text")
    activity.update(
        type="invoke",
        name="fileConsent/invoke",
        value={"type": "fileUpload", "action": action, "context": context, "uploadInfo": info},
    )
    before = len(connector.activities)
    response = await client.post("/api/messages", json=activity)
    assert response.status == 200  # always, whatever happened (DESIGN §4b)
    replies = connector.activities[before:]
    assert len(replies) == 1
    return replies[0].get("text") or ""


def cells(data: bytes, sheet: str | int = 0) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(data))
    worksheet = workbook.worksheets[sheet] if isinstance(sheet, int) else workbook[sheet]
    return [tuple(row) for row in worksheet.iter_rows(values_only=True)]


def offers_stored(store) -> int:
    return len(store.snapshot().get("FileOffers", {}))


# --- accept, end to end ----------------------------------------------------------------------------


async def test_the_live_table_is_built_when_accepted_uploaded_in_chunks_and_linked(
    client, connector, onedrive, store, clock
):
    card = await invoke(client, connector, fx.DX_HEALTH, cards.EXPORT_VERB, {"view": cards.LIVE})
    assert "このチャットに" in text(card) and "受け取り確認をお送りしました" in text(card)
    [consent] = consents(connector)
    assert consent["_conversation_id"] == f"a:personal-{fx.DX_HEALTH}"
    assert consent["name"].startswith("オンライン化の表_") and consent["name"].endswith(".xlsx")
    content = consent["content"]
    assert content["acceptContext"] == content["declineContext"] and list(content["acceptContext"]) == [
        "request"
    ]
    assert content["description"] and content["sizeInBytes"] > 1000
    assert offers_stored(store) == 1

    reply = await answer(
        client,
        connector,
        fx.DX_HEALTH,
        "accept",
        content["acceptContext"],
        upload_info(onedrive, "s1", consent["name"]),
    )
    assert "OneDrive に保存しました" in reply
    assert onedrive.problems == []
    data = onedrive.bytes_of("s1")
    assert onedrive.uploads["s1"].chunks[0]["range"] == f"bytes 0-{len(data) - 1}/{len(data)}"
    assert load_workbook(io.BytesIO(data)).worksheets[0].title == SHEET_TABLE
    received = cells(data)
    reader = system_actor("確認", "test").person
    assert received == cells(OnlineProceduresService(store, clock).export_xlsx(reader, clock().date()))
    assert any(row[0] == HEALTH for row in received)
    [info] = file_infos(connector)
    assert info["contentUrl"].endswith("/s1.xlsx") and info["name"] == consent["name"]
    assert info["content"] == {"uniqueId": "uid-s1", "fileType": "xlsx"}

    # The request was for one file: the same consent again finds nothing, and uploads nothing.
    again = await answer(
        client,
        connector,
        fx.DX_HEALTH,
        "accept",
        content["acceptContext"],
        upload_info(onedrive, "s2", consent["name"]),
    )
    assert "期限が切れたか、すでに使われています" in again and "s2" not in onedrive.uploads
    assert offers_stored(store) == 0


async def test_the_meeting_table_comes_as_it_was_seeded(client, connector, onedrive, store, clock):
    await invoke(client, connector, fx.STAFF, cards.EXPORT_VERB, {"view": cards.SEED})
    [consent] = consents(connector)
    assert consent["name"] == "会議資料の表（令和5年8月8日）.xlsx"
    await answer(
        client,
        connector,
        fx.STAFF,
        "accept",
        consent["content"]["acceptContext"],
        upload_info(onedrive, "seed", consent["name"]),
    )
    seed = OnlineProceduresService(store, clock).export_xlsx(
        system_actor("確認", "test").person, date(2023, 9, 20), seed=True
    )
    assert cells(onedrive.bytes_of("seed")) == cells(seed)
    # The size shown is that of a real build. Not to the byte: an .xlsx carries the second it was
    # saved (openpyxl's core properties, the zip entries), which shifts the compressed size a little.
    assert abs(consent["content"]["sizeInBytes"] - len(seed)) <= 32


async def test_an_admin_gets_the_audit_trail_of_a_period(client, connector, onedrive, store):
    counted = await invoke(
        client, connector, fx.ADMIN, "admin.export", {"count": True, "from": "2026-11-01", "to": "2026-11-30"}
    )
    deliver = action_data(counted, "admin.export", deliver=True)
    card = await invoke(
        client, connector, fx.ADMIN, "admin.export", {**deliver, "from": "2026-11-01", "to": "2026-11-30"}
    )
    assert "受け取り確認をお送りしました" in text(card)
    [consent] = consents(connector)
    assert consent["name"] == "変更履歴_20261101-20261130.xlsx"
    await answer(
        client,
        connector,
        fx.ADMIN,
        "accept",
        consent["content"]["acceptContext"],
        upload_info(onedrive, "audit", consent["name"]),
    )
    rows = cells(onedrive.bytes_of("audit"), "変更履歴")
    admin = system_actor("確認", "test").person
    entries = PeopleService(store, fx.Clock()).audit.between(admin, date(2026, 11, 1), date(2026, 11, 30))
    assert rows[0] == EXPORT_COLUMNS and len(rows) == len(entries) + 1 and len(entries) > 5
    assert {row[2] for row in rows[1:]} == {"テスト準備"}  # who made the fixtures' changes


async def test_an_admin_gets_the_roster_in_the_layout_the_import_reads(client, connector, onedrive, store):
    await invoke(client, connector, fx.ADMIN, "admin.roster_export")
    [consent] = consents(connector)
    assert consent["name"].startswith("名簿_")
    # The roster changes between the offer and the accept: the file has the roster of the accept.
    people = PeopleService(store, fx.Clock())
    people.grant(system_actor("準備", "setup"), fx.STAFF, RoleGrant(Role.ADMIN), etag=None, reason="異動")
    await answer(
        client,
        connector,
        fx.ADMIN,
        "accept",
        consent["content"]["acceptContext"],
        upload_info(onedrive, "roster", consent["name"]),
    )
    data = onedrive.bytes_of("roster")
    rows = cells(data, SHEET_ROSTER)
    assert rows[0] == ROSTER_COLUMNS
    assert (fx.DX_HEALTH, "健康 花子", HEALTH, "健康部", None, "DX PRO", "健康福祉局/健康部") in rows
    assert (fx.STAFF, "一般 職員", *rows[[r[0] for r in rows].index(fx.STAFF)][2:5], "管理者", None) in rows
    result = people.import_roster(system_actor("確認", "test"), data, consent["name"])
    # Sent back as it is, it takes nobody's role away (the card-granted role becomes a roster role).
    assert (result.created, result.removed, result.revoked, result.unchanged) == (0, 0, 0, 5)
    assert people.get(system_actor("確認", "test").person, fx.STAFF).is_admin


async def test_the_admin_menu_offers_the_roster(client, connector):
    menu = await invoke(client, connector, fx.ADMIN, "admin.open")
    assert action_data(menu, "admin.roster_export")


async def test_the_action_submit_fallback_offers_the_file_too(client, connector, onedrive):
    activity = personal_message(
        connector.url, "", user_aad=fx.DX_HEALTH, value={"verb": cards.EXPORT_VERB, "view": cards.LIVE}
    )
    activity["replyToId"] = "card-1"
    response = await client.post("/api/messages", json=activity)
    assert response.status in (200, 201)
    [consent] = consents(connector)
    assert [u["_activity_id"] for u in connector.updates] == ["card-1"]  # the pressed card says where it went
    assert "受け取り確認をお送りしました" in text(connector.updates[0])
    reply = await answer(
        client,
        connector,
        fx.DX_HEALTH,
        "accept",
        consent["content"]["acceptContext"],
        upload_info(onedrive, "submit", consent["name"]),
    )
    assert "保存しました" in reply


# --- refused, declined, expired, not yours, no longer allowed ----------------------------------------


async def test_a_refused_upload_is_reported_and_the_same_consent_may_be_accepted_again(
    client, connector, onedrive, store
):
    await invoke(client, connector, fx.DX_HEALTH, cards.EXPORT_VERB, {"view": cards.LIVE})
    [consent] = consents(connector)
    onedrive.refuse["full"] = 507
    reply = await answer(
        client,
        connector,
        fx.DX_HEALTH,
        "accept",
        consent["content"]["acceptContext"],
        upload_info(onedrive, "full", consent["name"]),
    )
    assert "OneDrive に保存できませんでした（HTTP 507）" in reply and file_infos(connector) == []
    assert offers_stored(store) == 1
    reply = await answer(
        client,
        connector,
        fx.DX_HEALTH,
        "accept",
        consent["content"]["acceptContext"],
        upload_info(onedrive, "retry", consent["name"]),
    )
    assert "保存しました" in reply and onedrive.bytes_of("retry").startswith(b"PK")
    assert offers_stored(store) == 0


async def test_a_declined_consent_is_answered_politely_and_forgotten(client, connector, onedrive, store):
    await invoke(client, connector, fx.DX_HEALTH, cards.EXPORT_VERB, {"view": cards.LIVE})
    [consent] = consents(connector)
    reply = await answer(client, connector, fx.DX_HEALTH, "decline", consent["content"]["declineContext"])
    assert "受け取りを取りやめました" in reply and consent["name"] in reply
    assert offers_stored(store) == 0
    late = await answer(
        client,
        connector,
        fx.DX_HEALTH,
        "accept",
        consent["content"]["acceptContext"],
        upload_info(onedrive, "late", consent["name"]),
    )
    assert "すでに使われています" in late and onedrive.uploads == {}


async def test_an_expired_request_is_not_delivered(client, connector, onedrive, store, clock):
    await invoke(client, connector, fx.DX_HEALTH, cards.EXPORT_VERB, {"view": cards.LIVE})
    [consent] = consents(connector)
    clock.now += timedelta(hours=24)
    reply = await answer(
        client,
        connector,
        fx.DX_HEALTH,
        "accept",
        consent["content"]["acceptContext"],
        upload_info(onedrive, "late", consent["name"]),
    )
    assert "期限が切れたか" in reply and onedrive.uploads == {} and offers_stored(store) == 0


async def test_somebody_elses_answer_finds_nothing(client, connector, onedrive, store):
    await invoke(client, connector, fx.ADMIN, "admin.roster_export")
    [consent] = consents(connector)
    reply = await answer(
        client,
        connector,
        fx.STAFF,
        "accept",
        consent["content"]["acceptContext"],
        upload_info(onedrive, "stolen", consent["name"]),
    )
    assert "すでに使われています" in reply and onedrive.uploads == {} and offers_stored(store) == 1


async def test_permission_is_checked_again_when_the_file_is_built(client, connector, onedrive, store):
    await invoke(client, connector, fx.ADMIN, "admin.roster_export")
    [consent] = consents(connector)
    people, setup = PeopleService(store, fx.Clock()), system_actor("準備", "setup")
    people.grant(setup, fx.STAFF, RoleGrant(Role.ADMIN), etag=None)  # there is always one admin left
    people.revoke(setup, fx.ADMIN, Role.ADMIN, None, etag=None)
    reply = await answer(
        client,
        connector,
        fx.ADMIN,
        "accept",
        consent["content"]["acceptContext"],
        upload_info(onedrive, "gone", consent["name"]),
    )
    assert "権限がなくなっています" in reply and onedrive.uploads == {} and offers_stored(store) == 0


@pytest.mark.parametrize(
    "value",
    [
        {"type": "fileUpload", "action": "maybe", "context": {"request": "x"}},
        {"type": "fileUpload", "action": "accept", "context": "not a dict"},
        {"type": "fileUpload", "action": "accept", "context": {"request": "a/b#c"}, "uploadInfo": None},
    ],
)
async def test_odd_answers_are_still_answered_200(client, connector, value):
    activity = personal_message(connector.url, "", user_aad=fx.STAFF)
    activity.pop("text")
    activity.update(type="invoke", name="fileConsent/invoke", value=value)
    response = await client.post("/api/messages", json=activity)
    assert response.status == 200
    assert all("申し訳ありません" not in (a.get("text") or "") for a in connector.activities)


# --- channels: the offer goes to the 1:1 chat -----------------------------------------------------------


def in_channel() -> dict:
    return {
        "conversation": {
            "id": "19:dxpro-channel@thread.tacv2;messageid=1700000000000",
            "conversationType": "channel",
            "isGroup": True,
            "tenantId": TENANT_ID,
        },
        "channelData": {
            "tenant": {"id": TENANT_ID},
            "team": {"id": "19:team@thread.tacv2"},
            "channel": {"id": "19:dxpro-channel@thread.tacv2", "name": "DX PRO"},
        },
    }


async def test_in_a_channel_the_file_is_offered_in_the_personal_chat(client, connector, onedrive):
    await client.post(
        "/api/messages", json=personal_message(connector.url, "こんにちは", user_aad=fx.DX_HEALTH)
    )
    before = len(connector.activities)
    card = await invoke(
        client, connector, fx.DX_HEALTH, cards.EXPORT_VERB, {"view": cards.LIVE}, **in_channel()
    )
    assert "ボットとの個人チャットに" in text(card) and "ほかの方には見えません" in text(card)
    [consent] = consents(connector)
    assert consent["_conversation_id"] == f"a:personal-{fx.DX_HEALTH}"
    assert all("dxpro-channel" not in a["_conversation_id"] for a in connector.activities[before:])
    reply = await answer(
        client,
        connector,
        fx.DX_HEALTH,
        "accept",
        consent["content"]["acceptContext"],
        upload_info(onedrive, "from-channel", consent["name"]),
    )
    assert "保存しました" in reply and onedrive.bytes_of("from-channel").startswith(b"PK")


async def test_in_a_channel_without_a_personal_chat_the_user_is_told_how_to_open_one(
    client, connector, store
):
    card = await invoke(
        client, connector, fx.DX_CHILD, cards.EXPORT_VERB, {"view": cards.LIVE}, **in_channel()
    )
    assert "個人チャットでお渡しします" in text(card) and "新しいチャット" in text(card)
    assert consents(connector) == [] and offers_stored(store) == 0


class BlockedConnector(LoopbackConnector):
    """A connector whose conversation took the bot's first reply, then refuses its messages (the
    user removed the bot afterwards). The first turn succeeds, so the bot keeps a reference."""

    async def start(self) -> BlockedConnector:
        self.posts = 0
        await self._serve()
        return self

    async def _post(self, request):
        from aiohttp import web

        self.posts += 1
        if self.posts == 1:
            return web.json_response({"id": "reply-1"})
        return web.json_response(
            {"error": {"code": "MessageWritesBlocked", "message": "blocked"}}, status=403
        )


async def test_a_personal_chat_that_refuses_the_bot_is_forgotten_and_the_user_told(client, connector, store):
    blocked = await BlockedConnector().start()
    try:
        await client.post(
            "/api/messages", json=personal_message(blocked.url, "こんにちは", user_aad=fx.DX_HEALTH)
        )
        card = await invoke(
            client, connector, fx.DX_HEALTH, cards.EXPORT_VERB, {"view": cards.LIVE}, **in_channel()
        )
    finally:
        await blocked.stop()
    assert "個人チャットでお渡しします" in text(card) and offers_stored(store) == 0
    refs = store.snapshot()["ConversationRefs"]
    [personal] = [props for props, _ in refs.values() if props.get("user_aad_object_id") == fx.DX_HEALTH]
    assert personal["active"] is False
