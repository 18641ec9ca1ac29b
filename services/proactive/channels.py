"""Which team channel is whose: DX PRO channels of departments (or bureaus), and the office's.

An administrator maps a channel through a card: by @mentioning the bot in the channel with
「このチャネルを登録」, or by choosing among the channels the bot knows from the admin card.
A channel has one role at a time; mapping it again replaces the old role.

Delay alerts about a unit go to (first rule that finds any):

1. the channels mapped to exactly that department;
2. the channels mapped to the bureau itself;
3. the channels mapped to any department of the bureau.

Channel conversation ids are kept without Teams' ``;messageid=…`` thread suffix, so a message
goes to the channel as a new post, not into the thread that happened to mention the bot.

The registration card is shared by everyone in the channel: a change is written against the
mapping its sender saw (``expected``: none, or the one read, by its ETag); otherwise
:class:`ChannelConflict` carries the mapping that is there now.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.proactive.deliveries import key_part
from storage.base import Entity, EntityExists, EntityNotFound, ETagMismatch, TableStore

TABLE = "ChannelMappings"
PARTITION = "channel"
_THREAD_SUFFIX = ";messageid="


_UNCONDITIONAL: Any = object()


class ChannelRole(enum.StrEnum):
    DX_PRO = "dx_pro"  # a department's (or bureau's) DX PRO channel
    OFFICE = "office"  # the ICT Innovation Promotion Office's own channel

    @property
    def label(self) -> str:
        return {
            ChannelRole.DX_PRO: "DX PRO チャネル",
            ChannelRole.OFFICE: "ICTイノベーション推進室のチャネル",
        }[self]


def channel_root(conversation_id: str) -> str:
    """``19:abc@thread.tacv2;messageid=123`` → ``19:abc@thread.tacv2``."""
    return conversation_id.split(_THREAD_SUFFIX, 1)[0]


@dataclass(frozen=True)
class ChannelMapping:
    conversation_id: str
    role: ChannelRole
    bureau: str = ""
    department: str = ""
    channel_name: str = ""
    team_id: str = ""
    mapped_by: str = ""  # display name of the admin
    mapped_at: datetime | None = None
    mapped_by_id: str = ""  # object id of the admin
    etag: str | None = field(default=None, compare=False)

    @property
    def unit_path(self) -> str:
        return "/".join(p for p in (self.bureau, self.department) if p)

    @property
    def label(self) -> str:
        """「財政局/財務部の DX PRO チャネル（#DX推進）」"""
        name = f"（#{self.channel_name}）" if self.channel_name else ""
        if self.role is ChannelRole.OFFICE:
            return f"{self.role.label}{name}"
        return f"{self.unit_path}の{self.role.label}{name}"

    def as_dict(self) -> dict[str, str]:
        return {
            "role": self.role.value,
            "bureau": self.bureau,
            "department": self.department,
            "channel_name": self.channel_name,
        }


def _mapping(entity: Entity) -> ChannelMapping:
    return ChannelMapping(
        conversation_id=entity["conversation_id"],
        role=ChannelRole(entity.get("role", ChannelRole.DX_PRO)),
        bureau=entity.get("bureau", ""),
        department=entity.get("department", ""),
        channel_name=entity.get("channel_name", ""),
        team_id=entity.get("team_id", ""),
        mapped_by=entity.get("mapped_by", ""),
        mapped_at=entity.get("mapped_at"),
        mapped_by_id=entity.get("mapped_by_id", ""),
        etag=entity.etag,
    )


class ChannelConflict(Exception):
    """The mapping changed since it was read; ``current`` is what is stored now (or None)."""

    def __init__(self, current: ChannelMapping | None):
        super().__init__("the channel mapping changed since it was read")
        self.current = current


class ChannelMap:
    def __init__(self, store: TableStore, clock: Callable[[], datetime]):
        self._store = store
        self._clock = clock

    def map(
        self,
        conversation_id: str,
        role: ChannelRole,
        *,
        bureau: str = "",
        department: str = "",
        channel_name: str = "",
        team_id: str = "",
        mapped_by: str = "",
        mapped_by_id: str = "",
        expected: Any = _UNCONDITIONAL,
    ) -> tuple[ChannelMapping | None, ChannelMapping]:
        """Give the channel its role; returns (the mapping it replaced, the new one). With
        ``expected`` (None: there was none; or the mapping read) only over that state, else
        :class:`ChannelConflict`."""
        root = channel_root(conversation_id)
        if role is ChannelRole.DX_PRO and not bureau:
            raise ValueError("a DX PRO channel needs a bureau")
        if role is ChannelRole.OFFICE:
            bureau = department = ""
        before = self.get(root) if expected is _UNCONDITIONAL else expected
        props = {
            "conversation_id": root,
            "role": role.value,
            "bureau": bureau,
            "department": department,
            "channel_name": channel_name or (before.channel_name if before else ""),
            "team_id": team_id or (before.team_id if before else ""),
            "mapped_by": mapped_by,
            "mapped_by_id": mapped_by_id,
            "mapped_at": self._clock(),
        }
        entity = Entity(PARTITION, key_part(root), props)
        try:
            if expected is _UNCONDITIONAL:
                written = self._store.upsert(TABLE, entity)
            elif expected is None:
                written = self._store.insert(TABLE, entity)
            else:
                written = self._store.upsert(TABLE, entity, etag=expected.etag)
        except (EntityExists, ETagMismatch, EntityNotFound):
            raise ChannelConflict(self.get(root)) from None
        return before, _mapping(written)

    def unmap(self, conversation_id: str, expected: Any = _UNCONDITIONAL) -> ChannelMapping | None:
        before = self.get(conversation_id) if expected is _UNCONDITIONAL else expected
        if before is not None:
            etag = None if expected is _UNCONDITIONAL else before.etag
            try:
                self._store.delete(TABLE, PARTITION, key_part(channel_root(conversation_id)), etag=etag)
            except (ETagMismatch, EntityNotFound):
                raise ChannelConflict(self.get(conversation_id)) from None
        return before

    def get(self, conversation_id: str) -> ChannelMapping | None:
        entity = self._store.get(TABLE, PARTITION, key_part(channel_root(conversation_id)))
        return _mapping(entity) if entity else None

    def all(self) -> list[ChannelMapping]:
        return sorted(
            (_mapping(e) for e in self._store.query(TABLE, PARTITION)),
            key=lambda m: (m.role != ChannelRole.OFFICE, m.bureau, m.department, m.channel_name),
        )

    def office(self) -> list[ChannelMapping]:
        return [m for m in self.all() if m.role is ChannelRole.OFFICE]

    def for_unit(self, bureau: str, department: str = "") -> list[ChannelMapping]:
        mine = [m for m in self.all() if m.role is ChannelRole.DX_PRO and m.bureau == bureau]
        if department:
            exact = [m for m in mine if m.department == department]
            if exact:
                return exact
        bureau_level = [m for m in mine if not m.department]
        return bureau_level or mine
