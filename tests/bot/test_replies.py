"""The pieces of reply delivery (bot/replies.py, services/proactive/undelivered.py): notices merge
and are removed only once shown; storage trouble never costs the turn; sends outside a user's turn
(admin notifications) are retried alike and then fail as before, leaving no notice."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from botbuilder.core import ConversationState, MemoryStorage

from bot.adapter import build_adapter
from bot.proactive import ProactiveNotifier
from bot.replies import ReplyDelivery, notice_text
from bot.settings import Settings
from services.kernel.calendar import JST
from services.proactive.conversations import ConversationDirectory
from services.proactive.undelivered import UndeliveredReplies
from tests.fakes import InMemoryTableStore
from tests.support.faulty_connector import Fault, FaultyConnector
from tests.support.proactive import install_personal

CHAT = "19:abc@thread.v2;messageid=1/#?"  # every character a storage key may not hold


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 11, 26, 9, 5, tzinfo=JST)

    def __call__(self) -> datetime:
        return self.at


def test_failures_before_the_next_turn_keep_one_notice_and_certain_wins():
    clock = Clock()
    book = UndeliveredReplies(InMemoryTableStore(), clock)
    assert book.pending(CHAT) is None
    book.record(CHAT, uncertain=True)
    clock.at += timedelta(minutes=3)
    book.record(CHAT, uncertain=False)
    notice = book.pending(CHAT)
    assert notice is not None and notice.count == 2 and not notice.uncertain
    assert notice.first_at == datetime(2026, 11, 26, 9, 5, tzinfo=JST)
    text = notice_text(notice)
    assert "11月26日 9:05" in text and "お届けできませんでした" in text and "ほか 1 件" in text


def test_a_notice_recorded_while_the_last_was_shown_is_kept_for_the_turn_after():
    book = UndeliveredReplies(InMemoryTableStore(), Clock())
    book.record(CHAT, uncertain=True)
    shown = book.pending(CHAT)
    assert shown is not None and "可能性があります" in notice_text(shown)
    book.record(CHAT, uncertain=True)  # another reply failed meanwhile
    book.clear(shown)
    kept = book.pending(CHAT)
    assert kept is not None and kept.count == 2
    book.clear(kept)
    assert book.pending(CHAT) is None


@pytest.fixture
async def faulty():
    connector = await FaultyConnector().start()
    yield connector
    await connector.stop()


async def _notifier(faulty, tmp_path, store):
    directory = ConversationDirectory(store, Clock())
    chat = install_personal(directory, "admin-1", faulty.url)
    adapter = build_adapter(Settings(data_dir=tmp_path), ConversationState(MemoryStorage()))
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    ReplyDelivery(UndeliveredReplies(store, Clock()), sleep=sleep).install(adapter)
    return ProactiveNotifier(adapter, directory, ""), chat, slept


async def test_an_admin_notification_outside_a_turn_is_retried_like_a_reply(faulty, tmp_path):
    store = InMemoryTableStore()
    notifier, chat, slept = await _notifier(faulty, tmp_path, store)
    faulty.fail(chat, Fault(429, retry_after="1"), Fault(502, plain_text=True))
    card = {"type": "AdaptiveCard", "version": "1.5", "body": []}
    assert await notifier.notify_people(["admin-1"], card) == 1
    assert faulty.posts(chat) == 3 and len(faulty.delivered[chat]) == 1
    assert slept[0] >= 1.0 and len(slept) == 2


async def test_an_admin_notification_that_fails_counts_as_not_sent_and_leaves_no_notice(faulty, tmp_path):
    store = InMemoryTableStore()
    notifier, chat, _ = await _notifier(faulty, tmp_path, store)
    faulty.fail(chat, Fault(500))
    assert await notifier.notify_people(["admin-1"], {"type": "AdaptiveCard", "version": "1.5"}) == 0
    assert faulty.posts(chat) == 1  # and no apology posted after it
    assert UndeliveredReplies(store, Clock()).pending(chat) is None  # nobody is in a turn to be told


def _exercise(book: UndeliveredReplies, conversation_id: str) -> None:
    book.record(conversation_id, uncertain=True)
    book.record(conversation_id, uncertain=True)
    notice = book.pending(conversation_id)
    assert notice is not None and notice.count == 2 and notice.uncertain
    assert notice.conversation_id == conversation_id
    book.clear(notice)
    assert book.pending(conversation_id) is None


def test_notices_on_sqlite_with_a_channel_thread_id(tmp_path):
    from storage.sqlite import SqliteTableStore

    store = SqliteTableStore(tmp_path / "s.sqlite3")
    try:
        _exercise(UndeliveredReplies(store, Clock()), CHAT + "x" * 600)  # long: the key is hashed
    finally:
        store.close()


@pytest.mark.azurite
def test_notices_on_azure_tables_with_a_channel_thread_id(azurite_connection_string):
    import uuid

    from storage.azure import AzureTableStore

    store = AzureTableStore(azurite_connection_string)
    try:
        _exercise(UndeliveredReplies(store, Clock()), f"{CHAT}{uuid.uuid4().hex}")
    finally:
        store.close()
