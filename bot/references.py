"""Capture conversation references from incoming activities into the ConversationDirectory."""

from __future__ import annotations

import asyncio
import logging

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


async def capture(directory: ConversationDirectory, activity: Activity) -> None:
    """Remember where this conversation is, so proactive messages can reach it later."""
    if activity.conversation is None or not activity.conversation.id:
        return
    channel_data = _teams_channel_data(activity)
    team = channel_data.get("team") or {}
    channel = channel_data.get("channel") or {}
    conversation_type = activity.conversation.conversation_type or ("channel" if team else "personal")
    user = getattr(activity.from_property, "aad_object_id", "") or ""
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


async def forget(directory: ConversationDirectory, activity: Activity) -> None:
    if activity.conversation is not None and activity.conversation.id:
        await asyncio.to_thread(directory.deactivate, activity.conversation.id)
        root = channel_root(activity.conversation.id)
        if root != activity.conversation.id:
            await asyncio.to_thread(directory.deactivate, root)
