"""Snoozed alerts: "remind me on this date", and no escalation before it.

The recipient of an alert picks a date on the alert card (``Input.Date``). Until that date the
alert's subject is quiet: the alert is not sent again and its escalation to the bureau's managers
waits. On that date, if the programme still reports the alert as due, it is sent once more (its
delivery key carries the snooze date) and escalation may follow.

Only somebody in a conversation the alert was delivered to may snooze it; the bot edge checks
that against the outbox. Every snooze is also written to the audit trail by the caller.

In a channel the alert is one card for every member. A snooze is written against the state its
sender saw (``expected``: no snooze, or the one read, by its ETag), so of two members snoozing at
once one is saved and the other gets :class:`SnoozeConflict` with the snooze that won.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from services.kernel.calendar import parse_japanese_date
from services.proactive.deliveries import key_part
from storage.base import Entity, EntityExists, EntityNotFound, ETagMismatch, TableStore

TABLE = "AlertSnoozes"
PARTITION = "snooze"
MAX_SNOOZE_DAYS = 90


class SnoozeError(ValueError):
    """The chosen date cannot be used. ``str(error)`` is Japanese, for the card."""


class SnoozeConflict(Exception):
    """Somebody changed the snooze since it was read; ``current`` is what is stored now."""

    def __init__(self, current: Snooze | None):
        super().__init__("the snooze changed since it was read")
        self.current = current


_UNCONDITIONAL: Any = object()


@dataclass(frozen=True)
class Snooze:
    subject: str
    until: date
    alert_key: str
    programme: str
    bureau: str
    by_id: str
    by_name: str
    at: datetime
    etag: str | None = field(default=None, compare=False)

    def active_on(self, day: date) -> bool:
        return day < self.until

    def as_dict(self) -> dict[str, str]:
        return {"until": self.until.isoformat(), "alert_key": self.alert_key, "by": self.by_name}


def parse_snooze_date(text: str, today: date, max_days: int = MAX_SNOOZE_DAYS) -> date:
    """The date from the card's ``Input.Date`` (``YYYY-MM-DD``; 和暦 also accepted)."""
    if not (text or "").strip():
        raise SnoozeError("再通知する日を選んでください。")
    try:
        until = date.fromisoformat(text.strip())
    except ValueError:
        until = parse_japanese_date(text)  # raises DateParseError (a ValueError) in Japanese
    if until <= today:
        raise SnoozeError("再通知する日は、明日以降の日付を選んでください。")
    if until > today + timedelta(days=max_days):
        raise SnoozeError(f"再通知する日は、今日から{max_days}日以内で選んでください。")
    return until


def _snooze(entity: Entity) -> Snooze:
    return Snooze(
        subject=entity["subject"],
        until=date.fromisoformat(entity["until"]),
        alert_key=entity.get("alert_key", ""),
        programme=entity.get("programme", ""),
        bureau=entity.get("bureau", ""),
        by_id=entity.get("by_id", ""),
        by_name=entity.get("by_name", ""),
        at=entity["at"],
        etag=entity.etag,
    )


class SnoozeBook:
    def __init__(self, store: TableStore, clock: Callable[[], datetime]):
        self._store = store
        self._clock = clock

    def snooze(
        self,
        *,
        subject: str,
        until: date,
        alert_key: str,
        programme: str,
        bureau: str,
        by_id: str,
        by_name: str,
        expected: Any = _UNCONDITIONAL,
    ) -> tuple[Snooze | None, Snooze]:
        """Record the snooze; returns (the snooze it replaced, the new one). With ``expected``
        (``None``: there was none; or the :class:`Snooze` read), only over that state, else
        :class:`SnoozeConflict`."""
        before = self.get(subject) if expected is _UNCONDITIONAL else expected
        props = {
            "subject": subject,
            "until": until.isoformat(),
            "alert_key": alert_key,
            "programme": programme,
            "bureau": bureau,
            "by_id": by_id,
            "by_name": by_name,
            "at": self._clock(),
        }
        entity = Entity(PARTITION, key_part(subject), props)
        try:
            if expected is _UNCONDITIONAL:
                written = self._store.upsert(TABLE, entity)
            elif expected is None:
                written = self._store.insert(TABLE, entity)
            else:
                written = self._store.upsert(TABLE, entity, etag=expected.etag)
        except (EntityExists, ETagMismatch, EntityNotFound):
            raise SnoozeConflict(self.get(subject)) from None
        return before, _snooze(written)

    def get(self, subject: str) -> Snooze | None:
        entity = self._store.get(TABLE, PARTITION, key_part(subject))
        return _snooze(entity) if entity else None

    def active(self, subject: str, day: date) -> Snooze | None:
        found = self.get(subject)
        return found if found is not None and found.active_on(day) else None

    def all(self) -> list[Snooze]:
        return [_snooze(e) for e in self._store.query(TABLE, PARTITION)]
