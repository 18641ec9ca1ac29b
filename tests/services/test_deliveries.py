"""The outbox and the run ledger: insert-if-absent claims, leases, ETag takeover."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from services.kernel.calendar import JST
from services.proactive.deliveries import (
    DeliveryState,
    LeaseLost,
    Outbox,
    Outgoing,
    RunInProgress,
    RunLedger,
    RunState,
    RunSummary,
    delivery_row_key,
    key_part,
)
from storage.base import validate_key
from tests.fakes import InMemoryTableStore
from tests.support.clock import FakeClock

LEASE = timedelta(seconds=120)


@pytest.fixture
def clock():
    return FakeClock(datetime(2026, 1, 5, 9, 0, tzinfo=JST))


@pytest.fixture
def store():
    return InMemoryTableStore()


def outbox(store, clock, owner="A"):
    return Outbox(store, clock, owner, LEASE)


def message(target="conv-1", period="2026-W02", job="weekly_digest"):
    return Outgoing(
        job, period, target, {"card": {"type": "AdaptiveCard"}, "summary": "s"}, f"{target} の宛先"
    )


def test_the_first_enqueue_claims_and_a_second_instance_gets_nothing(store, clock):
    a, b = outbox(store, clock, "A"), outbox(store, clock, "B")
    first = a.enqueue([message("c1"), message("c2")])
    second = b.enqueue([message("c1"), message("c2")])
    assert [c.target for c in first.claims] == ["c1", "c2"]
    assert second.claims == [] and second.in_flight == 2


def test_sent_messages_are_never_claimed_again(store, clock):
    a = outbox(store, clock)
    [claim] = a.enqueue([message()]).claims
    a.mark_sent(claim)
    clock.advance(10_000)
    again = outbox(store, clock, "B").enqueue([message()])
    assert again.claims == [] and again.already_sent == 1
    assert a.get("weekly_digest", "2026-W02", "conv-1").state is DeliveryState.SENT


def test_an_expired_lease_is_taken_over_once_and_the_old_owner_is_locked_out(store, clock):
    a, b, c = outbox(store, clock, "A"), outbox(store, clock, "B"), outbox(store, clock, "C")
    [claim_a] = a.enqueue([message()]).claims
    clock.advance(121)
    [claim_b] = b.adopt_stale()
    assert c.adopt_stale() == []  # B's lease is fresh
    with pytest.raises(LeaseLost):
        a.renew(claim_a)  # A comes back: its ETag is stale
    b.mark_sent(claim_b)


def test_two_instances_adopting_the_same_stale_row_one_wins(store, clock):
    a = outbox(store, clock, "A")
    a.enqueue([message()])
    clock.advance(121)
    b, c = outbox(store, clock, "B"), outbox(store, clock, "C")
    entity = next(iter(store.query("Deliveries")))
    # both read the same version; only the first conditional write succeeds
    assert b._adopt(entity) is not None
    assert c._adopt(entity) is None


def test_a_released_lease_is_adopted_at_once(store, clock):
    a = outbox(store, clock, "A")
    [claim] = a.enqueue([message()]).claims
    a.release(claim)
    [adopted] = outbox(store, clock, "B").adopt_stale()
    assert adopted.target == "conv-1" and adopted.payload["summary"] == "s"


def test_recovery_leaves_a_live_runs_queue_alone(store, clock):
    a = outbox(store, clock, "A")
    a.enqueue([message()], run_period="2026-W02")
    clock.advance(121)
    b = outbox(store, clock, "B")
    assert b.adopt_stale(lambda job, run: (job, run) == ("weekly_digest", "2026-W02")) == []
    assert len(b.adopt_stale(lambda job, run: False)) == 1


def test_failures_and_undeliverables_are_reported(store, clock):
    a = outbox(store, clock)
    [claim] = a.enqueue([message()]).claims
    a.mark_failed(claim, 400, "BadArgument")
    assert a.record_undeliverable(
        "delay_alerts", "k1", "none:channel:財政局", "財政局 の DX PRO チャネル", "未登録"
    )
    assert not a.record_undeliverable(
        "delay_alerts", "k1", "none:channel:財政局", "財政局 の DX PRO チャネル", "未登録"
    )
    failures = a.failures_since(clock.now() - timedelta(days=1))
    assert {(f.job, f.last_status) for f in failures} == {("weekly_digest", 400), ("delay_alerts", None)}
    assert a.pending_count() == 0


def test_the_lease_is_renewed_and_attempts_are_recorded(store, clock):
    a = outbox(store, clock)
    [claim] = a.enqueue([message()]).claims
    clock.advance(100)
    claim = a.renew(replace(claim, attempts=2))
    assert claim.attempts == 2 and a.lease_left(claim) == LEASE
    claim = a.renew(claim, timedelta(seconds=600))  # a long Retry-After wait
    assert a.lease_left(claim) == timedelta(seconds=600)
    a.mark_sent(replace(claim, attempts=3))
    assert a.get("weekly_digest", "2026-W02", "conv-1").attempts == 3


def test_keys_are_storage_safe():
    for text in ("19:abc@thread.tacv2;messageid=1", "a/b\\c#d?e%f|g", "x" * 2000, "財政局\u0001"):
        validate_key("RowKey", delivery_row_key(text, text))
    assert key_part("a/b") != key_part("a%2Fb") or key_part("a/b") == "a%2Fb"
    assert key_part("x" * 2000) != key_part("x" * 1999)


# --- runs -----------------------------------------------------------------------------------


def test_a_run_is_claimed_once_while_its_owner_lives(store, clock):
    a, b = RunLedger(store, clock, "A", LEASE), RunLedger(store, clock, "B", LEASE)
    run = a.start("weekly_digest", "2026-W02", clock.now(), "schedule")
    with pytest.raises(RunInProgress):
        b.start("weekly_digest", "2026-W02", clock.now(), "schedule")
    a.finish(run, RunSummary(planned=3, sent=3))
    record = b.get("weekly_digest", "2026-W02")
    assert record.state is RunState.DONE and record.sent == 3
    # a finished run may run again (it will find nothing new to send)
    assert b.start("weekly_digest", "2026-W02", clock.now(), "manual").job == "weekly_digest"


def test_a_dead_owners_run_is_stale_and_can_be_taken_over(store, clock):
    a, b = RunLedger(store, clock, "A", LEASE), RunLedger(store, clock, "B", LEASE)
    run = a.start("delay_alerts", "2026-01-05", clock.now(), "schedule")
    assert b.stale() == []
    clock.advance(121)
    [stale] = b.stale()
    assert stale.owner == "A"
    b.start("delay_alerts", "2026-01-05", stale.fire_time, "recovery")
    with pytest.raises(LeaseLost):
        a.heartbeat(run)


def test_latest_run_per_job(store, clock):
    ledger = RunLedger(store, clock, "A", LEASE)
    for day in ("2026-01-05", "2026-01-06"):
        ledger.finish(ledger.start("delay_alerts", day, clock.now(), "schedule"), RunSummary())
        clock.advance(86400)
    assert ledger.latest("delay_alerts").period == "2026-01-06"
    assert ledger.latest("weekly_digest") is None
