"""The 業務システムの標準化 views: the overview (status by system, overdue, cost), a system's detail, the
alert and the import result cards."""

from __future__ import annotations

from collections.abc import Sequence

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
from cards.standardization.common import (
    COSTS_VERB,
    EXPORT_VERB,
    GAP_VERB,
    ICON,
    IMPORT_VERB,
    MAX_GAPS_LISTED,
    OVERVIEW_VERB,
    REVIEW_VERB,
    SETTINGS_VERB,
    STEP_INPUT,
    STEP_VERB,
    SYSTEM_INPUT,
    SYSTEM_VERB,
    TITLE,
    _attention,
    _choice_input,
    _day,
    _row,
    _section,
    _short,
    _table,
    status_text,
    yen,
)
from services.proactive.alerts import DueAlert
from services.standardization.models import (
    REVIEW_POINTS,
    ROUNDING_RULE,
    SNAPSHOT_LABEL,
    AlertKind,
    CostCategory,
    CostSummary,
    Overview,
    StepAlert,
    StepView,
    System,
    SystemView,
)

# --- the overview ----------------------------------------------------------------------------


def cost_chart(costs: CostSummary) -> dict:
    """Each system's share of the city's cost (市費), with a fact set where charts are not drawn."""
    rows = [r for r in costs.rows if r.city_cost > 0]
    return {
        "type": "Chart.Donut",
        "title": "システム別の市費の割合",
        "data": [{"legend": r.operation, "value": r.city_cost} for r in rows],
        "fallback": fact_set(
            [(r.operation, f"{r.city_cost:,}円（{(r.share or 0) * 100:.1f}%）") for r in rows]
        ),
    }


def cost_section(costs: CostSummary, *, detailed: bool = True) -> list[dict]:
    facts = [
        ("見積の合計", yen(costs.total)),
        ("うち補助対象経費（移行経費等）", yen(costs.eligible)),
        *((f"補助対象外: {c.value}", yen(v)) for c, v in zip(CostCategory, costs.outside, strict=True) if v),
        ("補助金額の上限（国から本市へ）", yen(costs.cap)),
        (
            "補助金の額（補助対象経費と上限の小さい方）",
            yen(costs.subsidy) if costs.cap is not None else "上限が未入力",
        ),
        ("市費（見積の合計 − 補助金）", yen(costs.city_cost)),
        ("補助対象経費 ÷ 補助金額の上限", f"{costs.ratio:.2f}倍" if costs.ratio is not None else "－"),
    ]
    body = [
        _section("💴 経費（見積）と補助金"),
        fact_set(facts),
        text_block(
            f"{SNAPSHOT_LABEL}: 補助金対象の移行経費等は、"
            f"国から本市への補助金額上限の約{costs.snapshot_ratio}倍"
            "の状況で、補助金で賄えない費用と補助対象外の費用はすべて市費で補います。",
            size="Small",
            isSubtle=True,
        ),
    ]
    if detailed and costs.total:
        body.append(cost_chart(costs))
        body.append(text_block(f"端数の扱い: {ROUNDING_RULE}", size="Small", isSubtle=True))
    return body


def overview_card(
    overview: Overview, *, readable: Sequence[System] = (), may_review: bool = False, message: str = ""
) -> dict:
    statuses = overview.statuses
    body: list[dict] = [*header(f"{TITLE} 全体の状況", f"{japanese_date(overview.as_of)}時点", ICON)]
    if message:
        body.append(notice(message))
    body.append(
        fact_set(
            [
                ("対象システム", f"{len(statuses)}業務"),
                ("稼働済み", f"{overview.live}業務"),
                ("期限超過", f"{sum(1 for s in statuses if s.overdue)}業務"),
                (
                    "データ要件の期限超過（移行困難システム）",
                    f"{sum(1 for s in statuses if s.data_overdue)}業務",
                ),
                ("ICT推進室の精査待ち Gap", f"{len(overview.review_queue)}件"),
            ]
        )
    )
    late = [s for s in statuses if s.overdue or s.data_overdue]
    if late:
        lines = []
        for s in late:
            if s.overdue:
                lines.append(
                    f"⛔ {s.system.label}（{s.system.bureau or '所管未設定'}）: "
                    f"移行期限 {_short(s.deadline.due)}"
                    f" から{s.overdue.label}"
                )
            if s.data_overdue:
                lines.append(
                    f"⛔ {s.system.label}（{s.system.bureau or '所管未設定'}）: "
                    f"データ要件の適合期限 2026/3/31 から{s.data_overdue.label}"
                )
        body.append(_attention(lines))
    overdue_steps = [
        (s, v) for s in statuses for v in s.overdue_steps if not v.definition.until_deadline and not s.live_on
    ]
    if overdue_steps:
        counts: dict[str, int] = {}
        for _, v in overdue_steps:
            counts[v.definition.name] = counts.get(v.definition.name, 0) + 1
        body.append(
            text_block(
                "期限を過ぎた工程: " + "、".join(f"{k} {n}業務" for k, n in counts.items()),
                color="Attention",
                size="Small",
            )
        )
    others = [s for s in statuses if not (s.overdue or s.data_overdue)]
    if others:
        body += [
            _section("🖥️ システム別の状況（期限内・稼働済み）"),
            fact_set(
                [
                    (
                        f"{s.system.label}（{s.system.bureau or '所管未設定'}）",
                        f"{status_text(s)}・期限 {_short(s.deadline.due) if s.deadline.due else '未設定'}",
                    )
                    for s in others
                ]
            ),
        ]
    body += cost_section(overview.costs, detailed=True)
    actions = []
    if readable:
        body.append(
            _choice_input(
                SYSTEM_INPUT, "システムを選ぶ", [(s.label, s.number) for s in readable], readable[0].number
            )
        )
        actions.append(submit_action("詳細を見る", SYSTEM_VERB))
    if may_review:
        actions.append(submit_action(f"Gap を精査する（{len(overview.review_queue)}件）", REVIEW_VERB))
        actions.append(submit_action("Excel を出力", EXPORT_VERB))
        actions.append(submit_action("Excel の取込方法", IMPORT_VERB))
    actions.append(menu_action())
    return adaptive_card(body, actions)


