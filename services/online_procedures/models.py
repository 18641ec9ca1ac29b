"""Plain models of 行政手続きオンライン化 (online procedures). Cards import this module.

The arithmetic and the storage live in :mod:`services.online_procedures.service`; the Excel layout in
:mod:`services.online_procedures.excel`. Everything here is a frozen value: what the cards show.

Vocabulary (the material's):

- a **figure** is one cell of the table: a count with its notes ``(遅れ N)`` (N of the figure are
  procedures carried over late) and ``(前倒し N)`` (N were brought forward from a later period);
- a **period** is a fiscal quarter (``2026Q3``) or, for a year planned only as a whole (the seed's
  R6/R7 columns), the whole fiscal year (``2024FY``);
- a period is *upcoming* before it starts, *open* while its actuals may be reported, and *closed*
  from its closing day (N business days after its end) on. A closed period shows its actual; any
  other period shows its plan.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

JOB_DELAY = "online_procedures.delay"
JOB_ESCALATION = "online_procedures.escalation"
TOTAL_LABEL = "総計"
FIRST_TRACKED_FISCAL_YEAR = 2023  # 令和5年度: the material's year; quarters are tracked from here


def reiwa(fiscal_year: int) -> int:
    return fiscal_year - 2018


# --- figures ---------------------------------------------------------------------------------

_FIGURE = re.compile(r"^(?:\(\s*遅れ\s*(?P<d>\d+)\s*\)\s*)?(?:\(\s*前倒し\s*(?P<a>\d+)\s*\)\s*)?(?P<v>\d+)?$")


@dataclass(frozen=True)
class Figure:
    """One cell: ``value`` with the notes ``(遅れ delayed)`` and ``(前倒し advanced)``, both part of it."""

    value: int = 0
    delayed: int = 0
    advanced: int = 0

    def __add__(self, other: Figure) -> Figure:
        return Figure(self.value + other.value, self.delayed + other.delayed, self.advanced + other.advanced)

    @property
    def text(self) -> str:
        """As the material prints it: ``(遅れ 11) 12``, ``(前倒し 1) 4``, ``5``; blank for a bare 0."""
        notes = ""
        if self.delayed:
            notes += f"(遅れ {self.delayed}) "
        if self.advanced:
            notes += f"(前倒し {self.advanced}) "
        if not notes and self.value == 0:
            return ""
        return f"{notes}{self.value}"

    @classmethod
    def parse(cls, text: str) -> Figure:
        """The inverse of :attr:`text` (half-width digits, no thousands separators); ValueError."""
        norm = " ".join(text.replace("（", "(").replace("）", ")").split())
        if norm == "":
            return cls()
        match = _FIGURE.match(norm)
        if not match or match["v"] is None:
            raise ValueError(text)
        return cls(int(match["v"]), int(match["d"] or 0), int(match["a"] or 0))


# --- periods ---------------------------------------------------------------------------------

_MONTHS = ("4～6月", "7～9月", "10～12月", "1～3月")


@dataclass(frozen=True, order=True)
class Period:
    """A fiscal quarter (``quarter`` 1–4) or a whole fiscal year (``quarter`` 0)."""

    fiscal_year: int
    quarter: int = 0

    def __post_init__(self) -> None:
        if self.quarter not in (0, 1, 2, 3, 4):
            raise ValueError(f"quarter must be 0-4, got {self.quarter}")

    @property
    def is_year(self) -> bool:
        return self.quarter == 0

    @property
    def key(self) -> str:
        return f"{self.fiscal_year}FY" if self.is_year else f"{self.fiscal_year}Q{self.quarter}"

    @classmethod
    def from_key(cls, key: str) -> Period:
        match = re.fullmatch(r"(\d{4})(?:Q([1-4])|FY)", key or "")
        if not match:
            raise ValueError(f"not a period key: {key!r}")
        return cls(int(match[1]), int(match[2] or 0))

    @property
    def start(self) -> date:
        if self.is_year or self.quarter < 4:
            month = 4 + 3 * (max(self.quarter, 1) - 1)
            return date(self.fiscal_year, month, 1)
        return date(self.fiscal_year + 1, 1, 1)

    @property
    def end(self) -> date:
        if self.is_year or self.quarter == 4:
            return date(self.fiscal_year + 1, 3, 31)
        if self.quarter == 3:
            return date(self.fiscal_year, 12, 31)
        return date(self.fiscal_year, 4 + 3 * self.quarter, 1) - timedelta(days=1)

    @property
    def last_quarter(self) -> int:
        return 4 if self.is_year else self.quarter

    @property
    def months_label(self) -> str:
        return "年間" if self.is_year else _MONTHS[self.quarter - 1]

    @property
    def year_label(self) -> str:
        r = reiwa(self.fiscal_year)
        return "令和元年度" if r == 1 else f"令和{r}年度"

    @property
    def label(self) -> str:
        """``令和8年度 第3四半期（10～12月）`` or ``令和6年度（年間）``."""
        if self.is_year:
            return f"{self.year_label}（年間）"
        return f"{self.year_label} 第{self.quarter}四半期（{self.months_label}）"

    @property
    def short_label(self) -> str:
        """``R8 10～12月`` / ``R6 年間``"""
        return f"R{reiwa(self.fiscal_year)} {self.months_label}"


class PeriodState(enum.StrEnum):
    UPCOMING = "upcoming"  # not begun: no actuals
    WAITING = "waiting"  # begun, but the previous period is still taking reports
    OPEN = "open"  # reports accepted (DX PROs and admins)
    CLOSED = "closed"  # actual fixed; only an admin may correct it, with a reason

    @property
    def label(self) -> str:
        return {
            PeriodState.UPCOMING: "開始前",
            PeriodState.WAITING: "前の期間の締め待ち",
            PeriodState.OPEN: "入力受付中",
            PeriodState.CLOSED: "締め済み",
        }[self]


class Source(enum.StrEnum):
    COUNTS = "counts"  # bureau-level counts (the seed table)
    PROCEDURES = "procedures"  # procedure-level records

    @property
    def label(self) -> str:
        return "局別の件数" if self is Source.COUNTS else "手続きごとの記録"


# --- procedures ------------------------------------------------------------------------------


class Group(enum.StrEnum):
    GROUP1 = "グループ1"
    PRIORITY = "重要取組"


class Method(enum.StrEnum):
    E_APPLICATION = "電子申請システム"
    PITTARI = "ぴったりサービス"
    EMAIL = "Eメール"
    OTHER = "その他"


class Status(enum.StrEnum):
    NOT_STARTED = "未着手"
    IN_PROGRESS = "対応中"
    DONE = "完了"
    INDIVIDUAL = "個別対応"


class Blocker(enum.StrEnum):
    CONTRACTOR = "委託事業者が受付"
    PAPER = "紙の添付書類が膨大"
    OTHER = "その他"


@dataclass(frozen=True)
class Procedure:
    """One procedure (手続き) of a bureau that keeps procedure-level records."""

    id: str
    name: str
    section: str = ""
    group: Group = Group.GROUP1
    annual_cases: int | None = None
    important: bool = False  # 重要取組: nationally designated, or 3,000 or more cases a year
    method: Method | None = None
    method_text: str = ""
    planned: Period | None = None
    status: Status = Status.NOT_STARTED
    completed_on: date | None = None
    blocker: Blocker | None = None
    blocker_text: str = ""

    @property
    def done(self) -> bool:
        return self.status is Status.DONE

    @property
    def blocker_label(self) -> str:
        if self.blocker is Blocker.OTHER:
            return f"その他（{self.blocker_text}）" if self.blocker_text else "その他"
        return self.blocker.value if self.blocker else ""


@dataclass(frozen=True)
class DelayedProcedure:
    id: str
    name: str
    section: str
    planned: Period  # the period it was planned for
    delayed_since: date  # the closing day of that period


# --- reports, history and summaries ----------------------------------------------------------


@dataclass(frozen=True)
class ReportView:
    done: int
    delayed: int
    advanced: int
    reason: str = ""
    by_name: str = ""
    at: datetime | None = None
    correction: bool = False


@dataclass(frozen=True)
class HistoryRow:
    """One closed period of a bureau: what was planned, what was done, what was carried on."""

    period: Period
    plan: int | None  # None: not known (the seed's 令和5年度 4～6月 has actuals only)
    plan_delayed: int
    done: int
    done_delayed: int
    done_advanced: int
    shortfall: int  # carried into the next period as 遅れ
    reason: str
    source: str  # "report", "auto" (nothing reported), "seed", "import", "procedures"
    superseded: bool = False  # before a re-basing import: kept for history only


@dataclass(frozen=True)
class PeriodStatus:
    """The period a bureau reports now (or next), with its plan and any report so far."""

    period: Period
    state: PeriodState
    closes_on: date  # first day on which it is closed
    plan: int
    plan_delayed: int
    report: ReportView | None

    @property
    def last_day_for_reports(self) -> date:
        return self.closes_on - timedelta(days=1)


@dataclass(frozen=True)
class Progress:
    """The headline figures, for the city or one bureau."""

    forms_total: int  # 帳票数
    done: int  # completed so far (reported actuals of the open period included)
    advanced: int  # of ``done``, brought forward (前倒し)
    delayed: int  # 遅れ: carried-over procedures not yet done, plus the open period's reported shortfall
    delayed_expected: int  # of ``delayed``, the open period's reported shortfall (見込み)
    not_scheduled: int  # 重要取組未実施
    needs_individual: int  # 個別対応が必要な手続き (not part of 帳票数)

    @property
    def remaining(self) -> int:
        return self.forms_total - self.done

    @property
    def due(self) -> int:
        """What the plan says should be done by now: done on plan plus what is late."""
        return self.done - self.advanced + self.delayed

    @property
    def plan_rate(self) -> float | None:
        """完了のうち計画どおりの分 / 期限到来分 (None when nothing is due yet)."""
        return (self.done - self.advanced) / self.due if self.due else None

    @property
    def completion_rate(self) -> float | None:
        return self.done / self.forms_total if self.forms_total else None

    def __add__(self, other: Progress) -> Progress:
        return Progress(*(a + b for a, b in zip(self._values(), other._values(), strict=True)))

    def _values(self) -> tuple[int, ...]:
        return (
            self.forms_total,
            self.done,
            self.advanced,
            self.delayed,
            self.delayed_expected,
            self.not_scheduled,
            self.needs_individual,
        )


@dataclass(frozen=True)
class BureauSummary:
    bureau: str
    order: int
    source: Source
    progress: Progress
    current: PeriodStatus
    history: tuple[HistoryRow, ...] = ()
    delayed_procedures: tuple[DelayedProcedure, ...] = ()
    procedure_count: int = 0
    version: int = 0
    etag: str | None = None


@dataclass(frozen=True)
class CitySummary:
    as_of: date
    current: Period  # the period being reported now
    current_state: PeriodState
    closes_on: date
    progress: Progress
    bureaus: tuple[BureauSummary, ...]

    @property
    def delayed_bureaus(self) -> tuple[BureauSummary, ...]:
        return tuple(b for b in self.bureaus if b.progress.delayed)

    def count_by_source(self, source: Source) -> int:
        return sum(1 for b in self.bureaus if b.source is source)


# --- the table (the material's layout) -------------------------------------------------------


@dataclass(frozen=True)
class TableColumn:
    """A column of the table: a top header (spanning columns when shared) and a sub header."""

    key: str
    group: str  # row 1 of the material's header ("R5年度", "R3年6月～R5年3月"); "" for a single cell
    label: str  # row 2 ("4～6月 実績"), or the whole header when ``group`` is ""
    show_zero: bool = False  # the material prints 0 here (帳票数) instead of leaving it blank

    @property
    def title(self) -> str:
        return f"{self.group} {self.label}".strip()

    def text(self, figure: Figure) -> str:
        """The cell as the material prints it."""
        return figure.text or ("0" if self.show_zero else "")


@dataclass(frozen=True)
class TableRow:
    bureau: str
    figures: tuple[Figure, ...]
    source: Source = Source.COUNTS
    note: str = ""


@dataclass(frozen=True)
class TableView:
    """The table by bureau for ``fiscal_year`` in the material's layout, with its 総計 row."""

    title: str
    fiscal_year: int
    as_of: date | None  # None for the meeting material's own table (the seed snapshot)
    columns: tuple[TableColumn, ...]
    rows: tuple[TableRow, ...]
    total: TableRow

    def column_index(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)


