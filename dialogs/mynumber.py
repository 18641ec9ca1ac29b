"""The マイナンバー情報総点検 dialog: the home card, the matrix and progress, an operation with its
survey, inspection ①②③ and checklist forms, the office overview, the publication table (a card and an
Excel file delivered in Teams), registration and the Excel import of operations and items.

Every read and write goes through :class:`services.mynumber.service.MyNumberService`, which asks the
one permission check and appends to the audit trail; ``Forbidden`` escapes to ``MainDialog``, which
shows the polite card with nothing written. "Today" is ``deps.clock()`` in Asia/Tokyo.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from botbuilder.core import TurnContext

from cards import mynumber as cards
from cards.menu import error_card
from dialogs.base import DialogDeps, FileOffer, IncomingFile, ProgrammeDialog
from dialogs.mynumber_audit import AuditFlow
from services.kernel.numbers import count_or
from services.kernel.programmes import ProgrammeInfo
from services.kernel.tabular import ImportRejected, peek
from services.mynumber import rules
from services.mynumber.excel import IMPORT_COLUMNS, publication_xlsx
from services.mynumber.models import Form, FormKind
from services.mynumber.service import FormRejected, MyNumberError, MyNumberService, UnknownOperation
from services.mynumber.sources import MyNumberAlerts, MyNumberStatus
from services.people.identity import Actor
from services.people.permissions import Action, Resource, ResourceKind, require
from services.proactive.alerts import DueAlert

logger = logging.getLogger(__name__)
EXPORT_PUBLICATION = "mynumber.publication"


def service_for(deps: DialogDeps) -> MyNumberService:
    """The service with the programme's settings (``MYNUMBER_*``)."""
    s = deps.settings
    return MyNumberService(
        deps.store,
        deps.clock,
        threshold=s.mynumber_threshold,
        survey_due=s.mynumber_survey_due,
        interim_report=s.mynumber_interim_report,
        completion=s.mynumber_completion,
        warn_days=s.mynumber_survey_warn_days,
    )


def alert_source(deps: DialogDeps) -> MyNumberAlerts:
    """``alerts=`` of the registry line: unanswered survey items and overdue work, to the contacts."""
    return MyNumberAlerts(service_for(deps), deps.people)


def status_source(deps: DialogDeps) -> MyNumberStatus:
    """``status=`` of the registry line: this programme's line in the digests."""
    return MyNumberStatus(service_for(deps))


def alert_card(alert: DueAlert) -> dict:
    return cards.alert_card(alert)


def publication_export(deps: DialogDeps, actor: Actor, params: Mapping[str, str]) -> bytes:
    """``exports=``: the publication table of a bureau (or the city, ``bureau`` empty) as .xlsx."""
    service = service_for(deps)
    table = service.publication_table(actor.person, params.get("bureau") or None, service.today())
    return publication_xlsx(table)


def looks_like_import(data: bytes) -> bool:
    book = peek(data)  # the first row only: never the whole file (services.kernel.tabular)
    if book is None:
        return False
    texts = ["".join(v.split()) for v in book.first_row]
    return texts[:5] == list(IMPORT_COLUMNS[:5])


