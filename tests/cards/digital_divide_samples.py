"""Every デジタル・ディバイド対策 card variant, built through the service on the seed with a full year
of classes (177, attendance recorded for most), for the schema and size checks in test_schema.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from functools import cache

from cards import digital_divide as cards
from dialogs.digital_divide import alert_card
from services.digital_divide.alerts import DigitalDivideAlerts
from services.digital_divide.models import WARDS, ClassForm, SmartphoneClass
from services.digital_divide.service import DigitalDivideService
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.people.identity import Actor, Person, Role, RoleGrant
from tests.fakes import InMemoryTableStore

ADMIN = Person("sample-admin", "管理 者", grants=(RoleGrant(Role.ADMIN),))
TODAY = date(2024, 2, 20)
VENUE = "堺市立〇〇地域会館 2階 大会議室（とても長い会場名の例）"


@cache
def _service() -> DigitalDivideService:
    store = InMemoryTableStore()
    seed_store(store, load_seed())
    service = DigitalDivideService(store, lambda: datetime(2024, 2, 20, 10, tzinfo=TIMEZONE))
    actor = Actor(ADMIN, "c")
    day = date(2023, 4, 3)
    for i in range(177):
        d = day + timedelta(days=2 * i)
        service.record_class(
            actor,
            {
                "day": d.isoformat(),
                "start": "10:00",
                "end": "12:00",
                "ward": WARDS[i % 7],
                "venue": f"{VENUE}{i}",
                "partner": "社会福祉協議会",
                "capacity": "12",
                "attendance": "" if d >= TODAY - timedelta(days=20) else str(8 + i % 5),
            },
        )
    service.set_outreach(
        actor,
        2023,
        {
            f"{k}|{i}": "14000"
            for k in ("planned", "actual")
            for i in ("poster_city", "poster_private", *(f"flyer_{n}" for n in range(7)), "kouhou")
        },
        None,
    )
    return service


def _classes(n: int) -> list[SmartphoneClass]:
    return [
        SmartphoneClass(
            f"2024022{i % 10}-1000-abcdef{i:06d}",
            TODAY + timedelta(days=i),
            time(10),
            time(12),
            WARDS[i % 7],
            VENUE,
            "社会福祉協議会",
            20,
            None,
            "x",
            "W/1",
        )
        for i in range(n)
    ]


def samples() -> Iterator[tuple[str, Callable[[], dict]]]:
    def summary(admin: bool, year: int = 2023) -> dict:
        s = _service()
        return cards.summary_card(
            s.overview(),
            s.plan_view(ADMIN, year, TODAY),
            s.outreach(year),
            may_record=admin,
            admin=admin,
            message="保存しました。",
            years=(2023, 2022),
        )

    yield "digital_divide:summary-admin-full-year", lambda: summary(True)
    yield "digital_divide:summary-staff-no-plan", lambda: summary(False, 2024)

    def unseeded() -> dict:
        s = DigitalDivideService(InMemoryTableStore(), lambda: datetime(2024, 2, 20, 10, tzinfo=TIMEZONE))
        return cards.summary_card(
            s.overview(), s.plan_view(ADMIN, 2023, TODAY), s.outreach(2023), may_record=False, admin=False
        )

    yield "digital_divide:summary-unseeded", unseeded
    yield (
        "digital_divide:form-empty",
        lambda: cards.class_form_card(ClassForm({}, {}, ("大学", "社会福祉協議会"))),
    )
    yield (
        "digital_divide:form-errors",
        lambda: cards.class_form_card(
            ClassForm(
                {
                    "day": "2023-09-12",
                    "start": "10:00",
                    "end": "09:00",
                    "ward": "大阪区",
                    "venue": VENUE,
                    "partner": "他",
                    "capacity": "x",
                    "attendance": "12",
                },
                {
                    "end": "終了は開始より後の時刻にしてください",
                    "ward": "区は…",
                    "capacity": "1～1000の整数で入力してください",
                },
                ("大学",),
                "入力内容を確認してください。",
            )
        ),
    )
    yield "digital_divide:recorded", lambda: cards.recorded_card(_classes(1)[0], created=True)
    yield (
        "digital_divide:attendance-many",
        lambda: cards.attendance_card(_classes(40), error="保存できませんでした。"),
    )
    yield "digital_divide:residents-many", lambda: cards.residents_card(_classes(40), TODAY, "堺区")
    yield "digital_divide:residents-none", lambda: cards.residents_card([], TODAY)
    yield (
        "digital_divide:outreach",
        lambda: cards.outreach_card(_service().outreach(2023), message="保存しました。"),
    )
    yield (
        "digital_divide:outreach-conflict",  # every input typed otherwise than what is stored
        lambda: cards.outreach_card(
            (outreach := _service().outreach(2023)),
            error="ほかの方が先に周知・啓発の計画と実績を更新しました。",
            values={f"{k}|{i.key}": "9999999" for i in outreach.items for k in ("planned", "actual")}
            | {"note": "メ" * 100},
            conflict=True,
        ),
    )
    yield (
        "digital_divide:partners",
        lambda: cards.partners_card([], ("大学", "社会福祉協議会"), error="見つかりません。"),
    )
    yield "digital_divide:import-help", lambda: cards.import_help_card()
    yield (
        "digital_divide:import-problems",
        lambda: cards.import_result_card(
            "教室.xlsx",
            problems=[f"G{i}（定員）: 1～1000の整数で入力してください（入力: 十二）" for i in range(2, 101)],
        ),
    )
    yield (
        "digital_divide:import-ok",
        lambda: cards.import_result_card("教室.xlsx", "追加 12件・更新 0件・変更なし 0件"),
    )
    yield (
        "digital_divide:alerts",
        lambda: alert_card(DigitalDivideAlerts(_service(), lambda: ["sample-admin"]).due_alerts(TODAY)[0]),
    )
