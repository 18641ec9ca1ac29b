"""Storage outage on Azure Table Storage (issue 18 §4): an Azurite of this module's own is stopped,
then frozen, under a few concurrent turns.

Every turn is answered in Japanese that nothing was saved (「混み合っています」 when all storage
slots are taken), ``/healthz`` answers 503 within its own timeout, and when Azurite is back the same
app (no restart) saves again and every save it acknowledged is there. Timeouts are short here
(settings below) so the module runs in seconds; ``OUTAGE_DEFAULT_TIMEOUTS=1`` runs it with the
shipped defaults instead. The times measured are printed (``-s``) for docs/reliability.md; the only
timed assertion is the generous one: answered before Teams gives up.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable
from dataclasses import replace
from typing import Any

import pytest

from app import store_timeouts
from bot.storage_pool import STORAGE_BUSY_MESSAGE, STORAGE_DOWN_MESSAGE
from cards import literacy as cards
from services.literacy.service import ASSESSMENTS, TABLE
from storage import open_store
from tests.support import people as fx
from tests.support.activities import execute_invoke, personal_message
from tests.support.azurite_process import AzuriteProcess
from tests.support.cards import card_json as text

pytestmark = pytest.mark.azurite

TEAMS_REPLY_LIMIT_SECONDS = 15.0  # Teams shows an error when a bot takes longer than about this
SAVED = "保存しました"
NOT_SAVED = "保存されていません"
LEVELS = {"Teams": "2", "Microsoft 365": "1", "RPA": "0", "データベース・Power Platform": "1"}
CONCURRENT_TURNS = 6  # more than STORAGE_MAX_IN_FLIGHT below: some of them find every slot taken


@pytest.fixture(scope="module")
def azurite(tmp_path_factory):
    process = AzuriteProcess(tmp_path_factory.mktemp("azurite-outage"))
    process.start()
    yield process
    process.close()


@pytest.fixture
def settings(settings):
    if os.environ.get("OUTAGE_DEFAULT_TIMEOUTS") == "1":  # the shipped defaults, for the figures
        return settings
    return replace(
        settings,
        storage_connect_timeout_seconds=0.5,
        storage_read_timeout_seconds=0.5,
        storage_retries=1,
        storage_threads=6,
        storage_max_in_flight=4,
        storage_queue_seconds=0.5,
        healthz_timeout_seconds=1.0,
    )


@pytest.fixture
def store(azurite, settings, tmp_path):
    opened = open_store(
        data_dir=tmp_path,
        azure_connection_string=azurite.connection_string,
        timeouts=store_timeouts(settings),
    )
    fx.load_fixtures(opened)
    yield opened
    opened.close()


@pytest.fixture
async def client(make_client, settings, store):
    return await make_client(settings, store, clock=fx.Clock())


_users = iter(range(1, 10_000))


def new_user() -> str:
    """An unregistered member of staff (they may save their own self-assessment): one insert each."""
    return f"00000000-0000-4000-8000-{next(_users):012d}"


async def timed(step: Awaitable[Any]) -> tuple[Any, float]:
    started = time.monotonic()
    result = await step
    return result, time.monotonic() - started


async def save(client, connector, user: str) -> dict:
    """The literacy self-assessment saved by Action.Execute: the card the invoke answers with."""
    data = {"etag": "", **{cards.LEVEL_PREFIX + tool: level for tool, level in LEVELS.items()}}
    response = await client.post(
        "/api/messages", json=execute_invoke(connector.url, cards.SAVE_VERB, data, user_aad=user)
    )
    assert response.status == 200
    return (await response.json())["value"]


async def menu_message(client, connector, user: str) -> str:
    """A typed message; the text of the bot's answer in that conversation."""
    activity = personal_message(connector.url, "メニュー", user_aad=user)
    response = await client.post("/api/messages", json=activity)
    assert response.status in (200, 201)
    answers = [a for a in connector.activities if a["conversation"]["id"] == activity["conversation"]["id"]]
    return json.dumps(answers, ensure_ascii=False)


def stored_levels(store, user: str) -> dict | None:
    entity = store.get(TABLE, ASSESSMENTS, user)
    return json.loads(entity["levels"]) if entity is not None else None


async def healthz(client) -> tuple[int, float]:
    started = time.monotonic()
    response = await client.get("/healthz")
    return response.status, time.monotonic() - started


