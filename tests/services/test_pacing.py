"""Pacing to Teams' limits and the retry policy: pure, clock-free tests."""

from __future__ import annotations

import random
from bisect import bisect_right
from datetime import UTC, datetime

import pytest

from services.proactive.pacing import (
    TEAMS_APP_WINDOWS,
    TEAMS_CONVERSATION_WINDOWS,
    Pacer,
    RetryPolicy,
    SlidingWindowLimiter,
    Window,
    minimum_schedule,
    parse_retry_after,
    parse_windows,
)


def max_in_window(times: list[float], seconds: float) -> int:
    """The most events in any half-open interval (x - seconds, x]. ``now + delay`` can differ
    from the reserved time in the last bit, so the window is shortened by a nanosecond."""
    times = sorted(times)
    return max((bisect_right(times, x) - bisect_right(times, x - seconds + 1e-9) for x in times), default=0)


def assert_within(times: list[float], windows) -> None:
    for window in windows:
        assert max_in_window(times, window.seconds) <= window.limit, f"{window} broken"


def test_one_conversation_is_paced_to_every_teams_window():
    pacer = Pacer(margin=0.0, smooth=False)
    times = [pacer.reserve("c1", 0.0) for _ in range(200)]  # all asked for at t=0
    assert_within(times, TEAMS_CONVERSATION_WINDOWS)
    # 7 go at once, the 8th after a second, and 60 take at least 30 s
    assert times[:7] == [0.0] * 7 and times[7] == pytest.approx(1.0)
    assert times[60] >= 30.0


def test_the_app_window_caps_many_conversations_at_30_per_second():
    pacer = Pacer(margin=0.0, smooth=False)
    times = [pacer.reserve(f"c{i}", 0.0) for i in range(500)]
    assert_within(times, TEAMS_APP_WINDOWS)
    assert max(times) == pytest.approx(16.0)  # 500 messages: 17 windows of 30, the last at 16 s
    assert minimum_schedule(500, TEAMS_APP_WINDOWS) == pytest.approx(16.0)


def test_random_arrivals_never_break_any_window():
    rng = random.Random(7)
    pacer = Pacer(margin=0.0)
    per_conversation: dict[str, list[float]] = {}
    everything: list[float] = []
    now = 0.0
    for _ in range(1500):
        now += rng.expovariate(40)  # faster than allowed on purpose (the dispatcher bounds the backlog)
        conversation = f"c{rng.randrange(12)}"
        at = now + pacer.reserve(conversation, now)
        per_conversation.setdefault(conversation, []).append(at)
        everything.append(at)
    for times in per_conversation.values():
        assert_within(times, TEAMS_CONVERSATION_WINDOWS)
    assert_within(everything, TEAMS_APP_WINDOWS)


def test_the_margin_widens_every_window():
    limiter = SlidingWindowLimiter([Window(1, 1.0)], margin=0.05)
    limiter.add(0.0)
    assert limiter.earliest(0.5) == pytest.approx(1.05)


def test_smoothing_spaces_the_apps_messages_evenly():
    pacer = Pacer(margin=0.02)
    times = [pacer.reserve(f"c{i}", 0.0) for i in range(61)]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert all(g == pytest.approx(1.02 / 30, abs=1e-5) for g in gaps)  # one every 34 ms, never a burst of 30
    assert max_in_window(times, 1.0) <= 30 and times[-1] == pytest.approx(60 * 1.02 / 30, abs=1e-3)


def test_try_acquire_takes_a_slot_only_when_every_window_allows():
    pacer = Pacer(margin=0.0, smooth=False)
    assert all(pacer.try_acquire("c1", 0.0) for _ in range(7))
    assert not pacer.try_acquire("c1", 0.5) and pacer.wait_time("c1", 0.5) == pytest.approx(0.5, abs=1e-5)
    assert pacer.try_acquire("c2", 0.5)  # another conversation is not held back
    assert pacer.try_acquire("c1", 1.0 + 1e-5)


def test_a_hold_delays_only_that_conversation():
    pacer = Pacer(margin=0.0)
    pacer.hold("throttled", 5.0)
    assert pacer.reserve("throttled", 1.0) == pytest.approx(4.0)
    assert pacer.reserve("other", 1.0) == 0.0


def test_a_reservation_behind_a_future_one_still_fits():
    limiter = SlidingWindowLimiter([Window(2, 1.0)], margin=0.0)
    limiter.add(5.0)
    limiter.add(5.0)
    assert limiter.earliest(4.5) == 4.5 or limiter.fits(limiter.earliest(4.5))
    at = limiter.earliest(4.5)
    limiter.add(at)
    assert max_in_window(limiter._times, 1.0) <= 2


def test_parse_windows():
    assert parse_windows("7/1, 8/2,60/30,1800/3600") == TEAMS_CONVERSATION_WINDOWS
    for bad in ("", "7", "x/1", "7/0", "0/1"):
        with pytest.raises(ValueError):
            parse_windows(bad)


@pytest.mark.parametrize("status", [429, 412, 502, 504])
def test_retryable_statuses(status):
    assert RetryPolicy().retryable(status)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 500, 503])
def test_other_statuses_are_not_retried(status):
    assert not RetryPolicy().retryable(status)


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    policy = RetryPolicy(base_seconds=0.5, cap_seconds=8.0)
    rng = random.Random(1)
    for attempt, ceiling in ((1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (9, 8.0)):
        delays = {policy.delay(attempt, None, rng) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered


def test_retry_after_is_honoured():
    policy = RetryPolicy(retry_after_jitter_seconds=0.1)
    rng = random.Random(2)
    for _ in range(50):
        assert 3.0 <= policy.delay(1, 3.0, rng) <= 3.1


def test_parse_retry_after():
    now = datetime(2026, 1, 5, 0, 0, 0, tzinfo=UTC)
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("Mon, 05 Jan 2026 00:00:10 GMT", now) == pytest.approx(10.0)
    assert parse_retry_after("Mon, 05 Jan 2026 00:00:00 GMT", datetime(2026, 1, 5, 0, 1, tzinfo=UTC)) == 0.0
    assert (
        parse_retry_after(None) is None
        and parse_retry_after("soon") is None
        and parse_retry_after("") is None
    )
    assert parse_retry_after("-3") == 0.0
