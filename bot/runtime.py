"""Builds the Bot Framework side of the app: state, dialogs, the bot and its adapter.

``app.create_app`` calls :func:`build_runtime` and knows nothing of botbuilder beyond
``BotRuntime.process``; that keeps botbuilder inside ``bot/`` and ``dialogs/``.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import jwt
from aiohttp import web
from botbuilder.core import ConversationState, UserState
from botbuilder.integration.aiohttp import CloudAdapter

from bot.adapter import build_adapter
from bot.file_delivery import TeamsFileSender
from bot.handler import IctBot
from bot.proactive import ProactiveNotifier
from bot.programmes import PROGRAMMES
from bot.scheduler import ProactiveRuntime
from bot.settings import Settings
from bot.state_storage import TableStoreStateStorage
from dialogs import people as people_dialogs
from dialogs.base import DialogDeps, ExportBuilder
from dialogs.menu import MainDialog
from dialogs.mynumber_audit import AuditRuntime
from services.people.service import PeopleService
from services.proactive.conversations import ConversationDirectory
from storage.base import TableStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BotRuntime:
    adapter: CloudAdapter
    bot: IctBot
    directory: ConversationDirectory
    proactive: ProactiveRuntime
    audit: AuditRuntime | None = None  # the linkage audit's worker process, report vault, uploads

    def close(self) -> None:
        """Stop what runs beside the turns (the audit worker process and its background tasks)."""
        if self.audit is not None:
            self.audit.shutdown()

    async def process(self, request: web.Request) -> web.StreamResponse | None:
        """Run one activity through the adapter. Turn errors never get here (on_turn_error
        answers them); a malformed or forged token does, and becomes 401, not 500."""
        try:
            return await self.adapter.process(request, self.bot)
        except web.HTTPException:
            raise
        except Exception as error:
            if not _is_auth_failure(error):
                raise
            logger.warning("refused a request that failed authentication: %s", type(error).__name__)
            return web.json_response({"error": "unauthorized"}, status=401)


def _is_auth_failure(error: BaseException) -> bool:
    """botframework's token validation raises assorted errors (PermissionError, PyJWT's
    DecodeError, ValueError from a token with too few segments…); all come from its auth package."""
    if isinstance(error, PermissionError | jwt.PyJWTError):
        return True
    frames = traceback.extract_tb(error.__traceback__)
    return any("botframework/connector/auth/" in frame.filename.replace("\\", "/") for frame in frames)


# Exports that belong to no programme (the people dialog is the admin menu, not a programme): the
# files its cards offer through ``deps.files``. A programme's own exports are on its registry line.
SHARED_EXPORTS: Mapping[str, ExportBuilder] = {
    people_dialogs.AUDIT_EXPORT: people_dialogs.export_audit,
    people_dialogs.ROSTER_EXPORT: people_dialogs.export_roster,
}


def all_exports() -> dict[str, ExportBuilder]:
    """Every export key → builder: the shared ones and each programme's; a key used twice is a bug."""
    exports = dict(SHARED_EXPORTS)
    for programme in PROGRAMMES:
        for key, builder in programme.exports.items():
            if key in exports:
                raise ValueError(f"export {key!r} is registered twice")
            exports[key] = builder
    return exports


def build_runtime(settings: Settings, store: TableStore, clock: Callable[[], datetime]) -> BotRuntime:
    state_storage = TableStoreStateStorage(store)
    conversation_state = ConversationState(state_storage)
    user_state = UserState(state_storage)
    adapter = build_adapter(settings, conversation_state)
    directory = ConversationDirectory(store, clock)
    people = PeopleService(store, clock)
    notifier = ProactiveNotifier(adapter, directory, settings.app_id)
    proactive = ProactiveRuntime(settings, store, adapter, directory, people, now=clock)
    files = TeamsFileSender(store, clock, adapter, directory, settings.app_id, all_exports(),
                            offer_hours=settings.file_offer_hours)
    audit = AuditRuntime.from_settings(settings)
    deps = DialogDeps(store=store, clock=clock, people=people, notifier=notifier, jobs=proactive,
                      settings=settings, files=files, audit=audit)
    files.bind(deps)
    dialogs = {p.info.key: p.dialog(p.info, deps) for p in PROGRAMMES}
    bot = IctBot(MainDialog(dialogs, deps), directory, conversation_state, user_state, people, files)
    return BotRuntime(adapter=adapter, bot=bot, directory=directory, proactive=proactive, audit=audit)
