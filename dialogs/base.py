"""What every programme dialog looks like, and what it may use.

A dialog turns a user's request (a keyword, or a card action with a ``verb``) into the card the
user sees next. It never decides how the card travels: the bot edge returns it in place for an
``Action.Execute`` invoke, or updates/sends a message for ``Action.Submit``.

**Who is asking.** The bot edge resolves the person once per turn (``from.aadObjectId`` →
``PeopleService.resolve``) and passes an :class:`~services.people.identity.Actor` (the person and the
conversation id) to ``open``/``act``. Dialogs never decide permissions themselves: they call
``services.people.permissions.require(actor.person, Action..., Resource...)`` (or pass the actor to a
service that does). A :class:`~services.people.permissions.Forbidden` escaping ``open``/``act`` becomes
the polite "操作できません" card in ``MainDialog``, and nothing has been written by then.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from botbuilder.core import TurnContext

from cards.menu import error_card, preparing_card
from services.kernel.programmes import ProgrammeInfo
from services.kernel.settings import TIMEZONE, Settings
from services.people.identity import Actor
from services.people.service import PeopleService
from storage.base import TableStore


class Notifier(Protocol):
    """Sends a card proactively to people's personal chats (implemented in ``bot/``)."""

    async def notify_people(self, object_ids: Sequence[str], card: dict) -> int:
        """Send ``card`` to each person with a known personal conversation; returns how many got it."""


class NullNotifier:
    async def notify_people(self, object_ids: Sequence[str], card: dict) -> int:
        return 0


class JobControl(Protocol):
    """The scheduled jobs, as the admin cards see them (implemented in ``bot/scheduler.py``)."""

    @property
    def scheduler_running(self) -> bool: ...

    def views(self) -> list[Any]:
        """``services.proactive.jobs.JobView`` per job (blocking: reads storage)."""

    def pending(self) -> int:
        """Deliveries still waiting to be sent (blocking)."""

    async def run_now(self, job: str, wait_seconds: float = 3.0) -> Any:
        """Start ``job`` now; the ``RunOutcome`` if it finished within ``wait_seconds``, else None."""


class NullJobControl:
    scheduler_running = False

    def views(self) -> list[Any]:
        return []

    def pending(self) -> int:
        return 0

    async def run_now(self, job: str, wait_seconds: float = 3.0) -> Any:
        return None


class UploadFailed(Exception):
    """A file could not be saved (network, size, time); ``str(error)`` is Japanese, for the user."""


# Streams an attached file to ``target`` (created 0600, removed again on failure) with a size cap in
# bytes and a time limit in seconds; returns the bytes written; raises :class:`UploadFailed`.
SaveTo = Callable[[Path, int, float], Awaitable[int]]


@dataclass(frozen=True)
class IncomingFile:
    """A file a user attached in a 1:1 chat. ``read()`` downloads it (only call it once allowed);
    ``save`` (set by the bot edge) streams a large file to disk instead of memory."""

    name: str
    read: Callable[[], Awaitable[bytes]]
    save: SaveTo | None = None


@dataclass(frozen=True)
class FileOffer:
    """A file to deliver in Teams through file consent (DESIGN §4b).

    Only this request is kept until the user accepts; the bytes are built then, by the export
    registered under ``export`` (``"<programme key>.<name>"``, the ``exports=`` of the programme's
    registry line), from the data stored at that moment. ``params`` stay small strings.
    """

    export: str
    name: str  # the file name the user sees, e.g. "オンライン化_令和8年度.xlsx"
    description: str  # one Japanese line shown on the consent card
    params: Mapping[str, str] = field(default_factory=dict)


class ExportUnavailable(Exception):
    """An export whose file cannot be built any more (e.g. an in-memory report that expired);
    ``str(error)`` is a Japanese message the file sender shows as it is."""


# An export: builds the file's bytes (blocking; run off the event loop) for the person asking.
# It checks permissions itself (``services.people.permissions.require``) since it runs again at accept.
ExportBuilder = Callable[["DialogDeps", Actor, Mapping[str, str]], bytes]


class FileSender(Protocol):
    """Delivers files in Teams (implemented in ``bot/``)."""

    async def offer(self, turn: TurnContext, actor: Actor, offer: FileOffer) -> dict:
        """Send the consent card (in the user's 1:1 chat); return the card to show where the user clicked."""


class NullFileSender:
    async def offer(self, turn: TurnContext, actor: Actor, offer: FileOffer) -> dict:
        return error_card("ファイルの受け渡しはこの環境では使えません。")


@dataclass(frozen=True)
class DialogDeps:
    """Everything a dialog may use, built once by ``app.create_app``."""

    store: TableStore
    clock: Callable[[], datetime]
    people: PeopleService = field(default=None)  # type: ignore[assignment]  # filled in below when omitted
    notifier: Notifier = field(default_factory=NullNotifier)
    jobs: JobControl = field(default_factory=NullJobControl)
    settings: Settings = field(
        default_factory=Settings
    )  # programme options (e.g. N and M of online procedures)
    files: FileSender = field(default_factory=NullFileSender)  # files delivered in Teams (Excel exports)
    # the app-wide linkage-audit runtime (worker process, report vault, upload folders) built in
    # bot/runtime.py; typed loosely so that this shared module imports no programme
    audit: Any = None

    def __post_init__(self) -> None:
        if self.people is None:
            object.__setattr__(self, "people", PeopleService(self.store, self.clock))


T = TypeVar("T")


async def run_blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A blocking service call, off the event loop: on the loop's default executor, which the app
    sets to the storage pool's threads (``bot.storage_pool``)."""
    return await asyncio.to_thread(fn, *args, **kwargs)


class ProgrammeDialog(abc.ABC):
    def __init__(self, programme: ProgrammeInfo, deps: DialogDeps):
        self.programme = programme
        self.deps = deps

    _run = staticmethod(run_blocking)

    def today(self) -> date:
        """Today in Asia/Tokyo, by the app's clock."""
        return self.deps.clock().astimezone(TIMEZONE).date()

    @abc.abstractmethod
    async def open(self, turn: TurnContext, actor: Actor) -> dict:
        """The programme's first card."""

    @abc.abstractmethod
    async def act(self, turn: TurnContext, actor: Actor, verb: str, data: dict[str, Any]) -> dict:
        """Handle a card action whose verb starts with ``<programme key>.``; return the next card."""


class PreparingDialog(ProgrammeDialog):
    """Stands in for a programme until its own dialog lands."""

    async def open(self, turn: TurnContext, actor: Actor) -> dict:
        return preparing_card(self.programme)

    async def act(self, turn: TurnContext, actor: Actor, verb: str, data: dict[str, Any]) -> dict:
        return preparing_card(self.programme)
