"""The デジタル・ディバイド対策 dialog: card actions in, the next card out (the turn is not used)."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import Workbook

from cards import digital_divide as cards
from dialogs.base import DialogDeps
from dialogs.digital_divide import DigitalDivideDialog, export_classes
from services.digital_divide.classes import HEADERS
from services.kernel.programmes import ProgrammeInfo
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.people.permissions import Forbidden
from tests.fakes import InMemoryTableStore
from tests.support import people as fx
from tests.support.cards import actions
from tests.support.cards import card_json as text
from tests.support.cards import inputs_by_id as inputs

INFO = ProgrammeInfo("digital_divide", "デジタル・ディバイド対策", "📱", "", ("スマホ教室",))


@pytest.fixture
def store():
    store = InMemoryTableStore()
    seed_store(store, load_seed())
    return store


@pytest.fixture
def clock():
    return fx.Clock(datetime(2023, 6, 5, 10, 0, tzinfo=TIMEZONE))


@pytest.fixture
def people(store, clock):
    return fx.load_fixtures(store, clock)


@pytest.fixture
def deps(store, clock, people):
    return DialogDeps(store=store, clock=clock, people=people)


@pytest.fixture
def dialog(deps):
    return DigitalDivideDialog(INFO, deps)


def verbs(card: dict) -> list[str]:
    return [a["data"]["verb"] for a in actions(card)]


CLASS = {
    "day": "2023-05-20",
    "start": "10:00",
    "end": "12:00",
    "ward": "北区",
    "venue": "北区役所",
    "partner": "大学",
    "capacity": "12",
    "attendance": "11",
}


async def test_an_admin_records_a_class_and_the_plan_versus_actual_updates(dialog, people):
    admin = fx.actor_of(people, fx.ADMIN)
    before = await dialog.open(None, admin)
    assert "177回・1,801名（会議資料（R5予定））" in text(before) and "実施" in text(before)
    assert "Chart.VerticalBar.Grouped" in text(before) and "2023年8月8日 会議資料時点" in text(before)
    form = await dialog.act(None, admin, cards.FORM_VERB, {})
    assert {"day", "start", "ward", "venue", "partner", "capacity"} <= set(inputs(form))
    bad = await dialog.act(None, admin, cards.RECORD_VERB, {**CLASS, "end": "09:00"})
    assert "終了は開始より後の時刻にしてください" in text(bad) and inputs(bad)["venue"]["value"] == "北区役所"
    saved = await dialog.act(None, admin, cards.RECORD_VERB, CLASS)
    assert "記録しました" in text(saved)
    twice = await dialog.act(None, admin, cards.RECORD_VERB, CLASS)
    assert "二重には記録していません" in text(twice)
    after = await dialog.act(None, admin, cards.SUMMARY_VERB, {})
    assert "1回（1%）" in text(after) and "11名（1%）" in text(after)


async def test_staff_read_and_share_the_residents_card_but_may_not_record(dialog, people):
    admin, staff = fx.actor_of(people, fx.ADMIN), fx.actor_of(people, fx.STAFF)
    await dialog.act(None, admin, cards.RECORD_VERB, {**CLASS, "day": "2023-06-20", "attendance": ""})
    summary = await dialog.open(None, staff)
    assert cards.FORM_VERB not in verbs(summary) and cards.RESIDENTS_VERB in verbs(summary)
    residents = await dialog.act(None, staff, cards.RESIDENTS_VERB, {cards.WARD_INPUT: "北区"})
    assert "スマホ教室のご案内" in text(residents) and "2023年6月20日（火） 10:00～12:00" in text(residents)
    assert "北区 北区役所" in text(residents)
    with pytest.raises(Forbidden):
        await dialog.act(None, staff, cards.FORM_VERB, {})
    with pytest.raises(Forbidden):
        await dialog.act(None, staff, cards.RECORD_VERB, CLASS)


async def test_attendance_is_entered_after_the_class(dialog, people):
    admin = fx.actor_of(people, fx.ADMIN)
    await dialog.act(None, admin, cards.RECORD_VERB, {**CLASS, "attendance": ""})
    listing = await dialog.act(None, admin, cards.ATTENDANCE_VERB, {})
    data = next(a["data"] for a in actions(listing) if a["data"]["verb"] == cards.SAVE_ATTENDANCE_VERB)
    saved = await dialog.act(
        None, admin, cards.SAVE_ATTENDANCE_VERB, {**data, f"attendance|{data['class_id']}": "9"}
    )
    assert "（9名）を保存しました" in text(saved) and "参加者数が未入力の教室はありません" in text(saved)


async def test_a_partner_contact_is_registered_then_sends_an_excel_file(dialog, deps, people):
    admin, contact = fx.actor_of(people, fx.ADMIN), fx.actor_of(people, fx.CONTACT)
    registered = await dialog.act(
        None, admin, cards.ADD_PARTNER_VERB, {"partner": "〇〇大学", "person": "財政 担当"}
    )
    assert "〇〇大学 の担当者に 財政 担当 さんを登録しました" in text(registered)
    book = Workbook()
    sheet = book.active
    sheet.append(list(HEADERS))
    sheet.append(["2023-05-10", "10:00", "12:00", "堺区", "堺区役所", "〇〇大学", 12, 10])
    sheet.append(["2023-05-11", "10:00", "12:00", "堺区", "堺区役所", "社会福祉協議会", 12, 10])
    out = io.BytesIO()
    book.save(out)
    assert dialog.claims_file("教室.xlsx", out.getvalue())
    refused = await dialog.on_file(None, contact, "教室.xlsx", out.getvalue())
    assert "取り込めませんでした" in text(refused) and "F3（連携先）" in text(refused)
    sheet.delete_rows(3)
    out = io.BytesIO()
    book.save(out)
    done = await dialog.on_file(None, contact, "教室.xlsx", out.getvalue())
    assert "追加 1件" in text(done)
    exported = export_classes(deps, admin, {"fy": "2023"})
    assert exported.startswith(b"PK")


async def test_admins_enter_outreach(dialog, people):
    admin = fx.actor_of(people, fx.ADMIN)
    card = await dialog.act(None, admin, cards.OUTREACH_VERB, {cards.YEAR_INPUT: "2023"})
    data = next(a["data"] for a in actions(card) if a["data"]["verb"] == cards.SAVE_OUTREACH_VERB)
    saved = await dialog.act(
        None,
        admin,
        cards.SAVE_OUTREACH_VERB,
        {**data, "planned|poster_city": "200", "actual|poster_city": "198", "note": "広報さかい 8月号"},
    )
    assert "保存しました" in text(saved) and inputs(saved)["actual|poster_city"]["value"] == 198
    summary = await dialog.open(None, admin)
    assert "ポスター（市有施設）" in text(summary) and "198枚" in text(summary)
    with pytest.raises(Forbidden):
        await dialog.act(None, fx.actor_of(people, fx.STAFF), cards.OUTREACH_VERB, {})


async def test_the_registry_lines_give_working_alert_and_status_sources(store, clock, people):
    from bot.programmes import PROGRAMMES
    from services.kernel.settings import Settings

    settings = Settings(digital_divide_attendance_days=1, literacy_at_risk_days=30)
    deps = DialogDeps(store=store, clock=clock, people=people, settings=settings)
    lines = {p.info.key: p for p in PROGRAMMES}
    dialog = lines["digital_divide"].dialog(lines["digital_divide"].info, deps)
    await dialog.act(
        None,
        fx.actor_of(people, fx.ADMIN),
        cards.RECORD_VERB,
        {**CLASS, "day": "2023-06-01", "attendance": ""},
    )
    alerts = lines["digital_divide"].alerts(deps).due_alerts(clock().date())
    attendance = next(a for a in alerts if "|attendance|" in a.key)
    assert attendance.person == fx.ADMIN  # 1 business day after 6/1 (the setting) has passed
    assert any(a.key.startswith("digital_divide|behind|2023-05|") for a in alerts)
    card = lines["digital_divide"].alert_card(attendance)
    assert "参加者数が未入力" in text(card) and cards.ATTENDANCE_VERB in verbs(card)
    dd_line = lines["digital_divide"].status(deps).status(clock().date(), "健康福祉局")
    assert "計画 177回のうち実施 1回" in dd_line.headline
    literacy_line = lines["literacy"].status(deps).status(clock().date(), None)
    assert "まだありません" in literacy_line.headline
    built = lines["digital_divide"].exports["digital_divide.classes"](
        deps, fx.actor_of(people, fx.STAFF), {"fy": "2023"}
    )
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(built)).worksheets[0]
    assert sheet.title == "スマホ教室" and sheet["E2"].value == "北区役所" and sheet["H2"].value is None
