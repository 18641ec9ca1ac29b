"""キャッシュレス over HTTP: Teams-shaped activities through the whole app (registry line, person per
turn, Action.Execute, the refusal card, an indicator workbook attached in a 1:1 chat)."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from cards import cashless as cards
from services.cashless.service import CashlessService
from tests.support import people as fx
from tests.support.activities import personal_message
from tests.support.cards import action_data, inputs_by_id
from tests.support.cards import card_json as text
from tests.support.flows import MEETING_DAY, invoke, seeded


@pytest.fixture
def store(store):
    return seeded(store)


@pytest.fixture
def clock():
    return fx.Clock(MEETING_DAY)


@pytest.fixture
async def client(make_client, settings, store, clock):
    return await make_client(settings, store, clock=clock)


def rid_of(store, clock, name):
    return next(r.id for r in CashlessService(store, clock).receivables() if r.name == name)


async def test_admin_assigns_the_contact_moves_to_planned_staff_are_refused(client, connector, store, clock):
    rid = rid_of(store, clock, "介護保険料")
    form = await invoke(client, connector, fx.ADMIN, cards.UPDATE_VERB, {"receivable": rid})
    values = {k: v.get("value", "") for k, v in inputs_by_id(form).items()}
    assigned = await invoke(
        client,
        connector,
        fx.ADMIN,
        cards.SUBMIT_VERB,
        {**values, **action_data(form, cards.SUBMIT_VERB), "owner_bureau": "財政局"},
    )
    assert "保存しました" in text(assigned) and "財政局" in text(assigned)

    form = await invoke(client, connector, fx.CONTACT, cards.UPDATE_VERB, {cards.RECEIVABLE_INPUT: rid})
    data = {**action_data(form, cards.SUBMIT_VERB), "status": "PLANNED", "planned_on": "2024-04-01"}
    saved = await invoke(client, connector, fx.CONTACT, cards.SUBMIT_VERB, data)
    assert "保存しました" in text(saved)
    rollout = await invoke(client, connector, fx.CONTACT, cards.ROLLOUT_VERB)
    assert "2024-04-01" in text(rollout)

    refused = await invoke(client, connector, fx.STAFF, cards.SUBMIT_VERB, {**data, "status": "DONE"})
    assert "操作できません" in text(refused)
    assert CashlessService(store, clock)._get(rid).status.value == "導入予定"
    assert connector.activities == []  # every card came back in place


async def test_a_manager_reads_but_may_not_update(client, connector, store, clock):
    refused = await invoke(
        client, connector, fx.MANAGER, cards.UPDATE_VERB, {"receivable": rid_of(store, clock, "目的外使用料")}
    )
    assert "操作できません" in text(refused)


async def test_the_keyword_opens_the_programme(client, connector):
    response = await client.post(
        "/api/messages", json=personal_message(connector.url, "キャッシュレス", user_aad=fx.STAFF)
    )
    assert response.status in (200, 201)
    assert "区分別・導入状況別の債権数" in text(connector.cards()[-1])


@pytest.fixture
def files(files):
    served, _hits, base = files
    return served, base


async def test_an_admin_sends_an_indicator_workbook_with_a_bad_cell(client, connector, files):
    served, base = files
    workbook = Workbook()
    workbook.active.append(["年度", "決済手段", "件数", "金額（円）"])
    workbook.active.append(["R5", "現金", "たくさん", 100])
    data = io.BytesIO()
    workbook.save(data)
    served["指標.xlsx"] = data.getvalue()
    activity = personal_message(connector.url, "", user_aad=fx.ADMIN)
    activity["attachments"] = [
        {
            "contentType": "application/vnd.microsoft.teams.file.download.info",
            "name": "指標.xlsx",
            "content": {"downloadUrl": f"{base}/指標.xlsx", "uniqueId": "x", "fileType": "xlsx"},
        }
    ]
    await client.post("/api/messages", json=activity)
    assert "取り込めませんでした" in text(connector.cards()[-1]) and "C2: 0以上の整数ではありません" in text(
        connector.cards()[-1]
    )
