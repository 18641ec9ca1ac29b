"""Load: a mixed workload over loopback against the bot, a botbuilder echo bot and an Agents SDK echo agent.

Every server, the connector and Azurite run in processes of their own; this process is the load
driver. 100 simulated users across 20 departments (10 bureaus × 2 部; per department one DX PRO,
one 管理職 and three 職員, the first user 管理者) are seeded with the meeting material into each store.

Kinds of turn:
  menu            a 1:1 message 「メニュー」 (the reply goes to the connector);
  <key>.open      the summary card of each of the seven programmes, by Action.Execute (answered in
                  the invoke response);
  submit form     a DX PRO opens the 行政手続きオンライン化 update form for their bureau;
  submit          and submits it (saved, refused, or 「ほかの方が先に…」 under the bureau's ETag).

Runs, in order:
  1. Ratio rounds (``--rounds``, interleaved): in each round ``--round-turns`` turns of one kind at a
     time at concurrency 16: the Agents SDK echo, the botbuilder echo (as shipped), then every kind
     on SQLite and on Azurite. Ratios are to the Agents SDK echo *of the same round*; the median
     over rounds is printed with the spread (min–max) as the noise.
  2. The mixed workload for ``--seconds`` at each ``--concurrency``: on SQLite, on Azurite, and on
     SQLite again while a linkage audit (a 200,000 × 200,000 row audit, looped) runs in a process
     of its own.
  3. Soak: ``--soak-turns`` mixed turns at concurrency 16 on SQLite; RSS after a warm-up and at the end.

For each run: turns/s and p50/p95/p99 per kind, server CPU per turn (utime+stime of the server
process over the run / turns), errors (HTTP status, exceptions, the apology card or message,
replies the connector never got), RSS of the server at the start and end of the run.

    .venv/bin/python bench/load.py                       # the full run (about 20 minutes)
    .venv/bin/python bench/load.py --quick               # 10 s runs, 2 rounds of 150 turns, no soak
    .venv/bin/python bench/load.py --seconds 30 --concurrency 16 --no-azurite --no-audit --soak-turns 0
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp import ClientSession, ClientTimeout, TCPConnector, web  # noqa: E402

from tests.support.activities import execute_invoke, personal_message  # noqa: E402

PROGRAMME_KEYS = (
    "mynumber",
    "online_procedures",
    "cashless",
    "standardization",
    "dx",
    "literacy",
    "digital_divide",
)
BUREAUS = (
    "総務局",
    "財政局",
    "市民人権局",
    "文化観光局",
    "環境局",
    "健康福祉局",
    "子ども青少年局",
    "産業振興局",
    "建築都市局",
    "建設局",
)
DEPARTMENTS = ("企画部", "事業部")
USERS_PER_DEPARTMENT = 5
APOLOGY = "処理中に問題が発生したため"  # bot.adapter.TURN_ERROR_MESSAGE
CONFLICT = "ほかの方が先に"
SAVED = "保存しました"
REQUEST_TIMEOUT = 30.0
TICKS = os.sysconf("SC_CLK_TCK")


# --- the simulated organisation -----------------------------------------------------------------


@dataclass(frozen=True)
class User:
    object_id: str
    name: str
    bureau: str
    department: str
    role: str


def simulated_users() -> list[User]:
    """100 users, 20 departments: in each, one DX PRO, one 管理職, three 職員; user 0 is 管理者."""
    users = []
    n = 0
    for bureau in BUREAUS:
        for department in DEPARTMENTS:
            for slot in range(USERS_PER_DEPARTMENT):
                role = ("DX PRO", "管理職", "職員", "職員", "職員")[slot]
                if n == 0:
                    role = "管理者"
                users.append(
                    User(f"00000000-0000-4000-8000-{n + 1:012d}", f"負荷 {n:03d}", bureau, department, role)
                )
                n += 1
    return users


def organisation_csv() -> bytes:
    lines = ["局,部,課・室"] + [f"{b},{d}," for b in BUREAUS for d in DEPARTMENTS]
    return ("\n".join(lines) + "\n").encode("utf-8")


def roster_csv(users: list[User]) -> bytes:
    lines = ["オブジェクトID,氏名,局,部,課・室,ロール,ロール対象"]
    for u in users:
        target = {"DX PRO": f"{u.bureau}/{u.department}", "管理職": u.bureau}.get(u.role, "")
        lines.append(f"{u.object_id},{u.name},{u.bureau},{u.department},,{u.role},{target}")
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- the processes --------------------------------------------------------------------------------


async def _listen(app: web.Application) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"LISTENING {port}", flush=True)
    return runner


async def _serve_forever(app: web.Application) -> None:
    runner = await _listen(app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    await runner.cleanup()


def connector_app() -> web.Application:
    """The Teams side: takes every post and update, counts them and the apologies among them."""
    stats = {"activities": 0, "apologies": 0}
    ids = iter(range(1, 1 << 62))

    async def post(request: web.Request) -> web.Response:
        body = await request.read()
        stats["activities"] += 1
        text = json.dumps(json.loads(body), ensure_ascii=False)
        if APOLOGY in text:
            stats["apologies"] += 1
        return web.json_response({"id": f"reply-{next(ids)}"})

    async def get_stats(_: web.Request) -> web.Response:
        return web.json_response(stats)

    async def reset(_: web.Request) -> web.Response:
        stats.update(activities=0, apologies=0)
        return web.json_response(stats)

    app = web.Application()
    app.router.add_post("/v3/conversations/{conversation_id}/activities", post)
    app.router.add_post("/v3/conversations/{conversation_id}/activities/{activity_id}", post)
    app.router.add_put("/v3/conversations/{conversation_id}/activities/{activity_id}", post)
    app.router.add_get("/_stats", get_stats)
    app.router.add_post("/_reset", reset)
    return app


def botbuilder_echo_app() -> web.Application:
    """A bare botbuilder echo bot, msrest as shipped."""
    from botbuilder.core import ActivityHandler, TurnContext
    from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

    from bot.settings import Settings

    class EchoBot(ActivityHandler):
        async def on_message_activity(self, turn_context: TurnContext):
            await turn_context.send_activity(f"echo: {turn_context.activity.text}")

    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(Settings().botframework_config()))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        return await adapter.process(request, bot) or web.Response(status=201)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


def agents_echo_app() -> web.Application:
    """The Microsoft 365 Agents SDK echo agent (anonymous, as its samples run locally)."""
    from microsoft_agents.hosting.aiohttp import CloudAdapter
    from microsoft_agents.hosting.core import ActivityHandler, TurnContext
    from microsoft_agents.hosting.core.authorization import AnonymousTokenProvider

    class AnonymousConnections:
        def get_connection(self, connection_name):
            return AnonymousTokenProvider()

        def get_default_connection(self):
            return AnonymousTokenProvider()

        def get_token_provider(self, claims_identity, service_url):
            return AnonymousTokenProvider()

        def get_token_provider_from_activity(self, claims_identity, activity):
            return AnonymousTokenProvider()

        def get_default_connection_configuration(self):
            return None

    class EchoAgent(ActivityHandler):
        async def on_message_activity(self, turn_context: TurnContext):
            await turn_context.send_activity(f"echo: {turn_context.activity.text}")

    adapter = CloudAdapter(connection_manager=AnonymousConnections())  # type: ignore[arg-type]
    agent = EchoAgent()

    async def messages(request: web.Request) -> web.StreamResponse:
        return await adapter.process(request, agent) or web.Response(status=202)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


def ict_app(data_dir: Path, azure: str) -> web.Application:
    """ICT推進ボット as ``make run`` builds it, the store seeded with the meeting material and the
    simulated organisation; the clock runs from the meeting day."""
    from datetime import datetime

    from app import create_app, running_clock
    from bot.settings import TIMEZONE, Settings
    from services.kernel.seed import load_seed, seed_store
    from services.people.identity import system_actor
    from services.people.service import PeopleService
    from storage import open_store

    clock = running_clock(datetime(2023, 9, 20, 10, 0, tzinfo=TIMEZONE))
    settings = Settings(data_dir=data_dir, azure_tables_connection_string=azure)
    store = open_store(data_dir=data_dir, azure_connection_string=azure)
    seed_store(store, load_seed())
    people = PeopleService(store, clock)
    actor = system_actor("負荷試験の準備", "bench-load")
    people.import_organisation(actor, organisation_csv(), "organisation.csv")
    people.import_roster(actor, roster_csv(simulated_users()), "roster.csv")
    return create_app(settings, store=store, clock=clock)


def run_audit_forever(workdir: Path, rows: int) -> None:
    """The linkage audit, looped (what the bot's audit worker process does for an upload)."""
    from bench.audit_data import generate
    from services.mynumber.audit.run import audit_files

    generate(workdir / "in", rows, rows, seed=1)
    print("LISTENING 0", flush=True)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))  # ends after the audit under way
    while not stop:
        with tempfile.TemporaryDirectory(dir=workdir) as scratch:
            audit_files(workdir / "in" / "registry.csv", workdir / "in" / "records.csv", Path(scratch))


