"""Composition root: ``create_app(settings)`` builds store → services → adapter/bot.

Nothing is built at import time. ``python app.py`` (what ``make run`` calls) reads the settings,
optionally seeds the store, and serves:

- ``POST /api/messages``: Bot Framework activities, through botbuilder's CloudAdapter;
- ``GET /healthz``: whether storage answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from aiohttp import web

from bot.runtime import BotRuntime, build_runtime
from bot.settings import TIMEZONE, Settings
from bot.storage_pool import StoragePool
from services.audit.trail import AuditLog
from services.kernel.privacy import install_log_masking
from services.kernel.settings import settings_or_report
from services.people.service import PeopleService
from storage import StoreTimeouts, open_store
from storage.base import TableStore

logger = logging.getLogger("ict_bot")

STORE_KEY = web.AppKey("store", TableStore)
RUNTIME_KEY = web.AppKey("runtime", BotRuntime)
SETTINGS_KEY = web.AppKey("settings", Settings)
POOL_KEY = web.AppKey("storage_pool", StoragePool)


def now_jst() -> datetime:
    return datetime.now(TIMEZONE)


def running_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that starts at ``start`` and runs on in real time (``BOT_CLOCK_START``)."""
    origin = time.monotonic()

    def now() -> datetime:
        return (start + timedelta(seconds=time.monotonic() - origin)).astimezone(TIMEZONE)

    return now


async def _messages(request: web.Request) -> web.StreamResponse:
    """The body goes to the bot once, parsed and validated there (``bot.inbound``): bad input is
    a 4xx, never a 500."""
    content_type = request.headers.get("Content-Type", "")
    if "application/json" not in content_type.lower():
        return web.json_response({"error": "Content-Type must be application/json"}, status=415)
    try:
        raw = await request.read()  # raises 413 past client_max_size
    except web.HTTPRequestEntityTooLarge:
        return web.json_response({"error": "request body too large"}, status=413)
    return await request.app[RUNTIME_KEY].process(raw, content_type, request.headers.get("Authorization", ""))


async def _healthz(request: web.Request) -> web.Response:
    """Whether storage answers, within HEALTHZ_TIMEOUT_SECONDS: the ping has a thread of its own and
    never queues behind the storage calls of the turns (``bot.storage_pool``)."""
    pool = request.app[POOL_KEY]
    ok = await pool.healthy()
    status = {
        "status": "ok" if ok else "unavailable",
        "storage": "ok" if ok else "unavailable",
        "storage_calls_in_flight": pool.store.in_flight,
    }
    return web.json_response(status, status=200 if ok else 503)


def _recovering_after_a_crash(store: TableStore, clock: Callable[[], datetime]):
    """At start-up, before any request, finish what a process that stopped mid-way left: the audit
    entries of changes it saved (services.audit.trail, ``recover``), then a roster import it cut
    short (services.people.imports, ``resume_interrupted_import``)."""

    def settle() -> None:
        try:
            settled = AuditLog(store, clock).recover()
            if settled:
                logger.warning("前回停止時に転記されていなかった監査記録 %d 件分を転記しました。", settled)
            resumed = PeopleService(store, clock).resume_interrupted_import()
            if resumed is not None:
                logger.warning("前回停止時に途中だった名簿の取り込みを最後まで行いました。")
        except Exception:
            logger.exception("起動時の復旧処理に失敗しました。次回の起動時にもう一度行います。")

    async def recover(_: web.Application) -> None:
        # Before the first request: a turn must not meet a change that recovery is still finishing.
        await asyncio.to_thread(settle)

    return recover


def store_timeouts(settings: Settings) -> StoreTimeouts:
    """How long one storage call may take (STORAGE_*_TIMEOUT_SECONDS, STORAGE_RETRIES, SQLITE_BUSY_…)."""
    return StoreTimeouts(
        connect_seconds=settings.storage_connect_timeout_seconds,
        read_seconds=settings.storage_read_timeout_seconds,
        retries=settings.storage_retries,
        busy_seconds=settings.sqlite_busy_timeout_seconds,
    )


def create_app(
    settings: Settings,
    *,
    store: TableStore | None = None,
    clock: Callable[[], datetime] = now_jst,
) -> web.Application:
    """Build the whole bot. ``store`` may be injected (tests); otherwise settings choose it.

    Every service gets the store through the storage pool (``bot.storage_pool``): at most
    STORAGE_MAX_IN_FLIGHT calls in it at once, run by STORAGE_THREADS threads of their own."""
    store = store or open_store(
        data_dir=settings.data_dir,
        azure_connection_string=settings.azure_tables_connection_string,
        timeouts=store_timeouts(settings),
    )
    install_log_masking()  # My Numbers never reach a log, whatever logs them
    pool = StoragePool(store, settings)
    runtime = build_runtime(settings, pool.store, clock)
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[STORE_KEY] = store
    app[POOL_KEY] = pool
    app[RUNTIME_KEY] = runtime
    app[SETTINGS_KEY] = settings
    app.router.add_post("/api/messages", _messages)
    app.router.add_get("/healthz", _healthz)

    async def start_storage_pool(_: web.Application) -> None:
        pool.install(asyncio.get_running_loop())

    async def stop_storage_pool(_: web.Application) -> None:
        pool.shutdown(asyncio.get_running_loop())

    async def start_scheduler(_: web.Application) -> None:
        await runtime.proactive.start()  # a no-op unless settings.scheduler_enabled

    async def stop_scheduler(_: web.Application) -> None:
        await runtime.proactive.stop()
        runtime.close()

    async def refresh_signing_keys(_: web.Application):
        task = asyncio.create_task(runtime.keys.run()) if runtime.keys is not None else None
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def close_store(_: web.Application) -> None:
        store.close()

    app.cleanup_ctx.append(refresh_signing_keys)
    app.on_startup.append(start_storage_pool)
    app.on_startup.append(_recovering_after_a_crash(pool.store, clock))
    app.on_startup.append(start_scheduler)
    app.on_cleanup.append(stop_scheduler)
    app.on_cleanup.append(close_store)
    app.on_cleanup.append(stop_storage_pool)  # last: the steps above may still run storage calls
    return app


