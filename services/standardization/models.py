"""Plain models of 業務システムの標準化 (standardisation of the core business systems). Cards import this.

Vocabulary (the material's):

- a **system** is the system of one of the 20 standardised operations (the national list), owned by
  a section (所管課) of a bureau, supplied by a vendor (事業者), migrating to a 標準準拠システム that
  meets the specification published at the end of March R5;
- a **step** (工程) is one line of the schedule: 見積依頼, Gap対応, 見積精査 (the material's three),
  then 予算要求, 移行 and 稼働; each is owned by the system's section, the ICT office, or both;
- a **gap** (Gap, ※2) is a difference between the current system and the standard specification;
  a gap needing a budget goes to the ICT office's review on three points (※3, heard in the order
  the gaps were submitted);
- **costs** follow ※1: 移行経費等 (the subsidy-eligible part), and outside the subsidy
  ガバメントクラウド利用料, 疎結合システムの構築費, 業務効率化ツールの提供等にかかる経費 and others.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

PROGRAMME_KEY = "standardization"
#: 令和7年度末: the deadline of point ① (and of the city's plan for the data requirements, point ②).
STANDARD_DEADLINE = date(2026, 3, 31)
#: 令和8年（2026年）3月末: the data-requirements deadline of the hard-to-migrate systems (point ②).
DATA_REQUIREMENTS_DEADLINE = date(2026, 3, 31)
TARGET_SPECIFICATION = "令和5年3月末時点で公表された標準仕様書"
MEETING_DATE = date(2023, 8, 8)
SNAPSHOT_LABEL = "2023年8月8日 会議資料時点"
ROUNDING_RULE = (
    "補助金の按分は、各システムの補助対象経費の割合で計算し1円未満を切り捨てます。"
    "切り捨てで残った円は、切り捨てた端数の大きいシステムから順に1円ずつ配分します（同じ端数は番号順）。"
    "このため各システムの補助金の合計は全体の補助金額に、市費の合計は全体の市費に一致します。"
)


class StepStatus(enum.StrEnum):
    NOT_STARTED = "未着手"
    IN_PROGRESS = "対応中"
    DONE = "完了"


class Owner(enum.StrEnum):
    SECTION = "担当課"
    ICT = "ICT推進室"
    BOTH = "担当課・ICT推進室"

    @property
    def section_writes(self) -> bool:
        return self is not Owner.ICT


class DeadlineKind(enum.StrEnum):
    STANDARD = "standard"  # 令和7年度末
    HARD = "hard"  # 移行の難易度が極めて高い: the ordinance sets the migration deadline
    SPECIAL = "special"  # 特定移行支援システム: its own deadline


@dataclass(frozen=True)
class StepDef:
    """One configured step. ``until_deadline``: its end is the system's migration deadline."""

    key: str  # ASCII: "quote", "gap", "review", "budget", "migrate", "live", or "s<N>" for added ones
    name: str
    owner: Owner
    start: date | None = None
    end: date | None = None
    until_deadline: bool = False
    section_task: str = ""  # 各システム担当課 (the material's column)
    ict_task: str = ""  # ICTイノベーション推進室


@dataclass(frozen=True)
class Step:
    key: str
    status: StepStatus = StepStatus.NOT_STARTED
    start: date | None = None  # None: the configured date
    end: date | None = None
    done_on: date | None = None
    note: str = ""


class CostCategory(enum.StrEnum):
    MIGRATION_OUTSIDE = "移行経費等（補助対象外）"
    CLOUD = "ガバメントクラウド利用料"
    LOOSE = "疎結合システムの構築費"
    TOOLS = "業務効率化ツールの提供等にかかる経費"
    OTHER = "その他"


@dataclass(frozen=True)
class Costs:
    """The estimate of one system, in yen: the subsidy-eligible part and the rest by ※1 category."""

    eligible: int = 0  # 移行経費等のうち補助対象
    outside: tuple[int, ...] = (0, 0, 0, 0, 0)  # per CostCategory, in order

    @property
    def total(self) -> int:
        return self.eligible + sum(self.outside)

    @property
    def entered(self) -> bool:
        return self.total > 0


@dataclass(frozen=True)
class System:
    number: str  # "01".."20"
    operation: str  # 住民基本台帳 …
    group: str  # システム区分: 税 for the four tax operations
    bureau: str = ""  # 所管局 ("" : not assigned; admins only)
    section: str = ""  # 所管課
    vendor: str = ""
    specification: str = TARGET_SPECIFICATION
    hard: bool = False  # 移行の難易度が極めて高いと考えられるシステム
    special: bool = False  # 特定移行支援システム
    own_deadline: date | None = None  # set by an admin: the ordinance's (hard) or the special one
    data_done_on: date | None = None  # data requirements met (hard systems)
    steps: tuple[Step, ...] = ()
    costs: Costs = Costs()
    etag: str | None = None

    @property
    def label(self) -> str:
        return f"{self.number} {self.operation}"

    def step(self, key: str) -> Step:
        return next((s for s in self.steps if s.key == key), Step(key))


@dataclass(frozen=True)
class Deadline:
    kind: DeadlineKind
    due: date | None  # None: not set yet (the ordinance has not set it)
    label: str  # 「令和7年度末（2026年3月31日）」


