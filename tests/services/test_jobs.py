"""The jobs end to end on fakes: plans, exactly-once runs, snoozes, recovery, catch-up.

Every test runs on a virtual clock with an in-memory store and a scripted sender.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta

import pytest

from services.kernel.calendar import JST
from services.proactive.alerts import StaticAlerts
from services.proactive.deliveries import DeliveryState, RunState
from services.proactive.dispatch import SendError
from services.proactive.jobs import (
    DELAY_ALERTS,
    MONTHLY_DIGEST,
    RETENTION,
    TRAINING_REMINDERS,
    WEEKLY_DIGEST,
    ManagerContact,
)
from tests.fakes import InMemoryTableStore
from tests.support.clock import FakeClock
from tests.support.proactive import (
    ScriptedSender,
    delay_alert,
    install_channel,
    install_personal,
    make_stack,
)

MONDAY_9 = datetime(2026, 7, 13, 9, 0, tzinfo=JST)  # a Monday, a business day
ALERTS_930 = datetime(2026, 7, 13, 9, 30, tzinfo=JST)
MANAGERS = [
    ManagerContact("mgr-zaisei", "財政 一郎", "財政局"),
    ManagerContact("mgr-kenko", "健康 花子", "健康福祉局"),
]


@pytest.fixture
def store():
    return InMemoryTableStore()


@pytest.fixture
def clock():
    return FakeClock(ALERTS_930)


def cards_to(sender, target):
    return [p for t, p in sender.payloads if t == target]


async def test_a_delay_alert_goes_to_the_mapped_channel_once(store, clock):
    stack = make_stack(store, clock, alerts=[StaticAlerts("online_procedures", [delay_alert("財政局")])])
    channel = install_channel(stack.directory, stack.channels, "19:zaisei@thread.tacv2", "財政局", "財務部")
    first = await stack.runner.run(DELAY_ALERTS, ALERTS_930)
    again = await stack.runner.run(DELAY_ALERTS, ALERTS_930, trigger="manual")
    tomorrow = await stack.runner.run(DELAY_ALERTS, ALERTS_930 + timedelta(days=1))
    assert stack.sender.delivered == [channel]
    assert (first.summary.sent, again.summary.sent, tomorrow.summary.sent) == (1, 0, 0)
    assert again.summary.skipped == 1
    card = stack.sender.payloads[0][1]["card"]
    text = str(card)
    assert "この通知が届いた理由" in text and "次にしていただくこと" in text and "Input.Date" in text


async def test_an_escalation_goes_to_the_bureaus_installed_managers(store, clock):
    alerts = [delay_alert("財政局"), delay_alert("財政局", escalation=True)]
    managers = [*MANAGERS, ManagerContact("mgr-zaisei-2", "財政 次郎", "財政局")]
    stack = make_stack(store, clock, alerts=[StaticAlerts("online_procedures", alerts)], managers=managers)
    install_channel(stack.directory, stack.channels, "19:zaisei@thread.tacv2", "財政局")
    chat = install_personal(stack.directory, "mgr-zaisei")  # 財政 次郎 has not installed the bot
    install_personal(stack.directory, "mgr-kenko")
    outcome = await stack.runner.run(DELAY_ALERTS, ALERTS_930)
    assert sorted(stack.sender.delivered) == sorted(["19:zaisei@thread.tacv2", chat])
    assert outcome.summary.sent == 2
    assert "管理職の方へ" in str(cards_to(stack.sender, chat)[0]["card"])


async def test_nowhere_to_go_is_recorded_once_for_the_office_digest(store, clock):
    alerts = [delay_alert("環境局"), delay_alert("環境局", escalation=True)]
    stack = make_stack(store, clock, alerts=[StaticAlerts("online_procedures", alerts)], managers=MANAGERS)
    await stack.runner.run(DELAY_ALERTS, ALERTS_930)
    await stack.runner.run(DELAY_ALERTS, ALERTS_930 + timedelta(hours=1), trigger="manual")
    failures = stack.outbox.failures_since(ALERTS_930 - timedelta(days=1))
    reasons = sorted(f.last_error for f in failures)
    assert reasons == ["DX PRO チャネルが登録されていません", "管理職が名簿に登録されていません"]
    assert stack.sender.calls == []


async def test_a_snooze_quiets_the_alert_and_its_escalation_until_the_chosen_day(store, clock):
    alerts = [delay_alert("財政局"), delay_alert("財政局", escalation=True)]
    stack = make_stack(store, clock, alerts=[StaticAlerts("online_procedures", alerts)], managers=MANAGERS)
    channel = install_channel(stack.directory, stack.channels, "19:zaisei@thread.tacv2", "財政局")
    stack.snoozes.snooze(
        subject=alerts[0].snooze_subject,
        until=date(2026, 7, 16),
        alert_key=alerts[0].key,
        programme="online_procedures",
        bureau="財政局",
        by_id="dxpro-1",
        by_name="DX 花子",
    )
    chat = install_personal(stack.directory, "mgr-zaisei")
    for day in (13, 14, 15):
        outcome = await stack.runner.run(DELAY_ALERTS, ALERTS_930.replace(day=day))
        assert outcome.summary.skipped == 2 and outcome.summary.sent == 0
    assert stack.sender.calls == []
    on_the_day = await stack.runner.run(DELAY_ALERTS, ALERTS_930.replace(day=16))
    assert on_the_day.summary.sent == 2 and sorted(stack.sender.delivered) == sorted([channel, chat])
    await stack.runner.run(DELAY_ALERTS, ALERTS_930.replace(day=17))
    assert len(stack.sender.delivered) == 2  # once after the snooze, not every day


async def test_the_weekly_digest_reaches_each_installed_manager_once(store, clock):
    stack = make_stack(store, clock, managers=MANAGERS)
    chat = install_personal(stack.directory, "mgr-zaisei")
    outcome = await stack.runner.run(WEEKLY_DIGEST, MONDAY_9)
    again = await stack.runner.run(WEEKLY_DIGEST, MONDAY_9 + timedelta(hours=3), trigger="manual")
    assert stack.sender.delivered == [chat] and outcome.period == "2026-W29"
    summary = outcome.summary
    assert (summary.sent, summary.failed, len(summary.undeliverable), again.summary.sent) == (1, 0, 1, 0)
    card = str(cards_to(stack.sender, chat)[0]["card"])
    assert (
        "財政局 週次ダイジェスト" in card and "財政 一郎 さんが財政局の管理職として登録されているため" in card
    )
    assert "毎週月曜 9:00（休日の場合は翌営業日）" in card
    [problem] = stack.outbox.failures_since(MONDAY_9 - timedelta(days=1))
    assert "健康 花子" in problem.label and "インストールされていません" in problem.last_error


async def test_the_monthly_digest_lists_delivery_problems_and_inactive_conversations(store, clock):
    sender = ScriptedSender(
        clock, {"a:personal-mgr-zaisei": [SendError(403, "blocked", code="MessageWritesBlocked")]}
    )
    stack = make_stack(
        store, clock, sender=sender, managers=MANAGERS, bureaus=lambda: ["財政局", "健康福祉局"]
    )
    install_personal(stack.directory, "mgr-zaisei")
    await stack.runner.run(WEEKLY_DIGEST, datetime(2026, 6, 29, 9, tzinfo=JST))  # blocked: deactivated
    office = install_channel(
        stack.directory, stack.channels, "19:office@thread.tacv2", "", office=True, name="推進室"
    )
    outcome = await stack.runner.run(MONTHLY_DIGEST, datetime(2026, 7, 1, 9, tzinfo=JST))
    assert outcome.period == "2026-07" and outcome.summary.sent == 1
    card = str(cards_to(stack.sender, office)[0]["card"])
    assert "配信できなかったメッセージ" in card and "MessageWritesBlocked" in card
    assert "メッセージを受け取れなくなった会話" in card and "mgr-zaisei" in card
    assert "健康福祉局" in card and "DX PRO チャネルが未登録の局" in card
    assert not stack.directory.get("a:personal-mgr-zaisei").active


async def test_the_monthly_digest_without_an_office_channel_is_recorded(store, clock):
    stack = make_stack(store, clock)
    outcome = await stack.runner.run(MONTHLY_DIGEST, datetime(2026, 7, 1, 9, tzinfo=JST))
    assert (outcome.summary.failed, len(outcome.summary.undeliverable)) == (0, 1) and stack.sender.calls == []
    [problem] = stack.outbox.failures_since(datetime(2026, 6, 30, tzinfo=JST))
    assert problem.last_error  # the reason stays on record for the office digest


async def test_a_new_store_logs_why_nothing_went_out_and_counts_no_failure(store, clock, caplog):
    """A first start: bureaus have no DX PRO channel yet. That is not a failed send."""
    late = [delay_alert("財政局"), delay_alert("健康福祉局")]
    stack = make_stack(store, clock, alerts=[StaticAlerts("online_procedures", late)])
    with caplog.at_level(logging.INFO, logger="services.proactive.jobs"):
        outcome = await stack.runner.run(DELAY_ALERTS, ALERTS_930)
    undeliverable = len(outcome.summary.undeliverable)
    assert outcome.summary.failed == 0 and undeliverable == outcome.summary.planned > 0
    assert stack.runs.latest(DELAY_ALERTS).failed == 0
    assert stack.runs.latest(DELAY_ALERTS).undeliverable == undeliverable
    logged = caplog.text
    assert "failed=0" in logged and f"undeliverable={undeliverable}" in logged
    assert "DX PRO チャネルが登録されていません × 2" in logged
    assert f"(fired {ALERTS_930.isoformat(timespec='minutes')})" in logged and "+09:00" in logged


async def test_training_reminders_have_no_source_yet_and_send_nothing(store, clock):
    stack = make_stack(store, clock)
    outcome = await stack.runner.run(TRAINING_REMINDERS, ALERTS_930)
    assert outcome.status == "done" and outcome.summary.planned == 0


async def test_a_failing_source_does_not_stop_the_others(store, clock):
    class Broken:
        programme = "mynumber"

        def due_alerts(self, as_of):
            raise RuntimeError("database unavailable")

    stack = make_stack(store, clock, alerts=[Broken(), StaticAlerts("online_procedures", [delay_alert()])])
    install_channel(stack.directory, stack.channels, "19:zaisei@thread.tacv2", "財政局")
    outcome = await stack.runner.run(DELAY_ALERTS, ALERTS_930)
    assert outcome.summary.sent == 1 and "database unavailable" in outcome.summary.note


async def test_two_instances_firing_together_deliver_each_message_once(store, clock):
    alerts = [StaticAlerts("online_procedures", [delay_alert(b) for b in ("財政局", "環境局", "建設局")])]
    shared = ScriptedSender(clock, latency=0.05)
    a = make_stack(store, clock, owner="A", sender=shared, alerts=alerts)
    b = make_stack(store, clock, owner="B", sender=shared, alerts=alerts)
    for n, bureau in enumerate(("財政局", "環境局", "建設局")):
        install_channel(a.directory, a.channels, f"19:c{n}@thread.tacv2", bureau)
    outcomes = await asyncio.gather(
        a.runner.run(DELAY_ALERTS, ALERTS_930), b.runner.run(DELAY_ALERTS, ALERTS_930)
    )
    assert sorted(shared.delivered) == sorted(f"19:c{n}@thread.tacv2" for n in range(3))
    assert sorted(o.status for o in outcomes) == ["done", "in_progress"]


async def test_a_graceful_stop_mid_fan_out_loses_nothing_and_duplicates_nothing(store, clock):
    managers = [ManagerContact(f"m{i}", f"管理職{i}", "財政局") for i in range(60)]
    a = make_stack(
        store, clock, owner="A", sender=ScriptedSender(clock, latency=0.2), managers=managers, concurrency=4
    )
    for m in managers:
        install_personal(a.directory, m.object_id)
    task = asyncio.ensure_future(a.runner.run(WEEKLY_DIGEST, MONDAY_9))
    while len(a.sender.delivered) < 10:
        await asyncio.sleep(0)
    await a.runner.stop()
    first = await task
    assert first.status == "released" and a.runs.get(WEEKLY_DIGEST, "2026-W29").state is RunState.RUNNING
    b = make_stack(store, clock, owner="B", managers=managers)
    await b.runner.recover()  # what the next start does
    everyone = sorted(a.sender.delivered + b.sender.delivered)
    assert everyone == sorted(f"a:personal-m{i}" for i in range(60))
    assert b.runs.get(WEEKLY_DIGEST, "2026-W29").state is RunState.DONE


async def test_a_crash_mid_fan_out_is_resumed_after_the_lease_runs_out(store, clock):
    managers = [ManagerContact(f"m{i}", f"管理職{i}", "財政局") for i in range(40)]
    a = make_stack(
        store, clock, owner="A", sender=ScriptedSender(clock, latency=0.2), managers=managers, concurrency=4
    )
    for m in managers:
        install_personal(a.directory, m.object_id)
    task = asyncio.ensure_future(a.runner.run(WEEKLY_DIGEST, MONDAY_9))
    while len(a.sender.delivered) < 8:
        await asyncio.sleep(0)
    task.cancel()  # the process dies: nothing is released, leases stay
    with pytest.raises(asyncio.CancelledError):
        await task
    b = make_stack(store, clock, owner="B", managers=managers)
    await b.runner.recover()
    assert b.sender.delivered == []  # A's leases are still valid: B must not touch its work
    clock.advance(121)
    await b.runner.recover()
    delivered = a.sender.delivered + b.sender.delivered
    assert sorted(set(delivered)) == sorted(f"a:personal-m{i}" for i in range(40))  # nothing lost
    assert len(delivered) == 40  # the cancelled sends had not reached the connector
    assert all(r.state is DeliveryState.SENT for r in b.outbox.records(WEEKLY_DIGEST))


async def test_catch_up_runs_todays_missed_firings_once(store, clock):
    stack = make_stack(
        store, clock, alerts=[StaticAlerts("online_procedures", [delay_alert()])], managers=MANAGERS
    )
    install_channel(stack.directory, stack.channels, "19:zaisei@thread.tacv2", "財政局")
    install_personal(stack.directory, "mgr-zaisei")
    started = datetime(2026, 7, 13, 10, 0, tzinfo=JST)  # the app was down at 3:00, 9:00 and 9:30
    outcomes = await stack.runner.catch_up(started)
    expected = [DELAY_ALERTS, TRAINING_REMINDERS, WEEKLY_DIGEST, RETENTION]
    assert sorted(o.job for o in outcomes) == sorted(expected)
    assert len(stack.sender.delivered) == 2
    assert await stack.runner.catch_up(started + timedelta(minutes=5)) == []


# --- retention ------------------------------------------------------------------------------------


async def test_retention_removes_old_records_but_keeps_what_exactly_once_needs(store):
    """Deliveries and runs older than the retention go; a pending delivery, a key still planned, and
    the last run of each job stay."""
    from services.proactive.deliveries import Outgoing

    start = ALERTS_930 - timedelta(days=400)
    clock = FakeClock(start)
    still_late = StaticAlerts("online_procedures", [delay_alert("財政局")])
    stack = make_stack(store, clock, alerts=[still_late], managers=MANAGERS)
    channel = install_channel(stack.directory, stack.channels, "19:zaisei@thread.tacv2", "財政局")
    install_personal(stack.directory, "mgr-zaisei")
    await stack.runner.run(DELAY_ALERTS, start)  # the alert: sent 400 days ago, and due every day since
    await stack.runner.run(WEEKLY_DIGEST, start.replace(hour=9, minute=0) - timedelta(days=start.weekday()))
    weekly = sorted(d.state for d in stack.outbox.records(WEEKLY_DIGEST))
    assert weekly == [DeliveryState.FAILED, DeliveryState.SENT]  # 健康福祉局's manager: not installed
    # a delivery another instance claimed long ago and never settled: pending, whatever its age
    stack.outbox.enqueue([Outgoing(WEEKLY_DIGEST, "2025-W01", "a:somewhere", {"card": {}})], "2025-W01")
    # the alert stays due: the daily plans find its key again (stamped at most once a day)
    for days in (100, 200, 300, 399):
        clock.advance((start + timedelta(days=days) - clock.now()).total_seconds())
        await stack.runner.run(DELAY_ALERTS, start + timedelta(days=days))
    weekly_runs_before = len(list(store.query("JobRuns", WEEKLY_DIGEST)))

    clock.advance((ALERTS_930 - clock.now()).total_seconds())
    outcome = await stack.runner.run(RETENTION, ALERTS_930.replace(hour=3, minute=0))
    assert outcome.status == "done"
    assert "配信記録 2件・実行記録 3件を削除" in outcome.summary.note  # the digest's two; 3 alert runs

    assert stack.sender.delivered == [channel, "a:personal-mgr-zaisei"]
    assert [r.period for r in stack.outbox.records(WEEKLY_DIGEST)] == ["2025-W01"]  # the pending one
    assert len(list(stack.outbox.records(DELAY_ALERTS))) == 1  # still planned: kept
    await stack.runner.run(DELAY_ALERTS, ALERTS_930)
    assert stack.sender.delivered == [channel, "a:personal-mgr-zaisei"]  # so it is not sent again
    assert weekly_runs_before == 1 and stack.runs.latest(WEEKLY_DIGEST) is not None  # the last run stays
    delay_runs = sorted(e.row_key for e in store.query("JobRuns", DELAY_ALERTS))
    assert delay_runs == [
        d.date().isoformat() for d in (start + timedelta(days=300), start + timedelta(days=399), ALERTS_930)
    ]


async def test_retention_is_one_daily_job_with_its_setting(store, clock):
    from services.proactive.jobs import JobTimes, build_jobs
    from services.proactive.schedule import parse_time_of_day

    stack = make_stack(store, clock)
    spec = stack.runner.jobs[RETENTION]
    assert spec.schedule.describe() == "毎日 3:00" and "180日より古い" in spec.description
    times = JobTimes(
        *(parse_time_of_day("09:00"),) * 2, 0, *(parse_time_of_day("09:00"),) * 2, retention_days=30
    )
    assert "30日より古い" in build_jobs(stack.planner, times, stack.runs)[RETENTION].description
    assert RETENTION not in build_jobs(stack.planner, times)  # no run ledger, no clean-up
    first = await stack.runner.run(RETENTION, ALERTS_930)
    again = await stack.runner.run(RETENTION, ALERTS_930 + timedelta(hours=1))
    assert first.status == again.status == "done" and first.period == again.period == "2026-07-13"
