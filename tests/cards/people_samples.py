"""People-and-permissions cards built from city-sized inputs, for the schema and size checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

from cards import people as c
from services.audit.models import AuditEntry
from services.kernel.settings import TIMEZONE
from services.people.identity import OrgUnit, Person, RegistrationRequest, Role, RoleGrant
from services.people.organisation import SEED_BUREAUS

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=TIMEZONE)
# 22 bureaus, 72 departments, 4 sections each: the size of the city's organisation
DEPARTMENTS = [OrgUnit(SEED_BUREAUS[i % 22], f"第{i + 1}推進部") for i in range(72)]
UNITS = (
    [OrgUnit(b) for b in SEED_BUREAUS]
    + DEPARTMENTS
    + [OrgUnit(d.bureau, d.department, f"{d.department}第{j + 1}課") for d in DEPARTMENTS for j in range(4)]
)


def _oid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


PEOPLE = [
    Person(
        _oid(n),
        f"職員 {n:03d}",
        DEPARTMENTS[n % 72],
        (RoleGrant(Role.DX_PRO, DEPARTMENTS[n % 72]),)
        if n < 150
        else (RoleGrant(Role.BUREAU_CONTACT, OrgUnit(DEPARTMENTS[n % 72].bureau)),)
        if n < 200
        else (RoleGrant(Role.MANAGER, OrgUnit(DEPARTMENTS[n % 72].bureau)), RoleGrant(Role.ADMIN)),
        etag='W/"1"',
    )
    for n in range(230)
]
REQUESTS = [
    RegistrationRequest(
        _oid(900 + n),
        f"新任 職員{n}",
        DEPARTMENTS[n].path,
        "DX PRO になりました。" * 5,
        NOW - timedelta(hours=n),
        etag='W/"7"',
    )
    for n in range(8)
]
ENTRIES = [
    AuditEntry(
        f"2026112601000000000{n}-0000-abcd",
        NOW - timedelta(minutes=n),
        _oid(1),
        "情報 太郎",
        "a:conv",
        "person",
        _oid(2),
        "grant",
        {"name": "健康 花子", "unit": "健康福祉局/健康部", "roles": []},
        {
            "name": "健康 花子",
            "unit": "健康福祉局/健康部",
            "roles": [{"role": "dx_pro", "scope": "健康福祉局/健康部", "source": "admin"}],
        },
        "令和8年4月の人事異動",
    )
    for n in range(60)
]
PERSON = Person(
    _oid(2),
    "健康 花子",
    OrgUnit("健康福祉局", "健康部"),
    (RoleGrant(Role.DX_PRO, OrgUnit("健康福祉局", "健康部")), RoleGrant(Role.MANAGER, OrgUnit("健康福祉局"))),
    job_title="主査",
    etag='W/"3"',
)


def cards() -> Iterator[tuple[str, Callable[[], dict]]]:
    yield "admin-home", lambda: c.admin_home_card(PEOPLE, REQUESTS, dx_department_target=72, message="完了")
    yield "admin-home-empty", lambda: c.admin_home_card([], [], dx_department_target=72, error="エラー")
    yield "requests", lambda: c.requests_card(REQUESTS * 3, message="承認しました")
    yield "requests-empty", lambda: c.requests_card([])
    yield "review", lambda: c.review_card(REQUESTS[0], UNITS)
    yield (
        "review-error",
        lambda: c.review_card(
            REQUESTS[1],
            UNITS,
            error="ロール対象が必要です",
            form={"unit": "", "role": "dx_pro", "scope": "", "reason": "x"},
        ),
    )
    yield "roles", lambda: c.roles_card(PEOPLE, dx_department_target=72)
    yield "people-list", lambda: c.people_list_card("職員", PEOPLE[:20])
    yield "people-list-empty", lambda: c.people_list_card("誰も", [])
    yield "person", lambda: c.person_card(PERSON, UNITS, message="付与しました")
    yield (
        "person-conflict",
        lambda: c.person_card(
            PERSON,
            UNITS,
            error="ほかの管理者が変更しました",
            form={"role": "manager", "scope": "健康福祉局", "reason": "異動"},
        ),
    )
    yield "audit", lambda: c.audit_card(ENTRIES, subject="健康 花子")
    yield "audit-empty", lambda: c.audit_card([])
    yield "export", lambda: c.export_card(date(2026, 11, 1), date(2026, 11, 26))
    yield "export-count", lambda: c.export_card(date(2026, 11, 1), date(2026, 11, 26), 1234)
    yield "import-help", c.import_help_card
    yield (
        "import-result",
        lambda: c.import_result_card("roster.xlsx", "名簿を取り込みました", ["追加: 健康福祉局/健康部"]),
    )
    yield (
        "import-problems",
        lambda: c.import_result_card(
            "roster.csv",
            "",
            problems=[
                f"{n}行目 「ロール」: ロールは 管理者 / 局担当 / DX PRO / 管理職 / 職員 のいずれかです"
                for n in range(45)
            ],
        ),
    )
    yield (
        "registration",
        lambda: c.registration_card(
            UNITS,
            name="未登録 さん",
            error="所属を選んでください。",
            form={"unit": "健康福祉局/第8推進部", "message": "よろしく"},
        ),
    )
    yield "registration-sent", lambda: c.registration_sent_card(REQUESTS[0])
    yield "registration-alert", lambda: c.registration_alert_card(REQUESTS[0])
    yield "registration-approved", lambda: c.registration_approved_card(PERSON)
