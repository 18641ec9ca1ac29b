"""The キャッシュレス dialog: the overview, the classification, the rollout, a receivable's detail and
update (validate, save, confirm), the indicator, the exclusions (admins), the Excel export through
the file flow, and the indicator import from a file attached in a 1:1 chat (admins).

Every read and write goes through :class:`services.cashless.service.CashlessService`, which asks the
one permission check and appends to the audit trail; ``Forbidden`` escapes to ``MainDialog``, which
shows the polite card with nothing written. "Today" is ``deps.clock()`` in Asia/Tokyo.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from botbuilder.core import TurnContext

from cards import cashless as cards
from cards.menu import error_card
from dialogs.base import DialogDeps, FileOffer, ProgrammeDialog
from services.cashless.excel import WorkbookRefused, looks_like_indicator, looks_like_registry
from services.cashless.models import Thresholds
from services.cashless.service import (
    CashlessError,
    CashlessService,
    FormRejected,
    ImportOutcome,
    UnknownReceivable,
)
from services.cashless.sources import CashlessAlerts, CashlessStatus
from services.kernel.programmes import ProgrammeInfo
from services.kernel.settings import TIMEZONE
from services.people.identity import Actor, system_actor
from services.people.organisation import load_organisation
from services.people.permissions import Action, Resource, ResourceKind, require
from services.proactive.alerts import DueAlert

logger = logging.getLogger(__name__)
EXPORT_REGISTRY = "cashless.registry"


def service_for(deps: DialogDeps) -> CashlessService:
    """The service with the thresholds, lead time and goals of the settings (``CASHLESS_*``)."""
    s = deps.settings
    return CashlessService(
        deps.store,
        deps.clock,
        thresholds=Thresholds(
            getattr(s, "cashless_target_min_cases", 3000), getattr(s, "cashless_qr_max_unit_price", 500)
        ),
        lead_months=getattr(s, "cashless_tender_lead_months", 6),
        goal_2025=getattr(s, "cashless_goal_2025_percent", 40),
        goal_2030=getattr(s, "cashless_goal_2030_percent", 65),
        bureaus=lambda: [u.bureau for u in load_organisation(deps.store).bureaus],
    )


def alert_source(deps: DialogDeps) -> CashlessAlerts:
    """``alerts=`` of the registry line: to the owning section's contacts on the roster."""
    reader = system_actor("キャッシュレスの通知", "alerts").person
    return CashlessAlerts(service_for(deps), people=lambda: deps.people.everyone(reader))


def status_source(deps: DialogDeps) -> CashlessStatus:
    return CashlessStatus(service_for(deps))


def alert_card(alert: DueAlert) -> dict:
    return cards.alert_card(alert)


def export_registry(deps: DialogDeps, actor: Actor, params: Mapping[str, str]) -> bytes:
    """``exports=`` of the registry line: the registry workbook as stored now (read check inside)."""
    today = deps.clock().astimezone(TIMEZONE).date()
    return service_for(deps).export_xlsx(actor.person, today)


