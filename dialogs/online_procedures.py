"""The 行政手続きオンライン化 dialog: show the city and bureau figures and the table, take a bureau's
quarterly update (validate, save, confirm), and import an updated table sent as a file.

Every read and write goes through :class:`services.online_procedures.service.OnlineProceduresService`,
which asks the one permission check and appends to the audit trail; ``Forbidden`` escapes to
``MainDialog``, which shows the polite card. "Today" is ``deps.clock()`` in Asia/Tokyo.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from botbuilder.core import TurnContext

from cards import online_procedures as cards
from cards.menu import error_card
from dialogs.base import DialogDeps, FileOffer, ProgrammeDialog
from services.kernel.numbers import count_or
from services.kernel.programmes import ProgrammeInfo
from services.kernel.settings import TIMEZONE
from services.kernel.tabular import peek
from services.online_procedures.excel import SHEET_TABLE, ImportRefused
from services.online_procedures.models import DelayAlert
from services.online_procedures.service import (
    DEFAULT_ALERT_DAYS,
    DEFAULT_ESCALATION_DAYS,
    FormRejected,
    NotReportable,
    OnlineProceduresAlerts,
    OnlineProceduresError,
    OnlineProceduresService,
    OnlineProceduresStatus,
    UnknownBureau,
)
from services.people.identity import Actor
from services.people.permissions import Action, Resource, ResourceKind, require
from services.proactive.alerts import DueAlert

logger = logging.getLogger(__name__)


def service_for(deps: DialogDeps) -> OnlineProceduresService:
    """The service with the N and M of the settings (``ONLINE_PROCEDURES_ALERT_DAYS`` and
    ``ONLINE_PROCEDURES_ESCALATION_DAYS``) when the deps carry settings."""
    settings = getattr(deps, "settings", None)
    return OnlineProceduresService(
        deps.store,
        deps.clock,
        alert_days=getattr(settings, "online_procedures_alert_days", DEFAULT_ALERT_DAYS),
        escalation_days=getattr(settings, "online_procedures_escalation_days", DEFAULT_ESCALATION_DAYS),
    )


def alert_source(deps: DialogDeps) -> OnlineProceduresAlerts:
    """``alerts=`` of the registry line: the delay alerts and escalations for the scheduler."""
    return OnlineProceduresAlerts(service_for(deps))


def status_source(deps: DialogDeps) -> OnlineProceduresStatus:
    """``status=`` of the registry line: this programme's line in the digests."""
    return OnlineProceduresStatus(service_for(deps))


def alert_card(alert: DueAlert) -> dict:
    """``alert_card=`` of the registry line: the scheduler sends this card as it is."""
    if isinstance(alert.item, DelayAlert):
        return cards.delay_alert_card(alert.item)
    return cards.generic_alert_card(alert)


TABLE_EXPORT = "online_procedures.table"


def export_table(deps: DialogDeps, actor: Actor, params: Mapping[str, str]) -> bytes:
    """``exports=`` of the registry line: the table as .xlsx, live (the year being reported, built
    from the data stored now; an admin's file adds 手続き一覧) or ``view=seed`` (the meeting's table).
    Anybody who may read the table may have it (the service checks)."""
    today = deps.clock().astimezone(TIMEZONE).date()
    return service_for(deps).export_xlsx(actor.person, today, seed=params.get("view") == cards.SEED)


def looks_like_table(name: str, data: bytes) -> bool:
    """Whether an attached file is an online-procedures table (an .xlsx in the material's layout)."""
    book = peek(data)  # the first row only: never the whole file (services.kernel.tabular)
    if book is None or not book.sheets:
        return False
    if book.sheets[0].name == SHEET_TABLE:
        return True
    texts = ["".join(v.split()) for v in book.first_row]
    return bool(texts) and texts[0] == "局" and any(t.startswith("R3年5月まで") for t in texts)


