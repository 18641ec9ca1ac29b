"""Send claimed deliveries at Teams' pace, retrying what Teams asks to be retried.

The dispatcher owns no transport: a :class:`Sender` (``bot/proactive.py``, over botbuilder's
``continue_conversation``) does the HTTP call and raises :class:`SendError` with the status.
Time comes from an injected :class:`Clock` (``now``, ``monotonic`` and ``sleep``): tests pass a
virtual clock and never sleep.

For each claimed delivery:

1. reserve a slot with the :class:`~services.pacing.Pacer` (per conversation and per app) and
   sleep until it;
2. renew the lease and count the attempt (:meth:`Outbox.begin_attempt`): if another instance has
   taken the delivery over, stop here, it is theirs;
3. send. Success: ``sent``. 429/412/502/504, a timeout or a dropped connection: wait (backoff with
   jitter, at least ``Retry-After``; a 429 also holds that conversation) and go to 1, up to
   ``max_attempts``. 403 ``MessageWritesBlocked`` or 404: ``failed`` and the conversation is
   marked inactive. Anything else: ``failed`` with the status and message, for the office digest.

A graceful stop (:meth:`Dispatcher.stop`) lets sends already on the wire finish, starts no new
attempt, and gives the remaining leases back so the next start sends them.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from services.calendar import JST
from services.deliveries import Claim, LeaseLost, Outbox
from services.pacing import Pacer, RetryPolicy

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: 403 codes that mean "this conversation no longer takes the bot's messages".
GONE_CODES = frozenset({"MessageWritesBlocked", "ConversationBlockedByUser"})


class Clock(Protocol):
    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Real time. ``now`` may be replaced (the app's injected clock); sleeping is real."""

    def __init__(self, now: Callable[[], datetime] | None = None):
        self._now = now

    def now(self) -> datetime:
        return self._now() if self._now is not None else datetime.now(JST)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class SendError(Exception):
    """A send that did not go through. ``status`` is None for network errors and timeouts."""

    def __init__(self, status: int | None, message: str = "", *, code: str = "", retry_after: float | None = None):
        super().__init__(f"{status or 'network'} {code} {message}".strip())
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    @property
    def gone(self) -> bool:
        return self.status == 404 or (self.status == 403 and self.code in GONE_CODES)


class Sender(Protocol):
    async def send(self, target: str, payload: dict[str, Any]) -> None:
        """Post ``payload`` to conversation ``target``; raise :class:`SendError` on failure."""


Blocking = Callable[..., Awaitable[Any]]


