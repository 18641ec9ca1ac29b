"""業務システムの標準化: the reading half of the service (the writes are in
:mod:`services.standardization.service`): the systems, steps and gaps as stored, each read behind its
permission check, the status and cost views, and the due alerts. The programme's records are created
from the stored seed on first use (insert-if-absent). "Today" (``as_of``) is passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from services.audit.trail import AuditLog
from services.kernel.memo import EtagMemo, etags_of
from services.kernel.seed import SeedError, read_seed_frame
from services.people.identity import Person
from services.people.permissions import Action, Resource, ResourceKind, check, require
from services.standardization import rules
from services.standardization import store as st
from services.standardization.forms import (  # noqa: F401 - re-exported for the dialog and tests
    COST_FIELDS,
    MAX_TEXT,
    MAX_TITLE,
    FormError,
    OutOfOrder,
    StandardizationError,
    UnknownSystem,
    choice,
    clean_text,
    parse_day,
    parse_yen,
)
from services.standardization.models import (
    AlertKind,
    CostSummary,
    Gap,
    Overview,
    Step,
    StepAlert,
    StepDef,
    System,
    SystemStatus,
    SystemView,
)
from storage.base import BatchFailed, BatchOperation, Entity, EntityExists, TableStore

DEFAULT_ALERT_DAYS = 5


class StandardizationReads:
    """Reads (each with its permission check), the status and cost views, and the due alerts."""

    def __init__(
        self,
        store: TableStore,
        clock: Callable[[], datetime],
        *,
        alert_days: int = DEFAULT_ALERT_DAYS,
        audit: AuditLog | None = None,
    ):
        self._store = store
        self._clock = clock
        self.alert_days = alert_days
        self._audit = audit or AuditLog(store, clock)
        self._memo = EtagMemo()  # parsed systems and the overview, by the ETags they come from

    # --- reading ------------------------------------------------------------------------------

    def _initialise(self) -> None:
        """Create the config and the 20 systems from the stored seed (insert-if-absent)."""
        try:
            operations = read_seed_frame(self._store, "standardization_systems")
            schedule = read_seed_frame(self._store, "standardization_budget_schedule")
        except SeedError as error:
            raise StandardizationError(
                "標準化のシードデータがありません（--seed で起動してください）。"
            ) from error
        steps = rules.default_steps(schedule.to_dict("records"))
        entities = [st.config_entity(steps, None)]
        for row in operations.to_dict("records"):
            system = System(
                row["番号"],
                row["業務"],
                row["システム区分"],
                row["所管局"],
                hard=bool(row["移行の難易度が極めて高い"]),
                steps=tuple(Step(s.key) for s in steps),
            )
            entities.append(st.system_entity(system))
        try:
            self._store.batch(st.TABLE, [BatchOperation("insert", e) for e in entities])
        except BatchFailed as error:  # another instance initialised it first
            if not isinstance(error.cause, EntityExists):
                raise

    def _config(self) -> Entity:
        entity = self._store.get(st.TABLE, st.PARTITION, st.CONFIG_ROW)
        if entity is None:
            self._initialise()
            entity = self._store.get(st.TABLE, st.PARTITION, st.CONFIG_ROW)
        assert entity is not None
        return entity

    def steps(self) -> tuple[StepDef, ...]:
        return st.config_from(self._config())[0]

    def cap(self) -> int | None:
        return st.config_from(self._config())[1]

    def _system_entities(self) -> list[Entity]:
        return [
            e
            for e in self._store.query(st.TABLE, st.PARTITION, {"kind": st.KIND_SYSTEM})
            if e.row_key.startswith(st.SYSTEM_PREFIX)
        ]

    def _gap_entities(self) -> list[Entity]:
        return [
            e
            for e in self._store.query(st.TABLE, st.PARTITION, {"kind": st.KIND_GAP})
            if e.row_key.startswith(st.GAP_PREFIX)
        ]

    def _parsed_systems(self, entities: list[Entity]) -> tuple[System, ...]:
        """The systems of ``entities``, parsed again only when one of their ETags changed."""
        return self._memo.get(
            "systems", etags_of(entities), lambda: tuple(st.system_from(e) for e in entities)
        )

    def systems(self) -> list[System]:
        self._config()
        return list(self._parsed_systems(self._system_entities()))

    def system(self, number: str) -> System:
        self._config()
        entity = self._store.get(st.TABLE, st.PARTITION, st.SYSTEM_PREFIX + clean_text(number))
        if entity is None:
            raise UnknownSystem(clean_text(number))
        return st.system_from(entity)

    def gaps(self) -> list[Gap]:
        return [st.gap_from(e) for e in self._gap_entities()]

    @staticmethod
    def resource(system: System, kind: ResourceKind = ResourceKind.STANDARDIZATION) -> Resource:
        """The system as a permission resource: its bureau and owning section (``部`` or ``部/課``)."""
        department, _, section = system.section.partition("/")
        return Resource(
            kind, bureau=system.bureau or None, department=department or None, section=section or None
        )

    def may_write(self, person: Person, system: System) -> bool:
        return check(person, Action.WRITE, self.resource(system)).allowed

    def may_read(self, person: Person, system: System) -> bool:
        return check(person, Action.READ, self.resource(system)).allowed

    @staticmethod
    def may_review(person: Person) -> bool:
        return check(person, Action.WRITE, Resource(ResourceKind.STANDARDIZATION_REVIEW)).allowed

    def statuses(self, as_of: date) -> list[SystemStatus]:
        steps, gaps = self.steps(), self.gaps()
        return [rules.system_status(s, steps, gaps, as_of, self.alert_days) for s in self.systems()]

    def costs(self) -> CostSummary:
        return rules.cost_summary(self.systems(), self.cap())

    def overview(self, viewer: Person, as_of: date) -> Overview:
        require(viewer, Action.READ, Resource(ResourceKind.GENERAL))
        config = self._config()
        systems, gaps = self._system_entities(), self._gap_entities()
        # computed again only when the config, a system or a gap changed (services.kernel.memo)
        return self._memo.get(
            ("overview", as_of, self.alert_days),
            etags_of([config, *systems, *gaps]),
            lambda: self._overview(config, systems, gaps, as_of),
        )

    def _overview(self, config: Entity, systems: list[Entity], gaps: list[Entity], as_of: date) -> Overview:
        steps, cap = st.config_from(config)
        parsed = list(self._parsed_systems(systems))
        parsed_gaps = [st.gap_from(e) for e in gaps]
        statuses = tuple(rules.system_status(s, steps, parsed_gaps, as_of, self.alert_days) for s in parsed)
        return Overview(
            as_of, statuses, rules.cost_summary(parsed, cap), rules.review_queue(parsed_gaps), steps
        )

    def detail(self, viewer: Person, number: str, as_of: date) -> SystemView:
        system = self.system(number)
        require(viewer, Action.READ, self.resource(system))
        gaps = self.gaps()
        queue = rules.review_queue(gaps)
        positions = {g.id: i + 1 for i, g in enumerate(queue)}
        status = rules.system_status(system, self.steps(), gaps, as_of, self.alert_days)
        mine = tuple(g for g in gaps if g.system == system.number)
        return SystemView(status, mine, self.may_write(viewer, system), self.may_review(viewer), positions)

    def readable_systems(self, viewer: Person) -> list[System]:
        return [s for s in self.systems() if self.may_read(viewer, s)]

    def gap(self, gap_id: str) -> Gap:
        gap = next((g for g in self.gaps() if g.id == clean_text(gap_id)), None)
        if gap is None:
            raise StandardizationError(f"Gap「{clean_text(gap_id)}」は見つかりません。")
        return gap

    def review_queue(self, viewer: Person) -> tuple[Gap, ...]:
        require(viewer, Action.READ, Resource(ResourceKind.STANDARDIZATION_REVIEW))
        return rules.review_queue(self.gaps())

    # --- alerts -------------------------------------------------------------------------------

    def due_alerts(self, as_of: date) -> list[StepAlert]:
        """Per system: past its deadline (one alert); its overdue steps (one alert listing them all,
        again when another step becomes overdue); each step due within N business days."""
        alerts = []
        for status in self.statuses(as_of):
            s = status.system
            if status.live_on:
                continue
            if status.overdue and status.deadline.due:
                alerts.append(
                    StepAlert(
                        AlertKind.DEADLINE,
                        s.number,
                        s.operation,
                        s.bureau,
                        "",
                        "",
                        status.deadline.due,
                        status.overdue,
                    )
                )
            late = [v for v in status.steps if v.overdue and v.end and not v.definition.until_deadline]
            if late:
                first = min(late, key=lambda v: v.end or as_of)
                alerts.append(
                    StepAlert(
                        AlertKind.STEP_OVERDUE,
                        s.number,
                        s.operation,
                        s.bureau,
                        "・".join(v.definition.name for v in late),
                        "+".join(v.definition.key for v in late),
                        first.end or as_of,
                        first.overdue,
                    )
                )
            for view in status.steps:
                if view.due_soon and view.end:
                    alerts.append(
                        StepAlert(
                            AlertKind.DUE_SOON,
                            s.number,
                            s.operation,
                            s.bureau,
                            view.definition.name,
                            view.definition.key,
                            view.end,
                        )
                    )
        return alerts