def import_startup_files(
    settings: Settings, store: TableStore, clock: Callable[[], datetime] = now_jst
) -> list[str]:
    """Import ``ORGANISATION_FILE`` then ``ROSTER_FILE`` (either optional) as the system; both
    imports are idempotent, so restarting with the same files changes nothing. Returns one summary
    line per file; raises ``ImportRejected`` / ``PeopleError`` (nothing of that file imported)."""
    from services.people.identity import system_actor
    from services.people.service import PeopleService

    people = PeopleService(store, clock)
    actor = system_actor("起動時の取り込み", "startup")
    lines = []
    if settings.organisation_file:
        data = settings.organisation_file.read_bytes()
        result = people.import_organisation(actor, data, settings.organisation_file.name)
        lines.append(f"{settings.organisation_file}: {result.summary()}")
    if settings.roster_file:
        result = people.import_roster(actor, settings.roster_file.read_bytes(), settings.roster_file.name)
        lines.append(f"{settings.roster_file}: {result.summary()}")
    return lines


def configure_logging(level: str) -> None:
    # the time of every line carries its zone (the server's; the jobs' own times are Asia/Tokyo, +09:00)
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%Y-%m-%d %H:%M:%S%z"
    )
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # bot.scheduler logs the jobs and next runs
    install_log_masking()


def port_in_use(host: str, port: int) -> str | None:
    """A one-line Japanese reason when ``host:port`` cannot be listened on (checked before anything
    is opened or seeded), else None."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.create_server((host, port), family=family):
            return None
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            return (
                f"ポート {port} はほかのプログラムが使っています（{host}）。起動中のボットを止めるか"
                "（make run の端末で Ctrl+C）、.env か環境変数の BOT_PORT で別のポートを指定してください。"
            )
        reason = error.strerror or error
        return f"{host}:{port} で待ち受けできません（{reason}）。BOT_HOST と BOT_PORT を確認してください。"


def main(argv: list[str] | None = None) -> int:
    from services.kernel.cli import ArgumentParser

    parser = ArgumentParser(
        prog="python app.py", description="ICT推進ボットを起動します（設定は環境変数と .env）"
    )
    parser.add_argument(
        "--seed", action="store_true", help="起動の前に data/ の初期データを入れる（足りない分のみ）"
    )
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).parent / "data", help="初期データのフォルダ"
    )
    args = parser.parse_args(argv)
    settings = settings_or_report()
    if settings is None:
        return 2
    problem = port_in_use(settings.host, settings.port)
    if problem:
        print(f"エラー: {problem}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    clock = running_clock(settings.clock_start) if settings.clock_start else now_jst
    if settings.clock_start:
        start = settings.clock_start.isoformat()
        logger.warning("BOT_CLOCK_START: the bot's clock starts at %s, not the real time", start)
    store = open_store(
        data_dir=settings.data_dir,
        azure_connection_string=settings.azure_tables_connection_string,
        timeouts=store_timeouts(settings),
    )
    if args.seed:
        from services.kernel.seed import SeedError, load_seed, seed_store

        try:
            added = seed_store(store, load_seed(args.data))
        except SeedError as error:
            print(f"シードデータを読み込めません: {error}", file=sys.stderr)
            return 2
        logger.info("seed: %d entities added (%s store)", added, settings.storage_backend)
    if settings.organisation_file or settings.roster_file:
        from services.kernel.tabular import ImportRejected
        from services.people.service import PeopleError

        try:
            for line in import_startup_files(settings, store, clock):
                logger.info("start-up import: %s", line)
        except (ImportRejected, PeopleError) as error:
            print(f"組織・名簿ファイルを取り込めません（何も変更していません）:\n{error}", file=sys.stderr)
            store.close()
            return 2
    app = create_app(settings, store=store, clock=clock)
    print(
        f"ICT推進ボット: http://{settings.host}:{settings.port}/api/messages で待ち受けます "
        f"（保存先: {settings.storage_backend}）。別のターミナルで `make playground` を実行すると "
        "Microsoft 365 Agents Playground で会話できます。",
        flush=True,
    )
    try:
        web.run_app(app, host=settings.host, port=settings.port, print=None)
    except OSError as error:  # taken between the check and the start
        if error.errno != errno.EADDRINUSE:
            raise
        print(f"エラー: {port_in_use(settings.host, settings.port) or error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
