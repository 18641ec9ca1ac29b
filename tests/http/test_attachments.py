"""Attached files (issue 10, point 5): only the hosts Teams uses (the ATTACHMENT_HOSTS setting) are
fetched, redirects are not followed, and a file is downloaded once per turn within a time limit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot import files as downloads
from bot.settings import Settings
from tests.support import people as fx
from tests.support.activities import personal_message
from tests.support.cards import card_json as card_text


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.5/file.csv",
        "https://example.com/file.csv",
        "https://sharepoint.com.evil.example/file.csv",
        "https://evilsharepoint.com/file.csv",
        "http://contoso.sharepoint.com/file.csv",  # not https
        "https://user:pw@contoso.sharepoint.com/file.csv",
        "http://127.0.0.1:1234/file.csv",  # loopback: only when a test allows it
        "http://0x7f000001/file.csv",
        "ftp://contoso.sharepoint.com/file.csv",
        "https://contoso.sharepoint.com:99999/file.csv",
    ],
)
def test_only_the_hosts_teams_uses_are_fetched_by_default(url):
    assert not downloads.allowed_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://contoso.sharepoint.com/sites/x/_layouts/15/download.aspx?UniqueId=1",
        "https://contoso-my.sharepoint.com/personal/u/_layouts/15/download.aspx?UniqueId=1",
    ],
)
def test_sharepoint_and_onedrive_download_urls_are_fetched(url):
    assert downloads.allowed_url(url)


def test_loopback_is_fetched_only_when_the_setting_allows_it():
    assert downloads.allowed_url("http://127.0.0.1:1234/f.csv", ("127.0.0.1",))
    assert not downloads.allowed_url("http://127.0.0.2:1234/f.csv", ("127.0.0.1",))
    assert Settings().attachment_hosts == ("*.sharepoint.com",)
    assert Settings.from_env({"ATTACHMENT_HOSTS": "*.sharepoint.com, 127.0.0.1"}).attachment_hosts == (
        "*.sharepoint.com",
        "127.0.0.1",
    )


def test_the_download_time_limit_is_well_under_teams_15_seconds():
    assert downloads.TIMEOUT.total is not None and downloads.TIMEOUT.total <= 10


@pytest.fixture
async def redirecting() -> AsyncIterator[tuple[str, list[str]]]:
    """``/start`` answers 302 to ``/target`` (on the same allowed host); ``/target`` serves bytes."""
    hits: list[str] = []

    async def start(request: web.Request) -> web.Response:
        hits.append("start")
        raise web.HTTPFound("/target")

    async def target(request: web.Request) -> web.Response:
        hits.append("target")
        return web.Response(body=b"secret")

    app = web.Application()
    app.router.add_get("/start", start)
    app.router.add_get("/target", target)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}", hits  # type: ignore[union-attr]
    await runner.cleanup()


async def test_a_redirect_is_not_followed(redirecting):
    base, hits = redirecting
    with pytest.raises(downloads.DownloadError):
        await downloads.download(f"{base}/start", allowed_hosts=("127.0.0.1",))
    assert hits == ["start"]


async def test_a_file_is_downloaded_once_even_when_read_twice(files):
    served, hits, base = files
    served["a.csv"] = b"x,y\n"
    [(name, read)] = downloads.file_attachments([_attachment(f"{base}/a.csv", "a.csv")], ("127.0.0.1",))
    assert await read() == b"x,y\n" and await read() == b"x,y\n"
    assert name == "a.csv" and hits == ["a.csv"]


async def test_a_failed_download_is_not_tried_again_in_the_same_turn(
    files, make_client, settings, store, connector
):
    served, hits, base = files  # "missing.csv" is not served: the stand-in answers 500
    fx.load_fixtures(store)
    client = await make_client(settings, store, clock=fx.Clock())
    activity = personal_message(connector.url, "", user_aad=fx.ADMIN)
    activity["attachments"] = [_attachment(f"{base}/missing.csv", "missing.csv").__dict__["raw"]]
    response = await client.post("/api/messages", json=activity)
    assert response.status == 201
    assert "受け取れませんでした" in card_text(connector.cards()[0])
    assert hits == ["missing.csv"]  # once, not once per dialog that looks at it


class _attachment:  # noqa: N801 - reads like the botbuilder Attachment it stands for
    def __init__(self, url: str, name: str):
        self.content_type = downloads.FILE_DOWNLOAD_INFO
        self.name = name
        self.content = {"downloadUrl": url}
        self.raw = {
            "contentType": downloads.FILE_DOWNLOAD_INFO,
            "name": name,
            "content": {"downloadUrl": url},
        }
