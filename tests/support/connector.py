"""A local stand-in for the Bot Framework connector service (Teams' side of a conversation).

The bot sends its replies to ``activity.serviceUrl``; pointing that at this server on loopback
lets tests and benchmarks see every reply without any network. Used by ``tests/http`` and
``bench/turns.py``.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class LoopbackConnector:
    """What the connector stand-ins share: a server on loopback, on a free port, that takes the
    activities the bot posts (``_post``, for a new post and a reply alike). Subclasses answer
    ``_post``, may add routes in ``_routes``, and call ``_serve`` from their ``start``."""

    host: str = "127.0.0.1"
    url: str = ""
    _runner: web.AppRunner | None = None

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/v3/conversations/{conversation_id}/activities", self._post)
        app.router.add_post("/v3/conversations/{conversation_id}/activities/{activity_id}", self._post)

    async def _serve(self) -> None:
        app = web.Application()
        self._routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{self.host}:{port}/"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _post(self, request: web.Request) -> web.Response:
        raise NotImplementedError


@dataclass
class RecordingConnector(LoopbackConnector):
    """Records every activity the bot posts or updates. ``await start()`` then use ``url``."""

    activities: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _arrived: asyncio.Event | None = None

    def _routes(self, app: web.Application) -> None:
        super()._routes(app)
        app.router.add_put("/v3/conversations/{conversation_id}/activities/{activity_id}", self._put)

    async def start(self) -> RecordingConnector:
        await self._serve()
        self._arrived = asyncio.Event()
        return self

    async def _post(self, request: web.Request) -> web.Response:
        activity = await request.json()
        activity["_conversation_id"] = request.match_info["conversation_id"]
        self.activities.append(activity)
        if self._arrived is not None:
            self._arrived.set()
        return web.json_response({"id": f"reply-{next(self._ids)}"})

    async def _put(self, request: web.Request) -> web.Response:
        activity = await request.json()
        activity["_activity_id"] = request.match_info["activity_id"]
        self.updates.append(activity)
        return web.json_response({"id": request.match_info["activity_id"]})

    def cards(self) -> list[dict[str, Any]]:
        """The Adaptive Cards of every posted activity, in order."""
        return [
            a["content"]
            for activity in self.activities
            for a in activity.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]

    def texts(self) -> list[str]:
        return [a.get("text") or "" for a in self.activities]
