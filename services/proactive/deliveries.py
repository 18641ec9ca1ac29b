"""Exactly-once delivery of proactive messages: the outbox and the job-run ledger.

Every alert or digest has a natural key ``(job, period, target)``: the job (``weekly_digest``),
the period it is about (``2026-W02``, or an alert's own key) and the conversation it goes to.

**Outbox** (table ``Deliveries``, partition = job). Before a message is sent its key is
*inserted if absent*, as ``pending``, owned by this process with a lease (``owner``,
``lease_until``). Only the process whose insert succeeded sends it, then marks it ``sent``
(or ``failed`` with the reason). A second instance firing the same job inserts nothing new, so it
sends nothing. A ``pending`` row whose lease has run out (its owner stopped or died) is taken over
with an ETag-conditional write: of two live instances only one can win that write, so they never
both send. The owner renews its lease before every attempt, so a slow, throttled send is not
taken over while it is still being tried.

**Runs** (table ``JobRuns``, partition = job, row = period). A job's fan-out for one period is
claimed the same way, so only one instance computes and sends a given run at a time (which keeps
the app within its 30 requests/s), and a run whose owner died is resumed by whoever sees its
expired lease: at start-up, or by the recovery sweep. Re-running a period is harmless: every
message it would send is already in the outbox.

**Retention.** Rows older than the retention (``DELIVERY_RETENTION_DAYS``, 180 days) are removed by a
daily job (:func:`clean_up`), except what exactly-once still needs: a delivery in progress (``pending``)
and a key still planned within the retention (a plan that finds its key already sent or failed stamps
it ``seen_at``, at most once a day, so an alert that stays due for months keeps its key), and for runs,
one still running and the last run of each job.

The one window this cannot close: a process killed *during* an HTTP send, after Teams accepted
the message but before ``sent`` was written, leaves a ``pending`` row that is sent again later.
A graceful stop waits for in-flight sends, so only a hard crash can cause that one duplicate.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.base import Entity, EntityExists, EntityNotFound, ETagMismatch, TableStore

DELIVERIES = "Deliveries"
RUNS = "JobRuns"
NEVER = datetime(2000, 1, 1, tzinfo=UTC)
_FORBIDDEN = str.maketrans({c: f"%{ord(c):02X}" for c in "/\\#?%|"})
_MAX_KEY = 480
#: A key found again by a plan is stamped ``seen_at`` at most this often (retention counts from it).
SEEN_EVERY = timedelta(days=1)


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class RunState(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"


class LeaseLost(Exception):
    """Another instance took this delivery or run over (its lease had run out)."""


class RunInProgress(Exception):
    """A live instance is running this job for this period right now."""

    def __init__(self, owner: str, started_at: datetime):
        super().__init__(f"running on {owner} since {started_at.isoformat()}")
        self.owner = owner
        self.started_at = started_at


def key_part(text: str) -> str:
    """A storage-safe, reversible-enough key component (hashed when very long)."""
    escaped = "".join(ch if ch.isprintable() else f"%{ord(ch):02X}" for ch in text.translate(_FORBIDDEN))
    if len(escaped) <= _MAX_KEY // 2:
        return escaped
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]
    return f"{escaped[: _MAX_KEY // 2 - 26]}~{digest}"


def delivery_row_key(period: str, target: str) -> str:
    return f"{key_part(period)}|{key_part(target)}"


@dataclass(frozen=True)
class Outgoing:
    """One message to deliver: where, what, and its natural key."""

    job: str
    period: str
    target: str  # conversation id
    payload: dict[str, Any]  # {"card": {...}, "summary": "..."}; bot/proactive.py sends it
    label: str = ""  # who/where, in Japanese, for reports: 「財政局の DX PRO チャネル」
    subject: str = ""  # the alert subject (snoozes), if any

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.job, self.period, self.target)


@dataclass(frozen=True)
class Claim:
    """A pending delivery this process holds the lease of."""

    job: str
    period: str
    target: str
    payload: dict[str, Any]
    label: str
    attempts: int
    lease_until: datetime
    etag: str
    properties: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.job, self.period, self.target)


@dataclass(frozen=True)
class DeliveryRecord:
    job: str
    period: str
    target: str
    label: str
    state: DeliveryState
    attempts: int
    created_at: datetime
    updated_at: datetime
    last_status: int | None
    last_error: str
    subject: str = ""


@dataclass(frozen=True)
class EnqueueResult:
    claims: list[Claim]  # ours to send now: newly inserted, or adopted after an expired lease
    already_sent: int = 0
    already_failed: int = 0
    in_flight: int = 0  # pending under another live owner


def _record(entity: Entity) -> DeliveryRecord:
    status = entity.get("last_status")
    return DeliveryRecord(
        job=entity.partition_key,
        period=entity.get("period", ""),
        target=entity.get("target", ""),
        label=entity.get("label", ""),
        state=DeliveryState(entity.get("state", DeliveryState.PENDING)),
        attempts=int(entity.get("attempts", 0)),
        created_at=entity.get("created_at", NEVER),
        updated_at=entity.get("updated_at", NEVER),
        last_status=int(status) if status is not None else None,
        last_error=entity.get("last_error", ""),
        subject=entity.get("subject", ""),
    )


class Outbox:
    def __init__(self, store: TableStore, clock: Callable[[], datetime], owner: str, lease: timedelta):
        self._store = store
        self._clock = clock
        self.owner = owner
        self.lease = lease

    # --- claiming -------------------------------------------------------------------------------

    def enqueue(self, items: Iterable[Outgoing], run_period: str = "") -> EnqueueResult:
        """Insert each message if absent (claimed by us); adopt pending ones whose lease ran out.

        ``run_period`` names the run that planned them, so recovery leaves a live run's queue alone.
        """
        claims: list[Claim] = []
        sent = failed = in_flight = 0
        for item in items:
            now = self._clock()
            props = {
                "period": item.period,
                "target": item.target,
                "label": item.label,
                "subject": item.subject,
                "run_period": run_period,
                "state": DeliveryState.PENDING.value,
                "owner": self.owner,
                "lease_until": now + self.lease,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
                "payload_json": json.dumps(item.payload, ensure_ascii=False, separators=(",", ":")),
            }
            entity = Entity(item.job, delivery_row_key(item.period, item.target), props)
            try:
                claims.append(self._claim(self._store.insert(DELIVERIES, entity)))
                continue
            except EntityExists:
                pass
            existing = self._store.get(DELIVERIES, entity.partition_key, entity.row_key)
            if existing is None:
                continue  # deleted in between: leave it (a later run re-creates it)
            state = existing.get("state")
            if state == DeliveryState.SENT:
                sent += 1
                self._seen(existing)
            elif state == DeliveryState.FAILED:
                failed += 1
                self._seen(existing)
            else:
                adopted = self._adopt(existing)
                if adopted is None:
                    in_flight += 1
                else:
                    claims.append(adopted)
        return EnqueueResult(claims, sent, failed, in_flight)

    def _seen(self, entity: Entity) -> None:
        """Stamp a settled key that a plan wanted again (at most once a day), so that retention keeps
        it as long as it is still planned. Losing the race to another writer is fine."""
        now = self._clock()
        if _last_touched(entity) > now - SEEN_EVERY:
            return
        props = {**entity.properties, "seen_at": now}
        with contextlib.suppress(ETagMismatch, EntityNotFound):
            self._store.upsert(
                DELIVERIES, Entity(entity.partition_key, entity.row_key, props), etag=entity.etag
            )

    def adopt_stale(self, busy: Callable[[str, str], bool] | None = None) -> list[Claim]:
        """Take over every pending delivery whose owner's lease has run out (recovery).

        ``busy(job, run_period)`` says a live run still owns the delivery's queue: leave those.
        """
        claims = []
        for entity in self._store.query(DELIVERIES, None, {"state": DeliveryState.PENDING.value}):
            if busy is not None and busy(entity.partition_key, entity.get("run_period", "")):
                continue
            claim = self._adopt(entity)
            if claim is not None:
                claims.append(claim)
        return claims

    def _adopt(self, entity: Entity) -> Claim | None:
        now = self._clock()
        mine = entity.get("owner") == self.owner
        if not mine and entity.get("lease_until", NEVER) > now:
            return None
        props = {**entity.properties, "owner": self.owner, "lease_until": now + self.lease, "updated_at": now}
        try:
            written = self._store.upsert(
                DELIVERIES, Entity(entity.partition_key, entity.row_key, props), etag=entity.etag
            )
        except (ETagMismatch, EntityNotFound):
            return None  # somebody else adopted it first
        return self._claim(written)

    @staticmethod
    def _claim(entity: Entity) -> Claim:
        return Claim(
            job=entity.partition_key,
            period=entity["period"],
            target=entity["target"],
            payload=json.loads(entity["payload_json"]),
            label=entity.get("label", ""),
            attempts=int(entity.get("attempts", 0)),
            lease_until=entity["lease_until"],
            etag=entity.etag or "",
            properties=dict(entity.properties),
        )

    def _write(self, claim: Claim, **changes: Any) -> Entity:
        props = {**claim.properties, **changes, "updated_at": self._clock()}
        entity = Entity(claim.job, delivery_row_key(claim.period, claim.target), props)
        try:
            return self._store.upsert(DELIVERIES, entity, etag=claim.etag)
        except (ETagMismatch, EntityNotFound) as error:
            raise LeaseLost(f"delivery {claim.key} was taken over") from error

    # --- while sending --------------------------------------------------------------------------

    def lease_left(self, claim: Claim) -> timedelta:
        return claim.lease_until - self._clock()

    def renew(self, claim: Claim, at_least: timedelta = timedelta(0)) -> Claim:
        """Extend the lease by the usual term, or ``at_least`` if that is longer (a long
        ``Retry-After`` wait); raises :class:`LeaseLost` if taken over."""
        until = self._clock() + max(self.lease, at_least)
        return self._claim(self._write(claim, lease_until=until, owner=self.owner, attempts=claim.attempts))

    def mark_sent(self, claim: Claim) -> None:
        now = self._clock()
        self._write(
            claim,
            state=DeliveryState.SENT.value,
            sent_at=now,
            lease_until=now,
            payload_json="{}",
            attempts=claim.attempts,
        )

    def mark_failed(self, claim: Claim, status: int | None, error: str) -> None:
        now = self._clock()
        self._write(
            claim,
            state=DeliveryState.FAILED.value,
            last_status=status,
            last_error=error[:500],
            lease_until=now,
            attempts=claim.attempts,
        )

    def release(self, claim: Claim) -> None:
        """Give the lease back (graceful stop): the next start, or another instance, sends it."""
        with contextlib.suppress(LeaseLost):
            self._write(claim, lease_until=NEVER, attempts=claim.attempts)

    def record_undeliverable(self, job: str, period: str, target: str, label: str, reason: str) -> bool:
        """Record once that a message had nowhere to go (no mapped channel, bot not installed)."""
        now = self._clock()
        props = {
            "period": period,
            "target": target,
            "label": label,
            "state": DeliveryState.FAILED.value,
            "owner": self.owner,
            "lease_until": now,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
            "last_error": reason[:500],
            "payload_json": "{}",
        }
        try:
            self._store.insert(DELIVERIES, Entity(job, delivery_row_key(period, target), props))
            return True
        except EntityExists:
            existing = self._store.get(DELIVERIES, job, delivery_row_key(period, target))
            if existing is not None and existing.get("state") != DeliveryState.PENDING:
                self._seen(existing)
            return False

    # --- reading --------------------------------------------------------------------------------

    def get(self, job: str, period: str, target: str) -> DeliveryRecord | None:
        entity = self._store.get(DELIVERIES, job, delivery_row_key(period, target))
        return _record(entity) if entity else None

    def records(self, job: str | None = None) -> Iterator[DeliveryRecord]:
        return (_record(e) for e in self._store.query(DELIVERIES, job))

    def failures_since(self, since: datetime) -> list[DeliveryRecord]:
        found = [
            _record(e) for e in self._store.query(DELIVERIES, None, {"state": DeliveryState.FAILED.value})
        ]
        return sorted((r for r in found if r.updated_at >= since), key=lambda r: r.updated_at)

    def delivered(self, subject: str, target: str) -> bool:
        """Whether a message about ``subject`` (an alert's snooze subject) went to ``target``."""
        where = {"subject": subject, "target": target, "state": DeliveryState.SENT.value}
        return any(True for _ in self._store.query(DELIVERIES, None, where))

    def pending_count(self) -> int:
        return sum(1 for _ in self._store.query(DELIVERIES, None, {"state": DeliveryState.PENDING.value}))

    # --- retention ------------------------------------------------------------------------------

    def remove_older_than(self, cutoff: datetime) -> int:
        """Delete settled deliveries (sent or failed) last written or planned before ``cutoff``.
        Pending ones stay whatever their age: their key is what keeps a send from happening twice."""
        removed = 0
        for entity in list(self._store.query(DELIVERIES, None)):
            if entity.get("state") == DeliveryState.PENDING or _last_touched(entity) >= cutoff:
                continue
            with contextlib.suppress(ETagMismatch, EntityNotFound):  # touched meanwhile: keep it
                self._store.delete(DELIVERIES, entity.partition_key, entity.row_key, etag=entity.etag)
                removed += 1
        return removed


def _last_touched(entity: Entity) -> datetime:
    """When a delivery was last written, or last found again by a plan."""
    return max(entity.get("updated_at", NEVER), entity.get("seen_at", NEVER), entity.get("created_at", NEVER))


# --- job runs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunClaim:
    job: str
    period: str
    fire_time: datetime
    etag: str
    properties: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)


