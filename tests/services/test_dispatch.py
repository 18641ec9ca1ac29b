"""The dispatcher: pacing, retries with Retry-After, gone conversations, graceful stop.

Everything runs on a virtual clock: no test sleeps, even through a minute of Retry-After.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from bisect import bisect_right
from datetime import datetime, timedelta

import pytest

from services.kernel.calendar import JST
from services.proactive.deliveries import DeliveryState, Outbox, Outgoing
from services.proactive.dispatch import Dispatcher, SendError, run_inline
from services.proactive.pacing import TEAMS_APP_WINDOWS, TEAMS_CONVERSATION_WINDOWS, Pacer, RetryPolicy
from tests.fakes import InMemoryTableStore
from tests.support.clock import FakeClock
from tests.support.proactive import ScriptedSender


@pytest.fixture
def clock():
    return FakeClock(datetime(2026, 1, 5, 9, 0, tzinfo=JST))


@pytest.fixture
def store():
    return InMemoryTableStore()


def make(store, clock, sender, *, owner="A", gone=None, policy=None, concurrency=16):
    outbox = Outbox(store, clock, owner, timedelta(seconds=120))
    dispatcher = Dispatcher(
        outbox,
        sender,
        Pacer(),
        clock,
        policy=policy or RetryPolicy(),
        blocking=run_inline,
        rng=random.Random(3),
        on_gone=gone,
        concurrency=concurrency,
    )
    return outbox, dispatcher


def messages(targets, job="weekly_digest", period="2026-W02"):
    return [Outgoing(job, period, t, {"card": {}, "summary": t}, t) for t in targets]


def max_in_window(times, seconds):
    times = sorted(times)
    return max((bisect_right(times, x) - bisect_right(times, x - seconds + 1e-9) for x in times), default=0)


async def test_a_fan_out_is_paced_to_30_per_second_and_every_message_arrives_once(store, clock):
    sender = ScriptedSender(clock, latency=0.05)
    outbox, dispatcher = make(store, clock, sender)
    targets = [f"c{i}" for i in range(100)]
    report = await dispatcher.dispatch(outbox.enqueue(messages(targets)).claims)
    assert report.sent == 100 and sorted(sender.delivered) == sorted(targets)
    assert max_in_window([t for t, _ in sender.calls], 1.0) <= 30
    assert 3.0 <= clock.monotonic() < 4.0  # 100 at 30/s: the last leaves at ~3 s
    assert all(r.state is DeliveryState.SENT for r in outbox.records())


async def test_many_messages_to_one_conversation_keep_to_its_windows(store, clock):
    sender = ScriptedSender(clock)
    outbox, dispatcher = make(store, clock, sender)
    items = [Outgoing("delay_alerts", f"alert-{i}", "office", {"card": {}}, "office") for i in range(70)]
    report = await dispatcher.dispatch(outbox.enqueue(items).claims)
    times = [t for t, _ in sender.calls]
    assert report.sent == 70
    for window in TEAMS_CONVERSATION_WINDOWS:
        assert max_in_window(times, window.seconds) <= window.limit
    assert max(times) >= 30.0  # 60 per 30 s


async def test_429_is_retried_after_retry_after_and_holds_that_conversation(store, clock):
    sender = ScriptedSender(clock, {"c1": [SendError(429, "throttled", retry_after=7.0)]})
    outbox, dispatcher = make(store, clock, sender)
    report = await dispatcher.dispatch(outbox.enqueue(messages(["c1", "c2"])).claims)
    first, retry = [t for t, target in sender.calls if target == "c1"]
    assert retry - first >= 7.0 and report.retries == 1 and report.sent == 2
    assert outbox.get("weekly_digest", "2026-W02", "c1").attempts == 2


@pytest.mark.parametrize("status", [412, 502, 504, None])
async def test_transient_failures_back_off_exponentially(store, clock, status):
    failures = [SendError(status, "transient") for _ in range(3)]
    sender = ScriptedSender(clock, {"c1": failures})
    outbox, dispatcher = make(store, clock, sender, policy=RetryPolicy(base_seconds=1.0))
    report = await dispatcher.dispatch(outbox.enqueue(messages(["c1"])).claims)
    times = [t for t, _ in sender.calls]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert report.sent == 1 and len(times) == 4
    assert 0.5 <= gaps[0] <= 1.0 + 0.05 and 1.0 <= gaps[1] <= 2.05 and 2.0 <= gaps[2] <= 4.05


async def test_giving_up_after_max_attempts_records_the_failure(store, clock):
    sender = ScriptedSender(clock, {"c1": [SendError(502, "bad gateway")] * 10})
    outbox, dispatcher = make(store, clock, sender, policy=RetryPolicy(max_attempts=3))
    report = await dispatcher.dispatch(outbox.enqueue(messages(["c1"])).claims)
    record = outbox.get("weekly_digest", "2026-W02", "c1")
    assert report.failed == 1 and len(sender.calls) == 3
    assert (
        record.state is DeliveryState.FAILED and record.last_status == 502 and "gave up" in record.last_error
    )


@pytest.mark.parametrize(("status", "code"), [(403, "MessageWritesBlocked"), (404, "ConversationNotFound")])
async def test_a_gone_conversation_is_marked_inactive_and_not_retried(store, clock, status, code):
    gone: list[str] = []
    sender = ScriptedSender(clock, {"c1": [SendError(status, "gone", code=code)]})
    outbox, dispatcher = make(store, clock, sender, gone=gone.append)
    report = await dispatcher.dispatch(outbox.enqueue(messages(["c1"])).claims)
    assert gone == ["c1"] and report.gone == 1 and len(sender.calls) == 1
    assert outbox.get("weekly_digest", "2026-W02", "c1").state is DeliveryState.FAILED


async def test_other_errors_fail_at_once_without_deactivating(store, clock):
    gone: list[str] = []
    sender = ScriptedSender(
        clock,
        {
            "c1": [SendError(403, "forbidden", code="BotDisabledByAdmin")],
            "c2": [SendError(400, "bad", code="BadArgument")],
        },
    )
    outbox, dispatcher = make(store, clock, sender, gone=gone.append)
    report = await dispatcher.dispatch(outbox.enqueue(messages(["c1", "c2"])).claims)
    assert report.failed == 2 and gone == [] and len(sender.calls) == 2


async def test_a_long_retry_after_wait_keeps_the_lease(store, clock):
    sender = ScriptedSender(clock, {"c1": [SendError(429, "slow down", retry_after=300.0)]})
    outbox, dispatcher = make(store, clock, sender, policy=RetryPolicy(cap_seconds=300.0))
    [claim] = outbox.enqueue(messages(["c1"])).claims
    task = asyncio.ensure_future(dispatcher.dispatch([claim]))
    while not clock.sleeps or clock.sleeps[-1] < 300:  # until A is waiting out Retry-After
        await asyncio.sleep(0)
    # while A waits out Retry-After, its lease (renewed for the wait) stays valid: B cannot adopt
    clock.advance(130)
    assert Outbox(store, clock, "B", timedelta(seconds=120)).adopt_stale() == []
    report = await task
    assert report.sent == 1 and sender.delivered == ["c1"]


async def test_a_delivery_taken_over_while_queued_is_left_to_the_new_owner(store, clock):
    sender = ScriptedSender(clock)
    outbox, dispatcher = make(store, clock, sender)
    [claim] = outbox.enqueue(messages(["c1"])).claims
    clock.advance(121)  # A stalled; its lease ran out and B adopted the delivery
    [adopted] = Outbox(store, clock, "B", timedelta(seconds=120)).adopt_stale()
    report = await dispatcher.dispatch([claim])
    assert report.taken_over == 1 and sender.calls == [] and adopted.target == "c1"


async def test_stop_finishes_sends_on_the_wire_and_releases_the_rest(store, clock):
    sender = ScriptedSender(clock, latency=0.5)
    outbox, dispatcher = make(store, clock, sender, concurrency=2)
    claims = outbox.enqueue(messages([f"c{i}" for i in range(40)])).claims
    task = asyncio.ensure_future(dispatcher.dispatch(claims))
    while len(sender.calls) < 4:
        await asyncio.sleep(0)
    await dispatcher.stop()
    report = await task
    assert report.sent + report.released == 40 and report.released > 0
    assert sorted(sender.delivered) == sorted({t for _, t in sender.calls})  # nothing cut off mid-send
    # the next process takes the released ones over at once and sends each exactly once
    sender2 = ScriptedSender(clock)
    outbox2, dispatcher2 = make(store, clock, sender2, owner="B")
    again = await dispatcher2.dispatch(outbox2.adopt_stale())
    assert again.sent == report.released
    assert sorted(sender.delivered + sender2.delivered) == sorted(f"c{i}" for i in range(40))


async def test_app_rate_is_respected_with_retries_in_the_mix(store, clock):
    rng = random.Random(11)
    script = {f"c{i}": [SendError(429, "x", retry_after=1.0)] for i in range(200) if rng.random() < 0.1}
    sender = ScriptedSender(clock, script, latency=0.02)
    outbox, dispatcher = make(store, clock, sender)
    report = await dispatcher.dispatch(outbox.enqueue(messages([f"c{i}" for i in range(200)])).claims)
    assert report.sent == 200 and len(sender.delivered) == 200
    for window in TEAMS_APP_WINDOWS:
        assert max_in_window([t for t, _ in sender.calls], window.seconds) <= window.limit


async def test_a_retry_that_cannot_be_given_back_still_ends_the_fan_out(store, clock, monkeypatch):
    # A stop arrives while c1 waits for its retry, and giving it back fails (storage down):
    # the fan-out must still end instead of waiting for that delivery forever.
    sender = ScriptedSender(clock, {"c1": [SendError(429, "throttled", retry_after=60.0)]})
    outbox, dispatcher = make(store, clock, sender)
    claims = outbox.enqueue(messages(["c1", "c2"])).claims

    def storage_down(claim):
        raise RuntimeError("storage unavailable")

    monkeypatch.setattr(outbox, "release", storage_down)
    task = asyncio.ensure_future(dispatcher.dispatch(claims))
    while len(sender.calls) < 2:
        await asyncio.sleep(0)
    await dispatcher.stop(timeout=5)
    report = await asyncio.wait_for(task, timeout=5)
    assert report.sent == 1 and sender.delivered == ["c2"]


async def test_a_worker_that_swallows_one_cancellation_is_still_stopped():
    # Python 3.11's wait_for can swallow a cancellation that races a completing send; the
    # worker then waits on its queue again. Ending a fan-out must still end such a worker.
    from services.proactive.dispatch import _cancel_all

    async def stubborn():
        with contextlib.suppress(asyncio.CancelledError):  # swallowed, as wait_for does in that race
            await asyncio.sleep(3600)
        await asyncio.sleep(3600)

    task = asyncio.ensure_future(stubborn())
    await asyncio.sleep(0)
    await asyncio.wait_for(_cancel_all([task]), timeout=5)
    assert task.done()
