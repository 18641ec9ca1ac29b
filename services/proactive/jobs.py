"""The scheduled jobs, all in one place: what each sends, to whom, and for which period.

- ``delay_alerts`` (business days, ``DELAY_ALERTS_TIME``): every programme's ``due_alerts(as_of)``;
  alerts to DX PRO channels, escalations to the bureau's managers;
- ``training_reminders`` (business days, ``TRAINING_REMINDERS_TIME``): the training programmes'
  reminders (``reminders=`` of the registry: 堺市DX's session reminders and video follow-ups);
- ``weekly_digest`` (``WEEKLY_DIGEST_DAY`` ``WEEKLY_DIGEST_TIME``, or the next business day): each
  manager's bureau digest, to their 1:1 chat;
- ``monthly_digest`` (first business day of the month, ``MONTHLY_DIGEST_TIME``): the city-wide digest
  with delivery problems, to the office channel;
- ``delivery_recovery`` (every few minutes): resumes runs and deliveries whose owner stopped or died;
- ``retention`` (every day, ``RETENTION_TIME``): removes ``Deliveries`` and ``JobRuns`` rows older than
  ``DELIVERY_RETENTION_DAYS``, keeping what exactly-once still needs (see ``deliveries.clean_up``).

A message with nowhere to go yet (no DX PRO channel registered, the bot not installed by a manager) is
not a failed send: the run counts it as ``undeliverable`` and logs the reasons; the monthly office
digest lists it.

A job's *plan* is a plain function of the firing time: it returns the messages to send
(:class:`~services.proactive.deliveries.Outgoing`, each with its natural key) and the ones that have
nowhere to go. :class:`JobRunner` claims the run, records the keys (insert-if-absent) and hands
what it claimed to the :class:`~services.proactive.dispatch.Dispatcher`. Running a job again for the same
period sends only what is missing, so "run now", a second instance and a restart are all safe.

Cards are rendered through the injected :class:`Renderer` (``bot/`` passes functions from
``cards/``), so this module stays free of any card or Bot Framework code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from services.kernel.calendar import JST
from services.kernel.programmes import ProgrammeInfo
from services.proactive.alerts import AlertSource, DueAlert
from services.proactive.channels import ChannelMap
from services.proactive.conversations import ConversationDirectory
from services.proactive.deliveries import (
    DeliveryRecord,
    LeaseLost,
    Outbox,
    Outgoing,
    RunClaim,
    RunInProgress,
    RunLedger,
    RunRecord,
    RunState,
    RunSummary,
    clean_up,
)
from services.proactive.digest import (
    DeliveryProblem,
    Digest,
    InactiveConversation,
    StatusSource,
    manager_digest,
    office_digest,
)
from services.proactive.dispatch import Blocking, Clock, Dispatcher, DispatchReport
from services.proactive.schedule import (
    BusinessDaily,
    Daily,
    Every,
    MonthlyFirstBusinessDay,
    Schedule,
    WeeklyOnBusinessDay,
    day_period,
    latest_fire,
    month_period,
    week_period,
)
from services.proactive.snoozes import SnoozeBook

logger = logging.getLogger(__name__)

DELAY_ALERTS = "delay_alerts"
TRAINING_REMINDERS = "training_reminders"
WEEKLY_DIGEST = "weekly_digest"
MONTHLY_DIGEST = "monthly_digest"
RECOVERY = "delivery_recovery"
RETENTION = "retention"
RETENTION_TIME = time(3, 0)
DEFAULT_RETENTION_DAYS = 180
WEEKDAYS = "月火水木金土日"


def jp_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日（{WEEKDAYS[day.weekday()]}）"


@dataclass(frozen=True)
class ManagerContact:
    object_id: str
    name: str
    bureau: str


class ManagerRoster(Protocol):
    """Who manages which bureau (the people roster, issue 3)."""

    def managers(self) -> Sequence[ManagerContact]: ...


@dataclass(frozen=True)
class StaticRoster:
    contacts: Sequence[ManagerContact] = ()

    def managers(self) -> Sequence[ManagerContact]:
        return list(self.contacts)


class Renderer(Protocol):
    """Turns models into message payloads ``{"card": {...}, "summary": "..."}`` (cards/)."""

    def alert(self, alert: DueAlert, *, today: date, where: str) -> dict[str, Any]: ...

    def digest(self, digest: Digest) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Undeliverable:
    period: str
    target: str  # a stable pseudo-target: "none:manager:財政局"
    label: str
    reason: str  # Japanese, shown in the office digest


@dataclass
class Plan:
    outgoing: list[Outgoing] = field(default_factory=list)
    undeliverable: list[Undeliverable] = field(default_factory=list)
    skipped: int = 0  # snoozed
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class JobSpec:
    name: str
    title: str  # Japanese
    description: str  # Japanese: what it sends to whom
    schedule: Schedule
    period: Callable[[datetime], str]
    plan: Callable[[datetime], Plan] | None  # None: internal (recovery, housekeeping)
    housekeeping: Callable[[datetime], RunSummary] | None = None  # sends nothing; one run per period


@dataclass(frozen=True)
class JobTimes:
    """The settings that place the jobs in the week (see ``services/kernel/settings.py``)."""

    delay_alerts: Any  # datetime.time
    training_reminders: Any
    weekly_digest_day: int
    weekly_digest: Any
    monthly_digest: Any
    recovery_interval: timedelta = timedelta(minutes=5)
    retention_days: int = DEFAULT_RETENTION_DAYS


@dataclass(frozen=True)
class JobView:
    """What the admin's job card shows about one job (a plain model for ``cards/``)."""

    name: str
    title: str
    description: str
    schedule: str  # Japanese
    next_run: datetime | None  # None: the scheduler is not running
    last_period: str = ""
    last_state: str = ""  # "running" | "done" | ""
    last_trigger: str = ""
    last_started: datetime | None = None
    last_finished: datetime | None = None
    last_sent: int = 0
    last_failed: int = 0
    last_skipped: int = 0
    last_undeliverable: int = 0  # nowhere to go yet (no channel registered, bot not installed)
    last_note: str = ""
    runnable: bool = True


