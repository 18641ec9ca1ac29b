"""Plain models of キャッシュレス. Cards import this module; everything here is a frozen value.

Vocabulary (the material's, §3 キャッシュレスの推進):

- a **receivable** (債権) is one kind of payment the city collects, with its channel (納付書,
  市窓口・直営施設, 指定管理者施設), its annual cases and amount (empty until a section enters
  them: never zero by default), the cashless methods in place and its rollout status;
- its **class** is what the policy makes of it (全面導入の対象, 二次元コード決済, 対象外, 判定保留,
  導入済み) with the **rule** that put it there, in Japanese;
- **coverage** is the share of the registry's total annual amount that the targets cover (the
  material claims 96% or more), computed from the receivables whose amount is known, with how
  many it is missing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

PROGRAMME_KEY = "cashless"
SNAPSHOT_LABEL = "2023年8月8日 会議資料時点"
CLAIMED_COVERAGE_PERCENT = 96  # the material: 年間件数3,000件以上の債権は金額ベースで96%以上

# the fields of the update card
FIELD_STATUS = "status"
FIELD_PLANNED = "planned_on"
FIELD_CASES = "cases"
FIELD_AMOUNT = "amount"
FIELD_METHODS = "methods"
FIELD_TENDER = "tender"
FIELD_REASON = "reason"
FIELD_BUREAU = "owner_bureau"  # admins only
FIELD_SECTION = "section"  # admins only
FIELDS = (
    FIELD_STATUS,
    FIELD_PLANNED,
    FIELD_CASES,
    FIELD_AMOUNT,
    FIELD_METHODS,
    FIELD_TENDER,
    FIELD_REASON,
    FIELD_BUREAU,
    FIELD_SECTION,
)
METHOD_NONE = "none"


def reiwa_label(fiscal_year: int) -> str:
    r = fiscal_year - 2018
    return "令和元年度" if r == 1 else f"令和{r}年度"


class Channel(enum.StrEnum):
    PAYMENT_SLIP = "納付書"
    COUNTER = "市窓口・直営施設"
    DESIGNATED = "指定管理者施設"

    @classmethod
    def from_seed(cls, text: str) -> Channel:
        return {
            "納付書債権": cls.PAYMENT_SLIP,
            "市窓口 直営施設債権": cls.COUNTER,
            "指定管理者施設債権": cls.DESIGNATED,
        }[text]


class Method(enum.StrEnum):
    """Cashless methods in place at a receivable (none: the empty tuple)."""

    CARD = "クレジットカード・電子マネー"
    QR = "二次元コード"
    AGENCY = "収納代行"


class Rollout(enum.StrEnum):
    NOT_STARTED = "未着手"
    ADJUSTING = "調整中"
    PLANNED = "導入予定"
    DONE = "導入済"

    @property
    def rank(self) -> int:
        return list(Rollout).index(self)


class PolicyClass(enum.StrEnum):
    TARGET = "全面導入の対象"
    QR = "二次元コード決済"
    EXCLUDED = "対象外"
    UNDETERMINED = "判定保留"
    INTRODUCED = "導入済み"


@dataclass(frozen=True)
class Thresholds:
    """The policy's numbers (settings): targets from ``min_cases`` a year; QR payment below
    ``qr_max_unit_price`` yen."""

    min_cases: int = 3000
    qr_max_unit_price: int = 500


@dataclass(frozen=True)
class Exclusion:
    """A receivable whose name contains ``keyword`` is not a target, for ``reason``."""

    id: str
    keyword: str
    reason: str
    source: str = "会議資料"  # or who added it


@dataclass(frozen=True)
class HistoryEntry:
    at: str  # ISO datetime, Asia/Tokyo
    by_name: str
    status: Rollout
    planned_on: date | None = None
    note: str = ""


@dataclass(frozen=True)
class Receivable:
    id: str
    name: str
    channel: Channel
    bureau: str = ""  # empty: not assigned yet (admins only may write it)
    section: str = ""
    annual_cases: int | None = None  # None: not entered (never shown as 0)
    annual_amount: int | None = None  # yen
    methods: tuple[Method, ...] | None = ()  # None: not recorded
    status: Rollout = Rollout.NOT_STARTED
    planned_on: date | None = None
    tender_year: int | None = None  # 指定管理者: fiscal year of the next 切替公募
    tender_note: str = ""  # e.g. 複数年
    listed: bool = False  # in the material's list of receivables of 3,000 cases or more
    introduced: str = ""  # R4 / R5当初 for what the material says is done
    note: str = ""
    history: tuple[HistoryEntry, ...] = ()
    version: int = 0
    etag: str | None = None

    @property
    def unit_price(self) -> int | None:
        if self.annual_cases and self.annual_amount is not None:
            return round(self.annual_amount / self.annual_cases)
        return None

    @property
    def owner_label(self) -> str:
        if not self.bureau:
            return "所管未設定"
        return f"{self.bureau} {self.section}".strip()

    @property
    def tender_label(self) -> str:
        if self.tender_year is not None:
            return f"R{self.tender_year - 2018}（{reiwa_label(self.tender_year)}）"
        return self.tender_note

    @property
    def methods_label(self) -> str:
        if self.methods is None:
            return "未記録"
        return "・".join(m.value for m in self.methods) if self.methods else "なし"


@dataclass(frozen=True)
class Classification:
    policy_class: PolicyClass
    rule: str  # the rule that put it there, in Japanese
    exclusion: Exclusion | None = None


@dataclass(frozen=True)
class Coverage:
    """Share of the total annual amount covered by targets, from receivables with a known amount."""

    covered_amount: int
    total_amount: int
    counted: int  # receivables whose amount (and cases) are known
    missing: int  # receivables whose amount or cases are not entered: not in the figure
    excluded_from_total: int = 0  # 対象外 receivables are part of the total
    claim_percent: int = CLAIMED_COVERAGE_PERCENT

    @property
    def share(self) -> float | None:
        return self.covered_amount / self.total_amount if self.total_amount else None

    @property
    def meets_claim(self) -> bool | None:
        share = self.share
        return None if share is None else share * 100 >= self.claim_percent


@dataclass(frozen=True)
class Row:
    receivable: Receivable
    classification: Classification
    late: bool = False  # 導入予定 and the date has passed
    reminder_on: date | None = None  # 指定管理者: the switching-year reminder date


@dataclass(frozen=True)
class Overview:
    as_of: date
    rows: tuple[Row, ...]
    coverage: Coverage
    thresholds: Thresholds
    indicator: IndicatorView | None = None

    @property
    def late(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.late)

    def count(self, channel: Channel, status: Rollout) -> int:
        return sum(1 for r in self.rows if r.receivable.channel is channel and r.receivable.status is status)

    def by_class(self, policy_class: PolicyClass) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.classification.policy_class is policy_class)

    @property
    def missing_figures(self) -> int:
        return sum(
            1 for r in self.rows if r.receivable.annual_cases is None or r.receivable.annual_amount is None
        )


# --- the national indicator --------------------------------------------------------------------


class PayMethod(enum.StrEnum):
    CASH = "現金"
    TRANSFER = "口座振替"
    CARD = "クレジットカード"
    DEBIT = "デビットカード"
    EMONEY = "電子マネー"
    QR = "二次元コード"
    AGENCY = "収納代行"

    @property
    def cashless(self) -> bool:
        """Counted in the cashless share of the 2025 goal (card, debit, e-money, QR)."""
        return self in (PayMethod.CARD, PayMethod.DEBIT, PayMethod.EMONEY, PayMethod.QR)

    @property
    def cashless_revised(self) -> bool:
        """Counted in the revised index of the 2030 goal: the above plus 口座振替 (see the docs)."""
        return self.cashless or self is PayMethod.TRANSFER


@dataclass(frozen=True)
class IndicatorLine:
    fiscal_year: int
    method: PayMethod
    cases: int
    amount: int


@dataclass(frozen=True)
class IndicatorYear:
    fiscal_year: int
    lines: tuple[IndicatorLine, ...]

    @property
    def total_amount(self) -> int:
        return sum(x.amount for x in self.lines)

    @property
    def total_cases(self) -> int:
        return sum(x.cases for x in self.lines)

    def share(self, revised: bool = False) -> float | None:
        if not self.total_amount:
            return None
        picked = sum(
            x.amount for x in self.lines if (x.method.cashless_revised if revised else x.method.cashless)
        )
        return picked / self.total_amount


@dataclass(frozen=True)
class IndicatorView:
    years: tuple[IndicatorYear, ...]
    goal_2025: int
    goal_2030: int
    imported_at: str = ""
    imported_by: str = ""
    filename: str = ""


# --- alerts, forms, results -----------------------------------------------------------------------


class AlertKind(enum.StrEnum):
    LATE = "late"  # 導入予定 and the planned date has passed
    SWITCH = "switch"  # 指定管理者: the switching year's 公募 is coming


@dataclass(frozen=True)
class CashlessAlert:
    kind: AlertKind
    receivable_id: str
    name: str
    bureau: str
    section: str
    due_on: date
    planned_on: date | None = None
    tender_year: int | None = None
    status: Rollout = Rollout.NOT_STARTED


@dataclass(frozen=True)
class ChangeLine:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class UpdateForm:
    receivable: Receivable
    classification: Classification
    submission_id: str
    admin: bool = False
    bureaus: tuple[str, ...] = ()  # choices for an admin
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    notice: str = ""
    current: dict[str, str] = field(default_factory=dict)  # after a conflict: the values stored now


@dataclass(frozen=True)
class SubmitResult:
    receivable: Receivable
    classification: Classification
    changes: tuple[ChangeLine, ...]
    duplicate: bool = False
