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

import asyncio
import logging
from datetime import date, timedelta
from typing import Any

from botbuilder.core import TurnContext

from cards import proactive as cards
from dialogs.base import DialogDeps
from services.audit.models import Change
from services.kernel.calendar import JST, DateParseError
from services.kernel.programmes import normalise
from services.people.identity import Actor, OrgUnit
from services.people.permissions import Action, Resource, ResourceKind, require
from services.proactive.channels import ChannelMap, ChannelRole, channel_root
from services.proactive.conversations import ConversationDirectory
from services.proactive.deliveries import Outbox
from services.proactive.jobs import JOB_TITLES
from services.proactive.snoozes import SnoozeBook, SnoozeError, parse_snooze_date

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

    async def _run(self, function, *args, **kwargs):
        return await asyncio.to_thread(function, *args, **kwargs)

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
            message = (f"「{title}」を開始しました。送信には少し時間がかかります。"
                       "「最新の状態に更新」で結果を確認できます。")
        elif outcome.status == "in_progress":
            message = f"「{title}」は別のインスタンスで実行中です。終わってから結果を確認してください。"
        elif outcome.status == "failed":
            return await self.jobs(
                actor, error=f"「{title}」の実行中に問題が発生しました。ログを確認してください。"
            )
        else:
            s = outcome.summary
            message = (
                f"「{title}」を実行しました: 送信 {s.sent}件・送信できなかったもの {s.failed}件・"
                f"送信済みまたは保留中 {s.skipped}件。"
            )
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
            )

        _, mapping = await self._run(self.deps.people.audit.apply, actor, [change], write)
        return cards.channel_mapped_card(mapping)

    async def _unmap(self, actor: Actor, data: dict[str, Any]) -> dict:
        require(actor.person, Action.WRITE, Resource(ResourceKind.CHANNELS))
        conversation_id = channel_root(_text(data, "conversation_id"))
        before = await self._run(self.channels.get, conversation_id)
        if before is None:
            return await self._channels(actor, message="そのチャネルは登録されていません。")
        change = Change("channel_mapping", conversation_id, "delete", before.as_dict(), None)
        await self._run(
            self.deps.people.audit.apply, actor, [change], lambda: self.channels.unmap(conversation_id)
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
            )

        await self._run(self.deps.people.audit.apply, actor, [change], write)
        return cards.snoozed_card(fields, until, actor.name)
