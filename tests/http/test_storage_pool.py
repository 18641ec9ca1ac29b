"""The storage pool (issue 18 §4): a bounded number of calls in the store, a hung store that cannot
take every thread, a health check that never waits behind it, SQLite's busy timeout, and the
settings that size all of it. (Azurite stopped and frozen: test_storage_outage.py.)"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from azure.core.exceptions import ServiceResponseError

from app import store_timeouts
from bot.state_storage import DEFAULT_TABLE as STATE_TABLE
from bot.storage_pool import (
    STORAGE_BUSY_MESSAGE,
    STORAGE_DOWN_MESSAGE,
    STORAGE_UNCONFIRMED_MESSAGE,
    GuardedStore,
    StorageBusy,
    StorageUnavailable,
)
from cards import literacy as cards
from services.kernel.settings import Settings, SettingsError
from services.literacy.service import ASSESSMENTS, TABLE
from storage import SQLITE_FILE_NAME, open_store
from storage.base import Entity, ETagMismatch, StorageError
from tests.fakes import InMemoryTableStore
from tests.support import people as fx
from tests.support.activities import execute_invoke
from tests.support.cards import card_json as text

TEAMS_REPLY_LIMIT_SECONDS = 15.0
LEVELS = {"Teams": "2", "Microsoft 365": "1", "RPA": "0", "データベース・Power Platform": "1"}


class HangingStore(InMemoryTableStore):
    """Reads and pings hang while ``hang`` is set (a store that stopped answering), until released."""

    def __init__(self) -> None:
        super().__init__()
        self.hang = threading.Event()
        self.release = threading.Event()
        self.hanging = 0
        self._count = threading.Lock()

    def _maybe_hang(self) -> None:
        if self.hang.is_set():
            with self._count:
                self.hanging += 1
            self.release.wait(timeout=30)

    def get(self, table: str, partition_key: str, row_key: str) -> Entity | None:
        self._maybe_hang()
        return super().get(table, partition_key, row_key)

    def query(self, table, partition_key=None, where=None) -> Iterator[Entity]:
        self._maybe_hang()
        return super().query(table, partition_key, where)

    def ping(self) -> bool:
        self._maybe_hang()
        return super().ping()


class FailingStore(InMemoryTableStore):
    """Every call to the tables in ``failing`` fails as a backend does when it cannot be reached
    (only the writes with ``reads_work``); ``written_anyway``: a failed write is applied all the
    same (its answer was lost)."""

    def __init__(self, failing: set[str], *, reads_work: bool = False, written_anyway: bool = False):
        super().__init__()
        self.failing = failing
        self.reads_work = reads_work
        self.written_anyway = written_anyway

    def _check(self, table: str, write: bool = True) -> None:
        if table in self.failing and (write or not self.reads_work):
            # what AzureTableStore raises when the request went out and no answer came
            raise StorageError("Azure Table Storage: Read timed out") from ServiceResponseError("timed out")

    def get(self, table, partition_key, row_key):
        self._check(table, write=False)
        return super().get(table, partition_key, row_key)

    def _write(self, table: str, apply):
        if table in self.failing and self.written_anyway:
            apply()  # carried out; only its answer is lost
        self._check(table)
        return apply()

    def insert(self, table, entity):
        return self._write(table, lambda: super(FailingStore, self).insert(table, entity))

    def upsert(self, table, entity, etag=None):
        return self._write(table, lambda: super(FailingStore, self).upsert(table, entity, etag))

    def batch(self, table, operations):
        return self._write(table, lambda: super(FailingStore, self).batch(table, operations))


def levels_data() -> dict:
    return {"etag": "", **{cards.LEVEL_PREFIX + tool: level for tool, level in LEVELS.items()}}


async def save(client, connector, user: str) -> tuple[dict, float]:
    """The literacy self-assessment saved by Action.Execute: the card answered and the time taken."""
    started = time.monotonic()
    response = await client.post(
        "/api/messages", json=execute_invoke(connector.url, cards.SAVE_VERB, levels_data(), user_aad=user)
    )
    assert response.status == 200
    return (await response.json())["value"], time.monotonic() - started


# --- the guard, directly ---------------------------------------------------------------------------


def test_calls_beyond_the_bound_are_refused_after_the_queue_wait_and_served_again_once_slots_free():
    inner = HangingStore()
    guarded = GuardedStore(inner, max_in_flight=2, queue_seconds=0.2)
    inner.hang.set()
    with ThreadPoolExecutor(max_workers=3) as threads:
        stuck = [threads.submit(guarded.get, "Things", "p", f"r{i}") for i in range(2)]
        while inner.hanging < 2:
            time.sleep(0.01)
        assert guarded.in_flight == 2
        with pytest.raises(StorageBusy):
            guarded.get("Things", "p", "r3")  # no slot within 0.2 s: refused, not queued for good
        inner.hang.clear()
        inner.release.set()
        assert [f.result(timeout=5) for f in stuck] == [None, None]
    assert guarded.in_flight == 0
    guarded.insert("Things", Entity("p", "r", {"n": 1}))
    found = guarded.get("Things", "p", "r")
    assert found is not None and found["n"] == 1


def test_a_query_takes_a_slot_only_while_it_reads_so_the_loop_may_use_the_store():
    inner = InMemoryTableStore()
    guarded = GuardedStore(inner, max_in_flight=1, queue_seconds=0.05)
    for i in range(3):
        guarded.insert("Things", Entity("p", f"r{i}", {"n": i}))
    seen = []
    for entity in guarded.query("Things", "p"):  # the only slot is free inside the loop
        found = guarded.get("Things", "p", entity.row_key)
        assert found is not None
        seen.append(found["n"])
    assert seen == [0, 1, 2]
    assert guarded.in_flight == 0


def test_a_query_is_refused_when_every_slot_stays_taken():
    inner = HangingStore()
    guarded = GuardedStore(inner, max_in_flight=1, queue_seconds=0.1)
    rows = guarded.query("Things", "p")  # validated now, read on the first next()
    inner.hang.set()
    with ThreadPoolExecutor(max_workers=1) as threads:
        stuck = threads.submit(guarded.get, "Things", "p", "r")
        while inner.hanging < 1:
            time.sleep(0.01)
        with pytest.raises(StorageBusy):
            next(rows)
        inner.hang.clear()
        inner.release.set()
        assert stuck.result(timeout=5) is None
    assert list(guarded.query("Things", "p")) == []


def test_a_backend_failure_is_storage_unavailable_and_domain_answers_pass_unchanged():
    failing = GuardedStore(FailingStore({"Things"}), max_in_flight=2, queue_seconds=0.1)
    with pytest.raises(StorageUnavailable):
        failing.get("Things", "p", "r")
    guarded = GuardedStore(InMemoryTableStore(), max_in_flight=2, queue_seconds=0.1)
    written = guarded.insert("Things", Entity("p", "r", {"n": 1}))
    guarded.upsert("Things", Entity("p", "r", {"n": 2}), written.etag)
    with pytest.raises(ETagMismatch) as refused:
        guarded.upsert("Things", Entity("p", "r", {"n": 3}), written.etag)
    assert not isinstance(refused.value, StorageUnavailable)
    assert guarded.in_flight == 0


# --- through the app -------------------------------------------------------------------------------


@pytest.fixture
def settings(settings):
    return replace(
        settings,
        storage_threads=4,
        storage_max_in_flight=2,
        storage_queue_seconds=0.3,
        healthz_timeout_seconds=0.5,
        sqlite_busy_timeout_seconds=0.5,
    )


async def test_a_hung_store_takes_at_most_its_slots_turns_are_told_at_once_and_healthz_answers(
    make_client, settings, connector
):
    store = HangingStore()
    fx.load_fixtures(store)
    client = await make_client(settings, store, clock=fx.Clock())
    store.hang.set()
    try:
        # two turns hang in the store (every slot); the others are told at once, the health check too
        hung = [asyncio.create_task(save(client, connector, f"aad-hung-{i}")) for i in range(2)]
        while store.hanging < 2:
            await asyncio.sleep(0.01)
        answers = await asyncio.gather(*(save(client, connector, f"aad-later-{i}") for i in range(4)))
        started = time.monotonic()
        health = await client.get("/healthz")
        health_seconds = time.monotonic() - started
        for card, seconds in answers:
            assert STORAGE_BUSY_MESSAGE in text(card) and "保存されていません" in text(card)
            assert seconds < TEAMS_REPLY_LIMIT_SECONDS
        assert health.status == 503 and health_seconds < TEAMS_REPLY_LIMIT_SECONDS
        assert (await health.json())["storage_calls_in_flight"] == 2
        busy_seconds = [round(s, 2) for _, s in answers]
        print(f"\nPOOL hung store: busy answers {busy_seconds} s, healthz {health_seconds:.2f} s")
    finally:
        store.hang.clear()
        store.release.set()
    for card, _ in await asyncio.gather(*hung):  # the store answered: those turns end normally
        assert "保存しました" in text(card)
    card, _ = await save(client, connector, "aad-after")
    assert "保存しました" in text(card)
    assert (await client.get("/healthz")).status == 200


async def test_a_failing_store_is_answered_in_japanese_that_nothing_was_saved(
    make_client, settings, connector
):
    store = FailingStore(set())
    fx.load_fixtures(store)
    client = await make_client(settings, store, clock=fx.Clock())
    store.failing = {TABLE}
    card, _ = await save(client, connector, "aad-staff-x")
    assert STORAGE_DOWN_MESSAGE in text(card)
    store.failing = set()
    assert store.get(TABLE, ASSESSMENTS, "aad-staff-x") is None
    card, _ = await save(client, connector, "aad-staff-x")
    assert "保存しました" in text(card)


async def test_a_write_whose_answer_never_came_is_not_called_unsaved(make_client, settings, connector):
    store = FailingStore(set(), reads_work=True, written_anyway=True)
    fx.load_fixtures(store)
    client = await make_client(settings, store, clock=fx.Clock())
    store.failing = {TABLE}  # the read before the write works; the write's answer is lost
    card, _ = await save(client, connector, "aad-staff-w")
    assert STORAGE_UNCONFIRMED_MESSAGE in text(card) and "保存されていません" not in text(card)
    store.failing = set()
    assert store.get(TABLE, ASSESSMENTS, "aad-staff-w") is not None  # it was saved after all
    card, _ = await save(client, connector, "aad-staff-w")  # the same values again: a duplicate
    assert "同じ内容で保存済みです" in text(card)


async def test_a_save_whose_conversation_state_cannot_be_stored_afterwards_keeps_its_true_answer(
    make_client, settings, connector
):
    store = FailingStore({STATE_TABLE})
    fx.load_fixtures(store)
    client = await make_client(settings, store, clock=fx.Clock())
    card, _ = await save(client, connector, "aad-staff-y")
    assert "保存しました" in text(card)  # not "nothing was saved": the assessment is there
    saved = store.get(TABLE, ASSESSMENTS, "aad-staff-y")
    assert saved is not None and json.loads(saved["levels"])["Teams"] == 2


async def test_sqlite_locked_by_another_process_answers_within_the_busy_timeout(
    make_client, settings, connector, tmp_path
):
    store = open_store(data_dir=tmp_path, timeouts=store_timeouts(settings))
    fx.load_fixtures(store)
    client = await make_client(settings, store, clock=fx.Clock())
    other = sqlite3.connect(tmp_path / SQLITE_FILE_NAME, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        card, seconds = await save(client, connector, "aad-staff-z")
        assert STORAGE_DOWN_MESSAGE in text(card)
        assert seconds < TEAMS_REPLY_LIMIT_SECONDS
        print(f"\nPOOL sqlite locked: answered in {seconds:.2f} s (busy timeout 0.5 s)")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.get(TABLE, ASSESSMENTS, "aad-staff-z") is None
    card, _ = await save(client, connector, "aad-staff-z")
    assert "保存しました" in text(card)


# --- settings ----------------------------------------------------------------------------------------


def test_the_storage_settings_have_bounded_defaults():
    settings = Settings.from_env({})
    assert settings.storage_connect_timeout_seconds == 2.0
    assert settings.storage_read_timeout_seconds == 3.0
    assert settings.storage_retries == 1
    assert settings.sqlite_busy_timeout_seconds == 5.0
    assert (settings.storage_threads, settings.storage_max_in_flight) == (16, 12)
    assert settings.storage_queue_seconds == 2.0
    assert settings.healthz_timeout_seconds == 5.0
    # one call at most: (retries + 1) × (connect + read), well under Teams' ~15 s
    per_call = (settings.storage_retries + 1) * (
        settings.storage_connect_timeout_seconds + settings.storage_read_timeout_seconds
    )
    assert per_call < TEAMS_REPLY_LIMIT_SECONDS


def test_the_storage_settings_are_read_from_the_environment():
    settings = Settings.from_env(
        {
            "STORAGE_CONNECT_TIMEOUT_SECONDS": "1.5",
            "STORAGE_READ_TIMEOUT_SECONDS": "4",
            "STORAGE_RETRIES": "0",
            "SQLITE_BUSY_TIMEOUT_SECONDS": "2",
            "STORAGE_THREADS": "32",
            "STORAGE_MAX_IN_FLIGHT": "24",
            "STORAGE_QUEUE_SECONDS": "0",
            "HEALTHZ_TIMEOUT_SECONDS": "3",
        }
    )
    assert settings.storage_connect_timeout_seconds == 1.5
    assert settings.storage_read_timeout_seconds == 4.0
    assert settings.storage_retries == 0
    assert settings.sqlite_busy_timeout_seconds == 2.0
    assert (settings.storage_threads, settings.storage_max_in_flight) == (32, 24)
    assert settings.storage_queue_seconds == 0.0
    assert settings.healthz_timeout_seconds == 3.0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STORAGE_CONNECT_TIMEOUT_SECONDS", "0"),
        ("STORAGE_CONNECT_TIMEOUT_SECONDS", "nan"),
        ("STORAGE_READ_TIMEOUT_SECONDS", "60"),
        ("STORAGE_READ_TIMEOUT_SECONDS", "三"),
        ("STORAGE_RETRIES", "4"),
        ("SQLITE_BUSY_TIMEOUT_SECONDS", "-1"),
        ("STORAGE_THREADS", "1"),
        ("STORAGE_MAX_IN_FLIGHT", "0"),
        ("STORAGE_MAX_IN_FLIGHT", "16"),  # not fewer than the 16 threads
        ("STORAGE_QUEUE_SECONDS", "inf"),
        ("HEALTHZ_TIMEOUT_SECONDS", "0.1"),
    ],
)
def test_invalid_storage_settings_name_the_variable(name, value):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})