async def run_inline(fn: Callable[..., T], *args: Any) -> T:
    """A ``blocking`` runner that calls straight through (tests with in-memory stores)."""
    return fn(*args)


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    gone: int = 0
    released: int = 0  # given back on stop
    taken_over: int = 0  # another instance's now
    attempts: int = 0
    retries: int = 0
    problems: list[tuple[tuple[str, str, str], int | None, str]] = field(default_factory=list)

    def merge(self, other: DispatchReport) -> DispatchReport:
        for name in ("sent", "failed", "gone", "released", "taken_over", "attempts", "retries"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems.extend(other.problems)
        return self


class Dispatcher:
    def __init__(
        self,
        outbox: Outbox,
        sender: Sender,
        pacer: Pacer,
        clock: Clock,
        *,
        policy: RetryPolicy | None = None,
        concurrency: int = 16,
        send_timeout: float = 30.0,
        on_gone: Callable[[str], Any] | None = None,
        blocking: Blocking = asyncio.to_thread,
        rng: random.Random | None = None,
    ):
        self._outbox = outbox
        self._sender = sender
        self._pacer = pacer
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._slots = asyncio.Semaphore(concurrency) if concurrency > 0 else None
        self._concurrency = concurrency
        self._send_timeout = send_timeout
        self._on_gone = on_gone
        self._blocking = blocking
        self._rng = rng or random.Random()
        self._stopping = asyncio.Event()
        self._active: set[asyncio.Task[Any]] = set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def dispatch(self, claims: Sequence[Claim]) -> DispatchReport:
        report = DispatchReport()
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._concurrency)
        tasks = [asyncio.ensure_future(self._deliver(claim, report)) for claim in claims]
        self._active.update(tasks)
        try:
            await asyncio.gather(*tasks)
        finally:
            self._active.difference_update(tasks)
        return report

    async def stop(self, timeout: float = 30.0) -> None:
        """Start no new attempt; wait (up to ``timeout``) for sends on the wire to finish."""
        self._stopping.set()
        if self._active:
            await asyncio.wait(set(self._active), timeout=timeout)

    async def _pause(self, seconds: float) -> bool:
        """Sleep, unless a stop comes first. True if the sleep ran its course."""
        if seconds <= 0:
            return not self.stopping
        sleeper = asyncio.ensure_future(self._clock.sleep(seconds))
        stopper = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, stopper):
                if not task.done():
                    task.cancel()
        return not self.stopping

    async def _deliver(self, claim: Claim, report: DispatchReport) -> None:
        try:
            await self._deliver_inner(claim, report)
        except LeaseLost:
            report.taken_over += 1
            logger.info("delivery %s was taken over by another instance", claim.key)
        except Exception as error:  # one bad delivery must not stop the fan-out
            logger.exception("delivery %s failed unexpectedly", claim.key)
            report.failed += 1
            report.problems.append((claim.key, None, repr(error)))
            try:
                await self._blocking(self._outbox.mark_failed, claim, None, f"internal error: {error!r}")
            except Exception:
                logger.exception("could not record the failure of %s", claim.key)

    async def _deliver_inner(self, claim: Claim, report: DispatchReport) -> None:
        while True:
            if self.stopping:
                await self._blocking(self._outbox.release, claim)
                report.released += 1
                return
            assert self._slots is not None
            async with self._slots:
                wait = self._pacer.reserve(claim.target, self._clock.monotonic())
                if not await self._pause(wait):
                    await self._blocking(self._outbox.release, claim)
                    report.released += 1
                    return
                claim = await self._blocking(self._outbox.begin_attempt, claim)
                report.attempts += 1
                try:
                    await asyncio.wait_for(self._sender.send(claim.target, claim.payload), self._send_timeout)
                except SendError as error:
                    failure = error
                except (TimeoutError, asyncio.TimeoutError):
                    failure = SendError(None, f"no answer within {self._send_timeout:g} s", code="Timeout")
                else:
                    await self._blocking(self._outbox.mark_sent, claim)
                    report.sent += 1
                    return
            if failure.gone:
                await self._blocking(self._outbox.mark_failed, claim, failure.status, str(failure))
                report.failed += 1
                report.gone += 1
                report.problems.append((claim.key, failure.status, str(failure)))
                if self._on_gone is not None:
                    await self._blocking(self._on_gone, claim.target)
                return
            transient = self._policy.retryable(failure.status) or failure.status is None
            if not transient or claim.attempts >= self._policy.max_attempts:
                reason = str(failure) if not transient else f"{failure} (gave up after {claim.attempts} attempts)"
                await self._blocking(self._outbox.mark_failed, claim, failure.status, reason)
                report.failed += 1
                report.problems.append((claim.key, failure.status, reason))
                return
            delay = self._policy.delay(claim.attempts, failure.retry_after, self._rng)
            if failure.status == 429 and failure.retry_after is not None:
                self._pacer.hold(claim.target, self._clock.monotonic() + failure.retry_after)
            report.retries += 1
            needed = timedelta(seconds=delay + self._send_timeout)
            if self._outbox.lease_left(claim) < needed:
                claim = await self._blocking(self._outbox.renew, claim, needed)  # keep the lease across the wait
            if not await self._pause(delay):
                await self._blocking(self._outbox.release, claim)
                report.released += 1
                return

