"""Every 堺市DX card variant, built from the seed (72 departments, the training menu, the academy) with
long texts and full threads, for the schema and size checks in ``tests/cards/test_schema.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta

from cards import dx as cards
from services.dx.catalogue import load_catalogue
from services.dx.models import (
    AcademyStage,
    Category,
    Comment,
    DepartmentStatus,
    HistoryEntry,
    Milestone,
    Overview,
    Plan,
    PlanAlert,
    PlanForm,
    PlanState,
    Report,
    Session,
    SessionReminder,
    VideoFollowUp,
)
from services.dx.proactive import plan_alert, review_alert, session_alert, video_alert
from services.kernel.settings import TIMEZONE
from services.people.identity import Person, Role, RoleGrant

TODAY = date(2026, 11, 26)
AT = datetime(2026, 11, 26, 10, 0, tzinfo=TIMEZONE)
LONG = "窓口で受け付けている各種証明書の再発行申請について、予約と事前入力で待ち時間を減らす。" * 12
ADMIN = Person("sample-admin", "管理 者", grants=(RoleGrant(Role.ADMIN),))


def plan(i: int = 0, state: PlanState = PlanState.ACTIVE, *, full: bool = True) -> Plan:
    comments = tuple(
        Comment(
            AT + timedelta(hours=k),
            f"id{k}",
            f"職員 {k}",
            ("コメント" * 250)[:1000],
            "return" if k % 3 == 0 else "comment",
        )
        for k in range(40 if full else 2)
    )
    history = tuple(
        HistoryEntry(AT, "健康 花子", "提出", PlanState.SUBMITTED) for _ in range(30 if full else 1)
    )
    milestones = tuple(
        Milestone(TODAY + timedelta(days=k * 10 - 30), f"マイルストーン{k}" + "作業" * 20, k % 2 == 0)
        for k in range(20 if full else 2)
    )
    report = (
        Report(95, LONG[:2000], LONG[:2000], True, AT, "健康 花子") if state is PlanState.REPORTED else None
    )
    return Plan(
        f"健康福祉局|健康部|t{i}",
        "健康福祉局",
        f"健康部{i}",
        f"各種証明書の再発行{i}" + "手続き" * 10,
        list(Category)[i % 4],
        LONG[:1000],
        LONG[:1000],
        "平均待ち時間" * 10,
        15.5,
        "分",
        LONG[:1000],
        milestones,
        state,
        state is PlanState.DRAFT,
        AT,
        comments,
        history,
        report,
        3,
        'W/"9"',
    )


def overview() -> Overview:
    departments = tuple(
        DepartmentStatus(
            f"局{i // 4}", f"部{i}", i < 72, (plan(i, list(PlanState)[i % 5], full=False),) if i % 2 else ()
        )
        for i in range(120)
    )
    return Overview(72, departments, TODAY)


def form(errors: bool = False) -> PlanForm:
    values = {
        "business": "再発行" * 30,
        "category": "paper",
        "purpose": LONG[:1000],
        "goal": LONG[:1000],
        "kpi": "待ち時間",
        "kpi_target": "たくさん" if errors else "15",
        "kpi_unit": "分",
        "issues": LONG[:1000],
        "milestones": "\n".join(f"2026-12-{k + 1:02d} 作業{k}" for k in range(25)),
    }
    errs = (
        {"kpi_target": "KPIの目標値は 0 より大きい数で入力してください", "goal": "目標を入力してください"}
        if errors
        else {}
    )
    return PlanForm(
        "健康福祉局",
        "健康部",
        "健康福祉局|健康部|abcd",
        'W/"3"',
        values,
        errs,
        "入力内容を確認してください。" if errors else "",
    )


def session(capacity: int = 100) -> Session:
    people = tuple(f"00000000-0000-4000-8000-{k:012d}" for k in range(capacity + 30))
    return Session(
        "s1",
        "c1",
        TODAY + timedelta(days=5),
        "14:00",
        "16:00",
        "本館 大会議室",
        "https://teams.example/meet",
        capacity,
        people[:capacity],
        people[capacity:],
        people[: capacity // 2],
    )


def samples() -> Iterator[tuple[str, Callable[[], dict]]]:
    catalogue = load_catalogue()
    courses = catalogue.courses
    departments = [(f"局{i // 4}", f"部{i}" + "課" * 8) for i in range(150)]
    yield (
        "dx:home",
        lambda: cards.home_card(
            overview(), own=[("健康福祉局", "健康部")], admin=True, message="保存しました"
        ),
    )
    yield "dx:home-empty", lambda: cards.home_card(Overview(72, (), TODAY))
    yield (
        "dx:department",
        lambda: cards.department_card(
            "健康福祉局",
            "健康部",
            [plan(i, full=False) for i in range(8)],
            may_write=True,
            message="保存しました",
        ),
    )
    yield "dx:department-empty", lambda: cards.department_card("健康福祉局", "健康部", [], may_write=False)
    yield "dx:plan-form", lambda: cards.plan_form_card(form(), catalogue.categories)
    yield "dx:plan-form-errors", lambda: cards.plan_form_card(form(errors=True), catalogue.categories)
    yield (
        "dx:plan-form-conflict",
        lambda: cards.plan_form_card(
            replace(
                form(),
                notice="ほかの方が同時にこの計画を更新しました。",
                current={k: "保存済み" * 30 for k in form().values} | {"category": "applications"},
            ),
            catalogue.categories,
        ),
    )
    for state in PlanState:
        yield (
            f"dx:plan-{state.value}",
            lambda state=state: cards.plan_card(
                plan(1, state),
                TODAY,
                may_write=True,
                may_review=True,
                message="更新しました",
                warning="ほかの方が",
                comment="コメント" * 100,
            ),
        )
    yield "dx:plan-reader", lambda: cards.plan_card(plan(2, PlanState.SUBMITTED, full=False), TODAY)
    yield (
        "dx:report-form",
        lambda: cards.report_form_card(plan(3, PlanState.REPORTED), error="KPIの実績を数で"),
    )
    yield (
        "dx:reports",
        lambda: cards.reports_card(
            [plan(i, PlanState.REPORTED, full=False) for i in range(25)], Category.DATA
        ),
    )
    yield "dx:reports-empty", lambda: cards.reports_card([], None)
    yield (
        "dx:waiting",
        lambda: cards.waiting_card([plan(i, PlanState.SUBMITTED, full=False) for i in range(60)], TODAY),
    )
    yield (
        "dx:participation",
        lambda: cards.participation_card(
            departments, departments[:72], TODAY, 72, error="部署を選んでください", message="保存しました"
        ),
    )
    sessions = [session(30) for _ in range(20)]
    mine = []
    from services.dx.models import PersonCourse

    for k, course in enumerate(courses):
        mine.append(
            PersonCourse(
                course,
                "未視聴" if course.is_video else "申込済み",
                sessions[0] if k else None,
                TODAY if course.is_video else None,
            )
        )
    yield (
        "dx:training",
        lambda: cards.training_card(courses, sessions, mine, admin=True, message="申込を受け付けました"),
    )
    yield "dx:training-empty", lambda: cards.training_card(courses, [], [])
    names = {p: f"職員 {p[-4:]}" for p in session(100).enrolled}
    yield (
        "dx:session-admin",
        lambda: cards.session_card(
            session(100),
            courses[0],
            me=session(100).enrolled[0],
            names=names,
            admin=True,
            message="出席を保存しました",
        ),
    )
    yield (
        "dx:session-waiting",
        lambda: cards.session_card(
            session(3), courses[0], me=session(3).waiting[0], warning="混み合っています"
        ),
    )
    yield "dx:session-open", lambda: cards.session_card(session(3), courses[2], me="someone-else")
    yield (
        "dx:session-form",
        lambda: cards.session_form_card(
            courses, values={"course": "c1", "day": "2026-12-01", "capacity": "30"}, error="時刻を"
        ),
    )
    rows = [
        (f"職員 {k}", ["受講済み", "申込済み", "未申込", "視聴済み", "未視聴", "キャンセル待ち（3番目）"])
        for k in range(60)
    ]
    yield (
        "dx:department-training",
        lambda: cards.department_training_card("健康福祉局", "健康部", courses, rows),
    )
    teams = [
        t.__class__(
            t.number,
            t.work,
            t.participation,
            t.departments,
            t.common_departments,
            AcademyStage.WORKFLOW,
            "メモ" * 100,
        )
        for t in catalogue.academy
    ]
    yield "dx:academy-admin", lambda: cards.academy_card(teams, admin=True, message="更新しました")
    yield "dx:academy", lambda: cards.academy_card(list(catalogue.academy))
    reminder = SessionReminder(session(30), courses[0], "健康福祉局", tuple(f"部{k}" for k in range(20)), 4)
    yield "dx:reminder-session", lambda: cards.reminder_card(session_alert(reminder))
    yield (
        "dx:reminder-video",
        lambda: cards.reminder_card(video_alert(VideoFollowUp(courses[3], TODAY, "id", "健康 花子"))),
    )
    yield (
        "dx:alert-not-submitted",
        lambda: cards.reminder_card(
            plan_alert(PlanAlert("not_submitted", "健康福祉局", "健康部", due=TODAY))
        ),
    )
    p = plan(4, PlanState.ACTIVE, full=False)
    yield (
        "dx:alert-milestone",
        lambda: cards.reminder_card(
            plan_alert(PlanAlert("milestone", p.bureau, p.department, p, p.milestones[0], TODAY))
        ),
    )
    yield (
        "dx:alert-review",
        lambda: cards.reminder_card(
            review_alert(PlanAlert("review", p.bureau, p.department, p, waiting_days=7), "admin")
        ),
    )
