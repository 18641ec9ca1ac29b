"""The scheduler's ports of キャッシュレス: its due alerts (``services.proactive.alerts``) and its line
in the manager and office digests (``services.proactive.digest``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from services.cashless.models import (
    PROGRAMME_KEY,
    AlertKind,
    CashlessAlert,
    PolicyClass,
    Rollout,
    reiwa_label,
)
from services.cashless.service import CashlessService
from services.people.identity import Person, Role, system_actor
from services.proactive.alerts import DueAlert
from services.proactive.digest import ChartPoint, ProgrammeStatus, StatusItem, StatusLevel

TITLE = "キャッシュレス"
ICON = "💳"


def section_contacts(people: Iterable[Person], bureau: str, section: str) -> list[str]:
    """The object ids an alert about a receivable goes to: its bureau's contacts scoped to its section
    when there are any, otherwise all of the bureau's contacts (the owning section's people)."""
    contacts = [
        (p.object_id, g.scope)
        for p in people
        for g in p.grants
        if g.role is Role.BUREAU_CONTACT and g.scope is not None and g.scope.bureau == bureau
    ]
    of_section = [oid for oid, scope in contacts if section and scope.section == section]
    return sorted(set(of_section or [oid for oid, _ in contacts]))


def as_due_alert(alert: CashlessAlert, person: str = "") -> DueAlert:
    """One alert per natural key: (receivable, planned date) for a late one, (receivable, 公募 year)
    for a switch; with a person, their id is part of the key."""
    who = f"{alert.bureau} {alert.section}".strip() or "所管未設定"
    if alert.kind is AlertKind.LATE:
        assert alert.planned_on is not None
        period = alert.planned_on.isoformat()
        title = (
            f"{alert.name}: 導入予定日（{alert.planned_on.month}月{alert.planned_on.day}日）を過ぎています"
        )
        why = (
            f"{alert.name}（{who}）の導入予定日が過ぎましたが、導入状況が「導入予定」のままのため、"
            "お知らせしています。"
        )
        next_step = (
            "導入した場合は「導入済」に、時期が変わった場合は新しい導入予定日に、カードから更新してください。"
        )
        facts = (("導入予定日", period), ("導入状況", alert.status.value))
    else:
        assert alert.tender_year is not None
        period = str(alert.tender_year)
        year = reiwa_label(alert.tender_year)
        title = f"{alert.name}: {year}に指定管理者の切替公募があります"
        why = (
            f"{alert.name}（{who}）は{year}に指定管理者の切替公募を予定しています。新しい管理協定・仕様書で"
            "キャッシュレス決済の導入を求めることができるため、公募の前にお知らせしています。"
        )
        next_step = (
            "公募の仕様書にキャッシュレス決済の導入を盛り込むか検討し、導入状況をカードから更新してください。"
        )
        facts = (("切替公募年度", year), ("導入状況", alert.status.value))
    return DueAlert(
        key="|".join(
            (PROGRAMME_KEY, alert.receivable_id, alert.kind.value, period, *([person] if person else []))
        ),
        programme=PROGRAMME_KEY,
        person=person,
        bureau=alert.bureau,
        title=title,
        why=why,
        next_step=next_step,
        subject="|".join((PROGRAMME_KEY, alert.receivable_id, alert.kind.value)),
        due=alert.due_on,
        facts=facts,
        item=alert,
    )


@dataclass(frozen=True)
class CashlessAlerts:
    """The AlertSource: each due alert goes to the owning section's contacts (their 1:1 chats, one
    alert per person) or, when the bureau has no contact on the roster, to the bureau's channel."""

    service: CashlessService
    people: Callable[[], Sequence[Person]] = tuple
    programme: str = PROGRAMME_KEY

    def due_alerts(self, as_of: date) -> list[DueAlert]:
        due = [a for a in self.service.due_alerts(as_of) if a.bureau]
        everyone = list(self.people()) if due else []
        out: list[DueAlert] = []
        for alert in due:
            recipients = section_contacts(everyone, alert.bureau, alert.section)
            out += [as_due_alert(alert, oid) for oid in recipients] if recipients else [as_due_alert(alert)]
        return out


@dataclass(frozen=True)
class CashlessStatus:
    """The programme's line in the digests: targets by status, what is late, the coverage."""

    service: CashlessService
    title: str = TITLE
    icon: str = ICON
    programme: str = PROGRAMME_KEY

    def status(self, as_of: date, bureau: str | None) -> ProgrammeStatus:
        viewer = system_actor("ダイジェスト", "digest").person
        overview = self.service.overview(viewer, as_of)
        rows = [r for r in overview.rows if bureau is None or r.receivable.bureau == bureau]
        if bureau is not None and not rows:
            return ProgrammeStatus(
                self.programme,
                self.title,
                self.icon,
                StatusLevel.NOT_TRACKED,
                "この局の債権はキャッシュレスの台帳にありません。",
            )
        targets = [r for r in rows if r.classification.policy_class in (PolicyClass.TARGET, PolicyClass.QR)]
        done = sum(1 for r in targets if r.receivable.status is Rollout.DONE)
        late = [r for r in rows if r.late]
        cov = overview.coverage
        share = "－" if cov.share is None else f"{cov.share * 100:.1f}%"
        headline = f"導入対象 {len(targets)}件のうち導入済 {done}件・予定日超過 {len(late)}件" + (
            f"・金額カバー率 {share}（{cov.counted}件で計算、未入力 {cov.missing}件）"
            if bureau is None
            else ""
        )
        items = tuple(
            StatusItem(
                r.receivable.name,
                f"導入予定日 {r.receivable.planned_on} を超過",
                overdue=True,
                bureau=r.receivable.bureau,
            )
            for r in late[:20]
        )
        chart = tuple(
            ChartPoint(s.value, sum(1 for r in targets if r.receivable.status is s)) for s in Rollout
        )
        return ProgrammeStatus(
            self.programme,
            self.title,
            self.icon,
            StatusLevel.OVERDUE if late else StatusLevel.ON_TRACK,
            headline,
            items,
            chart_title="導入対象の導入状況（件）",
            chart=chart,
        )
