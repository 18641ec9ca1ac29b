"""bot/outbound.py: the lean outbound side sends the same bytes, reuses connector clients per
service URL, and builds the user-token client only when something uses it."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from botbuilder.core import CardFactory, MessageFactory
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import (
    ActionTypes,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    Attachment,
    CardAction,
    ChannelAccount,
    ConversationAccount,
    Entity,
    InputHints,
    Mention,
    SuggestedActions,
)
from botframework.connector import models
from botframework.connector.auth import ClaimsIdentity
from msrest.serialization import Serializer

from bot.handler import card_activity, invoke_response
from bot.outbound import (
    CardContent,
    LazyUserTokenClient,
    LeanAuthentication,
    LeanSerializer,
    card_content,
)
from bot.settings import Settings
from tests.cards.test_schema import every_card

MODELS = {k: v for k, v in models.__dict__.items() if isinstance(v, type)}
SERIALIZER = Serializer(MODELS)
LEAN = LeanSerializer(MODELS)


def _reply(content: dict):
    activity = MessageFactory.attachment(CardFactory.adaptive_card(content))
    activity.conversation = ConversationAccount(id="a:1", conversation_type="personal")
    activity.from_property = ChannelAccount(id="28:bot", name="ICT推進ボット")
    activity.recipient = ChannelAccount(id="29:user", name="堺 太郎", aad_object_id="aad-1")
    activity.reply_to_id = "msg-1"
    return activity


@pytest.mark.parametrize(("name", "build"), list(every_card()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_sample_card_goes_out_exactly_as_msrest_sent_it(name, build):
    card = build()
    as_shipped = SERIALIZER.body(_reply(copy.deepcopy(card)), "Activity")
    for serializer in (SERIALIZER, LEAN):
        lean = serializer.body(_reply(card_content(card)), "Activity")
        assert json.dumps(lean, ensure_ascii=False) == json.dumps(as_shipped, ensure_ascii=False)
        assert lean["attachments"][0]["content"] == card


def _activities():
    text = MessageFactory.text("こんにちは <at>堺 太郎</at>", input_hint=InputHints.accepting_input)
    text.type = ActivityTypes.message
    text.timestamp = datetime(2026, 12, 1, 9, 30, 15, 123000, tzinfo=UTC)
    text.local_timestamp = datetime(2026, 12, 1, 18, 30, tzinfo=timezone(timedelta(hours=9)))
    text.entities = [
        Mention(mentioned=ChannelAccount(id="29:u", name="堺 太郎"), text="<at>堺 太郎</at>", type="mention"),
        Entity(type="clientInfo"),
    ]
    text.channel_data = {"notification": {"alert": True}, "tenant": {"id": "t"}, "ids": [1, 2.5, None, "x"]}
    text.suggested_actions = SuggestedActions(
        actions=[CardAction(type=ActionTypes.im_back, title="メニュー", value="メニュー")], to=["29:u"]
    )
    text.value = {"verb": "menu.open", "n": 3}
    text.summary = "要約"
    text.conversation = ConversationAccount(id="19:c;messageid=1", is_group=True, tenant_id="t")
    text.recipient = ChannelAccount(id="29:u", name="堺 太郎", aad_object_id="aad", role="user")
    yield "text, entities, channel data, suggested actions, times", text
    card = card_activity({"type": "AdaptiveCard", "version": "1.5", "body": []})
    card.summary = "通知"
    card.channel_id = "msteams"
    card.service_url = "http://127.0.0.1:1/"
    card.conversation = ConversationAccount(id="a:1", conversation_type="personal", tenant_id="t")
    yield "a proactive card", card
    odd = MessageFactory.text("dict where a model belongs")
    odd.from_property = {"id": "28:bot", "name": "bot"}  # type: ignore[assignment]
    odd.attachments = [Attachment(content_type="text/plain", content=("a", "tuple"))]
    yield "a dict where a model belongs (left to msrest)", odd


@pytest.mark.parametrize(
    ("name", "activity"), list(_activities()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_the_lean_serializer_writes_what_msrest_writes(name, activity):
    as_shipped = SERIALIZER.body(copy.deepcopy(activity), "Activity")
    lean = LEAN.body(copy.deepcopy(activity), "Activity")
    assert json.dumps(lean, ensure_ascii=False) == json.dumps(as_shipped, ensure_ascii=False)
    assert lean["type"] == "message"


def test_the_reply_and_the_invoke_answer_carry_the_card_as_a_plain_dict():
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "はい"}]}
    content = (card_activity(card).attachments or [])[0].content
    assert isinstance(content, dict) and content == card and str(content) == str(card)
    assert copy.deepcopy(content) is content  # the deep copy botbuilder makes of every reply shares it
    body = invoke_response(card).body
    assert isinstance(body, AdaptiveCardInvokeResponse)
    assert (SERIALIZER.body(body, "AdaptiveCardInvokeResponse") or {})["value"] == card
    assert isinstance(body.value, CardContent)


def _lean() -> LeanAuthentication:
    return LeanAuthentication(ConfigurationBotFrameworkAuthentication(Settings().botframework_config()))


async def test_connector_clients_are_reused_per_service_url_and_audience():
    lean = _lean()
    factory = lean.create_connector_factory(ClaimsIdentity({}, True))
    first = await factory.create("http://127.0.0.1:1/", "")
    again = await lean.create_connector_factory(ClaimsIdentity({}, True)).create("http://127.0.0.1:1/", "")
    other = await factory.create("http://127.0.0.1:2/", "")
    assert again is first
    assert other is not first and other.config.base_url == "http://127.0.0.1:2/"
    assert len(lean.clients) == 2


async def test_a_request_gets_the_caching_factory_and_a_client_for_its_service_url():
    lean = _lean()
    activity = models.Activity(
        type="message", service_url="http://127.0.0.1:3/", channel_id="msteams", conversation=None
    )
    result = await lean.authenticate_request(activity, "")
    client = await result.connector_factory.create(activity.service_url, result.audience)
    assert client is await result.connector_factory.create(activity.service_url, result.audience)
    assert client.config.base_url == "http://127.0.0.1:3/"
    assert isinstance(client.conversations._serialize, LeanSerializer)


class CountingAuthentication:
    def __init__(self):
        self.built = 0

    async def create_user_token_client(self, claims_identity):
        self.built += 1
        outer = self

        class Client:
            async def get_user_token(self, user_id, connection_name, channel_id, magic_code):
                return f"token of {user_id} ({outer.built})"

        return Client()


async def test_the_user_token_client_is_built_on_first_use_only():
    inner = CountingAuthentication()
    lazy = await LeanAuthentication(inner).create_user_token_client(ClaimsIdentity({}, True))  # type: ignore[arg-type]
    assert isinstance(lazy, LazyUserTokenClient) and inner.built == 0
    assert await lazy.get_user_token("u1", "c", "msteams", None) == "token of u1 (1)"
    assert await lazy.get_user_token("u2", "c", "msteams", None) == "token of u2 (1)"
    assert inner.built == 1