# --- a system --------------------------------------------------------------------------------


def _step_rows(steps: Sequence[StepView]) -> list[dict]:
    rows = []
    for v in steps:
        state = v.step.status.value
        if v.step.done_on:
            state += f"（{_short(v.step.done_on)}）"
        elif v.overdue:
            state += f"・{v.overdue.label}"
        elif v.due_soon:
            state += "・期限間近"
        rows.append(
            _row(
                [v.definition.name, v.definition.owner.value, f"{_short(v.start)}～{_short(v.end)}", state],
                color="Attention" if v.overdue else "",
            )
        )
    return rows


def system_card(view: SystemView, *, message: str = "", warning: str = "") -> dict:
    status = view.status
    system = status.system
    body: list[dict] = [*header(f"{system.label} システム", TITLE, ICON)]
    if warning:
        body.append(error_banner(warning))
    if message:
        body.append(notice(message))
    kind = (
        "特定移行支援システム"
        if system.special
        else "移行の難易度が極めて高いシステム"
        if system.hard
        else "標準"
    )
    body.append(
        fact_set(
            [
                ("所管", " / ".join(p for p in (system.bureau, system.section) if p) or "未設定"),
                ("事業者", system.vendor or "未入力"),
                ("移行先", f"標準準拠システム（{system.specification}に適合）"),
                ("区分", kind),
                ("移行期限", status.deadline.label),
                *(
                    (
                        (
                            "データ要件の適合期限",
                            "令和8年（2026年）3月末"
                            + (f"・適合済み（{_short(system.data_done_on)}）" if system.data_done_on else ""),
                        ),
                    )
                    if system.hard
                    else ()
                ),
                ("状況", status_text(status)),
            ]
        )
    )
    lines = []
    if status.overdue:
        lines.append(
            f"⛔ 移行期限（{_short(status.deadline.due)}）を過ぎても稼働していません: {status.overdue.label}"
        )
    if status.data_overdue:
        lines.append(
            f"⛔ データ要件の標準への適合期限（2026/3/31）を過ぎています: {status.data_overdue.label}"
        )
    if lines:
        body.append(_attention(lines))
    body += [
        _section("🗂️ 工程"),
        _table(["工程", "担当", "予定", "状況"], _step_rows(status.steps), [2, 2, 3, 3]),
    ]
    actions = []
    if view.may_write or view.may_review:
        body.append(
            _choice_input(
                STEP_INPUT,
                "更新する工程",
                [(v.definition.name, v.definition.key) for v in status.steps],
                (status.current_step or status.steps[-1]).definition.key,
            )
        )
        actions.append(submit_action("工程を更新する", STEP_VERB, {"system": system.number}))
    body.append(_section(f"🧩 Gap（現行システムと標準仕様書の差分）{len(view.gaps)}件"))
    if view.gaps:
        facts = []
        for g in view.gaps[-MAX_GAPS_LISTED:]:
            state = g.state_label
            if g.id in view.queue_positions:
                state += f"（精査順 {view.queue_positions[g.id]}番目）"
            facts.append((f"{g.sequence}. {g.title}", f"{g.handling.value}・{state}"))
        body.append(fact_set(facts))
        reviewed = [(g, g.review) for g in view.gaps if g.review]
        for g, review in reviewed[-3:]:
            comments = "、".join(
                f"{label}: {r.value}" + (f"（{c}）" if c else "")
                for (_, label), r, c in zip(REVIEW_POINTS, review.results, review.comments, strict=True)
            )
            body.append(text_block(f"精査結果 {g.sequence}. {g.title}: {comments}", size="Small"))
        if len(view.gaps) > MAX_GAPS_LISTED:
            body.append(
                text_block(
                    f"ほか {len(view.gaps) - MAX_GAPS_LISTED}件（Excel で確認できます）", isSubtle=True
                )
            )
    else:
        body.append(text_block("登録された Gap はありません。", isSubtle=True))
    if view.may_write:
        actions.append(submit_action("Gap を追加する", GAP_VERB, {"system": system.number}))
    c = system.costs
    body += [
        _section("💴 見積"),
        fact_set(
            [
                ("見積の合計", yen(c.total) if c.entered else "未入力"),
                ("補助対象経費（移行経費等）", yen(c.eligible)),
                *(
                    (f"補助対象外: {cat.value}", yen(v))
                    for cat, v in zip(CostCategory, c.outside, strict=True)
                    if v
                ),
            ]
        ),
    ]
    if view.may_write:
        actions.append(submit_action("見積を入力する", COSTS_VERB, {"system": system.number}))
    if view.may_review:
        actions.append(submit_action("システム情報（管理者）", SETTINGS_VERB, {"system": system.number}))
    actions += [submit_action("全体の状況", OVERVIEW_VERB), menu_action()]
    return adaptive_card(body, actions)


