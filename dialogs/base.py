"""What every programme dialog looks like, and what it may use.

A dialog turns a user's request (a keyword, or a card action with a ``verb``) into the card the
user sees next. It never decides how the card travels: the bot edge returns it in place for an
``Action.Execute`` invoke, or updates/sends a message for ``Action.Submit``.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext

from cards.menu import preparing_card
from services.programmes import ProgrammeInfo
from storage.base import TableStore


@dataclass(frozen=True)
class DialogDeps:
    """Everything a dialog may use, built once by ``app.create_app``."""

    store: TableStore
    clock: Callable[[], datetime]


class ProgrammeDialog(abc.ABC):
    def __init__(self, programme: ProgrammeInfo, deps: DialogDeps):
        self.programme = programme
        self.deps = deps

    @abc.abstractmethod
    async def open(self, turn: TurnContext) -> dict:
        """The programme's first card."""

    @abc.abstractmethod
    async def act(self, turn: TurnContext, verb: str, data: dict[str, Any]) -> dict:
        """Handle a card action whose verb starts with ``<programme key>.``; return the next card."""


class PreparingDialog(ProgrammeDialog):
    """Stands in for a programme until its own dialog lands."""

    async def open(self, turn: TurnContext) -> dict:
        return preparing_card(self.programme)

    async def act(self, turn: TurnContext, verb: str, data: dict[str, Any]) -> dict:
        return preparing_card(self.programme)
