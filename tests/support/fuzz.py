"""Property-based testing of the bot's edge (issue 10, point 7): hypothesis strategies for hostile
activities and card data, and a harness that serves one app per test module on its own event loop,
so each generated example is one HTTP request.

Profiles (``tests/conftest.py``): ``normal`` (the default, a few hundred examples per property, in
``make test``) and ``fuzz`` (``HYPOTHESIS_PROFILE=fuzz``, ``make fuzz``: ten thousand or more).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from hypothesis import strategies as st

from app import create_app
from bot.settings import Settings
from tests.fakes import InMemoryTableStore
from tests.support.activities import (
    BOT_ID,
    channel_mention,
    execute_invoke,
    installation_add,
    personal_message,
)
from tests.support.connector import RecordingConnector

ACTIVITY_TYPES = (
    "message",
    "invoke",
    "installationUpdate",
    "conversationUpdate",
    "messageReaction",
    "event",
    "typing",
    "endOfConversation",
    "messageUpdate",
    "messageDelete",
    "trace",
    "handoff",
    "command",
    "suggestion",
    "delay",
    "contactRelationUpdate",
    "deleteUserData",
)
INVOKE_NAMES = (
    "adaptiveCard/action",
    "fileConsent/invoke",
    "task/fetch",
    "task/submit",
    "composeExtension/query",
    "signin/verifyState",
    "actionableMessage/executeAction",
    "config/fetch",
    "tab/fetch",
    "",
)

# Unicode oddities: combining marks, right-to-left text, emoji and ZWJ sequences, NUL and other
# controls, full-width digits, variation selectors, private use, noncharacters
ODD_TEXT = st.sampled_from(
    [
        "e\u0301\u0301\u0301",
        "\u202eevil\u202c",
        "مرحبا",
        "👩‍👩‍👧‍👦",
        "\x00",
        "\x1b[31m",
        "１２３",
        "²",
        "٣",
        "\ufe0f",
        "\ue000",
        "\uffff",
        "𠮷野家",
        "\u200b",
        "\r\n",
        "<at>x</at>",
        "'; DROP TABLE",
        "%7C",
        "../..",
        "a/b#c?d\\e",
        "null",
        "NaN",
        "-0",
        "1e309",
        "9" * 5000,
    ]
)
TEXT = st.one_of(st.text(max_size=40), ODD_TEXT, st.text(min_size=500, max_size=3000))
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)

# every field the bot or botbuilder reads, as a path into the activity
FIELDS = (
    ("type",),
    ("id",),
    ("timestamp",),
    ("localTimestamp",),
    ("channelId",),
    ("from",),
    ("from", "id"),
    ("from", "name"),
    ("from", "aadObjectId"),
    ("conversation",),
    ("conversation", "id"),
    ("conversation", "conversationType"),
    ("conversation", "isGroup"),
    ("conversation", "tenantId"),
    ("recipient",),
    ("recipient", "id"),
    ("text",),
    ("textFormat",),
    ("locale",),
    ("entities",),
    ("entities", 0),
    ("entities", 0, "mentioned"),
    ("entities", 0, "text"),
    ("entities", 0, "type"),
    ("channelData",),
    ("channelData", "tenant"),
    ("channelData", "team"),
    ("channelData", "channel"),
    ("channelData", "channel", "name"),
    ("value",),
    ("value", "action"),
    ("value", "action", "verb"),
    ("value", "action", "data"),
    ("value", "verb"),
    ("name",),
    ("action",),
    ("attachments",),
    ("attachments", 0),
    ("attachments", 0, "content"),
    ("membersAdded",),
    ("membersAdded", 0, "id"),
    ("membersRemoved",),
    ("reactionsAdded",),
    ("replyToId",),
    ("relatesTo",),
    ("suggestedActions",),
    ("textHighlights",),
    ("semanticAction",),
    ("expiration",),
    ("historyDisclosed",),
    ("listenFor",),
)


def base_activities(service_url: str) -> list[dict[str, Any]]:
    reaction = personal_message(service_url, "")
    reaction.update(type="messageReaction", reactionsAdded=[{"type": "like"}], replyToId="x")
    update = personal_message(service_url, "")
    update.update(type="conversationUpdate", membersAdded=[{"id": BOT_ID}])
    file_message = personal_message(service_url, "")
    file_message["attachments"] = [
        {
            "contentType": "application/vnd.microsoft.teams.file.download.info",
            "name": "x.csv",
            "content": {"downloadUrl": "https://evil.example/x.csv"},
        }
    ]
    activities = [
        personal_message(service_url, "メニュー"),
        channel_mention(service_url, "DX"),
        execute_invoke(service_url, "menu.show"),
        installation_add(service_url),
        reaction,
        update,
        file_message,
        personal_message(service_url, "", value={"verb": "menu.show"}),
    ]
    for activity in activities:  # the same bytes every time: hypothesis replays examples
        activity["id"] = "msg-fuzz"
    return activities


def _set(activity: dict[str, Any], path: tuple[Any, ...], value: Any, delete: bool) -> None:
    node: Any = activity
    for step in path[:-1]:
        if isinstance(step, int):
            if not isinstance(node, list) or not node:
                return
            node = node[0]
        else:
            if not isinstance(node, dict):
                return
            node = node.setdefault(step, {})
    last = path[-1]
    if isinstance(last, int):
        if isinstance(node, list) and node:
            node[0] = value
        elif isinstance(node, list):
            node.append(value)
    elif isinstance(node, dict):
        if delete:
            node.pop(last, None)
        else:
            node[last] = value


@dataclass(frozen=True)
class Request:
    body: bytes
    content_type: str
    note: str = field(default="", compare=False)


@st.composite
def hostile_requests(draw: st.DrawFn, service_url: str) -> Request:
    """A Teams-shaped activity with wrong types in some fields, odd types and names, then an odd
    encoding, depth or size now and then."""
    activity = json.loads(json.dumps(draw(st.sampled_from(base_activities(service_url)))))
    activity["type"] = draw(st.one_of(st.just(activity["type"]), st.sampled_from(ACTIVITY_TYPES), TEXT))
    if activity["type"] == "invoke" or draw(st.booleans()):
        activity["name"] = draw(st.one_of(st.sampled_from(INVOKE_NAMES), TEXT))
    for path, value, delete in draw(
        st.lists(st.tuples(st.sampled_from(FIELDS), JSON_VALUES, st.booleans()), max_size=4)
    ):
        _set(activity, path, value, delete)
    # replies only ever go to the local connector: never a generated URL
    if isinstance(activity.get("serviceUrl"), str):
        activity["serviceUrl"] = service_url
    shape = draw(
        st.sampled_from(
            ["plain"] * 6
            + ["bom", "utf-16", "latin-1", "charset", "deep", "big", "surrogate", "truncated", "not-json"]
        )
    )
    text = json.dumps(activity, ensure_ascii=draw(st.booleans()))
    content_type = "application/json"
    if shape == "deep":
        depth = draw(st.integers(min_value=10, max_value=3000))
        text = text[:-1] + ', "channelData": ' + "[" * depth + "]" * depth + "}"
    elif shape == "big":
        text = (
            text[:-1] + ', "text": "' + "あ" * draw(st.integers(min_value=10_000, max_value=120_000)) + '"}'
        )
    body = text.encode("utf-8", "surrogatepass")
    if shape == "bom":
        body = b"\xef\xbb\xbf" + body
    elif shape == "utf-16":
        body = text.encode("utf-16", "surrogatepass")
    elif shape == "latin-1":
        body = text.encode("latin-1", "replace")
    elif shape == "charset":
        content_type += "; charset=" + draw(
            st.sampled_from(["utf-16", "shift_jis", "latin-1", "utf-8", "UTF8", "x"])
        )
    elif shape == "surrogate":
        body = body.replace(b"}", b', "x": "\xed\xa0\x80"}', 1)
    elif shape == "truncated":
        body = body[: draw(st.integers(min_value=0, max_value=max(len(body) - 1, 0)))]
    elif shape == "not-json":
        body = draw(st.binary(max_size=200))
    return Request(body, content_type, shape)


def card_data() -> st.SearchStrategy[dict[str, Any]]:
    """Card data: mostly the flat shape cards send, with wrong types, huge and negative numbers,
    Unicode oddities and long strings; sometimes not flat at all."""
    flat = st.one_of(
        st.text(max_size=40),
        ODD_TEXT,
        st.text(min_size=100, max_size=600),
        st.integers(min_value=-(10**6), max_value=10**6),
        st.booleans(),
        st.none(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(["0", "-5", "30", "1" * 40, "²", "３０", " 7 ", "1e3", "0x10"]),
    )
    rare = st.one_of(  # what the action layer refuses: not flat, too long, too large
        st.text(min_size=1500, max_size=3000),
        st.integers(min_value=-(10**20), max_value=10**20),
        st.lists(TEXT, max_size=3),
        st.dictionaries(st.text(max_size=5), TEXT, max_size=2),
    )
    values = st.integers(min_value=0, max_value=15).flatmap(lambda i: rare if i == 0 else flat)
    keys = st.one_of(
        st.sampled_from(
            [
                "bureau",
                "done",
                "delayed",
                "advanced",
                "reason",
                "period",
                "etag",
                "submission",
                "mode",
                "unit",
                "message",
                "query",
                "object_id",
                "role",
                "scope",
                "entity_kind",
                "entity_id",
                "from",
                "to",
                "count",
                "view",
                "page",
                "procedures",
                "job",
                "department",
                "channel",
                "bureau_input",
            ]
        ),
        st.text(st.characters(categories=["L", "N", "Pc", "Pd"]), min_size=1, max_size=10),
    )
    return st.dictionaries(keys, values, max_size=8)


@dataclass
class Harness:
    """One app, its store and the recording connector, served on a private event loop."""

    loop: asyncio.AbstractEventLoop
    client: TestClient
    connector: RecordingConnector
    store: InMemoryTableStore

    def post(self, body: bytes, content_type: str, timeout: float = 60) -> tuple[int, str]:
        async def go() -> tuple[int, str]:
            response = await self.client.post(
                "/api/messages", data=body, headers={"Content-Type": content_type}
            )
            return response.status, await response.text()

        return self.loop.run_until_complete(asyncio.wait_for(go(), timeout))

    def close(self) -> None:
        self.loop.run_until_complete(self.client.close())
        self.loop.run_until_complete(self.connector.stop())
        self.loop.close()


def harness(settings: Settings, store: InMemoryTableStore, **options: Any) -> Iterator[Harness]:
    loop = asyncio.new_event_loop()
    connector = loop.run_until_complete(RecordingConnector().start())

    async def start() -> TestClient:
        client = TestClient(TestServer(create_app(settings, store=store, **options)))
        await client.start_server()
        return client

    client = loop.run_until_complete(start())
    h = Harness(loop, client, connector, store)
    try:
        yield h
    finally:
        h.close()
