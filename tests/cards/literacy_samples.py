"""Every ICTリテラシー card variant, built through the service on the seed with a full department
(40 people, the tools list extended to 20), for the schema and size checks in test_schema.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import cache

from cards import literacy as cards
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.literacy.models import Assessment, DepartmentView, Move, Need
from services.literacy.rules import department_gaps
from services.literacy.service import MAX_TOOLS, LiteracyService
from services.people.identity import Actor, OrgUnit, Person, Role, RoleGrant
from tests.fakes import InMemoryTableStore

ADMIN = Person("sample-admin", "管理 者", grants=(RoleGrant(Role.ADMIN),))
MANAGER = Person(
    "sample-manager",
    "福祉 部長",
    OrgUnit("健康福祉局"),
    grants=(RoleGrant(Role.MANAGER, OrgUnit("健康福祉局")),),
)
TODAY = date(2026, 1, 5)


@cache
def _service(tools: int = 4) -> LiteracyService:
    store = InMemoryTableStore()
    seed_store(store, load_seed())
    service = LiteracyService(store, lambda: datetime(2026, 1, 5, 10, tzinfo=TIMEZONE))
    for i in range(tools - 4):
        service.add_tool(Actor(ADMIN, "c"), f"業務アプリケーション{i:02d}（とても長いツール名の例）")
    return service


def _full_department(tools: tuple[str, ...]) -> DepartmentView:
    people = tuple(
        Assessment(
            f"{i:08d}-0000-4000-8000-000000000000",
            f"職員 {i:02d}番",
            "健康福祉局",
            "健康部",
            {t: (i + j) % 4 for j, t in enumerate(tools)},
        )
        for i in range(40)
    )
    moves = tuple(
        Move(p.object_id, p.name, TODAY + timedelta(days=30 + i)) for i, p in enumerate(people[:10])
    )
    needs = {t: Need(t, 30, 15) for t in tools}
    rows = department_gaps(tools, needs, people, moves, TODAY, 90)
    return DepartmentView("健康福祉局", "健康部", tools, rows, people, moves, "W/1", TODAY)


def samples() -> Iterator[tuple[str, Callable[[], dict]]]:
    def self_view(tools: int, person: Person, levels: dict | None = None) -> dict:
        service = _service(tools)
        actor = Actor(person, "c")
        if levels is not None:
            service.save_assessment(
                actor,
                person.object_id,
                levels,
                service.self_view(actor).assessment and service.self_view(actor).assessment.etag,
            )  # type: ignore[union-attr]
        return cards.self_card(service.self_view(actor))

    yield "literacy:self-new", lambda: self_view(4, Person("s1", "一般 職員"))
    yield (
        "literacy:self-unseeded",
        lambda: cards.self_card(
            LiteracyService(
                InMemoryTableStore(), lambda: datetime(2026, 1, 5, 10, tzinfo=TIMEZONE)
            ).self_view(Actor(Person("s2", "職員"), "c"))
        ),
    )
    yield (
        "literacy:self-saved",
        lambda: self_view(4, MANAGER, {"Teams": "1", "RPA": "3", "Microsoft 365": "2"}),
    )
    yield "literacy:self-20-tools-admin", lambda: self_view(MAX_TOOLS, ADMIN, {})
    many = tuple(f"とても長い名前の局{i // 5:02d}/とても長い名前の部{i:03d}" for i in range(150))
    yield (
        "literacy:self-20-tools-150-departments",
        lambda: cards.self_card(replace(_service(MAX_TOOLS).self_view(Actor(ADMIN, "c")), manages=many)),
    )
    yield (
        "literacy:self-10-departments",
        lambda: cards.self_card(replace(_service(4).self_view(Actor(ADMIN, "c")), manages=many[:10])),
    )
    yield "literacy:department-picker-150", lambda: cards.department_picker_card(many)
    yield "literacy:department-picker-none", lambda: cards.department_picker_card([], "部署がありません。")
    yield (
        "literacy:self-errors",
        lambda: cards.self_card(
            _service(4).self_view(Actor(ADMIN, "c")),
            errors={"RPA": "レベルを選んでください。"},
            values={"RPA": "9"},
        ),
    )
    yield (
        "literacy:department-full",
        lambda: cards.department_card(
            _full_department(_service(MAX_TOOLS).tools()),
            may_edit=True,
            errors={"use|RPA": "0～999の整数で入力してください（入力: -1）。"},
            values={"use|RPA": "-1"},
        ),
    )
    yield (
        "literacy:department-conflict",  # every input typed otherwise than what is stored
        lambda: cards.department_card(
            (view := _full_department(_service(MAX_TOOLS).tools())),
            may_edit=True,
            message="ほかの方が先にこの部署の必要人数を更新しました。",
            values={f"{k}|{t}": "998" for t in view.tools for k in ("use", "build")}
            | {f"move|{m.object_id}": "2030-01-01" for m in view.moves},
            conflict=True,
        ),
    )
    yield (
        "literacy:department-read-only",
        lambda: cards.department_card(
            _full_department(_service(4).tools()), may_edit=False, message="保存しました。"
        ),
    )
    yield (
        "literacy:tools",
        lambda: cards.tools_card(_service(MAX_TOOLS).tools(), error="ツールは20件までです。", value="x"),
    )
    yield "literacy:personal-only", cards.personal_only_card
