"""The scheduler's ports for 業務システムの標準化: due alerts (``services.proactive.alerts``) and the
programme's line in the digests (``services.proactive.digest``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.people.identity import system_actor
from services.proactive.alerts import DueAlert
from services.proactive.digest import ChartPoint, ProgrammeStatus, StatusItem, StatusLevel
from services.standardization.models import PROGRAMME_KEY, AlertKind, StepAlert
from services.standardization.service import StandardizationService

TITLE = "業務システムの標準化"
ICON = "🏗️"


def as_due_alert(alert: StepAlert) -> DueAlert:
    where = f"{alert.number} {alert.operation}"
    due = f"{alert.due.year}年{alert.due.month}月{alert.due.day}日"
    if alert.kind is AlertKind.DEADLINE:
        title = f"{where}: 移行期限（{due}）を過ぎています（{alert.overdue.label if alert.overdue else ''}）"
        why = "標準準拠システムへの移行期限を過ぎても、稼働の報告がないためお知らせしています。"
        step = (
            "移行の見通しを確認し、稼働したら「稼働」の工程を完了にしてください。"
            "ICTイノベーション推進室にもご相談ください。"
        )
    elif alert.kind is AlertKind.STEP_OVERDUE:
        title = f"{where}: 期限を過ぎた工程があります（{alert.step}）"
        why = "工程の期限を過ぎても完了の報告がないためお知らせしています。"
        step = "工程が終わっていれば、カードの「工程を更新する」から完了にしてください。"
    else:
        title = f"{where}: 「{alert.step}」の期限（{due}）が近づいています"
        why = "工程の期限まで数営業日のためお知らせしています。"
        step = "予定どおり進んでいるか確認し、終わったら「工程を更新する」から完了にしてください。"
    facts = [("システム", where), ("期限", due)]
    if alert.overdue:
        facts.append(("超過", alert.overdue.label))
    return DueAlert(
        key=alert.key,
        programme=PROGRAMME_KEY,
        bureau=alert.bureau,
        title=title,
        why=why,
        next_step=step,
        subject="|".join((PROGRAMME_KEY, alert.number, alert.step_key or "system")),
        due=alert.due,
        facts=tuple(facts),
        item=alert,
    )


@dataclass(frozen=True)
class StandardizationAlerts:
    service: StandardizationService
    programme: str = PROGRAMME_KEY

    def due_alerts(self, as_of: date) -> list[DueAlert]:
        return [as_due_alert(a) for a in self.service.due_alerts(as_of) if a.bureau]


@dataclass(frozen=True)
class StandardizationStatus:
    service: StandardizationService
    programme: str = PROGRAMME_KEY

    def status(self, as_of: date, bureau: str | None) -> ProgrammeStatus:
        viewer = system_actor("ダイジェスト", "digest").person
        overview = self.service.overview(viewer, as_of)
        statuses = [s for s in overview.statuses if bureau is None or s.system.bureau == bureau]
        if not statuses:
            return ProgrammeStatus(
                PROGRAMME_KEY,
                TITLE,
                ICON,
                StatusLevel.NOT_TRACKED,
                "この局が所管する標準化対象システムはありません。",
            )
        items = []
        for s in statuses:
            if s.overdue:
                items.append(
                    StatusItem(s.system.label, f"移行期限から{s.overdue.label}", True, s.system.bureau)
                )
            elif s.data_overdue:
                items.append(
                    StatusItem(
                        s.system.label,
                        f"データ要件の適合期限から{s.data_overdue.label}",
                        True,
                        s.system.bureau,
                    )
                )
            elif s.overdue_steps:
                names = "・".join(v.definition.name for v in s.overdue_steps)
                items.append(StatusItem(s.system.label, f"期限を過ぎた工程: {names}", False, s.system.bureau))
        live = sum(1 for s in statuses if s.live_on)
        overdue = sum(1 for s in statuses if s.overdue or s.data_overdue)
        level = StatusLevel.OVERDUE if overdue else StatusLevel.DELAYED if items else StatusLevel.ON_TRACK
        waiting = sum(s.gaps_waiting for s in statuses)
        headline = f"{len(statuses)}業務のうち稼働済み {live}・期限超過 {overdue}・Gap 精査待ち {waiting}件"
        counts = {"稼働済み": live, "期限超過": overdue, "移行中（期限内）": len(statuses) - live - overdue}
        return ProgrammeStatus(
            PROGRAMME_KEY,
            TITLE,
            ICON,
            level,
            headline,
            tuple(items),
            chart_title="システムの状況（業務数）",
            chart=tuple(ChartPoint(k, v) for k, v in counts.items()),
            chart_unit="業務",
        )