@dataclass(frozen=True)
class RunRecord:
    job: str
    period: str
    state: RunState
    trigger: str
    fire_time: datetime
    started_at: datetime
    finished_at: datetime | None
    owner: str
    lease_until: datetime
    planned: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    note: str = ""
    undeliverable: int = 0  # messages with nowhere to go yet (not counted in ``failed``)


@dataclass(frozen=True)
class RunSummary:
    planned: int = 0
    sent: int = 0
    failed: int = 0  # sends that failed (not counting messages with nowhere to go)
    skipped: int = 0  # already sent, in flight elsewhere, or snoozed
    note: str = ""
    # (kind, label, reason) of each message that had nowhere to go yet: no channel registered, bot not
    # installed (kind: channel, manager, person, office). Not a failure: 「今すぐ実行」 says so.
    undeliverable: tuple[tuple[str, str, str], ...] = ()

    @property
    def send_failures(self) -> int:
        """Messages that had a destination and still could not be sent."""
        return self.failed

    def describe(self) -> str:
        text = (
            f"planned={self.planned} sent={self.sent} failed={self.failed} skipped={self.skipped} "
            f"undeliverable={len(self.undeliverable)}"
        )
        return f"{text} ({self.note})" if self.note else text


def _run_record(entity: Entity) -> RunRecord:
    return RunRecord(
        job=entity.partition_key,
        period=entity.get("period", entity.row_key),
        state=RunState(entity.get("state", RunState.RUNNING)),
        trigger=entity.get("trigger", ""),
        fire_time=entity.get("fire_time", NEVER),
        started_at=entity.get("started_at", NEVER),
        finished_at=entity.get("finished_at"),
        owner=entity.get("owner", ""),
        lease_until=entity.get("lease_until", NEVER),
        planned=int(entity.get("planned", 0)),
        sent=int(entity.get("sent", 0)),
        undeliverable=int(entity.get("undeliverable", 0)),
        failed=int(entity.get("failed", 0)),
        skipped=int(entity.get("skipped", 0)),
        note=entity.get("note", ""),
    )


