"""The Bot Framework's token-signing keys, fetched with a time limit and never on a request's path.

botbuilder 4.17.1 fetches the OpenID metadata and its key set with ``requests.get()`` and no timeout,
from inside the event loop (``botframework/connector/auth/jwt_token_extractor.py``), and does not
cache a failure: one stalled endpoint stops the whole bot. :func:`install` replaces the lookup
botbuilder uses (``JwtTokenExtractor.get_open_id_metadata``) with :class:`SigningKeys`:

- keys are fetched with aiohttp and a total time limit (:data:`FETCH_TIMEOUT`), and kept;
- :meth:`SigningKeys.run` refreshes them in the background (the app starts it), every
  :data:`REFRESH_EVERY`, sooner (:data:`RETRY_EVERY`) after a failure; old keys stay in use
  until new ones arrive;
- a request that finds no keys at all waits at most :data:`REQUEST_WAIT` for a fetch under way,
  then gets :class:`SigningKeysUnavailable` (the bot answers 503 with ``Retry-After``);
- a token whose key id is unknown is refused (401) at once, and starts a background refresh
  (at most one every :data:`UNKNOWN_KEY_REFRESH`), for a key rolled over since the last fetch.

The channel's metadata URL is the ``BOT_OPENID_METADATA_URL`` setting (tests point it at a local
stand-in); every other metadata URL botbuilder asks for (emulator, skills, government) is served by
the same kind of cache, from its own URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from botframework.connector.auth import AuthenticationConstants
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from jwt.algorithms import RSAAlgorithm

logger = logging.getLogger(__name__)

FETCH_TIMEOUT = 5.0
REQUEST_WAIT = 3.0
REFRESH_EVERY = 12 * 3600.0
RETRY_EVERY = 30.0
UNKNOWN_KEY_REFRESH = 300.0
RETRY_AFTER_SECONDS = 30
MAX_METADATA_BYTES = 1024 * 1024


class SigningKeysUnavailable(Exception):
    """No signing keys could be had in time: the request cannot be authenticated now (503)."""


@dataclass(frozen=True)
class _Key:
    """What botbuilder's JwtTokenExtractor reads of a key (``_OpenIdConfig``)."""

    public_key: Any
    endorsements: list[str]


def _allowed(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


class SigningKeys:
    """One OpenID metadata URL's keys. ``await get(kid)`` is botbuilder's interface."""

    def __init__(self, url: str):
        self.url = url
        self._keys: dict[str, _Key] | None = None
        self._fetched_at = 0.0  # time.monotonic() of the last successful fetch
        self._attempted_at = -UNKNOWN_KEY_REFRESH
        self._fetch: asyncio.Task | None = None

    @property
    def ready(self) -> bool:
        return self._keys is not None

    async def get(self, key_id: str | None) -> _Key:
        if self._keys is None:
            task = self._start_fetch()
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), REQUEST_WAIT)
            if self._keys is None:
                raise SigningKeysUnavailable(self.url)
        elif time.monotonic() - self._fetched_at > REFRESH_EVERY:
            self._start_fetch()  # the background task fell behind: refresh, but answer now
        key = self._keys.get(key_id or "")
        if key is None:
            if time.monotonic() - self._attempted_at > UNKNOWN_KEY_REFRESH:
                self._start_fetch()
            raise PermissionError("the token's signing key is not one of the channel's keys")
        return key

    def _start_fetch(self) -> asyncio.Task:
        loop = asyncio.get_running_loop()
        if self._fetch is None or self._fetch.done() or self._fetch.get_loop() is not loop:
            self._fetch = asyncio.get_running_loop().create_task(self.refresh())
        return self._fetch

    async def refresh(self) -> bool:
        """Fetch the metadata and the key set once; True if the keys were replaced."""
        self._attempted_at = time.monotonic()
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=FETCH_TIMEOUT)) as session:
                metadata = await _get_json(session, self.url)
                jwks_uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
                if not isinstance(jwks_uri, str):
                    raise ValueError("no jwks_uri in the OpenID metadata")
                key_set = await _get_json(session, jwks_uri)
            keys = _parse_keys(key_set)
        except (aiohttp.ClientError, TimeoutError, ValueError, RecursionError) as error:
            logger.warning(
                "could not fetch the token-signing keys from %s: %s", self.url, type(error).__name__
            )
            return False
        self._keys, self._fetched_at = keys, time.monotonic()
        logger.info("token-signing keys from %s: %d keys", self.url, len(keys))
        return True

    async def run(self) -> None:
        """Keep the keys fresh until cancelled (started and stopped with the app)."""
        try:
            while True:
                ok = await asyncio.shield(self._start_fetch())  # shared with a request that waits for it
                await asyncio.sleep(REFRESH_EVERY if ok else RETRY_EVERY)
        finally:
            if self._fetch is not None and not self._fetch.done():
                self._fetch.cancel()


async def _get_json(session: aiohttp.ClientSession, url: str) -> Any:
    if not _allowed(url):
        raise ValueError("only https URLs (http on loopback) are fetched")
    async with session.get(url, allow_redirects=False) as response:
        if response.status != 200:
            raise ValueError(f"HTTP {response.status}")
        body = await response.content.read(MAX_METADATA_BYTES + 1)
        if len(body) > MAX_METADATA_BYTES:
            raise ValueError("metadata too large")
        return json.loads(body)


def _parse_keys(key_set: Any) -> dict[str, _Key]:
    entries = key_set.get("keys") if isinstance(key_set, dict) else None
    if not isinstance(entries, list):
        raise ValueError("no keys in the key set")
    keys = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str) or entry.get("kty") != "RSA":
            continue
        try:
            public_key = RSAAlgorithm.from_jwk(json.dumps(entry))
        except Exception:  # one bad key does not spoil the others
            continue
        endorsements = entry.get("endorsements")
        keys[entry["kid"]] = _Key(public_key, list(endorsements) if isinstance(endorsements, list) else [])
    if not keys:
        raise ValueError("no usable RSA keys in the key set")
    return keys


# --- botbuilder's lookup, replaced --------------------------------------------------------------

_registry: dict[str, SigningKeys] = {}
_MARK = "_ict_signing_keys"


def _lookup(metadata_url: str) -> SigningKeys:
    keys = _registry.get(metadata_url)
    if keys is None:
        keys = _registry.setdefault(metadata_url, SigningKeys(metadata_url))
    return keys


def install(channel_metadata_url: str) -> SigningKeys:
    """Route botbuilder's key lookups through :class:`SigningKeys`; the channel's keys come from
    ``channel_metadata_url``. Returns the channel's keys (the app refreshes them in the background)."""
    current = JwtTokenExtractor.__dict__.get("get_open_id_metadata")
    if not getattr(getattr(current, "__func__", None), _MARK, False):
        setattr(_lookup, _MARK, True)
        JwtTokenExtractor.get_open_id_metadata = staticmethod(_lookup)
    _registry.clear()
    channel = SigningKeys(channel_metadata_url)
    _registry[AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL] = channel
    _registry[channel_metadata_url] = channel
    return channel
