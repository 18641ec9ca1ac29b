"""The main menu dialog: greets, shows help, and routes keywords and verbs to programmes, the admin
menu and the registration flow. The one place that turns ``Forbidden`` into the polite card."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from botbuilder.core import TurnContext

from cards.common import MENU_VERB
from cards.menu import SMALL_TALK_REPLIES, files_help_card, menu_card, not_allowed_card, unknown_command_hint
from dialogs.base import DialogDeps, IncomingFile, ProgrammeDialog
from dialogs.people import AdminDialog, RegistrationDialog
from dialogs.proactive import ProactiveDialog, is_channel_command, is_jobs_command
from services.kernel.programmes import ProgrammeInfo, is_menu_request, match_programme, normalise, small_talk
from services.people.identity import Actor
from services.people.permissions import Forbidden

logger = logging.getLogger(__name__)

ADMIN_KEYWORDS = ("管理", "admin", "管理メニュー")
#: The files the admin menu takes (a programme's dialog lists its own in ``accepted_files``).
ADMIN_FILES = (("組織ファイル・名簿ファイル（CSV（UTF-8）または Excel）", "管理者"),)


class MainDialog:
    def __init__(self, dialogs: dict[str, ProgrammeDialog], deps: DialogDeps | None = None):
        self._dialogs = dialogs
        self._programmes: list[ProgrammeInfo] = [d.programme for d in dialogs.values()]
        if deps is None:  # every programme dialog shares one DialogDeps
            deps = next(iter(dialogs.values())).deps
        self._admin = AdminDialog(deps)
        self._registration = RegistrationDialog(deps)
        self._proactive = ProactiveDialog(deps)

    async def menu(self, actor: Actor, hint: str | None = None) -> dict:
        note = await self._registration.menu_note(actor)
        return menu_card(self._programmes, hint, admin=actor.person.is_admin, registration=note)

    async def _guarded(self, step: Callable[[], Awaitable[dict]]) -> dict:
        try:
            return await step()
        except Forbidden as refusal:  # nothing was written: services check before they write
            return not_allowed_card(refusal.what, refusal.who)

    async def on_text(self, turn: TurnContext, actor: Actor, text: str) -> dict:
        if not text.strip() or is_menu_request(text):
            return await self.menu(actor)
        if normalise(text) in {normalise(k) for k in ADMIN_KEYWORDS}:
            return await self._guarded(lambda: self._admin.open(turn, actor))
        if is_channel_command(text):
            return await self._guarded(lambda: self._proactive.register_here(turn, actor))
        if is_jobs_command(text):
            return await self._guarded(lambda: self._proactive.jobs(actor))
        key = match_programme(text, self._programmes)
        if key is None:
            kind = small_talk(text)
            if kind is not None:
                return await self.menu(actor, SMALL_TALK_REPLIES[kind])
            return await self.menu(actor, unknown_command_hint(text.strip()))
        return await self._guarded(lambda: self._dialogs[key].open(turn, actor))

    async def on_action(self, turn: TurnContext, actor: Actor, verb: str, data: dict[str, Any]) -> dict:
        if verb == MENU_VERB:
            return await self.menu(actor)
        key, _, action = verb.partition(".")
        if key == "admin" and action:
            return await self._guarded(lambda: self._admin.act(turn, actor, verb, data))
        if key == "register" and action:
            return await self._guarded(lambda: self._registration.act(turn, actor, verb, data))
        if key == "proactive" and action:
            return await self._guarded(lambda: self._proactive.act(turn, actor, verb, data))
        dialog = self._dialogs.get(key)
        if dialog is None or not action:
            logger.info("card action with unknown verb %r", verb[:100])
            return await self.menu(
                actor, "このボタンは古いカードのもののようです。メニューからやり直してください。"
            )
        if action == "open":
            return await self._guarded(lambda: dialog.open(turn, actor))
        return await self._guarded(lambda: dialog.act(turn, actor, verb, data))

    async def on_files(self, turn: TurnContext, actor: Actor, files: Sequence[IncomingFile]) -> dict:
        """Files attached in a 1:1 chat. A programme waiting for this person's files (its
        ``awaits_files(actor)``, e.g. 全データ点検) gets them first, for any role
        (``on_awaited_files``). Otherwise, for administrators: a file a programme recognises (its
        ``claims_file(name, data)``, e.g. the online-procedures table) goes to that programme's
        ``on_file``; anything else is an organisation or roster import. Somebody else is served only by
        a programme whose ``accepts_files_from(person)`` says yes (e.g. a partner contact's smartphone
        classes), and only with a file that programme claims. Nothing is downloaded for anybody else:
        they are told which files the bot takes, and from whom (each dialog's ``accepted_files``: pairs
        of what and who)."""
        for dialog in self._dialogs.values():
            awaits = getattr(dialog, "awaits_files", None)
            if files and awaits is not None and await awaits(actor):
                receive = dialog.on_awaited_files  # type: ignore[attr-defined]  # with awaits_files
                return await self._guarded(lambda receive=receive: receive(turn, actor, files))
        if not actor.person.is_admin:
            senders = [
                d for d in self._dialogs.values() if getattr(d, "accepts_files_from", None) is not None
            ]
            mine = [
                d for d in senders if files and await asyncio.to_thread(d.accepts_files_from, actor.person)
            ]
            try:
                data = await files[0].read() if mine else None
            except Exception:
                data = None
            for dialog in mine:
                if data is not None and dialog.claims_file(files[0].name, data):
                    name = files[0].name
                    return await self._guarded(lambda d=dialog, b=data, n=name: d.on_file(turn, actor, n, b))
            accepted = [*ADMIN_FILES]
            for dialog in self._dialogs.values():
                accepted += list(getattr(dialog, "accepted_files", ()))
            return files_help_card(accepted)
        if files:
            try:
                data = await files[0].read()
            except Exception:  # the admin import downloads again and reports the error
                data = None
            if data is not None:
                for dialog in self._dialogs.values():
                    claims = getattr(dialog, "claims_file", None)
                    if claims is not None and claims(files[0].name, data):
                        return await self._guarded(
                            lambda d=dialog: d.on_file(turn, actor, files[0].name, data)
                        )

                async def read_again(data: bytes = data) -> bytes:
                    return data

                files = [IncomingFile(files[0].name, read_again), *files[1:]]
        return await self._guarded(lambda: self._admin.on_files(turn, actor, files))
