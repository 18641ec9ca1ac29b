"""Capture conversation references from incoming activities into the ConversationDirectory."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationReference

from services.proactive.channels import channel_root
from services.proactive.conversations import ConversationDirectory

logger = logging.getLogger(__name__)


def reference_dict(activity: Activity) -> dict:
    """The reference to store for proactive messages.

    Two things differ from what botbuilder captures: the incoming activity's id is dropped (a
    proactive message is a new post, not a reply to whatever was said last), and a channel's
    conversation id loses its ``;messageid=…`` thread suffix, so the directory holds one entry per
    channel and scheduled messages start new threads in it.
    """
    reference: ConversationReference = TurnContext.get_conversation_reference(activity)
    data = reference.serialize()
    data.pop("activityId", None)
    conversation = data.get("conversation") or {}
    channel_data = _teams_channel_data(activity)
    in_channel = conversation.get("conversationType") == "channel" or bool(channel_data.get("channel"))
    if conversation.get("id") and in_channel:
        conversation["id"] = channel_root(conversation["id"])
    return data


def _teams_channel_data(activity: Activity) -> dict:
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    return data


class RecentCaptures:
    """What this process stored for each conversation lately, so that the next turn of the same
    conversation, from the same person, with the same accounts and service URL, does not build and
    compare the reference again (the directory would find nothing new: ``remember`` reads, compares
    and returns). Kept ``ttl`` seconds, so a change made by another instance (a deactivation) is
    seen again within that time; install and uninstall activities never use it, and ``forget``
    drops the conversation at once."""

    def __init__(self, ttl: float = 60.0, size: int = 4096, clock=time.monotonic):
        self._ttl = ttl
        self._size = size
        self._clock = clock
        self._seen: OrderedDict[str, tuple[Any, float]] = OrderedDict()

    def fresh(self, conversation_id: str, fingerprint: Any) -> bool:
        seen = self._seen.get(conversation_id)
        return seen is not None and seen[0] == fingerprint and self._clock() - seen[1] < self._ttl

    def stored(self, conversation_id: str, fingerprint: Any) -> None:
        self._seen[conversation_id] = (fingerprint, self._clock())
        self._seen.move_to_end(conversation_id)
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)

    def drop(self, conversation_id: str) -> None:
        self._seen.pop(conversation_id, None)


_ALWAYS_STORED = ("installationUpdate", "conversationUpdate")


def _fingerprint(activity: Activity, *parts: str) -> tuple:
    """Everything the stored reference and its columns are made of, cheaply."""

    def account(value: Any) -> str:
        return json.dumps(vars(value), sort_keys=True, default=str, ensure_ascii=False) if value else ""

    return (
        activity.service_url,
        activity.channel_id,
        activity.locale,
        account(activity.from_property),
        account(activity.recipient),
        account(activity.conversation),
        json.dumps(activity.channel_data, sort_keys=True, default=str) if activity.channel_data else "",
        *parts,
    )


async def capture(
    directory: ConversationDirectory, activity: Activity, recent: RecentCaptures | None = None
) -> None:
    """Remember where this conversation is, so proactive messages can reach it later."""
    if activity.conversation is None or not activity.conversation.id:
        return
    channel_data = _teams_channel_data(activity)
    team = channel_data.get("team") or {}
    channel = channel_data.get("channel") or {}
    conversation_type = activity.conversation.conversation_type or ("channel" if team else "personal")
    user = getattr(activity.from_property, "aad_object_id", "") or ""
    if activity.type in _ALWAYS_STORED:
        recent = None
    fingerprint = _fingerprint(activity, conversation_type, user) if recent is not None else None
    if recent is not None and recent.fresh(activity.conversation.id, fingerprint):
        return
    try:
        await asyncio.to_thread(
            directory.remember,
            reference_dict(activity),
            conversation_type=conversation_type,
            user_aad_object_id=user if conversation_type == "personal" else "",
            team_id=team.get("id", "") or "",
            channel_name=channel.get("name", "") or "",
        )
    except Exception:  # a failed capture must not cost the user their turn
        logger.exception("could not store the conversation reference")
        return
    if recent is not None:
        recent.stored(activity.conversation.id, fingerprint)


async def forget(
    directory: ConversationDirectory, activity: Activity, recent: RecentCaptures | None = None
) -> None:
    if activity.conversation is not None and activity.conversation.id:
        if recent is not None:
            recent.drop(activity.conversation.id)
            recent.drop(channel_root(activity.conversation.id))
        await asyncio.to_thread(directory.deactivate, activity.conversation.id)
        root = channel_root(activity.conversation.id)
        if root != activity.conversation.id:
            await asyncio.to_thread(directory.deactivate, root)
