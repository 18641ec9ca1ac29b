"""Token-signing keys (issue 10, point 1): fetched with a time limit, off the request path, cached;
a stalled metadata endpoint makes 503 (with Retry-After) within a few seconds and never freezes the
bot; forged tokens are 401, never 500; a token signed by the channel's keys is accepted.

``BOT_OPENID_METADATA_URL`` points at a local stand-in: one that never answers, or one that serves
our own RSA keys (generated here with ``cryptography``; tokens signed with PyJWT)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from app import create_app
from bot import signing_keys
from bot.settings import Settings
from services.proactive.conversations import ConversationDirectory
from tests.support.activities import execute_invoke, personal_message
from tests.support.cards import card_json as card_text

APP_ID = "11111111-2222-3333-4444-555555555555"
ISSUER = "https://api.botframework.com"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


KEY = new_key()
OTHER_KEY = new_key()


class KeyServer:
    """Serves OpenID metadata and a key set holding ``KEY`` (kid ``k1``), endorsed for msteams."""

    def __init__(self) -> None:
        self.hits = 0
        self.base = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> KeyServer:
        app = web.Application()
        app.router.add_get("/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/keys", self._keys)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        return self

    @property
    def url(self) -> str:
        return f"{self.base}/.well-known/openidconfiguration"

    async def _metadata(self, request: web.Request) -> web.Response:
        self.hits += 1
        return web.json_response({"issuer": ISSUER, "jwks_uri": f"{self.base}/keys"})

    async def _keys(self, request: web.Request) -> web.Response:
        jwk = RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True)
        jwk.update(kid="k1", use="sig", endorsements=["msteams"])
        return web.json_response({"keys": [jwk]})

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class SilentServer:
    """Accepts connections and never answers (a network that drops traffic silently)."""

    def __init__(self) -> None:
        self.connected = asyncio.Event()
        self.url = ""
        self._server: asyncio.base_events.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> SilentServer:
        async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self._writers.append(writer)
            self.connected.set()

        self._server = await asyncio.start_server(hold, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/.well-known/openidconfiguration"
        return self

    async def stop(self) -> None:
        for writer in self._writers:
            writer.close()
        if self._server is not None:
            self._server.close()


@pytest.fixture
async def key_server() -> AsyncIterator[KeyServer]:
    server = await KeyServer().start()
    yield server
    await server.stop()


@pytest.fixture
async def silent_server() -> AsyncIterator[SilentServer]:
    server = await SilentServer().start()
    yield server
    await server.stop()


def settings_for(tmp_path, metadata_url: str) -> Settings:
    return Settings(app_id=APP_ID, app_password="secret", data_dir=tmp_path, openid_metadata_url=metadata_url)


def token(service_url: str, *, key=KEY, kid: str = "k1", algorithm: str = "RS256", **claims) -> str:
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": APP_ID,
        "serviceurl": service_url,
        "nbf": now - 60,
        "exp": now + 3600,
        **claims,
    }
    return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid})


async def test_a_token_signed_by_the_channel_keys_is_accepted(key_server, store, tmp_path, connector):
    async with TestClient(
        TestServer(create_app(settings_for(tmp_path, key_server.url), store=store))
    ) as client:
        response = await client.post(
            "/api/messages",
            json=execute_invoke(connector.url, "menu.show"),
            headers={"Authorization": f"Bearer {token(connector.url)}"},
        )
        assert response.status == 200
        assert "ICT推進ボット" in card_text((await response.json())["value"])
        again = await client.post(
            "/api/messages",
            json=execute_invoke(connector.url, "menu.show"),
            headers={"Authorization": f"Bearer {token(connector.url)}"},
        )
        assert again.status == 200
    assert key_server.hits == 1  # fetched once (at start), then cached
    assert len(ConversationDirectory(store, lambda: None).all()) == 1


def forged_tokens(service_url: str) -> dict[str, str | None]:
    now = int(time.time())
    return {
        "no Authorization": None,
        "not a JWT": "Bearer not-a-real-token",
        "two segments": "Bearer abc.def",
        "wrong scheme": f"Basic {token(service_url)}",
        "alg none": "Bearer "
        + jwt.encode(
            {"iss": ISSUER, "aud": APP_ID, "serviceurl": service_url, "exp": now + 3600},
            None,
            algorithm="none",
            headers={"kid": "k1"},
        ),
        "HS256": "Bearer "
        + jwt.encode(
            {"iss": ISSUER, "aud": APP_ID, "serviceurl": service_url, "exp": now + 3600},
            "k1-shared-secret-of-32-bytes!!!!",
            algorithm="HS256",
            headers={"kid": "k1"},
        ),
        "unknown key id": f"Bearer {token(service_url, key=OTHER_KEY, kid='k2')}",
        "known kid, other key": f"Bearer {token(service_url, key=OTHER_KEY)}",
        "expired": f"Bearer {token(service_url, exp=now - 3600, nbf=now - 7200)}",
        "wrong audience": f"Bearer {token(service_url, aud='99999999-2222-3333-4444-555555555555')}",
        "wrong issuer": f"Bearer {token(service_url, iss='https://evil.example')}",
        "wrong serviceurl": f"Bearer {token(service_url, serviceurl='https://evil.example/')}",
    }


@pytest.mark.parametrize("case", list(forged_tokens("http://x/")))
async def test_a_forged_or_missing_token_is_401_never_500(key_server, store, tmp_path, connector, case):
    async with TestClient(
        TestServer(create_app(settings_for(tmp_path, key_server.url), store=store))
    ) as client:
        header = forged_tokens(connector.url)[case]
        for activity in (
            personal_message(connector.url, "メニュー"),
            execute_invoke(connector.url, "menu.show"),
        ):
            response = await client.post(
                "/api/messages", json=activity, headers={"Authorization": header} if header else {}
            )
            assert response.status == 401, case
    assert connector.activities == []
    assert store.snapshot() == {} or all(not rows for rows in store.snapshot().values())


async def test_a_stalled_key_endpoint_gives_503_and_the_bot_keeps_answering(
    silent_server, store, tmp_path, connector, monkeypatch
):
    monkeypatch.setattr(signing_keys, "REQUEST_WAIT", 1.0)
    async with TestClient(
        TestServer(create_app(settings_for(tmp_path, silent_server.url), store=store))
    ) as client:
        posting = asyncio.create_task(
            client.post(
                "/api/messages",
                json=personal_message(connector.url, "メニュー"),
                headers={"Authorization": f"Bearer {token(connector.url)}"},
            )
        )
        await silent_server.connected.wait()  # the key fetch is under way, and hangs
        health = await client.get("/healthz")  # the event loop still serves other requests
        assert health.status == 200
        response = await posting
        assert response.status == 503
        assert int(response.headers["Retry-After"]) > 0
        unauthenticated = await client.post("/api/messages", json=personal_message(connector.url, "メニュー"))
        assert unauthenticated.status == 401  # no token: refused at once, keys or not
    assert connector.activities == []


async def test_keys_arrive_by_background_refresh_after_a_failed_fetch(key_server, store, tmp_path, connector):
    keys = signing_keys.SigningKeys("http://127.0.0.1:9/nothing-listens-here")
    assert await keys.refresh() is False and not keys.ready
    keys.url = key_server.url
    assert await keys.refresh() is True and keys.ready
    key = await keys.get("k1")
    assert key.endorsements == ["msteams"]
    with pytest.raises(PermissionError):
        await keys.get("unknown")


async def test_in_anonymous_mode_a_token_never_blocks_the_bot_either(
    silent_server, store, tmp_path, connector, monkeypatch
):
    monkeypatch.setattr(signing_keys, "REQUEST_WAIT", 1.0)
    settings = Settings(data_dir=tmp_path, openid_metadata_url=silent_server.url)
    async with TestClient(TestServer(create_app(settings, store=store))) as client:
        posting = asyncio.create_task(
            client.post(
                "/api/messages",
                json=personal_message(connector.url, "メニュー"),
                headers={"Authorization": f"Bearer {token(connector.url)}"},
            )
        )
        await silent_server.connected.wait()
        assert (await client.get("/healthz")).status == 200
        assert (await posting).status in (401, 503)
        plain = await client.post("/api/messages", json=personal_message(connector.url, "メニュー"))
        assert plain.status == 201  # without a token, the anonymous bot answers as before


def closed_port() -> int:
    import socket

    with socket.socket() as probe:  # bound, never listening: a connection is refused at once
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_a_key_endpoint_that_refuses_connections_gives_503_at_once_never_500(
    store, tmp_path, connector
):
    url = f"http://127.0.0.1:{closed_port()}/.well-known/openidconfiguration"
    async with TestClient(TestServer(create_app(settings_for(tmp_path, url), store=store))) as client:
        for activity in (
            personal_message(connector.url, "メニュー"),
            execute_invoke(connector.url, "menu.show"),
        ):
            response = await asyncio.wait_for(  # a guard against hanging, not a timing assertion
                client.post(
                    "/api/messages",
                    json=activity,
                    headers={"Authorization": f"Bearer {token(connector.url)}"},
                ),
                signing_keys.REQUEST_WAIT + signing_keys.FETCH_TIMEOUT + 5,
            )
            assert response.status == 503 and int(response.headers["Retry-After"]) > 0
            forged = await client.post(
                "/api/messages", json=activity, headers={"Authorization": "Bearer not-a-real-token"}
            )
            assert forged.status in (401, 503)
            missing = await client.post("/api/messages", json=activity)
            assert missing.status == 401
    assert connector.activities == []
    assert all(not rows for rows in store.snapshot().values())


def test_a_request_waits_for_keys_at_most_a_few_seconds():
    """When no keys can be had (endpoint stalled or refusing), a request is answered 503 after at
    most REQUEST_WAIT; a fetch itself gives up after FETCH_TIMEOUT. Teams waits about 15 s."""
    assert 0 < signing_keys.REQUEST_WAIT <= 5 and 0 < signing_keys.FETCH_TIMEOUT <= 5
