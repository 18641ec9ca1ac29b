"""A virtual clock for async code: ``sleep`` never sleeps, time jumps to the next wake-up.

``FakeClock`` implements the ``services.proactive.dispatch.Clock`` protocol (``now``, ``monotonic``,
``sleep``). Sleepers wait on futures; once the event loop has nothing else to do (checked by
letting it spin a number of times), virtual time advances to the earliest wake-up and that
sleeper runs. Concurrent sleeps therefore overlap as they would in real time, and a test that
"waits" an hour of Retry-After finishes in milliseconds.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from datetime import datetime, timedelta

_IDLE_SPINS = 50


class FakeClock:
    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self.start = start
        self.elapsed = 0.0
        self.sleeps: list[float] = []
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._advancing = False

    # --- the Clock protocol --------------------------------------------------------------------

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        return self.elapsed

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._sleepers, (self.elapsed + seconds, next(self._seq), future))
        if not self._advancing:
            self._advancing = True
            loop.call_soon(self._spin, _IDLE_SPINS)
        await future

    # --- plain helpers ---------------------------------------------------------------------------

    def __call__(self) -> datetime:
        """So the clock can also be passed where a ``Callable[[], datetime]`` is expected."""
        return self.now()

    def advance(self, seconds: float) -> None:
        """Move time forward by hand (for code that only reads the clock)."""
        self.elapsed += seconds

    def _spin(self, left: int) -> None:
        loop = asyncio.get_event_loop()
        if left > 0:
            loop.call_soon(self._spin, left - 1)
            return
        while self._sleepers and self._sleepers[0][2].done():  # cancelled sleepers
            heapq.heappop(self._sleepers)
        if not self._sleepers:
            self._advancing = False
            return
        wake, _, future = heapq.heappop(self._sleepers)
        self.elapsed = max(self.elapsed, wake)
        future.set_result(None)
        loop.call_soon(self._spin, _IDLE_SPINS)