# --- alerts and files ------------------------------------------------------------------------


def alert_card(alert: StepAlert, due: DueAlert | None = None) -> dict:
    where = f"{alert.number} {alert.operation}（{alert.bureau or '所管未設定'}）"
    if alert.kind is AlertKind.DEADLINE:
        title = f"⛔ {where}: 移行期限を過ぎています"
        lines = [
            f"移行期限 {_short(alert.due)} から{alert.overdue.label if alert.overdue else ''}。"
            "稼働していません。"
        ]
    elif alert.kind is AlertKind.STEP_OVERDUE:
        title = f"⛔ {where}: 期限を過ぎた工程があります"
        lines = [
            f"期限を過ぎた工程: {alert.step}",
            f"最も古い期限 {_short(alert.due)} から{alert.overdue.label if alert.overdue else ''}。",
        ]
    else:
        title = f"⏰ {where}: 「{alert.step}」の期限が近づいています"
        lines = [f"期限は {_day(alert.due)} です。"]
    body: list[dict] = [*header(title, TITLE, ICON)]
    body.append(_attention(lines) if alert.kind is not AlertKind.DUE_SOON else text_block(lines[0]))
    if due is not None:
        body += [
            text_block(f"このお知らせの理由: {due.why}", size="Small"),
            text_block(f"次にすること: {due.next_step}", size="Small"),
        ]
    return adaptive_card(
        body, [submit_action("システムの詳細", SYSTEM_VERB, {"system": alert.number}), menu_action()]
    )


def generic_alert_card(alert: DueAlert) -> dict:
    body = [
        *header(alert.title, TITLE, ICON),
        text_block(f"このお知らせの理由: {alert.why}"),
        text_block(f"次にすること: {alert.next_step}"),
    ]
    if alert.facts:
        body.append(fact_set(list(alert.facts)))
    return adaptive_card(body, [submit_action("全体の状況", OVERVIEW_VERB), menu_action()])


def import_help_card(message: str = "") -> dict:
    body = [*header("Excel の取込", TITLE, ICON)]
    if message:
        body.append(notice(message))
    body.append(
        text_block(
            "「Excel を出力」で受け取ったファイルの"
            "「システム」「工程」「工程の設定」「補助金」シートを編集し、"
            "このチャットに添付して送ってください（ICTイノベーション推進室のみ）。"
            "所管局・所管課・事業者・特定移行支援システム・個別の期限"
            "（主務省令で設定された移行管理の期限など）・見積額・補助金額の上限を更新できます。"
            "取り込みはすべて成功したときだけ反映され、誤りがあればセル番地を示して何も変更しません。"
        )
    )
    return adaptive_card(body, [submit_action("全体の状況", OVERVIEW_VERB), menu_action()])


def import_result_card(filename: str, summary: str = "", problems: Sequence[str] = ()) -> dict:
    if problems:
        body = [
            *header("取り込めませんでした", filename, ICON),
            error_banner("何も変更していません。次の点を直してください。"),
            *(text_block(f"・{p}", size="Small") for p in problems[:30]),
        ]
        if len(problems) > 30:
            body.append(text_block(f"ほか {len(problems) - 30}件", isSubtle=True))
    else:
        body = [*header("取り込みました", filename, ICON), notice(summary)]
    return adaptive_card(body, [submit_action("全体の状況", OVERVIEW_VERB), menu_action()])
