"""Teams-shaped activities for tests and benchmarks."""

from __future__ import annotations

import itertools
from typing import Any

BOT_ID = "28:ict-suishin-bot"
BOT_NAME = "ICT推進ボット"
TENANT_ID = "00000000-0000-0000-0000-0000000000aa"
_ids = itertools.count(1)


def personal_message(
    service_url: str, text: str, *, user_aad: str = "aad-staff-1", value: Any = None
) -> dict:
    activity = {
        "type": "message",
        "id": f"msg-{next(_ids)}",
        "timestamp": "2026-11-26T01:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": f"29:{user_aad}", "name": "堺 太郎", "aadObjectId": user_aad},
        "conversation": {
            "id": f"a:personal-{user_aad}",
            "conversationType": "personal",
            "tenantId": TENANT_ID,
        },
        "recipient": {"id": BOT_ID, "name": BOT_NAME},
        "text": text,
        "locale": "ja-JP",
        "channelData": {"tenant": {"id": TENANT_ID}},
    }
    if value is not None:
        activity["value"] = value
    return activity


def channel_mention(service_url: str, text: str, *, channel_name: str = "DX PRO") -> dict:
    mention = f"<at>{BOT_NAME}</at>"
    return {
        "type": "message",
        "id": f"msg-{next(_ids)}",
        "timestamp": "2026-11-26T01:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": "29:dxpro-1", "name": "DX 花子", "aadObjectId": "aad-dxpro-1"},
        "conversation": {
            "id": "19:dxpro-channel@thread.tacv2;messageid=1700000000000",
            "conversationType": "channel",
            "isGroup": True,
            "tenantId": TENANT_ID,
        },
        "recipient": {"id": BOT_ID, "name": BOT_NAME},
        "text": f"{mention} {text}",
        "entities": [{"type": "mention", "text": mention, "mentioned": {"id": BOT_ID, "name": BOT_NAME}}],
        "channelData": {
            "tenant": {"id": TENANT_ID},
            "team": {"id": "19:team@thread.tacv2"},
            "channel": {"id": "19:dxpro-channel@thread.tacv2", "name": channel_name},
        },
    }


def execute_invoke(
    service_url: str, verb: str, data: dict | None = None, *, user_aad: str = "aad-staff-1"
) -> dict:
    activity = personal_message(service_url, "", user_aad=user_aad)
    activity.update(
        type="invoke",
        name="adaptiveCard/action",
        value={
            "action": {"type": "Action.Execute", "verb": verb, "data": {"verb": verb, **(data or {})}},
            "trigger": "manual",
        },
    )
    activity.pop("text")
    return activity


def installation_add(service_url: str, *, user_aad: str = "aad-staff-1") -> dict:
    activity = personal_message(service_url, "", user_aad=user_aad)
    activity.update(type="installationUpdate", action="add")
    activity.pop("text")
    return activity
