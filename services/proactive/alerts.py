"""The "alert source" port: what every programme tells the scheduler about due alerts.

A programme (``services/online_procedures/``, later the DX training programme) exposes
``due_alerts(as_of)``; the delay-alert and training-reminder jobs ask every registered source
and deliver what comes back, once per natural key. Sources are registered in
``bot/programmes.py`` (one line per programme), so adding one touches nothing here.

A source may return its own dataclasses: :class:`ProgrammeAlerts` adapts them to
:class:`DueAlert` with a small ``convert`` function, and keeps the original object in
``DueAlert.item`` for the programme's own card builder.

Where an alert goes:

- ``person`` set: that person's 1:1 chat with the bot (a training reminder);
- ``escalation``: the 1:1 chats of the bureau's managers;
- otherwise: the DX PRO channel mapped to ``department`` (or to the bureau, or to the bureau's
  departments: see ``services.proactive.channels.ChannelMap.for_unit``).

An alert and its escalation share a ``subject``; snoozing the alert snoozes the subject, and the
escalation waits until the snooze ends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

T = TypeVar("T")


@dataclass(frozen=True)
class DueAlert:
    key: str  # natural key, stable across runs: "online_procedures|財政局|2026Q3|delay"
    programme: str  # programme key (bot/programmes.py)
    bureau: str
    title: str  # 「令和8年度 第3四半期の実績が未提出です」
    why: str  # why this message came, in Japanese
    next_step: str  # what the recipient should do next, in Japanese
    department: str = ""
    escalation: bool = False  # to the bureau's managers instead of the DX PRO channel
    person: str = ""  # an Entra object id: send to that person's 1:1 chat instead
    subject: str = ""  # what a snooze applies to; an alert and its escalation share it
    due: date | None = None
    facts: tuple[tuple[str, str], ...] = ()
    item: Any = field(default=None, compare=False, hash=False)  # the source's own object

    @property
    def snooze_subject(self) -> str:
        return self.subject or self.key


@runtime_checkable
class AlertSource(Protocol):
    """Anything with a programme key and ``due_alerts(as_of) -> list[DueAlert]``."""

    programme: str

    def due_alerts(self, as_of: date) -> Sequence[DueAlert]: ...


@dataclass(frozen=True)
class ProgrammeAlerts(Generic[T]):
    """Adapts a programme's own ``due_alerts`` (returning its own dataclasses) to the port."""

    programme: str
    fetch: Callable[[date], Sequence[T]]
    convert: Callable[[T], DueAlert]

    def due_alerts(self, as_of: date) -> list[DueAlert]:
        return [self.convert(item) for item in self.fetch(as_of)]


@dataclass(frozen=True)
class StaticAlerts:
    """A fixed list (tests, and the Playground scenario)."""

    programme: str
    alerts: Sequence[DueAlert] = ()

    def due_alerts(self, as_of: date) -> list[DueAlert]:
        return list(self.alerts)
