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
from botbuilder.core import ConversationState, UserState, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity

from bot import signing_keys
from bot.adapter import build_adapter
from bot.file_delivery import TeamsFileSender
from bot.handler import IctBot
from bot.inbound import BadActivity, UnsupportedMediaType, parse_body, validate_activity
from bot.proactive import ProactiveNotifier
from bot.programmes import PROGRAMMES
from bot.replies import ReplyDelivery
from bot.scheduler import ProactiveRuntime
from bot.settings import Settings
from bot.state_storage import TableStoreStateStorage
from bot.storage_pool import track_turn_writes
from dialogs import people as people_dialogs
from dialogs.base import DialogDeps, ExportBuilder
from dialogs.menu import MainDialog
from dialogs.mynumber_audit import AuditRuntime
from services.kernel.privacy import mask_my_number
from services.people.service import PeopleService
from services.proactive.conversations import ConversationDirectory
from services.proactive.undelivered import UndeliveredReplies
from storage.base import TableStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BotRuntime:
    adapter: CloudAdapter
    bot: IctBot
    directory: ConversationDirectory
    proactive: ProactiveRuntime
    audit: AuditRuntime | None = None  # the linkage audit's worker process, report vault, uploads
    keys: signing_keys.SigningKeys | None = None  # refreshed in the background; None in anonymous mode
    replies: ReplyDelivery | None = None  # retries of turn replies, notices of undelivered ones

    def close(self) -> None:
        """Stop what runs beside the turns (the audit worker process and its background tasks)."""
        if self.audit is not None:
            self.audit.shutdown()

    async def process(self, body: bytes, content_type: str, authorization: str) -> web.StreamResponse:
        """Run one request body through the bot: parsed and validated once (400/415 if it is not an
        activity the bot can read), then authenticated and turned by botbuilder, which gets the
        activity parsed here. Turn errors never get here (on_turn_error answers them, invokes
        included); a malformed or forged token does, and becomes 401; signing keys that cannot be
        had in time make 503."""
        try:
            activity = validate_activity(parse_body(body, content_type))
        except UnsupportedMediaType as error:
            return web.json_response({"error": str(error)}, status=415)
        except BadActivity as error:
            return web.json_response({"error": str(error)}, status=400)
        _mask_free_text(activity)
        track_turn_writes()  # so that a storage outage is answered truthfully (bot.storage_pool)
        try:
            invoke_response = await self.adapter.process_activity(authorization, activity, self.bot.on_turn)
        except signing_keys.SigningKeysUnavailable:
            logger.error("token-signing keys unavailable: answered 503")
            return web.json_response(
                {"error": "authentication is temporarily unavailable"},
                status=503,
                headers={"Retry-After": str(signing_keys.RETRY_AFTER_SECONDS)},
            )
        except Exception as error:
            if not _is_auth_failure(error):
                raise
            logger.warning("refused a request that failed authentication: %s", type(error).__name__)
            return web.json_response({"error": "unauthorized"}, status=401)
        if invoke_response:
            return web.json_response(serializer_helper(invoke_response.body), status=invoke_response.status)
        return web.Response(status=201)


def _mask_free_text(activity: Activity) -> None:
    """My Numbers in what people type or are called are masked before the bot reads any of it
    (DESIGN §8): message text, display names. Card data is masked with the action (bot.actions)."""
    if activity.text:
        activity.text = mask_my_number(activity.text)
    for account in (activity.from_property, activity.recipient, activity.conversation):
        if account is not None and account.name:
            account.name = mask_my_number(account.name)


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
    replies = ReplyDelivery(UndeliveredReplies(store, clock), max_attempts=settings.proactive_max_attempts)
    replies.install(adapter)
    # botbuilder's blocking key fetch is replaced in any mode (anonymous mode still checks a token
    # that comes); the keys are kept fresh in the background only when tokens are required
    keys = signing_keys.install(settings.openid_metadata_url)
    keys = None if settings.anonymous else keys
    directory = ConversationDirectory(store, clock)
    people = PeopleService(store, clock)
    notifier = ProactiveNotifier(adapter, directory, settings.app_id)
    proactive = ProactiveRuntime(settings, store, adapter, directory, people, now=clock)
    files = TeamsFileSender(
        store,
        clock,
        adapter,
        directory,
        settings.app_id,
        all_exports(),
        offer_hours=settings.file_offer_hours,
    )
    audit = AuditRuntime.from_settings(settings)
    deps = DialogDeps(
        store=store,
        clock=clock,
        people=people,
        notifier=notifier,
        jobs=proactive,
        settings=settings,
        files=files,
        audit=audit,
    )
    files.bind(deps)
    dialogs = {p.info.key: p.dialog(p.info, deps) for p in PROGRAMMES}
    bot = IctBot(
        MainDialog(dialogs, deps),
        directory,
        conversation_state,
        user_state,
        people,
        files,
        attachment_hosts=settings.attachment_hosts,
        replies=replies,
    )
    return BotRuntime(
        adapter=adapter,
        bot=bot,
        directory=directory,
        proactive=proactive,
        audit=audit,
        keys=keys,
        replies=replies,
    )
