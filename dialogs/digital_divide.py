"""The デジタル・ディバイド対策 dialog: plan against actual, recording classes and attendance (admins
and partner contacts, by card or an Excel file sent in the chat), the residents' card, outreach and
partner contacts (admins), and the Excel file of the year's classes.

Every read and write goes through :class:`services.digital_divide.service.DigitalDivideService`,
which asks the one permission check and appends to the audit trail; ``Forbidden`` escapes to
``MainDialog``, which shows the polite card.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date
from typing import Any

from botbuilder.core import TurnContext

from cards import digital_divide as cards
from dialogs.base import DialogDeps, FileOffer, ProgrammeDialog
from services.digital_divide.alerts import DEFAULT_ATTENDANCE_DAYS, DigitalDivideAlerts, DigitalDivideStatus
from services.digital_divide.classes import FIELDS, Rejected, looks_like_classes
from services.digital_divide.plan import fiscal_year_of
from services.digital_divide.service import (
    DEFAULT_PARTNERS,
    Conflict,
    DigitalDivideError,
    DigitalDivideService,
    FormRejected,
)
from services.kernel.programmes import ProgrammeInfo
from services.kernel.settings import TIMEZONE
from services.people.identity import Actor, Person, is_object_id
from services.people.permissions import Action, Resource, ResourceKind, require
from services.proactive.alerts import DueAlert

logger = logging.getLogger(__name__)
CLASSES_EXPORT = "digital_divide.classes"


def service_for(deps: DialogDeps) -> DigitalDivideService:
    settings = getattr(deps, "settings", None)
    plans = {y: (c, p) for y, c, p in getattr(settings, "digital_divide_plans", ())}
    partners = getattr(settings, "digital_divide_partners", DEFAULT_PARTNERS)
    return DigitalDivideService(deps.store, deps.clock, plans=plans, partners=partners)


def alert_source(deps: DialogDeps) -> DigitalDivideAlerts:
    """``alerts=`` of the registry line: attendance not recorded, a month behind plan."""
    days = getattr(getattr(deps, "settings", None), "digital_divide_attendance_days", DEFAULT_ATTENDANCE_DAYS)
    return DigitalDivideAlerts(service_for(deps), deps.people.admin_ids, days)


def status_source(deps: DialogDeps) -> DigitalDivideStatus:
    return DigitalDivideStatus(service_for(deps))


def alert_card(alert: DueAlert) -> dict:
    return cards.alert_card(alert)


def export_classes(deps: DialogDeps, actor: Actor, params: Mapping[str, str]) -> bytes:
    """``exports=``: the classes of a fiscal year as .xlsx (also the import template)."""
    today = deps.clock().astimezone(TIMEZONE).date()
    year = str(params.get("fy") or "")
    return service_for(deps).export_xlsx(actor.person, int(year) if year.isdigit() else fiscal_year_of(today))


class DigitalDivideDialog(ProgrammeDialog):
    accepted_files = (
        ("スマホ教室の記録（ボットで出力した Excel に書き込んだもの）", "管理者・スマホ教室の連携先の担当者"),
    )

    def __init__(self, programme: ProgrammeInfo, deps: DialogDeps):
        super().__init__(programme, deps)
        self.service = service_for(deps)

    async def open(self, turn: TurnContext, actor: Actor) -> dict:
        return await self.summary(actor)

    def _years(self, today: date) -> tuple[int, ...]:
        current = fiscal_year_of(today)
        return tuple(range(current, max(2023, current - 3) - 1, -1))

    async def summary(self, actor: Actor, fiscal_year: int | None = None, message: str = "") -> dict:
        today = self.today()
        year = fiscal_year or fiscal_year_of(today)
        view = await self._run(self.service.plan_view, actor.person, year, today)
        overview = await self._run(self.service.overview)
        outreach = await self._run(self.service.outreach, year)
        may_record = await self._run(self.service.may_record, actor.person)
        return cards.summary_card(
            overview,
            view,
            outreach,
            may_record=may_record,
            admin=actor.person.is_admin,
            message=message,
            years=self._years(today),
        )

    async def act(self, turn: TurnContext, actor: Actor, verb: str, data: dict[str, Any]) -> dict:
        action = verb.partition(".")[2]
        year_text = str(data.get(cards.YEAR_INPUT) or "")
        year = int(year_text) if year_text.isdigit() and 2000 <= int(year_text) <= 2100 else None
        try:
            if action in ("open", "summary"):
                return await self.summary(actor, year)
            if action == "form":
                form = await self._run(self.service.class_form, actor)
                return cards.class_form_card(form)
            if action == "record":
                return await self.record(actor, data)
            if action == "attendance":
                return await self.attendance(actor)
            if action == "save_attendance":
                return await self.save_attendance(actor, data)
            if action == "residents":
                ward = str(data.get(cards.WARD_INPUT) or "")
                classes = await self._run(self.service.upcoming, self.today(), ward)
                return cards.residents_card(classes, self.today(), ward)
            if action == "outreach":
                require(actor.person, Action.WRITE, Resource(ResourceKind.DIGITAL_DIVIDE_ADMIN))
                outreach = await self._run(self.service.outreach, year or fiscal_year_of(self.today()))
                return cards.outreach_card(outreach)
            if action == "save_outreach":
                return await self.save_outreach(actor, year or fiscal_year_of(self.today()), data)
            if action == "partners":
                return await self.partners(actor)
            if action == "add_partner":
                return await self.add_partner(actor, data)
            if action == "export":
                y = year or fiscal_year_of(self.today())
                offer = FileOffer(
                    CLASSES_EXPORT,
                    f"スマホ教室_令和{y - 2018}年度.xlsx",
                    f"スマホ教室の記録（令和{y - 2018}年度、受け取った時点のデータ）",
                    {"fy": str(y)},
                )
                return await self.deps.files.offer(turn, actor, offer)
            if action == "import":
                await self._run(self.service.class_form, actor)  # admins and partner contacts only
                return cards.import_help_card()
        except DigitalDivideError as error:
            return await self.summary(actor, year, str(error))
        logger.warning("digital_divide: unknown action %r", verb)
        return await self.summary(actor, year, "このボタンは古いカードのもののようです。")

    async def record(self, actor: Actor, data: dict[str, Any]) -> dict:
        values = {f: data.get(f) for f in FIELDS}
        try:
            item, created = await self._run(self.service.record_class, actor, values)
        except FormRejected as rejected:
            return cards.class_form_card(rejected.form)
        return cards.recorded_card(item, created=created)

    async def attendance(self, actor: Actor, **kwargs: Any) -> dict:
        await self._run(self.service.class_form, actor)  # admins and partner contacts only
        view = await self._run(
            self.service.plan_view, actor.person, fiscal_year_of(self.today()), self.today()
        )
        mine = list(view.unrecorded)
        if not actor.person.is_admin:
            partners = await self._run(self.service.partners_of, actor.person)
            mine = [c for c in mine if c.partner in partners]
        return cards.attendance_card(mine, **kwargs)

    async def save_attendance(self, actor: Actor, data: dict[str, Any]) -> dict:
        class_id = str(data.get("class_id") or "")
        value = data.get(f"attendance|{class_id}")
        try:
            item, wrote = await self._run(
                self.service.record_attendance, actor, class_id, value, str(data.get("etag") or "") or None
            )
        except Conflict as conflict:  # the latest figure, and what this person typed, to send again
            latest = [conflict.item] if conflict.item is not None else []
            return cards.attendance_card(
                latest,
                error=str(conflict),
                values={class_id: str(value or "")},
                subtitle="先に入力された参加者数と、あなたの入力",
            )
        except DigitalDivideError as error:
            return await self.attendance(actor, error=str(error))
        return await self.attendance(
            actor,
            message=f"{item.day.month}月{item.day.day}日 {item.venue} の参加者数"
            f"（{item.attendance}名）を{'保存しました' if wrote else 'すでに保存しています'}。",
        )

    async def save_outreach(self, actor: Actor, year: int, data: dict[str, Any]) -> dict:
        values = {k: str(v if v is not None else "") for k, v in data.items() if "|" in str(k) or k == "note"}
        try:
            outreach, wrote = await self._run(
                self.service.set_outreach, actor, year, values, str(data.get("etag") or "") or None
            )
        except Conflict as conflict:  # the latest figures (and ETag) with what this person typed
            latest = await self._run(self.service.outreach, year)
            return cards.outreach_card(latest, error=str(conflict), values=values, conflict=True)
        except DigitalDivideError as error:
            return cards.outreach_card(
                await self._run(self.service.outreach, year), error=str(error), values=values
            )
        return cards.outreach_card(
            outreach, message="保存しました。" if wrote else "同じ内容で保存済みです。"
        )

    async def partners(self, actor: Actor, **kwargs: Any) -> dict:
        require(actor.person, Action.WRITE, Resource(ResourceKind.DIGITAL_DIVIDE_ADMIN))
        contacts = await self._run(self.service.contacts)
        return cards.partners_card(contacts, await self._run(self.service.partners), **kwargs)

    async def add_partner(self, actor: Actor, data: dict[str, Any]) -> dict:
        require(actor.person, Action.WRITE, Resource(ResourceKind.DIGITAL_DIVIDE_ADMIN))
        needle = str(data.get("person") or "").strip()
        found = await self._run(self.deps.people.find, actor.person, needle, 2) if needle else []
        if len(found) != 1 or not found[0].registered:
            what = "見つかりません" if not found else "複数見つかりました（オブジェクトIDで指定してください）"
            if needle and is_object_id(needle) and not found:
                what = "名簿にありません"
            return await self.partners(actor, error=f"担当者「{needle or '空欄'}」が{what}。")
        before = {(c.partner, c.object_id) for c in await self._run(self.service.contacts)}
        try:
            contact = await self._run(
                self.service.add_contact,
                actor,
                str(data.get("partner") or ""),
                found[0].object_id,
                found[0].name,
            )
        except DigitalDivideError as error:
            return await self.partners(actor, error=str(error))
        if (contact.partner, contact.object_id) in before:
            return await self.partners(
                actor, message=f"{contact.name} さんは、すでに {contact.partner} の担当者です。"
            )
        return await self.partners(
            actor, message=f"{contact.partner} の担当者に {contact.name} さんを登録しました。"
        )

    # --- files --------------------------------------------------------------------------------

    @staticmethod
    def claims_file(name: str, data: bytes) -> bool:
        return looks_like_classes(data)

    def accepts_files_from(self, person: Person) -> bool:
        """Partner contacts send their classes as a file too (admins' files are always read)."""
        return self.service.may_record(person)

    async def on_file(self, turn: TurnContext, actor: Actor, name: str, data: bytes) -> dict:
        try:
            result = await self._run(self.service.import_xlsx, actor, data)
        except Rejected as rejected:
            return cards.import_result_card(name, problems=rejected.problems)
        except DigitalDivideError as error:
            return cards.import_result_card(name, problems=[str(error)])
        return cards.import_result_card(name, result.summary)
