"""業務システムの標準化 over HTTP: Teams-shaped activities through the whole app (registry line, person
per turn, Action.Execute, the keyword, and the status source in the registry)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.programmes import PROGRAMMES
from cards import standardization as cards
from dialogs.base import DialogDeps
from services.kernel.settings import TIMEZONE
from services.proactive.digest import StatusLevel
from services.standardization.models import Handling
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
    return fx.Clock(datetime(2026, 12, 1, 10, 0, tzinfo=TIMEZONE))


@pytest.fixture
async def client(make_client, settings, store, clock):
    return await make_client(settings, store, clock=clock)


async def test_a_contact_adds_a_gap_an_admin_reviews_it_and_the_overview_updates(client, connector):
    before = await invoke(client, connector, fx.ADMIN, cards.OPEN_VERB)
    assert "Gap を精査する（0件）" in text(before)
    system = await invoke(client, connector, fx.CONTACT, cards.SYSTEM_VERB, {cards.SYSTEM_INPUT: "04"})
    form = await invoke(client, connector, fx.CONTACT, cards.GAP_VERB, action_data(system, cards.GAP_VERB))
    saved = await invoke(
        client,
        connector,
        fx.CONTACT,
        cards.GAP_SAVE_VERB,
        {
            **action_data(form, cards.GAP_SAVE_VERB),
            "title": "住民税の独自減免",
            "handling": Handling.TOOL.value,
            "amount": "5000000",
        },
    )
    assert "登録しました" in text(saved)
    middle = await invoke(client, connector, fx.ADMIN, cards.OVERVIEW_VERB)
    assert "Gap を精査する（1件）" in text(middle)
    review = await invoke(client, connector, fx.ADMIN, cards.REVIEW_VERB)
    done = await invoke(
        client,
        connector,
        fx.ADMIN,
        cards.REVIEW_SAVE_VERB,
        {
            **action_data(review, cards.REVIEW_SAVE_VERB),
            "result_need": "妥当",
            "result_method": "妥当",
            "result_scope": "妥当",
            "comment_need": "必要性を確認",
        },
    )
    assert "精査済み（妥当）" in text(done)
    after = await invoke(client, connector, fx.ADMIN, cards.OVERVIEW_VERB)
    assert "Gap を精査する（0件）" in text(after)
    assert connector.activities == []  # every card came back in place


async def test_staff_may_not_open_a_system(client, connector):
    refused = await invoke(client, connector, fx.STAFF, cards.SYSTEM_VERB, {"system": "07"})
    assert "操作できません" in text(refused)


async def test_the_keyword_opens_the_programme(client, connector):
    response = await client.post(
        "/api/messages", json=personal_message(connector.url, "標準化", user_aad=fx.STAFF)
    )
    assert response.status in (200, 201)
    assert "業務システムの標準化 全体の状況" in text(connector.cards()[-1])


def test_the_registry_line_gives_alerts_and_the_digest_line(store, clock):
    programme = next(p for p in PROGRAMMES if p.info.key == "standardization")
    deps = DialogDeps(store=store, clock=clock)
    status = programme.status(deps).status(date(2026, 12, 1), "財政局")
    assert status.level is StatusLevel.OVERDUE and "4業務のうち稼働済み 0" in status.headline
    assert any("データ要件の適合期限から245日超過" in i.detail for i in status.items)
    assert [p.label for p in status.chart] == ["稼働済み", "期限超過", "移行中（期限内）"]
    alerts = programme.alerts(deps).due_alerts(date(2026, 12, 1))
    assert any(a.bureau == "市民人権局" and "移行期限" in a.title for a in alerts)
    assert len({a.key for a in alerts}) == len(alerts)
    card = programme.alert_card(alerts[0])
    assert "このお知らせの理由" in text(card)
    assert "standardization.workbook" in programme.exports


async def test_an_admin_sends_an_edited_workbook_in_the_chat(client, connector, files, store, clock):
    import io

    from openpyxl import load_workbook

    from dialogs.standardization import export_workbook

    served, _hits, base = files
    admin = fx.actor_of(fx.load_fixtures(store, clock), fx.ADMIN)
    workbook = load_workbook(io.BytesIO(export_workbook(DialogDeps(store=store, clock=clock), admin, {})))
    workbook["システム"]["D8"] = "国保部門/国保課/余計"  # three levels under the bureau: not a 部/課
    workbook["工程"]["E2"] = "おわり"
    bad = io.BytesIO()
    workbook.save(bad)
    served["標準化.xlsx"] = bad.getvalue()
    activity = personal_message(connector.url, "", user_aad=fx.ADMIN)
    activity["attachments"] = [
        {
            "contentType": "application/vnd.microsoft.teams.file.download.info",
            "name": "標準化.xlsx",
            "content": {"downloadUrl": f"{base}/標準化.xlsx", "uniqueId": "x", "fileType": "xlsx"},
        }
    ]
    await client.post("/api/messages", json=activity)
    answer = text(connector.cards()[-1])
    assert "取り込めませんでした" in answer and "システム!D8: 所管課は「部」か「部/課」の形" in answer
    assert "工程!E2: 状況は 未着手・対応中・完了 のいずれかです" in answer
