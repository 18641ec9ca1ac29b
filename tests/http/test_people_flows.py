"""People and permissions over HTTP: the admin menu, registration requests, role changes with
ETag conflicts, file imports, and refusals that write nothing."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from services.kernel.seed import load_seed, seed_store
from services.people.identity import OrgUnit, Role, RoleGrant, system_actor
from tests.fakes import InMemoryTableStore
from tests.support import people as fx
from tests.support.activities import execute_invoke, personal_message
from tests.support.cards import action_data
from tests.support.cards import card_json as text_of
from tests.support.connector import RecordingConnector

PEOPLE_TABLES = ("People", "Organisation", "Audit")
SECOND_ADMIN = "00000000-0000-4000-8000-0000000000a2"


@pytest.fixture
def people(store):
    service = fx.load_fixtures(store)
    service.grant(
        system_actor("準備", "setup"), SECOND_ADMIN, RoleGrant(Role.ADMIN), etag=None, create_name="情報 次郎"
    )
    return service


@pytest.fixture
async def client(make_client, settings, store, people):
    return await make_client(settings, store, clock=fx.Clock())


def people_tables(store: InMemoryTableStore) -> dict:
    return {t: rows for t, rows in store.snapshot().items() if t in PEOPLE_TABLES}


async def invoke(
    client: TestClient, connector: RecordingConnector, user: str, verb: str, data: dict | None = None
) -> dict:
    response = await client.post(
        "/api/messages", json=execute_invoke(connector.url, verb, data, user_aad=user)
    )
    assert response.status == 200
    return (await response.json())["value"]


async def say(client: TestClient, connector: RecordingConnector, user: str, text: str, **extra) -> dict:
    activity = personal_message(connector.url, text, user_aad=user)
    activity.update(extra)
    before = len(connector.activities)
    response = await client.post("/api/messages", json=activity)
    assert response.status in (200, 201)
    return [a["attachments"][0]["content"] for a in connector.activities[before:] if a.get("attachments")][-1]


# --- the admin menu and refusals -------------------------------------------------------------------


async def test_the_admin_menu_is_offered_to_admins_only(client, connector):
    admin_menu = await say(client, connector, fx.ADMIN, "メニュー")
    assert "管理メニュー" in text_of(admin_menu)
    staff_menu = await say(client, connector, fx.DX_HEALTH, "メニュー")
    assert "管理メニュー" not in text_of(staff_menu) and "登録を依頼" not in text_of(staff_menu)


@pytest.mark.parametrize("word", ["管理", "admin"])
async def test_admin_opens_the_admin_menu(client, connector, store, word):
    seed_store(store, load_seed())  # the target of 72 departments is the seed's (dx_programme.csv)
    card = await say(client, connector, fx.ADMIN, word)
    text = text_of(card)
    assert (
        "管理メニュー" in text and "名簿の登録者" in text and "7人" in text
    )  # the 6 test users and the second admin
    assert "DX PRO のいる部" in text and "2 / 72部署" in text


async def test_without_the_seed_the_admin_menu_shows_no_target(client, connector):
    text = text_of(await say(client, connector, fx.ADMIN, "管理"))
    assert "DX PRO のいる部" in text and "2部署" in text and "/ 72" not in text


NOT_ADMINS = [fx.DX_HEALTH, fx.DX_CHILD, fx.MANAGER, fx.CONTACT, fx.STAFF, fx.UNREGISTERED]
ADMIN_OPERATIONS = [
    ("admin.open", {}),
    ("admin.roles", {}),
    ("admin.find", {"query": "花子"}),
    ("admin.person", {"object_id": fx.DX_HEALTH}),
    ("admin.grant", {"object_id": fx.STAFF, "etag": "", "role": "admin", "scope": "", "reason": "乗っ取り"}),
    ("admin.revoke", {"object_id": fx.DX_HEALTH, "etag": "", "role": "dx_pro", "scope": "健康福祉局/健康部"}),
    ("admin.requests", {}),
    ("admin.approve", {"object_id": fx.UNREGISTERED, "etag": "", "role": "admin"}),
    ("admin.reject", {"object_id": fx.UNREGISTERED, "etag": ""}),
    ("admin.audit", {}),
    ("admin.export", {"count": True, "from": "2026-11-01", "to": "2026-11-30"}),
    ("admin.export", {"deliver": True, "from": "2026-11-01", "to": "2026-11-30"}),
    ("admin.roster_export", {}),
    ("admin.import", {}),
]


@pytest.mark.parametrize("user", NOT_ADMINS)
async def test_non_admins_get_the_polite_refusal_and_nothing_changes(client, connector, store, user):
    before = people_tables(store)
    card = await say(client, connector, user, "管理")
    assert "操作できません" in text_of(card) and "ICTイノベーション推進室（管理者）のみが行えます" in text_of(
        card
    )
    for verb, data in ADMIN_OPERATIONS:
        card = await invoke(client, connector, user, verb, data)
        assert "操作できません" in text_of(card), verb
    assert people_tables(store) == before
    assert not store.snapshot().get("FileOffers")  # no file was offered


# --- registration ------------------------------------------------------------------------------------


async def test_an_unregistered_user_asks_to_be_registered_and_an_admin_approves(client, connector, people):
    admin_chat = f"a:personal-{fx.ADMIN}"
    await say(client, connector, fx.ADMIN, "メニュー")  # the bot now knows the admin's personal chat
    menu = await say(client, connector, fx.UNREGISTERED, "メニュー")
    assert "名簿に登録されていない" in text_of(menu)
    form = await invoke(client, connector, fx.UNREGISTERED, "register.open")
    assert "名簿への登録依頼" in text_of(form) and "健康福祉局/健康部" in text_of(form)
    refused = await invoke(client, connector, fx.UNREGISTERED, "register.submit", {"unit": ""})
    assert "所属を選んでください" in text_of(refused)
    connector.activities.clear()
    sent = await invoke(
        client,
        connector,
        fx.UNREGISTERED,
        "register.submit",
        {"unit": "子ども青少年局/子育て支援部", "message": "DX PRO になりました"},
    )
    assert "登録依頼を送りました" in text_of(sent)
    # the admin was told, proactively, in their personal chat (the second admin has no chat yet)
    [alert] = connector.activities
    assert alert["_conversation_id"] == admin_chat
    assert "登録依頼が届きました" in text_of(alert) and "DX PRO になりました" in text_of(alert)
    assert "受け付けています" in text_of(await say(client, connector, fx.UNREGISTERED, "メニュー"))

    home = await invoke(client, connector, fx.ADMIN, "admin.open")
    assert "未処理の登録依頼" in text_of(home) and "堺 太郎" in text_of(home)  # the name Teams sent
    review = await invoke(client, connector, fx.ADMIN, "admin.review", {"object_id": fx.UNREGISTERED})
    approve = action_data(review, "admin.approve")
    bad = await invoke(
        client,
        connector,
        fx.ADMIN,
        "admin.approve",
        {**approve, "unit": "子ども青少年局/子育て支援部", "role": "dx_pro", "scope": ""},
    )
    assert "ロール対象" in text_of(bad) and "登録依頼の確認" in text_of(bad)  # asked again, nothing saved
    connector.activities.clear()
    done = await invoke(
        client,
        connector,
        fx.ADMIN,
        "admin.approve",
        {
            **approve,
            "unit": "子ども青少年局/子育て支援部",
            "role": "dx_pro",
            "scope": "子ども青少年局/子育て支援部",
            "reason": "課長から依頼",
        },
    )
    assert "堺 太郎 さんを登録しました" in text_of(done)
    person = people.resolve(fx.UNREGISTERED)
    assert person.registered and person.scopes(Role.DX_PRO) == [OrgUnit("子ども青少年局", "子育て支援部")]
    [welcome] = connector.activities
    assert welcome[
        "_conversation_id"
    ] == f"a:personal-{fx.UNREGISTERED}" and "名簿に登録されました" in text_of(welcome)
    # a second admin holding the same request card cannot approve it again
    again = await invoke(client, connector, SECOND_ADMIN, "admin.approve", {**approve, "role": "admin"})
    assert "すでに処理されています" in text_of(again)
    assert not people.resolve(fx.UNREGISTERED).is_admin


# --- roles: grant, revoke, concurrent edits -------------------------------------------------------


async def test_grant_and_revoke_with_a_concurrent_edit(client, connector, people):
    found = await invoke(client, connector, fx.ADMIN, "admin.find", {"query": "一般"})
    opened = await invoke(client, connector, fx.ADMIN, "admin.person", action_data(found, "admin.person"))
    grant = action_data(opened, "admin.grant")
    # the second admin opens the same person before the first one saves
    stale = await invoke(client, connector, SECOND_ADMIN, "admin.person", {"object_id": fx.STAFF})
    stale_grant = action_data(stale, "admin.grant")

    granted = await invoke(
        client,
        connector,
        fx.ADMIN,
        "admin.grant",
        {**grant, "role": "dx_pro", "scope": "建設局/土木部", "reason": "新任の DX PRO"},
    )
    assert "「DX PRO（建設局/土木部）」を付与しました" in text_of(granted)

    conflict = await invoke(
        client,
        connector,
        SECOND_ADMIN,
        "admin.grant",
        {**stale_grant, "role": "manager", "scope": "建設局", "reason": "昇任"},
    )
    text = text_of(conflict)
    assert "ほかの管理者がこの職員のロールを先に変更しました" in text
    assert "DX PRO（建設局/土木部）" in text  # the new state is shown
    assert not people.resolve(fx.STAFF).has(Role.MANAGER)  # and nothing was saved
    confirm = action_data(conflict, "admin.grant")
    assert confirm["etag"] != stale_grant["etag"]
    confirmed = await invoke(
        client,
        connector,
        SECOND_ADMIN,
        "admin.grant",
        {**confirm, "role": "manager", "scope": "建設局", "reason": "昇任"},
    )
    assert "を付与しました" in text_of(confirmed)

    revoke = action_data(confirmed, "admin.revoke", role="dx_pro")
    revoked = await invoke(client, connector, SECOND_ADMIN, "admin.revoke", {**revoke, "reason": "異動"})
    assert "を取り消しました" in text_of(revoked)
    assert [g.label for g in people.resolve(fx.STAFF).grants] == ["管理職（建設局）"]

    history = await invoke(client, connector, fx.ADMIN, "admin.audit", action_data(revoked, "admin.audit"))
    text = text_of(history)
    assert "変更履歴: 一般 職員" in text and text.count("ロール付与") == 2 and "ロール取消" in text
    assert "理由: 異動" in text and "情報 次郎" in text


async def test_roles_overview_and_export_count(client, connector):
    roles = await invoke(client, connector, fx.ADMIN, "admin.roles")
    assert "健康 花子" in text_of(roles) and "財政局" in text_of(roles)
    export = await invoke(
        client, connector, fx.ADMIN, "admin.export", {"count": True, "from": "2026-11-01", "to": "2026-11-30"}
    )
    text = text_of(export)
    assert "件です" in text and "Excel で受け取る" in text and "python -m" not in text


# --- file imports -------------------------------------------------------------------------------------


def file_message(url: str, name: str) -> dict:
    return {
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.teams.file.download.info",
                "name": name,
                "content": {"downloadUrl": url, "uniqueId": "x", "fileType": name.rsplit(".", 1)[-1]},
            }
        ]
    }


async def test_admin_imports_a_roster_sent_in_the_chat(client, connector, files, people):
    served, hits, base = files
    served["roster.csv"] = (
        fx.ROSTER_CSV.read_text(encoding="utf-8")
        + "00000000-0000-4000-8000-000000000077,新規 七子,建設局,土木部,,DX PRO,\n"
    ).encode()
    card = await say(client, connector, fx.ADMIN, "", **file_message(f"{base}/roster.csv", "roster.csv"))
    assert "名簿を取り込みました" in text_of(card) and "新規 1人" in text_of(card)
    assert people.resolve("00000000-0000-4000-8000-000000000077").has(Role.DX_PRO)


async def test_a_bad_roster_is_refused_with_row_numbers(client, connector, files, store):
    served, hits, base = files
    served["bad.csv"] = (
        "オブジェクトID,氏名,局,部,課・室,ロール,ロール対象\n"
        "00000000-0000-4000-8000-000000000078,名前,幻の局,,,職員,\n"
    ).encode()
    before = people_tables(store)
    card = await say(client, connector, fx.ADMIN, "", **file_message(f"{base}/bad.csv", "bad.csv"))
    assert "取り込めませんでした" in text_of(card) and "2行目 「局」" in text_of(card)
    assert {t: r for t, r in people_tables(store).items()} == before


async def test_a_file_from_a_non_admin_is_not_even_downloaded(client, connector, files, store):
    served, hits, base = files
    served["roster.csv"] = fx.ROSTER_CSV.read_bytes()
    before = people_tables(store)
    card = await say(client, connector, fx.DX_HEALTH, "", **file_message(f"{base}/roster.csv", "roster.csv"))
    assert "ファイルは受け取っていません" in text_of(card) and "管理者から" in text_of(card)
    assert hits == [] and people_tables(store) == before
