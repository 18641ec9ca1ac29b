"""The Teams activity handler: the bot's one entry point for every incoming activity.

It does the Teams-specific work (mentions, installs, invokes, file attachments, conversation
references), resolves *who is asking* once per turn (``from.aadObjectId`` → the roster), and leaves
every decision about content to ``dialogs.menu.MainDialog``.

The activity reaching it was validated at the HTTP edge (``bot.inbound``). Card actions are
validated here, once (``bot.actions``): one the bot cannot read gets a polite card and writes
nothing. Every card leaves through :func:`sendable`, which swaps a card Teams would refuse for a
short one. A conversation reference is stored only after the turn succeeded.
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

from bot import actions
from bot.files import file_attachments
from bot.outbound import card_content
from bot.references import RecentCaptures, capture, forget
from bot.storage_pool import StorageBusy, StorageUnavailable
from bot.uploads import with_savers
from cards.common import (
    CONTENT_TYPE,
    MAX_SEND_BYTES,
    SHARED_CARD_KEY,
    card_send_bytes,
    input_refused_card,
    too_large_card,
)
from dialogs.base import IncomingFile
from dialogs.menu import MainDialog
from services.kernel.settings import DEFAULT_ATTACHMENT_HOSTS
from services.people.identity import Actor
from services.people.service import PeopleService
from services.proactive.conversations import ConversationDirectory
from storage.base import InvalidEntity

logger = logging.getLogger(__name__)

_AT_TAG = re.compile(r"<at[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_ACTOR_KEY = "ict.actor"
_CAPTURE_KEY = "ict.capture"  # set by a handler: store the conversation reference if the turn succeeds
FILES_UNAVAILABLE = "ファイルの受け渡しはこの環境では使えません。"


class TurnBeginning(Protocol):
    """Runs before each turn (``bot.replies.ReplyDelivery``)."""

    async def begin_turn(self, context: TurnContext) -> None: ...


class ConsentAnswerer(Protocol):
    """Answers a file consent card (``bot.file_delivery.TeamsFileSender``)."""

    async def answer(self, turn: TurnContext, actor: Actor, response: FileConsentCardResponse) -> None: ...


def strip_bot_mention(activity: Activity) -> str:
    """The message text without the @mention of the bot (channels and group chats)."""
    text = activity.text or ""
    bot_id = getattr(activity.recipient, "id", None)
    for entity in activity.entities or []:
        props = entity.additional_properties or {}
        if not isinstance(entity.type, str) or entity.type.lower() != "mention":
            continue
        mentioned = props.get("mentioned") if isinstance(props.get("mentioned"), dict) else {}
        if mentioned.get("id") == bot_id and isinstance(props.get("text"), str) and props["text"]:
            text = text.replace(props["text"], " ")
    if activity.conversation is not None and activity.conversation.conversation_type in (
        "channel",
        "groupChat",
    ):
        text = _AT_TAG.sub(" ", text)
    return " ".join(text.split())


def sendable(card: dict) -> dict:
    """``card``, or a short card in its place when Teams would refuse it (too large). The one
    check every card the bot sends goes through (replies, invoke responses, proactive posts)."""
    size = card_send_bytes(card)
    if size <= MAX_SEND_BYTES:
        return card
    logger.error(
        "a card of %d bytes is over the %d-byte limit; sent a short card instead", size, MAX_SEND_BYTES
    )
    return too_large_card()


def card_activity(card: dict) -> Activity:
    return MessageFactory.attachment(CardFactory.adaptive_card(card_content(sendable(card))))


def invoke_response(card: dict) -> InvokeResponse:
    # botbuilder 4.17.1 serialises InvokeResponse.body with msrest: it must be a model, not a
    # dict (a dict fails with "'dict' object has no attribute 'is_xml_model'"). DESIGN §11.
    body = AdaptiveCardInvokeResponse(status_code=200, type=CONTENT_TYPE, value=card_content(sendable(card)))
    return InvokeResponse(status=int(HTTPStatus.OK), body=body)


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


class IctBot(TeamsActivityHandler):
    def __init__(
        self,
        main_dialog: MainDialog,
        directory: ConversationDirectory,
        conversation_state: ConversationState,
        user_state: UserState,
        people: PeopleService,
        files: ConsentAnswerer | None = None,
        attachment_hosts: tuple[str, ...] = DEFAULT_ATTACHMENT_HOSTS,
        replies: TurnBeginning | None = None,
    ):
        super().__init__()
        self._replies = replies
        self._files = files
        self._attachment_hosts = attachment_hosts
        self._main = main_dialog
        self._directory = directory
        self._conversation_state = conversation_state
        self._user_state = user_state
        self._people = people
        self._recent_captures = RecentCaptures()  # a reference stored a moment ago is not rebuilt

    async def actor(self, turn_context: TurnContext) -> Actor:
        """Who is asking, resolved once per turn from ``from.aadObjectId`` (unregistered: staff)."""
        cached = turn_context.turn_state.get(_ACTOR_KEY)
        if cached is not None:
            return cached
        activity = turn_context.activity
        sender = activity.from_property
        person = await asyncio.to_thread(
            self._people.resolve,
            getattr(sender, "aad_object_id", None) or "",
            getattr(sender, "name", "") or "",
        )
        conversation_id = activity.conversation.id if activity.conversation is not None else ""
        actor = Actor(person, conversation_id or "")
        turn_context.turn_state[_ACTOR_KEY] = actor
        return actor

    async def on_turn(self, turn_context: TurnContext):
        if self._replies is not None:  # a notice of an undelivered reply first (bot.replies)
            await self._replies.begin_turn(turn_context)
        await super().on_turn(turn_context)
        try:
            await self._conversation_state.save_changes(turn_context)
            await self._user_state.save_changes(turn_context)
            if turn_context.turn_state.get(_CAPTURE_KEY):  # only now: the turn succeeded
                await capture(self._directory, turn_context.activity, self._recent_captures)
        except (StorageUnavailable, StorageBusy) as error:
            # The turn's answer is out and true (what it saved, it saved); only what the bot keeps of
            # the conversation could not be stored. Telling the user now that "nothing was saved"
            # would be false: the next turn starts from the state stored before this one.
            logger.warning("the turn was answered, but its conversation state was not saved: %s", error)

    @staticmethod
    def _capture_after_turn(turn_context: TurnContext) -> None:
        turn_context.turn_state[_CAPTURE_KEY] = True

    async def _act(self, turn_context: TurnContext, actor: Actor, verb: str, data: dict[str, Any]) -> dict:
        """A validated card action through the dialogs. Input no check caught (a value a service
        cannot parse, a storage key it cannot form) still gets the polite card, not an error turn:
        services validate before they write, so nothing was written."""
        try:
            return await self._main.on_action(turn_context, actor, verb, data)
        except (InvalidEntity, ValueError, TypeError, OverflowError) as error:
            logger.warning("card action %s refused: %s", verb, type(error).__name__, exc_info=True)
            return input_refused_card()

    # --- messages and card submissions ---------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext):
        value = turn_context.activity.value
        if isinstance(value, dict) and "verb" in value:
            try:
                verb, data = actions.from_submit(value)
            except actions.BadAction:
                await turn_context.send_activity(card_activity(input_refused_card()))
                return
            self._capture_after_turn(turn_context)
            await self._on_submit(turn_context, await self.actor(turn_context), verb, data)
            return
        self._capture_after_turn(turn_context)
        actor = await self.actor(turn_context)
        files = file_attachments(turn_context.activity.attachments, self._attachment_hosts)
        if files and turn_context.activity.conversation.conversation_type in (None, "personal"):
            incoming = with_savers(
                [IncomingFile(n, r) for n, r in files],
                turn_context.activity.attachments,
                self._attachment_hosts,
            )
            card = await self._main.on_files(turn_context, actor, incoming)
            await turn_context.send_activity(card_activity(card))
            return
        text = strip_bot_mention(turn_context.activity)
        card = await self._main.on_text(turn_context, actor, text)
        await turn_context.send_activity(card_activity(card))

    async def _on_submit(
        self, turn_context: TurnContext, actor: Actor, verb: str, data: dict[str, Any]
    ) -> None:
        """``Action.Submit``: answer by replacing the card that was submitted, where possible."""
        card = await self._act(turn_context, actor, verb, data)
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
        """Every invoke gets an invoke response: a card for ``adaptiveCard/action`` (the polite one
        for an action the bot cannot read), and 400 rather than botbuilder's 501 for an invoke
        this bot does not handle."""
        if turn_context.activity.name != "adaptiveCard/action":
            response = await super().on_invoke_activity(turn_context)
            if response is None or response.status == int(HTTPStatus.NOT_IMPLEMENTED):
                return InvokeResponse(status=int(HTTPStatus.BAD_REQUEST))
            return response
        try:
            verb, data = actions.from_invoke(turn_context.activity.value)
        except actions.BadAction:
            return invoke_response(input_refused_card())
        self._capture_after_turn(turn_context)
        card = await self._act(turn_context, await self.actor(turn_context), verb, data)
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
        self._capture_after_turn(turn_context)
        card = await self._main.menu(await self.actor(turn_context))
        await turn_context.send_activity(card_activity(card))

    async def on_installation_update_remove(self, turn_context: TurnContext):
        await forget(self._directory, turn_context.activity, self._recent_captures)

    async def on_conversation_update_activity(self, turn_context: TurnContext):
        """Only the bot's own arrival matters here: remember where it was added. (botbuilder's Teams
        handler would look up every other member added at the connector, and fails on a Teams
        conversation update without channelData.)"""
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient is not None else None
        added: list[ChannelAccount] = activity.members_added or []
        if bot_id and any(m is not None and m.id == bot_id for m in added):
            self._capture_after_turn(turn_context)