class CashlessDialog(ProgrammeDialog):
    def __init__(self, programme: ProgrammeInfo, deps: DialogDeps):
        super().__init__(programme, deps)
        self.service = service_for(deps)

    async def open(self, turn: TurnContext, actor: Actor) -> dict:
        return await self.overview(actor)

    async def overview(self, actor: Actor, message: str = "") -> dict:
        overview = await self._run(self.service.overview, actor.person, self.today())
        readable = [r for r in overview.rows if self.service.may_read(actor.person, r.receivable)]
        writable = [r.receivable.id for r in readable if self.service.may_write(actor.person, r.receivable)]
        return cards.overview_card(
            overview,
            readable=readable,
            writable=writable,
            admin=self.service.is_admin(actor.person),
            message=message,
        )

    async def act(self, turn: TurnContext, actor: Actor, verb: str, data: dict[str, Any]) -> dict:
        action = verb.partition(".")[2]
        rid = str(data.get("receivable") or data.get(cards.RECEIVABLE_INPUT) or "")
        try:
            if action == "overview":
                return await self.overview(actor)
            if action == "classes":
                return cards.classification_card(
                    await self._run(self.service.overview, actor.person, self.today())
                )
            if action == "rollout":
                return cards.rollout_card(await self._run(self.service.overview, actor.person, self.today()))
            if action == "detail":
                return await self.detail(actor, rid)
            if action == "update":
                return cards.update_card(await self._run(self.service.update_form, actor, rid))
            if action == "submit":
                return await self.submit(actor, data)
            if action == "indicator":
                return await self.indicator(actor)
            if action == "import":
                require(actor.person, Action.WRITE, Resource(ResourceKind.CASHLESS))  # admins
                return cards.import_help_card()
            if action == "exclusion":
                return await self.exclusions(actor)
            if action == "exclusion_add":
                return await self.add_exclusion(actor, data)
            if action == "export":
                return await self.export(turn, actor)
        except UnknownReceivable as error:
            return await self.overview(actor, str(error))
        logger.warning("cashless: unknown action %r", verb)
        return await self.overview(actor, "このボタンは古いカードのもののようです。")

    async def detail(self, actor: Actor, rid: str, message: str = "") -> dict:
        row = await self._run(self.service.detail, actor.person, rid, self.today())
        return cards.detail_card(
            row, self.today(), may_write=self.service.may_write(actor.person, row.receivable), message=message
        )

    async def submit(self, actor: Actor, data: dict[str, Any]) -> dict:
        today = self.today()
        try:
            result = await self._run(self.service.submit, actor, data, today)
        except FormRejected as rejected:
            return cards.update_card(rejected.form)
        except UnknownReceivable:
            raise
        except CashlessError as error:
            return error_card(str(error))
        return cards.confirmation_card(result, today)

    async def indicator(self, actor: Actor) -> dict:
        view = await self._run(self.service.indicator, actor.person)
        return cards.indicator_card(view, *self.service.goals, admin=self.service.is_admin(actor.person))

    async def exclusions(self, actor: Actor, **kw: Any) -> dict:
        require(actor.person, Action.WRITE, Resource(ResourceKind.CASHLESS))  # admins
        found = await self._run(self.service.exclusions)
        return cards.exclusion_card([(x.keyword, x.reason) for x in found], **kw)

    async def add_exclusion(self, actor: Actor, data: dict[str, Any]) -> dict:
        keyword, reason = str(data.get("keyword") or ""), str(data.get("reason") or "")
        try:
            added = await self._run(self.service.add_exclusion, actor, keyword, reason)
        except CashlessError as error:
            return await self.exclusions(actor, error=str(error), keyword=keyword, reason=reason)
        return await self.exclusions(actor, message=f"「{added.keyword}」を対象外に追加しました。")

    async def export(self, turn: TurnContext, actor: Actor) -> dict:
        require(actor.person, Action.READ, Resource(ResourceKind.GENERAL))
        name = f"キャッシュレス_債権一覧_{self.today():%Y%m%d}.xlsx"
        return await self.deps.files.offer(
            turn,
            actor,
            FileOffer(EXPORT_REGISTRY, name, "キャッシュレス導入の債権一覧（分類と根拠、導入状況）"),
        )

    # --- files --------------------------------------------------------------------------------

    @staticmethod
    def claims_file(name: str, data: bytes) -> bool:
        return looks_like_indicator(data) or looks_like_registry(data)

    async def on_file(self, turn: TurnContext, actor: Actor, name: str, data: bytes) -> dict:
        """The payment counts and amounts by method, or an edited registry (admins), whole or nothing."""
        try:
            if looks_like_registry(data):
                changed, added = await self._run(self.service.import_registry, actor, data, name)
                summary = f"債権一覧を取り込みました（変更 {changed}件・追加 {added}件）。"
            else:
                summary = ImportOutcome(
                    await self._run(self.service.import_indicator, actor, data, name)
                ).summary
        except WorkbookRefused as refused:
            return cards.import_result_card(name, problems=[str(i) for i in refused.issues])
        except CashlessError as error:
            return cards.import_result_card(name, problems=[str(error)])
        return cards.import_result_card(name, summary)
