"""What a turn does that it need not: the outbound side of botbuilder 4.17.1, made lean (issue 18 §6).

Measured with py-spy on the menu turn (``bench/load.py --profile``), botbuilder spends most of a
turn on work whose result is the same every time. Each piece here removes one, without changing
what goes over the wire, which requests are made, or how they are retried:

:class:`LeanAuthentication` (installed by :func:`install`)
    Wraps the adapter's ``BotFrameworkAuthentication``:

    - **connector clients are reused.** botbuilder builds a new msrest ``ConnectorClient`` for every
      turn (a serialiser over every schema model, a pipeline, two ``ClientRetryPolicy`` objects)
      and, through it, a new ``requests`` session, so every reply opened a new TCP connection. The
      connector factory handed to a turn now returns one client per (app id, scope, service URL,
      audience), kept in a small LRU: the same credentials, the same retry policy and the same
      pipeline as a fresh one, and ``requests`` keeps one session per executor thread
      (``RequestsHTTPSender`` is thread-local), so connections are kept alive between replies.
    - **the user-token client is built only if it is used.** The bot has no sign-in; botbuilder
      still built a ``UserTokenClient`` (a second msrest client) on every turn. A lazy stand-in
      builds the real one on first use.

:class:`CardContent`
    A card dict that msrest sends as it is. msrest serialises an attachment's ``content`` (typed
    ``object``) by walking it value by value; our cards are already plain JSON (``cards.common``
    sizes them with ``json.dumps`` before they leave), so the walk returns an equal copy. As a
    ``Model`` whose whole body is its additional properties, msrest copies the dict instead. It is
    still a ``dict`` for everybody else (TestAdapter, ``json.dumps``, equality), and a deep copy
    of the reply (``TurnContext.send_activities``) shares it: cards are never changed once sent.

:class:`LeanSerializer` (on every cached client's operations)
    msrest's ``Serializer.body(activity, "Activity")`` first runs a deserialiser over the model
    (a no-op on a model built in code), validates it against the schema's constraints (the
    botbuilder schema declares none), then serialises it attribute by attribute through generic
    dispatch. The lean one walks each model's ``_attribute_map`` with the same rules (a ``None``
    is left out, ``str`` takes an enum's value, ``iso-8601`` and ``object`` through msrest's own
    functions, keys in map order) and hands anything else (a dict where a model belongs, a
    flattened key, bytes, an enum type) back to msrest whole: the JSON is the same, byte for byte.

``tests/bot/test_outbound.py`` checks that the bytes sent are unchanged (every sample card through
msrest both ways), that clients are reused per service URL and rebuilt for another, and that the
token client is built on first use; ``tests/http`` runs every flow through it.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from enum import Enum
from typing import Any

from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from botframework.connector.auth import BotFrameworkAuthentication, ClaimsIdentity
from botframework.connector.auth.authenticate_request_result import AuthenticateRequestResult
from botframework.connector.auth.connector_factory import ConnectorFactory
from msrest.serialization import Model, Serializer

logger = logging.getLogger(__name__)

CLIENT_CACHE_SIZE = 64  # service URLs × audiences the bot talks to: a handful in practice


class CardContent(dict, Model):
    """An Adaptive Card (plain JSON) that msrest copies instead of walking (see the module docstring)."""

    _attribute_map = {"additional_properties": {"key": "", "type": "{object}"}}
    _validation: dict = {}

    @property
    def additional_properties(self) -> dict:  # type: ignore[override]
        return self

    def __str__(self) -> str:  # not Model's (its __dict__, empty here)
        return dict.__repr__(self)

    def __deepcopy__(self, memo: dict) -> CardContent:
        return self  # a card is never changed once it is sent


def card_content(card: dict) -> dict:
    return card if isinstance(card, CardContent) else CardContent(card)


class _NotPlain(Exception):
    """Something the lean serialiser leaves to msrest."""


class LeanSerializer(Serializer):
    """msrest's serialiser, with a direct path for an outgoing ``Activity`` (see the module docstring)."""

    _plans: dict[type, list[tuple[str, str, str]]] = {}

    def body(self, data: Any, data_type: str, **kwargs: Any) -> Any:
        if data_type == "Activity" and not kwargs and isinstance(data, Model):
            try:
                return self._model(data)
            except _NotPlain:
                pass
        return super().body(data, data_type, **kwargs)

    def _plan(self, cls: type) -> list[tuple[str, str, str]]:
        plan = self._plans.get(cls)
        if plan is None:
            if getattr(cls, "_validation", None) or getattr(cls, "_xml_map", None):
                raise _NotPlain(cls.__name__)
            plan = []
            for attr, desc in cls._attribute_map.items():  # type: ignore[attr-defined]
                key = desc["key"]
                if attr == "additional_properties" and key == "":
                    plan.append((attr, "", "additional_properties"))
                    continue
                if "." in key or "\\" in key:
                    raise _NotPlain(key)
                plan.append((attr, key, desc["type"]))
            self._plans[cls] = plan
        return plan

    def _model(self, model: Any) -> dict:
        if isinstance(model, CardContent):
            return dict(model)
        out: dict[str, Any] = {}
        for attr, key, kind in self._plan(type(model)):
            value = getattr(model, attr)
            if kind == "additional_properties":
                if value is not None:
                    out.update(value)
                continue
            if value is None:
                continue
            out[key] = self._value(value, kind)
        return out

    def _value(self, value: Any, kind: str) -> Any:
        if kind == "str":  # msrest's serialize_unicode: anything with a value (an enum) gives that
            if type(value) is str:
                return value
            try:
                return value.value
            except AttributeError:
                return str(value)
        if kind == "object":
            return self.serialize_object(value)
        if kind == "bool":
            return bool(value)
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "iso-8601":
            return Serializer.serialize_iso(value)
        if kind[0] == "[" and kind[-1] == "]":
            if not isinstance(value, list):
                raise _NotPlain(kind)
            inner = kind[1:-1]
            return [None if v is None else self._value(v, inner) for v in value]
        if kind[0] == "{" and kind[-1] == "}":
            if not isinstance(value, dict):
                raise _NotPlain(kind)
            inner = kind[1:-1]
            return {
                self.serialize_unicode(k): None if v is None else self._value(v, inner)
                for k, v in value.items()
            }
        model = self.dependencies.get(kind)
        if model is None or not isinstance(value, Model) or issubclass(model, Enum):
            raise _NotPlain(kind)
        return self._model(value)


