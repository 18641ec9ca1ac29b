"""A local connector that fails on cue (127.0.0.1 only): the faults of issue 18 §4.

Each conversation has a script of :class:`Fault` s, used one per request (POST of a new post or a
reply, PUT of a card update); when the script is used up, requests succeed. A fault answers an
HTTP status (with or without ``Retry-After``, with a JSON or a plain-text body, as a gateway
would), or gives **no answer** (``hang``): the server holds the request until the test ends. A
hanging fault may first deliver the activity (``arrives=True``): the message was posted and only
the answer was lost, the case where sending again would post it twice.

Everything is counted: every request that arrived (``requests``), and what was delivered per
conversation (``delivered``, new posts and replies; ``updated``, card updates by activity id).
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.connector import LoopbackConnector


@dataclass(frozen=True)
class Fault:
    status: int = 0  # 0: no answer at all (hang)
    retry_after: str | None = None
    plain_text: bool = False  # a gateway's text/plain body instead of the connector's JSON
    arrives: bool = False  # a hang after the activity was delivered

    @property
    def hang(self) -> bool:
        return self.status == 0

    def __str__(self) -> str:
        if self.hang:
            return "no answer (delivered)" if self.arrives else "no answer"
        after = f" Retry-After {self.retry_after}" if self.retry_after else ""
        return f"{self.status}{after}{' text/plain' if self.plain_text else ''}"


NO_ANSWER = Fault()
NO_ANSWER_BUT_POSTED = Fault(arrives=True)


@dataclass
class FaultyConnector(LoopbackConnector):
    script: dict[str, list[Fault]] = field(default_factory=dict)
    chance: list[tuple[Fault, float]] = field(default_factory=list)  # unscripted requests: at random
    seed: int = 0
    arrived_unanswered: list[dict[str, Any]] = field(default_factory=list)  # posted, never answered
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (method, conversation, outcome)
    delivered: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    updated: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _release: asyncio.Event | None = None
    _rng: random.Random = field(default_factory=random.Random)

    async def start(self) -> FaultyConnector:
        self._rng = random.Random(self.seed)
        self._release = asyncio.Event()
        await self._serve()
        return self

    async def stop(self) -> None:
        if self._release is not None:
            self._release.set()  # let held requests end, so the server can shut down at once
        await super().stop()

    def _routes(self, app: web.Application) -> None:
        super()._routes(app)
        app.router.add_put("/v3/conversations/{conversation_id}/activities/{activity_id}", self._put)

    def fail(self, conversation_id: str, *faults: Fault) -> None:
        self.script.setdefault(conversation_id, []).extend(faults)

    async def _post(self, request: web.Request) -> web.StreamResponse:
        return await self._answer(request, "POST")

    async def _put(self, request: web.Request) -> web.StreamResponse:
        return await self._answer(request, "PUT")

    async def _answer(self, request: web.Request, method: str) -> web.StreamResponse:
        conversation_id = request.match_info["conversation_id"]
        activity = await request.json()
        steps = self.script.get(conversation_id)
        fault = steps.pop(0) if steps else self._roll()
        self.requests.append((method, conversation_id, str(fault) if fault else "ok"))
        if fault is None or (fault.hang and fault.arrives):
            self._keep(method, conversation_id, request, activity)
        if fault is not None and fault.hang and fault.arrives:
            self.arrived_unanswered.append(activity)
        if fault is None:
            return web.json_response({"id": request.match_info.get("activity_id") or f"m-{next(self._ids)}"})
        if fault.hang:
            assert self._release is not None
            await self._release.wait()
            return web.Response(status=503)
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        if fault.plain_text:
            return web.Response(status=fault.status, text="Bad Gateway", headers=headers)
        return web.json_response(
            {"error": {"code": f"Injected{fault.status}", "message": "injected"}},
            status=fault.status,
            headers=headers,
        )

    def _roll(self) -> Fault | None:
        roll = self._rng.random()
        for fault, probability in self.chance:
            if roll < probability:
                return fault
            roll -= probability
        return None

    def _keep(self, method: str, conversation_id: str, request: web.Request, activity: dict) -> None:
        if method == "PUT":
            self.updated[request.match_info["activity_id"]].append(activity)
        else:
            self.delivered[conversation_id].append(activity)

    # --- what the tests read ------------------------------------------------------------------

    def posts(self, conversation_id: str) -> int:
        return sum(1 for m, c, _ in self.requests if m == "POST" and c == conversation_id)

    def texts(self, conversation_id: str) -> list[str]:
        return [a.get("text") or "" for a in self.delivered.get(conversation_id, [])]

    def cards(self, conversation_id: str) -> list[dict[str, Any]]:
        return [
            a["content"]
            for activity in self.delivered.get(conversation_id, [])
            for a in activity.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]

    def duplicates(self) -> int:
        """Activities delivered more than once to a conversation (same attachments and text)."""
        extra = 0
        for activities in self.delivered.values():
            seen: set[str] = set()
            for activity in activities:
                key = repr((activity.get("text"), activity.get("attachments"), activity.get("replyToId")))
                extra += key in seen
                seen.add(key)
        return extra
