"""Files delivered in Teams through file consent (DESIGN §4b): the real ``dialogs.base.FileSender``.

1. **Offer.** A card action calls ``deps.files.offer(turn, actor, FileOffer(...))``. The file is
   built once, only to learn its size for the consent card (Teams shows it), and discarded; the
   *request* (export key, params, who, file name, created, expires) is stored in the TableStore,
   never the file. The consent card (``application/vnd.microsoft.teams.card.file.consent``) carries
   only the request id in ``acceptContext``/``declineContext``. In a channel or group chat it goes
   to the person's 1:1 chat, through the conversation reference stored when they last wrote there.
2. **Accept** (``fileConsent/invoke``, ``action: accept``): the request is looked up (it belongs to
   the person who asked, and expires after ``FILE_OFFER_HOURS``), the file is built again, off the
   event loop, by the registered export from the data stored *now* (the export checks permissions
   again), ``PUT`` to ``uploadInfo.uploadUrl`` in chunks with ``Content-Range``, and a file info card
   (``application/vnd.microsoft.teams.card.file.info``) links to it. The request is then deleted.
   A refused upload keeps the request until it expires, so the user may try again.
3. **Decline**: a polite message; the request is deleted.

The invoke is always answered 200 (the handler's job); every problem becomes a Japanese message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Attachment, ConversationReference
from botbuilder.schema.teams import FileConsentCardResponse

from bot.files import loopback_host
from cards import files as cards
from dialogs.base import DialogDeps, ExportBuilder, ExportUnavailable, FileOffer
from services.kernel.settings import TIMEZONE
from services.people.identity import Actor
from services.people.permissions import Forbidden
from services.proactive.conversations import ConversationDirectory
from storage.base import Entity, TableStore, validate_key

logger = logging.getLogger(__name__)

FILE_CONSENT = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"
TABLE = "FileOffers"
UPLOAD_UNIT = 320 * 1024  # OneDrive upload sessions take chunks of a multiple of 320 KiB…
CHUNK_BYTES = 16 * UPLOAD_UNIT  # …and under 60 MiB each: 5 MiB
UPLOAD_TIMEOUT = aiohttp.ClientTimeout(total=120)
_KEY_ESCAPE = str.maketrans({c: f"%{ord(c):02X}" for c in "/\\#?%"})


def _key(text: str) -> str:
    return "".join(ch if ch.isprintable() else f"%{ord(ch):02X}" for ch in text.translate(_KEY_ESCAPE))[:500]


# --- the stored request ------------------------------------------------------------------------


@dataclass(frozen=True)
class FileRequest:
    request_id: str
    export: str
    params: dict[str, str]
    actor_id: str
    actor_name: str
    name: str
    description: str
    size: int
    created: datetime
    expires: datetime


class FileRequests:
    """The requests, one partition per person (their AAD object id): looking one up needs the
    person who answers the consent card, so nobody else can accept it."""

    def __init__(self, store: TableStore, clock: Callable[[], datetime]):
        self._store = store
        self._clock = clock

    def add(self, request: FileRequest) -> None:
        props = {
            "export": request.export,
            "params": json.dumps(request.params, ensure_ascii=False),
            "actor_name": request.actor_name,
            "name": request.name,
            "description": request.description,
            "size": request.size,
            "created": request.created,
            "expires": request.expires,
        }
        self._store.insert(TABLE, Entity(_key(request.actor_id), request.request_id, props))

    def get(self, actor_id: str, request_id: str) -> FileRequest | None:
        """The request, or None when unknown, somebody else's, or expired (then it is deleted)."""
        if not actor_id or not request_id:
            return None
        try:
            validate_key("RowKey", request_id)
        except ValueError:
            return None
        entity = self._store.get(TABLE, _key(actor_id), request_id)
        if entity is None:
            return None
        request = _request(actor_id, entity)
        if request.expires <= self._clock():
            self.delete(actor_id, request_id)
            return None
        return request

    def delete(self, actor_id: str, request_id: str) -> None:
        self._store.delete(TABLE, _key(actor_id), request_id)

    def purge_expired(self, actor_id: str) -> int:
        """Delete this person's expired requests (called at each new offer); returns how many."""
        now = self._clock()
        gone = 0
        for entity in list(self._store.query(TABLE, _key(actor_id))):
            if entity["expires"] <= now:
                self._store.delete(TABLE, entity.partition_key, entity.row_key)
                gone += 1
        return gone