@dataclass(frozen=True)
class Overdue:
    days: int
    months: int

    @property
    def label(self) -> str:
        if not self.months:
            return f"{self.days:,}日超過"
        years, months = divmod(self.months, 12)
        span = f"{years}年{months}か月" if years and months else f"{years}年" if years else f"{months}か月"
        return f"{self.days:,}日超過（約{span}）"


@dataclass(frozen=True)
class StepView:
    definition: StepDef
    step: Step
    start: date | None
    end: date | None
    overdue: Overdue | None = None
    due_soon: bool = False


@dataclass(frozen=True)
class SystemStatus:
    system: System
    deadline: Deadline
    live_on: date | None
    overdue: Overdue | None  # past its migration deadline and not live
    data_overdue: Overdue | None  # hard systems: data requirements not met by March R8
    steps: tuple[StepView, ...]
    gaps: int = 0
    gaps_waiting: int = 0  # needing a budget and not reviewed yet

    @property
    def current_step(self) -> StepView | None:
        return next((s for s in self.steps if s.step.status is not StepStatus.DONE), None)

    @property
    def overdue_steps(self) -> tuple[StepView, ...]:
        return tuple(s for s in self.steps if s.overdue)

    @property
    def state_label(self) -> str:
        if self.live_on:
            return "稼働済み"
        if self.overdue:
            return "期限超過"
        current = self.current_step
        return f"{current.definition.name}（{current.step.status.value}）" if current else "稼働待ち"


# --- gaps and the review ---------------------------------------------------------------------


class Handling(enum.StrEnum):
    FLOW = "業務フローの変更（原則）"
    LOOSE = "疎結合システムの構築"
    TOOL = "業務ツールの導入"
    OTHER = "その他の予算措置"

    @property
    def needs_budget(self) -> bool:
        return self is not Handling.FLOW


class ReviewResult(enum.StrEnum):
    OK = "妥当"
    RECONSIDER = "要再検討"


REVIEW_POINTS: tuple[tuple[str, str], ...] = (
    ("need", "システム化の必要性"),
    ("method", "システム化方法の妥当性"),
    ("scope", "システム化範囲の妥当性"),
)


@dataclass(frozen=True)
class Review:
    results: tuple[ReviewResult, ...]  # per REVIEW_POINTS
    comments: tuple[str, ...]
    by_name: str
    at: datetime

    @property
    def passed(self) -> bool:
        return all(r is ReviewResult.OK for r in self.results)


@dataclass(frozen=True)
class Gap:
    id: str  # "<system number>-<sequence>", sequence city-wide in submission order
    system: str  # system number
    sequence: int  # the order of submission (city-wide): reviews are heard in this order
    title: str
    detail: str
    handling: Handling
    amount: int | None  # estimated budget in yen (budgeted measures)
    submitted_at: datetime
    submitted_by: str
    review: Review | None = None

    @property
    def state_label(self) -> str:
        if not self.handling.needs_budget:
            return "精査不要（業務フローの変更）"
        if self.review is None:
            return "精査待ち"
        return "精査済み（妥当）" if self.review.passed else "精査済み（要再検討あり）"

    @property
    def waiting(self) -> bool:
        return self.handling.needs_budget and self.review is None


# --- costs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostRow:
    number: str
    operation: str
    total: int
    eligible: int
    outside: tuple[int, ...]
    subsidy: int  # this system's part of the subsidy received
    city_cost: int  # 市費 = total - subsidy
    share: float | None  # of the city-wide 市費 (None when that is 0)


@dataclass(frozen=True)
class CostSummary:
    cap: int | None  # the national subsidy cap for the city (None: not entered)
    total: int
    eligible: int
    outside: tuple[int, ...]  # per CostCategory
    subsidy: int  # min(eligible, cap)
    city_cost: int
    rows: tuple[CostRow, ...]
    snapshot_ratio: int = 5  # the material: eligible costs are five times the cap

    @property
    def ratio(self) -> float | None:
        """Eligible costs over the cap (the material: about 5)."""
        return self.eligible / self.cap if self.cap else None


@dataclass(frozen=True)
class Overview:
    as_of: date
    statuses: tuple[SystemStatus, ...]
    costs: CostSummary
    review_queue: tuple[Gap, ...]
    steps: tuple[StepDef, ...]

    @property
    def live(self) -> int:
        return sum(1 for s in self.statuses if s.live_on)

    @property
    def overdue(self) -> tuple[SystemStatus, ...]:
        return tuple(s for s in self.statuses if s.overdue or s.data_overdue)


@dataclass(frozen=True)
class SystemView:
    status: SystemStatus
    gaps: tuple[Gap, ...]
    may_write: bool
    may_review: bool
    queue_positions: dict[str, int] = field(default_factory=dict)  # gap id -> position in the review queue


@dataclass(frozen=True)
class Saved:
    """What a write did: ``duplicate`` when the same person sent the same values again."""

    message: str
    duplicate: bool = False


# --- alerts ----------------------------------------------------------------------------------


class AlertKind(enum.StrEnum):
    DUE_SOON = "due_soon"
    STEP_OVERDUE = "step_overdue"
    DEADLINE = "deadline"


@dataclass(frozen=True)
class StepAlert:
    kind: AlertKind
    number: str
    operation: str
    bureau: str
    step: str  # step name ("" for the system's deadline)
    step_key: str
    due: date
    overdue: Overdue | None = None

    @property
    def key(self) -> str:
        return "|".join(
            (PROGRAMME_KEY, self.number, self.step_key or "system", self.due.isoformat(), self.kind.value)
        )
