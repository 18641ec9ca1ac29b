"""When jobs fire: business days, "Monday 09:00 or the next business day", "the first business
day of the month", across Golden Week, the year-end break and substitute holidays."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from services.kernel.calendar import JST
from services.proactive.schedule import (
    BusinessDaily,
    Every,
    MonthlyFirstBusinessDay,
    WeeklyOnBusinessDay,
    first_business_day_of_month,
    latest_fire,
    month_period,
    parse_time_of_day,
    parse_weekday,
    week_period,
)

NINE = time(9, 0)


def at(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=JST)


def fires(schedule, start: datetime, count: int) -> list[datetime]:
    out, moment = [], start
    for _ in range(count):
        moment = schedule.next_fire(moment)
        out.append(moment)
    return out


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (at(2026, 1, 9, 10), at(2026, 1, 13, 9)),  # Mon 1/12 成人の日 → Tue
        (at(2026, 5, 1, 10), at(2026, 5, 7, 9)),  # GW: 5/4 Mon, 5/5, 5/6 振替休日 → Thu 5/7
        (at(2026, 9, 18, 10), at(2026, 9, 24, 9)),  # 9/21 敬老の日, 9/22 国民の休日, 9/23 秋分の日 → Thu
        (at(2025, 11, 21, 10), at(2025, 11, 25, 9)),  # Mon 11/24 振替休日 (勤労感謝の日 on Sunday) → Tue
        (at(2026, 1, 19, 8, 59), at(2026, 1, 19, 9)),  # an ordinary Monday, before 9:00
        (at(2026, 1, 19, 9), at(2026, 1, 26, 9)),  # strictly after: at 9:00 the next is a week on
    ],
)
def test_weekly_digest_monday_9_or_the_next_business_day(after, expected):
    assert WeeklyOnBusinessDay(0, NINE).next_fire(after) == expected


def test_a_week_with_no_business_day_gets_no_digest_and_no_week_gets_two():
    # Mon 2025-12-29 .. Sat 2026-01-03 is the year-end break: that week's digest would move to
    # Mon 1/5, which is the next week's own Monday, so there is exactly one digest on 1/5.
    got = fires(WeeklyOnBusinessDay(0, NINE), at(2025, 12, 23), 3)
    assert got == [at(2026, 1, 5, 9), at(2026, 1, 13, 9), at(2026, 1, 19, 9)]
    assert week_period(got[0]) == "2026-W02"
    assert len({week_period(f) for f in fires(WeeklyOnBusinessDay(0, NINE), at(2025, 1, 1), 104)}) == 104


def test_a_friday_digest_moved_into_the_next_week_belongs_to_its_own_week():
    # Fri 2026-01-02 is in the break: the digest of the week of 12/29 goes out on Mon 1/5
    schedule = WeeklyOnBusinessDay(4, NINE)
    first = schedule.next_fire(at(2025, 12, 27))
    assert first == at(2026, 1, 5, 9)
    assert week_period(first, 4) == "2026-W01"
    assert week_period(schedule.next_fire(first), 4) == "2026-W02"  # Fri 1/9


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2026, 1, date(2026, 1, 5)),  # 1/1-1/3 break, 1/4 Sunday
        (2023, 1, date(2023, 1, 4)),  # 1/2 振替休日 and break, 1/3 break
        (2027, 5, date(2027, 5, 6)),  # 5/1 Sat, 5/2 Sun, 5/3-5/5 holidays
        (2026, 5, date(2026, 5, 1)),  # Friday, a business day in Golden Week
        (2026, 11, date(2026, 11, 2)),  # 11/1 Sunday
        (2025, 3, date(2025, 3, 3)),  # 3/1 Sat
    ],
)
def test_first_business_day_of_the_month(year, month, expected):
    assert first_business_day_of_month(year, month) == expected
    fire = MonthlyFirstBusinessDay(NINE).next_fire(at(year, month, 1) - timedelta(days=1))
    assert fire == datetime.combine(expected, NINE, tzinfo=JST)
    assert month_period(fire) == f"{year}-{month:02d}"


def test_business_daily_skips_golden_week_and_the_year_end_break():
    days = [f.date() for f in fires(BusinessDaily(time(9, 30)), at(2026, 4, 28, 12), 4)]
    assert days == [date(2026, 4, 30), date(2026, 5, 1), date(2026, 5, 7), date(2026, 5, 8)]
    days = [f.date() for f in fires(BusinessDaily(time(9, 30)), at(2026, 12, 28, 12), 1)]
    assert days == [date(2027, 1, 4)]


def test_every_interval_aligns_to_the_clock():
    assert Every(timedelta(minutes=5)).next_fire(at(2026, 1, 5, 10, 3)) == at(2026, 1, 5, 10, 5)
    assert Every(timedelta(minutes=5)).next_fire(at(2026, 1, 5, 10, 5)) == at(2026, 1, 5, 10, 10)


def test_latest_fire_today_for_the_start_up_catch_up():
    daily = BusinessDaily(time(9, 30))
    assert latest_fire(daily, at(2026, 9, 24, 10)) == at(2026, 9, 24, 9, 30)
    assert latest_fire(daily, at(2026, 9, 24, 9)) is None  # not yet
    assert latest_fire(daily, at(2026, 9, 23, 10)) is None  # a holiday


def test_descriptions_are_japanese():
    assert WeeklyOnBusinessDay(0, NINE).describe() == "毎週月曜 9:00（休日の場合は翌営業日）"
    assert MonthlyFirstBusinessDay(NINE).describe() == "毎月の第1営業日 9:00"
    assert "土日・祝日・年末年始を除く" in BusinessDaily(time(9, 30)).describe()


def test_parsers():
    assert parse_time_of_day("9:05") == time(9, 5) and parse_time_of_day("23:59") == time(23, 59)
    assert parse_weekday("Mon") == 0 and parse_weekday("fri") == 4 and parse_weekday("水") == 2
    for bad in ("24:00", "9", "09:60", ""):
        with pytest.raises(ValueError):
            parse_time_of_day(bad)
    with pytest.raises(ValueError):
        parse_weekday("someday")
