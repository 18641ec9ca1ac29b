"""デジタル・ディバイド対策: plan-versus-actual arithmetic (pure).

- The plan of a fiscal year is a setting (``DIGITAL_DIVIDE_PLANS``: ``2024=180/1850,...``, parsed by
  ``services.kernel.settings``); the seed
  gives 令和5年度's (計177回・1,801名, the material's R5予定). A setting for 2023 overrides the seed.
- The material gives the plan for the year only, so the monthly plan spreads it evenly: the plan
  up to the i-th month of the fiscal year is ``round(year × i / 12)`` (half up), and a month's plan
  is the difference; the twelve months add up to the year exactly (177 → 15, 15, 14, 15, …).
- By ward, the plan is an even share of the year (a 目安, labelled so on the card).
- A class counts as held once its date has passed (or its attendance is recorded); its
  attendance counts once recorded. A month is behind when it is over and the classes held up to
  its end are fewer than the plan up to its end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from services.digital_divide.models import WARDS, MonthRow, Plan, PlanView, SmartphoneClass, WardRow


def fiscal_year_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def fiscal_months(fiscal_year: int) -> list[tuple[int, int]]:
    return [(fiscal_year, m) for m in range(4, 13)] + [(fiscal_year + 1, m) for m in range(1, 4)]


def month_end(year: int, month: int) -> date:
    first_next = date(year + (month == 12), month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def _half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def cumulative_plan(total: int, months: int) -> int:
    """The plan up to the end of the ``months``-th month of the fiscal year (0..12)."""
    return _half_up(total * months, 12)


def monthly_plan(total: int) -> list[int]:
    return [cumulative_plan(total, i) - cumulative_plan(total, i - 1) for i in range(1, 13)]


def ward_share(total: int) -> int:
    return _half_up(total, len(WARDS))


def is_held(item: SmartphoneClass, as_of: date) -> bool:
    return item.day < as_of or item.attendance is not None


def plan_view(
    fiscal_year: int, plan: Plan | None, classes: Sequence[SmartphoneClass], as_of: date
) -> PlanView:
    mine = [c for c in classes if fiscal_year_of(c.day) == fiscal_year]
    per_month = monthly_plan(plan.classes) if plan else [0] * 12
    months, cum_plan, cum_held = [], 0, 0
    for (year, month), planned in zip(fiscal_months(fiscal_year), per_month, strict=True):
        inside = [c for c in mine if (c.day.year, c.day.month) == (year, month)]
        held = [c for c in inside if is_held(c, as_of)]
        cum_plan += planned
        cum_held += len(held)
        months.append(
            MonthRow(
                year,
                month,
                planned,
                len(held),
                sum(c.attendance or 0 for c in held),
                cum_plan,
                cum_held,
                month_end(year, month) < as_of,
            )
        )
    share = ward_share(plan.classes) if plan else 0
    by_ward: Mapping[str, list[SmartphoneClass]] = {w: [c for c in mine if c.ward == w] for w in WARDS}
    wards = tuple(
        WardRow(
            w,
            share,
            sum(is_held(c, as_of) for c in items),
            sum(c.attendance or 0 for c in items),
            sum(c.day >= as_of for c in items),
        )
        for w, items in by_ward.items()
    )
    unrecorded = tuple(
        sorted((c for c in mine if c.day < as_of and c.attendance is None), key=lambda c: c.day)
    )
    return PlanView(
        fiscal_year,
        plan,
        tuple(months),
        wards,
        cum_held,
        sum(c.attendance or 0 for c in mine),
        unrecorded,
        as_of,
    )
