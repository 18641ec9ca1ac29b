"""Property-based tests of the edge (issue 10, point 7), through the whole app over HTTP.

- Any request to ``/api/messages`` (every activity type, wrong types in every field, odd encodings,
  depth, size) is answered 2xx or 4xx, never 5xx; a 4xx writes nothing and sends nothing.
- Any card action (every verb the cards and the registry know, programmes added later included,
  and unknown ones) with generated data, from any kind of user, is answered with a card under the
  size limit, never the error turn; an action refused as unreadable writes nothing.

``make test`` runs the ``normal`` hypothesis profile (a few hundred examples per property);
``make fuzz`` runs the ``fuzz`` profile (ten thousand or more).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from hypothesis import event, given, note
from hypothesis import strategies as st

import cards
from bot.adapter import TURN_ERROR_MESSAGE
from bot.programmes import PROGRAMMES
from bot.settings import Settings
from cards.common import MAX_SEND_BYTES, card_send_bytes
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from tests.cards.test_schema import every_card
from tests.fakes import InMemoryTableStore
from tests.support import fuzz
from tests.support import people as fx
from tests.support.activities import execute_invoke
from tests.support.cards import actions as card_actions

_VERB = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")


def registered_verbs() -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    """Every verb the bot knows, found where programmes declare them, so a programme added later is
    fuzzed without touching this file: the ``<key>.open`` of every registry line, every verb
    constant of every ``cards`` module, and the verb and data of every action on every sample card
    (``tests/cards/test_schema.every_card``)."""
    prefixes = {p.info.key for p in PROGRAMMES} | {"admin", "register", "proactive", "menu"}
    verbs = {f"{p.info.key}.open" for p in PROGRAMMES}
    for module in pkgutil.iter_modules(cards.__path__):
        values = vars(importlib.import_module(f"cards.{module.name}")).values()
        verbs |= {v for v in values if isinstance(v, str) and _VERB.match(v) and v.split(".")[0] in prefixes}
    samples: list[tuple[str, dict[str, Any]]] = []
    for _name, build in every_card():
        for action in card_actions(build()):
            data = action.get("data") or {}
            verb = action.get("verb") or data.get("verb")
            if isinstance(verb, str):
                verbs.add(verb)
                samples.append((verb, {k: v for k, v in data.items() if k != "verb"}))
    return sorted(verbs), samples


VERBS, SAMPLES = registered_verbs()
USERS = (fx.ADMIN, fx.DX_HEALTH, fx.DX_CHILD, fx.MANAGER, fx.CONTACT, fx.STAFF, fx.UNREGISTERED)


def test_the_verbs_include_every_programme_and_the_shared_menus():
    for programme in PROGRAMMES:
        assert f"{programme.info.key}.open" in VERBS
    assert {"admin.grant", "register.submit", "proactive.map_channel", "online_procedures.submit"} <= set(
        VERBS
    )
    assert SAMPLES


def _store() -> InMemoryTableStore:
    store = InMemoryTableStore()
    seed_store(store, load_seed())
    fx.load_fixtures(store)
    return store


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[fuzz.Harness]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("fuzz"), max_body_bytes=256 * 1024)
    yield from fuzz.harness(settings, _store(), clock=fx.Clock(datetime(2023, 9, 20, 10, 0, tzinfo=TIMEZONE)))


def _apologies(harness: fuzz.Harness) -> list[str]:
    return [
        a.get("text") or ""
        for a in harness.connector.activities
        if TURN_ERROR_MESSAGE in (a.get("text") or "")
    ]


@given(data=st.data())
def test_any_request_is_answered_2xx_or_4xx_and_a_4xx_writes_nothing(app, data):
    request = data.draw(fuzz.hostile_requests(app.connector.url))
    before, sent = app.store.snapshot(), len(app.connector.activities)
    status, body = app.post(request.body, request.content_type)
    note(f"{request.note}: {status} {body[:200]}")
    event(f"HTTP {status}")  # the distribution shows with --hypothesis-show-statistics (make fuzz)
    assert status < 500, body[:500]
    if status >= 400:
        assert app.store.snapshot() == before
        assert len(app.connector.activities) == sent
    assert _apologies(app) == []


def _actions() -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    known = st.tuples(st.sampled_from(VERBS), fuzz.card_data())
    unknown = st.tuples(
        st.one_of(
            st.text(max_size=30),
            st.sampled_from(VERBS).map(lambda v: v + "x"),
            st.sampled_from(VERBS).map(lambda v: v.split(".")[0] + "."),
        ),
        fuzz.card_data(),
    )

    @st.composite
    def from_samples(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
        verb, sample = draw(st.sampled_from(SAMPLES))
        mutated = dict(sample)
        for key, value in draw(fuzz.card_data()).items():
            target = draw(st.sampled_from([*sample, key])) if sample else key
            mutated[target] = value
        return verb, mutated

    return st.one_of(known, from_samples(), unknown)


@given(action=_actions(), user=st.sampled_from(USERS))
def test_any_card_action_is_answered_with_a_card_and_a_refusal_writes_nothing(app, action, user):
    verb, data = action
    activity = execute_invoke(app.connector.url, "menu.show", user_aad=user)
    activity["value"]["action"] = {"type": "Action.Execute", "verb": verb, "data": {"verb": verb, **data}}
    before = app.store.snapshot()
    status, body = app.post(json.dumps(activity, ensure_ascii=False).encode(), "application/json")
    note(f"{verb} {status} {body[:300]}")
    assert status == 200, body[:500]
    answer = json.loads(body)
    card = answer["value"]
    assert answer["type"] == "application/vnd.microsoft.card.adaptive" and card["type"] == "AdaptiveCard"
    assert card_send_bytes(card) <= MAX_SEND_BYTES
    text = json.dumps(card, ensure_ascii=False)
    assert "処理できませんでした" not in text and TURN_ERROR_MESSAGE not in text
    refused = "送信された内容を読み取れなかったため" in text
    wrote = app.store.snapshot() != before
    event("refused as unreadable" if refused else "answered by the dialogs")
    event("wrote to the store" if wrote else "wrote nothing")
    if refused:  # the polite refusal: nothing written
        assert not wrote
    assert _apologies(app) == []
