"""全データ点検 (the linkage audit) end to end, through the Agents Playground's API.

One stack for the module (its own bot and store, clock 2023-09-20). The administrator registers an
operation, the bureau contact (財政 担当) answers its survey (a full-data-check target), starts
全データ点検 from the operation card and sends the two files. The Playground cannot attach files, so
the file message is injected through its ``/_internal/v1/customActivities`` relay, the way Teams sends
it, with download URLs on a local stand-in for SharePoint; everything else is real: the bot (its
worker process), the cards through the Playground's connector, the progress card updated in place,
the summary, and ① ② of the record.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from aiohttp import web

from bench.audit_data import generate
from bot.files import FILE_DOWNLOAD_INFO
from cards import mynumber as op_cards
from cards import mynumber_audit as cards
from tests.e2e.conftest import running_e2e
from tests.support.cards import action_data, inputs, inputs_by_id
from tests.support.cards import card_json as text
from tests.support.leakscan import inputs_dir

pytestmark = pytest.mark.e2e

CLOCK = "2023-09-20T10:00:00+09:00"
UNIT = "財政局/税務部/市民税課"
NAME = "軽自動車税の課税"


@pytest.fixture(scope="module")
def uploads(tmp_path_factory):
    return tmp_path_factory.mktemp("e2e-audit-uploads")


@pytest.fixture(scope="module")
def stack(tmp_path_factory, pytestconfig, uploads):
    env = {"BOT_CLOCK_START": CLOCK, "MYNUMBER_AUDIT_WORK_DIR": str(uploads), "ATTACHMENT_HOSTS": "127.0.0.1"}
    with running_e2e(tmp_path_factory.mktemp("e2e-mynumber-audit"), pytestconfig, bot_env=env) as own:
        yield own


@pytest.fixture(scope="module")
def sharepoint(tmp_path_factory):
    """The generated inputs behind download URLs, on a loop in a thread (these tests are synchronous)."""
    folder = inputs_dir(tmp_path_factory.mktemp("audit-inputs"))  # My Numbers: test inputs, not output
    generate(folder, 500, 480, seed=21)

    async def get(request: web.Request) -> web.Response:
        return web.Response(body=(folder / request.match_info["name"]).read_bytes())

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="sharepoint-standin", daemon=True)
    thread.start()

    async def start() -> tuple[web.AppRunner, str]:
        app = web.Application()
        app.router.add_get("/files/{name}", get)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/files"

    runner, base = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield base
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def home(api):
    stream = api.stream()
    api.post_message("マイナンバー")
    return stream.next(containing="マイナンバー情報総点検")


def test_the_contact_audits_the_operation_with_two_files_and_the_record_is_filled(
    stack, api, sharepoint, uploads
):
    start = home(api)
    form = api.execute(start, op_cards.REGISTER_VERB)["value"]
    saved = api.execute(
        start,
        op_cards.SUBMIT_VERB,
        {**action_data(form, op_cards.SUBMIT_VERB), "unit": UNIT, "name": NAME, "items": "課税台帳"},
    )
    assert "保存しました" in text(saved["value"])

    api.switch_user("contact")
    card = home(api)
    choice = next(
        c["value"] for c in inputs_by_id(card.card)[op_cards.OPERATION_INPUT]["choices"] if NAME in c["title"]
    )
    op_card = api.execute(card, op_cards.OPERATION_VERB, {op_cards.OPERATION_INPUT: choice})["value"]
    survey = api.execute(card, op_cards.SURVEY_VERB, action_data(op_card, op_cards.SURVEY_VERB))["value"]
    answered = api.execute(
        card,
        op_cards.SUBMIT_VERB,
        {**action_data(survey, op_cards.SUBMIT_VERB), "i1_method": "3情報以下で照会", "i1_records": "480"},
    )["value"]
    op_card = api.execute(card, op_cards.OPERATION_VERB, action_data(answered, op_cards.OPERATION_VERB))[
        "value"
    ]
    waiting = api.execute(card, cards.START_VERB, action_data(op_card, cards.START_VERB))["value"]
    assert "未受信" in text(waiting)

    stream = api.stream()
    activity = api.activity_template("personal")
    activity.pop("text", None)
    activity["type"] = "message"
    activity["attachments"] = [
        {
            "contentType": FILE_DOWNLOAD_INFO,
            "name": shown,
            "content": {"downloadUrl": f"{sharepoint}/{name}", "uniqueId": name, "fileType": "csv"},
        }
        for name, shown in (("registry.csv", "住基抽出.csv"), ("records.csv", "業務データ.csv"))
    ]
    api.send_activity(activity)
    mapping = stream.next(containing="列の対応を確認してください", timeout=60)
    picked = {i["id"]: i.get("value", "") for i in inputs(mapping.card) if i["type"] == "Input.ChoiceSet"}
    started = api.execute(mapping, cards.RUN_VERB, {**action_data(mapping.card, cards.RUN_VERB), **picked})
    assert "点検を始めました" in text(started["value"])
    summary = stream.next(containing="点検が終わりました", action=None, timeout=180)
    assert "480件（住基 500件と照合）" in text(summary.card) and "********" in text(summary.card)
    assert "に反映しました" in text(summary.card)
    assert list(uploads.iterdir()) == []

    back = action_data(summary.card, op_cards.OPERATION_VERB)
    op_card = api.execute(summary, op_cards.OPERATION_VERB, back)["value"]
    assert "紐付け監査" in text(op_card) and "480件／480件" in text(op_card)
