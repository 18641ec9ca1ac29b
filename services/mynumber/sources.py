"""The scheduler's ports for マイナンバー情報総点検: due alerts and the digest line.

Alerts go to each bureau contact's 1:1 chat (``DueAlert.person``), one card per contact gathering:

- **survey**: items still unanswered from ``warn_days`` business days before their due date on
  (key ``mynumber|survey|<contact>|<due>``: once per contact and due date);
- **overdue**: inspection steps ①②③ of target operations and checklist entries past their due date
  (key ``mynumber|overdue|<contact>|<hash of what is overdue>``: a new alert only when the list changes).

An operation whose unit has no bureau contact on the roster alerts nobody; the office digest
carries the totals either way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from services.kernel.calendar import is_business_day
from services.mynumber import rules
from services.mynumber.models import PROGRAMME_KEY, SNAPSHOT_LABEL, Operation
from services.mynumber.service import MyNumberService
from services.mynumber.views import STEP_LABELS
from services.people.identity import Person, system_actor
from services.people.service import PeopleService
from services.proactive.alerts import DueAlert
from services.proactive.digest import ChartPoint, ProgrammeStatus, StatusItem, StatusLevel

TITLE = "マイナンバー情報総点検"
ICON = "🔢"


def business_days_before(day: date, count: int) -> date:
    while count > 0:
        day -= timedelta(days=1)
        if is_business_day(day):
            count -= 1
    return day


def _md(day: date) -> str:
    return f"{day.month}月{day.day}日"


@dataclass(frozen=True)
class Overdue:
    operation: Operation
    what: str  # 「① 全データ点検」 or a checklist entry's label
    due: date


def overdue_items(service: MyNumberService, ops: Sequence[Operation], as_of: date) -> list[Overdue]:
    found = []
    for op in ops:
        if rules.is_target(op, service.threshold):
            statuses = (op.full_check.status, op.mislinks.status, op.leak_check.status)
            for i, status in enumerate(statuses):
                due = service.due_of(op, i)
                if status.value != "完了" and due < as_of:
                    found.append(Overdue(op, STEP_LABELS[i], due))
        for entry in op.checklist:
            if not entry.status.closed and entry.due and entry.due < as_of:
                found.append(Overdue(op, f"再発防止策: {entry.label}", entry.due))
    return found


@dataclass(frozen=True)
class MyNumberAlerts:
    """The AlertSource of this programme (``services.proactive.alerts``)."""

    service: MyNumberService
    people: PeopleService
    programme: str = PROGRAMME_KEY

    def due_alerts(self, as_of: date) -> list[DueAlert]:
        ops = self.service.all_operations()
        everyone = self.people.everyone(system_actor("総点検の通知", "mynumber-alerts").person)
        survey: dict[tuple[str, date], list[Operation]] = {}
        late: dict[str, list[Overdue]] = {}
        who: dict[str, Person] = {}
        for op in ops:
            contacts = self.service.contacts(everyone, op.unit)
            due = op.survey_due or self.service.survey_due
            if op.answered < len(op.items) and as_of >= business_days_before(due, self.service.warn_days):
                for p in contacts:
                    who[p.object_id] = p
                    survey.setdefault((p.object_id, due), []).append(op)
        for item in overdue_items(self.service, ops, as_of):
            for p in self.service.contacts(everyone, item.operation.unit):
                who[p.object_id] = p
                late.setdefault(p.object_id, []).append(item)
        alerts = [
            self._survey_alert(who[oid], due, group, as_of) for (oid, due), group in sorted(survey.items())
        ]
        alerts += [self._overdue_alert(who[oid], items) for oid, items in sorted(late.items())]
        return alerts

    def _survey_alert(self, person: Person, due: date, ops: list[Operation], as_of: date) -> DueAlert:
        missing = sum(len(o.items) - o.answered for o in ops)
        passed = due < as_of
        title = (
            f"紐付け方法の調査: 回答期限（{_md(due)}）を過ぎた未回答が {missing}情報あります"
            if passed
            else f"紐付け方法の調査: 回答期限（{_md(due)}）が近づいています（未回答 {missing}情報）"
        )
        facts = tuple(
            (f"{o.place} {o.name}", f"未回答 {len(o.items) - o.answered}／{len(o.items)}情報")
            for o in ops[:10]
        )
        return DueAlert(
            key="|".join((PROGRAMME_KEY, "survey", person.object_id, due.isoformat())),
            programme=PROGRAMME_KEY,
            bureau=ops[0].bureau,
            title=title,
            person=person.object_id,
            due=due,
            facts=facts,
            subject="|".join((PROGRAMME_KEY, "survey", person.object_id)),
            why=(
                f"{person.name} さんが担当する課・室の情報に、紐付け方法の調査の未回答があり、"
                f"回答期限（{_md(due)}）{'を過ぎた' if passed else 'が近い'}ためお知らせしています。"
            ),
            next_step="カードの「紐付け方法を回答」から、情報ごとの紐付け方法とレコード件数を入力してください。",
            item=("survey", [(o.bureau, o.id) for o in ops]),
        )

    def _overdue_alert(self, person: Person, items: list[Overdue]) -> DueAlert:
        items = sorted(items, key=lambda x: (x.due, x.operation.place, x.operation.name, x.what))
        digest = hashlib.sha256(
            "|".join(f"{x.operation.id}:{x.what}:{x.due}" for x in items).encode()
        ).hexdigest()
        facts = tuple(
            (f"{x.operation.name}（{x.operation.place}）", f"{x.what} 期限 {_md(x.due)}") for x in items[:12]
        )
        return DueAlert(
            key="|".join((PROGRAMME_KEY, "overdue", person.object_id, digest[:16])),
            programme=PROGRAMME_KEY,
            bureau=items[0].operation.bureau,
            title=f"総点検: 期限を過ぎた作業が {len(items)}件あります",
            person=person.object_id,
            due=items[0].due,
            facts=facts,
            subject="|".join((PROGRAMME_KEY, "overdue", person.object_id)),
            why=(
                f"{person.name} さんが担当する事務の点検①②③または再発防止策に、"
                "期限を過ぎたものがあるためお知らせしています。"
            ),
            next_step="事務のカードから「点検①②③を更新」「再発防止策」を開き、状況と見通しを入力してください。",
            item=("overdue", [(x.operation.bureau, x.operation.id) for x in items]),
        )


@dataclass(frozen=True)
class MyNumberStatus:
    """The StatusSource of this programme (``services.proactive.digest``): its line in the digests."""

    service: MyNumberService
    title: str = TITLE
    icon: str = ICON
    programme: str = PROGRAMME_KEY

    def status(self, as_of: date, bureau: str | None) -> ProgrammeStatus:
        ops = [o for o in self.service.all_operations() if bureau is None or o.bureau == bureau]
        if not ops:
            snap = self.service.snapshot_progress()
            text = "事務・情報がまだ登録されていません。"
            if snap and bureau is None:
                text += (
                    f"（{SNAPSHOT_LABEL}: {snap.items}情報のうち {snap.answered}情報回答、"
                    f"{snap.sections}課・室）"
                )
            return ProgrammeStatus(self.programme, self.title, self.icon, StatusLevel.NOT_TRACKED, text)
        targets = [o for o in ops if rules.is_target(o, self.service.threshold)]
        items_total = sum(len(o.items) for o in ops)
        answered = sum(o.answered for o in ops)
        late = overdue_items(self.service, ops, as_of)
        survey_late = [
            o for o in ops if o.answered < len(o.items) and (o.survey_due or self.service.survey_due) < as_of
        ]

        def done(step: int) -> int:
            return sum(
                1 for o in targets if (o.full_check, o.mislinks, o.leak_check)[step].status.value == "完了"
            )

        published = sum(1 for o in targets if o.publication.status.value == "公表済み")
        headline = (
            f"紐付け方法の回答 {answered}／{items_total}情報・点検対象 {len(targets)}業務"
            f"（① 完了 {done(0)}・② 完了 {done(1)}・③ 完了 {done(2)}・公表済み {published}）"
        )
        if late:
            headline += f"・期限超過 {len(late)}件"
        level = StatusLevel.OVERDUE if late else StatusLevel.DELAYED if survey_late else StatusLevel.ON_TRACK
        items = tuple(
            StatusItem(
                f"{x.operation.name}（{x.operation.place}）",
                f"{x.what} 期限 {_md(x.due)}",
                overdue=True,
                bureau=x.operation.bureau,
            )
            for x in late[:20]
        )
        items += tuple(
            StatusItem(
                f"{o.name}（{o.place}）",
                f"紐付け方法 未回答 {len(o.items) - o.answered}情報",
                bureau=o.bureau,
            )
            for o in survey_late[:10]
        )
        chart = (
            ChartPoint("点検対象", len(targets)),
            ChartPoint("① 完了", done(0)),
            ChartPoint("② 完了", done(1)),
            ChartPoint("③ 完了", done(2)),
            ChartPoint("公表済み", published),
        )
        return ProgrammeStatus(
            self.programme,
            self.title,
            self.icon,
            level,
            headline,
            items,
            chart_title="点検対象の業務の進み（業務数）",
            chart=chart,
            chart_unit="業務",
        )
