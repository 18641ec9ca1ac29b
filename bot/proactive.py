"""Proactive messages to people's personal chats, through the stored conversation references.

A send needs ``CloudAdapter.continue_conversation`` with the reference captured earlier
(``bot/references.py`` → ``services.conversations``). A conversation that answers 403 or 404 (the
user removed the bot, or the chat is gone) is marked inactive, so it is not tried again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ConversationReference

from bot.handler import card_activity
from services.conversations import ConversationDirectory

logger = logging.getLogger(__name__)


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

            async def send(turn: TurnContext) -> None:
                await turn.send_activity(card_activity(card))

            try:
                await self._adapter.continue_conversation(reference, send, self._app_id)
                sent += 1
            except Exception as error:  # one unreachable admin must not stop the others
                status = _status(error)
                logger.warning("proactive send to %s failed (%s)", record.conversation_id, status or error)
                if status in (403, 404):
                    await asyncio.to_thread(self._directory.deactivate, record.conversation_id)
        return sent
