"""The ICTリテラシー dialog: the self-assessment (save, see the next level and its training), the
department view (a manager sets needs and moves) and the tools list (admins extend it).

Every read and write goes through :class:`services.literacy.service.LiteracyService`, which asks
the one permission check and appends to the audit trail; ``Forbidden`` escapes to ``MainDialog``.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import TurnContext

from cards import literacy as cards
from dialogs.base import DialogDeps, ProgrammeDialog
from services.kernel.programmes import ProgrammeInfo
from services.literacy.service import DEFAULT_AT_RISK_DAYS, Conflict, Invalid, LiteracyService
from services.literacy.status import LiteracyStatus
from services.people.identity import Actor
from services.people.permissions import Action, Resource, ResourceKind, check, require

logger = logging.getLogger(__name__)


def service_for(deps: DialogDeps) -> LiteracyService:
    settings = getattr(deps, "settings", None)
    kwargs: dict[str, Any] = {
        "at_risk_days": getattr(settings, "literacy_at_risk_days", DEFAULT_AT_RISK_DAYS)
    }
    if getattr(settings, "literacy_tools", None):
        kwargs["tools"] = settings.literacy_tools  # type: ignore[union-attr]
    return LiteracyService(deps.store, deps.clock, **kwargs)


def status_source(deps: DialogDeps) -> LiteracyStatus:
    """``status=`` of the registry line: the departments' gaps in the digests."""
    return LiteracyStatus(service_for(deps))


class LiteracyDialog(ProgrammeDialog):
    def __init__(self, programme: ProgrammeInfo, deps: DialogDeps):
        super().__init__(programme, deps)
        self.service = service_for(deps)

    async def open(self, turn: TurnContext, actor: Actor) -> dict:
        if _shared(turn):
            return cards.personal_only_card()
        return await self.self_card(actor)

    async def self_card(self, actor: Actor, **kwargs: Any) -> dict:
        view = await self._run(self.service.self_view, actor)
        return cards.self_card(view, **kwargs)

    async def act(self, turn: TurnContext, actor: Actor, verb: str, data: dict[str, Any]) -> dict:
        action = verb.partition(".")[2]
        if _shared(turn):  # every literacy card shows someone's levels: 1:1 chats only
            return cards.personal_only_card()
        if action in ("open", "self"):
            return await self.self_card(actor)
        if action == "save":
            return await self.save(actor, data)
        if action == "department":
            bureau, _, department = str(data.get(cards.DEPARTMENT_INPUT) or "").partition("/")
            if not bureau or not department:  # no choice on the card (many departments): the picker
                departments = await self._run(self.service.departments_managed, actor.person)
                return cards.department_picker_card(departments)
            return await self.department(actor, bureau, department)
        if action == "needs":
            return await self.needs(actor, data)
        if action == "tools":
            return await self.tools(actor)
        if action == "add_tool":
            return await self.add_tool(actor, str(data.get(cards.TOOL_INPUT) or ""))
        logger.warning("literacy: unknown action %r", verb)
        return await self.self_card(actor, message="このボタンは古いカードのもののようです。")

    async def save(self, actor: Actor, data: dict[str, Any]) -> dict:
        tools = await self._run(self.service.tools)
        values = {t: str(data.get(cards.LEVEL_PREFIX + t) or "") for t in tools}
        try:
            _, wrote = await self._run(
                self.service.save_assessment,
                actor,
                actor.person.object_id,
                values,
                str(data.get("etag") or "") or None,
            )
        except Invalid as invalid:
            return await self.self_card(actor, errors=invalid.errors, values=values)
        except Conflict as conflict:
            return await self.self_card(actor, message=str(conflict))
        message = (
            "保存しました。次のレベルに向けた研修を確認してください。"
            if wrote
            else "同じ内容で保存済みです。"
        )
        return await self.self_card(actor, message=message)

    async def department(self, actor: Actor, bureau: str, department: str, **kwargs: Any) -> dict:
        view = await self._run(self.service.department_view, actor.person, bureau, department, self.today())
        may_edit = check(
            actor.person, Action.WRITE, Resource(ResourceKind.LITERACY_NEEDS, bureau, department)
        ).allowed
        return cards.department_card(view, may_edit=may_edit, **kwargs)

    async def needs(self, actor: Actor, data: dict[str, Any]) -> dict:
        bureau, department = str(data.get("bureau") or ""), str(data.get("department") or "")
        values = {k: str(v if v is not None else "") for k, v in data.items() if "|" in str(k)}
        try:
            _, wrote = await self._run(
                self.service.set_needs,
                actor,
                bureau,
                department,
                values,
                str(data.get("etag") or "") or None,
                self.today(),
            )
        except Invalid as invalid:
            return await self.department(actor, bureau, department, errors=invalid.errors, values=values)
        except Conflict as conflict:  # the needs as stored now, with what they typed kept
            return await self.department(
                actor, bureau, department, message=str(conflict), values=values, conflict=True
            )
        return await self.department(
            actor, bureau, department, message="保存しました。" if wrote else "同じ内容で保存済みです。"
        )

    async def tools(self, actor: Actor, **kwargs: Any) -> dict:
        require(actor.person, Action.WRITE, Resource(ResourceKind.LITERACY_TOOLS))
        return cards.tools_card(await self._run(self.service.tools), **kwargs)

    async def add_tool(self, actor: Actor, name: str) -> dict:
        before = await self._run(self.service.tools)
        try:
            tools = await self._run(self.service.add_tool, actor, name)
        except Invalid as invalid:
            return cards.tools_card(
                await self._run(self.service.tools),
                error=invalid.errors.get("tool", str(invalid)),
                value=name,
            )
        except Conflict as conflict:
            return cards.tools_card(await self._run(self.service.tools), error=str(conflict), value=name)
        if len(tools) == len(before):  # already listed (by this admin or another): nothing was added
            return cards.tools_card(
                tools, message=f"「{name.strip()}」はすでに一覧にあります（{len(tools)}件）。"
            )
        return cards.tools_card(tools, message=f"「{tools[-1]}」を追加しました（{len(tools)}件）。")


def _shared(turn: TurnContext | None) -> bool:
    """Whether the turn comes from a channel or a group chat (everybody there sees the card)."""
    conversation = getattr(getattr(turn, "activity", None), "conversation", None)
    if conversation is None:
        return False
    return conversation.conversation_type in ("channel", "groupChat") or bool(conversation.is_group)
