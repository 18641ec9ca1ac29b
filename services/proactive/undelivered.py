"""Replies that could not be delivered, remembered per conversation until the next turn.

When the bot's reply in a turn fails after its retries (``bot/replies.py``), the person saw
nothing. The turn's work is done (a submission is saved before its confirmation is sent), so what
is missing is only the answer. One short notice per conversation is kept here (table
``UndeliveredReplies``, partition = conversation, one row), and the next turn in that conversation
shows it first and removes it. ``uncertain`` says the reply went out and no answer came, so it
may in fact have arrived (the notice then says 「可能性があります」).

Several failures before the next turn keep one notice (the earliest time; certain wins over
uncertain). Removal is ETag-conditional, so a failure recorded while the notice was being shown
is kept for the turn after.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.proactive.deliveries import key_part
from storage.base import Entity, EntityExists, EntityNotFound, ETagMismatch, TableStore

UNDELIVERED = "UndeliveredReplies"
_ROW = "latest"


@dataclass(frozen=True)
class UndeliveredReply:
    conversation_id: str
    first_at: datetime
    count: int
    uncertain: bool
    etag: str


class UndeliveredReplies:
    def __init__(self, store: TableStore, clock: Callable[[], datetime]):
        self._store = store
        self._clock = clock

    def record(self, conversation_id: str, *, uncertain: bool) -> None:
        partition = key_part(conversation_id)
        for _ in range(5):  # another turn of the same conversation may race us: merge, again
            current = self._store.get(UNDELIVERED, partition, _ROW)
            props = {
                "conversation_id": conversation_id,
                "first_at": self._clock(),
                "count": 1,
                "uncertain": uncertain,
            }
            if current is not None:
                props["first_at"] = current.get("first_at", props["first_at"])
                props["count"] = int(current.get("count", 0)) + 1
                props["uncertain"] = bool(current.get("uncertain", True)) and uncertain
            entity = Entity(partition, _ROW, props)
            try:
                if current is None:
                    self._store.insert(UNDELIVERED, entity)
                else:
                    self._store.upsert(UNDELIVERED, entity, etag=current.etag)
                return
            except (EntityExists, ETagMismatch, EntityNotFound):
                continue

    def pending(self, conversation_id: str) -> UndeliveredReply | None:
        entity = self._store.get(UNDELIVERED, key_part(conversation_id), _ROW)
        if entity is None:
            return None
        return UndeliveredReply(
            conversation_id=conversation_id,
            first_at=entity["first_at"],
            count=int(entity.get("count", 1)),
            uncertain=bool(entity.get("uncertain", False)),
            etag=entity.etag or "",
        )

    def clear(self, notice: UndeliveredReply) -> None:
        """Remove the notice that was shown (not one recorded since)."""
        with contextlib.suppress(ETagMismatch, EntityNotFound):
            self._store.delete(UNDELIVERED, key_part(notice.conversation_id), _ROW, etag=notice.etag or None)
