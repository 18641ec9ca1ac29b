"""Cards of 業務システムの標準化: the overview (status by system, overdue, cost), a system's detail, the
step update form, the gap form, the ICT office's review, the alert and the import result. Pure
functions of the service models; Japanese text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from services.proactive.alerts import DueAlert
from services.standardization.models import (
    REVIEW_POINTS,
    ROUNDING_RULE,
    SNAPSHOT_LABEL,
    AlertKind,
    CostCategory,
    CostSummary,
    Gap,
    Handling,
    Overview,
    ReviewResult,
    StepAlert,
    StepStatus,
    StepView,
    System,
    SystemStatus,
    SystemView,
)

ICON = "🏗️"
TITLE = "業務システムの標準化"
OPEN_VERB = "standardization.open"
OVERVIEW_VERB = "standardization.overview"
SYSTEM_VERB = "standardization.system"
STEP_VERB = "standardization.step"
STEP_SAVE_VERB = "standardization.step_save"
GAP_VERB = "standardization.gap"
GAP_SAVE_VERB = "standardization.gap_save"
REVIEW_VERB = "standardization.review"
REVIEW_SAVE_VERB = "standardization.review_save"
SETTINGS_VERB = "standardization.settings"
SETTINGS_SAVE_VERB = "standardization.settings_save"
COSTS_VERB = "standardization.costs"
COSTS_SAVE_VERB = "standardization.costs_save"
EXPORT_VERB = "standardization.export"
IMPORT_VERB = "standardization.import"
SYSTEM_INPUT = "system_choice"
STEP_INPUT = "step_choice"
MAX_GAPS_LISTED = 15


def yen(value: int | None) -> str:
    return "未入力" if value is None else f"{value:,}円"


def _day(value: date | None) -> str:
    return japanese_date(value) if value else "－"


def _short(value: date | None) -> str:
    return f"{value.year}/{value.month}/{value.day}" if value else "－"


def _section(title: str) -> dict:
    return text_block(title, weight="Bolder", size="Medium", spacing="Large", separator=True)


def _attention(lines: Sequence[str]) -> dict:
    return {
        "type": "Container",
        "style": "attention",
        "items": [text_block(line, color="Attention", weight="Bolder") for line in lines],
    }


def _row(cells: Sequence[str], *, bold: bool = False, color: str = "") -> dict:
    def block(text: str) -> dict:
        props = {"weight": "Bolder"} if bold else {}
        if color:
            props["color"] = color
        return text_block(text, size="Small", **props)

    return {"type": "TableRow", "cells": [{"type": "TableCell", "items": [block(c)]} for c in cells]}


def _table(header_cells: Sequence[str], rows: list[dict], widths: Sequence[int]) -> dict:
    return {
        "type": "Table",
        "firstRowAsHeader": True,
        "showGridLines": True,
        "columns": [{"width": w} for w in widths],
        "rows": [_row(header_cells, bold=True), *rows],
    }


def _choice_input(
    input_id: str, label: str, choices: Sequence[tuple[str, str]], value: str = "", *, required: bool = False
) -> dict:
    element = {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": label,
        "style": "compact",
        "choices": [{"title": t, "value": v} for t, v in choices],
    }
    if value:
        element["value"] = value
    if required:
        element.update(isRequired=True, errorMessage=f"{label}を選んでください")
    return element


def _field_error(errors: Mapping[str, str], key: str) -> list[dict]:
    return (
        [text_block(f"⚠️ {errors[key]}", color="Attention", size="Small", spacing="None")]
        if key in errors
        else []
    )


def status_text(status: SystemStatus) -> str:
    if status.overdue:
        return f"期限超過 {status.overdue.label}"
    return status.state_label


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


# --- forms -----------------------------------------------------------------------------------


def _date_input(input_id: str, label: str, value: str) -> dict:
    element = {"type": "Input.Date", "id": input_id, "label": label}
    if value:
        element["value"] = value
    return element


def step_card(
    system: System,
    view: StepView,
    etag: str,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    notice_text: str = "",
) -> dict:
    errors = errors or {}
    values = values or {
        "status": view.step.status.value,
        "start": view.step.start.isoformat() if view.step.start else "",
        "end": view.step.end.isoformat() if view.step.end else "",
        "done_on": view.step.done_on.isoformat() if view.step.done_on else "",
        "note": view.step.note,
    }
    d = view.definition
    body: list[dict] = [*header(f"工程の更新: {system.label}", f"{d.name}（担当: {d.owner.value}）", ICON)]
    if notice_text:
        body.append(error_banner(notice_text))
    elif errors:
        body.append(error_banner("入力内容を確認してください。"))
    tasks = [("担当課の作業", d.section_task)] if d.section_task else []
    if d.ict_task:
        tasks.append(("ICT推進室の作業", d.ict_task))
    body.append(fact_set([*tasks, ("現在の予定", f"{_short(view.start)}～{_short(view.end)}")]))
    body.append(
        _choice_input(
            "status",
            "状況",
            [(s.value, s.value) for s in StepStatus],
            values.get("status", ""),
            required=True,
        )
    )
    body += _field_error(errors, "status")
    body += [_date_input("start", "開始日（空欄: 設定の予定どおり）", values.get("start", ""))]
    body += _field_error(errors, "start")
    body += [_date_input("end", "終了日（空欄: 設定の予定どおり）", values.get("end", ""))]
    body += _field_error(errors, "end")
    body += [_date_input("done_on", "完了日（「完了」のとき。空欄: 今日）", values.get("done_on", ""))]
    body += _field_error(errors, "done_on")
    body.append(
        {
            "type": "Input.Text",
            "id": "note",
            "label": "備考",
            "isMultiline": True,
            "maxLength": 1000,
            "value": values.get("note", ""),
        }
    )
    body += _field_error(errors, "note")
    data = {"system": system.number, "step": d.key, "etag": etag}
    return adaptive_card(
        body,
        [
            submit_action("保存する", STEP_SAVE_VERB, data),
            submit_action("戻る", SYSTEM_VERB, {"system": system.number}),
        ],
    )


def gap_card(
    system: System,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    notice_text: str = "",
) -> dict:
    errors, values = errors or {}, values or {}
    body: list[dict] = [
        *header(f"Gap の追加: {system.label}", "現行システムと標準仕様書の差分（※2）", ICON),
        text_block(
            "Gap 対応は、標準準拠に対応する業務フローへの変更が原則です。予算措置が必要な対応"
            "（疎結合システムや業務ツールの導入等）は、ICTイノベーション推進室がシステム化の必要性・"
            "方法・範囲を精査します（提出順にヒアリング）。",
            size="Small",
            isSubtle=True,
        ),
    ]
    if notice_text:
        body.append(error_banner(notice_text))
    elif errors:
        body.append(error_banner("入力内容を確認してください。"))
    body.append(
        {
            "type": "Input.Text",
            "id": "title",
            "label": "Gap の内容",
            "maxLength": 100,
            "isRequired": True,
            "errorMessage": "Gap の内容を入力してください",
            "value": values.get("title", ""),
        }
    )
    body += _field_error(errors, "title")
    body.append(
        {
            "type": "Input.Text",
            "id": "detail",
            "label": "詳細",
            "isMultiline": True,
            "maxLength": 1000,
            "value": values.get("detail", ""),
        }
    )
    body += _field_error(errors, "detail")
    body.append(
        _choice_input(
            "handling",
            "対応方法",
            [(h.value, h.value) for h in Handling],
            values.get("handling") or Handling.FLOW.value,
            required=True,
        )
    )
    body += _field_error(errors, "handling")
    body.append(
        {
            "type": "Input.Text",
            "id": "amount",
            "label": "概算額（円、予算措置が必要な場合）",
            "value": values.get("amount", ""),
        }
    )
    body += _field_error(errors, "amount")
    return adaptive_card(
        body,
        [
            submit_action("登録する", GAP_SAVE_VERB, {"system": system.number}),
            submit_action("戻る", SYSTEM_VERB, {"system": system.number}),
        ],
    )


def settings_card(
    system: System,
    etag: str,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    notice_text: str = "",
) -> dict:
    errors = errors or {}
    values = values or {
        "bureau": system.bureau,
        "section": system.section,
        "vendor": system.vendor,
        "special": "true" if system.special else "false",
        "own_deadline": system.own_deadline.isoformat() if system.own_deadline else "",
        "data_done_on": system.data_done_on.isoformat() if system.data_done_on else "",
    }
    kind = "移行の難易度が極めて高いシステム（主務省令で移行管理の期限を設定）" if system.hard else "標準"
    body: list[dict] = [
        *header(f"システム情報: {system.label}", "ICTイノベーション推進室", ICON),
        fact_set([("区分（会議資料）", kind)]),
    ]
    if notice_text:
        body.append(error_banner(notice_text))
    elif errors:
        body.append(error_banner("入力内容を確認してください。"))
    for key, label in (("bureau", "所管局"), ("section", "所管課（部 または 部/課）"), ("vendor", "事業者")):
        body.append(
            {"type": "Input.Text", "id": key, "label": label, "maxLength": 100, "value": values.get(key, "")}
        )
        body += _field_error(errors, key)
    body.append(
        {
            "type": "Input.Toggle",
            "id": "special",
            "title": "特定移行支援システム",
            "value": values.get("special", "false"),
            "valueOn": "true",
            "valueOff": "false",
        }
    )
    body.append(
        _date_input(
            "own_deadline",
            "個別の期限（主務省令の移行管理の期限、または特定移行支援システムの期限）",
            values.get("own_deadline", ""),
        )
    )
    body += _field_error(errors, "own_deadline")
    if system.hard:
        body.append(
            _date_input("data_done_on", "データ要件の標準に適合した日", values.get("data_done_on", ""))
        )
        body += _field_error(errors, "data_done_on")
    return adaptive_card(
        body,
        [
            submit_action("保存する", SETTINGS_SAVE_VERB, {"system": system.number, "etag": etag}),
            submit_action("戻る", SYSTEM_VERB, {"system": system.number}),
        ],
    )


def costs_card(
    system: System,
    etag: str,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    notice_text: str = "",
) -> dict:
    errors = errors or {}
    c = system.costs
    values = values or {
        "eligible": str(c.eligible or ""),
        **{f"outside_{i}": str(v or "") for i, v in enumerate(c.outside)},
    }
    body: list[dict] = [
        *header(f"見積の入力: {system.label}", "標準化対応に伴う全経費（円）", ICON),
        text_block(
            "補助金で賄えない費用と補助対象外の費用は、すべて市費で補います。各課で適正な見積精査を"
            "お願いします。空欄は0円です。",
            size="Small",
            isSubtle=True,
        ),
    ]
    if notice_text:
        body.append(error_banner(notice_text))
    elif errors:
        body.append(error_banner("入力内容を確認してください。"))
    labels = [
        ("eligible", "補助対象経費（移行経費等のうち補助対象）"),
        *((f"outside_{i}", f"補助対象外: {cat.value}") for i, cat in enumerate(CostCategory)),
    ]
    for key, label in labels:
        body.append(
            {
                "type": "Input.Text",
                "id": key,
                "label": label,
                "value": values.get(key, ""),
                "placeholder": "例: 12,000,000",
            }
        )
        body += _field_error(errors, key)
    return adaptive_card(
        body,
        [
            submit_action("保存する", COSTS_SAVE_VERB, {"system": system.number, "etag": etag}),
            submit_action("戻る", SYSTEM_VERB, {"system": system.number}),
        ],
    )


def review_card(
    gap: Gap | None,
    system: System | None,
    *,
    queue: Sequence[Gap] = (),
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str = "",
    warning: str = "",
) -> dict:
    errors, values = errors or {}, values or {}
    body: list[dict] = [
        *header("Gap 対応の精査（ICTイノベーション推進室）", "提出された順にヒアリングします（※3）", ICON)
    ]
    if warning:
        body.append(error_banner(warning))
    elif errors:
        body.append(error_banner("入力内容を確認してください。"))
    if message:
        body.append(notice(message))
    if gap is None or system is None:
        body.append(text_block("精査待ちの Gap はありません。"))
        return adaptive_card(body, [submit_action("全体の状況", OVERVIEW_VERB), menu_action()])
    body.append(
        fact_set(
            [
                ("受付番号", f"{gap.sequence}（精査待ち {len(queue)}件の1番目）"),
                ("システム", f"{system.label}（{system.bureau or '所管未設定'}）"),
                ("Gap", gap.title),
                ("詳細", gap.detail or "－"),
                ("対応方法", gap.handling.value),
                ("概算額", yen(gap.amount)),
                ("提出", f"{gap.submitted_by}・{_day(gap.submitted_at.date())}"),
            ]
        )
    )
    for key, label in REVIEW_POINTS:
        body.append(
            _choice_input(
                f"result_{key}",
                label,
                [(r.value, r.value) for r in ReviewResult],
                values.get(f"result_{key}", ""),
                required=True,
            )
        )
        body += _field_error(errors, f"result_{key}")
        body.append(
            {
                "type": "Input.Text",
                "id": f"comment_{key}",
                "label": f"{label}のコメント（要再検討のときは必須）",
                "isMultiline": True,
                "maxLength": 1000,
                "value": values.get(f"comment_{key}", ""),
            }
        )
        body += _field_error(errors, f"comment_{key}")
    if len(queue) > 1:
        body.append(
            text_block(
                "次に精査: " + "、".join(f"{g.sequence}. {g.title}" for g in queue[1:6]),
                size="Small",
                isSubtle=True,
            )
        )
    return adaptive_card(
        body,
        [
            submit_action("精査結果を保存する", REVIEW_SAVE_VERB, {"gap": gap.id}),
            submit_action("全体の状況", OVERVIEW_VERB),
            menu_action(),
        ],
    )


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
