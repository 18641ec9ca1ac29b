"""A local Bot Framework connector that behaves like Teams under load (127.0.0.1 only).

It accepts ``POST /v3/conversations/{id}/activities`` like ``RecordingConnector``, and also:

- enforces Teams' per-conversation limits (7/1 s, 8/2 s, 60/30 s, 1800/h, sliding): a message
  over a limit gets ``429`` with ``Retry-After`` and is not delivered;
- injects failures at random: ``p429`` of requests get ``429`` (``Retry-After: 1``), ``p5xx`` get
  ``502`` or ``504`` with a plain-text body, as a gateway would send;
- answers scripted statuses per conversation (``script``), e.g. ``403 MessageWritesBlocked``;
- records what it delivered per conversation and when every request arrived, so a test or
  ``bench/fanout.py`` can count duplicates and losses and check the app-wide rate.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from services.proactive.pacing import TEAMS_CONVERSATION_WINDOWS, SlidingWindowLimiter
from tests.support.connector import LoopbackConnector


@dataclass
class Scripted:
    status: int
    code: str = ""
    retry_after: str | None = None


@dataclass
class ThrottlingConnector(LoopbackConnector):
    """Serves like ``RecordingConnector`` (the same loopback server), but delivers, refuses and
    counts as described above. ``await start()`` then use ``url``."""

    p429: float = 0.0
    p5xx: float = 0.0
    retry_after: str = "1"
    seed: int = 0
    latency: float = 0.0
    script: dict[str, list[Scripted]] = field(default_factory=dict)
    delivered: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    arrivals: list[float] = field(default_factory=list)  # monotonic time of every request
    injected: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    throttled: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # 429s per conversation
    _limits: dict[str, SlidingWindowLimiter] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _rng: random.Random | None = None

    async def start(self) -> ThrottlingConnector:
        self._rng = random.Random(self.seed)
        await self._serve()
        return self

    def _limiter(self, conversation_id: str) -> SlidingWindowLimiter:
        if conversation_id not in self._limits:
            self._limits[conversation_id] = SlidingWindowLimiter(TEAMS_CONVERSATION_WINDOWS, margin=0.0)
        return self._limits[conversation_id]

    async def _post(self, request: web.Request) -> web.Response:
        now = time.monotonic()
        self.arrivals.append(now)
        conversation_id = request.match_info["conversation_id"]
        activity = await request.json()
        if self.latency:
            await asyncio.sleep(self.latency)
        steps = self.script.get(conversation_id)
        if steps:
            step = steps.pop(0)
            self.injected[f"scripted {step.status}"] += 1
            headers = {"Retry-After": step.retry_after} if step.retry_after else {}
            return web.json_response(
                {"error": {"code": step.code, "message": f"scripted {step.status}"}},
                status=step.status,
                headers=headers,
            )
        assert self._rng is not None
        roll = self._rng.random()
        if roll < self.p429:
            self.injected["429"] += 1
            self.throttled[conversation_id] += 1
            return web.json_response(
                {"error": {"code": "TooManyRequests", "message": "injected"}},
                status=429,
                headers={"Retry-After": self.retry_after},
            )
        if roll < self.p429 + self.p5xx:
            status = self._rng.choice((502, 504))
            self.injected[str(status)] += 1
            return web.Response(status=status, text="Bad Gateway" if status == 502 else "Gateway Timeout")
        limiter = self._limiter(conversation_id)
        limiter.prune(now)
        if not limiter.fits(now):
            self.injected["429 over the conversation limit"] += 1
            self.throttled[conversation_id] += 1
            return web.json_response(
                {"error": {"code": "TooManyRequests", "message": "conversation limit"}},
                status=429,
                headers={"Retry-After": "1"},
            )
        limiter.add(now)
        activity["_conversation_id"] = conversation_id
        self.delivered[conversation_id].append(activity)
        return web.json_response({"id": f"msg-{next(self._ids)}"})

    # --- figures --------------------------------------------------------------------------------

    def cards(self, conversation_id: str) -> list[dict[str, Any]]:
        return [
            a["content"]
            for activity in self.delivered.get(conversation_id, [])
            for a in activity.get("attachments") or []
        ]

    def duplicates(self) -> int:
        return sum(len(v) - 1 for v in self.delivered.values() if len(v) > 1)

    def max_rate(self, seconds: float = 1.0) -> int:
        """The most requests that arrived within any ``seconds``-long window."""
        times = sorted(self.arrivals)
        return max((bisect_right(times, t) - bisect_right(times, t - seconds) for t in times), default=0)
