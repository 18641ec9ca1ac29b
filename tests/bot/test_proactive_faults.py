"""Connector faults for proactive messages (issue 18 §4): the real sender (botbuilder's
``continue_conversation``) and the dispatcher against a local connector that answers 429 (with and
without Retry-After), 412, 500, 502, 504 or nothing. Retries follow the scheduler's policy; a
message that got no answer is never sent twice; every outcome is in the outbox for the office.

The dispatcher's sleeps are virtual (``FakeClock``); only the no-answer cases wait, 1 s each."""

from __future__ import annotations

import random
import socket
from datetime import datetime, timedelta

import pytest
from botbuilder.core import ConversationState, MemoryStorage

from bot.adapter import build_adapter
from bot.proactive import ProactiveSender
from bot.settings import Settings
from services.kernel.calendar import JST
from services.proactive.conversations import ConversationDirectory
from services.proactive.deliveries import DeliveryState, Outbox, Outgoing
from services.proactive.dispatch import Dispatcher, SendError, run_inline
from services.proactive.pacing import Pacer, RetryPolicy
from tests.fakes import InMemoryTableStore
from tests.support.clock import FakeClock
from tests.support.faulty_connector import NO_ANSWER, NO_ANSWER_BUT_POSTED, Fault, FaultyConnector
from tests.support.proactive import install_personal

PAYLOAD = {
    "card": {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "週次の状況"}]},
    "summary": "【週次】状況のお知らせ",
}


@pytest.fixture
def clock():
    return FakeClock(datetime(2026, 7, 13, 9, 0, tzinfo=JST))


@pytest.fixture
async def faulty():
    connector = await FaultyConnector().start()
    yield connector
    await connector.stop()


@pytest.fixture
def stack(clock, tmp_path):
    store = InMemoryTableStore()
    directory = ConversationDirectory(store, clock.now)
    adapter = build_adapter(Settings(data_dir=tmp_path), ConversationState(MemoryStorage()))
    sender = ProactiveSender(adapter, directory, app_id="", request_timeout=1.0)
    outbox = Outbox(store, clock.now, "A", timedelta(seconds=120))
    dispatcher = Dispatcher(
        outbox,
        sender,
        Pacer(),
        clock,
        policy=RetryPolicy(max_attempts=6),
        blocking=run_inline,
        rng=random.Random(7),
        send_timeout=3.0,
        on_gone=directory.deactivate,
    )
    return directory, outbox, dispatcher


async def dispatch(stack, chat: str):
    _, outbox, dispatcher = stack
    report = await dispatcher.dispatch(
        outbox.enqueue([Outgoing("weekly_digest", "2026-W29", chat, PAYLOAD, "財政局長")]).claims
    )
    return report, outbox.get("weekly_digest", "2026-W29", chat)


RETRIED = [
    Fault(429, retry_after="3"),
    Fault(429),
    Fault(412),
    Fault(502),
    Fault(502, plain_text=True),
    Fault(504, plain_text=True),
]


@pytest.mark.parametrize("fault", RETRIED, ids=str)
async def test_a_retryable_answer_is_retried_and_the_message_arrives_once(stack, faulty, clock, fault):
    directory, _, _ = stack
    chat = install_personal(directory, "mgr-1", faulty.url)
    faulty.fail(chat, fault)
    report, record = await dispatch(stack, chat)
    assert report.sent == 1 and report.retries == 1 and faulty.posts(chat) == 2
    assert record.state is DeliveryState.SENT and record.attempts == 2
    assert len(faulty.delivered[chat]) == 1 and faulty.delivered[chat][0]["summary"] == PAYLOAD["summary"]
    waits = [s for s in clock.sleeps if s > 0]
    assert waits and (waits[0] >= 3.0 if fault.retry_after else waits[0] <= 0.5)


async def test_a_gateway_that_keeps_failing_is_given_up_after_the_policys_attempts(stack, faulty, clock):
    directory, _, _ = stack
    chat = install_personal(directory, "mgr-1", faulty.url)
    faulty.fail(chat, *[Fault(502)] * 10)
    report, record = await dispatch(stack, chat)
    assert faulty.posts(chat) == 6 and report.failed == 1 and faulty.delivered.get(chat) is None
    assert record.state is DeliveryState.FAILED and record.last_status == 502
    assert "gave up after 6 attempts" in record.last_error
    waits = [s for s in clock.sleeps if s > 0]
    assert len(waits) == 5 and all(b > a for a, b in zip(waits, waits[1:], strict=False))  # backoff grows