async def outage_round(client, connector) -> tuple[list[str], list[float], int, float]:
    """CONCURRENT_TURNS saves and one typed message at once while /healthz is asked; every answer
    says nothing was saved. Returns the users whose saves were refused, the answer times, and the
    health check's status and time."""
    users = [new_user() for _ in range(CONCURRENT_TURNS)]
    typed_user = new_user()
    results = await asyncio.gather(
        *(timed(save(client, connector, user)) for user in users),
        timed(menu_message(client, connector, typed_user)),
        healthz(client),
    )
    *turns, (health_status, health_seconds) = results
    answers = [answer for answer, _ in turns]
    times = [seconds for _, seconds in turns]
    for answer in answers:
        body = text(answer) if isinstance(answer, dict) else answer
        assert NOT_SAVED in body, body
        assert STORAGE_DOWN_MESSAGE in body or STORAGE_BUSY_MESSAGE in body, body
    assert max(times) < TEAMS_REPLY_LIMIT_SECONDS
    assert health_seconds < TEAMS_REPLY_LIMIT_SECONDS
    return users, times, health_status, health_seconds


async def recovered(client, connector, store) -> tuple[str, float]:
    """After the outage the same app saves again (no restart): the first save's user and time."""
    user = new_user()
    card, seconds = await timed(save(client, connector, user))
    assert SAVED in text(card), text(card)
    assert stored_levels(store, user) == {tool: int(level) for tool, level in LEVELS.items()}
    return user, seconds


def report(scenario: str, **figures: Any) -> None:
    shown = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in figures.items()}
    print(f"\nOUTAGE {scenario}: {json.dumps(shown, ensure_ascii=False)}")


async def acknowledged_saves(client, connector, count: int) -> list[str]:
    users = []
    for _ in range(count):
        user = new_user()
        card = await save(client, connector, user)
        assert SAVED in text(card)
        users.append(user)
    return users


async def test_azurite_stopped_every_turn_is_told_nothing_was_saved_and_the_bot_recovers(
    azurite, client, connector, store
):
    acknowledged = await acknowledged_saves(client, connector, 3)
    assert (await healthz(client))[0] == 200

    azurite.stop()
    try:
        refused, times, health_status, health_seconds = await outage_round(client, connector)
        assert health_status == 503
        second_round = await outage_round(client, connector)  # still down: the same answers
    finally:
        azurite.start()

    user, recovery_seconds = await recovered(client, connector, store)
    acknowledged.append(user)
    assert (await healthz(client))[0] == 200
    for saved_user in acknowledged:  # nothing acknowledged was lost
        assert stored_levels(store, saved_user) is not None
    refused_users = refused + second_round[0]
    written_anyway = sum(stored_levels(store, u) is not None for u in refused_users)
    assert written_anyway == 0  # nothing reached a stopped Azurite
    report(
        "azurite stopped",
        turns=len(times) + len(second_round[1]),
        max_answer_seconds=max(times + second_round[1]),
        healthz_status=health_status,
        healthz_seconds=health_seconds,
        recovery_save_seconds=recovery_seconds,
        acknowledged=len(acknowledged),
        acknowledged_lost=0,
    )


async def test_azurite_frozen_every_turn_is_told_nothing_was_saved_and_the_bot_recovers(
    azurite, client, connector, store
):
    acknowledged = await acknowledged_saves(client, connector, 3)

    azurite.freeze()
    try:
        refused, times, health_status, health_seconds = await outage_round(client, connector)
        assert health_status == 503
    finally:
        azurite.thaw()

    user, recovery_seconds = await recovered(client, connector, store)
    acknowledged.append(user)
    assert (await healthz(client))[0] == 200
    for saved_user in acknowledged:  # nothing acknowledged was lost
        assert stored_levels(store, saved_user) is not None
    # A request Azurite had received before it froze is carried out when it runs again: such a save
    # was answered "not saved" but is there. Counted, not asserted (a repeated save is a duplicate).
    written_anyway = sum(stored_levels(store, u) is not None for u in refused)
    report(
        "azurite frozen",
        turns=len(times),
        max_answer_seconds=max(times),
        min_answer_seconds=min(times),
        healthz_status=health_status,
        healthz_seconds=health_seconds,
        recovery_save_seconds=recovery_seconds,
        acknowledged=len(acknowledged),
        acknowledged_lost=0,
        answered_not_saved_but_stored=written_anyway,
    )