def lean_operations(client: Any) -> Any:
    """``client`` (a connector client) with :class:`LeanSerializer` on its conversation operations."""
    conversations = getattr(client, "conversations", None)
    serializer = getattr(conversations, "_serialize", None)
    if isinstance(serializer, Serializer) and not isinstance(serializer, LeanSerializer):
        conversations._serialize = LeanSerializer(serializer.dependencies)  # type: ignore[union-attr]
    return client


class ClientCache:
    """Connector clients by (app id, scope, service URL, audience), least recently used dropped."""

    def __init__(self, size: int = CLIENT_CACHE_SIZE):
        self._size = size
        self._clients: OrderedDict[tuple, Any] = OrderedDict()

    async def get(self, key: tuple, build) -> Any:
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
            return client
        client = await build()
        self._clients[key] = client
        while len(self._clients) > self._size:
            self._clients.popitem(last=False)
        return client

    def __len__(self) -> int:
        return len(self._clients)


class CachingConnectorFactory(ConnectorFactory):
    """The factory botbuilder made for this request, with its clients kept in ``cache``."""

    def __init__(self, inner: ConnectorFactory, cache: ClientCache):
        self._inner = inner
        self._cache = cache
        # botframework's _ConnectorFactoryImpl: the credentials a client gets depend on these only
        self._identity = (
            getattr(inner, "_app_id", None),
            getattr(inner, "_to_channel_from_bot_oauth_scope", None),
            getattr(inner, "_login_endpoint", None),
        )

    async def create(self, service_url: str, audience: str = None):  # type: ignore[override]  # noqa: RUF013
        key = (*self._identity, service_url, audience)

        async def build():
            return lean_operations(await self._inner.create(service_url, audience))

        return await self._cache.get(key, build)


class LazyUserTokenClient:
    """Builds the real ``UserTokenClient`` the first time anything on it is used."""

    def __init__(self, authentication: BotFrameworkAuthentication, claims_identity: ClaimsIdentity):
        self._authentication = authentication
        self._claims_identity = claims_identity
        self._client = None

    async def _real(self):
        if self._client is None:
            self._client = await self._authentication.create_user_token_client(self._claims_identity)
        return self._client

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await getattr(await self._real(), name)(*args, **kwargs)

        return call


class LeanAuthentication(BotFrameworkAuthentication):
    """Delegates to botbuilder's authentication; reuses connector clients, defers the token client."""

    def __init__(self, inner: BotFrameworkAuthentication, cache: ClientCache | None = None):
        self.inner = inner
        self.clients = cache or ClientCache()

    def _lean(self, factory: ConnectorFactory | None) -> ConnectorFactory | None:
        if factory is None or type(factory).__name__ != "_ConnectorFactoryImpl":
            return factory  # streaming or unknown factories are left as they are
        return CachingConnectorFactory(factory, self.clients)

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        result = await self.inner.authenticate_request(activity, auth_header)
        result.connector_factory = self._lean(result.connector_factory)  # type: ignore[assignment]
        return result

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        return await self.inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self._lean(self.inner.create_connector_factory(claims_identity))  # type: ignore[return-value]

    async def create_user_token_client(self, claims_identity: ClaimsIdentity):
        return LazyUserTokenClient(self.inner, claims_identity)

    def create_bot_framework_client(self):
        return self.inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self.inner.get_originating_audience()

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self.inner.authenticate_channel_request(auth_header)


def install(adapter: CloudAdapter) -> LeanAuthentication:
    """Put :class:`LeanAuthentication` in front of ``adapter``'s authentication (once)."""
    current = adapter.bot_framework_authentication
    if isinstance(current, LeanAuthentication):
        return current
    lean = LeanAuthentication(current)
    adapter.bot_framework_authentication = lean
    return lean