@pytest.mark.parametrize("fault", [Fault(500), Fault(500, plain_text=True)], ids=str)
async def test_a_500_is_not_retried_and_is_recorded_for_the_office(stack, faulty, fault):
    directory, _, _ = stack
    chat = install_personal(directory, "mgr-1", faulty.url)
    faulty.fail(chat, fault)
    report, record = await dispatch(stack, chat)
    assert faulty.posts(chat) == 1 and report.failed == 1 and report.retries == 0
    assert record.state is DeliveryState.FAILED and record.last_status == 500
    assert directory.get(chat).active  # a server error is not "gone"


@pytest.mark.parametrize("fault", [NO_ANSWER, NO_ANSWER_BUT_POSTED], ids=str)
async def test_a_message_without_an_answer_is_never_sent_twice(stack, faulty, fault):
    directory, _, _ = stack
    chat = install_personal(directory, "mgr-1", faulty.url)
    faulty.fail(chat, fault)
    report, record = await dispatch(stack, chat)
    assert faulty.posts(chat) == 1 and report.retries == 0 and report.uncertain == 1
    assert len(faulty.delivered.get(chat, [])) == (1 if fault.arrives else 0)
    assert record.state is DeliveryState.FAILED and "may have arrived" in record.last_error


async def test_a_connection_that_cannot_be_made_is_safe_to_send_again(stack, tmp_path):
    directory, _, _ = stack
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    chat = install_personal(directory, "mgr-1", f"http://127.0.0.1:{port}/")
    adapter = build_adapter(Settings(data_dir=tmp_path), ConversationState(MemoryStorage()))
    with pytest.raises(SendError) as raised:
        await ProactiveSender(adapter, directory, app_id="", request_timeout=1.0).send(chat, PAYLOAD)
    assert raised.value.status is None and not raised.value.uncertain
    assert raised.value.code == "ConnectFailed"


FLAKY = [
    (Fault(429, retry_after="2"), 0.08),
    (Fault(429), 0.04),
    (Fault(412), 0.02),
    (Fault(502, plain_text=True), 0.08),
    (Fault(504, plain_text=True), 0.04),
    (Fault(500), 0.04),
    (NO_ANSWER, 0.02),
    (NO_ANSWER_BUT_POSTED, 0.02),
]


async def test_a_fan_out_of_100_through_a_flaky_connector_sends_each_once_and_accounts_for_the_rest(
    stack, clock
):
    """A digest to 100 chats with about a third of all requests failing: each message arrives at
    most once; each one that did not is ``failed`` with its reason (500, or no answer)."""
    directory, outbox, dispatcher = stack
    connector = await FaultyConnector(chance=FLAKY, seed=18).start()
    try:
        chats = [install_personal(directory, f"mgr-{n}", connector.url) for n in range(100)]
        report = await dispatcher.dispatch(
            outbox.enqueue([Outgoing("weekly_digest", "2026-W29", c, PAYLOAD, c) for c in chats]).claims
        )
    finally:
        await connector.stop()
    records = {r.target: r for r in outbox.records()}
    delivered = {c: len(connector.delivered.get(c, [])) for c in chats}
    assert max(delivered.values()) == 1  # never twice
    assert report.sent + report.failed == 100 and report.sent == sum(
        1 for r in records.values() if r.state is DeliveryState.SENT
    )
    for chat, record in records.items():
        if record.state is DeliveryState.SENT:
            assert delivered[chat] == 1
        else:
            assert record.last_status == 500 or "may have arrived" in record.last_error, record.last_error
    injected = [r[2] for r in connector.requests if r[2] != "ok"]
    assert len(injected) >= 30 and report.retries >= 20
    print(
        f"\nflaky fan-out: 100 messages, {len(connector.requests)} requests, {len(injected)} faults, "
        f"{report.retries} retries, {report.sent} sent, {report.failed} failed "
        f"({report.uncertain} without an answer, {len(connector.arrived_unanswered)} of which arrived), "
        f"{sum(delivered.values())} delivered, 0 twice"
    )