class RunLedger:
    def __init__(self, store: TableStore, clock: Callable[[], datetime], owner: str, lease: timedelta):
        self._store = store
        self._clock = clock
        self.owner = owner
        self.lease = lease

    def start(self, job: str, period: str, fire_time: datetime, trigger: str) -> RunClaim:
        """Claim the run of ``job`` for ``period``. A finished run may run again (it sends only
        what is missing); a run another live instance holds raises :class:`RunInProgress`."""
        now = self._clock()
        props = {
            "period": period,
            "state": RunState.RUNNING.value,
            "trigger": trigger,
            "fire_time": fire_time,
            "started_at": now,
            "owner": self.owner,
            "lease_until": now + self.lease,
        }
        key = key_part(period)
        try:
            return self._claim(self._store.insert(RUNS, Entity(job, key, props)))
        except EntityExists:
            pass
        existing = self._store.get(RUNS, job, key)
        if existing is None:
            return self.start(job, period, fire_time, trigger)
        if (
            existing.get("state") == RunState.RUNNING
            and existing.get("owner") != self.owner
            and existing.get("lease_until", NEVER) > now
        ):
            raise RunInProgress(existing.get("owner", ""), existing.get("started_at", NEVER))
        try:
            written = self._store.upsert(RUNS, Entity(job, key, props), etag=existing.etag)
        except (ETagMismatch, EntityNotFound) as error:
            raise RunInProgress("another instance", now) from error
        return self._claim(written)

    @staticmethod
    def _claim(entity: Entity) -> RunClaim:
        return RunClaim(
            entity.partition_key,
            entity["period"],
            entity["fire_time"],
            entity.etag or "",
            dict(entity.properties),
        )

    def _write(self, run: RunClaim, **changes: Any) -> RunClaim:
        props = {**run.properties, **changes}
        try:
            written = self._store.upsert(RUNS, Entity(run.job, key_part(run.period), props), etag=run.etag)
        except (ETagMismatch, EntityNotFound) as error:
            raise LeaseLost(f"run {run.job}/{run.period} was taken over") from error
        return self._claim(written)

    def heartbeat(self, run: RunClaim) -> RunClaim:
        return self._write(run, lease_until=self._clock() + self.lease)

    def finish(self, run: RunClaim, summary: RunSummary) -> RunClaim:
        now = self._clock()
        return self._write(
            run,
            state=RunState.DONE.value,
            finished_at=now,
            lease_until=now,
            planned=summary.planned,
            sent=summary.sent,
            failed=summary.failed,
            undeliverable=len(summary.undeliverable),
            skipped=summary.skipped,
            note=summary.note[:1000],
        )

    def release(self, run: RunClaim) -> None:
        with contextlib.suppress(LeaseLost):
            self._write(run, lease_until=NEVER)

    def running(self) -> list[RunRecord]:
        return [_run_record(e) for e in self._store.query(RUNS, None, {"state": RunState.RUNNING.value})]

    def stale(self) -> list[RunRecord]:
        """Runs still marked running whose owner's lease has run out."""
        now = self._clock()
        running = self._store.query(RUNS, None, {"state": RunState.RUNNING.value})
        return [_run_record(e) for e in running if e.get("lease_until", NEVER) <= now]

    def latest(self, job: str) -> RunRecord | None:
        records = [_run_record(e) for e in self._store.query(RUNS, job)]
        return max(records, key=lambda r: r.started_at) if records else None

    def get(self, job: str, period: str) -> RunRecord | None:
        entity = self._store.get(RUNS, job, key_part(period))
        return _run_record(entity) if entity else None

    def remove_older_than(self, cutoff: datetime) -> int:
        """Delete finished runs that started before ``cutoff``, except the last run of each job (the
        admin card's 「前回」 and the start-up catch-up read it); a running one always stays."""
        by_job: dict[str, list[Entity]] = {}
        for entity in self._store.query(RUNS, None):
            by_job.setdefault(entity.partition_key, []).append(entity)
        removed = 0
        for entities in by_job.values():
            latest = max(entities, key=lambda e: e.get("started_at", NEVER))
            for entity in entities:
                if entity is latest or entity.get("state") != RunState.DONE:
                    continue
                if entity.get("started_at", NEVER) >= cutoff:
                    continue
                with contextlib.suppress(ETagMismatch, EntityNotFound):
                    self._store.delete(RUNS, entity.partition_key, entity.row_key, etag=entity.etag)
                    removed += 1
        return removed


def clean_up(outbox: Outbox, runs: RunLedger, cutoff: datetime) -> tuple[int, int]:
    """The retention job's work: (deliveries removed, runs removed) before ``cutoff``."""
    return outbox.remove_older_than(cutoff), runs.remove_older_than(cutoff)
