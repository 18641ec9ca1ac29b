"""The proactive sender over a real CloudAdapter, against local connectors; the APScheduler wiring."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import pytest
from botbuilder.core import ConversationState, MemoryStorage
from botbuilder.schema import Activity

from bot.adapter import build_adapter
from bot.proactive import ProactiveSender
from bot.references import reference_dict
from bot.scheduler import ProactiveRuntime, ScheduleTrigger
from bot.settings import Settings
from services.kernel.calendar import JST
from services.people.service import PeopleService
from services.proactive.conversations import ConversationDirectory
from services.proactive.dispatch import SendError
from services.proactive.jobs import (
    DELAY_ALERTS,
    MONTHLY_DIGEST,
    RECOVERY,
    RETENTION,
    TRAINING_REMINDERS,
    WEEKLY_DIGEST,
)
from services.proactive.schedule import BusinessDaily, WeeklyOnBusinessDay, parse_time_of_day
from tests.fakes import InMemoryTableStore
from tests.support.activities import channel_mention
from tests.support.connector import RecordingConnector
from tests.support.proactive import install_personal
from tests.support.throttling_connector import Scripted, ThrottlingConnector

PAYLOAD = {
    "card": {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "お知らせ"}]},
    "summary": "【お知らせ】テスト",
}


def adapter_for(settings: Settings):
    return build_adapter(settings, ConversationState(MemoryStorage()))


@pytest.fixture
def store():
    return InMemoryTableStore()


@pytest.fixture
def directory(store):
    return ConversationDirectory(store, lambda: datetime(2026, 7, 13, 9, tzinfo=JST))


async def test_anonymous_mode_sends_a_new_post_with_an_empty_app_id(directory, tmp_path):
    connector = await RecordingConnector().start()
    try:
        chat = install_personal(directory, "aad-1", connector.url)
        sender = ProactiveSender(adapter_for(Settings(data_dir=tmp_path)), directory, app_id="")
        await sender.send(chat, PAYLOAD)
        [activity] = connector.activities
        assert activity["_conversation_id"] == chat
        assert "replyToId" not in activity and activity["summary"] == "【お知らせ】テスト"
        assert activity["attachments"][0]["content"]["body"][0]["text"] == "お知らせ"
    finally:
        await connector.stop()


async def test_a_channel_reference_posts_to_the_channel_not_the_thread(directory, tmp_path):
    connector = await RecordingConnector().start()
    try:
        mention = Activity().deserialize(channel_mention(connector.url, "メニュー"))
        directory.remember(reference_dict(mention), conversation_type="channel", channel_name="DX PRO")
        [record] = directory.all()
        assert record.conversation_id == "19:dxpro-channel@thread.tacv2"
        assert "activityId" not in record.reference
        sender = ProactiveSender(adapter_for(Settings(data_dir=tmp_path)), directory, app_id="")
        await sender.send(record.conversation_id, PAYLOAD)
        assert connector.activities[0]["_conversation_id"] == "19:dxpro-channel@thread.tacv2"
    finally:
        await connector.stop()


@pytest.mark.parametrize(
    ("scripted", "status", "code", "retry_after"),
    [
        (Scripted(429, "TooManyRequests", "3"), 429, "TooManyRequests", 3.0),
        (Scripted(403, "MessageWritesBlocked"), 403, "MessageWritesBlocked", None),
        (Scripted(404, "ConversationNotFound"), 404, "ConversationNotFound", None),
        (Scripted(412, "PreconditionFailed"), 412, "PreconditionFailed", None),
    ],
)
async def test_failures_carry_status_code_and_retry_after(
    directory, tmp_path, scripted, status, code, retry_after
):
    connector = await ThrottlingConnector().start()
    try:
        chat = install_personal(directory, "aad-1", connector.url)
        connector.script[chat] = [scripted]
        sender = ProactiveSender(adapter_for(Settings(data_dir=tmp_path)), directory, app_id="")
        with pytest.raises(SendError) as raised:
            await sender.send(chat, PAYLOAD)
        assert (raised.value.status, raised.value.code, raised.value.retry_after) == (
            status,
            code,
            retry_after,
        )
        assert raised.value.gone == (status == 404 or code == "MessageWritesBlocked")
        await sender.send(chat, PAYLOAD)  # the script is used up: the next one goes through
        assert len(connector.delivered[chat]) == 1
    finally:
        await connector.stop()


async def test_a_gateway_error_with_a_plain_text_body_still_reports_its_status(directory, tmp_path):
    connector = await ThrottlingConnector(p5xx=1.0).start()
    try:
        chat = install_personal(directory, "aad-1", connector.url)
        sender = ProactiveSender(adapter_for(Settings(data_dir=tmp_path)), directory, app_id="")
        with pytest.raises(SendError) as raised:
            await sender.send(chat, PAYLOAD)
        assert raised.value.status in (502, 504)
    finally:
        await connector.stop()


async def test_unknown_and_inactive_conversations_are_404_without_a_request(directory, tmp_path):
    connector = await ThrottlingConnector().start()
    try:
        sender = ProactiveSender(adapter_for(Settings(data_dir=tmp_path)), directory, app_id="")
        with pytest.raises(SendError) as unknown:
            await sender.send("a:nobody", PAYLOAD)
        chat = install_personal(directory, "aad-1", connector.url)
        directory.deactivate(chat)
        with pytest.raises(SendError) as inactive:
            await sender.send(chat, PAYLOAD)
        assert unknown.value.status == inactive.value.status == 404 and connector.arrivals == []
    finally:
        await connector.stop()


async def test_a_dropped_connection_is_a_network_error(directory, tmp_path):
    async def hang_up(reader, writer):
        await reader.read(100)
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        chat = install_personal(directory, "aad-1", f"http://127.0.0.1:{port}/")
        sender = ProactiveSender(adapter_for(Settings(data_dir=tmp_path)), directory, app_id="")
        with pytest.raises(SendError) as raised:
            await sender.send(chat, PAYLOAD)
        assert raised.value.status is None
    finally:
        server.close()


def test_the_trigger_follows_the_business_day_schedule():
    trigger = ScheduleTrigger(WeeklyOnBusinessDay(0, parse_time_of_day("09:00")))
    now = datetime(2026, 1, 9, 12, tzinfo=JST)
    first = trigger.get_next_fire_time(None, now)
    assert first == datetime(2026, 1, 13, 9, tzinfo=JST)  # Monday 1/12 is 成人の日
    assert trigger.get_next_fire_time(first, first) == datetime(2026, 1, 19, 9, tzinfo=JST)
    daily = ScheduleTrigger(BusinessDaily(parse_time_of_day("09:30")))
    friday = datetime(2026, 1, 9, 9, 30, tzinfo=JST)
    assert daily.get_next_fire_time(None, friday) == friday  # due right now: fires now
    assert daily.get_next_fire_time(friday, friday) == datetime(
        2026, 1, 13, 9, 30, tzinfo=JST
    )  # Mon is a holiday


def runtime(store, tmp_path, **settings) -> ProactiveRuntime:
    config = Settings(data_dir=tmp_path, **settings)
    directory = ConversationDirectory(store, lambda: datetime.now(JST))
    return ProactiveRuntime(
        config,
        store,
        adapter_for(config),
        directory,
        PeopleService(store, lambda: datetime.now(JST)),
        now=lambda: datetime.now(JST),
    )


async def test_no_scheduler_unless_enabled(store, tmp_path):
    proactive = runtime(store, tmp_path)
    await proactive.start()
    assert not proactive.scheduler_running and proactive.scheduler is None
    assert all(v.next_run is None for v in proactive.views())
    await proactive.stop()


async def test_the_scheduler_registers_every_job_with_its_next_business_day_run(store, tmp_path, caplog):
    proactive = runtime(store, tmp_path, scheduler_enabled=True)
    with caplog.at_level(logging.INFO, logger="bot.scheduler"):
        await proactive.start()
    try:
        assert proactive.scheduler_running
        jobs = {j.id: j for j in proactive.scheduler.get_jobs()}
        expected = {DELAY_ALERTS, TRAINING_REMINDERS, WEEKLY_DIGEST, MONTHLY_DIGEST, RECOVERY, RETENTION}
        assert set(jobs) == expected
        [started] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("scheduler started")]
        next_alerts = jobs[DELAY_ALERTS].next_run_time.isoformat(timespec="minutes")
        assert f"{DELAY_ALERTS} at {next_alerts}" in started
        assert started.count("+09:00") == len(expected)  # every time in the log carries its zone
        now = datetime.now(JST)
        for name in (DELAY_ALERTS, WEEKLY_DIGEST, MONTHLY_DIGEST):
            assert jobs[name].next_run_time == proactive.jobs[name].schedule.next_fire(now)
            assert jobs[name].next_run_time.utcoffset() == timedelta(hours=9)
        assert proactive.views()[0].next_run is not None
    finally:
        await proactive.stop()
    assert not proactive.scheduler_running
