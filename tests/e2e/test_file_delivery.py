"""Files delivered in Teams, end to end through the Agents Playground (API, shared stack).

What the Playground (0.2.28) can and cannot do here: it shows a file consent card only as an
unsupported card (no 「許可」 button), and its invoke API (``/_conversation/v1/invoke``) accepts only
``adaptiveCard/action`` and message-extension invokes. So the user's answer is injected through its
``/_internal/v1/customActivities`` relay, the way Teams would send it; everything else is real: the
export button, the consent card the bot posts through the Playground's connector, the upload to a
stand-in for OneDrive's upload session, and the file info card that comes back.
"""

from __future__ import annotations

import asyncio
import io
import threading

import pytest
from openpyxl import load_workbook

from bot.file_delivery import FILE_CONSENT, FILE_INFO
from cards import online_procedures as cards
from services.online_procedures.excel import SHEET_TABLE
from tests.support.cards import card_json as text
from tests.support.onedrive import OneDriveStandIn

pytestmark = pytest.mark.e2e


@pytest.fixture
def onedrive():
    """The OneDrive stand-in on its own event loop in a thread (these tests are synchronous)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="onedrive-standin", daemon=True)
    thread.start()
    standin = asyncio.run_coroutine_threadsafe(OneDriveStandIn().start(), loop).result(10)
    try:
        yield standin
    finally:
        asyncio.run_coroutine_threadsafe(standin.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def test_the_table_is_offered_in_the_personal_chat_and_uploaded_after_consent(api, onedrive):
    stream = api.stream()
    api.post_message("オンライン化")
    summary = stream.next(containing="全庁の状況")
    offered = api.execute(summary, cards.EXPORT_VERB, {"view": cards.LIVE})["value"]
    assert "受け取り確認をお送りしました" in text(offered)
    message = stream.next_where(lambda m: bool(m.attachments(FILE_CONSENT)))
    [consent] = message.attachments(FILE_CONSENT)
    assert consent["content"]["sizeInBytes"] > 1000  # (the Playground's stream drops the attachment's name)
    name = "オンライン化の表.xlsx"

    activity = api.activity_template("personal")
    activity.update(
        type="invoke",
        name="fileConsent/invoke",
        value={
            "type": "fileUpload",
            "action": "accept",
            "context": consent["content"]["acceptContext"],
            "uploadInfo": {
                "name": name,
                "uploadUrl": onedrive.session_url("e2e"),
                "fileType": "xlsx",
                "uniqueId": "uid-e2e",
                "contentUrl": "https://city.sharepoint.com/personal/u/e2e.xlsx",
            },
        },
    )
    activity.pop("text", None)
    api.send_activity(activity)
    done = stream.next_where(lambda m: bool(m.attachments(FILE_INFO)))
    [info] = done.attachments(FILE_INFO)  # (the stream keeps only the content: no text, name or contentUrl)
    assert info["content"] == {"uniqueId": "uid-e2e", "fileType": "xlsx"}
    assert onedrive.problems == []
    workbook = load_workbook(io.BytesIO(onedrive.bytes_of("e2e")))
    assert workbook.worksheets[0].title == SHEET_TABLE and workbook.worksheets[0]["A1"].value == "局"
