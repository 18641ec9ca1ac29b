"""The main menu dialog: greets, shows help, and routes keywords and verbs to programmes."""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import TurnContext

from cards.common import MENU_VERB
from cards.menu import menu_card, unknown_command_hint
from dialogs.base import ProgrammeDialog
from services.programmes import ProgrammeInfo, is_menu_request, match_programme

logger = logging.getLogger(__name__)


class MainDialog:
    def __init__(self, dialogs: dict[str, ProgrammeDialog]):
        self._dialogs = dialogs
        self._programmes: list[ProgrammeInfo] = [d.programme for d in dialogs.values()]

    def menu(self, hint: str | None = None) -> dict:
        return menu_card(self._programmes, hint)

    async def on_text(self, turn: TurnContext, text: str) -> dict:
        if not text.strip() or is_menu_request(text):
            return self.menu()
        key = match_programme(text, self._programmes)
        if key is None:
            return self.menu(unknown_command_hint(text.strip()))
        return await self._dialogs[key].open(turn)

    async def on_action(self, turn: TurnContext, verb: str, data: dict[str, Any]) -> dict:
        if verb == MENU_VERB:
            return self.menu()
        key, _, action = verb.partition(".")
        dialog = self._dialogs.get(key)
        if dialog is None or not action:
            logger.warning("card action with unknown verb %r", verb)
            return self.menu("このボタンは古いカードのもののようです。メニューからやり直してください。")
        if action == "open":
            return await dialog.open(turn)
        return await dialog.act(turn, verb, data)
