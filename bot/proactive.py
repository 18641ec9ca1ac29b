"""Proactive messages, through the stored conversation references.

A send needs ``CloudAdapter.continue_conversation`` with the reference captured earlier
(``bot/references.py`` → ``services.proactive.conversations``). A conversation that answers 403 or 404 (the
user removed the bot, or the chat is gone) is marked inactive, so it is not tried again.

- :class:`ProactiveNotifier`: a card to people's personal chats right now (admin notifications).
- :class:`ProactiveSender`: the transport of the scheduled jobs (``services.proactive.dispatch.Sender``):
  one message to one conversation, every failure turned into a ``SendError`` with its status,
  code and ``Retry-After`` so the dispatcher can pace and retry (``services/dispatch.py``).

``continue_conversation(reference, callback, bot_app_id)``: in anonymous mode (no
``MicrosoftAppId``) botbuilder 4.17.1 accepts ``None`` or ``""`` and sends without a token; with an
app id the id passed must be the configured one, or the credential factory refuses it ("Invalid
app_id"). So the sender always passes ``settings.app_id``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from aiohttp import ClientConnectorError, ClientError
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ConversationReference, ErrorResponseException

from bot.handler import card_activity
from services.proactive.conversations import ConversationDirectory
from services.proactive.dispatch import SendError
from services.proactive.pacing import parse_retry_after

logger = logging.getLogger(__name__)


#: How long one POST to the connector may take before it counts as unanswered (msrest's own
#: default is 100 s, which would hold a thread and a delivery far past the dispatcher's 30 s).
REQUEST_TIMEOUT_SECONDS = 20.0


def own_transport(client: Any, seconds: float) -> None:
    """Make a botbuilder connector client send each request once, within ``seconds``: msrest's
    ``config.connection.timeout`` (100 s by default) and its own urllib3 retries (a PUT was sent up
    to 4 times on a 5xx, with sleeps, before our policy saw anything), so that the one retry policy
    (``services.proactive.pacing.RetryPolicy``) decides. A client without these settings (another
    transport) is left as it is."""
    config = getattr(client, "config", None)
    connection = getattr(config, "connection", None)
    if connection is not None and hasattr(connection, "timeout"):
        connection.timeout = seconds
    retry = getattr(getattr(config, "retry_policy", None), "policy", None)
    if retry is not None and hasattr(retry, "status_forcelist"):
        # the session's adapter holds this very object: changed in place, one request is sent and
        # an error status comes back as the response
        retry.total = 0
        retry.status_forcelist = frozenset()


def _status(error: Exception) -> int | None:
    response = getattr(error, "response", None)
    return getattr(response, "status_code", None)


class ProactiveNotifier:
    def __init__(self, adapter: CloudAdapter, directory: ConversationDirectory, app_id: str):
        self._adapter = adapter
        self._directory = directory
        self._app_id = app_id

    async def notify_people(self, object_ids: Sequence[str], card: dict) -> int:
        sent = 0
        for object_id in dict.fromkeys(object_ids):
            record = await asyncio.to_thread(self._directory.personal_for, object_id)
            if record is None:
                continue
            reference = ConversationReference().deserialize(record.reference)

            failure: list[BaseException] = []

            async def send(turn: TurnContext, failure: list[BaseException] = failure) -> None:
                # a failure is kept, not raised: raised, it would go to the adapter's on_turn_error,
                # which posts the turn-error apology into the chat that just refused a message
                try:
                    await turn.send_activity(card_activity(card))
                except Exception as error:  # noqa: BLE001 - re-raised below, outside the pipeline
                    failure.append(error)

            try:
                await self._adapter.continue_conversation(reference, send, self._app_id)
                if failure:
                    raise failure[0]
                sent += 1
            except Exception as error:  # one unreachable admin must not stop the others
                status = _status(error)
                logger.warning("proactive send to %s failed (%s)", record.conversation_id, status or error)
                if status in (403, 404):
                    await asyncio.to_thread(self._directory.deactivate, record.conversation_id)
        return sent


class ProactiveSender:
    """Posts a message (``{"card": {...}, "summary": "..."}``) to a conversation as a new post.

    It calls the connector's ``send_to_conversation`` itself rather than ``turn.send_activity``:
    inside ``continue_conversation`` the latter replies to the synthetic continuation activity
    (``replyToId``), and a failed send would go through the adapter's ``on_turn_error``, which
    posts an apology into the very conversation that just refused a message.
    """

    def __init__(
        self,
        adapter: CloudAdapter,
        directory: ConversationDirectory,
        app_id: str,
        request_timeout: float = REQUEST_TIMEOUT_SECONDS,
    ):
        self._adapter = adapter
        self._directory = directory
        self._app_id = app_id
        self.request_timeout = request_timeout  # under the dispatcher's send timeout (30 s)
        self._prepared: dict[str, Any] = {}

    async def prepare(self, target: str) -> None:
        """Look the reference up before the dispatcher takes its pacing slot, so the request
        leaves right after the slot is taken (no storage round trip in between)."""
        self._prepared[target] = await asyncio.to_thread(self._directory.get, target)

    async def send(self, target: str, payload: dict[str, Any]) -> None:
        if target in self._prepared:
            record = self._prepared.pop(target)
        else:
            record = await asyncio.to_thread(self._directory.get, target)
        if record is None:
            raise SendError(404, "no conversation reference is stored", code="ConversationNotFound")
        if not record.active:
            raise SendError(
                404, "the conversation no longer takes the bot's messages", code="ConversationInactive"
            )
        reference = ConversationReference().deserialize(record.reference)
        reference.activity_id = None
        activity = card_activity(payload["card"])
        if payload.get("summary"):
            activity.summary = payload["summary"]
        failure: list[BaseException] = []

        async def post(turn: TurnContext) -> None:
            incoming = turn.activity
            activity.channel_id = incoming.channel_id
            activity.service_url = incoming.service_url
            activity.conversation = incoming.conversation
            activity.from_property = incoming.recipient
            activity.recipient = incoming.from_property
            client = turn.turn_state[self._adapter.BOT_CONNECTOR_CLIENT_KEY]
            own_transport(client, self.request_timeout)
            try:
                await client.conversations.send_to_conversation(incoming.conversation.id, activity)
            except Exception as error:  # noqa: BLE001 - classified below, outside the pipeline
                failure.append(error)

        try:
            await self._adapter.continue_conversation(reference, post, self._app_id)
        except (ClientError, OSError) as error:
            # raised before the post (the token, the client): nothing went out
            raise SendError(None, repr(error), code="NetworkError") from error
        if failure:
            raise _send_error(failure[0]) from failure[0]


def _send_error(error: BaseException) -> SendError:
    return send_error(error)


def send_error(error: BaseException) -> SendError:
    """A connector failure as a :class:`SendError`: the status, code and ``Retry-After`` of an
    error answer, or for a failure without an answer whether the request may have arrived
    (``uncertain``: a timeout or a connection dropped after it went out) or surely did not (the
    connection could not be made). Knows botbuilder's msrest/requests transport and aiohttp."""
    if isinstance(error, ErrorResponseException):
        response = error.response
        status = getattr(response, "status_code", None)
        headers = getattr(response, "headers", None) or {}
        body = getattr(getattr(error, "error", None), "error", None)
        code = getattr(body, "code", "") or ""
        message = getattr(body, "message", "") or str(error)
        retry_after = parse_retry_after(headers.get("Retry-After"))
        return SendError(status, message, code=code, retry_after=retry_after)
    cause = _transport_cause(error)
    if _never_sent(cause):
        return SendError(None, repr(cause), code="ConnectFailed")
    if isinstance(cause, ClientError | OSError | TimeoutError) or _requests_error(cause):
        return SendError(None, repr(cause), code="NoAnswer", uncertain=True)
    return SendError(None, repr(error), code=type(error).__name__)


def _transport_cause(error: BaseException) -> BaseException:
    """The transport's own exception inside msrest's ``ClientRequestError`` (``inner_exception``)."""
    inner = getattr(error, "inner_exception", None)
    return inner if isinstance(inner, BaseException) else error


def _requests_error(error: BaseException) -> bool:
    return type(error).__module__.startswith(("requests.", "urllib3."))


def _never_sent(error: BaseException) -> bool:
    """The connection was never made, so the request cannot have arrived: safe to send again."""
    if isinstance(error, ClientConnectorError | ConnectionRefusedError):
        return True
    try:
        from requests.exceptions import ConnectionError as RequestsConnectionError
        from requests.exceptions import ConnectTimeout
        from urllib3.exceptions import ConnectTimeoutError
    except ImportError:  # pragma: no cover - requests comes with botbuilder
        return False
    if isinstance(error, ConnectTimeout):
        return True
    if isinstance(error, RequestsConnectionError):
        reason = getattr(error.args[0], "reason", None) if error.args else None
        return isinstance(reason, ConnectTimeoutError)  # NewConnectionError is one too
    return False