def _request(actor_id: str, entity: Entity) -> FileRequest:
    params = json.loads(entity.get("params") or "{}")
    return FileRequest(
        request_id=entity.row_key,
        export=entity["export"],
        params={str(k): str(v) for k, v in params.items()},
        actor_id=actor_id,
        actor_name=entity.get("actor_name", ""),
        name=entity["name"],
        description=entity.get("description", ""),
        size=int(entity.get("size", 0)),
        created=entity["created"],
        expires=entity["expires"],
    )


# --- the upload ----------------------------------------------------------------------------------


class UploadRefused(Exception):
    def __init__(self, status: int | None, detail: str = ""):
        super().__init__(f"upload refused ({status}): {detail}")
        self.status = status


async def upload(
    url: str, data: bytes, *, chunk_bytes: int = CHUNK_BYTES, loopback_http: bool = True
) -> None:
    """PUT ``data`` to a OneDrive upload session in chunks (``Content-Range: bytes START-END/TOTAL``).

    Only https URLs; plain http only on loopback and only with ``loopback_http`` (the bot allows it
    in anonymous local mode, for tests and the Playground, never with an app id). Any answer but
    200/201/202 raises :class:`UploadRefused`."""
    if chunk_bytes % UPLOAD_UNIT or not 0 < chunk_bytes < 60 * 1024 * 1024:
        raise ValueError("a chunk is a multiple of 320 KiB and under 60 MiB")
    parts = urlsplit(url)
    https = parts.scheme == "https" and bool(parts.hostname)
    if not https and not (loopback_http and parts.scheme == "http" and loopback_host(parts.hostname or "")):
        raise UploadRefused(None, "the upload URL is not https")
    total = len(data)
    try:
        async with aiohttp.ClientSession(timeout=UPLOAD_TIMEOUT) as session:
            start = 0
            while True:
                chunk = data[start : start + chunk_bytes]
                end = start + len(chunk) - 1
                headers = {"Content-Length": str(len(chunk)), "Content-Range": f"bytes {start}-{end}/{total}"}
                async with session.put(url, data=chunk, headers=headers) as response:
                    if response.status not in (200, 201, 202):
                        raise UploadRefused(response.status, (await response.text())[:300])
                start += len(chunk)
                if start >= total:
                    return
    except (aiohttp.ClientError, TimeoutError) as error:
        raise UploadRefused(None, repr(error)) from error


# --- the sender ------------------------------------------------------------------------------------


def consent_attachment(request: FileRequest) -> Attachment:
    context = {"request": request.request_id}
    return Attachment(
        content_type=FILE_CONSENT,
        name=request.name,
        content={
            "description": request.description,
            "sizeInBytes": request.size,
            "acceptContext": context,
            "declineContext": context,
        },
    )


def info_attachment(upload_info: Any) -> Attachment:
    return Attachment(
        content_type=FILE_INFO,
        content_url=upload_info.content_url,
        name=upload_info.name,
        content={"uniqueId": upload_info.unique_id, "fileType": upload_info.file_type},
    )


UNKNOWN_MESSAGE = (
    "この受け取り確認は期限が切れたか、すでに使われています。お手数ですが、カードの"
    "「Excel で受け取る」をもう一度押してください。"
)
REFUSED_MESSAGE = (
    "「{name}」を OneDrive に保存できませんでした（{why}）。時間をおいて、同じ受け取り確認の"
    "「許可」をもう一度押すか、カードの「Excel で受け取る」からやり直してください。"
)
BUILD_FAILED_MESSAGE = (
    "「{name}」を作成できませんでした。しばらくしてからもう一度お試しください。解決しない場合は "
    "ICTイノベーション推進室にお問い合わせください。"
)
FORBIDDEN_MESSAGE = (
    "「{name}」を受け取る権限がなくなっています。必要な場合は ICTイノベーション推進室にお問い合わせください。"
)
DECLINED_MESSAGE = (
    "「{name}」の受け取りを取りやめました。"
    "必要になったら、カードの「Excel で受け取る」をもう一度押してください。"
)
DONE_MESSAGE = "「{name}」を OneDrive に保存しました。下のファイルから開けます。"


