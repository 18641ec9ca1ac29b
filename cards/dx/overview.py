"""The 堺市DX overview, a department's plans, shared reports, the review queue and participation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from cards.common import (
    adaptive_card,
    error_banner,
    fact_set,
    header,
    japanese_date,
    menu_action,
    notice,
    submit_action,
    text_block,
)
from cards.dx.common import (
    ACADEMY,
    CATEGORY_INPUT,
    DEPARTMENT,
    DEPARTMENT_TRAINING,
    DUE_INPUT,
    EXPORT,
    HOME,
    ICON,
    MAX_CHART,
    MAX_CHOICES,
    MAX_REPORTS,
    MAX_ROWS,
    MAX_WAITING,
    NEW,
    PARTICIPATION,
    PARTICIPATION_SAVE,
    PLAN,
    REPORT_VIEW,
    REPORTS,
    TITLE,
    TRAINING,
    UNIT_INPUT,
    UNITS_INPUT,
    WAITING,
    _buttons,
    _clip,
    _section,
    _state,
    kpi_text,
)
from services.dx.models import (
    SNAPSHOT_LABEL,
    Category,
    Overview,
    Plan,
    PlanState,
)

# --- overview ------------------------------------------------------------------------------------


def state_chart(overview: Overview) -> dict:
    counts = overview.state_counts()
    return {
        "type": "Chart.Donut",
        "title": "DX実行計画の状態（件）",
        "data": [{"legend": s.label, "value": counts[s]} for s in PlanState],
        "fallback": fact_set([(s.label, f"{counts[s]}件") for s in PlanState]),
    }


def attainment_chart(overview: Overview) -> dict | None:
    """KPI attainment of each reported plan (%, capped at 150), with a fact set where charts are not drawn."""
    reported = [p for p in overview.plans if p.attainment is not None][:MAX_CHART]
    if not reported:
        return None
    points = [
        (f"{p.department}「{_clip(p.business, 12)}」", round(min(p.attainment or 0, 1.5) * 100))
        for p in reported
    ]
    return {
        "type": "Chart.HorizontalBar",
        "title": "KPI達成率（報告済の計画、%）",
        "data": [{"x": label, "y": value} for label, value in points],
        "fallback": fact_set([(label, f"{value}%") for label, value in points]),
    }


def home_card(
    overview: Overview,
    *,
    own: Sequence[tuple[str, str]] = (),
    readable: Sequence[tuple[str, str]] = (),
    admin: bool = False,
    message: str = "",
) -> dict:
    """The overview: departments taking part, plan states (chart + fallback), overdue milestones."""
    body = [*header(TITLE, f"{japanese_date(overview.as_of)} 時点・保存済みの記録から集計", ICON)]
    if message:
        body.append(notice(message))
    taking_part = overview.participating
    attainment = overview.attainment
    body.append(
        fact_set(
            [
                (
                    "参加部署",
                    f"{len(taking_part)}部署（目標 {overview.target}部署: DX選定会議、{SNAPSHOT_LABEL}）",
                ),
                ("計画のある部署", f"{overview.with_plan}部署"),
                ("期日を過ぎたマイルストーン", f"{len(overview.overdue())}件"),
                (
                    "KPI達成率（報告済の平均）",
                    f"{attainment:.0%}" if attainment is not None else "－（報告はまだありません）",
                ),
            ]
        )
    )
    body.append(state_chart(overview))
    attainment_bars = attainment_chart(overview)
    if attainment_bars is not None:
        body.append(attainment_bars)
    overdue = overview.overdue()
    if overdue:
        body.append(_section("期日を過ぎたマイルストーン"))
        body += [
            text_block(
                f"・{p.department}「{p.business}」: {m.title}（{japanese_date(m.due)}）",
                size="Small",
                spacing="None",
            )
            for p, m in overdue[:10]
        ]
    rows = [d for d in overview.departments if d.participating or d.plans]
    if rows:
        body.append(_section("部署ごとの状況"))
        for d in rows[:MAX_ROWS]:
            states = "、".join(_state(p) for p in d.plans) or "計画なし"
            body.append(text_block(f"{d.bureau}/{d.department}: {states}", size="Small", spacing="None"))
        if len(rows) > MAX_ROWS:
            body.append(
                text_block(
                    f"ほか {len(rows) - MAX_ROWS}部署（Excel で全件を確認できます）",
                    isSubtle=True,
                    size="Small",
                )
            )
    if readable:
        body.append(
            {
                "type": "Input.ChoiceSet",
                "id": UNIT_INPUT,
                "label": "部署の計画を見る",
                "style": "compact",
                "value": f"{readable[0][0]}/{readable[0][1]}",
                "choices": [{"title": f"{b}/{d}", "value": f"{b}/{d}"} for b, d in readable[:MAX_CHOICES]],
            }
        )
        body.append(_buttons(submit_action("計画を見る", DEPARTMENT)))
    actions = [submit_action(f"{d}の計画", DEPARTMENT, {"bureau": b, "department": d}) for b, d in own[:3]]
    actions += [
        submit_action("研修", TRAINING),
        submit_action("データアカデミー", ACADEMY),
        submit_action("共有された報告書", REPORTS),
    ]
    body.append(_buttons(*actions[:5]))
    if admin:
        body.append(
            _buttons(
                submit_action("確認待ちの計画", WAITING),
                submit_action("参加部署の設定", PARTICIPATION),
                submit_action("Excel で出力", EXPORT),
            )
        )
    return adaptive_card(body, [menu_action()])


def department_card(
    bureau: str, department: str, plans: Sequence[Plan], *, may_write: bool, message: str = ""
) -> dict:
    body = [*header(f"{bureau}/{department}のDX実行計画", TITLE, ICON)]
    if message:
        body.append(notice(message))
    if not plans:
        body.append(
            text_block(
                "まだ計画はありません。" + ("「計画を作成」から書き始めてください。" if may_write else "")
            )
        )
    for plan in plans:
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    text_block(f"{plan.business}", weight="Bolder"),
                    fact_set(
                        [("状態", _state(plan)), ("区分", plan.category.label), ("KPI", kpi_text(plan))]
                    ),
                    _buttons(submit_action("開く", PLAN, {"plan_id": plan.plan_id})),
                ],
            }
        )
    actions = (
        [submit_action("計画を作成", NEW, {"bureau": bureau, "department": department}, style="positive")]
        if may_write
        else []
    )
    actions.append(
        submit_action("研修の受講状況", DEPARTMENT_TRAINING, {"bureau": bureau, "department": department})
    )
    return adaptive_card(body, [*actions, submit_action("全体の状況", HOME)])


def reports_card(plans: Sequence[Plan], category: Category | None) -> dict:
    body = [*header("共有された DX実施報告書", category.label if category else "すべての区分", ICON)]
    body.append(
        {
            "type": "Input.ChoiceSet",
            "id": CATEGORY_INPUT,
            "label": "区分で絞り込む",
            "style": "compact",
            "value": category.value if category else "",
            "choices": [
                {"title": "すべて", "value": ""},
                *({"title": c.label, "value": c.value} for c in Category),
            ],
        }
    )
    body.append(_buttons(submit_action("絞り込む", REPORTS)))
    if not plans:
        body.append(text_block("共有された報告書はまだありません。"))
    for plan in plans[:MAX_REPORTS]:
        r = plan.report
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    text_block(f"{plan.business}（{plan.unit_path}）", weight="Bolder"),
                    fact_set(
                        [
                            ("区分", plan.category.label),
                            ("KPI", kpi_text(plan)),
                            ("結果", _clip(r.results, 150) if r else ""),
                            ("分かったこと", _clip(r.learned, 150) if r else ""),
                        ]
                    ),
                    _buttons(submit_action("全文を読む", REPORT_VIEW, {"plan_id": plan.plan_id})),
                ],
            }
        )
    if len(plans) > MAX_REPORTS:
        body.append(
            text_block(
                f"ほか {len(plans) - MAX_REPORTS}件（区分で絞り込んでください）", isSubtle=True, size="Small"
            )
        )
    return adaptive_card(body, [submit_action("全体の状況", HOME)])


def shared_report_card(plan: Plan) -> dict:
    """A shared 実施報告書, readable by all staff."""
    r = plan.report
    body = [*header(f"DX実施報告書: {plan.business}", f"{plan.unit_path}・{plan.category.label}", ICON)]
    body.append(fact_set([("目的", plan.purpose), ("目標", plan.goal), ("KPI", kpi_text(plan))]))
    if r is not None:
        body += [
            _section("取組の結果"),
            text_block(r.results),
            _section("分かったこと・今後に生かすこと"),
            text_block(r.learned),
        ]
    return adaptive_card(
        body, [submit_action("共有された報告書", REPORTS), submit_action("全体の状況", HOME)]
    )


def waiting_card(plans: Sequence[Plan], as_of: date) -> dict:
    body = [*header("確認待ちの DX実行計画", f"{japanese_date(as_of)} 時点", ICON)]
    if not plans:
        body.append(text_block("確認待ちの計画はありません。"))
    for plan in plans[:MAX_WAITING]:
        since = japanese_date(plan.submitted_at.date()) if plan.submitted_at else ""
        body.append(
            {
                "type": "ColumnSet",
                "separator": True,
                "columns": [
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [
                            text_block(f"{plan.unit_path}「{plan.business}」", size="Small"),
                            text_block(
                                f"{_state(plan)}・{since} 提出", size="Small", isSubtle=True, spacing="None"
                            ),
                        ],
                    },
                    {
                        "type": "Column",
                        "width": "auto",
                        "items": [_buttons(submit_action("開く", PLAN, {"plan_id": plan.plan_id}))],
                    },
                ],
            }
        )
    return adaptive_card(body, [submit_action("全体の状況", HOME)])


def participation_card(
    departments: Sequence[tuple[str, str]],
    selected: Sequence[tuple[str, str]],
    due: date | None,
    target: int,
    *,
    error: str = "",
    message: str = "",
) -> dict:
    body = [*header("DX の参加部署", f"目標 {target}部署（DX選定会議、{SNAPSHOT_LABEL}）", ICON)]
    if error:
        body.append(error_banner(error))
    if message:
        body.append(notice(message))
    body.append(
        text_block(
            f"現在 {len(selected)}部署が参加しています。組織（名簿の取り込み）にある部から選んでください。"
        )
    )
    body.append(
        {
            "type": "Input.ChoiceSet",
            "id": UNITS_INPUT,
            "isMultiSelect": True,
            "style": "compact",
            "label": "参加する部署",
            "value": ",".join(f"{b}/{d}" for b, d in selected),
            "choices": [{"title": f"{b}/{d}", "value": f"{b}/{d}"} for b, d in departments],
        }
    )
    date_input = {"type": "Input.Date", "id": DUE_INPUT, "label": "DX実行計画の提出期限"}
    if due:
        date_input["value"] = due.isoformat()
    body.append(date_input)
    return adaptive_card(
        body,
        [submit_action("保存する", PARTICIPATION_SAVE, style="positive"), submit_action("全体の状況", HOME)],
    )