def job_view(spec: JobSpec, next_run: datetime | None, last: RunRecord | None) -> JobView:
    shown = (spec.name, spec.title, spec.description, spec.schedule.describe(), next_run)
    if last is None:
        return JobView(*shown, runnable=_runnable(spec))
    return JobView(
        *shown,
        last_period=last.period,
        last_state=last.state.value,
        last_trigger=last.trigger,
        last_started=last.started_at,
        last_finished=last.finished_at,
        last_sent=last.sent,
        last_failed=last.failed,
        last_skipped=last.skipped,
        last_undeliverable=last.undeliverable,
        last_note=last.note,
        runnable=_runnable(spec),
    )


def _runnable(spec: JobSpec) -> bool:
    return spec.plan is not None or spec.housekeeping is not None or spec.name == RECOVERY


@dataclass(frozen=True)
class RunOutcome:
    job: str
    period: str
    status: str  # "done" | "in_progress" | "released" | "failed"
    summary: RunSummary = RunSummary()
    report: DispatchReport | None = None


class ProactivePlanner:
    """Builds each job's plan from the stores and the registered sources."""

    def __init__(
        self,
        *,
        directory: ConversationDirectory,
        channels: ChannelMap,
        snoozes: SnoozeBook,
        outbox: Outbox,
        roster: ManagerRoster,
        renderer: Renderer,
        infos: Sequence[ProgrammeInfo],
        alert_sources: Sequence[AlertSource] = (),
        reminder_sources: Sequence[AlertSource] = (),
        status_sources: Sequence[StatusSource] = (),
        bureaus: Callable[[], Sequence[str]] | None = None,
    ):
        self.directory = directory
        self.channels = channels
        self.snoozes = snoozes
        self.outbox = outbox
        self.roster = roster
        self.renderer = renderer
        self.infos = list(infos)
        self.alert_sources = list(alert_sources)
        self.reminder_sources = list(reminder_sources)
        self.status_sources = list(status_sources)
        self.bureaus = bureaus

    # --- alerts and reminders -----------------------------------------------------------------

    def plan_alerts(self, job: str, sources: Sequence[AlertSource], fire_time: datetime) -> Plan:
        plan = Plan()
        today = fire_time.astimezone(JST).date()
        for source in sources:
            try:
                alerts = list(source.due_alerts(today))
            except Exception as error:
                logger.exception("alert source %s failed", getattr(source, "programme", source))
                plan.notes.append(f"{getattr(source, 'programme', '?')}: {error!r}")
                continue
            for alert in alerts:
                self._plan_alert(job, alert, today, plan)
        return plan

    def _plan_alert(self, job: str, alert: DueAlert, today: date, plan: Plan) -> None:
        snooze = self.snoozes.get(alert.snooze_subject)
        if snooze is not None and snooze.active_on(today):
            plan.skipped += 1
            return
        period = alert.key if snooze is None else f"{alert.key}~{snooze.until.isoformat()}"
        targets, missing = self._alert_targets(alert)
        if missing:
            plan.undeliverable.append(Undeliverable(period, f"none:{missing[0]}", missing[1], missing[2]))
        for conversation_id, label in targets:
            payload = self.renderer.alert(alert, today=today, where=label)
            plan.outgoing.append(Outgoing(job, period, conversation_id, payload, label, alert.snooze_subject))

    def _alert_targets(self, alert: DueAlert) -> tuple[list[tuple[str, str]], tuple[str, str, str] | None]:
        unit = "/".join(p for p in (alert.bureau, alert.department) if p)
        if alert.person:
            record = self.directory.personal_for(alert.person)
            if record is None:
                return [], (
                    f"person:{alert.person}",
                    f"{unit} の受講者（{alert.person}）",
                    "ボットが個人チャットにインストールされていません",
                )
            return [(record.conversation_id, f"{unit} の受講者の個人チャット")], None
        if alert.escalation:
            return self._manager_targets(alert.bureau)
        mapped = self.channels.for_unit(alert.bureau, alert.department)
        if not mapped:
            return [], (
                f"channel:{unit}",
                f"{unit} の DX PRO チャネル",
                "DX PRO チャネルが登録されていません",
            )
        return [(m.conversation_id, m.label) for m in mapped], None

    def _manager_targets(self, bureau: str) -> tuple[list[tuple[str, str]], tuple[str, str, str] | None]:
        managers = [m for m in self.roster.managers() if m.bureau == bureau]
        if not managers:
            return [], (f"manager:{bureau}", f"{bureau} の管理職", "管理職が名簿に登録されていません")
        targets, not_installed = [], []
        for manager in managers:
            record = self.directory.personal_for(manager.object_id)
            if record is None:
                not_installed.append(manager.name)
            else:
                targets.append((record.conversation_id, f"{bureau} 管理職 {manager.name} さんの個人チャット"))
        if not targets:
            names = "、".join(not_installed)
            return [], (
                f"manager:{bureau}",
                f"{bureau} の管理職（{names}）",
                "ボットが個人チャットにインストールされていません",
            )
        return targets, None

    # --- digests ---------------------------------------------------------------------------------

    def plan_weekly(self, fire_time: datetime, weekday: int, schedule_text: str) -> Plan:
        plan = Plan()
        today = fire_time.astimezone(JST).date()
        period = week_period(fire_time, weekday)
        year, week = period.split("-W")
        label = f"{jp_date(date.fromisocalendar(int(year), int(week), 1))}からの週"
        seen: set[tuple[str, str]] = set()
        for manager in self.roster.managers():
            if (manager.object_id, manager.bureau) in seen:
                continue
            seen.add((manager.object_id, manager.bureau))
            record = self.directory.personal_for(manager.object_id)
            where = f"{manager.bureau} 管理職 {manager.name} さんの個人チャット"
            if record is None:
                plan.undeliverable.append(
                    Undeliverable(
                        period,
                        f"none:manager:{manager.object_id}:{manager.bureau}",
                        where,
                        "ボットが個人チャットにインストールされていません",
                    )
                )
                continue
            digest = manager_digest(
                bureau=manager.bureau,
                recipient_name=manager.name,
                as_of=today,
                period_label=label,
                schedule_text=schedule_text,
                sources=self.status_sources,
                infos=self.infos,
            )
            # one message per manager and bureau: the bureau is part of the period
            plan.outgoing.append(
                Outgoing(
                    WEEKLY_DIGEST,
                    f"{period}~{manager.bureau}",
                    record.conversation_id,
                    self.renderer.digest(digest),
                    where,
                )
            )
        return plan

    def plan_monthly(self, fire_time: datetime, schedule_text: str) -> Plan:
        plan = Plan()
        today = fire_time.astimezone(JST).date()
        period = month_period(fire_time)
        previous_month_start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        since = datetime.combine(previous_month_start, datetime.min.time(), tzinfo=JST)
        problems = [_problem(r) for r in self.outbox.failures_since(since)]
        inactive = [
            InactiveConversation(_conversation_label(r), r.updated_at)
            for r in self.directory.all()
            if not r.active
        ]
        mapped_bureaus = {m.bureau for m in self.channels.all() if m.bureau}
        unmapped = sorted(b for b in (self.bureaus() if self.bureaus else ()) if b not in mapped_bureaus)
        digest = office_digest(
            as_of=today,
            period_label=f"{today.year}年{today.month}月",
            schedule_text=schedule_text,
            sources=self.status_sources,
            infos=self.infos,
            problems=problems,
            inactive=inactive,
            unmapped_bureaus=unmapped,
        )
        offices = self.channels.office()
        if not offices:
            plan.undeliverable.append(
                Undeliverable(
                    period,
                    "none:office",
                    "ICTイノベーション推進室のチャネル",
                    "推進室のチャネルが登録されていません",
                )
            )
        payload = self.renderer.digest(digest) if offices else {}
        for mapping in offices:
            plan.outgoing.append(
                Outgoing(MONTHLY_DIGEST, period, mapping.conversation_id, payload, mapping.label)
            )
        return plan


