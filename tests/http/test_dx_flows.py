"""堺市DX over HTTP: the registry line, a plan returned with a comment and resubmitted, the training
reminder job posting to the DX PRO channel and the enrol button there, and the export builder."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from app import RUNTIME_KEY, create_app
from bot.programmes import PROGRAMMES
from cards import dx as cards
from cards.proactive import MAP_CHANNEL_VERB
from dialogs.base import DialogDeps
from services.dx.training import TrainingService
from services.people.permissions import Forbidden
from tests.support import people as fx
from tests.support.activities import channel_mention, execute_invoke, personal_message
from tests.support.cards import action_data
from tests.support.cards import card_json as text

CHANNEL = "19:dxpro-channel@thread.tacv2"
HEALTH, DEPT = "健康福祉局", "健康部"


@pytest.fixture
def clock():
    return fx.Clock()  # 2026-11-26 (Thu)


@pytest.fixture
def people(store, clock):
    return fx.load_fixtures(store, clock)


@pytest.fixture
async def app(settings, store, people, clock):
    return create_app(settings, store=store, clock=clock)


@pytest.fixture
async def client(serve, app):
    return await serve(app)


async def invoke(client, activity) -> dict:
    response = await client.post("/api/messages", json=activity)
    assert response.status == 200
    return (await response.json())["value"]


async def as_user(client, connector, user, verb, data=None) -> dict:
    return await invoke(client, execute_invoke(connector.url, verb, data, user_aad=user))


def in_channel(activity: dict, user: str) -> dict:
    activity["from"] = {"id": f"29:{user}", "name": "利用者", "aadObjectId": user}
    return activity


def channel_invoke(url: str, user: str, verb: str, data: dict) -> dict:
    activity = in_channel(channel_mention(url, ""), user)
    activity.update(
        type="invoke",
        name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": verb, "data": {"verb": verb, **data}}},
    )
    activity.pop("text")
    activity.pop("entities")
    return activity


PLAN = {
    "business": "証明書の再発行",
    "category": "applications",
    "purpose": "来庁を減らす",
    "goal": "半分をオンラインで",
    "kpi": "オンライン申請の割合",
    "kpi_target": "50",
    "kpi_unit": "%",
    "issues": "",
    "milestones": "2027-01-15 業務フローの作成",
}


async def test_the_registry_line_wires_every_source():
    [dx] = [p for p in PROGRAMMES if p.info.key == "dx"]
    assert dx.alerts and dx.reminders and dx.status and dx.alert_card and "dx.plans" in dx.exports


async def test_a_plan_is_returned_with_a_comment_seen_and_resubmitted(client, connector):
    home = await as_user(client, connector, fx.DX_HEALTH, "dx.open")
    assert "目標 72部署" in text(home) and "2023年8月8日 会議資料時点" in text(home)
    department = await as_user(
        client, connector, fx.DX_HEALTH, cards.DEPARTMENT, {"bureau": HEALTH, "department": DEPT}
    )
    form = await as_user(client, connector, fx.DX_HEALTH, cards.NEW, action_data(department, cards.NEW))
    data = action_data(form, cards.SUBMIT)
    bad = await as_user(client, connector, fx.DX_HEALTH, cards.SUBMIT, {**data, **PLAN, "kpi_target": "半分"})
    assert "KPIの目標値は" in text(bad) and "証明書の再発行" in text(bad)  # the input is kept
    sent = await as_user(client, connector, fx.DX_HEALTH, cards.SUBMIT, {**data, **PLAN})
    assert "計画を提出しました" in text(sent) and "提出" in text(sent)
    refused = await as_user(client, connector, fx.DX_HEALTH, cards.RETURN, action_data(sent, cards.COMMENT))
    assert "操作できません" in text(refused)

    plan_data = action_data(sent, cards.COMMENT)
    admin_view = await as_user(client, connector, fx.ADMIN, cards.PLAN, {"plan_id": plan_data["plan_id"]})
    returned = await as_user(
        client,
        connector,
        fx.ADMIN,
        cards.RETURN,
        {**action_data(admin_view, cards.RETURN), cards.COMMENT_INPUT: "KPIの根拠を書いてください"},
    )
    assert "差し戻しました" in text(returned)

    seen = await as_user(client, connector, fx.DX_HEALTH, cards.PLAN, {"plan_id": plan_data["plan_id"]})
    assert (
        "KPIの根拠を書いてください" in text(seen) and "情報 太郎" in text(seen) and "差し戻し" in text(seen)
    )
    edit = await as_user(client, connector, fx.DX_HEALTH, cards.EDIT, {"plan_id": plan_data["plan_id"]})
    again = await as_user(
        client,
        connector,
        fx.DX_HEALTH,
        cards.SUBMIT,
        {**action_data(edit, cards.SUBMIT), **PLAN, "issues": "根拠: 令和7年度の窓口件数"},
    )
    assert "計画を提出しました" in text(again) and "📨 提出" in text(again)
    # the only message the bot sent on its own: the returned plan, to the DX PRO's 1:1 chat
    [notice] = connector.activities
    assert notice["_conversation_id"] == f"a:personal-{fx.DX_HEALTH}"
    assert "差し戻されました" in text(notice["attachments"][0]["content"])


async def test_a_training_reminder_reaches_the_dx_pro_channel_and_its_enrol_button_works(
    app, client, connector, store, clock, people
):
    await client.post(
        "/api/messages", json=in_channel(channel_mention(connector.url, "このチャネルを登録"), fx.ADMIN)
    )
    await invoke(
        client,
        channel_invoke(
            connector.url,
            fx.ADMIN,
            MAP_CHANNEL_VERB,
            {"conversation_id": CHANNEL, "channel_name": "DX PRO", "unit": f"{HEALTH}/{DEPT}"},
        ),
    )
    training = TrainingService(store, clock)
    session = training.create_session(
        fx.actor_of(people, fx.ADMIN),
        {
            "course": "c3",
            "day": "2026-11-30",
            "start": "14:00",
            "end": "16:00",
            "place": "本館",
            "capacity": "20",
        },
    )
    runtime = app[RUNTIME_KEY]
    before = len(connector.activities)
    jobs = await as_user(client, connector, fx.ADMIN, "proactive.run", {"job": "training_reminders"})
    assert "送信" in text(jobs)
    posted = [a for a in connector.activities[before:] if a["_conversation_id"] == CHANNEL]
    assert len(posted) == 1 and runtime is not None
    card = posted[0]["attachments"][0]["content"]
    assert "研修のお知らせ: BPR" in text(card) and "この通知が届いた理由" in text(card)
    before = len(connector.activities)
    answer = await invoke(
        client, channel_invoke(connector.url, fx.DX_HEALTH, cards.ENROL, action_data(card, cards.ENROL))
    )
    # a shared card in a channel stays as it is for everyone; the result comes as a reply in its thread
    assert "通知のカードはそのまま残ります" in text(answer)
    replies = [a for a in connector.activities[before:] if a["_conversation_id"].startswith(CHANNEL)]
    assert len(replies) == 1 and "申込を受け付けました" in text(replies[0]["attachments"][0]["content"])
    assert training.session(session.session_id).enrolled == (fx.DX_HEALTH,)


def test_the_export_is_built_for_admins_only(store, clock, people):
    [dx] = [p for p in PROGRAMMES if p.info.key == "dx"]
    deps = DialogDeps(store=store, clock=clock, people=people)
    build = dx.exports["dx.plans"]
    with pytest.raises(Forbidden):
        build(deps, fx.actor_of(people, fx.DX_HEALTH), {})
    workbook = load_workbook(io.BytesIO(build(deps, fx.actor_of(people, fx.ADMIN), {})))
    assert workbook.sheetnames == ["DX実行計画", "参加部署", "研修の受講"]
    assert workbook["DX実行計画"]["C1"].value == "DX対象業務"
    assert "目標 72部署" in str(workbook["参加部署"]["A3"].value)


async def test_the_keyword_opens_the_programme(client, connector):
    await client.post("/api/messages", json=personal_message(connector.url, "DX", user_aad=fx.STAFF))
    assert "堺市DX" in text(connector.cards()[-1]) and "準備中" not in text(connector.cards()[-1])
