"""Issue 18 §4: a digest fan-out to 150 managers killed outright (SIGKILL) at random moments.

What cannot be closed: Teams takes a message, and the process dies before it writes ``sent``; the
restart cannot know whether that message arrived, and sends it again (the connector has no
idempotency key). Everything else is closed by the outbox (insert-if-absent keys, leases). So the
test measures: for each kill, the messages *in flight* (the connector took them, the outbox still
says ``pending``), then after the restart (ten minutes on: the leases ran out) the duplicates and
the lost. It must hold that lost = 0 and duplicates = in flight at the kill (≤ the dispatcher's
concurrency, 16).

Kills: half of them at the arrival of the K-th message, before the connector answers (a message
certainly in flight); half at a random 0–40 ms after the K-th arrival (a random moment of the
fan-out). K is random in 1..149. ``CRASH_FANOUT_TRIALS`` sets the number of kills (default 3; each
takes about half a minute: the digest is planned twice, at the start and at the restart).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import threading
from collections import Counter
from pathlib import Path

import pytest
from aiohttp import web

from services.proactive.deliveries import DeliveryState, Outbox
from services.proactive.jobs import WEEKLY_DIGEST
from storage.sqlite import SqliteTableStore
from tests.support import crash

MANAGERS = 150
TRIALS = int(os.environ.get("CRASH_FANOUT_TRIALS", "3"))
CONCURRENCY = 16  # services.proactive.dispatch.Dispatcher's default


class KillingConnector:
    """A connector on loopback (in a thread of its own) that records every post per conversation
    and SIGKILLs the bot at the chosen arrival."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.total = 0
        self.open = 0
        self.max_open = 0
        self.kill_at = 0
        self.pid = 0
        self.delay: float | None = None  # None: before answering; else seconds after the arrival
        self.killed = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.url = ""
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> KillingConnector:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self.loop).result(30)
        return self

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation_id}/activities", self._post)
        app.router.add_post("/v3/conversations/{conversation_id}/activities/{activity_id}", self._post)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/"  # type: ignore[union-attr]

    def _kill(self) -> None:
        if self.pid and not self.killed.is_set():
            os.kill(self.pid, signal.SIGKILL)
            self.killed.set()

    async def _post(self, request: web.Request) -> web.Response:
        await request.read()
        self.received[request.match_info["conversation_id"]] += 1
        self.total += 1
        self.open += 1
        self.max_open = max(self.max_open, self.open)
        try:
            if self.total == self.kill_at:
                if self.delay is None:
                    self._kill()  # Teams has the message; the bot never hears back
                else:
                    self.loop.call_later(self.delay, self._kill)
            await asyncio.sleep(0.002)
            return web.json_response({"id": f"m-{self.total}"})
        finally:
            self.open -= 1

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)


def _outbox(data_dir: Path) -> dict[str, DeliveryState]:
    store = SqliteTableStore(data_dir / "fanout.sqlite3")
    try:
        from datetime import datetime, timedelta

        outbox = Outbox(store, datetime.now, "reader", timedelta(minutes=1))
        return {r.target: r.state for r in outbox.records(WEEKLY_DIGEST)}
    finally:
        store.close()


def _trial(tmp_path: Path, n: int, rng: random.Random) -> dict[str, int]:
    data_dir = tmp_path / f"trial-{n}"
    data_dir.mkdir()
    connector = KillingConnector().start()
    connector.kill_at = rng.randint(1, MANAGERS - 1)
    connector.delay = None if n % 2 == 0 else rng.uniform(0.0, 0.04)
    try:
        first = crash.start(
            ["-m", "tests.support.crash", "fanout", str(data_dir), connector.url, str(MANAGERS), "first"]
        )
        assert first.stdout is not None
        crash.wait_for_point(first, "ready")
        connector.pid = first.pid
        out, err = first.communicate(timeout=300)
        assert first.returncode == -signal.SIGKILL, f"the fan-out ended before the kill: {err[-2000:]}"
        at_kill = dict(connector.received)
        states = _outbox(data_dir)
        in_flight = sum(
            1 for target, state in states.items() if state is DeliveryState.PENDING and at_kill.get(target)
        )

        restart = crash.start(
            ["-m", "tests.support.crash", "fanout", str(data_dir), connector.url, str(MANAGERS), "restart"]
        )
        crash.wait_for_point(restart, "done", timeout=300)
        restart.communicate(timeout=60)
        assert restart.returncode == 0
        states = _outbox(data_dir)
    finally:
        connector.stop()
    received = connector.received
    return {
        "kill_at": connector.kill_at,
        "in_request": int(connector.delay is None),
        "received_at_kill": sum(at_kill.values()),
        "in_flight": in_flight,
        "duplicates": sum(c - 1 for c in received.values() if c > 1),
        "lost": MANAGERS - len(received),
        "sent": sum(1 for s in states.values() if s is DeliveryState.SENT),
        "max_open": connector.max_open,
    }


@pytest.mark.timeout(300 + 120 * TRIALS)
def test_a_fan_out_killed_at_random_moments_loses_nothing_and_repeats_only_what_was_in_flight(tmp_path):
    rng = random.Random(int(os.environ.get("CRASH_FANOUT_SEED", "18")))
    results = [_trial(tmp_path, n, rng) for n in range(TRIALS)]
    for r in results:
        print(r)
    summary = {k: sum(r[k] for r in results) for k in ("in_flight", "duplicates", "lost")}
    most = max(r["max_open"] for r in results)
    print(f"{TRIALS} kills, fan-out to {MANAGERS}: {summary}, most requests open at once {most}")
    for r in results:
        assert r["lost"] == 0 and r["sent"] == MANAGERS, r
        assert r["duplicates"] == r["in_flight"] <= CONCURRENCY, r
    killed_in_request = [r for r in results if r["in_request"]]
    assert all(r["in_flight"] >= 1 for r in killed_in_request)  # the window is real, and measured
