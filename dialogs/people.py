"""The admin menu (roles, registration requests, audit trail, imports) and the registration flow
for people who are not on the roster.

Every decision about who may do what is the services' (``services.people.permissions`` via
``PeopleService``/``AuditLog``); a refusal arrives here as ``Forbidden`` and ``MainDialog`` turns
it into the polite card. Services are synchronous and touch storage, so they run in a thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from botbuilder.core import TurnContext

from cards import people as cards
from dialogs.base import DialogDeps, FileOffer, IncomingFile, run_blocking
from services.kernel.tabular import ImportRejected
from services.people.identity import Actor, OrgUnit, Person, RequestStatus, Role, RoleGrant
from services.people.permissions import Action, Resource, ResourceKind, require
from services.people.roster_export import export_roster as roster_xlsx
from services.people.service import ConcurrentEdit, PeopleError

logger = logging.getLogger(__name__)

MAX_FILES_PER_MESSAGE = 1

# The admin menu's files (``bot.runtime.SHARED_EXPORTS``), built when the admin accepts them.
AUDIT_EXPORT = "admin.audit"
ROSTER_EXPORT = "admin.roster"


def export_audit(deps: DialogDeps, actor: Actor, params: Mapping[str, str]) -> bytes:
    """The audit trail of ``params["from"]``–``params["to"]`` as .xlsx (administrators only)."""
    require(actor.person, Action.READ, Resource(ResourceKind.AUDIT))
    start, end = date.fromisoformat(params["from"]), date.fromisoformat(params["to"])
    data, _count = deps.people.audit.export_bytes(actor.person, start, end)
    return data


def export_roster(deps: DialogDeps, actor: Actor, params: Mapping[str, str]) -> bytes:
    """The roster, in the layout the roster import reads (administrators only)."""
    return roster_xlsx(deps.people, actor.person)


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def _unit(text: str) -> OrgUnit | None:
    return OrgUnit.parse(text) if text else None


def _grant(role_text: str, scope_text: str) -> RoleGrant:
    role = Role(role_text or Role.STAFF.value)
    scope = None if role in (Role.ADMIN, Role.STAFF) else _unit(scope_text)
    return RoleGrant(role, scope)


class AdminDialog:
    """``admin.*`` verbs and the text ``管理`` / ``admin``. Administrators only."""

    def __init__(self, deps: DialogDeps):
        self.deps = deps
        self.people = deps.people

    _run = staticmethod(run_blocking)

    async def _units(self, viewer: Person) -> list[OrgUnit]:
        organisation = await self._run(self.people.organisation, viewer)
        return organisation.sorted()

    async def open(
        self, turn: TurnContext, actor: Actor, *, message: str | None = None, error: str | None = None
    ) -> dict:
        viewer = actor.person
        everyone = await self._run(self.people.everyone, viewer)
        requests = await self._run(self.people.pending_requests, viewer)
        target = await self._run(self.people.dx_department_target)
        return cards.admin_home_card(
            everyone, requests, dx_department_target=target, message=message, error=error
        )

    async def act(self, turn: TurnContext, actor: Actor, verb: str, data: dict[str, Any]) -> dict:
        # The admin cards are the roster's (not one's own record): the whole menu needs that right.
        require(actor.person, Action.READ, Resource(ResourceKind.PEOPLE))
        handler = {
            cards.ADMIN_OPEN: self._home,
            cards.ADMIN_ROLES: self._roles,
            cards.ADMIN_FIND: self._find,
            cards.ADMIN_PERSON: self._person,
            cards.ADMIN_GRANT: self._grant,
            cards.ADMIN_REVOKE: self._revoke,
            cards.ADMIN_REQUESTS: self._requests,
            cards.ADMIN_REVIEW: self._review,
            cards.ADMIN_APPROVE: self._approve,
            cards.ADMIN_REJECT: self._reject,
            cards.ADMIN_AUDIT: self._audit,
            cards.ADMIN_EXPORT: self._export,
            cards.ADMIN_ROSTER_EXPORT: self._export_roster,
            cards.ADMIN_IMPORT: self._import_help,
        }.get(verb)
        if handler is None:
            logger.info("admin action with unknown verb %r", verb[:100])
            return await self.open(turn, actor, error="このボタンは古いカードのもののようです。")
        return await handler(turn, actor, data)

    # --- views ---------------------------------------------------------------------------------

    async def _home(self, turn: TurnContext, actor: Actor, data: dict[str, Any]) -> dict:
        return await self.open(turn, actor)

    async def _roles(self, turn: TurnContext, actor: Actor, data: dict[str, Any]) -> dict:
        everyone = await self._run(self.people.everyone, actor.person)
        target = await self._run(self.people.dx_department_target)
        return cards.roles_card(everyone, dx_department_target=target)

    async def _find(self, turn: TurnContext, actor: Actor, data: dict[str, Any]) -> dict:
        query = _text(data, "query")
        found = await self._run(self.people.find, actor.person, query)
        return cards.people_list_card(query, found)

    async def _person_view(self, actor: Actor, object_id: str, **kwargs: Any) -> dict:
        person = await self._run(self.people.get, actor.person, object_id)
        if person is None:
            return await self.open(
                None, actor, error=f"オブジェクトID {object_id} の職員は名簿にありません。"
            )
        return cards.person_card(person, await self._units(actor.person), **kwargs)

    async def _person(self, turn: TurnContext, actor: Actor, data: dict[str, Any]) -> dict:
        return await self._person_view(actor, _text(data, "object_id"))

    async def _grant(self, turn: TurnContext, actor: Actor, data: dict[str, Any]) -> dict:
        object_id = _text(data, "object_id")
        form = {"role": _text(data, "role"), "scope": _text(data, "scope"), "reason": _text(data, "reason")}
        try:
            grant = _grant(form["role"], form["scope"])
            if grant.role is Role.STAFF:
                return await self._person_view(
                    actor, object_id, message="「職員」はすべての方に付いているため、付与は不要です。"
                )
            person = await self._run(
                self.people.grant,
                actor,
                object_id,
                grant,
                etag=_text(data, "etag") or None,
                reason=form["reason"],
            )
        except ConcurrentEdit as conflict:
            return await self._conflict(actor, object_id, conflict, form)
        except (PeopleError, ValueError) as error:
            return await self._person_view(actor, object_id, error=_message(error), form=form)
        units = await self._units(actor.person)
        return cards.person_card(
            person, units, message=f"「{grant.label}」を付与しました。変更履歴に記録しました。"
        )

    async def _revoke(self, turn: TurnContext, actor: Actor, data: dict[str, Any]) -> dict:
        object_id = _text(data, "object_id")
        try:
            role = Role(_text(data, "role"))
            scope = _unit(_text(data, "scope"))
            label = RoleGrant(role, scope).label
            person = await self._run(
                self.people.revoke,
                actor,
                object_id,
                role,
                scope,
                etag=_text(data, "etag") or None,
                reason=_text(data, "reason"),
            )
        except ConcurrentEdit as conflict:
            return await self._conflict(actor, object_id, conflict, {"reason": _text(data, "reason")})
        except (PeopleError, ValueError) as error:
            return await self._person_view(actor, object_id, error=_message(error))
        units = await self._units(actor.person)
        return cards.person_card(
            person, units, message=f"「{label}」を取り消しました。変更履歴に記録しました。"
        )

    async def _conflict(
        self, actor: Actor, object_id: str, conflict: ConcurrentEdit, form: dict[str, str]
    ) -> dict:
        """The second of two admins editing one person sees the new state and confirms again."""
        return await self._person_view(
            actor,
            object_id,
            form=form,
            error="ほかの管理者がこの職員のロールを先に変更しました。下の最新の状態を確認し、"
            "必要ならもう一度ボタンを押してください（まだ何も変更していません）。",
        )

    async def _requests(self, turn: TurnContext, actor: Actor, data: dict[str, Any], **kwargs: Any) -> dict:
        pending = await self._run(self.people.pending_requests, actor.person)
        return cards.requests_card(pending, **kwargs)

    async def _review(self, turn: TurnContext, actor: Actor, data: dict[str, Any], **kwargs: Any) -> dict:
        object_id = _text(data, "object_id")
        pending = await self._run(self.people.pending_requests, actor.person)
        request = next((r for r in pending if r.object_id == object_id), None)
        if request is None:
            return cards.requests_card(pending, error="この登録依頼はすでに処理されています。")
        return cards.review_card(request, await self._units(actor.person), **kwargs)

    async def _approve(self, turn: TurnContext, actor: Actor, data: dict[str, Any]) -> dict:
        object_id = _text(data, "object_id")
        form = {k: _text(data, k) for k in ("unit", "role", "scope", "reason")}
        try:
            grant = _grant(form["role"], form["scope"])
            person = await self._run(
                self.people.approve,
                actor,
                object_id,
                grant=grant,
                unit=_unit(form["unit"]),
                etag=_text(data, "etag") or None,
                reason=form["reason"],
            )
        except ConcurrentEdit as conflict:
            person = await self._run(self.people.get, actor.person, object_id)
            if person is not None and person.registered:
                # Another admin approved it first: show what they saved, with this admin's choice kept.
                return cards.person_card(
                    person,
                    await self._units(actor.person),
                    form=form,
                    error=f"{conflict} ほかの管理者が先に承認し、下の内容で登録されています。"
                    "ロールを追加する場合は、"
                    "下のフォームから付与してください（まだ何も変更していません）。",
                )
            return await self._requests(turn, actor, data, error=str(conflict))
        except (PeopleError, ValueError) as error:
            return await self._review(turn, actor, data, error=_message(error), form=form)
        await self.deps.notifier.notify_people([person.object_id], cards.registration_approved_card(person))
        return await self._requests(
            turn, actor, data, message=f"{person.name} さんを登録しました（{person.roles_label}）。"
        )

    async def _reject(self, turn: TurnContext, actor: Actor, data: dict[str, Any]) -> dict:
        object_id = _text(data, "object_id")
        try:
            request = await self._run(
                self.people.reject,
                actor,
                object_id,
                etag=_text(data, "etag") or None,
                reason=_text(data, "reason"),
            )
        except (PeopleError, ValueError) as error:
            return await self._requests(turn, actor, data, error=_message(error))
        return await self._requests(
            turn, actor, data, message=f"{request.name} さんの登録依頼を却下しました。"
        )

    async def _audit(self, turn: TurnContext, actor: Actor, data: dict[str, Any]) -> dict:
        kind, entity_id = _text(data, "entity_kind") or None, _text(data, "entity_id") or None
        entries = await self._run(self.people.audit.recent, actor.person, kind, entity_id)
        subject = None
        if kind == "person" and entity_id:
            person = await self._run(self.people.get, actor.person, entity_id)
            subject = person.name if person else entity_id
        return cards.audit_card(entries, subject=subject)

    async def _export(self, turn: TurnContext, actor: Actor, data: dict[str, Any]) -> dict:
        require(actor.person, Action.READ, Resource(ResourceKind.AUDIT))
        today = self.deps.clock().date()
        if not data.get("count") and not data.get("deliver"):
            return cards.export_card(today.replace(day=1), today)
        try:
            start, end = date.fromisoformat(_text(data, "from")), date.fromisoformat(_text(data, "to"))
        except ValueError:
            return cards.export_card(today.replace(day=1), today, error="日付を選んでください。")
        if end < start:
            return cards.export_card(start, end, error="終了日は開始日より後にしてください。")
        if data.get("deliver"):
            period = f"{start.year}年{start.month}月{start.day}日〜{end.year}年{end.month}月{end.day}日"
            return await self.deps.files.offer(
                turn,
                actor,
                FileOffer(
                    AUDIT_EXPORT,
                    f"変更履歴_{start:%Y%m%d}-{end:%Y%m%d}.xlsx",
                    f"変更履歴（{period}、日本時間）",
                    {"from": start.isoformat(), "to": end.isoformat()},
                ),
            )
        entries = await self._run(self.people.audit.between, actor.person, start, end)
        return cards.export_card(start, end, len(entries))

    async def _export_roster(self, turn: TurnContext, actor: Actor, data: dict[str, Any]) -> dict:
        require(actor.person, Action.READ, Resource(ResourceKind.PEOPLE))
        today = self.deps.clock().date()
        return await self.deps.files.offer(
            turn,
            actor,
            FileOffer(
                ROSTER_EXPORT,
                f"名簿_{today:%Y%m%d}.xlsx",
                "職員名簿とロール（取り込みと同じ形式）",
            ),
        )

    async def _import_help(self, turn: TurnContext, actor: Actor, data: dict[str, Any]) -> dict:
        require(actor.person, Action.WRITE, Resource(ResourceKind.PEOPLE))
        return cards.import_help_card()

    # --- files ---------------------------------------------------------------------------------

    async def on_files(self, turn: TurnContext, actor: Actor, files: Sequence[IncomingFile]) -> dict:
        """An organisation or roster file sent in a 1:1 chat: import it (admins only)."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.PEOPLE))
        require(actor.person, Action.WRITE, Resource(ResourceKind.ORGANISATION))
        file = files[0]
        try:
            data = await file.read()
        except Exception as error:  # network, size, scheme: the bot edge's downloader says which
            logger.warning("could not download %r: %s", file.name, error)
            return cards.import_result_card(
                file.name, "", problems=[f"ファイルを受け取れませんでした（{error}）。"]
            )
        try:
            result = await self._run(self.people.import_file, actor, data, file.name)
        except ImportRejected as rejected:
            return cards.import_result_card(file.name, "", problems=[str(i) for i in rejected.issues])
        except PeopleError as error:
            return cards.import_result_card(file.name, "", problems=[str(error)])
        details = list(result.details)
        if result.untouched:
            details.append(f"ファイルにない登録者 {result.untouched}人は変更していません。")
        if len(files) > MAX_FILES_PER_MESSAGE:
            details.append("2つ目以降のファイルは取り込んでいません。1つずつ送ってください。")
        return cards.import_result_card(file.name, result.summary(), details)