class TeamsFileSender:
    """``deps.files``: offers files through file consent and answers the user's consent."""

    def __init__(
        self,
        store: TableStore,
        clock: Callable[[], datetime],
        adapter: CloudAdapter,
        directory: ConversationDirectory,
        app_id: str,
        exports: Mapping[str, ExportBuilder],
        *,
        offer_hours: int = 24,
        chunk_bytes: int = CHUNK_BYTES,
        loopback_http: bool | None = None,
    ):
        self.requests = FileRequests(store, clock)
        self._clock = clock
        self._adapter = adapter
        self._directory = directory
        self._app_id = app_id
        self._exports = dict(exports)
        self._offer_hours = offer_hours
        self._chunk_bytes = chunk_bytes
        self._loopback_http = not app_id if loopback_http is None else loopback_http
        self._deps: DialogDeps | None = None

    def bind(self, deps: DialogDeps) -> None:
        """The deps the exports build with (they hold this sender too, hence after construction)."""
        self._deps = deps

    async def _build(self, export: str, actor: Actor, params: Mapping[str, str]) -> bytes:
        builder = self._exports.get(export)
        if builder is None or self._deps is None:
            raise LookupError(f"no export is registered as {export!r}")
        return await asyncio.to_thread(builder, self._deps, actor, params)

    # --- offer ---------------------------------------------------------------------------------

    async def offer(self, turn: TurnContext, actor: Actor, offer: FileOffer) -> dict:
        conversation = turn.activity.conversation
        elsewhere = conversation is not None and conversation.conversation_type in ("channel", "groupChat")
        if not actor.object_id:
            return cards.personal_chat_needed_card(offer.name)
        reference = None
        if elsewhere:
            record = await asyncio.to_thread(self._directory.personal_for, actor.object_id)
            if record is None:
                return cards.personal_chat_needed_card(offer.name)
            reference = ConversationReference().deserialize(record.reference)
            reference.activity_id = None
        # Built once to learn the size the consent card shows (and to check permissions now);
        # the bytes are discarded. Forbidden escapes to MainDialog's polite card.
        data = await self._build(offer.export, actor, offer.params)
        now = self._clock()
        request = FileRequest(
            request_id=uuid.uuid4().hex,
            export=offer.export,
            params=dict(offer.params),
            actor_id=actor.object_id,
            actor_name=actor.name,
            name=offer.name,
            description=offer.description,
            size=len(data),
            created=now,
            expires=now + timedelta(hours=self._offer_hours),
        )
        await asyncio.to_thread(self.requests.purge_expired, actor.object_id)
        await asyncio.to_thread(self.requests.add, request)
        activity = MessageFactory.attachment(consent_attachment(request))
        try:
            if reference is None:
                await turn.send_activity(activity)
            else:
                await self._send_personal(reference, activity)
        except Exception as error:  # noqa: BLE001 - the user gets a card saying so
            logger.warning("could not send the file consent card for %s: %s", offer.export, error)
            await asyncio.to_thread(self.requests.delete, actor.object_id, request.request_id)
            status = getattr(getattr(error, "response", None), "status_code", None)
            if reference is not None and status in (403, 404):
                await asyncio.to_thread(self._directory.deactivate, reference.conversation.id)
                return cards.personal_chat_needed_card(offer.name)
            return cards.file_unavailable_card(
                offer.name, "送信中に問題が発生しました。しばらくしてからもう一度お試しください。"
            )
        logger.info("offered %s (%d bytes) as request %s", offer.export, request.size, request.request_id)
        return cards.file_offered_card(
            offer.name, request.size, request.expires.astimezone(TIMEZONE), elsewhere=elsewhere
        )

    async def _send_personal(self, reference: ConversationReference, activity: Any) -> None:
        """Post to the 1:1 chat with the connector client itself, as ``bot.proactive.ProactiveSender``
        does: a failure inside ``continue_conversation`` would otherwise go to the adapter's
        ``on_turn_error`` (an apology posted into the chat that refused) instead of raising here."""
        failure: list[BaseException] = []

        async def post(turn: TurnContext) -> None:
            incoming = turn.activity
            activity.channel_id = incoming.channel_id
            activity.service_url = incoming.service_url
            activity.conversation = incoming.conversation
            activity.from_property = incoming.recipient
            activity.recipient = incoming.from_property
            client = turn.turn_state[self._adapter.BOT_CONNECTOR_CLIENT_KEY]
            try:
                await client.conversations.send_to_conversation(incoming.conversation.id, activity)
            except Exception as error:  # noqa: BLE001 - raised below, outside the pipeline
                failure.append(error)

        await self._adapter.continue_conversation(reference, post, self._app_id)
        if failure:
            raise failure[0]

    # --- the user's answer ---------------------------------------------------------------------

    async def answer(self, turn: TurnContext, actor: Actor, response: FileConsentCardResponse) -> None:
        """Handle ``fileConsent/invoke``. Never raises: every outcome is a message to the user."""
        context = response.context if isinstance(response.context, dict) else {}
        request_id = str(context.get("request") or "")
        try:
            request = await asyncio.to_thread(self.requests.get, actor.object_id, request_id)
            if request is None:
                declined = response.action != "accept"
                await turn.send_activity(
                    DECLINED_MESSAGE.format(name="ファイル") if declined else UNKNOWN_MESSAGE
                )
                return
            if response.action == "accept":
                await self._accept(turn, actor, request, response)
            else:
                await asyncio.to_thread(self.requests.delete, actor.object_id, request.request_id)
                await turn.send_activity(DECLINED_MESSAGE.format(name=request.name))
        except Exception:  # noqa: BLE001 - the invoke must still be answered 200
            logger.exception("file consent %s failed", response.action)
            try:
                await turn.send_activity(BUILD_FAILED_MESSAGE.format(name="ファイル"))
            except Exception:  # noqa: BLE001
                logger.exception("could not tell the user")

    async def _accept(
        self, turn: TurnContext, actor: Actor, request: FileRequest, response: FileConsentCardResponse
    ) -> None:
        info = response.upload_info
        if info is None or not info.upload_url:
            await turn.send_activity(
                REFUSED_MESSAGE.format(name=request.name, why="保存先が届きませんでした")
            )
            return
        try:
            data = await self._build(request.export, actor, request.params)
        except Forbidden:
            await asyncio.to_thread(self.requests.delete, actor.object_id, request.request_id)
            await turn.send_activity(FORBIDDEN_MESSAGE.format(name=request.name))
            return
        except ExportUnavailable as gone:  # e.g. an in-memory report that expired: say why
            await asyncio.to_thread(self.requests.delete, actor.object_id, request.request_id)
            await turn.send_activity(str(gone))
            return
        except Exception:  # noqa: BLE001
            logger.exception("export %s failed", request.export)
            await turn.send_activity(BUILD_FAILED_MESSAGE.format(name=request.name))
            return
        try:
            await upload(
                info.upload_url, data, chunk_bytes=self._chunk_bytes, loopback_http=self._loopback_http
            )
        except UploadRefused as refused:
            logger.warning("upload of request %s refused: %s", request.request_id, refused)
            why = f"HTTP {refused.status}" if refused.status else "接続できませんでした"
            await turn.send_activity(REFUSED_MESSAGE.format(name=request.name, why=why))
            return  # the request stays until it expires: the user may accept again
        await asyncio.to_thread(self.requests.delete, actor.object_id, request.request_id)
        logger.info("delivered request %s (%s, %d bytes)", request.request_id, request.export, len(data))
        reply = MessageFactory.attachment(info_attachment(info))
        reply.text = DONE_MESSAGE.format(name=info.name or request.name)
        await turn.send_activity(reply)
