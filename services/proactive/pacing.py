"""Pacing and retries for proactive messages: Teams' rate limits as pure, clock-injected code.

Teams limits a bot per conversation ("thread") to 7 messages a second, 8 per 2 seconds, 60 per
30 seconds and 1800 an hour, and an app to about 30 requests a second per tenant (DESIGN §6).
:class:`Pacer` answers "when may the next message to this conversation go?" for both at once;
it never sleeps itself. The caller passes ``now`` (a monotonic number of seconds), sleeps for the
returned delay with whatever sleep it was given, and tests pass fake ones.

Each limit is a *sliding* window: in no interval ``(x - w, x]`` of length ``w`` may more than
``n`` messages go. That is stricter than a fixed window (which allows up to ``2n`` across a
boundary), so pacing to it also satisfies however Teams counts.

:class:`RetryPolicy` decides what a failed send does next: 429, 412, 502 and 504 are retried with
exponential backoff and jitter, never sooner than the ``Retry-After`` the service asked for.
"""

from __future__ import annotations

import random
from bisect import bisect_right, insort
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

#: Added to every window, so a request that leaves on time but arrives a little early on the
#: other side (network jitter) is still inside the limit as the service counts it.
PACING_MARGIN_SECONDS = 0.01
_EPSILON = 1e-6
#: How many app-wide sends smoothing lets go back to back (see :class:`Pacer`). More lets a worker
#: that was a moment late catch up, but requests then bunch on arrival: with 3, bench/fanout.py
#: measured up to 33 requests in a second at the connector; with 1, never more than 30.
SMOOTH_BURST = 1


@dataclass(frozen=True)
class Window:
    """At most ``limit`` messages in any ``seconds``-long interval."""

    limit: int
    seconds: float

    def __post_init__(self) -> None:
        if self.limit < 1 or self.seconds <= 0:
            raise ValueError(f"a window needs limit >= 1 and seconds > 0, got {self.limit}/{self.seconds}")

    def __str__(self) -> str:
        return f"{self.limit}/{self.seconds:g}s"


TEAMS_CONVERSATION_WINDOWS: tuple[Window, ...] = (
    Window(7, 1),
    Window(8, 2),
    Window(60, 30),
    Window(1800, 3600),
)
TEAMS_APP_WINDOWS: tuple[Window, ...] = (Window(30, 1),)


def parse_windows(text: str) -> tuple[Window, ...]:
    """``"7/1,8/2,60/30,1800/3600"`` → windows. Raises ValueError on anything else."""
    windows = []
    for part in (p.strip() for p in text.split(",")):
        count, sep, seconds = part.partition("/")
        if not sep or not count.strip().isdigit():
            raise ValueError(f"not a limit/seconds pair: {part!r}")
        windows.append(Window(int(count), float(seconds)))
    if not windows:
        raise ValueError("no windows")
    return tuple(windows)


class SlidingWindowLimiter:
    """The send times of one conversation (or of the whole app), and when the next may go.

    Times are reservations: they may lie in the future (a caller reserved a slot and is
    sleeping until it). Everything is exact; the lists stay short because times older than the
    longest window are dropped.
    """

    def __init__(self, windows: Sequence[Window], margin: float = PACING_MARGIN_SECONDS):
        if not windows:
            raise ValueError("at least one window")
        self._windows = tuple((w.limit, w.seconds + margin) for w in windows)
        self._horizon = max(seconds for _, seconds in self._windows)
        self._times: list[float] = []
        self.blocked_until = float("-inf")

    def __len__(self) -> int:
        return len(self._times)

    def prune(self, now: float) -> None:
        """Forget sends that can no longer matter: older than the longest window before ``now``
        (the real present, never a future candidate: a later caller may still ask about now)."""
        cut = bisect_right(self._times, now - self._horizon)
        if cut:
            del self._times[:cut]

    def fits(self, at: float) -> bool:
        """Whether one more message at ``at`` keeps every window within its limit."""
        if at < self.blocked_until:
            return False
        times = self._times
        for limit, seconds in self._windows:
            upto = bisect_right(times, at)
            if upto - bisect_right(times, at - seconds) + 1 > limit:
                return False
            # windows that end at a later reservation x and so would contain ``at`` too
            j = upto
            while j < len(times) and times[j] < at + seconds:
                x = times[j]
                if bisect_right(times, x) - bisect_right(times, x - seconds) + 1 > limit:
                    return False
                j += 1
        return True

    def earliest(self, now: float) -> float:
        """The first moment at or after ``now`` at which one more message fits."""
        start = max(now, self.blocked_until)
        if self.fits(start):
            return start
        candidates: set[float] = set()
        for _, seconds in self._windows:
            candidates.update(t + seconds + _EPSILON for t in self._times if t + seconds > start)
        candidates.update(t + _EPSILON for t in self._times if t >= start)
        for candidate in sorted(candidates):
            if self.fits(candidate):
                return candidate
        return (self._times[-1] if self._times else start) + self._horizon  # unreachable in practice

    def add(self, at: float) -> None:
        insort(self._times, at)

    def hold(self, until: float) -> None:
        """Send nothing before ``until`` (the service answered 429 with ``Retry-After``)."""
        self.blocked_until = max(self.blocked_until, until)