class RegistrationDialog:
    """``register.*``: people not on the roster ask an administrator to register them."""

    def __init__(self, deps: DialogDeps):
        self.deps = deps
        self.people = deps.people

    async def menu_note(self, actor: Actor) -> str | None:
        """What the main menu says about registration: None (registered), ``"offer"``, or a note."""
        if actor.person.registered or not actor.object_id:
            return None
        request = await asyncio.to_thread(self.people.registration_of, actor)
        if request is not None and request.status is RequestStatus.PENDING:
            when = request.requested_at.astimezone(self.deps.clock().tzinfo)
            return (
                f"名簿への登録依頼を受け付けています（{when.month}月{when.day}日）。"
                "管理者の承認まで、職員として利用できます。"
            )
        return "offer"

    async def act(self, turn: TurnContext, actor: Actor, verb: str, data: dict[str, Any]) -> dict:
        organisation = await asyncio.to_thread(self.people.organisation, actor.person)
        units = organisation.sorted()
        if verb != cards.REGISTER_SUBMIT:
            return cards.registration_card(units, name=actor.name)
        form = {"unit": _text(data, "unit"), "message": _text(data, "message")}
        if not form["unit"]:
            return cards.registration_card(units, name=actor.name, form=form, error="所属を選んでください。")
        if form["unit"] not in {u.path for u in units}:  # only a unit of the organisation, never free text
            return cards.registration_card(
                units, name=actor.name, form={**form, "unit": ""}, error="所属は一覧から選んでください。"
            )
        try:
            request, new = await asyncio.to_thread(
                self.people.request_registration, actor, form["unit"], form["message"]
            )
        except PeopleError as error:
            return cards.registration_card(units, name=actor.name, form=form, error=str(error))
        if new:
            admins = await asyncio.to_thread(self.people.admin_ids)
            sent = await self.deps.notifier.notify_people(admins, cards.registration_alert_card(request))
            logger.info("registration request from %s: %d administrators notified", request.object_id, sent)
        return cards.registration_sent_card(request, already=not new)


def _message(error: Exception) -> str:
    if isinstance(error, PeopleError):
        return str(error)
    return "入力内容を確認してください（ロールまたはロール対象が正しくありません）。"