def child_main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.ERROR)
    if args.serve == "audit":
        run_audit_forever(Path(args.data_dir), args.audit_rows)
        return
    factory: dict[str, Callable[[], web.Application]] = {
        "connector": connector_app,
        "echo-botbuilder": botbuilder_echo_app,
        "echo-agents": agents_echo_app,
        "ict": lambda: ict_app(Path(args.data_dir), args.azure),
    }
    app = factory[args.serve]()
    asyncio.run(_serve_forever(app))


@dataclass
class Child:
    name: str
    process: subprocess.Popen[str]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mb(self) -> float:
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # py-spy writes its profile on SIGINT
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def spawn(name: str, *extra: str, timeout: float = 180.0, profile: str = "", root: Path = ROOT) -> Child:
    """Start ``bench/load.py --serve <extra>`` (from the checkout at ``root``); with ``profile``, under
    ``py-spy record`` (GIL-holding samples, collapsed stacks written to that file when the child stops)."""
    command = [sys.executable, str(root / "bench" / "load.py"), "--serve", *extra]
    if profile:
        py_spy = Path(sys.executable).with_name("py-spy")
        command = [str(py_spy), "record", "--gil", "-r", "250", "-f", "raw", "-o", profile, "--", *command]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=None,
        text=True,
        cwd=root,
    )
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"{name} exited before listening (status {process.wait()})")
        if line.startswith("LISTENING "):
            return Child(name, process, int(line.split()[1]))
    process.kill()
    raise RuntimeError(f"{name} did not start in {timeout:.0f} s")


