"""Fan-out of one digest to many conversations, at Teams' pace, through a throttling connector.

The real delivery path: the weekly-digest job of ``bot/scheduler.py`` (planner → outbox with
insert-if-absent keys → dispatcher → ``ProactiveSender`` → botbuilder ``CloudAdapter.continue_conversation``)
with the embedded SQLite store, against a local connector on 127.0.0.1
(``tests/support/throttling_connector.py``) that

- enforces Teams' per-conversation limits (7/1 s, 8/2 s, 60/30 s, 1800/h; 429 when exceeded),
- answers 10 % of requests with 429 and ``Retry-After: 1``, and 2 % with 502 or 504 (plain text),

and prints: delivered, duplicates and lost; the total time; and the ratio to the minimum time the
limits allow, with how that minimum is computed from the limits and the failures injected.

    .venv/bin/python bench/fanout.py [--conversations 500] [--p429 0.10] [--p5xx 0.02] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import RUNTIME_KEY, create_app  # noqa: E402
from bot.settings import Settings  # noqa: E402
from services.kernel.calendar import JST  # noqa: E402
from services.kernel.seed import load_seed, seed_store  # noqa: E402
from services.proactive.deliveries import DeliveryState  # noqa: E402
from services.proactive.jobs import WEEKLY_DIGEST, ManagerContact, StaticRoster  # noqa: E402
from services.proactive.pacing import Window, minimum_schedule  # noqa: E402
from storage.sqlite import SqliteTableStore  # noqa: E402
from tests.support.proactive import install_personal  # noqa: E402
from tests.support.throttling_connector import ThrottlingConnector  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIRE = datetime(2026, 7, 13, 9, 0, tzinfo=JST)  # a Monday


async def bench(conversations: int, p429: float, p5xx: float, seed: int) -> int:
    connector = await ThrottlingConnector(p429=p429, p5xx=p5xx, retry_after="1", seed=seed).start()
    with tempfile.TemporaryDirectory(prefix="fanout-") as tmp:
        store = SqliteTableStore(Path(tmp) / "bench.sqlite3")
        seed_store(store, load_seed(ROOT / "data"))
        settings = Settings(data_dir=Path(tmp))
        app = create_app(settings, store=store)
        proactive = app[RUNTIME_KEY].proactive
        managers = [
            ManagerContact(f"bench-{n:04d}", f"管理職{n}", "健康福祉局") for n in range(conversations)
        ]
        for manager in managers:
            install_personal(proactive.directory, manager.object_id, connector.url)
        proactive.planner.roster = StaticRoster(managers)

        marks: dict[str, float] = {}
        spec = proactive.jobs[WEEKLY_DIGEST]

        def plan(at):
            result = spec.plan(at)
            marks["planned"] = time.monotonic()
            return result

        proactive.jobs[WEEKLY_DIGEST] = dataclasses.replace(spec, plan=plan)
        started = time.monotonic()
        outcome = await proactive.runner.run(WEEKLY_DIGEST, FIRE, trigger="bench")
        finished = time.monotonic()
        records = list(proactive.outbox.records(WEEKLY_DIGEST))
        store.close()
    await connector.stop()

    delivered = len(connector.delivered)
    duplicates = connector.duplicates()
    lost = conversations - delivered
    requests = len(connector.arrivals)
    injected = dict(connector.injected)
    injected_429 = injected.get("429", 0)
    injected_5xx = injected.get("502", 0) + injected.get("504", 0)
    limit_429 = injected.get("429 over the conversation limit", 0)
    send_start = min(connector.arrivals)
    send_time = finished - send_start
    total_time = finished - started

    # The minimum the limits allow. Every request counts against the app's 30 per second (sliding
    # window), failed ones included, so R requests need at least minimum_schedule(R) seconds
    # between the first and the last (the k-th request at floor(k/30) s). Independently, a
    # message that got 429 k times cannot be delivered before k × Retry-After. The bound is the
    # larger of the two (5xx backoff is our choice, not a limit, so it adds nothing to it).
    rate_bound = minimum_schedule(requests, [Window(settings.proactive_app_rate, 1.0)])
    per_conversation_429 = list(connector.throttled.values())
    chain_bound = max(per_conversation_429, default=0) * 1.0
    lower_bound = max(rate_bound, chain_bound)
    ratio = send_time / lower_bound if lower_bound else float("nan")
    states = {s: sum(1 for r in records if r.state is s) for s in DeliveryState}

    print(f"fan-out of one digest to {conversations} conversations (job {WEEKLY_DIGEST}, {outcome.status})")
    print(f"  delivered   {delivered}")
    print(f"  duplicates  {duplicates}")
    print(f"  lost        {lost}")
    print(
        f"  outbox      sent {states[DeliveryState.SENT]}, failed {states[DeliveryState.FAILED]}, "
        f"pending {states[DeliveryState.PENDING]}"
    )
    print(
        f"  requests    {requests} = {delivered + duplicates} delivered + {injected_429} injected 429 + "
        f"{injected_5xx} injected 502/504 + {limit_429} over a conversation limit"
    )
    print(
        f"  max requests in any 1 s window: {connector.max_rate(1.0)} (limit {settings.proactive_app_rate})"
    )
    print(
        f"  time        total {total_time:.2f} s (planning {marks['planned'] - started:.2f} s, "
        f"sending {send_time:.2f} s from the first request to the last answer)"
    )
    print("  minimum the limits allow:")
    print(
        f"    no failures   {conversations} requests at {settings.proactive_app_rate}/s -> the last at "
        f"{minimum_schedule(conversations, [Window(settings.proactive_app_rate, 1.0)]):.2f} s (for reference)"
    )
    print(
        f"    rate bound    {requests} requests at {settings.proactive_app_rate}/s sliding: "
        "the k-th no sooner "
        f"than floor(k/{settings.proactive_app_rate}) s -> the last at {rate_bound:.2f} s"
    )
    print(
        f"    retry bound   the most 429s on one message: {max(per_conversation_429, default=0)} x "
        f"Retry-After 1 s = {chain_bound:.2f} s"
    )
    print(f"    minimum       max(rate, retry) = {lower_bound:.2f} s")
    print(f"  ratio       {ratio:.3f} (sending time / minimum; target <= 1.2)")
    if outcome.report is not None:
        print(
            f"  dispatcher  attempts {outcome.report.attempts}, retries {outcome.report.retries}, "
            f"failed {outcome.report.failed}"
        )
    ok = delivered == conversations and duplicates == 0 and lost == 0 and ratio <= 1.2
    print("  result      " + ("OK" if ok else "MISSED THE TARGET"))
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=500)
    parser.add_argument("--p429", type=float, default=0.10)
    parser.add_argument("--p5xx", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(bench(args.conversations, args.p429, args.p5xx, args.seed))


if __name__ == "__main__":
    sys.exit(main())
