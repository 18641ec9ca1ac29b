"""Time as the city counts it: fiscal quarters, business days and Japanese dates (DESIGN §7).

- The fiscal year runs April to March; 令和N年度 starts in April of 2018+N.
  Quarters: Q1 Apr–Jun, Q2 Jul–Sep, Q3 Oct–Dec, Q4 Jan–Mar (of the next calendar year).
- A business day is a weekday that is not a national holiday (``jpholiday``, substitute
  holidays included) and not in the year-end break 12/29–1/3.
- Dates in input files come in 西暦 or 和暦 (``昭和45年3月1日``, ``S45.3.1``, ``R5.4.1``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import jpholiday

JST = ZoneInfo("Asia/Tokyo")

# era name, initial, first day
_ERAS = (
    ("令和", "R", date(2019, 5, 1)),
    ("平成", "H", date(1989, 1, 8)),
    ("昭和", "S", date(1926, 12, 25)),
    ("大正", "T", date(1912, 7, 30)),
    ("明治", "M", date(1868, 1, 25)),
)
_ERA_BY_KEY = {key: start for name, initial, start in _ERAS for key in (name, initial)}


class DateParseError(ValueError):
    """The text is not a date in any accepted form. The message is Japanese, for the user."""


@dataclass(frozen=True, order=True)
class FiscalQuarter:
    fiscal_year: int  # the calendar year in which the fiscal year starts (令和5年度 = 2023)
    quarter: int  # 1..4

    def __post_init__(self) -> None:
        if self.quarter not in (1, 2, 3, 4):
            raise ValueError(f"quarter must be 1-4, got {self.quarter}")

    @classmethod
    def of(cls, day: date) -> FiscalQuarter:
        if day.month >= 4:
            return cls(day.year, (day.month - 4) // 3 + 1)
        return cls(day.year - 1, 4)

    @property
    def start(self) -> date:
        month = 4 + 3 * (self.quarter - 1)
        return date(self.fiscal_year + 1, 1, 1) if self.quarter == 4 else date(self.fiscal_year, month, 1)

    @property
    def end(self) -> date:
        return self.next().start - timedelta(days=1)

    def next(self) -> FiscalQuarter:
        return (
            FiscalQuarter(self.fiscal_year + 1, 1)
            if self.quarter == 4
            else FiscalQuarter(self.fiscal_year, self.quarter + 1)
        )

    def previous(self) -> FiscalQuarter:
        return (
            FiscalQuarter(self.fiscal_year - 1, 4)
            if self.quarter == 1
            else FiscalQuarter(self.fiscal_year, self.quarter - 1)
        )

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def key(self) -> str:
        """A sortable storage key: ``2023Q1``."""
        return f"{self.fiscal_year}Q{self.quarter}"

    @classmethod
    def from_key(cls, key: str) -> FiscalQuarter:
        match = re.fullmatch(r"(\d{4})Q([1-4])", key)
        if not match:
            raise ValueError(f"not a quarter key: {key!r}")
        return cls(int(match[1]), int(match[2]))

    @property
    def months_label(self) -> str:
        """The material's column label: ``4～6月``, ``7～9月``, ``10～12月``, ``1～3月``."""
        return ("4～6月", "7～9月", "10～12月", "1～3月")[self.quarter - 1]

    @property
    def label(self) -> str:
        """``令和5年度 第1四半期``"""
        return f"{fiscal_year_label(self.fiscal_year)} 第{self.quarter}四半期"


def fiscal_year_label(fiscal_year: int) -> str:
    reiwa = fiscal_year - 2018
    return "令和元年度" if reiwa == 1 else f"令和{reiwa}年度"


def today_jst(now: datetime | None = None) -> date:
    return (now or datetime.now(JST)).astimezone(JST).date()


# --- business days -----------------------------------------------------------------------------


def is_year_end_break(day: date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and not jpholiday.is_holiday(day) and not is_year_end_break(day)


def next_business_day(day: date) -> date:
    """``day`` itself if it is a business day, otherwise the next one."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def add_business_days(day: date, count: int) -> date:
    """The date ``count`` business days after ``day`` (``day`` itself does not count)."""
    if count < 0:
        raise ValueError("count must be 0 or more")
    if count == 0:
        return next_business_day(day)
    while count:
        day += timedelta(days=1)
        if is_business_day(day):
            count -= 1
    return day


def business_days_between(start: date, end: date) -> int:
    """Business days in ``(start, end]``."""
    days, day = 0, start
    while day < end:
        day += timedelta(days=1)
        days += is_business_day(day)
    return days


# --- Japanese dates ----------------------------------------------------------------------------

_WAREKI = re.compile(
    r"^(令和|平成|昭和|大正|明治|[RHSTM])\s*(元|\d{1,2})\s*[年.\-/]\s*(\d{1,2})\s*[月.\-/]\s*(\d{1,2})\s*日?$"
)
_SEIREKI = re.compile(r"^(\d{4})\s*[年.\-/]\s*(\d{1,2})\s*[月.\-/]\s*(\d{1,2})\s*日?$")


def parse_japanese_date(text: str) -> date:
    """Parse 西暦 (``2023-04-01``, ``2023/4/1``, ``2023年4月1日``) or 和暦 (``令和5年4月1日``,
    ``R5.4.1``, ``昭和45年3月1日``, ``S45.3.1``, ``令和元年5月1日``)."""
    norm = unicodedata.normalize("NFKC", str(text or "")).strip().upper()
    if not norm:
        raise DateParseError("日付が空です")
    try:
        match = _SEIREKI.match(norm)
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
        match = _WAREKI.match(norm)
        if match:
            era_start = _ERA_BY_KEY[match[1]]
            year_in_era = 1 if match[2] == "元" else int(match[2])
            result = date(era_start.year + year_in_era - 1, int(match[3]), int(match[4]))
            if result < era_start or year_in_era < 1:
                raise DateParseError(f"「{text}」はその元号の期間にない日付です")
            return result
    except ValueError as error:
        if isinstance(error, DateParseError):
            raise
        raise DateParseError(f"「{text}」は存在しない日付です") from error
    raise DateParseError(f"「{text}」は日付として読み取れません（例: 2023-04-01、令和5年4月1日、R5.4.1）")
