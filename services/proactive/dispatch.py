"""Send claimed deliveries at Teams' pace, retrying what Teams asks to be retried.

The dispatcher owns no transport: a :class:`Sender` (``bot/proactive.py``, over botbuilder's
``continue_conversation``) does the HTTP call and raises :class:`SendError` with the status.
Time comes from an injected :class:`Clock` (``now``, ``monotonic`` and ``sleep``): tests pass a
virtual clock and never sleep.

For each claimed delivery:

1. make sure the lease covers the attempt (renewing it if little is left; if another instance has
   taken the delivery over meanwhile, stop here, it is theirs);
2. wait until the :class:`~services.proactive.pacing.Pacer` (per conversation and per app) lets a message
   go now, and take that slot at the moment of sending;
3. send. Success: ``sent``. 429/412/502/504, or a connection that failed before the request went
   out: wait (backoff with jitter, at least ``Retry-After``; a 429 also holds that conversation)
   and go to 1, up to ``max_attempts``. 403 ``MessageWritesBlocked`` or 404: ``failed`` and the
   conversation is marked inactive. No answer in time, or a connection dropped after the request
   went out (``SendError.uncertain``): the message may have arrived, and the connector cannot be
   asked, so it is *not* sent again (a duplicate in a manager's chat is worse than one missing
   message that the office digest lists): ``failed`` with a reason that says so. Anything else:
   ``failed`` with the status and message, for the office digest.

A graceful stop (:meth:`Dispatcher.stop`) lets sends already on the wire finish, starts no new
attempt, and gives the remaining leases back so the next start sends them.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from services.kernel.calendar import JST
from services.proactive.deliveries import Claim, LeaseLost, Outbox
from services.proactive.pacing import Pacer, RetryPolicy

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: Renew a lease before an attempt unless this much more than the send timeout is left of it.
LEASE_SAFETY_SECONDS = 5.0
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
    """A send that did not go through. ``status`` is None for network errors and timeouts.

    ``uncertain``: the request went out and no answer came (a timeout, a connection dropped while
    waiting), so the message may have been posted; sending it again could post it twice."""

    def __init__(
        self,
        status: int | None,
        message: str = "",
        *,
        code: str = "",
        retry_after: float | None = None,
        uncertain: bool = False,
    ):
        super().__init__(f"{status or 'network'} {code} {message}".strip())
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.uncertain = uncertain

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
    uncertain: int = 0  # no answer: may have arrived, not sent again
    problems: list[tuple[tuple[str, str, str], int | None, str]] = field(default_factory=list)

    def merge(self, other: DispatchReport) -> DispatchReport:
        for name in (
            "sent",
            "failed",
            "gone",
            "released",
            "taken_over",
            "attempts",
            "retries",
            "uncertain",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems.extend(other.problems)
        return self


class Dispatcher:
    """Sends claimed deliveries with a pool of ``concurrency`` workers.

    Workers take deliveries from one priority queue: first attempts in order, and retries (once
    their backoff has passed) ahead of them, so a throttled message is not pushed to the end of
    a long fan-out and retried only after everything else. Only workers wait on the pacer, so
    there are never more than ``concurrency`` sends waiting for a slot or on the wire.
    """

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
        self._concurrency = max(1, concurrency)
        self._send_timeout = send_timeout
        self._on_gone = on_gone
        self._blocking = blocking
        self._rng = rng or random.Random()
        self._stopping = asyncio.Event()
        self._active: set[asyncio.Future[Any]] = set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def dispatch(self, claims: Sequence[Claim]) -> DispatchReport:
        report = DispatchReport()
        if not claims:
            return report
        queue: asyncio.PriorityQueue[tuple[int, int, Claim]] = asyncio.PriorityQueue()
        order = itertools.count()
        left = len(claims)
        finished = asyncio.Event()
        waits: set[asyncio.Future[Any]] = set()
        for claim in claims:
            queue.put_nowait((1, next(order), claim))

        def settle() -> None:
            nonlocal left
            left -= 1
            if left == 0:
                finished.set()

        async def retry_later(claim: Claim, delay: float) -> None:
            requeued = False
            try:
                if await self._pause(delay):
                    queue.put_nowait((0, next(order), claim))  # retries go ahead of first attempts
                    requeued = True
                    return
                await self._give_back(claim, report)
            except Exception:
                logger.exception("delivery %s could not be given back", claim.key)
            finally:
                if not requeued:
                    settle()  # whatever happened, this delivery no longer holds the fan-out open

        async def worker() -> None:
            while True:
                _, _, claim = await queue.get()
                retry = await self._attempt(claim, report)
                if retry is None:
                    settle()
                else:
                    wait = asyncio.ensure_future(retry_later(*retry))
                    waits.add(wait)
                    wait.add_done_callback(waits.discard)

        workers = [asyncio.ensure_future(worker()) for _ in range(min(self._concurrency, len(claims)))]
        done = asyncio.ensure_future(finished.wait())
        self._active.add(done)
        try:
            await done
        finally:
            self._active.discard(done)
            await _cancel_all([*workers, *waits])  # waits: retries still sleeping (only when cancelled)
        return report

    async def stop(self, timeout: float = 30.0) -> None:
        """Start no new attempt; wait (up to ``timeout``) for sends on the wire to finish and for
        the rest to be given back."""
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

    async def _give_back(self, claim: Claim, report: DispatchReport) -> None:
        await self._blocking(self._outbox.release, claim)
        report.released += 1

    async def _acquire(self, claim: Claim) -> tuple[bool, Claim]:
        """Wait until the pacer lets this message go *now*, and take the slot.

        The slot is taken at the actual moment, right before the send (checking and recording
        with no ``await`` in between), never reserved ahead: a worker that wakes late cannot bunch
        up with the next sends. A long wait (a conversation over its hourly limit) first extends
        the lease so no other instance takes the delivery over meanwhile.
        """
        while True:
            if self.stopping:
                return False, claim
            now = self._clock.monotonic()
            if self._pacer.try_acquire(claim.target, now):
                return True, claim
            wait = max(self._pacer.wait_time(claim.target, now), 1e-6)
            needed = timedelta(seconds=wait + self._send_timeout)
            if self._outbox.lease_left(claim) < needed:
                claim = await self._blocking(self._outbox.renew, claim, needed)
            if not await self._pause(wait):
                return False, claim

    async def _attempt(self, claim: Claim, report: DispatchReport) -> tuple[Claim, float] | None:
        """One attempt. None when the delivery is settled (sent, failed, given back, taken over);
        otherwise the claim and how long to wait before the next attempt."""
        try:
            return await self._attempt_inner(claim, report)
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
        return None

    async def _attempt_inner(self, claim: Claim, report: DispatchReport) -> tuple[Claim, float] | None:
        if self.stopping:
            await self._give_back(claim, report)
            return None
        # No storage write per attempt: the lease is renewed only when what is left of it would not
        # cover the send (a stall, a long Retry-After). Nobody can adopt a delivery whose lease
        # has not run out, so a send under a live lease is ours alone.
        if self._outbox.lease_left(claim) < timedelta(seconds=self._send_timeout + LEASE_SAFETY_SECONDS):
            claim = await self._blocking(self._outbox.renew, claim)
        claim = replace(claim, attempts=claim.attempts + 1)
        report.attempts += 1
        prepare = getattr(self._sender, "prepare", None)
        if prepare is not None:
            await prepare(claim.target)
        acquired, claim = await self._acquire(claim)
        if not acquired:
            await self._give_back(claim, report)
            return None
        try:
            await asyncio.wait_for(self._sender.send(claim.target, claim.payload), self._send_timeout)
        except SendError as error:
            failure = error
        except TimeoutError:
            failure = SendError(
                None, f"no answer within {self._send_timeout:g} s", code="Timeout", uncertain=True
            )
        else:
            await self._blocking(self._outbox.mark_sent, claim)
            report.sent += 1
            return None
        if failure.gone:
            await self._blocking(self._outbox.mark_failed, claim, failure.status, str(failure))
            report.failed += 1
            report.gone += 1
            report.problems.append((claim.key, failure.status, str(failure)))
            if self._on_gone is not None:
                await self._blocking(self._on_gone, claim.target)
            return None
        if failure.uncertain:
            reason = f"{failure} (may have arrived: not sent again, to avoid a duplicate)"
            await self._blocking(self._outbox.mark_failed, claim, failure.status, reason)
            report.failed += 1
            report.uncertain += 1
            report.problems.append((claim.key, failure.status, reason))
            return None
        transient = self._policy.retryable(failure.status) or failure.status is None
        if not transient or claim.attempts >= self._policy.max_attempts:
            reason = str(failure) if not transient else f"{failure} (gave up after {claim.attempts} attempts)"
            await self._blocking(self._outbox.mark_failed, claim, failure.status, reason)
            report.failed += 1
            report.problems.append((claim.key, failure.status, reason))
            return None
        delay = self._policy.delay(claim.attempts, failure.retry_after, self._rng)
        if failure.status == 429 and failure.retry_after is not None:
            self._pacer.hold(claim.target, self._clock.monotonic() + failure.retry_after)
        report.retries += 1
        needed = timedelta(seconds=delay + self._send_timeout)
        if self._outbox.lease_left(claim) < needed:
            claim = await self._blocking(self._outbox.renew, claim, needed)  # keep the lease across the wait
        return claim, delay


async def _cancel_all(tasks: list[asyncio.Future[Any]]) -> None:
    """Cancel ``tasks`` and wait until every one has ended.

    One ``cancel()`` is not always enough on Python 3.11: ``asyncio.wait_for`` swallows a
    cancellation that arrives just as the awaited send completes, and the worker would then sit
    in ``queue.get()`` forever, holding the fan-out (and a cancelled run) open. So cancel again
    until they are all done.
    """
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.1)
