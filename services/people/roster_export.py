"""The roster as an Excel file, in the layout the roster import reads back (administrators only).

Sheet 「名簿」 has the import's columns (``ROSTER_COLUMNS``), one row per role (a person with no role
but 職員 gets one 職員 row), so an administrator can edit it and send it back. Roles that come from
Microsoft Graph (job titles) are listed on a second sheet instead: a sync keeps them, and writing
them into the import file would turn them into roster roles.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from services.people.identity import Person, Role, RoleGrant, RoleSource
from services.people.permissions import Action, Resource, ResourceKind, require
from services.people.roster_file import ROSTER_COLUMNS
from services.people.service import PeopleService

SHEET_ROSTER = "名簿"
SHEET_GRAPH = "Graph由来のロール"


def _row(person: Person, grant: RoleGrant | None) -> list[str]:
    unit = person.unit
    return [
        person.object_id,
        person.name,
        unit.bureau if unit else "",
        (unit.department or "") if unit else "",
        (unit.section or "") if unit else "",
        grant.role.label if grant else Role.STAFF.label,
        grant.scope.path if grant and grant.scope else "",
    ]


def roster_rows(people: Sequence[Person]) -> tuple[list[list[str]], list[list[str]]]:
    """(rows for the import layout, rows of roles from Graph), people in roster order."""
    rows: list[list[str]] = []
    graph: list[list[str]] = []
    for person in people:
        if not person.registered:
            continue
        own = [
            g for g in sorted(person.grants) if g.role is not Role.STAFF and g.source is not RoleSource.GRAPH
        ]
        if own:
            rows.extend(_row(person, g) for g in own)
        else:
            rows.append(_row(person, None))
        graph.extend(_row(person, g) for g in sorted(person.grants) if g.source is RoleSource.GRAPH)
    return rows, graph


def roster_workbook(people: Sequence[Person]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    rows, graph = roster_rows(people)
    workbook = Workbook()
    default = workbook.worksheets[0]
    for title, data in ((SHEET_ROSTER, rows), (SHEET_GRAPH, graph)):
        if title == SHEET_GRAPH and not data:
            continue
        sheet = workbook.create_sheet(title)
        sheet.append(list(ROSTER_COLUMNS))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in data:
            sheet.append(row)
        sheet.freeze_panes = "A2"
        for column, width in zip("ABCDEFG", (38, 16, 22, 22, 22, 14, 40), strict=True):
            sheet.column_dimensions[column].width = width
    workbook.remove(default)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_roster(people: PeopleService, viewer: Person) -> bytes:
    """The whole roster as .xlsx; administrators only."""
    require(viewer, Action.READ, Resource(ResourceKind.PEOPLE))
    return roster_workbook(people.everyone(viewer))
