"""デジタル・ディバイド対策: due alerts and the digest line.

- **Attendance not recorded**: a class whose attendance is still blank ``attendance_days`` (N)
  business days after its date: an alert to the person who recorded it (key
  ``digital_divide|attendance|<class>``).
- **Behind plan**: the last month that is over, when the classes held up to its end are fewer than
  the plan up to its end: an alert to each admin (key ``digital_divide|behind|<YYYY-MM>|<admin>``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from services.digital_divide.models import MonthRow, PlanView, SmartphoneClass
from services.digital_divide.plan import fiscal_year_of
from services.digital_divide.service import DigitalDivideService
from services.kernel.calendar import add_business_days
from services.people.identity import system_actor
from services.proactive.alerts import DueAlert
from services.proactive.digest import ChartPoint, ProgrammeStatus, StatusItem, StatusLevel

PROGRAMME = "digital_divide"
TITLE = "デジタル・ディバイド対策"
ICON = "📱"
DEFAULT_ATTENDANCE_DAYS = 3


def _jdate(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _view(service: DigitalDivideService, as_of: date) -> PlanView:
    return service.plan_view(system_actor("通知", "scheduler").person, fiscal_year_of(as_of), as_of)


@dataclass(frozen=True)
class AttendanceAlert:
    item: SmartphoneClass
    due: date


@dataclass(frozen=True)
class BehindAlert:
    month: MonthRow
    fiscal_year: int
    admin: str


@dataclass(frozen=True)
class DigitalDivideAlerts:
    service: DigitalDivideService
    admins: Callable[[], Sequence[str]]
    attendance_days: int = DEFAULT_ATTENDANCE_DAYS
    programme: str = PROGRAMME

    def due_alerts(self, as_of: date) -> list[DueAlert]:
        alerts: list[DueAlert] = []
        for item in self.service.classes():
            if item.attendance is not None or not item.recorded_by:
                continue
            due = add_business_days(item.day, self.attendance_days)
            if due <= as_of:
                alerts.append(attendance_alert(AttendanceAlert(item, due), self.attendance_days))
        view = _view(self.service, as_of)
        closed = [m for m in view.months if m.closed]
        if closed and closed[-1].behind:
            for admin in self.admins():
                alerts.append(behind_alert(BehindAlert(closed[-1], view.fiscal_year, admin)))
        return alerts


def attendance_alert(alert: AttendanceAlert, days: int) -> DueAlert:
    c = alert.item
    return DueAlert(
        key=f"{PROGRAMME}|attendance|{c.id}",
        programme=PROGRAMME,
        bureau="",
        title=f"スマホ教室（{_jdate(c.day)} {c.ward} {c.venue}）の参加者数が未入力です",
        why=f"教室の日から{days}営業日が過ぎても参加者数が入力されていないため、お知らせしています。",
        next_step="「デジタル・ディバイド対策」を開き、「参加者数を入力」から入力してください。",
        person=c.recorded_by,
        subject=f"{PROGRAMME}|attendance|{c.id}",
        due=alert.due,
        facts=(
            ("日時", f"{_jdate(c.day)} {c.time_label}"),
            ("会場", f"{c.ward} {c.venue}"),
            ("連携先", c.partner),
        ),
        item=alert,
    )


def behind_alert(alert: BehindAlert) -> DueAlert:
    m = alert.month
    ym = f"{m.year:04d}-{m.month:02d}"
    return DueAlert(
        key=f"{PROGRAMME}|behind|{ym}|{alert.admin}",
        programme=PROGRAMME,
        bureau="",
        title=f"スマホ教室の実施が計画を下回っています（{m.year}年{m.month}月末時点）",
        why=(
            f"{m.month}月末までの計画 {m.cumulative_plan}回に対し、実施は {m.cumulative_held}回"
            f"（{m.cumulative_plan - m.cumulative_held}回の不足）のため、お知らせしています。"
        ),
        next_step="連携先と今後の開催予定を確認し、教室を記録してください。",
        person=alert.admin,
        subject=f"{PROGRAMME}|behind|{ym}",
        facts=(("計画（累計）", f"{m.cumulative_plan}回"), ("実施（累計）", f"{m.cumulative_held}回")),
        item=alert,
    )


@dataclass(frozen=True)
class DigitalDivideStatus:
    service: DigitalDivideService
    programme: str = PROGRAMME

    def status(self, as_of: date, bureau: str | None) -> ProgrammeStatus:
        view = _view(self.service, as_of)
        label = f"令和{view.fiscal_year - 2018}年度"
        if view.plan is None:
            return ProgrammeStatus(
                self.programme,
                TITLE,
                ICON,
                StatusLevel.ON_TRACK,
                f"{label}のスマホ教室の計画は未設定です（実施 {view.held}回・参加 {view.people:,}名）。",
            )
        plan = view.plan
        rate = round(100 * view.held / plan.classes) if plan.classes else 0
        headline = (
            f"{label} スマホ教室: 計画 {plan.classes}回のうち実施 {view.held}回（{rate}%）、"
            f"参加 {view.people:,}名／計画 {plan.people:,}名"
        )
        items = [
            StatusItem(
                f"{m.year}年{m.month}月末",
                f"計画（累計）{m.cumulative_plan}回に対し実施 {m.cumulative_held}回",
            )
            for m in view.behind_months[-3:]
        ]
        items += [
            StatusItem(f"{_jdate(c.day)} {c.ward} {c.venue}", "参加者数が未入力", overdue=True)
            for c in view.unrecorded[:10]
        ]
        closed = [m for m in view.months if m.closed]
        level = StatusLevel.DELAYED if closed and closed[-1].behind else StatusLevel.ON_TRACK
        if view.unrecorded:
            level = StatusLevel.OVERDUE if level is StatusLevel.DELAYED else StatusLevel.DELAYED
        chart = tuple(ChartPoint(m.label, m.held) for m in view.months if m.closed or m.held)
        return ProgrammeStatus(
            self.programme,
            TITLE,
            ICON,
            level,
            headline,
            tuple(items),
            chart_title="月別の実施回数",
            chart=chart,
            chart_unit="回",
        )
