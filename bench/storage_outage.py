"""The storage outage of issue 18 §4 under steady load: the bot on an Azurite of its own, which is
stopped (SIGINT), started again, frozen (SIGSTOP) and thawed (SIGCONT) while turns keep coming.

In one process: the app (create_app, the shipped settings unless ``--short``), a recording connector,
``--concurrency`` workers that each send, one after another, a literacy self-assessment save (a new
user each time: one insert) or a typed 「メニュー」, and a health checker asking ``/healthz`` every
0.5 s. Azurite runs in its own process. Prints, per phase: turns, how they were answered (saved / told
nothing was saved / 「混み合っています」 / other), p50, p95 and max answer time; the health checks'
statuses and slowest answer; then every save acknowledged that is missing afterwards (lost), every save
answered "not saved" that is there anyway, and how many saves were answered "could not be confirmed"
(the write went out and its answer never came) and how many of those are there. A turn counts in the
phase it began in: the outage begins with the signal and ends when Azurite answers again. Phases
shorter than about twice the time one call may take (10 s with the defaults) show mostly turns that
began before the signal and ended after it.

    .venv/bin/python bench/storage_outage.py [--phase-seconds 10] [--concurrency 8] [--short]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from app import create_app, store_timeouts  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.storage_pool import (  # noqa: E402
    STORAGE_BUSY_MESSAGE,
    STORAGE_DOWN_MESSAGE,
    STORAGE_UNCONFIRMED_MESSAGE,
)
from cards import literacy as cards  # noqa: E402
from services.literacy.service import ASSESSMENTS, TABLE  # noqa: E402
from storage import open_store  # noqa: E402
from tests.support import people as fx  # noqa: E402
from tests.support.activities import execute_invoke, personal_message  # noqa: E402
from tests.support.azurite_process import AzuriteProcess  # noqa: E402
from tests.support.connector import RecordingConnector  # noqa: E402

LEVELS = {"Teams": "2", "Microsoft 365": "1", "RPA": "0", "データベース・Power Platform": "1"}
PHASES = ("up", "stopped", "up again", "frozen", "thawed")


@dataclass
class Turn:
    phase: str
    kind: str  # save | menu
    outcome: str  # saved | answered | not saved (down) | not saved (busy) | not confirmed | other
    seconds: float
    user: str


def classify(body: str, kind: str) -> str:
    if STORAGE_BUSY_MESSAGE in body:
        return "not saved (busy)"
    if STORAGE_DOWN_MESSAGE in body:
        return "not saved (down)"
    if STORAGE_UNCONFIRMED_MESSAGE in body:
        return "not confirmed"
    if kind == "save" and "保存しました" in body:
        return "saved"
    if kind == "menu" and body not in ("", "[]"):
        return "answered"
    return "other"


async def run(phase_seconds: float, concurrency: int, short: bool) -> dict:
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="outage-bench-")))
    if short:
        settings = replace(
            settings,
            storage_connect_timeout_seconds=0.5,
            storage_read_timeout_seconds=0.5,
            healthz_timeout_seconds=1.0,
        )
    control = ThreadPoolExecutor(max_workers=1, thread_name_prefix="azurite-control")
    loop = asyncio.get_running_loop()
    azurite = AzuriteProcess(settings.data_dir / "azurite")
    azurite.start()
    store = open_store(
        data_dir=settings.data_dir,
        azure_connection_string=azurite.connection_string,
        timeouts=store_timeouts(settings),
    )
    fx.load_fixtures(store)
    connector = await RecordingConnector().start()
    client = TestClient(TestServer(create_app(settings, store=store, clock=fx.Clock())))
    await client.start_server()
    phase = PHASES[0]
    done = asyncio.Event()
    turns: list[Turn] = []
    health: list[tuple[str, int, float]] = []
    ids = itertools.count(1)

    async def one_turn(kind: str) -> None:
        user = f"00000000-0000-4000-8000-{next(ids):012d}"
        started_in, started = phase, time.monotonic()
        if kind == "save":
            data = {"etag": "", **{cards.LEVEL_PREFIX + t: v for t, v in LEVELS.items()}}
            activity = execute_invoke(connector.url, cards.SAVE_VERB, data, user_aad=user)
        else:
            activity = personal_message(connector.url, "メニュー", user_aad=user)
        response = await client.post("/api/messages", json=activity)
        if kind == "save":
            body = json.dumps(await response.json(), ensure_ascii=False) if response.status == 200 else ""
        else:
            conversation = activity["conversation"]["id"]
            replies = [a for a in connector.activities if a["conversation"]["id"] == conversation]
            body = json.dumps(replies, ensure_ascii=False)
        turns.append(Turn(started_in, kind, classify(body, kind), time.monotonic() - started, user))

    async def worker(index: int) -> None:
        kinds = itertools.cycle(("save", "menu") if index % 2 else ("menu", "save"))
        while not done.is_set():
            await one_turn(next(kinds))

    async def checker() -> None:
        while not done.is_set():
            started_in, started = phase, time.monotonic()
            status = (await client.get("/healthz")).status
            health.append((started_in, status, time.monotonic() - started))
            await asyncio.sleep(0.5)

    tasks = [asyncio.create_task(worker(i)) for i in range(concurrency)] + [asyncio.create_task(checker())]
    actions = {
        "stopped": azurite.stop,
        "up again": azurite.start,
        "frozen": azurite.freeze,
        "thawed": azurite.thaw,
    }
    try:
        await asyncio.sleep(phase_seconds)
        for name in PHASES[1:]:
            if name in ("stopped", "frozen"):  # the outage begins with the signal
                phase = name
                await loop.run_in_executor(control, actions[name])
            else:  # and ends when Azurite answers again (a start takes 1-4 s)
                await loop.run_in_executor(control, actions[name])
                phase = name
            await asyncio.sleep(phase_seconds)
    finally:
        done.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        azurite.thaw()
    try:
        saved_users = [t.user for t in turns if t.outcome == "saved"]
        refused_saves = [t.user for t in turns if t.kind == "save" and t.outcome.startswith("not saved")]
        unconfirmed = [t.user for t in turns if t.kind == "save" and t.outcome == "not confirmed"]
        lost = [u for u in saved_users if store.get(TABLE, ASSESSMENTS, u) is None]
        stored_anyway = {u for u in refused_saves if store.get(TABLE, ASSESSMENTS, u) is not None}
        unconfirmed_stored = sum(store.get(TABLE, ASSESSMENTS, u) is not None for u in unconfirmed)
    finally:
        await client.close()
        await connector.stop()
        store.close()
        azurite.close()
        control.shutdown()

    by_phase: dict[str, list[Turn]] = defaultdict(list)
    for turn in turns:
        by_phase[turn.phase].append(turn)
    report: dict = {
        "settings": {
            "connect_timeout_s": settings.storage_connect_timeout_seconds,
            "read_timeout_s": settings.storage_read_timeout_seconds,
            "retries": settings.storage_retries,
            "threads": settings.storage_threads,
            "max_in_flight": settings.storage_max_in_flight,
            "queue_s": settings.storage_queue_seconds,
            "healthz_timeout_s": settings.healthz_timeout_seconds,
        },
        "phase_seconds": phase_seconds,
        "concurrency": concurrency,
        "phases": {},
    }
    for name in PHASES:
        times = sorted(t.seconds for t in by_phase[name])
        checks = [(status, seconds) for p, status, seconds in health if p == name]
        report["phases"][name] = {
            "turns": len(times),
            "outcomes": dict(Counter(t.outcome for t in by_phase[name])),
            "p50_s": round(statistics.median(times), 2) if times else None,
            "p95_s": round(times[int(0.95 * (len(times) - 1))], 2) if times else None,
            "max_s": round(times[-1], 2) if times else None,
            "healthz": dict(Counter(str(status) for status, _ in checks)),
            "healthz_max_s": round(max((s for _, s in checks), default=0.0), 2),
            "not_saved_but_stored": sum(t.user in stored_anyway for t in by_phase[name]),
        }
    report["acknowledged_saves"] = len(saved_users)
    report["acknowledged_lost"] = len(lost)
    report["answered_not_saved"] = len(refused_saves)
    report["answered_not_saved_but_stored"] = len(stored_anyway)
    report["answered_not_confirmed"] = len(unconfirmed)
    report["answered_not_confirmed_and_stored"] = unconfirmed_stored
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description="The storage outage of issue 18 §4 under steady load")
    parser.add_argument("--phase-seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--short", action="store_true", help="the short timeouts of the tests")
    args = parser.parse_args()
    report = asyncio.run(run(args.phase_seconds, args.concurrency, args.short))
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 1 if report["acknowledged_lost"] or report["answered_not_saved_but_stored"] else 0


if __name__ == "__main__":
    sys.exit(main())
