"""The DX PRO training programme: sessions, capacity and waiting list (also under concurrent enrolments),
attendance, videos, the academy, and the reminders' selection and business-day offsets."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest

from services.dx.models import AcademyStage, EnrolOutcome
from services.dx.plans import PlanService
from services.dx.proactive import DxAlerts, DxReminders, DxStatus
from services.dx.training import TrainingError, TrainingService
from services.kernel.settings import TIMEZONE
from services.people.identity import Actor, OrgUnit, Person
from services.people.permissions import Forbidden
from services.proactive.digest import StatusLevel
from storage.sqlite import SqliteTableStore
from tests.fakes import InMemoryTableStore
from tests.support import people as fx

HEALTH, DEPT = "健康福祉局", "健康部"


@pytest.fixture
def store():
    return InMemoryTableStore()


@pytest.fixture
def clock():
    return fx.Clock(datetime(2026, 11, 16, 10, 0, tzinfo=TIMEZONE))


@pytest.fixture
def people(store, clock):
    return fx.load_fixtures(store, clock)


@pytest.fixture
def training(store, clock, people):
    return TrainingService(store, clock)


def new_session(training, people, *, day="2026-11-24", capacity="2", course="c1"):
    return training.create_session(
        fx.actor_of(people, fx.ADMIN),
        {
            "course": course,
            "day": day,
            "start": "14:00",
            "end": "16:00",
            "place": "本館 会議室",
            "capacity": capacity,
        },
    )


def staff(n: int, bureau=HEALTH, department=DEPT) -> Actor:
    return Actor(Person(f"00000000-0000-4000-8000-{n:012d}", f"職員 {n}", OrgUnit(bureau, department)), "c")


def test_only_admins_create_sessions_and_bad_values_are_refused(training, people):
    with pytest.raises(Forbidden):
        training.create_session(fx.actor_of(people, fx.DX_HEALTH), {"course": "c1"})
    with pytest.raises(TrainingError) as refused:
        training.create_session(
            fx.actor_of(people, fx.ADMIN),
            {"course": "c1", "day": "そのうち", "start": "16:00", "end": "14:00", "capacity": "0"},
        )
    assert "日付" in str(refused.value) and "定員" in str(refused.value) and "時刻" in str(refused.value)
    assert training.sessions() == []


def test_enrolment_within_capacity_then_the_waiting_list_then_a_seat_moves_up(training, people):
    session = new_session(training, people)
    outcomes = [training.enrol(staff(n), session.session_id)[1] for n in (11, 12, 13)]
    assert outcomes == [EnrolOutcome.ENROLLED, EnrolOutcome.ENROLLED, EnrolOutcome.WAITING]
    assert training.enrol(staff(11), session.session_id)[1] is EnrolOutcome.ALREADY
    after = training.cancel(staff(12), session.session_id)
    assert after.enrolled == (staff(11).object_id, staff(13).object_id) and after.waiting == ()


def test_concurrent_enrolments_never_exceed_the_capacity_nor_lose_anyone(tmp_path, clock):
    store = SqliteTableStore(tmp_path / "dx.sqlite3")
    people = fx.load_fixtures(store, clock)
    training = TrainingService(store, clock)
    session = new_session(training, people, capacity="5")
    start = threading.Barrier(12)
    errors: list[BaseException] = []

    def enrol(n: int) -> None:
        start.wait()
        try:
            TrainingService(store, clock).enrol(staff(n), session.session_id)
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=enrol, args=(n,)) for n in range(100, 112)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    final = training.session(session.session_id)
    assert len(final.enrolled) == 5 and len(final.waiting) == 7
    assert set(final.enrolled) | set(final.waiting) == {staff(n).object_id for n in range(100, 112)}


def test_attendance_videos_and_a_persons_courses(training, people):
    session = new_session(training, people)
    dx = fx.actor_of(people, fx.DX_HEALTH)
    training.enrol(dx, session.session_id)
    with pytest.raises(Forbidden):
        training.record_attendance(dx, session.session_id, [dx.object_id])
    training.record_attendance(fx.actor_of(people, fx.ADMIN), session.session_id, [dx.object_id])
    assert training.mark_watched(dx, "c4") is True and training.mark_watched(dx, "c4") is False
    with pytest.raises(TrainingError):
        training.mark_watched(dx, "c1")  # not a video
    statuses = {pc.course.title: pc.status for pc in training.person_courses(dx.person, dx.object_id)}
    assert statuses["DXマインド向上"] == "受講済み" and statuses["データ活用"] == "視聴済み"
    assert statuses["堺市DXガイドブック"] == "未視聴"
    with pytest.raises(Forbidden):
        training.person_courses(fx.actor_of(people, fx.DX_CHILD).person, dx.object_id)
    rows = training.department_records(fx.actor_of(people, fx.MANAGER).person, HEALTH, DEPT)
    assert [p.name for p, _ in rows] == ["健康 花子"]


def test_academy_teams_from_the_seed_and_their_stages(training, people):
    teams = training.academy()
    assert [t.number for t in teams] == ["①", "②", "③", "④"] and "救急部" in teams[1].departments
    assert "財政課" in teams[0].members and "ICTイノベーション推進室" in teams[0].members
    team = training.set_stage(fx.actor_of(people, fx.ADMIN), "②", 2, "業務フローを作成中")
    assert team.stage is AcademyStage.WORKFLOW
    with pytest.raises(Forbidden):
        training.set_stage(fx.actor_of(people, fx.DX_HEALTH), "②", 3)


def reminders(training, store, clock, days=1, channels=None):
    return DxReminders(training, PlanService(store, clock), days, channels)


def test_a_session_just_after_a_holiday_is_reminded_n_business_days_before(training, people, store, clock):
    new_session(training, people, day="2026-11-24")  # Tuesday; Monday 11/23 is 勤労感謝の日
    source = reminders(training, store, clock, days=1)
    assert source.session_reminders(date(2026, 11, 19)) == []  # Thursday: 2 business days before
    on_friday = source.session_reminders(date(2026, 11, 20))
    assert on_friday and source.session_reminders(date(2026, 11, 24)) == []  # not on the day itself
    three = reminders(training, store, clock, days=3)
    assert three.session_reminders(date(2026, 11, 18)) and not three.session_reminders(date(2026, 11, 17))


def test_the_reminder_goes_to_enrolled_and_audience_departments_each_channel_once(
    training, people, store, clock
):
    session = new_session(training, people, course="c3")  # BPR: DX PRO
    training.enrol(staff(21, "建設局", "土木部"), session.session_id)
    channels = {
        ("健康福祉局", "健康部"): ("ch-health",),
        ("子ども青少年局", "子育て支援部"): ("ch-child",),
        ("建設局", "土木部"): ("ch-build",),
    }
    source = reminders(training, store, clock, channels=lambda b, d: channels.get((b, d), ()))
    alerts = source.due_alerts(date(2026, 11, 20))
    assert sorted((a.bureau, a.department) for a in alerts) == [
        ("健康福祉局", "健康部"),
        ("子ども青少年局", "子育て支援部"),
        ("建設局", "土木部"),
    ]
    assert all(a.person == "" and "申し込む" in a.next_step for a in alerts)
    shared = reminders(training, store, clock, channels=lambda b, d: ("one-channel",))
    assert len({a.department for a in shared.due_alerts(date(2026, 11, 20))}) == 3  # one per bureau
    bureau_wide = reminders(training, store, clock, channels=lambda b, d: (f"ch-{b}",))
    assert len(bureau_wide.due_alerts(date(2026, 11, 20))) == 3


def test_unwatched_assigned_videos_get_a_personal_follow_up_after_the_due_date(
    training, people, store, clock
):
    admin = fx.actor_of(people, fx.ADMIN)
    training.assign_video(admin, "c4", "2026-11-30")  # データ活用: DX PROs
    training.mark_watched(fx.actor_of(people, fx.DX_CHILD), "c4")
    source = reminders(training, store, clock)
    assert source.video_followups(date(2026, 11, 30)) == []
    alerts = source.due_alerts(date(2026, 12, 1))
    assert [a.person for a in alerts] == [fx.DX_HEALTH] and "視聴済みにする" in alerts[0].next_step


def test_plan_alerts_and_the_digest_line(people, store, clock):
    plans = PlanService(store, clock)
    admin, dx = fx.actor_of(people, fx.ADMIN), fx.actor_of(people, fx.DX_HEALTH)
    plans.set_participation(
        admin, [OrgUnit(HEALTH, DEPT), OrgUnit("子ども青少年局", "子育て支援部")], date(2026, 11, 20)
    )
    form = plans.new_form(dx, HEALTH, DEPT)
    plan = plans.save(
        dx,
        {
            "plan_id": form.plan_id,
            "business": "受付",
            "category": "paper",
            "purpose": "p",
            "goal": "g",
            "kpi": "k",
            "kpi_target": "10",
            "kpi_unit": "件",
            "milestones": "2026-11-20 調査",
        },
        submit=True,
    )
    source = DxAlerts(plans, lambda: [fx.ADMIN], review_days=5)
    kinds = sorted(a.key.split("|")[1] for a in source.due_alerts(date(2026, 11, 24)))
    assert kinds == ["plan-due"]  # 子育て支援部 has no plan; 健康部's is waiting 2 business days
    kinds = sorted(a.key.split("|")[1] for a in source.due_alerts(date(2026, 11, 30)))
    assert kinds == ["plan-due", "review"]
    plan = plans.act(admin, plan.plan_id, plan.etag, "accept")
    alerts = source.due_alerts(date(2026, 11, 30))
    assert sorted(a.key.split("|")[1] for a in alerts) == ["milestone", "plan-due"]
    line = DxStatus(plans).status(date(2026, 11, 30), None)
    assert line.level is StatusLevel.OVERDUE and "目標 72部署" in line.headline and line.chart
    assert DxStatus(plans).status(date(2026, 11, 30), "建設局").level is StatusLevel.NOT_TRACKED


def test_the_cli_lists_the_reminders_and_writes_the_export(
    training, people, store, tmp_path, capsys, monkeypatch
):
    from services.dx.cli import main

    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    new_session(training, people, day="2026-11-24", course="c3")
    assert main(["--as-of", "2026-11-20", "reminders"], store=store) == 0
    out = capsys.readouterr().out
    assert "研修のお知らせ: BPR" in out and "2026-11-20: 2件" in out
    assert main(["export", str(tmp_path / "dx.xlsx")], store=store) == 0
    assert (tmp_path / "dx.xlsx").read_bytes().startswith(b"PK")


def test_a_capacity_beyond_what_one_session_row_holds_is_refused(training, people):
    with pytest.raises(TrainingError) as refused:
        new_session(training, people, capacity="5000")
    assert "1～1000" in str(refused.value)
