"""ICTリテラシー: plain models (cards import this module)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

#: The levels in order; 0 is "not yet" (まだ). The material's words.
LEVELS: tuple[str, ...] = ("わかる", "つかえる", "つくれる")
NOT_YET = "まだ"
USE = 2  # つかえる
BUILD = 3  # つくれる
DEFAULT_TOOLS: tuple[str, ...] = ("Teams", "Microsoft 365", "RPA", "データベース・Power Platform")
SNAPSHOT_LABEL = "2023年8月8日 会議資料時点"


def level_name(rank: int) -> str:
    return LEVELS[rank - 1] if 1 <= rank <= len(LEVELS) else NOT_YET


@dataclass(frozen=True)
class LevelInfo:
    """One level of the 取組イメージ: 「つかえる」 業務の課題解決に必要なデジタルツールがつかえる."""

    rank: int  # 1..3 (the 継続 row has rank 0)
    name: str
    stage: str  # 理解 / 推進 / 導入 / 継続
    description: str
    points: tuple[str, ...] = ()


@dataclass(frozen=True)
class StrategyItem:
    number: str  # ① ② ③ ("" for the aim)
    heading: str
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Strategy:
    """The material's words: the aim, 課題 ①②③, 取組 ①②③ and the levels."""

    aim: str
    issues: tuple[StrategyItem, ...]
    initiatives: tuple[StrategyItem, ...]
    levels: tuple[LevelInfo, ...]
    keep: LevelInfo | None = None  # 継続


@dataclass(frozen=True)
class TrainingMenu:
    """A training of the DX programme's menu (``dx_training_menu.csv``)."""

    name: str
    summary: str
    format: str = ""


@dataclass(frozen=True)
class Recommendation:
    tool: str
    current: int  # 0..3
    next_level: int  # 0 when the top level is reached
    next_description: str = ""
    training: TrainingMenu | None = None
    note: str = ""  # when no training of the menu fits, what to do instead

    @property
    def done(self) -> bool:
        return self.next_level == 0


@dataclass(frozen=True)
class Assessment:
    """One person's self-assessment: the level per tool (0: まだ)."""

    object_id: str
    name: str
    bureau: str
    department: str
    levels: dict[str, int] = field(default_factory=dict)
    updated_on: date | None = None
    etag: str | None = None

    def level(self, tool: str) -> int:
        return self.levels.get(tool, 0)


@dataclass(frozen=True)
class Need:
    tool: str
    use: int = 0  # needed つかえる people (つくれる people count too)
    build: int = 0  # needed つくれる people


@dataclass(frozen=True)
class Move:
    object_id: str
    name: str
    on: date


@dataclass(frozen=True)
class ToolGap:
    tool: str
    use_needed: int
    use_have: int
    build_needed: int
    build_have: int
    at_risk: tuple[
        str, ...
    ] = ()  # why (Japanese), e.g. 「つくれる人 1名（健康 花子さん）が 4月1日に異動予定」

    @property
    def use_short(self) -> int:
        return max(0, self.use_needed - self.use_have)

    @property
    def build_short(self) -> int:
        return max(0, self.build_needed - self.build_have)

    @property
    def has_gap(self) -> bool:
        return bool(self.use_short or self.build_short)


@dataclass(frozen=True)
class DepartmentView:
    bureau: str
    department: str
    tools: tuple[str, ...]
    rows: tuple[ToolGap, ...]
    people: tuple[Assessment, ...]
    moves: tuple[Move, ...]
    etag: str | None = None
    as_of: date | None = None

    @property
    def label(self) -> str:
        return f"{self.bureau}/{self.department}" if self.department else self.bureau

    @property
    def gaps(self) -> tuple[ToolGap, ...]:
        return tuple(r for r in self.rows if r.has_gap)

    @property
    def risks(self) -> tuple[ToolGap, ...]:
        return tuple(r for r in self.rows if r.at_risk)


@dataclass(frozen=True)
class SelfView:
    """What the self-assessment card shows."""

    strategy: Strategy
    tools: tuple[str, ...]
    assessment: Assessment | None
    recommendations: tuple[Recommendation, ...]
    manages: tuple[str, ...] = ()  # departments ("局/部") the person may open the view of
    admin: bool = False
