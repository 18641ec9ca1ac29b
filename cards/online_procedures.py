"""Cards of 行政手続きオンライン化: the city and bureau summaries, the table in the material's
layout (paged by bureau group), the quarterly update form, its confirmation, the delay alert and
the Excel import result. Pure functions of the service models; Japanese text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from cards.common import (
    adaptive_card,
    clip,
    error_banner,
    fact_set,
    header,
    japanese_date,
    menu_action,
    notice,
    submit_action,
    text_block,
)
from services.kernel.numbers import parse_count
from services.online_procedures.models import (
    BureauSummary,
    CitySummary,
    DelayAlert,
    DelayedProcedure,
    Period,
    PeriodState,
    Progress,
    ReportView,
    Source,
    SubmitResult,
    TablePage,
    TableRow,
    TableView,
    UpdateForm,
)
from services.proactive.alerts import DueAlert

ICON = "🌐"
TITLE = "行政手続きオンライン化"
OPEN_VERB = "online_procedures.open"
SUMMARY_VERB = "online_procedures.summary"
BUREAU_VERB = "online_procedures.bureau"
TABLE_VERB = "online_procedures.table"
UPDATE_VERB = "online_procedures.update"
CORRECT_VERB = "online_procedures.correct"
SUBMIT_VERB = "online_procedures.submit"
EXPORT_VERB = "online_procedures.export"
IMPORT_VERB = "online_procedures.import"
BUREAU_INPUT = "bureau_choice"
PERIOD_INPUT = "correct_period"
TABLE_PAGE_SIZE = 7  # bureaus per page of the table card
MAX_LISTED = 15  # procedures listed on a summary or alert card
MAX_HISTORY = 8
WARD_SUFFIX = "区役所"
COMMISSIONS = ("監査委員事務局", "農業委員会事務局", "教育委員会事務局", "上下水道局", "消防局")
LIVE, SEED = "live", "seed"


def _count(value: int) -> str:
    return f"{value:,}件"


def _rate(value: float | None) -> str:
    return "－" if value is None else f"{value * 100:.1f}%"


def _section(title: str) -> dict:
    return text_block(title, weight="Bolder", size="Medium", separator=True, spacing="Medium")


def period_line(period: Period, state: PeriodState, closes_on: date) -> str:
    if state is PeriodState.CLOSED:
        return f"{period.label}（締め済み）"
    return f"{period.label}・{state.label}（入力は{japanese_date(closes_on - timedelta(days=1))}まで）"


def report_text(report: ReportView | None) -> str:
    if report is None:
        return "未報告"
    notes = []
    if report.delayed:
        notes.append(f"うち遅れ分 {report.delayed:,}")
    if report.advanced:
        notes.append(f"うち前倒し {report.advanced:,}")
    text = _count(report.done) + (f"（{'、'.join(notes)}）" if notes else "")
    if report.by_name:
        when = f"・{japanese_date(report.at.date())}" if report.at else ""
        text += f"　{report.by_name} さん{when}"
    return text


def progress_facts(progress: Progress) -> list[tuple[str, str]]:
    delayed = _count(progress.delayed)
    if progress.delayed_expected:
        delayed += f"（うち今期の報告による見込み {progress.delayed_expected:,}件）"
    facts = [
        ("帳票数", _count(progress.forms_total)),
        ("完了", f"{_count(progress.done)}（進捗率 {_rate(progress.completion_rate)}）"),
        ("残り", f"{_count(progress.remaining)}（うち重要取組未実施 {progress.not_scheduled:,}件）"),
        (
            "計画達成率",
            f"{_rate(progress.plan_rate)}（期限が来た {progress.due:,}件のうち計画どおり完了 "
            f"{progress.done - progress.advanced:,}件）",
        ),
        ("遅れ", delayed),
        ("前倒し", _count(progress.advanced)),
        ("個別対応が必要な手続き", f"{_count(progress.needs_individual)}（帳票数の外）"),
    ]
    return facts


def _source_line(counts: int, procedures: int) -> str:
    parts = []
    if counts:
        parts.append(f"局別の件数 {counts}局")
    if procedures:
        parts.append(f"手続きごとの記録 {procedures}局")
    return "集計元: " + "・".join(parts)


def _bureau_choice(bureaus: Sequence[str], value: str = "", label: str = "局を選ぶ") -> dict:
    choice = {
        "type": "Input.ChoiceSet",
        "id": BUREAU_INPUT,
        "label": label,
        "style": "compact",
        "choices": [{"title": b, "value": b} for b in bureaus],
    }
    if value in bureaus:
        choice["value"] = value
    elif bureaus:
        choice["value"] = bureaus[0]
    return choice


# --- the city summary ------------------------------------------------------------------------


def plan_actual_chart(bureaus: Sequence[BureauSummary]) -> dict:
    """Plan (what is due by now) against actual (done), per bureau; a fact set where charts are not drawn."""
    fallback = fact_set(
        [
            (b.bureau, f"計画 {b.progress.due:,}・実績 {b.progress.done:,}・遅れ {b.progress.delayed:,}")
            for b in bureaus
        ]
    )
    return {
        "type": "Chart.VerticalBar.Grouped",
        "title": "局別の計画（期限到来分）と実績（完了の累計）",
        "xAxisTitle": "局",
        "yAxisTitle": "件数",
        "colorSet": "categorical",
        "data": [
            {
                "legend": "計画（期限到来分）",
                "values": [{"x": b.bureau, "y": b.progress.due} for b in bureaus],
            },
            {"legend": "実績（完了）", "values": [{"x": b.bureau, "y": b.progress.done} for b in bureaus]},
        ],
        "fallback": fallback,
    }


def _row(cells: Sequence[str], bold: bool = False) -> dict:
    return {
        "type": "TableRow",
        "cells": [
            {"type": "TableCell", "items": [text_block(c, weight="Bolder") if bold else text_block(c)]}
            for c in cells
        ],
    }


def summary_card(
    summary: CitySummary,
    *,
    readable: Sequence[str] = (),
    own: Sequence[str] = (),
    admin: bool = False,
    message: str = "",
) -> dict:
    """全庁: done, remaining, the rates, the delays and the bureaus with delays, and a chart."""
    body = [*header(f"{TITLE} 全庁の状況", f"{japanese_date(summary.as_of)}時点", ICON)]
    if message:
        body.append(notice(message))
    body.append(
        text_block(
            f"現在の期間: {period_line(summary.current, summary.current_state, summary.closes_on)}",
            isSubtle=True,
            spacing="None",
        )
    )
    body.append(fact_set(progress_facts(summary.progress)))
    late = sorted(summary.delayed_bureaus, key=lambda b: (-b.progress.delayed, b.order))
    body.append(_section(f"遅れのある局（{len(late)}局）"))
    body.append(
        text_block(
            "、".join(f"{b.bureau} {b.progress.delayed:,}件" for b in late)
            if late
            else "遅れのある局はありません。"
        )
    )
    body.append(_section("局別の計画と実績"))
    body.append(plan_actual_chart(summary.bureaus))
    body.append(
        text_block(
            _source_line(summary.count_by_source(Source.COUNTS), summary.count_by_source(Source.PROCEDURES))
            + "。計画（期限到来分）は、計画どおりの完了と遅れの合計です。",
            isSubtle=True,
            size="Small",
        )
    )
    actions: list[dict] = []
    if readable or own:
        choices = list(dict.fromkeys([*own, *readable]))
        body.append(_bureau_choice(choices, own[0] if own else ""))
        row = []
        if readable:
            row.append(submit_action("局の状況を見る", BUREAU_VERB))
        if own:
            row.append(submit_action("実績を入力する", UPDATE_VERB))
        body.append({"type": "ActionSet", "actions": row})
    actions.append(submit_action("表を見る", TABLE_VERB, {"view": LIVE, "page": 1}))
    actions.append(submit_action("会議資料の表", TABLE_VERB, {"view": SEED, "page": 1}))
    if admin:
        actions.append(submit_action("Excel の取込", IMPORT_VERB))
    actions.append(menu_action())
    return adaptive_card(body, actions)


# --- one bureau ------------------------------------------------------------------------------


def _delayed_list(procedures: Sequence[DelayedProcedure]) -> list[dict]:
    lines = [
        f"・{p.name}（{p.section or '課未設定'}）予定 {p.planned.short_label}"
        for p in procedures[:MAX_LISTED]
    ]
    if len(procedures) > MAX_LISTED:
        lines.append(f"ほか {len(procedures) - MAX_LISTED}件")
    return [text_block("\n".join(lines), size="Small")] if lines else []


def history_table(summary: BureauSummary) -> dict | None:
    rows = [h for h in summary.history][-MAX_HISTORY:]
    if not rows:
        return None
    return {
        "type": "Table",
        "columns": [{"width": 3}, {"width": 2}, {"width": 2}, {"width": 2}, {"width": 4}],
        "firstRowAsHeader": True,
        "rows": [_row(["期間", "予定", "実績", "遅れ（繰越）", "理由・備考"], bold=True)]
        + [
            _row(
                [
                    h.period.short_label + ("（取込前）" if h.superseded else ""),
                    "－"
                    if h.plan is None
                    else f"{h.plan:,}" + (f"（遅れ {h.plan_delayed}）" if h.plan_delayed else ""),
                    f"{h.done:,}" + (f"（前倒し {h.done_advanced}）" if h.done_advanced else ""),
                    f"{h.shortfall:,}",
                    h.reason
                    or {"auto": "報告なし（0件で締め）", "seed": "会議資料", "import": "Excel 取込"}.get(
                        h.source, ""
                    ),
                ]
            )
            for h in reversed(rows)
        ],
    }


def bureau_card(
    summary: BureauSummary,
    as_of: date,
    *,
    may_submit: bool = False,
    correctable: Sequence[Period] = (),
    message: str = "",
    warning: str = "",
) -> dict:
    current = summary.current
    body = [
        *header(
            f"{summary.bureau} オンライン化の状況",
            f"{japanese_date(as_of)}時点・集計元: {summary.source.label}",
            ICON,
        )
    ]
    if warning:
        body.append(error_banner(warning))
    if message:
        body.append(notice(message))
    body.append(fact_set(progress_facts(summary.progress)))
    body.append(_section("現在の期間"))
    body.append(
        fact_set(
            [
                ("期間", period_line(current.period, current.state, current.closes_on)),
                (
                    "予定",
                    _count(current.plan)
                    + (f"（うち遅れの繰越 {current.plan_delayed:,}件）" if current.plan_delayed else ""),
                ),
                ("報告", report_text(current.report)),
            ]
        )
    )
    if summary.source is Source.PROCEDURES:
        body.append(_section(f"遅れている手続き（{len(summary.delayed_procedures)}件）"))
        body += _delayed_list(summary.delayed_procedures) or [text_block("ありません。")]
        body.append(
            text_block(
                f"手続きごとの記録 {summary.procedure_count:,}件から集計しています。",
                isSubtle=True,
                size="Small",
            )
        )
    table = history_table(summary)
    if table is not None:
        body.append(_section("遅れの履歴（締めた期間）"))
        body.append(table)
    actions: list[dict] = []
    if may_submit and current.state is PeriodState.OPEN:
        actions.append(
            submit_action(
                f"{current.period.short_label}の実績を入力", UPDATE_VERB, {"bureau": summary.bureau}
            )
        )
    if correctable:
        body.append(
            {
                "type": "Input.ChoiceSet",
                "id": PERIOD_INPUT,
                "label": "締めた期間を訂正する（管理者）",
                "style": "compact",
                "value": correctable[0].key,
                "choices": [{"title": p.label, "value": p.key} for p in correctable[:12]],
            }
        )
        body.append(
            {
                "type": "ActionSet",
                "actions": [submit_action("訂正する", CORRECT_VERB, {"bureau": summary.bureau})],
            }
        )
    actions.append(submit_action("全庁の状況", SUMMARY_VERB))
    actions.append(menu_action())
    return adaptive_card(body, actions)


# --- the table -------------------------------------------------------------------------------


def _group_of(bureau: str) -> str:
    if bureau.endswith(WARD_SUFFIX):
        return "区役所"
    if bureau in COMMISSIONS or "委員会" in bureau:
        return "行政委員会・上下水道局・消防局"
    return "局・室"


def table_pages(table: TableView) -> list[TablePage]:
    """The table in pages by bureau group (局・室, 区役所, 行政委員会等), 総計 on the last page."""
    groups: dict[str, list[TableRow]] = {}
    for row in table.rows:
        groups.setdefault(_group_of(row.bureau), []).append(row)
    chunks: list[tuple[str, list[TableRow]]] = []
    for name, rows in groups.items():
        parts = [rows[i : i + TABLE_PAGE_SIZE] for i in range(0, len(rows), TABLE_PAGE_SIZE)]
        for k, part in enumerate(parts, start=1):
            chunks.append((f"{name}（{k}）" if len(parts) > 1 else name, part))
    count = len(chunks)
    return [
        TablePage(table, k, count, name, tuple(rows), k == count)
        for k, (name, rows) in enumerate(chunks, start=1)
    ]


def table_card(page: TablePage, view: str = LIVE) -> dict:
    """One page of the table: the material's columns as rows, the page's bureaus as columns."""
    table = page.table
    rows = list(page.rows) + ([table.total] if page.include_total else [])
    when = f"{japanese_date(table.as_of)}時点" if table.as_of else "令和5年8月8日 会議資料のまま"
    body = [*header(table.title, f"{when}・{page.group}（{page.number}/{page.count}ページ）", ICON)]
    header_cells = ["項目"] + [r.bureau + ("※" if r.source is Source.PROCEDURES else "") for r in rows]
    grid = {
        "type": "Table",
        "columns": [{"width": 3}] + [{"width": 2} for _ in rows],
        "firstRowAsHeader": True,
        "horizontalCellContentAlignment": "Left",
        "rows": [_row(header_cells, bold=True)]
        + [
            _row([column.title] + [column.text(r.figures[i]) for r in rows])
            for i, column in enumerate(table.columns)
        ],
    }
    body.append(grid)
    notes = ["(遅れ N) は N件が遅れの繰越、(前倒し N) は N件が前倒しの分です。空欄は 0 です。"]
    if any(r.source is Source.PROCEDURES for r in rows):
        notes.append("※ 手続きごとの記録から集計した局です。")
    notes += [f"{r.bureau}: {r.note}" for r in rows if r.note]
    body.append(text_block("\n".join(notes), isSubtle=True, size="Small"))
    nav = []
    if page.number > 1:
        nav.append(submit_action("前のページ", TABLE_VERB, {"view": view, "page": page.number - 1}))
    if page.number < page.count:
        nav.append(submit_action("次のページ", TABLE_VERB, {"view": view, "page": page.number + 1}))
    nav.append(submit_action("Excel で受け取る", EXPORT_VERB, {"view": view}))
    return adaptive_card(body, [*nav, submit_action("全庁の状況", SUMMARY_VERB), menu_action()])


# --- the update form -------------------------------------------------------------------------


def _number(field: str, label: str, form: UpdateForm, *, required: bool = False) -> list[dict]:
    element: dict = {"type": "Input.Number", "id": field, "label": label, "min": 0, "placeholder": "0"}
    if required:
        element.update(isRequired=True, errorMessage="0以上の整数を入力してください")
    raw = form.values.get(field, "")
    value, problem = parse_count(raw, required=True)  # the service's reading: 「12件」 is 12
    if value is not None:
        element["value"] = value
    items = [element]
    if field in form.errors:
        typed = f"（入力: {clip(raw, 20)}）" if raw and problem else ""
        items.append(
            text_block(f"⚠️ {form.errors[field]}{typed}", color="Attention", size="Small", spacing="None")
        )
    return items


def update_card(form: UpdateForm) -> dict:
    """The quarterly update: counts, or (procedure-level bureaus) procedures to tick as done."""
    status = form.status
    subtitle = (
        f"{status.period.label}・締め済みの期間の訂正（管理者）"
        if form.correction
        else f"{status.period.label}・入力は{japanese_date(status.last_day_for_reports)}まで"
    )
    body = [*header(f"実績の入力: {form.bureau}", subtitle, ICON)]
    if form.notice:
        body.append(error_banner(form.notice))
    elif form.errors:
        body.append(error_banner("入力内容を確認してください。保存はされていません。"))
    body.append(
        fact_set(
            [
                (
                    "予定",
                    _count(status.plan)
                    + (f"（うち遅れの繰越 {status.plan_delayed:,}件）" if status.plan_delayed else ""),
                ),
                ("これまでの報告", report_text(status.report)),
                ("集計元", form.source.label),
            ]
        )
    )
    if form.source is Source.PROCEDURES:
        body.append(
            text_block("完了した手続きにチェックを付けてください。チェックを外すと未完了に戻ります。")
        )
        choice = {
            "type": "Input.ChoiceSet",
            "id": "procedures",
            "isMultiSelect": True,
            "style": "expanded",
            "label": "手続き",
            "choices": [
                {
                    "title": ("【遅れ】" if c.delayed else "")
                    + f"{c.name}（{c.section or '課未設定'}）"
                    + (f" 予定 {c.planned.short_label}" if c.planned else " 予定未定（重要取組）"),
                    "value": c.id,
                }
                for c in form.choices
            ],
        }
        if form.values.get("procedures"):
            choice["value"] = form.values["procedures"]
        body.append(choice if form.choices else text_block("この期間に完了にできる手続きはありません。"))
        if "procedures" in form.errors:
            body.append(text_block(f"⚠️ {form.errors['procedures']}", color="Attention", size="Small"))
        if form.more_choices:
            body.append(
                text_block(
                    f"ほか {form.more_choices:,}件は Excel の「手続き一覧」で更新できます。",
                    isSubtle=True,
                    size="Small",
                )
            )
    else:
        body += _number("done", "この期間に完了した件数", form, required=True)
        body += _number("delayed", "うち遅れ分（前の期間から繰り越された手続き）", form)
        body += _number("advanced", "うち前倒し分（後の期間に予定していた手続き）", form)
    reason_label = (
        "訂正の理由（必須）" if form.correction else "予定を下回る場合の理由（予定を下回るときは必須）"
    )
    reason = {
        "type": "Input.Text",
        "id": "reason",
        "label": reason_label,
        "isMultiline": True,
        "maxLength": 500,
        "placeholder": "例: 委託事業者との調整に時間を要したため",
    }
    if form.values.get("reason"):
        reason["value"] = clip(form.values["reason"], reason["maxLength"])
    body.append(reason)
    if "reason" in form.errors:
        body.append(text_block(f"⚠️ {form.errors['reason']}", color="Attention", size="Small", spacing="None"))
    body.append(
        text_block("同じ方が同じ内容を2回送信しても、記録されるのは1回です。", isSubtle=True, size="Small")
    )
    data = {
        "bureau": form.bureau,
        "period": status.period.key,
        "etag": form.etag,
        "submission": form.submission_id,
        "mode": form.source.value,
    }
    return adaptive_card(
        body,
        [
            submit_action("送信する", SUBMIT_VERB, data, style="positive"),
            submit_action("やめる", BUREAU_VERB, {"bureau": form.bureau}),
        ],
    )


def confirmation_card(result: SubmitResult, as_of: date) -> dict:
    title = "この内容はすでに保存されています" if result.duplicate else "保存しました"
    body = [*header(f"{title}: {result.bureau}", f"{result.period.label}・{japanese_date(as_of)}", ICON)]
    if result.duplicate:
        body.append(
            notice(
                "あなたが同じカードから同じ内容をすでに送信しています。今回の送信では何も変更していません。"
            )
        )
    body.append(
        {
            "type": "Table",
            "columns": [{"width": 3}, {"width": 3}, {"width": 3}],
            "firstRowAsHeader": True,
            "rows": [_row(["項目", "変更前", "変更後"], bold=True)]
            + [_row([c.label, c.before, c.after]) for c in result.changes],
        }
    )
    progress = result.summary.progress
    body.append(
        fact_set([("局の遅れ（現在）", _count(progress.delayed)), ("局の残り", _count(progress.remaining))])
    )
    body.append(text_block("変更は変更履歴（監査ログ）に記録されています。", isSubtle=True, size="Small"))
    return adaptive_card(
        body,
        [
            submit_action("局の状況を見る", BUREAU_VERB, {"bureau": result.bureau}),
            submit_action("全庁の状況", SUMMARY_VERB),
            menu_action(),
        ],
    )


# --- alerts ----------------------------------------------------------------------------------


def delay_alert_card(alert: DelayAlert) -> dict:
    """The card the scheduler sends as it is: why it came, the delays, and what to do next."""
    period = alert.period
    if alert.escalation:
        title = f"【エスカレーション】オンライン化の遅れ: {alert.bureau}"
        why = (
            f"{period.label}の締めから所定の営業日数が過ぎても、{alert.bureau}の遅れ（{alert.delayed:,}件）が"
            "解消されていないため、局の管理職の方にお知らせしています。"
        )
        next_step = "局の DX PRO と状況を確認し、遅れている手続きの対応予定を決めてください。"
    else:
        title = f"オンライン化の遅れ: {alert.bureau}"
        why = (
            f"{period.label}が締まり、{alert.bureau}に遅れている手続きが{alert.delayed:,}件あるため、"
            "DX PRO チャネルにお知らせしています。"
        )
        next_step = (
            "遅れていた手続きが完了したら、「実績を入力」から"
            + (f"{alert.current.label}の" if alert.current else "")
            + "実績を報告してください（「うち遅れ分」に含めます）。予定を下回る場合は理由を添えてください。"
        )
    body = [*header(title, f"{japanese_date(alert.due_on)}", "⚠️")]
    facts = [("遅れている手続き", _count(alert.delayed))]
    if alert.shortfall:
        facts.append((f"うち{period.short_label}からの繰越", _count(alert.shortfall)))
    if alert.current is not None:
        facts.append(("報告する期間", alert.current.label))
    facts.append(("集計元", alert.source.label))
    body.append(fact_set(facts))
    if alert.delayed_procedures:
        body.append(_section("遅れている手続き"))
        body += _delayed_list(alert.delayed_procedures)
    body += [
        _section("この通知が届いた理由"),
        text_block(why, isSubtle=True),
        _section("次にしていただくこと"),
        text_block(next_step),
    ]
    actions = [] if alert.escalation else [submit_action("実績を入力", UPDATE_VERB, {"bureau": alert.bureau})]
    actions.append(submit_action("局の状況を見る", BUREAU_VERB, {"bureau": alert.bureau}))
    return adaptive_card(body, actions)


def generic_alert_card(alert: DueAlert) -> dict:
    """An alert of this programme that carries no :class:`DelayAlert` (e.g. built by hand)."""
    body = [*header(alert.title, alert.bureau or TITLE, "⚠️")]
    if alert.facts:
        body.append(fact_set(list(alert.facts)))
    body += [
        _section("この通知が届いた理由"),
        text_block(alert.why, isSubtle=True),
        _section("次にしていただくこと"),
        text_block(alert.next_step),
    ]
    actions = [submit_action("局の状況を見る", BUREAU_VERB, {"bureau": alert.bureau})] if alert.bureau else []
    return adaptive_card(body, [*actions, submit_action("全庁の状況", SUMMARY_VERB)])


# --- Excel -----------------------------------------------------------------------------------


def import_help_card(message: str = "") -> dict:
    body = [*header("Excel の取込（管理者）", TITLE, ICON)]
    if message:
        body.append(notice(message))
    body.append(
        text_block(
            "1. 「表を見る」→「Excel で受け取る」で現在の表を出力します（または同じ形の表を用意します）。\n"
            "2. 数値を更新します。(遅れ N)・(前倒し N) は「(遅れ 2) 10」の形で書きます。空欄は 0 です。"
            "手続きごとに管理する局は「手続き一覧」シートに書きます。\n"
            "3. このボットとの 1:1 チャットに、その .xlsx ファイルを添付して送ってください。\n"
            "誤りがあるファイルは一切取り込まず、誤りのあるセル（例: E7）をお知らせします。"
        )
    )
    return adaptive_card(
        body,
        [
            submit_action("表を見る", TABLE_VERB, {"view": LIVE, "page": 1}),
            submit_action("全庁の状況", SUMMARY_VERB),
            menu_action(),
        ],
    )


def import_result_card(filename: str, summary: str = "", problems: Sequence[str] = ()) -> dict:
    if problems:
        body = [
            *header("取り込めませんでした", filename, ICON),
            error_banner(
                "ファイルに誤りがあるため、何も取り込んでいません。次のセルを直して、もう一度送ってください。"
            ),
        ]
        shown = list(problems[:25]) + ([f"ほか {len(problems) - 25}件"] if len(problems) > 25 else [])
        body.append(text_block("\n".join(f"・{p}" for p in shown), size="Small"))
    else:
        body = [
            *header("取り込みました", filename, ICON),
            text_block(summary),
            text_block("取込は変更履歴（監査ログ）に記録されています。", isSubtle=True, size="Small"),
        ]
    return adaptive_card(
        body,
        [
            submit_action("全庁の状況", SUMMARY_VERB),
            submit_action("表を見る", TABLE_VERB, {"view": LIVE, "page": 1}),
            menu_action(),
        ],
    )
