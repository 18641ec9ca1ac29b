"""Where proactive messages can go: the conversation references the bot has seen.

A reference is captured on install and on every message (``bot/references.py`` converts
botbuilder's ``ConversationReference`` to the plain dict stored here). It is kept in the store,
never in a process dict, so every instance and every restart sees the same directory.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.base import Entity, TableStore

TABLE = "ConversationRefs"
PARTITION = "ref"
_FORBIDDEN = str.maketrans({c: f"%{ord(c):02X}" for c in "/\\#?%"})


@dataclass(frozen=True)
class ConversationRecord:
    conversation_id: str
    conversation_type: str  # personal | channel | groupChat
    service_url: str
    tenant_id: str
    user_aad_object_id: str
    team_id: str
    channel_name: str
    active: bool
    updated_at: datetime
    reference: dict[str, Any]


def row_key(conversation_id: str) -> str:
    """Conversation ids may contain key-forbidden characters; escape them reversibly."""
    escaped = "".join(
        ch if ch.isprintable() else f"%{ord(ch):02X}" for ch in conversation_id.translate(_FORBIDDEN)
    )
    return escaped[:500]


class ConversationDirectory:
    def __init__(self, store: TableStore, clock: Callable[[], datetime]):
        self._store = store
        self._clock = clock

    def remember(
        self,
        reference: dict[str, Any],
        *,
        conversation_type: str,
        user_aad_object_id: str = "",
        team_id: str = "",
        channel_name: str = "",
    ) -> None:
        conversation = reference.get("conversation") or {}
        conversation_id = conversation.get("id") or ""
        if not conversation_id:
            return
        props = {
            "conversation_id": conversation_id,
            "conversation_type": conversation_type or "personal",
            "service_url": reference.get("service_url") or reference.get("serviceUrl") or "",
            "tenant_id": conversation.get("tenant_id") or conversation.get("tenantId") or "",
            "user_aad_object_id": user_aad_object_id,
            "team_id": team_id,
            "channel_name": channel_name,
            "active": True,
            "updated_at": self._clock(),
            "reference_json": json.dumps(reference, ensure_ascii=False),
        }
        key = row_key(conversation_id)
        existing = self._store.get(TABLE, PARTITION, key)
        if existing is not None and all(
            existing.get(name) == value for name, value in props.items() if name != "updated_at"
        ):
            return  # nothing new: a read is cheaper than a write on every turn
        self._store.upsert(TABLE, Entity(PARTITION, key, props))

    def deactivate(self, conversation_id: str) -> bool:
        entity = self._store.get(TABLE, PARTITION, row_key(conversation_id))
        if entity is None or not entity.get("active"):
            return False
        props = {**entity.properties, "active": False, "updated_at": self._clock()}
        self._store.upsert(TABLE, Entity(PARTITION, entity.row_key, props), etag=entity.etag)
        return True

    def get(self, conversation_id: str) -> ConversationRecord | None:
        entity = self._store.get(TABLE, PARTITION, row_key(conversation_id))
        return _record(entity) if entity else None

    def all(self, *, active_only: bool = False) -> list[ConversationRecord]:
        where = {"active": True} if active_only else None
        return [_record(e) for e in self._store.query(TABLE, PARTITION, where)]

    def personal_for(self, user_aad_object_id: str) -> ConversationRecord | None:
        where = {"user_aad_object_id": user_aad_object_id, "conversation_type": "personal", "active": True}
        records = [_record(e) for e in self._store.query(TABLE, PARTITION, where)]
        return max(records, key=lambda r: r.updated_at) if records else None


def _record(entity: Entity) -> ConversationRecord:
    return ConversationRecord(
        conversation_id=entity["conversation_id"],
        conversation_type=entity.get("conversation_type", "personal"),
        service_url=entity.get("service_url", ""),
        tenant_id=entity.get("tenant_id", ""),
        user_aad_object_id=entity.get("user_aad_object_id", ""),
        team_id=entity.get("team_id", ""),
        channel_name=entity.get("channel_name", ""),
        active=bool(entity.get("active", True)),
        updated_at=entity["updated_at"],
        reference=json.loads(entity.get("reference_json", "{}")),
    )
