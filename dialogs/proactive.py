"""Proactive messages, the user side: snoozing an alert, and (administrators) registering
channels and looking after the scheduled jobs.

- 「このチャネルを登録」 (an admin @mentions the bot in a channel) → a card to choose what the
  channel is: a bureau's or department's DX PRO channel, or the office channel. The admin card
  lists the channels the bot knows, registered or not, with the same form.
- 「定時の通知」 / the admin card → the jobs, their next run times and last results, and
  「今すぐ実行」.
- The snooze button of an alert: only somebody in a conversation the alert was delivered to (or an
  administrator) may snooze it. Channel registrations and snoozes go to the audit trail.

Channel mapping and running jobs are administrators' (``services.people.permissions``: ``CHANNELS`` and
``SETTINGS`` have no other readers or writers).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from botbuilder.core import TurnContext

from cards import proactive as cards
from dialogs.base import DialogDeps, run_blocking
from services.audit.models import Change
from services.kernel.calendar import JST, DateParseError
from services.kernel.programmes import normalise
from services.people.identity import Actor, OrgUnit
from services.people.permissions import Action, Resource, ResourceKind, require
from services.proactive.channels import ChannelConflict, ChannelMap, ChannelRole, channel_root
from services.proactive.conversations import ConversationDirectory
from services.proactive.deliveries import Outbox
from services.proactive.jobs import JOB_TITLES
from services.proactive.snoozes import SnoozeBook, SnoozeConflict, SnoozeError, parse_snooze_date

logger = logging.getLogger(__name__)

CHANNEL_KEYWORDS = (
    "このチャネルを登録",
    "このチャンネルを登録",
    "チャネルを登録",
    "チャンネルを登録",
    "チャネル登録",
    "チャンネル登録",
)
JOBS_KEYWORDS = ("定時の通知", "配信状況", "ジョブ")


def is_channel_command(text: str) -> bool:
    return normalise(text).replace(" ", "") in {normalise(k) for k in CHANNEL_KEYWORDS}


def is_jobs_command(text: str) -> bool:
    return normalise(text).replace(" ", "") in {normalise(k) for k in JOBS_KEYWORDS}


def _listed(labels: list[str], limit: int = 5) -> str:
    shown = "、".join(labels[:limit])
    return shown + (f" ほか{len(labels) - limit}件" if len(labels) > limit else "")


def run_message(title: str, s: Any) -> str:
    """What 「今すぐ実行」 says: messages with no registered destination are not failures (nothing
    is broken); say which they are and how to register a channel."""
    parts = [f"送信 {s.sent}件"]
    if s.send_failures:
        parts.append(f"送信に失敗 {s.send_failures}件（月次ダイジェストとログで確認できます）")
    parts.append(f"送信済みまたは保留中 {s.skipped}件")
    lines = [f"「{title}」を実行しました: {'・'.join(parts)}。"]
    undeliverable = list(getattr(s, "undeliverable", ()))
    channels = [label for kind, label, _ in undeliverable if kind == "channel"]
    if channels:
        units = [label.removesuffix(" の DX PRO チャネル") for label in channels]
        lines.append(
            "DX PRO チャネルが登録されていないため送らなかった局・部: "
            f"{len(channels)}件（{_listed(units)}）。"
            "送り先にするには、そのチャネルで @ICT推進ボット に「このチャネルを登録」と送るか、"
            "管理メニューの「チャネル登録」から局・部を選んでください。"
        )
    others = [(label, reason) for kind, label, reason in undeliverable if kind != "channel"]
    for reason in dict.fromkeys(r for _, r in others):
        labels = [label for label, r in others if r == reason]
        lines.append(f"送り先がないため送らなかったもの（{reason}）: {len(labels)}件（{_listed(labels)}）。")
    return "\n\n".join(lines)


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


class ProactiveDialog:
    """``proactive.*`` verbs, 「このチャネルを登録」 and 「定時の通知」."""

    def __init__(self, deps: DialogDeps):
        self.deps = deps
        self.channels = ChannelMap(deps.store, deps.clock)
        self.snoozes = SnoozeBook(deps.store, deps.clock)
        self.directory = ConversationDirectory(deps.store, deps.clock)
        # read only: who received an alert (a snooze is allowed from there)
        self.outbox = Outbox(deps.store, deps.clock, "dialog", lease=timedelta(0))

    _run = staticmethod(run_blocking)

    def _today(self) -> date:
        return self.deps.clock().astimezone(JST).date()

    # --- text commands ------------------------------------------------------------------------

    async def register_here(self, turn: TurnContext, actor: Actor) -> dict:
        require(actor.person, Action.WRITE, Resource(ResourceKind.CHANNELS))
        activity = turn.activity
        channel = (
            (activity.channel_data or {}).get("channel") if isinstance(activity.channel_data, dict) else None
        )
        if (
            activity.conversation is None
            or activity.conversation.conversation_type != "channel"
            or not channel
        ):
            return await self._channels(
                actor,
                message="チャネルを登録するには、そのチャネルで @ICT推進ボット に"
                "「このチャネルを登録」と送るか、下の一覧から選んでください。",
            )
        return await self._form(actor, activity.conversation.id, channel.get("name") or "")

    async def jobs(self, actor: Actor, *, message: str | None = None, error: str | None = None) -> dict:
        require(actor.person, Action.READ, Resource(ResourceKind.SETTINGS))
        views = await self._run(self.deps.jobs.views)
        pending = await self._run(self.deps.jobs.pending)
        return cards.jobs_card(
            views,
            scheduler_running=self.deps.jobs.scheduler_running,
            pending=pending,
            message=message,
            error=error,
        )

    # --- card actions ---------------------------------------------------------------------------

    async def act(self, turn: TurnContext, actor: Actor, verb: str, data: dict[str, Any]) -> dict:
        if verb == cards.SNOOZE_VERB:
            return await self._snooze(turn, actor, data)
        if verb == cards.JOBS_VERB:
            return await self.jobs(actor)
        if verb == cards.RUN_JOB_VERB:
            return await self._run_job(actor, _text(data, "job"))
        if verb == cards.CHANNELS_VERB:
            return await self._channels(actor)
        if verb == cards.CHANNEL_FORM_VERB:
            require(actor.person, Action.WRITE, Resource(ResourceKind.CHANNELS))
            conversation_id = _text(data, "conversation_id")
            record = await self._run(self.directory.get, channel_root(conversation_id))
            return await self._form(actor, conversation_id, record.channel_name if record else "")
        if verb == cards.MAP_CHANNEL_VERB:
            return await self._map(actor, data)
        if verb == cards.UNMAP_CHANNEL_VERB:
            return await self._unmap(actor, data)
        logger.info("unknown proactive verb %r", verb[:100])
        return await self.jobs(actor, error="このボタンは古いカードのもののようです。")

    async def _run_job(self, actor: Actor, job: str) -> dict:
        require(actor.person, Action.WRITE, Resource(ResourceKind.SETTINGS))
        title = JOB_TITLES.get(job)
        if title is None:
            return await self.jobs(actor, error="そのジョブは見つかりませんでした。")
        logger.info("%s runs job %s now", actor.object_id, job)
        outcome = await self.deps.jobs.run_now(job)
        if outcome is None:
            message = (
                f"「{title}」を開始しました。送信には少し時間がかかります。"
                "「最新の状態に更新」で結果を確認できます。"
            )
        elif outcome.status == "in_progress":
            message = f"「{title}」は別のインスタンスで実行中です。終わってから結果を確認してください。"
        elif outcome.status == "failed":
            return await self.jobs(
                actor, error=f"「{title}」の実行中に問題が発生しました。ログを確認してください。"
            )
        else:
            message = run_message(title, outcome.summary)
        return await self.jobs(actor, message=message)

    # --- channels -------------------------------------------------------------------------------

    async def _units(self, actor: Actor) -> list[OrgUnit]:
        organisation = await self._run(self.deps.people.organisation, actor.person)
        return [u for u in organisation.sorted() if u.level <= 2]

    async def _form(
        self,
        actor: Actor,
        conversation_id: str,
        channel_name: str,
        *,
        error: str | None = None,
        value: str = "",
    ) -> dict:
        units = await self._units(actor)
        current = await self._run(self.channels.get, conversation_id)
        choices = [{"title": u.path, "value": u.path} for u in units]
        return cards.channel_form_card(
            channel_root(conversation_id), channel_name, choices, current=current, error=error, value=value
        )

    async def _channels(self, actor: Actor, *, message: str | None = None) -> dict:
        require(actor.person, Action.READ, Resource(ResourceKind.CHANNELS))
        mappings = await self._run(self.channels.all)
        mapped = {m.conversation_id for m in mappings}
        records = await self._run(self.directory.all, active_only=True)
        unmapped = [
            (r.conversation_id, f"#{r.channel_name or r.conversation_id}")
            for r in records
            if r.conversation_type == "channel" and channel_root(r.conversation_id) not in mapped
        ]
        return cards.channels_card(mappings, unmapped, message=message)

    async def _map(self, actor: Actor, data: dict[str, Any]) -> dict:
        require(actor.person, Action.WRITE, Resource(ResourceKind.CHANNELS))
        conversation_id = channel_root(_text(data, "conversation_id"))
        channel_name = _text(data, "channel_name")
        choice = _text(data, cards.UNIT_INPUT)
        if not conversation_id:
            return await self._channels(
                actor, message="チャネルが分かりませんでした。一覧から選び直してください。"
            )
        units = await self._units(actor)
        if choice == cards.OFFICE_CHOICE:
            role, unit = ChannelRole.OFFICE, None
        else:
            try:
                unit = OrgUnit.parse(choice)
            except ValueError:
                unit = None
            if unit is None or unit not in units:
                return await self._form(
                    actor,
                    conversation_id,
                    channel_name,
                    value=choice,
                    error="局・部を一覧から選んでください。",
                )
            role = ChannelRole.DX_PRO
        record = await self._run(self.directory.get, conversation_id)
        before = await self._run(self.channels.get, conversation_id)
        seen = data.get(cards.SEEN_MAPPING)  # absent on cards sent before this check existed
        wanted = (role, unit.bureau if unit else "", unit.department if unit else "")

        def same(mapping: Any) -> bool:
            return (
                mapping is not None
                and mapping.mapped_by_id == actor.object_id
                and (mapping.role, mapping.bureau, mapping.department) == wanted
            )

        if isinstance(seen, str) and seen != ((before.etag or "") if before is not None else ""):
            if same(before):  # their own registration, sent again from the same card
                return cards.channel_mapped_card(before, already=True)
            return await self._mapping_conflict(actor, conversation_id, channel_name, choice, before)
        after = {
            "role": role.value,
            "bureau": unit.bureau if unit else "",
            "department": unit.department if unit else "",
            "channel_name": channel_name,
        }
        change = Change(
            "channel_mapping",
            conversation_id,
            "update" if before else "create",
            before.as_dict() if before else None,
            after,
        )

        def write():
            return self.channels.map(
                conversation_id,
                role,
                bureau=after["bureau"],
                department=after["department"],
                channel_name=channel_name or (record.channel_name if record else ""),
                team_id=record.team_id if record else "",
                mapped_by=actor.name,
                mapped_by_id=actor.object_id,
                **({"expected": before} if isinstance(seen, str) else {}),
            )

        try:
            _, mapping = await self._run(self.deps.people.audit.apply, actor, [change], write)
        except ChannelConflict as conflict:  # another admin registered it at the same moment
            if same(conflict.current):
                return cards.channel_mapped_card(conflict.current, already=True)
            return await self._mapping_conflict(
                actor, conversation_id, channel_name, choice, conflict.current
            )
        return cards.channel_mapped_card(mapping)

    async def _mapping_conflict(
        self, actor: Actor, conversation_id: str, channel_name: str, choice: str, current: Any
    ) -> dict:
        """The form again, with the registration somebody else made first and the sender's choice kept."""
        if current is None:
            error = (
                "ほかの管理者がこのチャネルの登録を先に解除しました。この内容で登録する場合は、"
                "もう一度「登録する」を押してください。"
            )
        else:
            error = (
                f"ほかの管理者（{current.mapped_by or '不明'}）が先に、このチャネルを{current.label}として"
                "登録しました。選んだ内容に変える場合は、もう一度「登録する」を押してください。"
            )
        return await self._form(actor, conversation_id, channel_name, value=choice, error=error)

    async def _unmap(self, actor: Actor, data: dict[str, Any]) -> dict:
        require(actor.person, Action.WRITE, Resource(ResourceKind.CHANNELS))
        conversation_id = channel_root(_text(data, "conversation_id"))
        before = await self._run(self.channels.get, conversation_id)
        if before is None:
            return await self._channels(actor, message="そのチャネルは登録されていません。")
        seen = data.get(cards.SEEN_MAPPING)
        if isinstance(seen, str) and seen != (before.etag or ""):
            return await self._form(
                actor,
                conversation_id,
                before.channel_name,
                error=(
                    "ほかの管理者がこのチャネルの登録を先に変更しました。下の現在の登録を確認し、解除する場合は"
                    "もう一度「登録を解除する」を押してください。"
                ),
            )
        change = Change("channel_mapping", conversation_id, "delete", before.as_dict(), None)
        expected = {"expected": before} if isinstance(seen, str) else {}
        try:
            await self._run(
                self.deps.people.audit.apply,
                actor,
                [change],
                lambda: self.channels.unmap(conversation_id, **expected),
            )
        except ChannelConflict:
            return await self._form(
                actor,
                conversation_id,
                before.channel_name,
                error=(
                    "ほかの管理者が同時にこのチャネルの登録を変更しました。下の現在の登録を確認してください。"
                ),
            )
        return cards.channel_mapped_card(before, removed=True)

    # --- snooze ---------------------------------------------------------------------------------

    async def _snooze(self, turn: TurnContext, actor: Actor, data: dict[str, Any]) -> dict:
        fields = {
            k: _text(data, k) for k in ("alert_key", "subject", "programme", "bureau", "title", "escalation")
        }
        if not fields["subject"]:
            return cards.not_snoozable_card(
                "この通知の情報が読み取れませんでした。最新の通知から操作してください。"
            )
        conversation = channel_root(turn.activity.conversation.id if turn.activity.conversation else "")
        recipient = await self._run(self.outbox.delivered, fields["subject"], conversation)
        if not recipient and not actor.person.is_admin:
            return cards.not_snoozable_card(
                "通知を保留できるのは、その通知を受け取った会話の方とICTイノベーション推進室（管理者）です。"
            )
        today = self._today()
        chosen = _text(data, cards.SNOOZE_INPUT)
        try:
            until = parse_snooze_date(chosen, today)
        except (SnoozeError, DateParseError) as error:
            return cards.snooze_form_card(fields, today, value=chosen, error=str(error))
        before = await self._run(self.snoozes.get, fields["subject"])
        # an expired snooze counts as none: the alert came again, as if never snoozed
        before_shown = before if before is not None and before.active_on(today) else None
        seen = _text(data, cards.SEEN_SNOOZE)  # the snooze the conflict form showed (its ETag)
        if before_shown is not None and not (seen and seen == before_shown.etag):
            # The alert card showed no snooze: this one is new to the sender (a shared card).
            if before_shown.by_id == actor.object_id and before_shown.until == until:
                return cards.snoozed_card(fields, until, actor.name, already=True)  # their own, again
            return self._snooze_conflict(fields, today, chosen, before_shown, actor)
        after = {
            "until": until.isoformat(),
            "alert_key": fields["alert_key"],
            "by": actor.name,
            "conversation": conversation,
        }
        change = Change(
            "alert_snooze",
            fields["subject"],
            "update" if before else "create",
            before.as_dict() if before else None,
            after,
            reason=f"{until.isoformat()}まで保留",
        )

        def write():
            return self.snoozes.snooze(
                subject=fields["subject"],
                until=until,
                alert_key=fields["alert_key"],
                programme=fields["programme"],
                bureau=fields["bureau"],
                by_id=actor.object_id,
                by_name=actor.name,
                expected=before,
            )

        try:
            await self._run(self.deps.people.audit.apply, actor, [change], write)
        except SnoozeConflict as conflict:  # another member snoozed it at the same moment
            current = conflict.current
            if current is not None and current.by_id == actor.object_id and current.until == until:
                return cards.snoozed_card(fields, until, actor.name, already=True)
            return self._snooze_conflict(fields, today, chosen, current, actor)
        return cards.snoozed_card(fields, until, actor.name)

    @staticmethod
    def _snooze_conflict(
        fields: dict[str, str], today: date, chosen: str, current: Any, actor: Actor
    ) -> dict:
        """The snooze form again, with the snooze somebody else saved first and the sender's date kept."""
        if current is None:
            return cards.snooze_form_card(
                fields,
                today,
                value=chosen,
                error="ほかの方が同時にこの通知の保留を変更しました。もう一度お試しください。",
            )
        who = "あなた" if current.by_id == actor.object_id else f"{current.by_name} さん"
        return cards.snooze_form_card(
            {**fields, cards.SEEN_SNOOZE: current.etag or ""},
            today,
            value=chosen,
            error=(
                f"この通知は、{who}が先に{current.until.month}月{current.until.day}日まで保留しています。"
                "選んだ日付に変える場合は、もう一度「この日まで保留する」を押してください。"
            ),
        )
