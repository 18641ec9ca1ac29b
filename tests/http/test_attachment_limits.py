"""Attachments (issue 18 §2): only the allowed hosts are fetched, a redirect to another host is not
followed, and size and time are capped, for both readers (``bot.files.download`` into memory for
imports, ``bot.uploads.save_to`` to disk for the linkage audit). A local server on 127.0.0.1 plays
SharePoint; ``localhost`` (the same machine, another host name) plays "another host"."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from bot import files as downloads
from bot.uploads import save_to
from dialogs.base import UploadFailed
from tests.support import people as fx
from tests.support.activities import personal_message
from tests.support.cards import card_json as card_text

ALLOWED = ("127.0.0.1",)
BIG = 64 * 1024


@dataclass
class Server:
    base: str = ""  # http://127.0.0.1:PORT
    other: str = ""  # the same server as http://localhost:PORT: a host that is not allowed
    hits: list[str] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()

    async def hit(request: web.Request) -> None:
        state.hits.append(f"{request.host.split(':')[0]}{request.path}")

    async def to_other_host(request: web.Request) -> web.Response:
        await hit(request)
        raise web.HTTPFound(f"{state.other}/target")

    async def to_other_host_307(request: web.Request) -> web.Response:
        await hit(request)
        raise web.HTTPTemporaryRedirect(f"{state.other}/target")

    async def target(request: web.Request) -> web.Response:
        await hit(request)
        return web.Response(body=b"secret from the other host")

    async def big(request: web.Request) -> web.Response:
        await hit(request)
        return web.Response(body=b"x" * BIG)

    async def big_chunked(request: web.Request) -> web.StreamResponse:  # no Content-Length
        await hit(request)
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(BIG // 4096):
            await response.write(b"x" * 4096)
        await response.write_eof()
        return response

    async def stalls(request: web.Request) -> web.StreamResponse:  # headers, a little, then nothing
        await hit(request)
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(b"x,y\n")
        await state.release.wait()
        return response

    async def silent(request: web.Request) -> web.Response:  # no answer at all
        await hit(request)
        await state.release.wait()
        return web.Response(body=b"late")

    app = web.Application()
    for path, handler in (
        ("/redirect", to_other_host),
        ("/redirect307", to_other_host_307),
        ("/target", target),
        ("/big", big),
        ("/big-chunked", big_chunked),
        ("/stalls", stalls),
        ("/silent", silent),
    ):
        app.router.add_get(path, handler)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state.base, state.other = f"http://127.0.0.1:{port}", f"http://localhost:{port}"
    yield state
    state.release.set()
    await runner.cleanup()


# --- hosts and redirects ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/redirect", "/redirect307"])
async def test_a_redirect_to_another_host_is_not_followed_by_either_reader(server, tmp_path, path):
    with pytest.raises(downloads.DownloadError, match="転送"):
        await downloads.download(server.base + path, allowed_hosts=ALLOWED)
    target = tmp_path / "x.csv"
    with pytest.raises(UploadFailed, match="HTTP 30"):
        await save_to(server.base + path, target, 10_000, 5, ALLOWED)
    assert not target.exists()
    assert server.hits == [f"127.0.0.1{path}"] * 2  # the other host was never asked


async def test_another_host_is_not_fetched_even_on_the_same_machine(server, tmp_path):
    with pytest.raises(downloads.DownloadError, match="想定外"):
        await downloads.download(f"{server.other}/target", allowed_hosts=ALLOWED)
    with pytest.raises(UploadFailed, match="想定外"):
        await save_to(f"{server.other}/target", tmp_path / "x.csv", 10_000, 5, ALLOWED)
    assert server.hits == []


async def test_a_file_from_a_host_teams_does_not_use_is_refused_in_the_chat(
    server, make_client, settings, store, connector
):
    fx.load_fixtures(store)
    client = await make_client(settings, store, clock=fx.Clock())
    activity = personal_message(connector.url, "", user_aad=fx.ADMIN)
    activity["attachments"] = [
        {
            "contentType": downloads.FILE_DOWNLOAD_INFO,
            "name": "roster.csv",
            "content": {"downloadUrl": f"{server.other}/target", "fileType": "csv"},
        }
    ]
    response = await client.post("/api/messages", json=activity)
    assert response.status == 201
    assert "受け取れませんでした" in card_text(connector.cards()[0])
    assert server.hits == []


# --- size -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/big", "/big-chunked"])  # with and without Content-Length
async def test_a_file_over_the_size_cap_is_refused_by_both_readers(server, tmp_path, path):
    with pytest.raises(downloads.DownloadError, match="大きすぎます"):
        await downloads.download(server.base + path, max_bytes=BIG // 2, allowed_hosts=ALLOWED)
    target = tmp_path / "big.csv"
    with pytest.raises(UploadFailed, match="大きすぎます"):
        await save_to(server.base + path, target, BIG // 2, 5, ALLOWED)
    assert not target.exists()


def test_the_default_caps_are_set():
    assert downloads.MAX_DOWNLOAD_BYTES == 5 * 1024 * 1024
    assert downloads.TIMEOUT.total is not None and downloads.TIMEOUT.total <= 10


# --- time -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/stalls", "/silent"])
async def test_a_download_that_stalls_is_given_up_at_the_time_cap(server, tmp_path, monkeypatch, path):
    import aiohttp

    monkeypatch.setattr(downloads, "TIMEOUT", aiohttp.ClientTimeout(total=0.3))
    with pytest.raises(downloads.DownloadError, match="ダウンロードできませんでした"):
        await asyncio.wait_for(downloads.download(server.base + path, allowed_hosts=ALLOWED), 10)
    target = tmp_path / "slow.csv"
    with pytest.raises(UploadFailed, match="受け取れませんでした"):
        await asyncio.wait_for(save_to(server.base + path, target, 10_000, 0.3, ALLOWED), 10)
    assert not target.exists()
