"""デジタル・ディバイド対策: plain models (cards import this module)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

WARDS: tuple[str, ...] = ("堺区", "中区", "東区", "西区", "南区", "北区", "美原区")
SNAPSHOT_LABEL = "2023年8月8日 会議資料時点"
R5 = 2023  # 令和5年度


@dataclass(frozen=True)
class Plan:
    fiscal_year: int
    classes: int
    people: int
    source: str  # 「会議資料（令和5年度予定）」 or 「設定 DIGITAL_DIVIDE_PLANS」


@dataclass(frozen=True)
class SmartphoneClass:
    id: str
    day: date
    start: time
    end: time
    ward: str
    venue: str
    partner: str
    capacity: int
    attendance: int | None = None  # None: not recorded yet
    recorded_by: str = ""  # Entra object id of who recorded it
    etag: str | None = None

    @property
    def time_label(self) -> str:
        return f"{self.start:%H:%M}～{self.end:%H:%M}"

    def values(self) -> dict[str, object]:
        return {
            "day": self.day.isoformat(),
            "start": f"{self.start:%H:%M}",
            "end": f"{self.end:%H:%M}",
            "ward": self.ward,
            "venue": self.venue,
            "partner": self.partner,
            "capacity": self.capacity,
            "attendance": self.attendance,
        }


@dataclass(frozen=True)
class MonthRow:
    year: int
    month: int
    plan: int  # classes planned in the month (the year's plan spread evenly over 12 months)
    held: int  # classes held (date passed or attendance recorded)
    people: int  # attendance recorded
    cumulative_plan: int
    cumulative_held: int
    closed: bool  # the month is over

    @property
    def label(self) -> str:
        return f"{self.month}月"

    @property
    def behind(self) -> bool:
        return self.closed and self.cumulative_held < self.cumulative_plan


@dataclass(frozen=True)
class WardRow:
    ward: str
    plan: int  # an even share of the year's plan (目安)
    held: int
    people: int
    upcoming: int


@dataclass(frozen=True)
class PlanView:
    fiscal_year: int
    plan: Plan | None
    months: tuple[MonthRow, ...]
    wards: tuple[WardRow, ...]
    held: int
    people: int
    unrecorded: tuple[SmartphoneClass, ...]  # held, attendance not recorded
    as_of: date

    @property
    def behind_months(self) -> tuple[MonthRow, ...]:
        return tuple(m for m in self.months if m.behind)


@dataclass(frozen=True)
class OutreachItem:
    key: str
    label: str  # 「ポスター（市有施設）」
    unit: str  # 枚 / 件
    planned: int | None = None
    actual: int | None = None


@dataclass(frozen=True)
class Outreach:
    fiscal_year: int
    items: tuple[OutreachItem, ...]
    note: str = ""  # e.g. 広報さかい 8月号
    etag: str | None = None
    updated_by: str = ""  # who saved the figures last (a retry of theirs is a duplicate)


@dataclass(frozen=True)
class PartnerContact:
    partner: str
    object_id: str
    name: str


@dataclass(frozen=True)
class Overview:
    """The material's words: 取組の概要 and the two pillars, and the R5 actions (snapshot)."""

    summary: str
    pillars: tuple[tuple[str, str], ...]
    actions: tuple[str, ...]
    r4: tuple[tuple[str, str, int, str], ...]  # 媒体, 掲示・配架先, 数, 単位


@dataclass(frozen=True)
class ClassForm:
    """The record form: values as typed, errors per field."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    partners: tuple[str, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int

    @property
    def summary(self) -> str:
        return f"追加 {self.added}件・更新 {self.updated}件・変更なし {self.unchanged}件"