JOB_TITLES = {
    DELAY_ALERTS: "遅延アラート・エスカレーション",
    TRAINING_REMINDERS: "研修リマインダー",
    WEEKLY_DIGEST: "管理職向け週次ダイジェスト",
    MONTHLY_DIGEST: "推進室向け月次ダイジェスト",
    RECOVERY: "未送信メッセージの再送",
    RETENTION: "古い配信記録の削除",
}


def _problem(record: DeliveryRecord) -> DeliveryProblem:
    what = f"{JOB_TITLES.get(record.job, record.job)}"
    reason = record.last_error or "送信できませんでした"
    if record.last_status:
        reason = f"HTTP {record.last_status}: {reason}"
    return DeliveryProblem(record.updated_at, what, record.label or record.target, reason)


def _conversation_label(record: Any) -> str:
    if record.conversation_type == "channel":
        return f"チャネル #{record.channel_name or record.conversation_id}"
    if record.conversation_type == "personal":
        return f"個人チャット（{record.user_aad_object_id or record.conversation_id}）"
    return f"グループチャット（{record.conversation_id}）"


def retention_run(outbox: Outbox, runs: RunLedger, fire_time: datetime, days: int) -> RunSummary:
    """The retention job: remove what is older than ``days`` before the firing (see ``clean_up``)."""
    cutoff = fire_time - timedelta(days=days)
    deliveries, old_runs = clean_up(outbox, runs, cutoff)
    return RunSummary(note=f"{cutoff:%Y-%m-%d} より前の配信記録 {deliveries}件・実行記録 {old_runs}件を削除")


