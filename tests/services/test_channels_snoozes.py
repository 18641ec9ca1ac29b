"""Channel roles (DX PRO channels, the office channel) and alert snoozes."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from services.kernel.calendar import JST, DateParseError
from services.proactive.channels import ChannelMap, ChannelRole, channel_root
from services.proactive.snoozes import SnoozeBook, SnoozeError, parse_snooze_date
from tests.fakes import InMemoryTableStore
from tests.support.clock import FakeClock


@pytest.fixture
def clock():
    return FakeClock(datetime(2026, 7, 13, 10, 0, tzinfo=JST))


def test_channel_ids_lose_the_thread_suffix():
    assert channel_root("19:abc@thread.tacv2;messageid=1700000000000") == "19:abc@thread.tacv2"
    assert channel_root("a:personal") == "a:personal"


def test_alerts_find_the_department_then_the_bureau_then_any_department(clock):
    channels = ChannelMap(InMemoryTableStore(), clock)
    channels.map("19:a;messageid=1", ChannelRole.DX_PRO, bureau="健康福祉局", department="健康部")
    channels.map("19:b", ChannelRole.DX_PRO, bureau="健康福祉局", department="長寿社会部")
    assert [m.conversation_id for m in channels.for_unit("健康福祉局", "健康部")] == ["19:a"]
    assert sorted(m.conversation_id for m in channels.for_unit("健康福祉局")) == ["19:a", "19:b"]
    channels.map("19:c", ChannelRole.DX_PRO, bureau="健康福祉局")
    assert [m.conversation_id for m in channels.for_unit("健康福祉局", "生活福祉部")] == ["19:c"]
    assert channels.for_unit("財政局") == []


def test_remapping_replaces_the_role_and_returns_the_old_one(clock):
    channels = ChannelMap(InMemoryTableStore(), clock)
    channels.map("19:a", ChannelRole.DX_PRO, bureau="財政局", channel_name="DX推進", mapped_by="管理 太郎")
    before, after = channels.map("19:a;messageid=9", ChannelRole.OFFICE, mapped_by="管理 太郎")
    assert before.bureau == "財政局" and after.role is ChannelRole.OFFICE and after.channel_name == "DX推進"
    assert [m.conversation_id for m in channels.office()] == ["19:a"] and channels.for_unit("財政局") == []
    assert after.label == "ICTイノベーション推進室のチャネル（#DX推進）"
    assert channels.unmap("19:a").role is ChannelRole.OFFICE and channels.all() == []
    with pytest.raises(ValueError):
        channels.map("19:b", ChannelRole.DX_PRO)


def test_snooze_is_active_before_its_date_only(clock):
    book = SnoozeBook(InMemoryTableStore(), clock)
    before, snooze = book.snooze(
        subject="s1",
        until=date(2026, 7, 16),
        alert_key="k",
        programme="online_procedures",
        bureau="財政局",
        by_id="u1",
        by_name="DX 花子",
    )
    assert before is None and book.active("s1", date(2026, 7, 15)) == snooze
    assert book.active("s1", date(2026, 7, 16)) is None
    previous, _ = book.snooze(
        subject="s1",
        until=date(2026, 7, 20),
        alert_key="k",
        programme="online_procedures",
        bureau="財政局",
        by_id="u1",
        by_name="DX 花子",
    )
    assert previous.until == date(2026, 7, 16)


@pytest.mark.parametrize(
    ("text", "expected"), [("2026-07-20", date(2026, 7, 20)), ("R8.7.20", date(2026, 7, 20))]
)
def test_snooze_dates_are_parsed(text, expected):
    assert parse_snooze_date(text, date(2026, 7, 13)) == expected


@pytest.mark.parametrize(
    ("text", "message"), [("", "選んでください"), ("2026-07-13", "明日以降"), ("2026-12-31", "90日以内")]
)
def test_bad_snooze_dates_are_refused_in_japanese(text, message):
    with pytest.raises(SnoozeError, match=message):
        parse_snooze_date(text, date(2026, 7, 13))


def test_garbage_is_a_date_error():
    with pytest.raises(DateParseError):
        parse_snooze_date("あした", date(2026, 7, 13))
