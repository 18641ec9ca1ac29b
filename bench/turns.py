"""Turn throughput of the bot's menu turn against a bare botbuilder echo bot, in one process.

Each turn is a real HTTP POST of a Teams-shaped message to ``/api/messages`` on loopback; the
bot's reply goes to a local recording connector (tests/support/connector.py). Both bots run
with the embedded SQLite store / no store, anonymous auth, on free ports.

Runs, in order:
  1. echo bot, msrest as shipped (the baseline);
  2. echo bot with the msrest retry-policy fix (bot/compat.py);
  3. ICT推進ボット menu turn (create_app applies the fix).

and prints turns/s, p50 and p99 per run at concurrency 1 and 16, and the ratios to the baseline.

    .venv/bin/python bench/turns.py [--turns 300]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import ClientSession, web  # noqa: E402
from botbuilder.core import ActivityHandler, TurnContext  # noqa: E402
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication  # noqa: E402

from bot.settings import Settings  # noqa: E402
from tests.support.activities import personal_message  # noqa: E402
from tests.support.connector import RecordingConnector  # noqa: E402


class EchoBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext):
        await turn_context.send_activity(f"echo: {turn_context.activity.text}")


def echo_app() -> web.Application:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(Settings().botframework_config()))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        return await adapter.process(request, bot) or web.Response(status=201)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


def ict_app(data_dir: Path) -> web.Application:
    from app import create_app

    return create_app(Settings(data_dir=data_dir))


@dataclass
class Result:
    name: str
    concurrency: int
    turns: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.turns / self.seconds

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/api/messages"


async def drive(name: str, app: web.Application, text: str, turns: int, concurrency: int) -> Result:
    connector = await RecordingConnector().start()
    runner, url = await serve(app)
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(turns):
        queue.put_nowait(i)
    async with ClientSession() as session:
        # warm-up turn (imports, first connection, SQLite file creation)
        async with session.post(url, json=personal_message(connector.url, text)) as r:
            assert r.status < 300, await r.text()

        async def worker(worker_id: int) -> None:
            while not queue.empty():
                queue.get_nowait()
                activity = personal_message(connector.url, text, user_aad=f"bench-{worker_id}")
                start = time.perf_counter()
                async with session.post(url, json=activity) as response:
                    assert response.status < 300, await response.text()
                latencies.append(time.perf_counter() - start)

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
    await runner.cleanup()
    await connector.stop()
    assert len(connector.activities) == turns + 1, "every turn must have produced exactly one reply"
    return Result(name, concurrency, turns, elapsed, latencies)


def report(results: list[Result]) -> None:
    print(f"{'run':<34}{'conc':>5}{'turns/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for r in results:
        print(f"{r.name:<34}{r.concurrency:>5}{r.per_second:>10.1f}{r.pct(0.50):>9.1f}{r.pct(0.99):>9.1f}")
    print()
    by = {(r.name, r.concurrency): r for r in results}
    for conc in sorted({r.concurrency for r in results}):
        base = by[("echo (msrest as shipped)", conc)]
        for r in results:
            if r.concurrency == conc and r is not base:
                print(
                    f"concurrency {conc:>2}: {r.name} / echo (msrest as shipped) = "
                    f"{r.per_second / base.per_second:.2f}x turns/s"
                )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=300)
    args = parser.parse_args()
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        for conc in (1, 16):
            results.append(await drive("echo (msrest as shipped)", echo_app(), "hello", args.turns, conc))
        from bot.compat import apply_msrest_retry_policy_fix

        apply_msrest_retry_policy_fix()
        for conc in (1, 16):
            results.append(await drive("echo (msrest fix)", echo_app(), "hello", args.turns, conc))
        for conc in (1, 16):
            results.append(await drive("ict-bot menu turn", ict_app(Path(tmp)), "メニュー", args.turns, conc))
    report(results)
    print(
        "\nmedian latency over all runs: "
        f"{statistics.median(t for r in results for t in r.latencies) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