class OnlineProceduresDialog(ProgrammeDialog):
    #: what files this dialog takes (``claims_file``), and from whom: told to anybody else who sends one
    accepted_files = (("行政手続きオンライン化の表（ボットで出力した Excel に書き込んだもの）", "管理者"),)

    def __init__(self, programme: ProgrammeInfo, deps: DialogDeps):
        super().__init__(programme, deps)
        self.service = service_for(deps)

    # --- showing ------------------------------------------------------------------------------

    async def open(self, turn: TurnContext, actor: Actor) -> dict:
        return await self.summary(actor)

    async def summary(self, actor: Actor, message: str = "") -> dict:
        today = self.today()
        summary = await self._run(self.service.city_summary, actor.person, today)
        readable = await self._run(self.service.readable_bureaus, actor.person)
        own = await self._run(self.service.own_bureaus, actor.person)
        admin = self.service.is_admin_for_all(actor.person)
        if admin:  # an admin may read and submit for every bureau: list each once
            readable, own = list(readable), []
        return cards.summary_card(summary, readable=readable, own=own, admin=admin, message=message)

    async def bureau(self, actor: Actor, bureau: str, *, message: str = "", warning: str = "") -> dict:
        today = self.today()
        try:
            summary = await self._run(self.service.bureau_summary, actor.person, bureau, today)
        except UnknownBureau as error:
            return await self.summary(actor, str(error))
        correctable = await self._run(self.service.closed_periods, actor.person, bureau, today)
        return cards.bureau_card(
            summary,
            today,
            may_submit=self.service.may_submit(actor.person, bureau),
            correctable=correctable,
            message=message,
            warning=warning,
        )

    async def table(self, actor: Actor, view: str, page: int) -> dict:
        if view == cards.SEED:
            table = await self._run(self.service.seed_table, actor.person)
        else:
            table = await self._run(self.service.table, actor.person, self.today())
        pages = cards.table_pages(table)
        return cards.table_card(pages[max(1, min(page, len(pages))) - 1], view)

    # --- actions ------------------------------------------------------------------------------

    async def act(self, turn: TurnContext, actor: Actor, verb: str, data: dict[str, Any]) -> dict:
        action = verb.partition(".")[2]
        bureau = str(data.get("bureau") or data.get(cards.BUREAU_INPUT) or "")
        try:
            if action == "summary":
                return await self.summary(actor)
            if action == "bureau":
                return await self.bureau(actor, bureau) if bureau else await self.summary(actor)
            if action == "table":
                return await self.table(
                    actor, str(data.get("view") or cards.LIVE), count_or(data.get("page"), 1)
                )
            if action in ("update", "correct"):
                period = str(data.get(cards.PERIOD_INPUT) or "") if action == "correct" else ""
                return await self.update(actor, bureau, period)
            if action == "submit":
                return await self.submit(actor, data)
            if action == "export":
                return await self.export(turn, actor, str(data.get("view") or cards.LIVE))
            if action == "import":
                require(actor.person, Action.WRITE, Resource(ResourceKind.ONLINE_PROCEDURES))  # admins
                return cards.import_help_card()
        except NotReportable as refusal:
            return (
                await self.bureau(actor, bureau, warning=str(refusal)) if bureau else error_card(str(refusal))
            )
        except UnknownBureau as error:
            return await self.summary(actor, str(error))
        logger.info("online_procedures: unknown action %r", verb[:100])
        return await self.summary(actor, "このボタンは古いカードのもののようです。")

    async def update(self, actor: Actor, bureau: str, period: str = "") -> dict:
        if not bureau:
            return await self.summary(actor, "局を選んでから「実績を入力する」を押してください。")
        form = await self._run(self.service.update_form, actor, bureau, self.today(), period)
        return cards.update_card(form)

    async def submit(self, actor: Actor, data: dict[str, Any]) -> dict:
        today = self.today()
        try:
            result = await self._run(self.service.submit, actor, data, today)
        except FormRejected as rejected:
            return cards.update_card(rejected.form)
        except OnlineProceduresError as error:
            if isinstance(error, NotReportable | UnknownBureau):
                raise
            return error_card(str(error))
        return cards.confirmation_card(result, today)

    async def export(self, turn: TurnContext, actor: Actor, view: str) -> dict:
        """The table as an Excel file, delivered in the user's 1:1 chat (``deps.files``)."""
        if view == cards.SEED:
            offer = FileOffer(
                TABLE_EXPORT,
                "会議資料の表（令和5年8月8日）.xlsx",
                "行政手続きオンライン化の表（2023年8月8日の会議資料の時点）",
                {"view": cards.SEED},
            )
        else:
            today = self.today()
            offer = FileOffer(
                TABLE_EXPORT,
                f"オンライン化の表_{today:%Y%m%d}.xlsx",
                "行政手続きオンライン化の表（受け取った時点のデータ）",
                {"view": cards.LIVE},
            )
        return await self.deps.files.offer(turn, actor, offer)

    # --- files --------------------------------------------------------------------------------

    @staticmethod
    def claims_file(name: str, data: bytes) -> bool:
        return looks_like_table(name, data)

    async def on_file(self, turn: TurnContext, actor: Actor, name: str, data: bytes) -> dict:
        """An updated table sent in a 1:1 chat: import it (admins), all or nothing."""
        try:
            result = await self._run(self.service.import_xlsx, actor, data, self.today(), name)
        except ImportRefused as refused:
            return cards.import_result_card(name, problems=[str(i) for i in refused.issues])
        except OnlineProceduresError as error:
            return cards.import_result_card(name, problems=[str(error)])
        return cards.import_result_card(name, result.summary)