# --- the driver -------------------------------------------------------------------------------------


@dataclass
class Outcome:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    notes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    messages: int = 0  # turns whose answer is a message to the connector
    seconds: float = 0.0
    cpu: float = 0.0
    rss_start: float = 0.0
    rss_end: float = 0.0
    missing_replies: int = 0
    apologies: int = 0

    @property
    def turns(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def error_count(self) -> int:
        return sum(self.errors.values()) + self.missing_replies + self.apologies


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else float("nan")


Turn = Callable[[ClientSession, str, str, random.Random, Outcome], Awaitable[None]]


async def _post(
    session: ClientSession, url: str, activity: dict, outcome: Outcome, kind: str
) -> tuple[int, Any]:
    start = time.perf_counter()
    try:
        async with session.post(url + "/api/messages", json=activity) as response:
            status = response.status
            body = await response.read()
    except Exception as error:  # noqa: BLE001 - counted, never hidden
        outcome.errors[f"{kind}: {type(error).__name__}"] += 1
        outcome.latencies[kind].append(time.perf_counter() - start)
        return 0, None
    outcome.latencies[kind].append(time.perf_counter() - start)
    if status >= 300:
        outcome.errors[f"{kind}: HTTP {status}"] += 1
        return status, None
    return status, json.loads(body) if body else None


def message_turn(kind: str, text: str, users: list[User]) -> Turn:
    async def turn(session, url, connector, rng, outcome):
        user = rng.choice(users)
        outcome.messages += 1
        await _post(session, url, personal_message(connector, text, user_aad=user.object_id), outcome, kind)

    return turn


def invoke_turn(verb: str, users: list[User]) -> Turn:
    async def turn(session, url, connector, rng, outcome):
        user = rng.choice(users)
        activity = execute_invoke(connector, verb, {}, user_aad=user.object_id)
        status, body = await _post(session, url, activity, outcome, verb)
        if status == 200:
            text = json.dumps(body, ensure_ascii=False)
            if APOLOGY in text or '"type": "AdaptiveCard"' not in text:
                outcome.errors[f"{verb}: apology or no card"] += 1

    return turn


def submission_turn(users: list[User]) -> Turn:
    from cards import online_procedures as cards
    from tests.support.cards import action_data

    dx_pros = [u for u in users if u.role == "DX PRO"]
    reported: dict[str, int] = defaultdict(int)

    async def turn(session, url, connector, rng, outcome):
        user = rng.choice(dx_pros)
        form_activity = execute_invoke(
            connector, cards.UPDATE_VERB, {cards.BUREAU_INPUT: user.bureau}, user_aad=user.object_id
        )
        status, body = await _post(session, url, form_activity, outcome, "submit form")
        if status != 200:
            return
        try:
            data = action_data(body["value"], cards.SUBMIT_VERB)
        except (AssertionError, KeyError, TypeError):
            outcome.errors["submit form: no form"] += 1
            return
        # valid for every bureau (nothing done this period, with the reason the form asks for), and
        # a new submission each time (the reason is numbered): saved, or met by the bureau's ETag
        reported[user.bureau] += 1
        values = {
            "done": "0",
            "delayed": "0",
            "advanced": "0",
            "reason": f"委託先との調整（{reported[user.bureau]}回目）",
        }
        activity = execute_invoke(connector, cards.SUBMIT_VERB, {**data, **values}, user_aad=user.object_id)
        status, body = await _post(session, url, activity, outcome, "submit")
        if status == 200:
            text = json.dumps(body, ensure_ascii=False)
            if APOLOGY in text:
                outcome.errors["submit: apology"] += 1
            else:
                outcome.notes[
                    "saved" if SAVED in text else "conflict" if CONFLICT in text else "refused"
                ] += 1

    return turn


def mixed(users: list[User]) -> Callable[[random.Random], Turn]:
    """40 % menu turns, 50 % summary cards (the seven alike), 10 % form + submission."""
    menu = message_turn("menu", "メニュー", users)
    summaries = [invoke_turn(f"{key}.open", users) for key in PROGRAMME_KEYS]
    submit = submission_turn(users)

    def pick(rng: random.Random) -> Turn:
        r = rng.random()
        if r < 0.4:
            return menu
        if r < 0.9:
            return rng.choice(summaries)
        return submit

    return pick


async def run(
    server: Child,
    connector: Child,
    pick: Callable[[random.Random], Turn],
    *,
    concurrency: int,
    seconds: float | None = None,
    turns: int | None = None,
    seed: int = 1,
) -> Outcome:
    """``turns`` turns (or as many as fit in ``seconds``) at ``concurrency``, picked by ``pick``."""
    outcome = Outcome()
    timeout = ClientTimeout(total=REQUEST_TIMEOUT)
    async with ClientSession(connector=TCPConnector(limit=concurrency * 2), timeout=timeout) as session:
        await session.post(connector.url + "/_reset")
        outcome.rss_start = server.rss_mb()
        cpu_start = server.cpu_seconds()
        started = time.perf_counter()
        deadline = started + seconds if seconds else float("inf")
        budget = [turns if turns is not None else 1 << 62]

        async def worker(n: int) -> None:
            rng = random.Random(seed * 1000 + n)
            while budget[0] > 0 and time.perf_counter() < deadline:
                budget[0] -= 1
                await pick(rng)(session, server.url, connector.url + "/", rng, outcome)

        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        outcome.seconds = time.perf_counter() - started
        outcome.cpu = server.cpu_seconds() - cpu_start
        outcome.rss_end = server.rss_mb()
        async with session.get(connector.url + "/_stats") as response:
            stats = await response.json()
    outcome.apologies = stats["apologies"]
    outcome.missing_replies = max(0, outcome.messages - stats["activities"])
    return outcome


# --- the report -----------------------------------------------------------------------------------


def print_run(title: str, outcome: Outcome) -> None:
    print(
        f"\n{title}: {outcome.turns} turns in {outcome.seconds:.1f} s = {outcome.turns / outcome.seconds:.1f}"
        f" turns/s, server CPU {outcome.cpu / max(outcome.turns, 1) * 1000:.1f} ms/turn, errors "
        f"{outcome.error_count}, RSS {outcome.rss_start:.0f} → {outcome.rss_end:.0f} MB"
    )
    print(f"  {'kind':<26}{'turns':>7}{'turns/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for kind in sorted(outcome.latencies):
        values = outcome.latencies[kind]
        print(
            f"  {kind:<26}{len(values):>7}{len(values) / outcome.seconds:>9.1f}"
            f"{pct(values, 0.5):>9.1f}{pct(values, 0.95):>9.1f}{pct(values, 0.99):>9.1f}"
        )
    for what, n in sorted(outcome.errors.items()):
        print(f"  error: {what} × {n}")
    if outcome.missing_replies:
        print(f"  error: replies the connector never got × {outcome.missing_replies}")
    if outcome.apologies:
        print(f"  error: apology messages × {outcome.apologies}")
    if outcome.notes:
        print("  submissions: " + ", ".join(f"{k} {v}" for k, v in sorted(outcome.notes.items())))


@dataclass
class RoundFigure:
    per_second: float
    p50: float
    p95: float
    p99: float
    cpu_ms: float
    errors: int


def figure(outcome: Outcome) -> RoundFigure:
    values = [v for vs in outcome.latencies.values() for v in vs]
    return RoundFigure(
        outcome.turns / outcome.seconds,
        pct(values, 0.5),
        pct(values, 0.95),
        pct(values, 0.99),
        outcome.cpu / max(outcome.turns, 1) * 1000,
        outcome.error_count,
    )


async def ratio_rounds(
    servers: dict[str, Child],
    connector: Child,
    users: list[User],
    rounds: int,
    round_turns: int,
    only: list[str] | None = None,
) -> dict[str, list[RoundFigure]]:
    kinds: list[tuple[str, str, Turn]] = [
        ("Agents SDK echo", "echo-agents", message_turn("echo", "hello", users)),
        ("botbuilder echo (as shipped)", "echo-botbuilder", message_turn("echo", "hello", users)),
    ]
    for backend in ("sqlite", "baseline", "azurite"):
        if backend not in servers:
            continue
        kinds.append((f"menu [{backend}]", backend, message_turn("menu", "メニュー", users)))
        for key in PROGRAMME_KEYS:
            kinds.append((f"{key}.open [{backend}]", backend, invoke_turn(f"{key}.open", users)))
        kinds.append((f"submit form + submit [{backend}]", backend, submission_turn(users)))
    if only:
        kinds = [k for i, k in enumerate(kinds) if i == 0 or any(o in k[0] for o in only)]
    figures: dict[str, list[RoundFigure]] = defaultdict(list)
    for r in range(rounds):
        for name, server, turn in kinds:
            # a short warm-up of the same kind (not counted), then the measured turns
            await run(servers[server], connector, lambda _, t=turn: t, concurrency=16, turns=32, seed=99)
            outcome = await run(
                servers[server], connector, lambda _, t=turn: t, concurrency=16, turns=round_turns, seed=r
            )
            figures[name].append(figure(outcome))
            print(f"  round {r + 1}: {name:<36} {figures[name][-1].per_second:7.1f} turns/s", flush=True)
    return figures


def print_ratios(figures: dict[str, list[RoundFigure]]) -> None:
    base = figures["Agents SDK echo"]
    print("\nRatios to the Agents SDK echo of the same round, concurrency 16 (median over rounds, [min–max])")
    print("  turns/s ratio: throughput; CPU ratio: the echo's server CPU per turn / this turn's")
    print(
        f"  {'turn':<36}{'turns/s ratio':>14}{'':<13}{'CPU ratio':>10}{'turns/s':>9}{'p50 ms':>9}"
        f"{'p95 ms':>9}{'p99 ms':>9}{'CPU ms':>8}{'errors':>8}"
    )
    for name, values in figures.items():
        ratios = [v.per_second / b.per_second for v, b in zip(values, base, strict=True)]
        cpu = [b.cpu_ms / v.cpu_ms if v.cpu_ms else float("nan") for v, b in zip(values, base, strict=True)]
        spread = f"[{min(ratios):.2f}–{max(ratios):.2f}]"
        print(
            f"  {name:<36}{statistics.median(ratios):>14.2f} {spread:<12}{statistics.median(cpu):>10.2f}"
            f"{statistics.median(v.per_second for v in values):>9.1f}"
            f"{statistics.median(v.p50 for v in values):>9.1f}"
            f"{statistics.median(v.p95 for v in values):>9.1f}"
            f"{statistics.median(v.p99 for v in values):>9.1f}"
            f"{statistics.median(v.cpu_ms for v in values):>8.2f}"
            f"{sum(v.errors for v in values):>8}"
        )
    titles = {"azurite": "Azurite", "baseline": "the baseline checkout"}
    for backend, title in titles.items():
        tag = f"[{backend}]"
        pairs = [(name, name.replace(tag, "[sqlite]")) for name in figures if tag in name]
        if not pairs:
            continue
        print(f"\n{title} against this checkout on SQLite (median of per-round ratios):")
        print(f"  {'turn':<36}{'turns/s ratio':>14}{'CPU per turn ratio':>20}")
        for name, sqlite_name in pairs:
            rounds = list(zip(figures[name], figures[sqlite_name], strict=True))
            speed = statistics.median(a.per_second / b.per_second for a, b in rounds)
            cpu = statistics.median(a.cpu_ms / b.cpu_ms if b.cpu_ms else float("nan") for a, b in rounds)
            print(f"  {name.removesuffix(f' [{backend}]'):<36}{speed:>14.2f}{cpu:>20.2f}")


async def drive(args: argparse.Namespace) -> int:
    users = simulated_users()
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:

        def started(child: Child) -> Child:
            stack.callback(child.stop)
            return child

        connector = started(spawn("connector", "connector"))
        servers = {
            "echo-agents": started(spawn("echo-agents", "echo-agents")),
            "echo-botbuilder": started(spawn("echo-botbuilder", "echo-botbuilder")),
            "sqlite": started(
                spawn("ict sqlite", "ict", "--data-dir", f"{tmp}/sqlite", profile=args.profile)
            ),
        }
        if args.baseline:
            # another checkout of the bot (e.g. ``git archive <commit> | tar -x -C DIR``): its server
            # runs the same kinds in the same rounds, for a before/after within one run
            baseline = Path(args.baseline).resolve()
            shutil.copy(Path(__file__), baseline / "bench" / "load.py")
            servers["baseline"] = started(
                spawn("ict baseline", "ict", "--data-dir", f"{tmp}/baseline", root=baseline)
            )
        if not args.no_azurite:
            from tests.support.azurite import running_azurite

            azure = stack.enter_context(running_azurite())
            servers["azurite"] = started(
                spawn("ict azurite", "ict", "--data-dir", f"{tmp}/azurite", "--azure", azure)
            )
        print(
            f"processes: connector {connector.process.pid}, "
            + ", ".join(f"{k} {v.process.pid}" for k, v in servers.items())
            + f"; driver {os.getpid()}; {os.cpu_count()} CPUs"
        )
        print("RSS after start-up: " + ", ".join(f"{k} {v.rss_mb():.0f} MB" for k, v in servers.items()))

        if args.rounds:
            print(f"\n== ratio rounds: {args.rounds} × {args.round_turns} turns per kind, concurrency 16 ==")
            figures = await ratio_rounds(servers, connector, users, args.rounds, args.round_turns, args.only)
            print_ratios(figures)

        pick = mixed(users)
        backends = [b for b in ("sqlite", "azurite") if b in servers and not args.no_mixed]
        total_errors = 0
        for backend in backends:
            for concurrency in args.concurrency:
                outcome = await run(
                    servers[backend], connector, pick, concurrency=concurrency, seconds=args.seconds
                )
                print_run(f"mixed [{backend}], concurrency {concurrency}", outcome)
                total_errors += outcome.error_count
        if not args.no_audit and not args.no_mixed:
            audit = started(
                spawn("audit", "audit", "--data-dir", f"{tmp}/audit", "--audit-rows", str(args.audit_rows))
            )
            for concurrency in args.concurrency:
                cpu = audit.cpu_seconds()
                outcome = await run(
                    servers["sqlite"], connector, pick, concurrency=concurrency, seconds=args.seconds
                )
                print_run(f"mixed [sqlite] with a linkage audit running, concurrency {concurrency}", outcome)
                print(f"  the audit process used {audit.cpu_seconds() - cpu:.1f} s of CPU meanwhile")
                total_errors += outcome.error_count
            audit.stop()
        if args.soak_turns:
            sqlite = servers["sqlite"]
            await run(sqlite, connector, pick, concurrency=16, turns=1000, seed=7)  # warm-up
            outcome = await run(sqlite, connector, pick, concurrency=16, turns=args.soak_turns, seed=8)
            print_run(f"soak [sqlite], {args.soak_turns} mixed turns, concurrency 16", outcome)
            growth = (outcome.rss_end - outcome.rss_start) / outcome.rss_start * 100
            print(f"  RSS growth over the soak: {growth:+.1f} % (target < 10 %)")
            total_errors += outcome.error_count
        print("\nRSS at the end: " + ", ".join(f"{k} {v.rss_mb():.0f} MB" for k, v in servers.items()))
        print(f"errors in the mixed runs: {total_errors}")
    return 0 if total_errors == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each mixed run")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved ratio rounds (0: none)")
    parser.add_argument("--round-turns", type=int, default=400, help="turns per kind per round")
    parser.add_argument("--soak-turns", type=int, default=20_000, help="RSS soak on SQLite (0: none)")
    parser.add_argument("--audit-rows", type=int, default=200_000)
    parser.add_argument("--no-azurite", action="store_true")
    parser.add_argument("--no-audit", action="store_true")
    parser.add_argument("--baseline", default="", help="another checkout to compare in the rounds")
    parser.add_argument("--no-mixed", action="store_true", help="only the ratio rounds (and the soak)")
    parser.add_argument("--profile", default="", help="run the SQLite bot under py-spy; its stacks go here")
    parser.add_argument("--only", nargs="*", default=None, help="ratio rounds: only kinds containing these")
    parser.add_argument("--quick", action="store_true", help="10 s runs, 2 rounds of 150 turns, no soak")
    # the child processes
    parser.add_argument("--serve", choices=["connector", "echo-botbuilder", "echo-agents", "ict", "audit"])
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--azure", default="")
    args = parser.parse_args(argv)
    if args.serve:
        child_main(args)
        return 0
    if args.quick:
        args.seconds, args.rounds, args.round_turns, args.soak_turns = 10.0, 2, 150, 0
    return asyncio.run(drive(args))


if __name__ == "__main__":
    sys.exit(main())
