"""The rules of 業務システムの標準化: deadlines, overdue, the step list, and the cost arithmetic.

Pure functions of the models; no storage.

**Deadlines** (the material's point ① and ②):

- every system migrates by the end of FY R7, 2026-03-31;
- a hard-to-migrate system (税, 障害者福祉) gets its migration deadline from the ministerial
  ordinance later (an admin enters it; until then it has none), and keeps the data-requirements
  deadline of March R8 (2026-03-31);
- a system that became a 特定移行支援システム gets its own deadline (an admin enters it).

A system not live after its deadline is overdue by the days since the deadline (and whole months).

**Costs.** 市費 = total − the subsidy received. The subsidy received city-wide is
min(eligible total, cap), shared among systems in proportion to their eligible cost, in whole yen
by the largest-remainder rule (:data:`services.standardization.models.ROUNDING_RULE`), so the parts
add up exactly to the whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from services.kernel.calendar import add_business_days
from services.standardization.models import (
    DATA_REQUIREMENTS_DEADLINE,
    STANDARD_DEADLINE,
    CostCategory,
    CostRow,
    CostSummary,
    Deadline,
    DeadlineKind,
    Gap,
    Overdue,
    Owner,
    StepDef,
    StepStatus,
    StepView,
    System,
    SystemStatus,
)

LIVE_STEP = "live"
MIGRATE_STEP = "migrate"


def _date_label(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def default_steps(schedule: Sequence[dict]) -> tuple[StepDef, ...]:
    """The step list seeded from the material's schedule (見積依頼, Gap対応, 見積精査) followed by
    予算要求, 移行 and 稼働, whose dates the material does not give."""
    keys = {"見積依頼": "quote", "見積精査": "review"}
    steps = []
    for row in schedule:
        task = str(row["作業内容"])
        key = "gap" if task.startswith("Gap") else keys.get(task, f"s{len(steps) + 1}")
        name = "Gap対応" if key == "gap" else task
        ict = str(row.get("ICTイノベーション推進室") or "")
        steps.append(
            StepDef(
                key,
                name,
                Owner.BOTH if ict else Owner.SECTION,
                row["開始日"],
                row["終了日"],
                False,
                str(row.get("各システム担当課") or ""),
                ict,
            )
        )
    steps += [
        StepDef(
            "budget",
            "予算要求",
            Owner.SECTION,
            section_task="ICT確認後、予算要求資料（IT調達ガイドライン）の作成",
        ),
        StepDef(
            MIGRATE_STEP, "移行", Owner.SECTION, until_deadline=True, section_task="標準準拠システムへの移行"
        ),
        StepDef(LIVE_STEP, "稼働", Owner.SECTION, until_deadline=True, section_task="標準準拠システムの稼働"),
    ]
    return tuple(steps)


def deadline_of(system: System) -> Deadline:
    if system.special:
        if system.own_deadline:
            return Deadline(
                DeadlineKind.SPECIAL,
                system.own_deadline,
                f"特定移行支援システムの期限（{_date_label(system.own_deadline)}）",
            )
        return Deadline(DeadlineKind.SPECIAL, None, "特定移行支援システムの期限（未入力）")
    if system.hard:
        if system.own_deadline:
            return Deadline(
                DeadlineKind.HARD,
                system.own_deadline,
                f"主務省令で設定された移行管理の期限（{_date_label(system.own_deadline)}）",
            )
        return Deadline(DeadlineKind.HARD, None, "主務省令で設定予定の移行管理の期限（未設定）")
    return Deadline(
        DeadlineKind.STANDARD, STANDARD_DEADLINE, f"令和7年度末（{_date_label(STANDARD_DEADLINE)}）"
    )


def overdue_since(due: date | None, as_of: date) -> Overdue | None:
    """How long ``as_of`` is past ``due`` (None if not past it)."""
    if due is None or as_of <= due:
        return None
    months = (as_of.year - due.year) * 12 + as_of.month - due.month - (as_of.day < due.day)
    # a month-end deadline: the same month-end later counts as a whole month
    return Overdue((as_of - due).days, max(months, 0))


def step_views(
    system: System, steps: Sequence[StepDef], deadline: Deadline, as_of: date, soon_days: int
) -> tuple[StepView, ...]:
    soon_until = add_business_days(as_of, soon_days)
    views = []
    for definition in steps:
        step = system.step(definition.key)
        start = step.start or definition.start
        end = step.end or (deadline.due if definition.until_deadline else definition.end)
        open_ = step.status is not StepStatus.DONE
        overdue = overdue_since(end, as_of) if open_ else None
        due_soon = bool(open_ and end and not overdue and end <= soon_until)
        views.append(StepView(definition, step, start, end, overdue, due_soon))
    return tuple(views)


def system_status(
    system: System, steps: Sequence[StepDef], gaps: Sequence[Gap], as_of: date, soon_days: int = 5
) -> SystemStatus:
    deadline = deadline_of(system)
    live = system.step(LIVE_STEP)
    live_on = (live.done_on or as_of) if live.status is StepStatus.DONE else None
    overdue = None if live_on else overdue_since(deadline.due, as_of)
    data_overdue = None
    if system.hard and not system.data_done_on and not live_on:
        data_overdue = overdue_since(DATA_REQUIREMENTS_DEADLINE, as_of)
    mine = [g for g in gaps if g.system == system.number]
    return SystemStatus(
        system,
        deadline,
        live_on,
        overdue,
        data_overdue,
        step_views(system, steps, deadline, as_of, soon_days),
        len(mine),
        sum(1 for g in mine if g.waiting),
    )


# --- costs -----------------------------------------------------------------------------------


def share_in_proportion(amount: int, weights: Sequence[int]) -> list[int]:
    """``amount`` yen shared in proportion to ``weights`` (integers ≥ 0), in whole yen summing to
    ``amount`` exactly: floor each part, then give the yen left one each to the largest remainders
    (ties: earlier first). All-zero weights get nothing (then ``amount`` must be 0)."""
    if amount < 0 or any(w < 0 for w in weights):
        raise ValueError("amount and weights must be >= 0")
    total = sum(weights)
    if total == 0:
        if amount:
            raise ValueError("cannot share a positive amount over zero weights")
        return [0] * len(weights)
    parts = [amount * w // total for w in weights]
    remainders = [amount * w % total for w in weights]
    left = amount - sum(parts)
    for i in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        parts[i] += 1
    return parts


def cost_summary(systems: Sequence[System], cap: int | None) -> CostSummary:
    eligible = [s.costs.eligible for s in systems]
    eligible_total = sum(eligible)
    subsidy = min(eligible_total, cap) if cap is not None else 0
    parts = share_in_proportion(subsidy, eligible)
    totals = [s.costs.total for s in systems]
    city_total = sum(totals) - subsidy
    rows = tuple(
        CostRow(
            s.number,
            s.operation,
            t,
            s.costs.eligible,
            s.costs.outside,
            part,
            t - part,
            (t - part) / city_total if city_total else None,
        )
        for s, t, part in zip(systems, totals, parts, strict=True)
    )
    outside = tuple(sum(s.costs.outside[i] for s in systems) for i in range(len(CostCategory)))
    return CostSummary(cap, sum(totals), eligible_total, outside, subsidy, city_total, rows)


def review_queue(gaps: Sequence[Gap]) -> tuple[Gap, ...]:
    """Gaps needing a budget and not reviewed yet, in the order they were submitted."""
    return tuple(sorted((g for g in gaps if g.waiting), key=lambda g: (g.sequence, g.id)))
