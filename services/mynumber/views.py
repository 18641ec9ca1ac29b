"""The read side of マイナンバー情報総点検: the matrix and survey progress (with the meeting
material's figures as a dated snapshot, read from the stored seed), the office overview of ①②③, the
publication table, the city-wide checklist, and who the contacts of a unit are.

A mixin of :class:`services.mynumber.service.MyNumberService`: it reads through the service's
``all_operations``/``operations`` and asks the same permission check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

from services.mynumber import rules
from services.mynumber.models import (
    DEFAULT_THRESHOLD,
    ChecklistCity,
    ChecklistKind,
    ChecklistSummary,
    Matrix,
    Operation,
    Overview,
    OverviewRow,
    PublicationRow,
    PublicationTable,
    SectionProgress,
    StepStatus,
    SurveyProgress,
)
from services.people.identity import OrgUnit, Person, Role
from services.people.permissions import Action, Resource, ResourceKind, require
from storage.base import TableStore

STEP_LABELS = ("① 全データ点検", "② 誤紐付けの修正", "③ 漏えい・閲覧の調査")


class MyNumberViews:
    _store: TableStore
    _clock: Callable[[], datetime]
    threshold: int
    interim_report: date
    completion: date

    def all_operations(self) -> list[Operation]:  # pragma: no cover - provided by the service
        raise NotImplementedError

    def operations(self, viewer: Person) -> list[Operation]:  # pragma: no cover - provided by the service
        raise NotImplementedError

    def is_admin(self, viewer: Person) -> bool:  # pragma: no cover - provided by the service
        raise NotImplementedError

    # --- views --------------------------------------------------------------------------------------

    def matrix(self, viewer: Person) -> Matrix:
        require(viewer, Action.READ, Resource(ResourceKind.GENERAL))
        return rules.matrix(self.all_operations(), self.threshold)

    def snapshot_matrix(self) -> Matrix | None:
        """The material's matrix (43 / 2 / 0 / 2) as stored in the seed; None when not seeded."""
        frame = self._seed("mynumber_classification")
        if frame is None or len(frame) != 2:
            return None
        (a, b), (c, d) = ((int(r.iloc[1]), int(r.iloc[2])) for _, r in frame.iterrows())
        return Matrix(a, b, c, d, DEFAULT_THRESHOLD, snapshot=True)

    def progress(self, viewer: Person) -> SurveyProgress:
        require(viewer, Action.READ, Resource(ResourceKind.GENERAL))
        ops = self.all_operations()
        contacts = self._contacts_by_unit(ops) if self.is_admin(viewer) else {}
        units: dict[OrgUnit, list[int]] = {}
        for op in ops:
            counts = units.setdefault(op.unit, [0, 0])
            counts[0] += len(op.items)
            counts[1] += op.answered
        sections = tuple(
            SectionProgress(u, c[0], c[1], tuple(contacts.get(u, ()))) for u, c in sorted(units.items())
        )
        bureaus = tuple(dict.fromkeys(u.bureau for u in units))
        return SurveyProgress(
            sum(s.items for s in sections),
            sum(s.answered for s in sections),
            len(sections),
            bureaus,
            sections,
        )

    def snapshot_progress(self) -> SurveyProgress | None:
        """The material's 79 / 41 / 15 (4 bureaus); None when not seeded."""
        frame = self._seed("mynumber_survey")
        if frame is None or frame.empty:
            return None
        row = frame.iloc[0]
        return SurveyProgress(
            int(row["対象情報数"]),
            int(row["回答情報数"]),
            int(row["関係課室数"]),
            tuple(row["関係局"]),
            snapshot=True,
        )

    def _seed(self, name: str):  # noqa: ANN202 - a DataFrame or None
        from services.kernel.seed import SeedError, read_seed_frame

        try:
            return read_seed_frame(self._store, name)
        except SeedError:
            return None

    def due_of(self, op: Operation, step: int) -> date:
        step_due = (op.full_check.due, op.mislinks.due, op.leak_check.due)[step]
        return step_due or self.completion

    def overview(self, viewer: Person, as_of: date) -> Overview:
        """Every target operation ``viewer`` may read, by bureau, with ①②③ and what is overdue."""
        rows = []
        for op in self.operations(viewer):
            c = rules.classify(op, self.threshold)
            if c is None or not c.needs_full_check:
                continue
            statuses = (op.full_check.status, op.mislinks.status, op.leak_check.status)
            steps = tuple(
                (
                    STEP_LABELS[i],
                    s,
                    self.due_of(op, i),
                    s is not StepStatus.DONE and self.due_of(op, i) < as_of,
                )
                for i, s in enumerate(statuses)
            )
            rows.append(OverviewRow(op, steps, op.publication, c))
        return Overview(as_of, tuple(rows), self.interim_report, self.completion)

    def publication_table(self, viewer: Person, bureau: str | None, as_of: date) -> PublicationTable:
        """The results in the shape municipalities published them, for one bureau or the city."""
        require(viewer, Action.READ, Resource(ResourceKind.MYNUMBER, bureau or None))
        ops = [o for o in self.all_operations() if bureau is None or o.bureau == bureau]
        rows = []
        for op in ops:
            if not rules.is_target(op, self.threshold):
                continue
            m, leak = op.mislinks, op.leak_check
            response = leak.action
            if m.corrected:
                response = f"{m.corrected:,}件を修正" + (f"。{response}" if response else "")
            rows.append(
                PublicationRow(
                    op.name,
                    op.place,
                    op.full_check.in_scope,
                    m.found,
                    m.causes_label,
                    leak.viewed.value if leak.viewed else "調査中",
                    response,
                    op.publication.status,
                    op.publication.published_on,
                )
            )
        return PublicationTable(bureau or "全市", as_of, tuple(rows))

    def checklist_city(self, viewer: Person, as_of: date) -> ChecklistCity:
        ops = self.operations(viewer)
        rows, late = [], []
        for kind in ChecklistKind:
            entries = [(op, op.entry(kind)) for op in ops]
            overdue = [(op, e) for op, e in entries if not e.status.closed and e.due and e.due < as_of]
            rows.append(
                ChecklistSummary(
                    kind, len(entries), sum(1 for _, e in entries if e.status.closed), len(overdue)
                )
            )
            late.extend(overdue)
        return ChecklistCity(as_of, tuple(rows), tuple(late))

    # --- who to tell -------------------------------------------------------------------------------------

    def contacts(self, people: Sequence[Person], unit: OrgUnit) -> list[Person]:
        """The bureau contacts whose scope covers ``unit`` (section, department or bureau contacts)."""
        return [
            p
            for p in people
            if any(g.role is Role.BUREAU_CONTACT and g.scope and g.scope.contains(unit) for g in p.grants)
        ]

    def _contacts_by_unit(self, ops: Sequence[Operation]) -> dict[OrgUnit, list[str]]:
        from services.people.identity import system_actor
        from services.people.service import PeopleService

        people = PeopleService(self._store, self._clock).everyone(system_actor("総点検", "mynumber").person)
        return {op.unit: [p.name for p in self.contacts(people, op.unit)] for op in ops}
