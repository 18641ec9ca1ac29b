"""The roster as .xlsx: the import's layout, one row per role, Graph roles on their own sheet."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from services.people.identity import OrgUnit, Person, Role, RoleGrant, RoleSource
from services.people.permissions import Forbidden
from services.people.roster_export import SHEET_GRAPH, SHEET_ROSTER, export_roster, roster_workbook
from services.people.roster_file import ROSTER_COLUMNS
from tests.fakes import InMemoryTableStore
from tests.support import people as fx

HEALTH = OrgUnit("健康福祉局", "健康部")


def rows(data: bytes, sheet: str) -> list[tuple]:
    return [tuple(r) for r in load_workbook(io.BytesIO(data))[sheet].iter_rows(values_only=True)]


def test_one_row_per_role_and_graph_roles_apart():
    people = [
        Person(
            "oid-1",
            "健康 花子",
            HEALTH,
            (
                RoleGrant(Role.DX_PRO, HEALTH, RoleSource.ROSTER),
                RoleGrant(Role.ADMIN, None, RoleSource.ADMIN),
            ),
        ),
        Person(
            "oid-2",
            "福祉 部長",
            OrgUnit("健康福祉局"),
            (RoleGrant(Role.MANAGER, OrgUnit("健康福祉局"), RoleSource.GRAPH),),
        ),
        Person.unregistered("oid-3", "未登録 さん"),
    ]
    data = roster_workbook(people)
    assert load_workbook(io.BytesIO(data)).sheetnames == [SHEET_ROSTER, SHEET_GRAPH]
    assert rows(data, SHEET_ROSTER) == [
        ROSTER_COLUMNS,
        ("oid-1", "健康 花子", "健康福祉局", "健康部", None, "管理者", None),
        ("oid-1", "健康 花子", "健康福祉局", "健康部", None, "DX PRO", "健康福祉局/健康部"),
        ("oid-2", "福祉 部長", "健康福祉局", None, None, "職員", None),
    ]
    graph = ("oid-2", "福祉 部長", "健康福祉局", None, None, "管理職", "健康福祉局")
    assert rows(data, SHEET_GRAPH)[1:] == [graph]


def test_without_graph_roles_there_is_one_sheet():
    data = roster_workbook([Person("oid-1", "一般 職員", HEALTH)])
    assert load_workbook(io.BytesIO(data)).sheetnames == [SHEET_ROSTER]


def test_only_admins_may_have_the_roster():
    store = InMemoryTableStore()
    people = fx.load_fixtures(store)
    with pytest.raises(Forbidden):
        export_roster(people, people.resolve(fx.DX_HEALTH))
    assert len(rows(export_roster(people, people.resolve(fx.ADMIN)), SHEET_ROSTER)) > 6
