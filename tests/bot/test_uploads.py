"""Large attachments streamed to disk (bot/uploads.py), against a local HTTP endpoint serving the
generated audit inputs: the bytes arrive whole in a 0600 file; too large, refused, redirected or
non-loopback http downloads fail with a Japanese reason and leave no file behind."""

from __future__ import annotations

import pytest
from aiohttp import web
from botbuilder.schema import Attachment

from bench.audit_data import generate
from bot.files import FILE_DOWNLOAD_INFO
from bot.uploads import save_to, with_savers
from dialogs.base import IncomingFile, UploadFailed
from tests.support.leakscan import inputs_dir


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = inputs_dir(tmp_path_factory.mktemp("upload-data"))  # My Numbers: not scanned as output
    generate(folder, 300, 280, seed=3)
    return folder


@pytest.fixture
async def server(generated):
    async def registry(request: web.Request) -> web.StreamResponse:
        return web.Response(body=(generated / "registry.csv").read_bytes())

    async def chunked(request: web.Request) -> web.StreamResponse:  # no Content-Length: the cap counts
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        data = (generated / "records.csv").read_bytes()
        for start in range(0, len(data), 4096):
            await response.write(data[start : start + 4096])
        await response.write_eof()
        return response

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/registry.csv")

    async def gone(request: web.Request) -> web.Response:
        return web.Response(status=403, text="expired")

    app = web.Application()
    app.router.add_get("/registry.csv", registry)
    app.router.add_get("/records.csv", chunked)
    app.router.add_get("/moved", moved)
    app.router.add_get("/gone", gone)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_a_file_is_streamed_whole_into_a_private_file(server, generated, tmp_path):
    for name in ("registry.csv", "records.csv"):
        target = inputs_dir(tmp_path) / name  # a copy of a test input
        written = await save_to(f"{server}/{name}", target, 10 * 1024 * 1024, 30)
        assert target.read_bytes() == (generated / name).read_bytes() and written == target.stat().st_size
        assert oct(target.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("name", ["registry.csv", "records.csv"])  # with and without Content-Length
async def test_a_file_over_the_cap_is_refused_and_removed(server, tmp_path, name):
    target = tmp_path / "big.csv"
    with pytest.raises(UploadFailed, match="大きすぎます"):
        await save_to(f"{server}/{name}", target, 10_000, 30)
    assert not target.exists()


@pytest.mark.parametrize(("path", "why"), [("/moved", "HTTP 302"), ("/gone", "HTTP 403")])
async def test_redirects_are_not_followed_and_refusals_say_so(server, tmp_path, path, why):
    target = tmp_path / "x.csv"
    with pytest.raises(UploadFailed, match=why):
        await save_to(server + path, target, 10_000_000, 30)
    assert not target.exists()


async def test_only_https_or_loopback_urls_and_never_over_an_existing_file(server, tmp_path):
    with pytest.raises(UploadFailed, match="URL"):
        await save_to("http://example.com/a.csv", tmp_path / "a.csv", 1000, 5)
    kept = tmp_path / "kept.csv"
    kept.write_text("keep")
    with pytest.raises(FileExistsError):
        await save_to(f"{server}/registry.csv", kept, 10_000_000, 30)
    assert kept.read_text() == "keep"


async def test_each_file_attachment_gets_a_saver_for_its_own_url(server, generated, tmp_path):
    attachments = [
        Attachment(content_type="text/html", content="<p>hi</p>"),
        Attachment(
            content_type=FILE_DOWNLOAD_INFO, name="a", content={"downloadUrl": f"{server}/registry.csv"}
        ),
        Attachment(
            content_type=FILE_DOWNLOAD_INFO, name="b", content={"downloadUrl": f"{server}/records.csv"}
        ),
    ]

    async def unused() -> bytes:
        raise AssertionError("not read into memory")

    files = with_savers([IncomingFile("a", unused), IncomingFile("b", unused)], attachments)
    for file, name in zip(files, ("registry.csv", "records.csv"), strict=True):
        assert file.save is not None
        await file.save(inputs_dir(tmp_path) / name, 10_000_000, 30)  # a copy of a test input
        assert (inputs_dir(tmp_path) / name).read_bytes() == (generated / name).read_bytes()
