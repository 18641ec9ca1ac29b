"""Digests: one line per programme for a manager's bureau, and the office's city-wide view.

Each programme contributes its line through the "status source" port (:class:`StatusSource`,
registered in ``bot/programmes.py``, one line per programme). A programme that has no source
yet gets :class:`NotTrackedYet`, whose line says so; a source that fails gets a line saying
that its status could not be read, and the rest of the digest still goes out.

The office digest adds what went wrong with deliveries (failures the sender recorded, messages
that had nowhere to go) and the conversations that no longer take the bot's messages.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from services.kernel.programmes import ProgrammeInfo

logger = logging.getLogger(__name__)


class StatusLevel(enum.StrEnum):
    ON_TRACK = "on_track"
    DELAYED = "delayed"
    OVERDUE = "overdue"
    NOT_TRACKED = "not_tracked"
    UNAVAILABLE = "unavailable"

    @property
    def label(self) -> str:
        return _LEVEL_LABELS[self]

    @property
    def icon(self) -> str:
        return _LEVEL_ICONS[self]


_LEVEL_LABELS = {
    StatusLevel.ON_TRACK: "順調",
    StatusLevel.DELAYED: "遅れあり",
    StatusLevel.OVERDUE: "期限超過あり",
    StatusLevel.NOT_TRACKED: "準備中",
    StatusLevel.UNAVAILABLE: "取得できませんでした",
}
_LEVEL_ICONS = {
    StatusLevel.ON_TRACK: "✅",
    StatusLevel.DELAYED: "⚠️",
    StatusLevel.OVERDUE: "⛔",
    StatusLevel.NOT_TRACKED: "⏳",
    StatusLevel.UNAVAILABLE: "❔",
}


@dataclass(frozen=True)
class ChartPoint:
    label: str
    value: float


@dataclass(frozen=True)
class StatusItem:
    """A delayed or overdue item: 「住民票の写しの交付申請（令和8年度 第2四半期 予定）」."""

    label: str
    detail: str = ""
    overdue: bool = False
    bureau: str = ""


@dataclass(frozen=True)
class ProgrammeStatus:
    programme: str
    title: str
    icon: str
    level: StatusLevel
    headline: str  # one sentence: 「計画 120件のうち 98件 完了（82%）」
    items: tuple[StatusItem, ...] = ()  # delayed and overdue items, most urgent first
    chart_title: str = ""
    chart: tuple[ChartPoint, ...] = ()
    chart_unit: str = "件"

    @property
    def overdue_count(self) -> int:
        return sum(1 for i in self.items if i.overdue)

    @property
    def delayed_count(self) -> int:
        return sum(1 for i in self.items if not i.overdue)


@runtime_checkable
class StatusSource(Protocol):
    """A programme's status: for one bureau, or (``bureau=None``) for all of them."""

    programme: str

    def status(self, as_of: date, bureau: str | None) -> ProgrammeStatus: ...


@dataclass(frozen=True)
class NotTrackedYet:
    """The line of a programme the bot does not track yet."""

    info: ProgrammeInfo

    @property
    def programme(self) -> str:
        return self.info.key

    def status(self, as_of: date, bureau: str | None) -> ProgrammeStatus:
        return ProgrammeStatus(
            self.info.key,
            self.info.title,
            self.info.icon,
            StatusLevel.NOT_TRACKED,
            "この取組の状況は、まだボットで集計していません（準備中）。",
        )


@dataclass(frozen=True)
class DeliveryProblem:
    when: datetime
    what: str  # 「週次ダイジェスト（2026-W02）」
    where: str  # 「財政局 管理職 堺 一郎 さんの個人チャット」
    reason: str  # Japanese


@dataclass(frozen=True)
class InactiveConversation:
    label: str
    since: datetime


@dataclass(frozen=True)
class Digest:
    kind: str  # "manager" | "office"
    as_of: date
    period_label: str  # 「2026年1月5日（月）の週」, 「2026年1月」
    title: str
    why: str
    next_step: str
    lines: tuple[ProgrammeStatus, ...]
    bureau: str = ""
    problems: tuple[DeliveryProblem, ...] = ()
    inactive: tuple[InactiveConversation, ...] = ()
    unmapped_bureaus: tuple[str, ...] = field(default=())


def collect_lines(
    sources: Sequence[StatusSource], infos: Sequence[ProgrammeInfo], as_of: date, bureau: str | None
) -> tuple[ProgrammeStatus, ...]:
    """One line per programme, in registry order; never raises because of one source."""
    by_key = {s.programme: s for s in sources}
    lines = []
    for info in infos:
        source = by_key.get(info.key) or NotTrackedYet(info)
        try:
            lines.append(source.status(as_of, bureau))
        except Exception:
            logger.exception("status source %s failed", info.key)
            lines.append(
                ProgrammeStatus(
                    info.key,
                    info.title,
                    info.icon,
                    StatusLevel.UNAVAILABLE,
                    "状況を取得できませんでした。詳細ボタンからご確認ください。",
                )
            )
    return tuple(lines)


def manager_digest(
    *,
    bureau: str,
    recipient_name: str,
    as_of: date,
    period_label: str,
    schedule_text: str,
    sources: Sequence[StatusSource],
    infos: Sequence[ProgrammeInfo],
) -> Digest:
    lines = collect_lines(sources, infos, as_of, bureau)
    attention = [line for line in lines if line.level in (StatusLevel.DELAYED, StatusLevel.OVERDUE)]
    if attention:
        next_step = (
            "遅れ・期限超過のある取組は、「詳細を見る」から内容を確認し、"
            "担当の DX PRO・局担当に状況と見通しをご確認ください。"
        )
    else:
        next_step = "対応が必要な遅れはありません。各取組の詳細は「詳細を見る」から確認できます。"
    return Digest(
        kind="manager",
        as_of=as_of,
        period_label=period_label,
        title=f"{bureau} 週次ダイジェスト",
        bureau=bureau,
        why=(
            f"{recipient_name} さんが{bureau}の管理職として登録されているため、"
            f"{schedule_text}にお送りしています。"
        ),
        next_step=next_step,
        lines=lines,
    )


def office_digest(
    *,
    as_of: date,
    period_label: str,
    schedule_text: str,
    sources: Sequence[StatusSource],
    infos: Sequence[ProgrammeInfo],
    problems: Sequence[DeliveryProblem],
    inactive: Sequence[InactiveConversation],
    unmapped_bureaus: Sequence[str] = (),
) -> Digest:
    lines = collect_lines(sources, infos, as_of, None)
    steps = []
    if any(line.level in (StatusLevel.DELAYED, StatusLevel.OVERDUE) for line in lines):
        steps.append("遅れのある局には、詳細を確認のうえ声かけをお願いします。")
    if problems or inactive or unmapped_bureaus:
        steps.append(
            "配信できなかった宛先は、チャネルの登録（「管理」→ チャネル登録）やボットの再インストールを"
            "ご確認ください。"
        )
    return Digest(
        kind="office",
        as_of=as_of,
        period_label=period_label,
        title="全庁 月次ダイジェスト",
        why=(
            f"このチャネルが ICTイノベーション推進室のチャネルとして登録されているため、"
            f"{schedule_text}にお送りしています。"
        ),
        next_step="".join(steps) or "対応が必要な事項はありません。",
        lines=lines,
        problems=tuple(problems),
        inactive=tuple(inactive),
        unmapped_bureaus=tuple(unmapped_bureaus),
    )