@dataclass(frozen=True)
class TablePage:
    table: TableView
    number: int  # 1-based
    count: int
    group: str
    rows: tuple[TableRow, ...]
    include_total: bool


# --- the update form -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcedureChoice:
    id: str
    name: str
    section: str
    planned: Period | None
    delayed: bool  # planned for a period that has closed
    done_here: bool  # already completed in this period (pre-selected)


@dataclass(frozen=True)
class UpdateForm:
    """Everything the update card shows; the card carries ``etag`` and ``submission_id`` back."""

    bureau: str
    source: Source
    status: PeriodStatus
    etag: str
    submission_id: str
    correction: bool  # a closed period, corrected by an admin
    values: dict[str, str] = field(default_factory=dict)  # what the user typed (filled back in)
    errors: dict[str, str] = field(default_factory=dict)  # field -> Japanese message
    notice: str = ""
    choices: tuple[ProcedureChoice, ...] = ()
    more_choices: int = 0  # procedures not listed (the card shows a limited number)


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class SubmitResult:
    bureau: str
    period: Period
    changes: tuple[Change, ...]
    summary: BureauSummary
    duplicate: bool = False  # the same card was submitted before: nothing new was saved


# --- alerts (for the scheduler) --------------------------------------------------------------


class AlertTarget(enum.StrEnum):
    DX_PRO_CHANNEL = "dx_pro_channel"  # the bureau's DX PRO channel
    MANAGER = "manager"  # the bureau's manager (escalation)


@dataclass(frozen=True)
class DelayAlert:
    """A delay alert that is due. ``key`` is its natural key: record it (insert-if-absent) before
    sending, so it goes out once. The card is ``cards.online_procedures.delay_alert_card(alert)``."""

    job: str  # JOB_DELAY or JOB_ESCALATION
    bureau: str
    period: Period  # the period whose close made the bureau late
    due_on: date  # the business day from which it should be sent
    escalation: bool
    target: AlertTarget
    delayed: int  # procedures late now (carried over and not yet reported done)
    shortfall: int  # of them, carried from ``period`` itself
    source: Source
    delayed_procedures: tuple[DelayedProcedure, ...] = ()
    current: Period | None = None  # the period in which they can be reported done

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.job, self.bureau, self.period.key)
