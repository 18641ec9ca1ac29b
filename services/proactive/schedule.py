"""When scheduled jobs fire, as pure functions of the calendar (DESIGN §7).

Every schedule answers :meth:`next_fire` ("the first firing strictly after this moment") and
:meth:`describe` (Japanese, for the admin's job card). ``bot/scheduler.py`` wraps them in an
APScheduler trigger, so the next run time APScheduler shows is exactly the one computed here,
holidays included.

- :class:`BusinessDaily`: every business day at a time (delay alerts, training reminders).
- :class:`WeeklyOnBusinessDay`: a weekday at a time, or the next business day when that day is
  a holiday. If the move would reach the same weekday of the following week (a whole week of
  holidays), that week has no firing: the following week's covers it, so no week gets two.
- :class:`MonthlyFirstBusinessDay`: the first business day of each month at a time.
- :class:`Every`: a fixed interval (the delivery recovery sweep).

Business days are those of ``services.kernel.calendar``: weekdays that are not national holidays and
not 12/29–1/3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from services.kernel.calendar import JST, is_business_day, next_business_day

WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = "月火水木金土日"
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_SEARCH_DAYS = 400


def parse_time_of_day(text: str) -> time:
    """``"09:00"`` → 09:00. Raises ValueError."""
    match = _TIME.match((text or "").strip())
    if not match:
        raise ValueError(f"not HH:MM: {text!r}")
    return time(int(match[1]), int(match[2]))


def parse_weekday(text: str) -> int:
    """``"mon"`` … ``"sun"`` or ``"月"`` … ``"日"`` → 0..6. Raises ValueError."""
    key = (text or "").strip().lower()[:3]
    if key in WEEKDAY_CODES:
        return WEEKDAY_CODES.index(key)
    if len(key) >= 1 and key[0] in WEEKDAY_LABELS:
        return WEEKDAY_LABELS.index(key[0])
    raise ValueError(f"not a weekday: {text!r}")


def _at(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=JST)


def _hhmm(at: time) -> str:
    return f"{at.hour}:{at.minute:02d}"


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_fire_date(week_monday: date, weekday: int) -> date | None:
    """The day the weekly job fires in the week starting ``week_monday``, or None."""
    anchor = week_monday + timedelta(days=weekday)
    moved = next_business_day(anchor)
    return moved if moved < anchor + timedelta(days=7) else None


def is_weekly_fire_date(day: date, weekday: int) -> bool:
    """Whether ``day`` is the weekly job's day: the anchor weekday of ``day``'s week or of the
    week before (a move can cross into the next week), moved to a business day."""
    monday = week_start(day)
    return day in (weekly_fire_date(monday, weekday), weekly_fire_date(monday - timedelta(days=7), weekday))


def first_business_day_of_month(year: int, month: int) -> date:
    return next_business_day(date(year, month, 1))


def is_first_business_day_of_month(day: date) -> bool:
    return day == first_business_day_of_month(day.year, day.month)


@dataclass(frozen=True)
class BusinessDaily:
    at: time

    def fires_on(self, day: date) -> bool:
        return is_business_day(day)

    def next_fire(self, after: datetime) -> datetime:
        return _next_matching(self.fires_on, self.at, after)

    def describe(self) -> str:
        return f"平日（土日・祝日・年末年始を除く）の {_hhmm(self.at)}"


@dataclass(frozen=True)
class WeeklyOnBusinessDay:
    weekday: int  # 0 = Monday
    at: time

    def fires_on(self, day: date) -> bool:
        return is_weekly_fire_date(day, self.weekday)

    def next_fire(self, after: datetime) -> datetime:
        return _next_matching(self.fires_on, self.at, after)

    def describe(self) -> str:
        return f"毎週{WEEKDAY_LABELS[self.weekday]}曜 {_hhmm(self.at)}（休日の場合は翌営業日）"


@dataclass(frozen=True)
class MonthlyFirstBusinessDay:
    at: time

    def fires_on(self, day: date) -> bool:
        return is_first_business_day_of_month(day)

    def next_fire(self, after: datetime) -> datetime:
        return _next_matching(self.fires_on, self.at, after)

    def describe(self) -> str:
        return f"毎月の第1営業日 {_hhmm(self.at)}"


@dataclass(frozen=True)
class Daily:
    """Every day, holidays included (housekeeping that sends nothing)."""

    at: time

    def fires_on(self, day: date) -> bool:
        return True

    def next_fire(self, after: datetime) -> datetime:
        return _next_matching(self.fires_on, self.at, after)

    def describe(self) -> str:
        return f"毎日 {_hhmm(self.at)}"


@dataclass(frozen=True)
class Every:
    interval: timedelta

    def fires_on(self, day: date) -> bool:
        return True

    def next_fire(self, after: datetime) -> datetime:
        step = self.interval.total_seconds()
        local = after.astimezone(JST)
        midnight = datetime.combine(local.date(), time(0), tzinfo=JST)
        elapsed = (local - midnight).total_seconds()
        return midnight + timedelta(seconds=(int(elapsed // step) + 1) * step)

    def describe(self) -> str:
        minutes = int(self.interval.total_seconds() // 60)
        return f"{minutes}分ごと"


Schedule = BusinessDaily | WeeklyOnBusinessDay | MonthlyFirstBusinessDay | Daily | Every


def _next_matching(fires_on, at: time, after: datetime) -> datetime:
    local = after.astimezone(JST)
    day = local.date()
    for _ in range(_SEARCH_DAYS):
        if fires_on(day) and _at(day, at) > local:
            return _at(day, at)
        day += timedelta(days=1)
    raise RuntimeError("no firing within a year")  # pragma: no cover - every schedule fires yearly


def latest_fire(schedule: Schedule, at_or_before: datetime) -> datetime | None:
    """The last firing at or before ``at_or_before`` on the same calendar day (start-up catch-up)."""
    local = at_or_before.astimezone(JST)
    midnight = datetime.combine(local.date(), time(0), tzinfo=JST)
    fire = schedule.next_fire(midnight - timedelta(microseconds=1))
    if fire > local:
        return None
    latest = fire
    while True:
        following = schedule.next_fire(latest)
        if following > local:
            return latest
        latest = following


# --- periods: the "P" of the natural key (job, target, period) ------------------------------


def day_period(moment: datetime) -> str:
    return moment.astimezone(JST).date().isoformat()


def week_period(moment: datetime, weekday: int = 0) -> str:
    """The ISO week whose anchor the firing belongs to: ``2026-W02``.

    A firing moved across a week boundary belongs to the week of its anchor day.
    """
    day = moment.astimezone(JST).date()
    monday = week_start(day)
    if (
        weekly_fire_date(monday, weekday) != day
        and weekly_fire_date(monday - timedelta(days=7), weekday) == day
    ):
        monday -= timedelta(days=7)
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def month_period(moment: datetime) -> str:
    day = moment.astimezone(JST).date()
    return f"{day.year}-{day.month:02d}"