def build_jobs(
    planner: ProactivePlanner, times: JobTimes, runs: RunLedger | None = None
) -> dict[str, JobSpec]:
    """Every job; the retention job joins when the run ledger it cleans is given."""
    weekly = WeeklyOnBusinessDay(times.weekly_digest_day, times.weekly_digest)
    monthly = MonthlyFirstBusinessDay(times.monthly_digest)
    jobs = [
        JobSpec(
            DELAY_ALERTS,
            JOB_TITLES[DELAY_ALERTS],
            "各取組の遅れを DX PRO チャネルへ、期限を過ぎたものを局の管理職へ通知します。",
            BusinessDaily(times.delay_alerts),
            day_period,
            lambda at: planner.plan_alerts(DELAY_ALERTS, planner.alert_sources, at),
        ),
        JobSpec(
            TRAINING_REMINDERS,
            JOB_TITLES[TRAINING_REMINDERS],
            "研修の日程が近づいたら DX PRO チャネルへ、視聴期限を過ぎた研修動画は"
            "未視聴の方の個人チャットへお知らせします。",
            BusinessDaily(times.training_reminders),
            day_period,
            lambda at: planner.plan_alerts(TRAINING_REMINDERS, planner.reminder_sources, at),
        ),
        JobSpec(
            WEEKLY_DIGEST,
            JOB_TITLES[WEEKLY_DIGEST],
            "管理職の個人チャットへ、担当局の取組状況をお送りします。",
            weekly,
            lambda at: week_period(at, times.weekly_digest_day),
            lambda at: planner.plan_weekly(at, times.weekly_digest_day, weekly.describe()),
        ),
        JobSpec(
            MONTHLY_DIGEST,
            JOB_TITLES[MONTHLY_DIGEST],
            "推進室のチャネルへ、全局の状況と配信できなかった宛先をお送りします。",
            monthly,
            month_period,
            lambda at: planner.plan_monthly(at, monthly.describe()),
        ),
        JobSpec(
            RECOVERY,
            JOB_TITLES[RECOVERY],
            "停止や障害で送れなかったメッセージを再送します。",
            Every(times.recovery_interval),
            lambda at: "recovery",
            None,
        ),
    ]
    if runs is not None:
        jobs.append(
            JobSpec(
                RETENTION,
                JOB_TITLES[RETENTION],
                f"{times.retention_days}日より古い配信記録・実行記録を削除します"
                "（送信中のものと、各ジョブの前回の記録は残します）。",
                Daily(RETENTION_TIME),
                day_period,
                None,
                housekeeping=lambda at: retention_run(planner.outbox, runs, at, times.retention_days),
            )
        )
    return {job.name: job for job in jobs}


