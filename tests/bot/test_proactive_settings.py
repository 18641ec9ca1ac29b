"""Settings of the scheduled jobs and of proactive pacing: defaults, parsing and one-line errors."""

from __future__ import annotations

from datetime import time

import pytest

from bot.settings import Settings, SettingsError
from services.proactive.pacing import TEAMS_CONVERSATION_WINDOWS, Window


def test_defaults():
    env = Settings.from_env({})
    assert env.scheduler_enabled is True  # the app runs with the scheduler on
    assert Settings().scheduler_enabled is False  # tests building Settings(...) never start timers
    assert (env.delay_alerts_time, env.training_reminders_time) == (time(9, 30), time(9, 15))
    assert (env.weekly_digest_day, env.weekly_digest_time, env.monthly_digest_time) == (0, time(9), time(9))
    assert env.proactive_app_rate == 30 and env.proactive_conversation_limits == TEAMS_CONVERSATION_WINDOWS
    assert (env.proactive_max_attempts, env.delivery_lease_seconds, env.delivery_recovery_minutes) == (
        6,
        120,
        5,
    )


def test_values_are_read():
    env = Settings.from_env(
        {
            "SCHEDULER_ENABLED": "false",
            "DELAY_ALERTS_TIME": "10:05",
            "TRAINING_REMINDERS_TIME": "8:00",
            "WEEKLY_DIGEST_DAY": "tue",
            "WEEKLY_DIGEST_TIME": "08:30",
            "MONTHLY_DIGEST_TIME": "13:00",
            "PROACTIVE_APP_RATE": "15",
            "PROACTIVE_CONVERSATION_LIMITS": "5/1,50/30",
            "PROACTIVE_MAX_ATTEMPTS": "3",
            "DELIVERY_LEASE_SECONDS": "300",
            "DELIVERY_RECOVERY_MINUTES": "10",
        }
    )
    assert env.scheduler_enabled is False and env.delay_alerts_time == time(10, 5)
    assert env.training_reminders_time == time(8, 0) and env.weekly_digest_day == 1
    assert env.weekly_digest_time == time(8, 30) and env.monthly_digest_time == time(13, 0)
    assert env.proactive_app_rate == 15 and env.proactive_conversation_limits == (
        Window(5, 1),
        Window(50, 30),
    )
    assert (env.proactive_max_attempts, env.delivery_lease_seconds, env.delivery_recovery_minutes) == (
        3,
        300,
        10,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SCHEDULER_ENABLED", "sometimes"),
        ("DELAY_ALERTS_TIME", "9時"),
        ("TRAINING_REMINDERS_TIME", "24:00"),
        ("WEEKLY_DIGEST_DAY", "sun"),
        ("WEEKLY_DIGEST_DAY", "everyday"),
        ("WEEKLY_DIGEST_TIME", "9:60"),
        ("MONTHLY_DIGEST_TIME", "9"),
        ("PROACTIVE_APP_RATE", "0"),
        ("PROACTIVE_APP_RATE", "31"),
        ("PROACTIVE_CONVERSATION_LIMITS", "7 per second"),
        ("PROACTIVE_MAX_ATTEMPTS", "0"),
        ("DELIVERY_LEASE_SECONDS", "10"),
        ("DELIVERY_RECOVERY_MINUTES", "0"),
    ],
)
def test_invalid_values_name_the_variable_in_one_line(name, value):
    with pytest.raises(SettingsError) as error:
        Settings.from_env({name: value})
    assert error.value.name == name and "\n" not in str(error.value) and name in str(error.value)