@dataclass
class Pacer:
    """Per-conversation windows plus the app-wide window; one instance per process.

    ``smooth`` (the default) also spaces the app's messages evenly, at most one every
    ``1 / rate`` seconds, instead of letting 30 go in one burst at the start of each second.
    That costs nothing in throughput, and it keeps a little lateness between taking a slot and
    the request reaching Teams (a busy event loop, the network) from pushing two bursts into one
    second as Teams counts it.
    """

    conversation_windows: Sequence[Window] = TEAMS_CONVERSATION_WINDOWS
    app_windows: Sequence[Window] = TEAMS_APP_WINDOWS
    margin: float = PACING_MARGIN_SECONDS
    smooth: bool = True
    _conversations: dict[str, SlidingWindowLimiter] = field(default_factory=dict)
    _app: list[SlidingWindowLimiter] = field(default_factory=list)

    def _conversation(self, conversation_id: str) -> SlidingWindowLimiter:
        limiter = self._conversations.get(conversation_id)
        if limiter is None:
            limiter = self._conversations[conversation_id] = SlidingWindowLimiter(
                self.conversation_windows, self.margin
            )
        return limiter

    def _limiters(self, conversation_id: str, now: float) -> list[SlidingWindowLimiter]:
        if not self._app:
            self._app.append(SlidingWindowLimiter(self.app_windows, self.margin))
            if self.smooth:
                spacing = min((w.seconds + self.margin) / w.limit for w in self.app_windows)
                # at most SMOOTH_BURST sends in any SMOOTH_BURST spacings
                self._app.append(
                    SlidingWindowLimiter([Window(SMOOTH_BURST, SMOOTH_BURST * spacing)], margin=0.0)
                )
        limiters = [self._conversation(conversation_id), *self._app]
        for limiter in limiters:
            limiter.prune(now)
        return limiters

    @staticmethod
    def _earliest(limiters: list[SlidingWindowLimiter], now: float) -> float:
        at = now
        for _ in range(1000):
            moved = at
            for limiter in limiters:
                moved = limiter.earliest(moved)
            if moved == at:
                return at
            at = moved
        return at  # pragma: no cover - the limiters agree long before

    def reserve(self, conversation_id: str, now: float) -> float:
        """Reserve the earliest slot for a message to ``conversation_id``; return the delay
        (seconds from ``now``, 0 or more) the caller must wait before sending it."""
        limiters = self._limiters(conversation_id, now)
        at = self._earliest(limiters, now)
        for limiter in limiters:
            limiter.add(at)
        self._forget_idle(now)
        return max(0.0, at - now)

    def wait_time(self, conversation_id: str, now: float) -> float:
        """How long until a message to ``conversation_id`` may go (0: now). Records nothing."""
        return max(0.0, self._earliest(self._limiters(conversation_id, now), now) - now)

    def try_acquire(self, conversation_id: str, now: float) -> bool:
        """Take a slot at ``now`` if every window allows it (what the dispatcher does)."""
        limiters = self._limiters(conversation_id, now)
        if not all(limiter.fits(now) for limiter in limiters):
            return False
        for limiter in limiters:
            limiter.add(now)
        self._forget_idle(now)
        return True

    def hold(self, conversation_id: str, until: float) -> None:
        self._conversation(conversation_id).hold(until)

    def _forget_idle(self, now: float) -> None:
        if len(self._conversations) < 4096:
            return
        for key in [k for k, v in self._conversations.items() if not len(v) and v.blocked_until < now]:
            del self._conversations[key]


def minimum_schedule(count: int, windows: Iterable[Window]) -> float:
    """When the last of ``count`` messages can go at the earliest under ``windows`` if the first
    goes at 0 (no margin). Used by ``bench/fanout.py`` to state the lower bound it compares to."""
    limiter = SlidingWindowLimiter(list(windows), margin=0.0)
    at = 0.0
    for _ in range(count):
        at = limiter.earliest(at)
        limiter.add(at)
    return at


# --- retries ------------------------------------------------------------------------------------

RETRY_STATUSES = frozenset({429, 412, 502, 504})
GONE_STATUSES = frozenset({403, 404})  # bot removed / conversation gone: stop writing there


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt ``k`` (1-based, the one that just failed) waits
    a random time in ``[d/2, d]`` where ``d = min(cap, base * 2**(k-1))``, and never less than
    ``Retry-After`` (then plus a little jitter, so throttled senders do not return in step)."""

    max_attempts: int = 6
    base_seconds: float = 0.5
    cap_seconds: float = 60.0
    retry_after_jitter_seconds: float = 0.05
    retry_statuses: frozenset[int] = RETRY_STATUSES

    def retryable(self, status: int | None) -> bool:
        return status in self.retry_statuses

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        if retry_after is not None and retry_after >= 0:
            # The service said when: that is the backoff. Jitter only spreads the returners.
            return min(self.cap_seconds, retry_after) + rng.uniform(0, self.retry_after_jitter_seconds)
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempt - 1))
        return rng.uniform(ceiling / 2, ceiling)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds (``"2"``, ``"1.5"``) or an HTTP date."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)