class MyNumberDialog(ProgrammeDialog):
    def __init__(self, programme: ProgrammeInfo, deps: DialogDeps):
        super().__init__(programme, deps)
        self.service = service_for(deps)
        self.audit = AuditFlow(deps, self.service)

    # --- showing ------------------------------------------------------------------------------

    async def open(self, turn: TurnContext, actor: Actor) -> dict:
        return await self.home(actor)

    async def home(self, actor: Actor, message: str = "") -> dict:
        s = self.service
        matrix = await self._run(s.matrix, actor.person)
        progress = await self._run(s.progress, actor.person)
        snap_m = await self._run(s.snapshot_matrix)
        snap_p = await self._run(s.snapshot_progress)
        ops = await self._run(s.operations, actor.person)
        return cards.home_card(
            matrix,
            snap_m,
            progress,
            snap_p,
            ops,
            self.today(),
            admin=s.is_admin(actor.person),
            message=message,
        )

    async def operation(self, actor: Actor, bureau: str, op_id: str, message: str = "") -> dict:
        op = await self._run(self.service.operation, actor.person, bureau, op_id)
        return cards.operation_card(
            op,
            rules.classify(op, self.service.threshold),
            self.today(),
            self.service.completion,
            may_write=self.service.may_write(actor.person, op),
            message=message,
        )

    async def publication(self, actor: Actor, bureau: str) -> dict:
        s = self.service
        admin = s.is_admin(actor.person)
        bureaus = await self._run(s.readable_bureaus, actor.person)
        if not bureau and not admin:
            if not bureaus:
                return await self.home(
                    actor, "公表表は、局の管理職・局担当と ICTイノベーション推進室が見られます。"
                )
            bureau = bureaus[0]
        table = await self._run(s.publication_table, actor.person, bureau or None, self.today())
        return cards.publication_card(table, ["", *bureaus] if admin else bureaus if len(bureaus) > 1 else [])

    # --- actions ------------------------------------------------------------------------------

    async def act(self, turn: TurnContext, actor: Actor, verb: str, data: dict[str, Any]) -> dict:
        action = verb.partition(".")[2]
        bureau, op_id = str(data.get("bureau") or ""), str(data.get("operation") or "")
        choice = str(data.get(cards.OPERATION_INPUT) or "")
        if choice and not op_id:
            bureau, _, op_id = choice.partition("|")
        s, today = self.service, self.today()
        try:
            if action in ("open", "home"):
                return await self.home(actor)
            if action == "matrix":
                live = await self._run(s.matrix, actor.person)
                return cards.matrix_card(live, await self._run(s.snapshot_matrix), today)
            if action == "progress":
                live = await self._run(s.progress, actor.person)
                return cards.progress_card(live, await self._run(s.snapshot_progress), today)
            if action == "overview":
                return cards.overview_card(await self._run(s.overview, actor.person, today))
            if action == "checklist_city":
                return cards.checklist_city_card(await self._run(s.checklist_city, actor.person, today))
            if action == "publication":
                return await self.publication(
                    actor, str(data.get(cards.BUREAU_INPUT) or data.get("bureau") or "")
                )
            if action == "export":
                return await self.export(turn, actor, bureau)
            if action == "operation":
                return await self.operation(actor, bureau, op_id)
            if action in ("survey", "inspection", "checklist", "register"):
                return await self.form(actor, FormKind(action), bureau, op_id, count_or(data.get("page"), 1))
            if action == "submit":
                return await self.submit(actor, data)
            if action == "import":
                require(actor.person, Action.WRITE, Resource(ResourceKind.MYNUMBER))  # admins
                return cards.import_help_card()
            if action == "audit":
                return await self.audit.start(actor, bureau, op_id)
            if action == "audit_run":
                return await self.audit.run(turn, actor, data)
            if action == "audit_swap":
                return await self.audit.swap(actor, bureau, op_id)
            if action == "audit_cancel":
                return await self.audit.cancel(actor, bureau, op_id)
            if action == "audit_report":
                return await self.audit.report(turn, actor, bureau, op_id, str(data.get("run") or ""))
        except UnknownOperation as error:
            return await self.home(actor, str(error))
        logger.warning("mynumber: unknown action %r", verb)
        return await self.home(actor, "このボタンは古いカードのもののようです。")

    async def form(self, actor: Actor, kind: FormKind, bureau: str, op_id: str, page: int = 1) -> dict:
        if kind is FormKind.CHECKLIST:
            op = await self._run(self.service.operation, actor.person, bureau, op_id)
            if not self.service.may_write(actor.person, op):
                return cards.checklist_card(Form(kind, op, rules.checklist_values(op)), may_write=False)
        form = await self._run(self.service.form, actor, kind, bureau, op_id)
        return cards.survey_card(form, page) if kind is FormKind.SURVEY else cards.FORM_CARDS[kind](form)

    async def submit(self, actor: Actor, data: dict[str, Any]) -> dict:
        try:
            kind = FormKind(str(data.get("kind") or ""))
        except ValueError:
            return error_card("このカードは古いか壊れています。もう一度開き直してください。")
        try:
            saved = await self._run(self.service.submit, actor, kind, data)
        except FormRejected as rejected:
            if kind is FormKind.SURVEY:
                return cards.survey_card(rejected.form, count_or(data.get("page"), 1))
            return cards.FORM_CARDS[kind](rejected.form)
        except UnknownOperation:
            raise
        except MyNumberError as error:
            return error_card(str(error))
        return cards.saved_card(saved, self.today())

    async def export(self, turn: TurnContext, actor: Actor, bureau: str) -> dict:
        await self._run(
            self.service.publication_table, actor.person, bureau or None, self.today()
        )  # read check
        scope = bureau or "全市"
        return await self.deps.files.offer(
            turn,
            actor,
            FileOffer(
                EXPORT_PUBLICATION,
                f"総点検_公表表_{scope}_{self.today().isoformat()}.xlsx",
                f"マイナンバー情報総点検の公表表（{scope}）",
                {"bureau": bureau},
            ),
        )

    # --- files --------------------------------------------------------------------------------

    async def awaits_files(self, actor: Actor) -> bool:
        """Whether this person started 全データ点検 and the bot waits for their files (any role)."""
        return await self.audit.awaits_files(actor)

    async def on_awaited_files(self, turn: TurnContext, actor: Actor, files: Sequence[IncomingFile]) -> dict:
        try:
            return await self.audit.on_files(turn, actor, files)
        except UnknownOperation as error:
            return await self.home(actor, str(error))

    @staticmethod
    def claims_file(name: str, data: bytes) -> bool:
        return looks_like_import(data)

    async def on_file(self, turn: TurnContext, actor: Actor, name: str, data: bytes) -> dict:
        """Operations and items sent as .xlsx in a 1:1 chat: imported (admins), whole or nothing."""
        try:
            result = await self._run(self.service.import_xlsx, actor, data, name)
        except ImportRejected as refused:
            return cards.import_result_card(name, problems=[str(i) for i in refused.issues])
        except MyNumberError as error:
            return cards.import_result_card(name, problems=[str(error)])
        return cards.import_result_card(name, result.text)
