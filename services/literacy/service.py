"""ICTリテラシー: storage, permission checks and audit around the rules.

**Storage.** Table ``Literacy``:

- partition ``assessment``, row key = the person's Entra object id: the levels per tool (JSON), the
  person's name and unit (局・部) when they last saved; its ETag guards concurrent edits;
- partition ``department``, row key ``<局>|<部>``: the needs per tool and the moves (JSON), set by a
  manager; its ETag guards concurrent edits;
- partition ``settings``, row key ``tools``: the tools an admin added to the setting's list.

**Writes.** ``require`` first, then the audit trail (:meth:`AuditLog.apply`), then one write. The
same person sending the same values for the same record again saves nothing (a duplicate); other
values carrying a stale ETag are refused with the current values shown (:class:`Conflict`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from services.audit.models import Change
from services.audit.trail import AuditLog
from services.kernel.seed import SeedError, read_seed_frame
from services.kernel.settings import TIMEZONE
from services.literacy.inputs import (
    MAX_NEED,
    NEEDS_CONFLICT,
    Conflict,
    Invalid,
    clean_tool,
    department_key,
    parse_count,
)
from services.literacy.models import (
    DEFAULT_TOOLS,
    LEVELS,
    Assessment,
    DepartmentView,
    LevelInfo,
    Move,
    Need,
    Recommendation,
    SelfView,
    Strategy,
    StrategyItem,
    TrainingMenu,
)
from services.literacy.rules import department_gaps, recommend
from services.people.identity import Actor, OrgUnit, Person, Role
from services.people.organisation import load_organisation
from services.people.permissions import Action, Resource, ResourceKind, check, require
from storage.base import Entity, EntityExists, EntityNotFound, ETagMismatch, TableStore

TABLE = "Literacy"
ASSESSMENTS = "assessment"
DEPARTMENTS = "department"
SETTINGS = "settings"
TOOLS_ROW = "tools"
AUDIT_ASSESSMENT = "literacy_assessment"
AUDIT_NEEDS = "literacy_needs"
AUDIT_TOOLS = "literacy_tools"
DEFAULT_AT_RISK_DAYS = 90
MAX_TOOLS = 20
MAX_TOOL_CHARS = 40
MAX_PEOPLE_SHOWN = 40


class LiteracyService:
    def __init__(
        self,
        store: TableStore,
        clock: Callable[[], datetime],
        *,
        tools: Sequence[str] = DEFAULT_TOOLS,
        at_risk_days: int = DEFAULT_AT_RISK_DAYS,
    ):
        self._store = store
        self._clock = clock
        self._base_tools = tuple(tools) or DEFAULT_TOOLS
        self.at_risk_days = at_risk_days
        self._audit = AuditLog(store, clock)

    def today(self) -> date:
        return self._clock().astimezone(TIMEZONE).date()

    # --- the material and the menu (seed) ------------------------------------------------------

    def _seed_rows(self, name: str) -> list[tuple]:
        """A seed file's rows as stored; none when the store was not seeded (``app.py --seed``)."""
        try:
            return list(read_seed_frame(self._store, name).itertuples(index=False))
        except SeedError:
            return []

    def strategy(self) -> Strategy:
        aim, issues, initiatives = "", [], []
        for row in self._seed_rows("literacy_strategy"):
            category, number, heading, lines = row[0], row[1], row[2], row[3]
            item = StrategyItem(number, heading, tuple(x for x in str(lines).split("|") if x))
            if category == "目的":
                aim = heading
            elif category == "課題":
                issues.append(item)
            else:
                initiatives.append(item)
        levels, keep = [], None
        for row in self._seed_rows("literacy_levels"):
            name = row[3]
            rank = LEVELS.index(name) + 1 if name in LEVELS else 0
            info = LevelInfo(rank, name, row[2], row[4], tuple(row[5]))
            if rank:
                levels.append(info)
            else:
                keep = info
        return Strategy(
            aim, tuple(issues), tuple(initiatives), tuple(sorted(levels, key=lambda i: i.rank)), keep
        )

    def training_menu(self) -> dict[str, TrainingMenu]:
        """The DX programme's training menu, as the seed gives it (empty when it is not seeded)."""
        return {r[0]: TrainingMenu(r[0], r[1], r[2]) for r in self._seed_rows("dx_training_menu")}

    # --- tools --------------------------------------------------------------------------------

    def _extra_tools(self) -> tuple[list[str], str | None]:
        entity = self._store.get(TABLE, SETTINGS, TOOLS_ROW)
        if entity is None:
            return [], None
        return list(json.loads(entity.get("tools") or "[]")), entity.etag

    def tools(self) -> tuple[str, ...]:
        extra, _ = self._extra_tools()
        return tuple(dict.fromkeys([*self._base_tools, *extra]))

    def add_tool(self, actor: Actor, name: str) -> tuple[str, ...]:
        """An admin extends the list (the setting's tools stay first)."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.LITERACY_TOOLS))
        tool = clean_tool(name)
        if not tool or len(tool) > MAX_TOOL_CHARS or "|" in tool:
            raise Invalid(
                {"tool": f"ツール名は1～{MAX_TOOL_CHARS}文字で入力してください（「|」は使えません）。"}
            )
        tools = self.tools()
        if tool.lower() in {t.lower() for t in tools}:
            return tools  # already listed: nothing to write (a resubmitted card too)
        if len(tools) >= MAX_TOOLS:
            raise Invalid({"tool": f"ツールは{MAX_TOOLS}件までです。"})
        extra, etag = self._extra_tools()
        after = [*extra, tool]
        entity = Entity(SETTINGS, TOOLS_ROW, {"tools": json.dumps(after, ensure_ascii=False)})
        change = Change(AUDIT_TOOLS, TOOLS_ROW, "update", {"tools": extra}, {"tools": after})
        try:
            self._audit.apply(
                actor,
                [change],
                lambda: (
                    self._store.upsert(TABLE, entity, etag) if etag else self._store.insert(TABLE, entity)
                ),
            )
        except (ETagMismatch, EntityNotFound, EntityExists) as error:
            raise Conflict() from error
        return self.tools()

    # --- self-assessment ----------------------------------------------------------------------

    @staticmethod
    def _assessment(entity: Entity) -> Assessment:
        updated = entity.get("updated_on")
        return Assessment(
            entity.row_key,
            entity.get("name", ""),
            entity.get("bureau", ""),
            entity.get("department", ""),
            dict(json.loads(entity.get("levels") or "{}")),
            date.fromisoformat(updated) if updated else None,
            entity.etag,
        )

    def _load(self, object_id: str) -> Assessment | None:
        entity = self._store.get(TABLE, ASSESSMENTS, object_id)
        return self._assessment(entity) if entity else None

    @staticmethod
    def _resource(person: Person, owner: str) -> Resource:
        return Resource.of(ResourceKind.LITERACY, person.unit, owner=owner)

    def assessment_of(self, viewer: Person, object_id: str) -> Assessment | None:
        found = self._load(object_id)
        unit = OrgUnit(found.bureau, found.department) if found and found.bureau else None
        require(viewer, Action.READ, Resource.of(ResourceKind.LITERACY, unit, owner=object_id))
        return found

    def recommendations(
        self, tools: Sequence[str], assessment: Assessment | None
    ) -> tuple[Recommendation, ...]:
        menu = self.training_menu()
        levels = {info.rank: info for info in self.strategy().levels}
        return tuple(recommend(t, assessment.level(t) if assessment else 0, menu, levels) for t in tools)

    def self_view(self, actor: Actor) -> SelfView:
        person = actor.person
        mine = self.assessment_of(person, person.object_id)
        tools = self.tools()
        return SelfView(
            self.strategy(),
            tools,
            mine,
            self.recommendations(tools, mine) if mine else (),
            tuple(self.departments_managed(person)),
            person.is_admin,
        )

    def save_assessment(
        self, actor: Actor, owner_id: str, values: Mapping[str, Any], etag: str | None
    ) -> tuple[Assessment, bool]:
        """Save ``owner_id``'s levels (``values``: tool → 0..3 or the level's name); only the owner
        may. Returns the assessment and whether anything was written."""
        person = actor.person
        require(
            person,
            Action.WRITE,
            self._resource(person, owner_id)
            if owner_id == person.object_id
            else Resource(ResourceKind.LITERACY, owner=owner_id),
        )
        tools = self.tools()
        levels, errors = {}, {}
        for tool in tools:
            raw = str(values.get(tool, "") or "").strip()
            if raw in LEVELS:
                levels[tool] = LEVELS.index(raw) + 1
            elif raw in ("", "0", "1", "2", "3"):
                levels[tool] = int(raw or 0)
            else:
                errors[tool] = "レベルを選んでください。"
        if errors:
            raise Invalid(errors)
        before = self._load(owner_id)
        if before and before.levels == levels:
            return before, False  # the same values again: a duplicate, nothing to write
        if before and etag != before.etag:
            raise Conflict()
        unit = person.unit
        props = {
            "name": person.name,
            "bureau": unit.bureau if unit else "",
            "department": unit.department if unit else "",
            "levels": json.dumps(levels, ensure_ascii=False),
            "updated_on": self.today().isoformat(),
        }
        entity = Entity(ASSESSMENTS, owner_id, props)
        change = Change(
            AUDIT_ASSESSMENT,
            owner_id,
            "update" if before else "create",
            {"levels": before.levels} if before else None,
            {"levels": levels},
        )

        def write() -> Entity:
            return (
                self._store.upsert(TABLE, entity, before.etag)
                if before
                else self._store.insert(TABLE, entity)
            )

        try:
            saved = self._audit.apply(actor, [change], write)
        except (ETagMismatch, EntityNotFound, EntityExists) as error:  # saved from another window first
            raise Conflict() from error
        return self._assessment(saved), True

    # --- departments --------------------------------------------------------------------------

    def departments_managed(self, person: Person) -> list[str]:
        """The departments (「局/部」) whose view ``person`` may open: a department manager's own, a
        bureau manager's departments, every one for an admin (the organisation's departments, plus
        those with assessments or needs)."""
        known = {(u.bureau, u.department) for u in load_organisation(self._store).departments}
        known |= {
            (e.get("bureau", ""), e.get("department", "")) for e in self._store.query(TABLE, ASSESSMENTS)
        }
        known |= {tuple(e.row_key.split("|", 1)) for e in self._store.query(TABLE, DEPARTMENTS)}  # type: ignore[misc]
        for scope in person.scopes(Role.MANAGER):
            if scope.department:
                known.add((scope.bureau, scope.department))
        out = []
        for bureau, department in sorted(k for k in known if k[0] and k[1]):
            resource = Resource(ResourceKind.LITERACY_NEEDS, bureau, department)
            if check(person, Action.READ, resource).allowed:
                out.append(f"{bureau}/{department}")
        return out

    def _department(self, bureau: str, department: str) -> tuple[dict[str, Need], list[Move], str | None]:
        entity = self._store.get(TABLE, DEPARTMENTS, department_key(bureau, department))
        if entity is None:
            return {}, [], None
        needs = {t: Need(t, v[0], v[1]) for t, v in json.loads(entity.get("needs") or "{}").items()}
        moves = [Move(m[0], m[1], date.fromisoformat(m[2])) for m in json.loads(entity.get("moves") or "[]")]
        return needs, moves, entity.etag

    def _people(self, bureau: str, department: str) -> list[Assessment]:
        where = {"bureau": bureau, "department": department}
        return [self._assessment(e) for e in self._store.query(TABLE, ASSESSMENTS, where)]

    def _view(self, bureau: str, department: str, as_of: date) -> DepartmentView:
        needs, moves, etag = self._department(bureau, department)
        people = self._people(bureau, department)
        tools = self.tools()
        rows = department_gaps(tools, needs, people, moves, as_of, self.at_risk_days)
        return DepartmentView(
            bureau, department, tools, rows, tuple(people[:MAX_PEOPLE_SHOWN]), tuple(moves), etag, as_of
        )

    def department_view(self, viewer: Person, bureau: str, department: str, as_of: date) -> DepartmentView:
        require(viewer, Action.READ, Resource(ResourceKind.LITERACY_NEEDS, bureau, department))
        return self._view(bureau, department, as_of)

    def set_needs(
        self,
        actor: Actor,
        bureau: str,
        department: str,
        values: Mapping[str, Any],
        etag: str | None,
        as_of: date,
    ) -> tuple[DepartmentView, bool]:
        """A manager sets the needs (``use|<tool>``/``build|<tool>``) and moves (``move|<id>``: a
        date or blank). Returns the new view and whether anything was written."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.LITERACY_NEEDS, bureau, department))
        current = self._view(bureau, department, as_of)
        errors: dict[str, str] = {}
        needs: dict[str, list[int]] = {}
        for tool in current.tools:
            pair = []
            for kind in ("use", "build"):
                name = f"{kind}|{tool}"
                try:
                    pair.append(parse_count(values.get(name)))
                except ValueError:
                    errors[name] = f"0～{MAX_NEED}の整数で入力してください（入力: {values.get(name)}）。"
                    pair.append(0)
            if pair != [0, 0]:
                needs[tool] = pair
        names = {p.object_id: p.name for p in current.people} | {m.object_id: m.name for m in current.moves}
        kept = {m.object_id: m.on.isoformat() for m in current.moves}
        moves = []
        for object_id, name in names.items():
            given = values.get(f"move|{object_id}")  # absent (not on the card): keep; blank: no move
            raw = kept.get(object_id, "") if given is None else str(given).strip()
            if not raw:
                continue
            try:
                moves.append([object_id, name, date.fromisoformat(raw).isoformat()])
            except ValueError:
                errors[f"move|{object_id}"] = "日付を選んでください。"
        if errors:
            raise Invalid(errors)
        before_needs = {
            n.tool: [n.use, n.build]
            for n in (self._department(bureau, department)[0]).values()
            if n.use or n.build
        }
        before_moves = [[m.object_id, m.name, m.on.isoformat()] for m in current.moves]
        same = before_needs == needs and sorted(before_moves) == sorted(moves)
        key = department_key(bureau, department)
        if etag != current.etag:
            stored = self._store.get(TABLE, DEPARTMENTS, key)
            if same and stored is not None and stored.get("updated_by") == actor.person.object_id:
                return current, False  # the same person's same values again: a duplicate
            raise Conflict(NEEDS_CONFLICT)
        if same:
            return current, False  # nothing to change
        entity = Entity(
            DEPARTMENTS,
            key,
            {
                "needs": json.dumps(needs, ensure_ascii=False),
                "moves": json.dumps(sorted(moves), ensure_ascii=False),
                "updated_by": actor.person.object_id,
            },
        )
        change = Change(
            AUDIT_NEEDS,
            key,
            "update" if current.etag else "create",
            {"needs": before_needs, "moves": before_moves} if current.etag else None,
            {"needs": needs, "moves": sorted(moves)},
        )

        def write() -> Entity:
            return (
                self._store.upsert(TABLE, entity, current.etag)
                if current.etag
                else self._store.insert(TABLE, entity)
            )

        try:
            self._audit.apply(actor, [change], write)
        except (ETagMismatch, EntityNotFound, EntityExists) as error:
            raise Conflict(NEEDS_CONFLICT) from error
        return self._view(bureau, department, as_of), True

    def all_views(self, as_of: date, bureau: str | None = None) -> list[DepartmentView]:
        """Every department with needs set (a system read for the digest)."""
        views = []
        for entity in self._store.query(TABLE, DEPARTMENTS):
            b, _, d = entity.row_key.partition("|")
            if bureau is None or b == bureau:
                views.append(self._view(b, d, as_of))
        return views
