"""The Teams activity handler: the bot's one entry point for every incoming activity.

It does the Teams-specific work (mentions, installs, invokes, file attachments, conversation
references), resolves *who is asking* once per turn (``from.aadObjectId`` → the roster), and leaves
every decision about content to ``dialogs.menu.MainDialog``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from http import HTTPStatus
from typing import Any, Protocol

from botbuilder.core import CardFactory, ConversationState, MessageFactory, TurnContext, UserState
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, AdaptiveCardInvokeResponse, ChannelAccount, InvokeResponse
from botbuilder.schema.teams import FileConsentCardResponse
from msrest.serialization import Model

from bot.files import file_attachments
from bot.references import capture, forget
from bot.uploads import with_savers
from cards.common import CONTENT_TYPE, SHARED_CARD_KEY
from dialogs.base import IncomingFile
from dialogs.menu import MainDialog
from services.people.identity import Actor
from services.people.service import PeopleService
from services.proactive.conversations import ConversationDirectory

logger = logging.getLogger(__name__)

_AT_TAG = re.compile(r"<at[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_ACTOR_KEY = "ict.actor"
FILES_UNAVAILABLE = "ファイルの受け渡しはこの環境では使えません。"


class ConsentAnswerer(Protocol):
    """Answers a file consent card (``bot.file_delivery.TeamsFileSender``)."""

    async def answer(self, turn: TurnContext, actor: Actor, response: FileConsentCardResponse) -> None: ...


def strip_bot_mention(activity: Activity) -> str:
    """The message text without the @mention of the bot (channels and group chats)."""
    text = activity.text or ""
    bot_id = getattr(activity.recipient, "id", None)
    for entity in activity.entities or []:
        props = entity.additional_properties or {}
        if (entity.type or "").lower() != "mention":
            continue
        mentioned = props.get("mentioned") or {}
        if mentioned.get("id") == bot_id and props.get("text"):
            text = text.replace(props["text"], " ")
    if activity.conversation is not None and activity.conversation.conversation_type in ("channel", "groupChat"):
        text = _AT_TAG.sub(" ", text)
    return " ".join(text.split())


def card_activity(card: dict) -> Activity:
    return MessageFactory.attachment(CardFactory.adaptive_card(card))


MESSAGE_CONTENT_TYPE = "application/vnd.microsoft.activity.message"
SHARED_ANSWER = "この会話に返信しました（通知のカードはそのまま残ります）。"


def answers_with_new_reply(activity: Activity, data: dict[str, Any]) -> bool:
    """A button on a card that everybody in a channel or group chat shares (an alert, a digest):
    answer with a new reply, never by replacing the card for every member."""
    conversation = activity.conversation
    shared_conversation = conversation is not None and (
        conversation.conversation_type in ("channel", "groupChat") or bool(conversation.is_group)
    )
    return shared_conversation and bool(data.get(SHARED_CARD_KEY))


class MessageInvokeBody(Model):
    """The body of an ``adaptiveCard/action`` answer of type message: the card stays as it is and
    the client shows ``value`` (text) to the person who clicked. ``AdaptiveCardInvokeResponse``
    types ``value`` as an object, which msrest cannot serialise from a string (DESIGN §11)."""

    _attribute_map = {
        "status_code": {"key": "statusCode", "type": "int"},
        "type": {"key": "type", "type": "str"},
        "value": {"key": "value", "type": "str"},
    }

    def __init__(self, *, value: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.status_code = int(HTTPStatus.OK)
        self.type = MESSAGE_CONTENT_TYPE
        self.value = value


def message_invoke_response(text: str) -> InvokeResponse:
    """An Action.Execute answer that leaves the card as it is and shows ``text`` to the clicker."""
    return InvokeResponse(status=int(HTTPStatus.OK), body=MessageInvokeBody(value=text))


def invoke_response(card: dict) -> InvokeResponse:
    # botbuilder 4.17.1 serialises InvokeResponse.body with msrest: it must be a model, not a
    # dict (a dict fails with "'dict' object has no attribute 'is_xml_model'"). DESIGN §11.
    body = AdaptiveCardInvokeResponse(status_code=200, type=CONTENT_TYPE, value=card)
    return InvokeResponse(status=int(HTTPStatus.OK), body=body)


class IctBot(TeamsActivityHandler):
    def __init__(
        self,
        main_dialog: MainDialog,
        directory: ConversationDirectory,
        conversation_state: ConversationState,
        user_state: UserState,
        people: PeopleService,
        files: ConsentAnswerer | None = None,
    ):
        super().__init__()
        self._files = files
        self._main = main_dialog
        self._directory = directory
        self._conversation_state = conversation_state
        self._user_state = user_state
        self._people = people

    async def actor(self, turn_context: TurnContext) -> Actor:
        """Who is asking, resolved once per turn from ``from.aadObjectId`` (unregistered: staff)."""
        cached = turn_context.turn_state.get(_ACTOR_KEY)
        if cached is not None:
            return cached
        activity = turn_context.activity
        sender = activity.from_property
        person = await asyncio.to_thread(
            self._people.resolve, getattr(sender, "aad_object_id", None) or "", getattr(sender, "name", "") or ""
        )
        conversation_id = activity.conversation.id if activity.conversation is not None else ""
        actor = Actor(person, conversation_id or "")
        turn_context.turn_state[_ACTOR_KEY] = actor
        return actor

    async def on_turn(self, turn_context: TurnContext):
        await super().on_turn(turn_context)
        await self._conversation_state.save_changes(turn_context)
        await self._user_state.save_changes(turn_context)

    # --- messages and card submissions ---------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext):
        await capture(self._directory, turn_context.activity)
        actor = await self.actor(turn_context)
        value = turn_context.activity.value
        if isinstance(value, dict) and isinstance(value.get("verb"), str):
            await self._on_submit(turn_context, actor, value["verb"], value)
            return
        files = file_attachments(turn_context.activity.attachments)
        if files and turn_context.activity.conversation.conversation_type in (None, "personal"):
            incoming = with_savers([IncomingFile(n, r) for n, r in files], turn_context.activity.attachments)
            card = await self._main.on_files(turn_context, actor, incoming)
            await turn_context.send_activity(card_activity(card))
            return
        text = strip_bot_mention(turn_context.activity)
        card = await self._main.on_text(turn_context, actor, text)
        await turn_context.send_activity(card_activity(card))

    async def _on_submit(self, turn_context: TurnContext, actor: Actor, verb: str, data: dict[str, Any]) -> None:
        """``Action.Submit``: answer by replacing the card that was submitted, where possible."""
        card = await self._main.on_action(turn_context, actor, verb, data)
        reply = card_activity(card)
        original_id = turn_context.activity.reply_to_id
        if original_id and not answers_with_new_reply(turn_context.activity, data):
            reply.id = original_id
            try:
                await turn_context.update_activity(reply)
                return
            except Exception:  # some clients cannot update; a new message still answers
                logger.info("could not update card %s in place; sending a new message", original_id)
                reply.id = None
        await turn_context.send_activity(reply)

    # --- Action.Execute (Universal Actions) -----------------------------------------------

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        if turn_context.activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        await capture(self._directory, turn_context.activity)
        value = turn_context.activity.value if isinstance(turn_context.activity.value, dict) else {}
        action = value.get("action") or {}
        data = action.get("data") if isinstance(action.get("data"), dict) else {}
        verb = action.get("verb") or data.get("verb") or ""
        card = await self._main.on_action(turn_context, await self.actor(turn_context), verb, data)
        if answers_with_new_reply(turn_context.activity, data):
            await turn_context.send_activity(card_activity(card))
            return message_invoke_response(SHARED_ANSWER)
        return invoke_response(card)

    # --- file consent (DESIGN §4b): always answered 200, every outcome a message --------------

    async def on_teams_file_consent(
        self, turn_context: TurnContext, file_consent_card_response: FileConsentCardResponse
    ) -> InvokeResponse:
        if file_consent_card_response.action in ("accept", "decline"):
            return await super().on_teams_file_consent(turn_context, file_consent_card_response)
        logger.warning("file consent with unknown action %r", file_consent_card_response.action)
        return InvokeResponse(status=int(HTTPStatus.OK))

    async def on_teams_file_consent_accept(
        self, turn_context: TurnContext, file_consent_card_response: FileConsentCardResponse
    ) -> None:
        await self._answer_consent(turn_context, file_consent_card_response)

    async def on_teams_file_consent_decline(
        self, turn_context: TurnContext, file_consent_card_response: FileConsentCardResponse
    ) -> None:
        await self._answer_consent(turn_context, file_consent_card_response)

    async def _answer_consent(self, turn_context: TurnContext, response: FileConsentCardResponse) -> None:
        try:
            if self._files is None:
                await turn_context.send_activity(FILES_UNAVAILABLE)
                return
            await self._files.answer(turn_context, await self.actor(turn_context), response)
        except Exception:  # noqa: BLE001 - the invoke is answered 200 whatever happens
            logger.exception("could not answer a file consent card")

    # --- installation and membership --------------------------------------------------------

    async def on_installation_update_add(self, turn_context: TurnContext):
        await capture(self._directory, turn_context.activity)
        card = await self._main.menu(await self.actor(turn_context))
        await turn_context.send_activity(card_activity(card))

    async def on_installation_update_remove(self, turn_context: TurnContext):
        await forget(self._directory, turn_context.activity)

    async def on_teams_members_added(  # noqa: D401 - botbuilder's name
        self, teams_members_added: list[ChannelAccount], team_info, turn_context: TurnContext
    ):
        if any(m.id == turn_context.activity.recipient.id for m in teams_members_added):
            await capture(self._directory, turn_context.activity)