class JobRunner:
    """Runs jobs: claims the run, records and claims each delivery, dispatches, finishes."""

    def __init__(
        self,
        jobs: dict[str, JobSpec],
        runs: RunLedger,
        outbox: Outbox,
        dispatcher: Dispatcher,
        clock: Clock,
        *,
        blocking: Blocking = asyncio.to_thread,
    ):
        self.jobs = jobs
        self.runs = runs
        self.outbox = outbox
        self.dispatcher = dispatcher
        self.clock = clock
        self._blocking = blocking
        self._background: set[asyncio.Task[Any]] = set()

    async def run(
        self, name: str, fire_time: datetime | None = None, *, trigger: str = "schedule"
    ) -> RunOutcome:
        spec = self.jobs[name]
        if spec.housekeeping is not None:
            return await self._housekeep(spec, fire_time or self.clock.now(), trigger)
        if spec.plan is None:
            report = await self.recover()
            return RunOutcome(
                name, "recovery", "done", RunSummary(sent=report.sent, failed=report.failed), report
            )
        fire_time = fire_time or self.clock.now()
        period = spec.period(fire_time)
        try:
            run = await self._blocking(self.runs.start, name, period, fire_time, trigger)
        except RunInProgress as busy:
            logger.info("job %s for %s is already running on %s", name, period, busy.owner)
            return RunOutcome(name, period, "in_progress")
        holder = _RunHolder(run)
        heartbeat = asyncio.ensure_future(self._heartbeat(holder))
        try:
            plan = await self._blocking(spec.plan, fire_time)
            for item in plan.undeliverable:
                await self._blocking(
                    self.outbox.record_undeliverable, name, item.period, item.target, item.label, item.reason
                )
            enqueued = await self._blocking(self.outbox.enqueue, plan.outgoing, period)
            report = await self.dispatcher.dispatch(enqueued.claims)
            summary = RunSummary(
                planned=len(plan.outgoing) + len(plan.undeliverable),
                sent=report.sent,
                failed=report.failed,
                skipped=plan.skipped + enqueued.already_sent + enqueued.already_failed + enqueued.in_flight,
                note="; ".join(plan.notes),
                undeliverable=tuple(
                    (u.target.split(":")[1] if u.target.count(":") else u.target, u.label, u.reason)
                    for u in plan.undeliverable
                ),
            )
        except Exception:
            logger.exception("job %s for %s failed", name, period)
            await _cancel(heartbeat)
            await self._blocking(self.runs.release, holder.run)
            return RunOutcome(name, period, "failed")
        finally:
            # Also on cancellation: a cancelled run must not leave a heartbeat renewing its lease.
            heartbeat.cancel()
        await _cancel(heartbeat)
        run = holder.run
        if report.released:
            await self._blocking(self.runs.release, run)  # stopped mid-way: resume at the next start
            return RunOutcome(name, period, "released", summary, report)
        try:
            await self._blocking(self.runs.finish, run, summary)
        except LeaseLost:
            logger.warning("run %s/%s was taken over before it finished", name, period)
        logger.info(
            "job %s for %s (fired %s): %s",
            name,
            period,
            fire_time.isoformat(timespec="minutes"),
            summary.describe(),
        )
        if plan.undeliverable:
            reasons = Counter(item.reason for item in plan.undeliverable)
            logger.info(
                "job %s for %s: %d with nowhere to go yet (not failures; listed in the monthly digest): %s",
                name,
                period,
                len(plan.undeliverable),
                "; ".join(f"{reason} × {count}" for reason, count in reasons.most_common()),
            )
        return RunOutcome(name, period, "done", summary, report)

    async def _housekeep(self, spec: JobSpec, fire_time: datetime, trigger: str) -> RunOutcome:
        """A job that sends nothing (retention): claimed like any run, so one instance does it."""
        assert spec.housekeeping is not None
        period = spec.period(fire_time)
        try:
            run = await self._blocking(self.runs.start, spec.name, period, fire_time, trigger)
        except RunInProgress:
            return RunOutcome(spec.name, period, "in_progress")
        try:
            summary = await self._blocking(spec.housekeeping, fire_time)
        except Exception:
            logger.exception("job %s for %s failed", spec.name, period)
            await self._blocking(self.runs.release, run)
            return RunOutcome(spec.name, period, "failed")
        with contextlib.suppress(LeaseLost):
            await self._blocking(self.runs.finish, run, summary)
        logger.info(
            "job %s for %s (fired %s): %s",
            spec.name,
            period,
            fire_time.isoformat(timespec="minutes"),
            summary.describe(),
        )
        return RunOutcome(spec.name, period, "done", summary)

    def run_in_background(self, name: str, *, trigger: str = "manual") -> asyncio.Task[RunOutcome]:
        task = asyncio.ensure_future(self.run(name, trigger=trigger))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _heartbeat(self, holder: _RunHolder) -> None:
        interval = max(1.0, self.runs.lease.total_seconds() / 3)
        try:
            while True:
                await self.clock.sleep(interval)
                holder.run = await self._blocking(self.runs.heartbeat, holder.run)
        except LeaseLost:
            logger.warning("lost the lease of run %s/%s", holder.run.job, holder.run.period)

    async def recover(self) -> DispatchReport:
        """Resume runs whose owner stopped or died, then deliveries left pending."""
        report = DispatchReport()
        for record in await self._blocking(self.runs.stale):
            spec = self.jobs.get(record.job)
            if spec is not None and (spec.plan is not None or spec.housekeeping is not None):
                logger.info("resuming run %s/%s", record.job, record.period)
                outcome = await self.run(record.job, record.fire_time, trigger="recovery")
                if outcome.report:
                    report.merge(outcome.report)
        live = {(r.job, r.period) for r in await self._blocking(self.live_runs)}
        claims = await self._blocking(self.outbox.adopt_stale, lambda job, run: (job, run) in live)
        if claims:
            logger.info("re-sending %d pending deliveries", len(claims))
            report.merge(await self.dispatcher.dispatch(claims))
        return report

    def live_runs(self) -> list[RunRecord]:
        now = self.clock.now()
        return [r for r in self.runs.running() if r.lease_until > now]

    async def catch_up(self, now: datetime | None = None) -> list[RunOutcome]:
        """At start-up: run today's firings that were missed while the app was down."""
        now = now or self.clock.now()
        outcomes = []
        for spec in self.jobs.values():
            if spec.plan is None and spec.housekeeping is None:
                continue
            fire = latest_fire(spec.schedule, now)
            if fire is None:
                continue
            record = await self._blocking(self.runs.get, spec.name, spec.period(fire))
            if record is None or record.state is not RunState.DONE:
                outcomes.append(await self.run(spec.name, fire, trigger="catch-up"))
        return outcomes

    async def stop(self, timeout: float = 30.0) -> None:
        await self.dispatcher.stop(timeout)
        if self._background:
            await asyncio.wait(set(self._background), timeout=timeout)


@dataclass
class _RunHolder:
    run: RunClaim


async def _cancel(task: asyncio.Future[Any]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
