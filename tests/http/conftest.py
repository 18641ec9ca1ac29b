"""Fixtures shared by the HTTP tests: the recording connector, an empty store, a stand-in file
server, and a factory that serves an app built by ``create_app`` to a test client.

Each test file builds its own ``client`` (and, where it needs them, ``store``, ``clock`` or
``people``) on top of these."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from app import create_app
from bot.settings import Settings
from tests.fakes import InMemoryTableStore
from tests.support.connector import RecordingConnector


@pytest.fixture
async def connector() -> AsyncIterator[RecordingConnector]:
    rec = await RecordingConnector().start()
    yield rec
    await rec.stop()


@pytest.fixture
def store() -> InMemoryTableStore:
    return InMemoryTableStore()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, attachment_hosts=("127.0.0.1",))  # the stand-in file server below


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[web.Application], Awaitable[TestClient]]]:
    """``await serve(app)`` gives a started test client for ``app``; closed after the test."""
    clients: list[TestClient] = []

    async def start(app: web.Application) -> TestClient:
        test_client = TestClient(TestServer(app))
        await test_client.start_server()
        clients.append(test_client)
        return test_client

    yield start
    for test_client in reversed(clients):
        await test_client.close()


@pytest.fixture
def make_client(serve) -> Callable[..., Awaitable[TestClient]]:
    """``await make_client(settings, store, **create_app_options)``: the whole app, served."""

    async def make(settings: Settings, store, **options) -> TestClient:
        return await serve(create_app(settings, store=store, **options))

    return make


@pytest.fixture
async def files():
    """A stand-in for SharePoint's pre-authenticated download URLs: (served, hits, base URL)."""
    served: dict[str, bytes] = {}
    hits: list[str] = []

    async def get(request: web.Request) -> web.Response:
        hits.append(request.match_info["name"])
        return web.Response(body=served[request.match_info["name"]])

    app = web.Application()
    app.router.add_get("/files/{name}", get)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield served, hits, f"http://127.0.0.1:{port}/files"
    await runner.cleanup()
