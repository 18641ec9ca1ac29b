"""マイナンバー情報総点検 over HTTP: Teams-shaped activities through the whole app (registry line, the
person resolved per turn, Action.Execute invokes and a keyword message)."""

from __future__ import annotations

import pytest

from cards import mynumber as cards
from dialogs.base import DialogDeps
from dialogs.mynumber import service_for
from services.kernel.seed import load_seed, seed_store
from services.mynumber.models import LinkMethod
from tests.support import mynumber as mx
from tests.support import people as fx
from tests.support.activities import personal_message
from tests.support.cards import action_data
from tests.support.cards import card_json as text
from tests.support.flows import MEETING_DAY, invoke


@pytest.fixture
def clock():
    return fx.Clock(MEETING_DAY)


@pytest.fixture
def store(store, clock):
    seed_store(store, load_seed())
    fx.load_fixtures(store, clock)
    return store


@pytest.fixture
def target(store, clock, settings):
    service = service_for(DialogDeps(store=store, clock=clock, settings=settings))
    [op] = mx.seed_operations(service, [mx.op(mx.TAX, "市民税の課税", (LinkMethod.THREE_OR_FEWER, 250))])
    return op


@pytest.fixture
async def client(make_client, settings, store, clock):
    return await make_client(settings, store, clock=clock)


async def test_the_keyword_opens_the_real_home_card_not_a_placeholder(client, connector):
    await client.post("/api/messages", json=personal_message(connector.url, "マイナンバー総点検"))
    card = connector.cards()[0]
    assert "マイナンバー情報総点検" in text(card) and "準備中" not in text(card)
    assert "2023年8月8日 会議資料時点" in text(card) and "79情報のうち41情報回答" in text(card)


async def test_the_bureau_contact_updates_the_steps_and_staff_are_refused(client, connector, target):
    home = await invoke(client, connector, fx.CONTACT, cards.OPEN_VERB)
    assert "市民税の課税" in text(home)
    op_card = await invoke(
        client,
        connector,
        fx.CONTACT,
        cards.OPERATION_VERB,
        {cards.OPERATION_INPUT: f"{target.bureau}|{target.id}"},
    )
    form = await invoke(
        client, connector, fx.CONTACT, cards.INSPECTION_VERB, action_data(op_card, cards.INSPECTION_VERB)
    )
    data = action_data(form, cards.SUBMIT_VERB)
    invalid = await invoke(
        client, connector, fx.CONTACT, cards.SUBMIT_VERB, {**data, "in_scope": "10", "checked": "11"}
    )
    assert "点検対象件数（10件）以下にしてください" in text(invalid)
    refused = await invoke(client, connector, fx.STAFF, cards.SUBMIT_VERB, {**data, "in_scope": "250"})
    assert "操作できません" in text(refused) and "財政局/税務部/市民税課を担当する局担当" in text(refused)
    saved = await invoke(
        client,
        connector,
        fx.CONTACT,
        cards.SUBMIT_VERB,
        {**data, "in_scope": "250", "checked": "100", "s1_status": "実施中"},
    )
    assert "保存しました" in text(saved)
    overview = await invoke(client, connector, fx.ADMIN, cards.OVERVIEW_VERB)
    assert "市民税の課税" in text(overview) and "① 実施中" in text(overview)
