"""行政手続きオンライン化 over HTTP: Teams-shaped activities through the whole app (registry line,
person per turn, Action.Execute and Action.Submit, a file attached in a 1:1 chat)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from cards import online_procedures as cards
from services.online_procedures.service import OnlineProceduresService
from services.people.identity import system_actor
from tests.support import people as fx
from tests.support.activities import personal_message
from tests.support.cards import action_data
from tests.support.cards import card_json as text
from tests.support.flows import MEETING_DAY, invoke, seeded

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


async def test_a_dx_pro_reports_a_q2_actual_below_plan_and_the_summary_shows_the_delay(client, connector):
    summary = await invoke(client, connector, fx.DX_HEALTH, "online_procedures.open")
    assert "遅れ" in text(summary) and "77件" in text(summary)
    form = await invoke(client, connector, fx.DX_HEALTH, cards.UPDATE_VERB, {cards.BUREAU_INPUT: HEALTH})
    data = action_data(form, cards.SUBMIT_VERB)
    invalid = await invoke(
        client,
        connector,
        fx.DX_HEALTH,
        cards.SUBMIT_VERB,
        {**data, "done": "-5", "delayed": "", "advanced": "", "reason": ""},
    )
    assert "0以上の整数で入力してください" in text(invalid) and "（入力: -5）" in text(invalid)
    saved = await invoke(
        client,
        connector,
        fx.DX_HEALTH,
        cards.SUBMIT_VERB,
        {**data, "done": "30", "delayed": "30", "advanced": "", "reason": "委託先との調整"},
    )
    assert "保存しました" in text(saved)
    after = await invoke(client, connector, fx.DX_HEALTH, cards.SUMMARY_VERB)
    assert "51件" not in text(after) and "健康福祉局 23件" in text(after)
    assert "うち今期の報告による見込み 2件" in text(after)
    assert connector.activities == []  # every card came back in place


async def test_a_manager_may_read_but_not_submit(client, connector):
    bureau = await invoke(client, connector, fx.MANAGER, cards.BUREAU_VERB, {"bureau": HEALTH})
    assert "健康福祉局 オンライン化の状況" in text(bureau)
    refused = await invoke(client, connector, fx.MANAGER, cards.UPDATE_VERB, {"bureau": HEALTH})
    assert "操作できません" in text(refused)


async def test_the_keyword_opens_the_programme(client, connector):
    activity = personal_message(connector.url, "オンライン化", user_aad=fx.STAFF)
    response = await client.post("/api/messages", json=activity)
    assert response.status in (200, 201)
    assert "行政手続きオンライン化 全庁の状況" in text(connector.cards()[-1])


@pytest.fixture
def files(files):
    served, _hits, base = files
    return served, base


async def test_an_admin_sends_an_updated_table_in_the_chat(client, connector, files, store, clock):
    served, base = files
    service = OnlineProceduresService(store, clock)
    workbook = load_workbook(
        io.BytesIO(service.export_xlsx(system_actor("準備", "setup").person, clock().date()))
    )
    workbook.worksheets[0]["E7"] = "よん"
    bad = io.BytesIO()
    workbook.save(bad)
    served["表.xlsx"] = bad.getvalue()
    activity = personal_message(connector.url, "", user_aad=fx.ADMIN)
    activity["attachments"] = [
        {
            "contentType": "application/vnd.microsoft.teams.file.download.info",
            "name": "表.xlsx",
            "content": {"downloadUrl": f"{base}/表.xlsx", "uniqueId": "x", "fileType": "xlsx"},
        }
    ]
    await client.post("/api/messages", json=activity)
    assert "取り込めませんでした" in text(connector.cards()[-1]) and "E7: 数値ではありません" in text(
        connector.cards()[-1]
    )
