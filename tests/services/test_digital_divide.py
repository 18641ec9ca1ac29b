"""デジタル・ディバイド対策: plan against actual by month and ward (the seed's 177 / 1,801), recording
classes by card and Excel (whole or nothing), permissions, outreach, alerts and the digest line."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from services.digital_divide.alerts import DigitalDivideAlerts, DigitalDivideStatus
from services.digital_divide.classes import HEADERS, Rejected
from services.digital_divide.plan import cumulative_plan, monthly_plan, ward_share
from services.digital_divide.service import Conflict, DigitalDivideError, DigitalDivideService, FormRejected
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE, Settings, SettingsError
from services.people.permissions import Forbidden
from services.proactive.digest import StatusLevel
from tests.fakes import InMemoryTableStore
from tests.support import people as fx


def test_the_r5_plan_spreads_evenly_over_the_months_and_wards():
    months = monthly_plan(177)
    assert sum(months) == 177 and set(months) == {14, 15}
    assert months[:4] == [15, 15, 14, 15]  # 14.75, 29.5, 44.25, 59
    assert cumulative_plan(177, 6) == 89 and cumulative_plan(1801, 12) == 1801
    assert ward_share(177) == 25  # 177 / 7 = 25.3


def test_plans_are_a_setting_per_fiscal_year(store, clock):
    settings = Settings.from_env({"DIGITAL_DIVIDE_PLANS": "2024=180/1850, 2025=190/1900"})
    assert settings.digital_divide_plans == ((2024, 180, 1850), (2025, 190, 1900))
    for bad in ("2024=180", "2024=a/1", "2024=1/1,2024=2/2"):
        with pytest.raises(SettingsError):
            Settings.from_env({"DIGITAL_DIVIDE_PLANS": bad})
    service = DigitalDivideService(
        store, clock, plans={y: (c, p) for y, c, p in settings.digital_divide_plans}
    )
    assert (service.plan_for(2024).classes, service.plan_for(2023).classes) == (180, 177)  # R5 from the seed
    assert service.plan_for(2026) is None


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
    people = fx.load_fixtures(store, clock)
    return people


@pytest.fixture
def service(store, clock, people):
    service = DigitalDivideService(store, clock)
    service.add_contact(fx.actor_of(people, fx.ADMIN), "大学", fx.CONTACT, "財政 担当")
    return service


def cls(
    day: str, ward: str = "堺区", venue: str = "堺区役所", attendance: str = "", partner: str = "大学"
) -> dict:
    return {
        "day": day,
        "start": "10:00",
        "end": "12:00",
        "ward": ward,
        "venue": venue,
        "partner": partner,
        "capacity": "12",
        "attendance": attendance,
    }


def test_plan_versus_actual_by_month_and_ward_with_the_seeds_plan(service, people):
    admin = fx.actor_of(people, fx.ADMIN)
    for day, ward, n in (
        ("2023-04-10", "堺区", "10"),
        ("2023-04-20", "北区", "8"),
        ("2023-05-15", "北区", "11"),
    ):
        service.record_class(admin, cls(day, ward, attendance=n))
    service.record_class(admin, cls("2023-06-20", "美原区"))  # upcoming
    view = service.plan_view(admin.person, 2023, date(2023, 6, 5))
    assert view.plan and (view.plan.classes, view.plan.people) == (177, 1801)
    april, may, june = view.months[:3]
    assert (april.plan, april.held, april.people, april.closed) == (15, 2, 18, True)
    assert (may.cumulative_plan, may.cumulative_held) == (30, 3) and may.behind
    assert (june.held, june.closed) == (0, False) and not june.behind
    assert view.held == 3 and view.people == 29
    wards = {w.ward: w for w in view.wards}
    assert (wards["北区"].held, wards["北区"].people, wards["北区"].plan) == (2, 19, 25)
    assert wards["美原区"].upcoming == 1 and wards["美原区"].held == 0
    assert [m.label for m in view.behind_months] == ["4月", "5月"]


def test_admins_and_partner_contacts_record_classes_and_others_may_not(service, people, clock):
    contact, staff = fx.actor_of(people, fx.CONTACT), fx.actor_of(people, fx.STAFF)
    saved, created = service.record_class(contact, cls("2023-06-20"))
    assert created and saved.recorded_by == fx.CONTACT
    again, created = service.record_class(contact, cls("2023-06-20"))
    assert not created and again.id == saved.id  # the same card twice: saved once
    with pytest.raises(FormRejected) as other_partner:
        service.record_class(contact, cls("2023-06-21", partner="社会福祉協議会"))
    assert "partner" in other_partner.value.form.errors
    with pytest.raises(Forbidden):
        service.record_class(staff, cls("2023-06-22"))
    with pytest.raises(Forbidden):
        service.record_attendance(staff, saved.id, "10", saved.etag)
    with pytest.raises(FormRejected) as invalid:
        service.record_class(
            contact, {**cls("2023-06-22"), "end": "09:00", "ward": "大阪区", "capacity": "0"}
        )
    assert set(invalid.value.form.errors) == {"end", "ward", "capacity"}
    assert invalid.value.form.values["ward"] == "大阪区"  # the input is kept
    with pytest.raises(DigitalDivideError, match="まだ実施日前です"):
        service.record_attendance(contact, saved.id, "11", saved.etag)  # 6/20 is after today (6/5)
    clock.now = datetime(2023, 6, 21, 10, 0, tzinfo=TIMEZONE)
    updated, wrote = service.record_attendance(contact, saved.id, "１１人", saved.etag)
    assert wrote and updated.attendance == 11
    with pytest.raises(Conflict):
        service.record_attendance(contact, saved.id, "12", saved.etag)


def _workbook(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(HEADERS))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_excel_import_is_whole_or_nothing_and_names_the_cell(service, people):
    admin = fx.actor_of(people, fx.ADMIN)
    bad = _workbook(
        [
            ["2023-04-10", "10:00", "12:00", "堺区", "堺区役所", "大学", 12, 10],
            ["R5.4.11", "10:00", "12:00", "堺区", "堺区役所", "大学", "十二", None],
        ]
    )
    with pytest.raises(Rejected) as rejected:
        service.import_xlsx(admin, bad)
    assert rejected.value.problems == ["G3（定員）: 1～1000の整数で入力してください（入力: 十二）"]
    assert service.classes() == []  # nothing saved
    good = _workbook(
        [
            ["2023-04-10", "10:00", "12:00", "堺区", "堺区役所", "大学", 12, 10],
            ["R5.4.11", "10:00", "12:00", "中", "中区役所", "大学", 12, None],
        ]
    )
    result = service.import_xlsx(admin, good)
    assert (result.added, result.updated) == (2, 0)
    assert service.import_xlsx(admin, good).added == 0  # the same file again
    assert [c.ward for c in service.classes()] == ["堺区", "中区"]
    exported = load_workbook(io.BytesIO(service.export_xlsx(admin.person, 2023)))
    sheet = exported.worksheets[0]
    assert (
        [c.value for c in sheet[1]] == list(HEADERS)
        and sheet["E3"].value == "中区役所"
        and sheet["H2"].value == 10
    )
    with pytest.raises(Forbidden):
        service.import_xlsx(fx.actor_of(people, fx.STAFF), good)


def test_outreach_planned_and_actual_per_year(service, people):
    admin = fx.actor_of(people, fx.ADMIN)
    outreach, wrote = service.set_outreach(
        admin,
        2023,
        {
            "planned|poster_city": "200",
            "actual|poster_city": "198",
            "planned|kouhou": "1",
            "note": "広報さかい 8月号",
        },
        None,
    )
    city = next(i for i in outreach.items if i.key == "poster_city")
    assert wrote and (city.planned, city.actual) == (200, 198) and outreach.note == "広報さかい 8月号"
    with pytest.raises(Forbidden):
        service.set_outreach(fx.actor_of(people, fx.CONTACT), 2023, {}, outreach.etag)
    assert service.outreach(2024).etag is None


def test_alerts_for_unrecorded_attendance_and_a_month_behind_plan(service, people, store):
    contact = fx.actor_of(people, fx.CONTACT)
    saved, _ = service.record_class(contact, cls("2023-05-31"))  # a Wednesday
    alerts = DigitalDivideAlerts(service, people.admin_ids, attendance_days=3)
    assert [a.key for a in alerts.due_alerts(date(2023, 6, 2))] == [
        "digital_divide|behind|2023-05|" + fx.ADMIN
    ]
    due = alerts.due_alerts(date(2023, 6, 5))  # 3 business days after 5/31
    keys = [a.key for a in due]
    assert f"digital_divide|attendance|{saved.id}" in keys
    attendance = next(a for a in due if "attendance" in a.key)
    assert attendance.person == fx.CONTACT and "参加者数が未入力" in attendance.title
    service.record_attendance(contact, saved.id, "9", saved.etag)
    assert not any("attendance" in a.key for a in alerts.due_alerts(date(2023, 6, 5)))
    line = DigitalDivideStatus(service).status(date(2023, 6, 5), None)
    assert line.level is StatusLevel.DELAYED
    assert line.headline == "令和5年度 スマホ教室: 計画 177回のうち実施 1回（1%）、参加 9名／計画 1,801名"
    assert [p.value for p in line.chart] == [0, 1]


def test_residents_see_upcoming_classes_by_ward(service, people):
    admin = fx.actor_of(people, fx.ADMIN)
    for day, ward in (("2023-06-01", "堺区"), ("2023-06-20", "堺区"), ("2023-06-21", "北区")):
        service.record_class(admin, cls(day, ward))
    assert [c.day.day for c in service.upcoming(date(2023, 6, 5))] == [20, 21]
    assert [c.ward for c in service.upcoming(date(2023, 6, 5), "北区")] == ["北区"]


def test_overview_is_the_materials_words(service):
    overview = service.overview()
    assert overview.summary.startswith("デジタル・デバイドの解消に向けて")
    assert dict(overview.pillars)["実際に触れてもらう"] == "操作方法等を取得できる講座を開催"
    assert ("ポスター", "市有施設", 198, "枚") in overview.r4


def test_the_refusal_names_who_may_record_classes(service, people):
    with pytest.raises(Forbidden) as refused:
        service.record_class(fx.actor_of(people, fx.STAFF), cls("2023-06-22"))
    assert str(refused.value) == (
        "スマホ教室の記録の更新は、その連携先の担当者（管理者が登録）と "
        "ICTイノベーション推進室（管理者）のみが行えます。"
    )


def test_a_partner_name_never_breaks_a_storage_key(service, people):
    admin = fx.actor_of(people, fx.ADMIN)
    for bad in ("大学/学部", "a#b", "", "x" * 61):
        with pytest.raises(DigitalDivideError):
            service.add_contact(admin, bad, fx.CONTACT, "財政 担当")
    assert [c.partner for c in service.contacts()] == ["大学"]
