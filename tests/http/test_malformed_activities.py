"""Malformed activities of every type get 400 at the HTTP layer (issue 18 §2): for each activity
type the bot receives, a valid example and every malformation of it (a required field missing or
of the wrong JSON type, the wrong shape of from/recipient/conversation/channelData/value/
attachments/entities, a field too large, a body that is not a JSON object). Each is answered 400:
never 500, the turn never runs, nothing is written, nothing is posted.

Card actions *inside* a well-formed ``adaptiveCard/action`` (a verb of the wrong type, data of the
wrong shape) are not in this table: Teams needs an invoke response there, and the bot answers the
polite 「入力内容を確認してください」 card in it (tests/http/test_edge.py)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from bot.handler import IctBot
from bot.settings import Settings
from tests.support.activities import channel_mention, execute_invoke, personal_message

JSON = {"Content-Type": "application/json"}
URL = "http://127.0.0.1:9/"  # replaced by the connector's URL in each test
BOT = {"id": "28:ict-suishin-bot", "name": "ICT推進ボット"}


def _base(kind: str) -> dict:
    activity = personal_message(URL, "メニュー")
    activity.pop("text")
    activity["type"] = kind
    return activity


def valid_activities() -> dict[str, dict]:
    """One well-formed example of every activity type the bot receives."""
    file_consent = _base("invoke")
    file_consent.update(
        name="fileConsent/invoke",
        value={
            "type": "fileUpload",
            "action": "accept",
            "context": {"offer": "x"},
            "uploadInfo": {
                "name": "a.xlsx",
                "uploadUrl": "https://contoso-my.sharepoint.com/upload",
                "contentUrl": "https://contoso-my.sharepoint.com/a.xlsx",
                "uniqueId": "u1",
                "fileType": "xlsx",
            },
        },
    )
    other_invoke = _base("invoke")
    other_invoke.update(name="task/fetch", value={"data": {"verb": "menu.show"}})
    update = _base("conversationUpdate")
    update.update(membersAdded=[dict(BOT)])
    reaction = _base("messageReaction")
    reaction.update(reactionsAdded=[{"type": "like"}], replyToId="m-1")
    install = _base("installationUpdate")
    install["action"] = "add"
    event = _base("event")
    event.update(name="application/vnd.microsoft.meetingStart", value={"Id": "x"})
    end = _base("endOfConversation")
    end["code"] = "completedSuccessfully"
    return {
        "message": personal_message(URL, "メニュー"),
        "channel message": channel_mention(URL, "メニュー"),
        "submit": personal_message(URL, "", value={"verb": "menu.show"}),
        "adaptiveCard/action": execute_invoke(URL, "menu.show"),
        "fileConsent/invoke": file_consent,
        "task/fetch": other_invoke,
        "conversationUpdate": update,
        "messageReaction": reaction,
        "installationUpdate": install,
        "event": event,
        "typing": _base("typing"),
        "endOfConversation": end,
        "messageUpdate": {**personal_message(URL, "メニュー（編集）"), "type": "messageUpdate"},
        "messageDelete": _base("messageDelete"),
    }


Change = Callable[[dict], Any]


def setter(path: str, value: Any) -> Change:
    def change(activity: dict) -> None:
        *parents, last = path.split(".")
        node = activity
        for part in parents:
            node = node.setdefault(part, {}) if isinstance(node, dict) else node
        node[last] = copy.deepcopy(value)

    return change


def remover(path: str) -> Change:
    def change(activity: dict) -> None:
        *parents, last = path.split(".")
        node = activity
        for part in parents:
            node = node[part]
        node.pop(last, None)

    return change


BIG = "あ" * 40_000  # over Teams' ~28 KB message, under the 256 KiB body limit

#: every activity type: (description, change)
COMMON: list[tuple[str, Change]] = [
    ("no type", remover("type")),
    ("type empty", setter("type", "")),
    ("type a number", setter("type", 5)),
    ("type an object", setter("type", {"x": 1})),
    ("type too long", setter("type", "message" * 20)),
    ("no serviceUrl", remover("serviceUrl")),
    ("serviceUrl a number", setter("serviceUrl", 5)),
    ("serviceUrl not http", setter("serviceUrl", "file:///etc/passwd")),
    ("serviceUrl too long", setter("serviceUrl", "https://a/" + "x" * 5000)),
    ("no conversation", remover("conversation")),
    ("conversation a string", setter("conversation", "a:x")),
    ("conversation a list", setter("conversation", [{"id": "a:x"}])),
    ("conversation without id", remover("conversation.id")),
    ("conversation.id a number", setter("conversation.id", 5)),
    ("conversation.id empty", setter("conversation.id", "")),
    ("conversation.id too long", setter("conversation.id", "a:" + "x" * 2000)),
    ("conversation.id with a control character", setter("conversation.id", "a:x\x00")),
    ("conversation.isGroup a string", setter("conversation.isGroup", "yes")),
    ("no from", remover("from")),
    ("from a string", setter("from", "29:x")),
    ("from.id a number", setter("from.id", 5)),
    ("from.aadObjectId a list", setter("from.aadObjectId", ["x"])),
    ("from.aadObjectId with a slash", setter("from.aadObjectId", "a/b")),
    ("from.name too long", setter("from.name", "名" * 2000)),
    ("from.name an object", setter("from.name", {"x": 1})),
    ("no recipient", remover("recipient")),
    ("recipient a list", setter("recipient", [dict(BOT)])),
    ("recipient.id a number", setter("recipient.id", 28)),
    ("channelData a string", setter("channelData", "x")),
    ("channelData a list", setter("channelData", [])),
    ("channelData.tenant a string", setter("channelData.tenant", "t")),
    ("channelData.tenant.id a number", setter("channelData.tenant.id", 5)),
    ("channelData.team a number", setter("channelData.team", 5)),
    ("channelData.channel a list", setter("channelData.channel", ["x"])),
    ("channelData.eventType a number", setter("channelData.eventType", 5)),
    ("attachments an object", setter("attachments", {"contentType": "x"})),
    ("attachments of strings", setter("attachments", ["x"])),
    ("attachment contentType a number", setter("attachments", [{"contentType": 5}])),
    ("attachment name a list", setter("attachments", [{"contentType": "text/plain", "name": ["a"]}])),
    ("entities an object", setter("entities", {"type": "mention"})),
    ("entities of numbers", setter("entities", [5])),
    ("entity type a number", setter("entities", [{"type": 5}])),
    ("mention with mentioned a string", setter("entities", [{"type": "mention", "mentioned": "x"}])),
    ("mention text a number", setter("entities", [{"type": "mention", "text": 5, "mentioned": BOT}])),
    ("timestamp not a time", setter("timestamp", "yesterday")),
    ("timestamp a number", setter("timestamp", 1700000000)),
    ("locale a number", setter("locale", 1041)),
    ("text a list", setter("text", ["メニュー"])),
    ("text too long", setter("text", BIG)),
    ("summary too long", setter("summary", BIG)),
    ("replyToId an object", setter("replyToId", {})),
    ("membersAdded an object", setter("membersAdded", dict(BOT))),
    ("membersAdded of strings", setter("membersAdded", ["28:ict-suishin-bot"])),
    ("reactionsAdded an object", setter("reactionsAdded", {"type": "like"})),
    ("reactionsAdded of strings", setter("reactionsAdded", ["like"])),
    ("action a number", setter("action", 1)),
    ("name a number", setter("name", 5)),
    ("code a list", setter("code", ["x"])),
    ("suggestedActions a string", setter("suggestedActions", "x")),
]

#: per type: the fields that type needs, missing or of the wrong shape
SUBMITTED = [
    ("value a string", setter("value", "menu.show")),
    ("value a list", setter("value", [{"verb": "menu.show"}])),
    ("value a number", setter("value", 5)),
]
SPECIFIC: dict[str, list[tuple[str, Change]]] = {
    "message": SUBMITTED,
    "submit": SUBMITTED,
    "adaptiveCard/action": [("no name", remover("name")), ("name empty", setter("name", ""))],
    "fileConsent/invoke": [
        ("no name", remover("name")),
        ("value a string", setter("value", "accept")),
        ("value a list", setter("value", [])),
        ("value.action a number", setter("value.action", 1)),
        ("value.uploadInfo a string", setter("value.uploadInfo", "x")),
        ("value.uploadInfo.uploadUrl a number", setter("value.uploadInfo.uploadUrl", 5)),
    ],
    "task/fetch": [("no name", remover("name"))],
    "conversationUpdate": [("member id a number", setter("membersAdded", [{"id": 5}]))],
    "messageReaction": [("reaction type a number", setter("reactionsAdded", [{"type": 5}]))],
    "installationUpdate": [("action an object", setter("action", {"x": "add"}))],
    "event": [("name a list", setter("name", ["x"]))],
    "endOfConversation": [("code a number", setter("code", 1))],
}


def cases() -> list[tuple[str, str]]:
    return [(kind, what) for kind in valid_activities() for what, _ in COMMON + SPECIFIC.get(kind, [])]


def malformed(kind: str, what: str, url: str) -> dict:
    activity = copy.deepcopy(valid_activities()[kind])
    activity["serviceUrl"] = url
    change = dict(COMMON + SPECIFIC.get(kind, []))[what]
    change(activity)
    return activity


@pytest.fixture
def turns(monkeypatch) -> list[str]:
    """The activity types whose turn ran (it must stay empty for a malformed one)."""
    ran: list[str] = []
    original = IctBot.on_turn

    async def spy(self, turn_context):
        ran.append(turn_context.activity.type)
        return await original(self, turn_context)

    monkeypatch.setattr(IctBot, "on_turn", spy)
    return ran


@pytest.fixture
async def client(make_client, store, tmp_path):
    return await make_client(Settings(data_dir=tmp_path), store)


def _rows(store) -> int:
    return sum(len(rows) for rows in store.snapshot().values())


@pytest.mark.parametrize("kind", list(valid_activities()))
async def test_every_valid_example_is_taken(client, connector, turns, kind):
    activity = copy.deepcopy(valid_activities()[kind])
    activity["serviceUrl"] = connector.url
    response = await client.post("/api/messages", json=activity)
    assert response.status in (200, 201, 400), await response.text()  # 400: an invoke the bot does not do
    assert turns == [activity["type"]]


@pytest.mark.parametrize(("kind", "what"), cases())
async def test_a_malformed_activity_is_400_runs_no_turn_and_writes_nothing(
    client, connector, store, turns, kind, what
):
    before = _rows(store)
    body = json.dumps(malformed(kind, what, connector.url), ensure_ascii=False).encode()
    response = await client.post("/api/messages", data=body, headers=JSON)
    assert response.status == 400, (kind, what, response.status, await response.text())
    assert turns == [] and connector.activities == [] and _rows(store) == before


@pytest.mark.parametrize("body", ["[]", '"message"', "5", "null", "true", "[{}]", "{}"])
async def test_a_body_that_is_not_an_activity_object_is_400(client, connector, turns, body):
    response = await client.post("/api/messages", data=body.encode(), headers=JSON)
    assert response.status == 400 and turns == [] and connector.activities == []
