"""The 業務システムの標準化 dialog: the overview, a system's detail, updating a step, adding a gap, the ICT
office's review, the Excel export (through ``deps.files``) and import (a file sent in the 1:1 chat).

Every read and write goes through :class:`services.standardization.service.StandardizationService`,
which asks the one permission check and appends to the audit trail; ``Forbidden`` escapes to
``MainDialog``, which shows the polite card. "Today" is ``deps.clock()`` in Asia/Tokyo.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from botbuilder.core import TurnContext

from cards import standardization as cards
from dialogs.base import DialogDeps, FileOffer, ProgrammeDialog
from services.kernel.programmes import ProgrammeInfo
from services.kernel.settings import TIMEZONE
from services.kernel.tabular import peek
from services.people.identity import Actor
from services.people.permissions import Action, Resource, ResourceKind, require
from services.proactive.alerts import DueAlert
from services.standardization.excel import SHEET_SYSTEMS, ImportRefused
from services.standardization.models import StepAlert
from services.standardization.service import (
    DEFAULT_ALERT_DAYS,
    Conflict,
    FormError,
    OutOfOrder,
    StandardizationError,
    StandardizationService,
    UnknownSystem,
    export_xlsx,
    import_xlsx,
)
from services.standardization.sources import StandardizationAlerts, StandardizationStatus

logger = logging.getLogger(__name__)
EXPORT_NAME = "standardization.workbook"


def service_for(deps: DialogDeps) -> StandardizationService:
    days = getattr(getattr(deps, "settings", None), "standardization_alert_days", DEFAULT_ALERT_DAYS)
    return StandardizationService(deps.store, deps.clock, alert_days=days)


def alert_source(deps: DialogDeps) -> StandardizationAlerts:
    return StandardizationAlerts(service_for(deps))


def status_source(deps: DialogDeps) -> StandardizationStatus:
    return StandardizationStatus(service_for(deps))


def alert_card(alert: DueAlert) -> dict:
    if isinstance(alert.item, StepAlert):
        return cards.alert_card(alert.item, alert)
    return cards.generic_alert_card(alert)


def export_workbook(deps: DialogDeps, actor: Actor, params: Mapping[str, str]) -> bytes:
    """``exports=`` of the registry line: the workbook as stored when the user accepts."""
    today = deps.clock().astimezone(TIMEZONE).date()
    return export_xlsx(service_for(deps), actor.person, today)


def looks_like_workbook(name: str, data: bytes) -> bool:
    book = peek(data)  # the sheet names only: never the whole file (services.kernel.tabular)
    return book is not None and SHEET_SYSTEMS in book.names and "工程の設定" in book.names


class StandardizationDialog(ProgrammeDialog):
    def __init__(self, programme: ProgrammeInfo, deps: DialogDeps):
        super().__init__(programme, deps)
        self.service = service_for(deps)

    async def open(self, turn: TurnContext, actor: Actor) -> dict:
        return await self.overview(actor)

    async def overview(self, actor: Actor, message: str = "") -> dict:
        overview = await self._run(self.service.overview, actor.person, self.today())
        readable = await self._run(self.service.readable_systems, actor.person)
        return cards.overview_card(
            overview, readable=readable, may_review=self.service.may_review(actor.person), message=message
        )

    async def system(self, actor: Actor, number: str, *, message: str = "", warning: str = "") -> dict:
        view = await self._run(self.service.detail, actor.person, number, self.today())
        return cards.system_card(view, message=message, warning=warning)

    async def act(self, turn: TurnContext, actor: Actor, verb: str, data: dict[str, Any]) -> dict:
        action = verb.partition(".")[2]
        number = str(data.get("system") or data.get(cards.SYSTEM_INPUT) or "")
        try:
            if action in ("open", "overview"):
                return await self.overview(actor)
            if action == "system":
                return await self.system(actor, number) if number else await self.overview(actor)
            if action == "step":
                return await self.step_form(actor, number, str(data.get(cards.STEP_INPUT) or ""))
            if action == "step_save":
                return await self.step_save(actor, number, data)
            if action == "gap":
                system = await self._run(self.service.system, number)
                require(actor.person, Action.WRITE, self.service.resource(system))
                return cards.gap_card(system)
            if action == "gap_save":
                return await self.gap_save(actor, number, data)
            if action == "settings":
                require(actor.person, Action.WRITE, Resource(ResourceKind.STANDARDIZATION))
                system = await self._run(self.service.system, number)
                return cards.settings_card(system, system.etag or "")
            if action == "settings_save":
                return await self.settings_save(actor, number, data)
            if action == "costs":
                system = await self._run(self.service.system, number)
                require(actor.person, Action.WRITE, self.service.resource(system))
                return cards.costs_card(system, system.etag or "")
            if action == "costs_save":
                return await self.costs_save(actor, number, data)
            if action == "review":
                return await self.review(actor)
            if action == "review_save":
                return await self.review_save(actor, data)
            if action == "export":
                return await self.export(turn, actor)
            if action == "import":
                require(actor.person, Action.WRITE, Resource(ResourceKind.STANDARDIZATION))
                return cards.import_help_card()
        except UnknownSystem as error:
            return await self.overview(actor, str(error))
        logger.warning("standardization: unknown action %r", verb)
        return await self.overview(actor, "このボタンは古いカードのもののようです。")

    async def step_form(self, actor: Actor, number: str, step_key: str, **form: Any) -> dict:
        view = await self._run(self.service.detail, actor.person, number, self.today())
        step = next((v for v in view.status.steps if v.definition.key == step_key), None)
        if step is None:
            return cards.system_card(view, warning="更新する工程を選んでください。")
        kind = (
            ResourceKind.STANDARDIZATION
            if step.definition.owner.section_writes
            else ResourceKind.STANDARDIZATION_REVIEW
        )
        require(actor.person, Action.WRITE, self.service.resource(view.status.system, kind))
        return cards.step_card(view.status.system, step, view.status.system.etag or "", **form)

    async def step_save(self, actor: Actor, number: str, data: dict[str, Any]) -> dict:
        step_key = str(data.get("step") or "")
        try:
            saved = await self._run(self.service.update_step, actor, number, step_key, data, self.today())
        except FormError as rejected:
            view = await self._run(self.service.detail, actor.person, number, self.today())
            step = next(v for v in view.status.steps if v.definition.key == step_key)
            return cards.step_card(
                view.status.system,
                step,
                str(data.get("etag") or ""),
                values=rejected.values,
                errors=rejected.errors,
            )
        except Conflict as error:  # the step as stored now, with what they typed kept
            view = await self._run(self.service.detail, actor.person, number, self.today())
            step = next(v for v in view.status.steps if v.definition.key == step_key)
            typed = {k: str(data.get(k) or "") for k in ("status", "start", "end", "done_on", "note")}
            return cards.step_card(
                view.status.system,
                step,
                view.status.system.etag or "",
                values=typed,
                notice_text=str(error),
                conflict=True,
            )
        except StandardizationError as error:
            return await self.step_form(actor, number, step_key, notice_text=str(error))
        return await self.system(actor, number, message=saved.message)

    async def gap_save(self, actor: Actor, number: str, data: dict[str, Any]) -> dict:
        try:
            saved = await self._run(self.service.add_gap, actor, number, data)
        except FormError as rejected:
            system = await self._run(self.service.system, number)
            return cards.gap_card(system, values=rejected.values, errors=rejected.errors)
        except StandardizationError as error:
            system = await self._run(self.service.system, number)
            return cards.gap_card(system, values={k: str(v) for k, v in data.items()}, notice_text=str(error))
        return await self.system(actor, number, message=saved.message)

    async def settings_save(self, actor: Actor, number: str, data: dict[str, Any]) -> dict:
        try:
            saved = await self._run(self.service.update_system, actor, number, data, self.today())
        except FormError as rejected:
            system = await self._run(self.service.system, number)
            return cards.settings_card(
                system, str(data.get("etag") or ""), values=rejected.values, errors=rejected.errors
            )
        except StandardizationError as error:
            system = await self._run(self.service.system, number)
            return cards.settings_card(system, system.etag or "", notice_text=str(error))
        return await self.system(actor, number, message=saved.message)

    async def costs_save(self, actor: Actor, number: str, data: dict[str, Any]) -> dict:
        try:
            saved = await self._run(self.service.update_costs, actor, number, data)
        except FormError as rejected:
            system = await self._run(self.service.system, number)
            return cards.costs_card(
                system, str(data.get("etag") or ""), values=rejected.values, errors=rejected.errors
            )
        except StandardizationError as error:
            system = await self._run(self.service.system, number)
            return cards.costs_card(system, system.etag or "", notice_text=str(error))
        return await self.system(actor, number, message=saved.message)

    async def review(
        self,
        actor: Actor,
        *,
        message: str = "",
        warning: str = "",
        values: Mapping[str, str] | None = None,
        errors: Mapping[str, str] | None = None,
    ) -> dict:
        require(actor.person, Action.WRITE, Resource(ResourceKind.STANDARDIZATION_REVIEW))
        queue = await self._run(self.service.review_queue, actor.person)
        if not queue:
            return cards.review_card(None, None, message=message, warning=warning)
        system = await self._run(self.service.system, queue[0].system)
        return cards.review_card(
            queue[0], system, queue=queue, values=values, errors=errors, message=message, warning=warning
        )

    async def review_save(self, actor: Actor, data: dict[str, Any]) -> dict:
        gap_id = str(data.get("gap") or "")
        try:
            saved = await self._run(self.service.review_gap, actor, gap_id, data)
        except FormError as rejected:
            return await self.review(actor, values=rejected.values, errors=rejected.errors)
        except OutOfOrder as error:
            return await self.review(actor, warning=str(error))
        except StandardizationError as error:
            return await self.review(actor, warning=str(error))
        return await self.review(actor, message=saved.message)

    async def export(self, turn: TurnContext, actor: Actor) -> dict:
        require(actor.person, Action.READ, Resource(ResourceKind.STANDARDIZATION))
        today = self.today()
        offer = FileOffer(
            EXPORT_NAME,
            f"業務システムの標準化_{today.isoformat()}.xlsx",
            "業務システムの標準化（システム・工程・工程の設定・補助金・Gap）",
        )
        return await self.deps.files.offer(turn, actor, offer)

    @staticmethod
    def claims_file(name: str, data: bytes) -> bool:
        return looks_like_workbook(name, data)

    async def on_file(self, turn: TurnContext, actor: Actor, name: str, data: bytes) -> dict:
        try:
            summary = await self._run(import_xlsx, self.service, actor, data, name)
        except ImportRefused as refused:
            return cards.import_result_card(name, problems=[str(i) for i in refused.issues])
        except StandardizationError as error:
            return cards.import_result_card(name, problems=[str(error)])
        return cards.import_result_card(name, summary)
