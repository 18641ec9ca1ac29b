"""Scheduled jobs and proactive delivery, wired together; APScheduler lives only here.

:class:`ProactiveRuntime` builds the pieces of ``services/`` (outbox, run ledger, dispatcher,
planner, runner) over the app's store, with :class:`~bot.proactive.ProactiveSender` as the
transport, and owns one APScheduler ``AsyncIOScheduler`` on the app's event loop in Asia/Tokyo.

- ``start()`` (aiohttp ``on_startup``): when ``SCHEDULER_ENABLED``, registers every job of
  ``services.proactive.jobs.build_jobs`` (one trigger per job, computed by
  ``services.proactive.schedule``, so the
  next run time shown is holiday-aware), starts the scheduler, and in the background resumes
  what a previous process left pending and runs today's missed firings.
- ``stop()`` (aiohttp ``on_cleanup``): stops the scheduler, lets sends on the wire finish and
  gives the remaining leases back, so the next start sends them.

Tests build the app with ``Settings(scheduler_enabled=False)`` (the dataclass default): no timer
is ever started; they call the runner directly with a fake clock.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from botbuilder.integration.aiohttp import CloudAdapter

from bot.proactive import ProactiveSender
from bot.programmes import PROGRAMMES, Programme
from bot.settings import TIMEZONE, Settings
from cards.proactive import CardRenderer
from dialogs.base import DialogDeps
from services.people.identity import Role, system_actor
from services.people.organisation import load_organisation
from services.people.service import PeopleService
from services.proactive.channels import ChannelMap
from services.proactive.conversations import ConversationDirectory
from services.proactive.deliveries import Outbox, RunLedger
from services.proactive.dispatch import Clock, Dispatcher, Sender, SystemClock
from services.proactive.jobs import (
    JobRunner,
    JobSpec,
    JobTimes,
    JobView,
    ManagerContact,
    ProactivePlanner,
    RunOutcome,
    build_jobs,
    job_view,
)
from services.proactive.pacing import Pacer, RetryPolicy, Window
from services.proactive.schedule import Schedule
from services.proactive.snoozes import SnoozeBook
from storage.base import TableStore

logger = logging.getLogger(__name__)


class ScheduleTrigger(BaseTrigger):
    """An APScheduler trigger that asks a ``services.proactive.schedule`` schedule for the next firing."""

    def __init__(self, schedule: Schedule):
        self.schedule = schedule

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime:
        after = max(previous_fire_time, now) if previous_fire_time else now - timedelta(microseconds=1)
        return self.schedule.next_fire(after)

    def __str__(self) -> str:
        return self.schedule.describe()


class PeopleRoster:
    """The managers on the roster (role ``manager``), each with the bureau of every scope."""

    def __init__(self, people: PeopleService):
        self._people = people
        self._viewer = system_actor("定時の通知", "scheduler").person

    def managers(self) -> list[ManagerContact]:
        contacts: dict[tuple[str, str], ManagerContact] = {}
        for person in self._people.everyone(self._viewer):
            for scope in person.scopes(Role.MANAGER):
                contacts.setdefault(
                    (person.object_id, scope.bureau),
                    ManagerContact(person.object_id, person.name, scope.bureau),
                )
        return list(contacts.values())


def instance_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class ProactiveRuntime:
    def __init__(
        self,
        settings: Settings,
        store: TableStore,
        adapter: CloudAdapter,
        directory: ConversationDirectory,
        people: PeopleService,
        *,
        now: Callable[[], datetime],
        programmes: Sequence[Programme] = PROGRAMMES,
        clock: Clock | None = None,
        sender: Sender | None = None,
        owner: str | None = None,
    ):
        self.settings = settings
        self.clock = clock or SystemClock(now)
        self.owner = owner or instance_id()
        lease = timedelta(seconds=settings.delivery_lease_seconds)
        self.directory = directory
        self.channels = ChannelMap(store, self.clock.now)
        self.snoozes = SnoozeBook(store, self.clock.now)
        self.outbox = Outbox(store, self.clock.now, self.owner, lease)
        self.runs = RunLedger(store, self.clock.now, self.owner, lease)
        source_deps = DialogDeps(store=store, clock=self.clock.now, people=people, settings=settings)
        infos = [p.info for p in programmes]
        self.planner = ProactivePlanner(
            directory=directory,
            channels=self.channels,
            snoozes=self.snoozes,
            outbox=self.outbox,
            roster=PeopleRoster(people),
            renderer=CardRenderer(
                {i.key: (i.icon, i.title) for i in infos},
                {p.info.key: p.alert_card for p in programmes if p.alert_card},
            ),
            infos=infos,
            alert_sources=[p.alerts(source_deps) for p in programmes if p.alerts],
            reminder_sources=[p.reminders(source_deps) for p in programmes if p.reminders],
            status_sources=[p.status(source_deps) for p in programmes if p.status],
            bureaus=lambda: [u.bureau for u in load_organisation(store).bureaus],
        )
        pacer = Pacer(
            conversation_windows=settings.proactive_conversation_limits,
            app_windows=(Window(settings.proactive_app_rate, 1.0),),
        )
        self.sender = sender or ProactiveSender(adapter, directory, settings.app_id)
        self.dispatcher = Dispatcher(
            self.outbox,
            self.sender,
            pacer,
            self.clock,
            policy=RetryPolicy(max_attempts=settings.proactive_max_attempts),
            on_gone=directory.deactivate,
        )
        times = JobTimes(
            settings.delay_alerts_time,
            settings.training_reminders_time,
            settings.weekly_digest_day,
            settings.weekly_digest_time,
            settings.monthly_digest_time,
            timedelta(minutes=settings.delivery_recovery_minutes),
            settings.delivery_retention_days,
        )
        self.jobs: dict[str, JobSpec] = build_jobs(self.planner, times, self.runs)
        self.runner = JobRunner(self.jobs, self.runs, self.outbox, self.dispatcher, self.clock)
        self.scheduler: AsyncIOScheduler | None = None
        self._startup: asyncio.Task[Any] | None = None

    # --- lifecycle (aiohttp on_startup / on_cleanup) --------------------------------------------

    @property
    def scheduler_running(self) -> bool:
        return self.scheduler is not None and self.scheduler.running

    async def start(self) -> None:
        if not self.settings.scheduler_enabled:
            logger.info("scheduler disabled (SCHEDULER_ENABLED=false): no scheduled jobs on this instance")
            return
        scheduler = AsyncIOScheduler(timezone=TIMEZONE)
        for spec in self.jobs.values():
            scheduler.add_job(
                self._fire,
                ScheduleTrigger(spec.schedule),
                args=[spec.name],
                id=spec.name,
                name=spec.title,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=3600,
            )
        scheduler.start()
        self.scheduler = scheduler
        logger.info(
            "scheduler started (%s): %s",
            self.owner,
            ", ".join(
                f"{j.id} at {j.next_run_time.isoformat(timespec='minutes')}" for j in scheduler.get_jobs()
            ),
        )
        self._startup = asyncio.ensure_future(self._resume())

    async def _resume(self) -> None:
        try:
            await self.runner.recover()
            await self.runner.catch_up()
        except Exception:
            logger.exception("resuming pending deliveries at start-up failed")

    async def _fire(self, name: str) -> None:
        try:
            await self.runner.run(name)
        except Exception:
            logger.exception("scheduled job %s failed", name)

    async def stop(self, timeout: float = 30.0) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn
        if self._startup is not None and not self._startup.done():
            self._startup.cancel()
        await self.runner.stop(timeout)

    # --- the admin card's view (dialogs.base.JobControl) ----------------------------------------

    def next_run(self, name: str) -> datetime | None:
        if not self.scheduler_running:
            return None
        job = self.scheduler.get_job(name)  # type: ignore[union-attr]
        return job.next_run_time if job else None

    def views(self) -> list[JobView]:
        return [
            job_view(spec, self.next_run(name), self.runs.latest(name)) for name, spec in self.jobs.items()
        ]

    def pending(self) -> int:
        return self.outbox.pending_count()

    async def run_now(self, job: str, wait_seconds: float = 3.0) -> RunOutcome | None:
        if job not in self.jobs:
            raise KeyError(job)
        task = self.runner.run_in_background(job, trigger="manual")
        done, _ = await asyncio.wait({task}, timeout=wait_seconds)
        return task.result() if done else None
