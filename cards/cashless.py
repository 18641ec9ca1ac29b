"""Cards of キャッシュレス: the overview (the registry by channel and status, the live coverage), the
classification with its reasons, the rollout with what is late and the switching years, a
receivable's detail and its update form, the confirmation, the national indicator with a chart and
its fallback, the alert, the exclusion form and the Excel import result. Pure functions; Japanese text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

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
from services.cashless.models import (
    CLAIMED_COVERAGE_PERCENT,
    FIELD_AMOUNT,
    FIELD_BUREAU,
    FIELD_CASES,
    FIELD_METHODS,
    FIELD_PLANNED,
    FIELD_REASON,
    FIELD_SECTION,
    FIELD_STATUS,
    FIELD_TENDER,
    METHOD_NONE,
    SNAPSHOT_LABEL,
    AlertKind,
    CashlessAlert,
    Channel,
    Coverage,
    IndicatorView,
    Method,
    Overview,
    PolicyClass,
    Rollout,
    Row,
    SubmitResult,
    UpdateForm,
    reiwa_label,
)
from services.proactive.alerts import DueAlert

ICON = "💳"
TITLE = "キャッシュレス"
OPEN_VERB = "cashless.open"
OVERVIEW_VERB = "cashless.overview"
CLASSES_VERB = "cashless.classes"
ROLLOUT_VERB = "cashless.rollout"
DETAIL_VERB = "cashless.detail"
UPDATE_VERB = "cashless.update"
SUBMIT_VERB = "cashless.submit"
INDICATOR_VERB = "cashless.indicator"
EXPORT_VERB = "cashless.export"
IMPORT_VERB = "cashless.import"
EXCLUSION_VERB = "cashless.exclusion"
EXCLUSION_ADD_VERB = "cashless.exclusion_add"
RECEIVABLE_INPUT = "receivable_choice"
MAX_LISTED = 40
MAX_TABLE_ROWS = 25  # rows of one table on a card (the size limit); the rest in Excel


def _section(title: str) -> dict:
    return text_block(title, weight="Bolder", size="Medium", separator=True, spacing="Medium")


def _small(text: str) -> dict:
    return text_block(text, isSubtle=True, size="Small")


def _cell(text: str, bold: bool = False) -> dict:
    return {"type": "TableCell", "items": [text_block(text, weight="Bolder") if bold else text_block(text)]}


def _table(
    header_row: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int] | None = None
) -> dict:
    widths = widths or [1] * len(header_row)
    return {
        "type": "Table",
        "firstRowAsHeader": True,
        "columns": [{"width": w} for w in widths],
        "rows": [{"type": "TableRow", "cells": [_cell(c, True) for c in header_row]}]
        + [{"type": "TableRow", "cells": [_cell(c) for c in row]} for row in rows],
    }


def _more(hidden: int) -> list[dict]:
    return [_small(f"ほか {hidden}件は「Excel で受け取る」の一覧で確認できます。")] if hidden > 0 else []


def coverage_line(c: Coverage) -> str:
    """The live figure and what it rests on; never a share computed from missing amounts."""
    if c.share is None:
        return f"対象債権の金額カバー率: 計算できません（件数・金額が入力された債権がありません。未入力 {c.missing}件）"
    verdict = "以上" if c.meets_claim else "未満"
    return (
        f"対象債権の金額カバー率: {c.share * 100:.1f}%（件数・金額が入力された {c.counted}件の債権で計算。"
        f"未入力の {c.missing}件は含まれていません。会議資料の {CLAIMED_COVERAGE_PERCENT}% に対して{verdict}）"
    )


def _choice(rows: Sequence[Row], value: str = "") -> dict:
    choice = {
        "type": "Input.ChoiceSet",
        "id": RECEIVABLE_INPUT,
        "label": "債権を選ぶ",
        "style": "compact",
        "choices": [
            {"title": f"{r.receivable.name}（{r.receivable.status.value}）", "value": r.receivable.id}
            for r in rows[: MAX_LISTED * 2]
        ],
    }
    ids = [r.receivable.id for r in rows]
    if rows:
        choice["value"] = value if value in ids else ids[0]
    return choice


def overview_card(
    overview: Overview,
    *,
    readable: Sequence[Row] = (),
    writable: Sequence[str] = (),
    admin: bool = False,
    message: str = "",
) -> dict:
    """The registry by channel and status, the coverage, what is late, and where to go next."""
    body = [*header(TITLE, f"{japanese_date(overview.as_of)}時点・債権の登録と導入状況", ICON)]
    if message:
        body.append(notice(message))
    counts = [
        [
            ch.value,
            *[str(overview.count(ch, s)) for s in Rollout],
            str(sum(overview.count(ch, s) for s in Rollout)),
        ]
        for ch in Channel
    ]
    totals = [sum(overview.count(ch, s) for ch in Channel) for s in Rollout]
    counts.append(["合計", *[str(t) for t in totals], str(sum(totals))])
    body.append(_section("区分別・導入状況別の債権数"))
    body.append(_table(["区分", *[s.value for s in Rollout], "計"], counts, [3, 1, 1, 1, 1, 1]))
    body.append(_section("方針による分類"))
    body.append(
        fact_set([(c.value, f"{len(overview.by_class(c))}件") for c in PolicyClass if overview.by_class(c)])
    )
    body.append(text_block(coverage_line(overview.coverage)))
    body.append(
        _small(
            f"会議資料（{SNAPSHOT_LABEL}）: 年間件数{overview.thresholds.min_cases:,}件以上の債権は金額ベースで"
            f"{CLAIMED_COVERAGE_PERCENT}%以上。件数・金額が未入力の債権は {overview.missing_figures}件です。"
        )
    )
    late = overview.late
    body.append(_section(f"導入予定日を過ぎた債権（{len(late)}件）"))
    body.append(
        text_block(
            "、".join(f"{r.receivable.name}（{r.receivable.planned_on}）" for r in late[:MAX_LISTED])
            if late
            else "ありません。"
        )
    )
    if readable:
        body.append(_choice(readable, writable[0] if writable else ""))
        row = [submit_action("詳細を見る", DETAIL_VERB)]
        if writable:
            row.append(submit_action("導入状況を更新する", UPDATE_VERB))
        body.append({"type": "ActionSet", "actions": row})
    actions = [
        submit_action("分類と根拠", CLASSES_VERB),
        submit_action("導入スケジュール", ROLLOUT_VERB),
        submit_action("決済比率の指標", INDICATOR_VERB),
        submit_action("Excel で受け取る", EXPORT_VERB),
    ]
    if admin:
        actions.append(submit_action("対象外を追加", EXCLUSION_VERB))
    actions.append(menu_action())
    return adaptive_card(body, actions)


def classification_card(overview: Overview) -> dict:
    t = overview.thresholds
    body = [
        *header("方針による分類と根拠", f"{japanese_date(overview.as_of)}時点", ICON),
        _small(
            f"全面導入の対象: 年間{t.min_cases:,}件以上（平均単価 {t.qr_max_unit_price:,}円未満は二次元コード決済）。"
            "件数が少ない・単価が低い債権は、導入費用・月額固定費が不要な二次元コード決済。"
            "会議資料の対象外（複写機等使用徴収金・収入印紙売りさばき収入金・特定の事業者のみが利用する斎場使用料など）"
            "と管理者が追加した対象外は、件数にかかわらず対象外です。"
        ),
    ]
    budget = MAX_TABLE_ROWS + 5  # rows over all classes (the size limit)
    for c in PolicyClass:
        rows = overview.by_class(c)
        if not rows:
            continue
        body.append(_section(f"{c.value}（{len(rows)}件）"))
        shown = rows[: max(budget, 3)]
        budget -= len(shown)
        body.append(
            _table(["債権", "根拠"], [[r.receivable.name, r.classification.rule] for r in shown], [2, 3])
        )
        body += _more(len(rows) - len(shown))
    body.append(text_block(coverage_line(overview.coverage)))
    return adaptive_card(body, [submit_action("全体の状況", OVERVIEW_VERB), menu_action()])


def rollout_card(overview: Overview) -> dict:
    rows = [r for r in overview.rows if r.classification.policy_class is not PolicyClass.EXCLUDED]
    body = [*header("導入スケジュール", f"{japanese_date(overview.as_of)}時点", ICON)]
    late = overview.late
    if late:
        body.append(error_banner(f"導入予定日を過ぎた債権が {len(late)}件あります。"))
    order = sorted(
        rows,
        key=lambda r: (
            not r.late,
            -r.receivable.status.rank,
            r.receivable.planned_on or date.max,
            r.receivable.id,
        ),
    )
    body.append(
        _table(
            ["債権", "所管", "導入状況", "導入予定日"],
            [
                [
                    ("【超過】" if r.late else "") + r.receivable.name,
                    r.receivable.owner_label,
                    r.receivable.status.value,
                    str(r.receivable.planned_on or "－"),
                ]
                for r in order[:MAX_TABLE_ROWS]
            ],
            [3, 2, 1, 2],
        )
    )
    body += _more(len(order) - MAX_TABLE_ROWS)
    switching = [r for r in rows if r.receivable.channel is Channel.DESIGNATED]
    body.append(_section("指定管理者施設の切替公募年度"))
    body.append(
        _table(
            ["施設", "切替公募年度", "通知日"],
            [
                [
                    r.receivable.name,
                    r.receivable.tender_label or "未登録",
                    japanese_date(r.reminder_on) if r.reminder_on else "－",
                ]
                for r in switching[: MAX_TABLE_ROWS // 2]
            ],
            [2, 2, 2],
        )
    )
    body += _more(len(switching) - MAX_TABLE_ROWS // 2)
    body.append(
        _small(
            "新しい管理協定・仕様書でキャッシュレス決済の導入を求められるため、公募の前に所管課へお知らせします。"
        )
    )
    return adaptive_card(body, [submit_action("全体の状況", OVERVIEW_VERB), menu_action()])


def _figure(value: int | None, unit: str) -> str:
    return "未入力" if value is None else f"{value:,}{unit}"


def detail_card(row: Row, as_of: date, *, may_write: bool = False, message: str = "") -> dict:
    r = row.receivable
    body = [*header(r.name, f"{r.channel.value}・{r.owner_label}", ICON)]
    if message:
        body.append(notice(message))
    if row.late:
        body.append(error_banner(f"導入予定日（{japanese_date(r.planned_on)}）を過ぎています。"))  # type: ignore[arg-type]
    facts = [
        ("導入状況", r.status.value + (f"（{japanese_date(r.planned_on)}）" if r.planned_on else "")),
        ("分類", row.classification.policy_class.value),
        ("根拠", row.classification.rule),
        ("年間件数", _figure(r.annual_cases, "件")),
        ("年間金額", _figure(r.annual_amount, "円")),
        ("平均単価", _figure(r.unit_price, "円")),
        ("キャッシュレス手段", r.methods_label),
    ]
    if r.channel is Channel.DESIGNATED:
        facts.append(("切替公募年度", r.tender_label or "未登録"))
        if row.reminder_on:
            facts.append(("公募前の通知日", japanese_date(row.reminder_on)))
    if r.note:
        facts.append(("備考", r.note))
    body.append(fact_set(facts))
    if r.history:
        body.append(_section("導入状況の履歴"))
        body.append(
            _table(
                ["日時", "状況", "更新者", "理由・メモ"],
                [
                    [
                        h.at[:16].replace("T", " "),
                        h.status.value + (f"（{h.planned_on}）" if h.planned_on else ""),
                        h.by_name,
                        h.note or "－",
                    ]
                    for h in reversed(r.history[-10:])
                ],
                [2, 2, 2, 3],
            )
        )
    actions = [submit_action("導入状況を更新する", UPDATE_VERB, {"receivable": r.id})] if may_write else []
    return adaptive_card(body, [*actions, submit_action("全体の状況", OVERVIEW_VERB), menu_action()])


def _error(form: UpdateForm, field: str) -> list[dict]:
    if field not in form.errors:
        return []
    raw = form.values.get(field, "")
    typed = (
        f"（入力: {raw}）"
        if raw and field in (FIELD_CASES, FIELD_AMOUNT, FIELD_PLANNED, FIELD_TENDER)
        else ""
    )
    return [text_block(f"⚠️ {form.errors[field]}{typed}", color="Attention", size="Small", spacing="None")]


def _text_input(form: UpdateForm, field: str, label: str, placeholder: str = "", **extra) -> list[dict]:
    element = {"type": "Input.Text", "id": field, "label": label, "placeholder": placeholder, **extra}
    if form.values.get(field):
        element["value"] = form.values[field]
    return [element, *_error(form, field)]


def _number_input(form: UpdateForm, field: str, label: str, placeholder: str) -> list[dict]:
    element: dict = {
        "type": "Input.Number",
        "id": field,
        "label": label,
        "min": 0,
        "placeholder": placeholder,
    }
    raw = form.values.get(field, "").strip()
    if raw.isascii() and raw.isdigit():
        element["value"] = int(raw)
    return [element, *_error(form, field)]


def update_card(form: UpdateForm) -> dict:
    r = form.receivable
    body = [*header(f"導入状況の更新: {r.name}", f"{r.channel.value}・{r.owner_label}", ICON)]
    if form.notice:
        body.append(error_banner(form.notice))
    elif form.errors:
        body.append(error_banner("入力内容を確認してください。保存はされていません。"))
    body.append(_small(f"分類: {form.classification.policy_class.value}（{form.classification.rule}）"))
    status = {
        "type": "Input.ChoiceSet",
        "id": FIELD_STATUS,
        "label": "導入状況",
        "style": "expanded",
        "choices": [{"title": s.value, "value": s.name} for s in Rollout],
        "value": form.values.get(FIELD_STATUS) or r.status.name,
    }
    body += [status, *_error(form, FIELD_STATUS)]
    planned = {"type": "Input.Date", "id": FIELD_PLANNED, "label": "導入予定日（導入予定のときは必須）"}
    raw = form.values.get(FIELD_PLANNED, "")
    if len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
        planned["value"] = raw
    body += [planned, *_error(form, FIELD_PLANNED)]
    body += _number_input(form, FIELD_CASES, "年間件数（分からなければ空欄。0 とは別です）", "例: 12000")
    body += _number_input(form, FIELD_AMOUNT, "年間金額（円・分からなければ空欄）", "例: 36000000")
    methods = {
        "type": "Input.ChoiceSet",
        "id": FIELD_METHODS,
        "label": "導入済みのキャッシュレス手段",
        "isMultiSelect": True,
        "style": "expanded",
        "choices": [{"title": m.value, "value": m.name} for m in Method]
        + [{"title": "なし", "value": METHOD_NONE}],
    }
    if form.values.get(FIELD_METHODS):
        methods["value"] = form.values[FIELD_METHODS]
    body += [methods, *_error(form, FIELD_METHODS)]
    if r.channel is Channel.DESIGNATED:
        body += _text_input(form, FIELD_TENDER, "切替公募年度（例: R6）", "R6", maxLength=10)
    if form.admin:
        bureau = {
            "type": "Input.ChoiceSet",
            "id": FIELD_BUREAU,
            "label": "所管局（管理者）",
            "style": "compact",
            "choices": [{"title": "（未設定）", "value": ""}]
            + [{"title": b, "value": b} for b in form.bureaus],
            "value": form.values.get(FIELD_BUREAU, ""),
        }
        body += [bureau, *_error(form, FIELD_BUREAU)]
        body += _text_input(form, FIELD_SECTION, "所管課（管理者）", "例: 介護保険課", maxLength=100)
    body += _text_input(
        form,
        FIELD_REASON,
        "理由・メモ（状況を戻すときは必須）",
        "例: 事業者との契約時期が決まったため",
        isMultiline=True,
        maxLength=500,
    )
    body.append(_small("同じカードから同じ内容を2回送信しても、記録されるのは1回です。"))
    data = {"receivable": r.id, "etag": r.etag or "", "card": form.submission_id}
    return adaptive_card(
        body,
        [
            submit_action("送信する", SUBMIT_VERB, data, style="positive"),
            submit_action("やめる", DETAIL_VERB, {"receivable": r.id}),
        ],
    )


def confirmation_card(result: SubmitResult, as_of: date) -> dict:
    r = result.receivable
    title = "この内容はすでに保存されています" if result.duplicate else "保存しました"
    body = [*header(f"{title}: {r.name}", japanese_date(as_of), ICON)]
    if result.duplicate:
        body.append(
            notice(
                "同じカードからの同じ内容の送信は1回だけ記録されます。今回の送信では何も変更していません。"
            )
        )
    body.append(_table(["項目", "変更前", "変更後"], [[c.label, c.before, c.after] for c in result.changes]))
    body.append(
        fact_set(
            [
                ("導入状況", r.status.value + (f"（{japanese_date(r.planned_on)}）" if r.planned_on else "")),
                ("分類", result.classification.policy_class.value),
            ]
        )
    )
    body.append(_small("変更は変更履歴（監査ログ）に記録されています。"))
    return adaptive_card(
        body,
        [
            submit_action("債権の詳細", DETAIL_VERB, {"receivable": r.id}),
            submit_action("全体の状況", OVERVIEW_VERB),
            menu_action(),
        ],
    )


def _when(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{japanese_date(moment.date())} {moment:%H:%M}"


def _pct(value: float | None) -> str:
    return "－" if value is None else f"{value * 100:.1f}%"


def indicator_card(
    view: IndicatorView | None, goal_2025: int, goal_2030: int, *, admin: bool = False
) -> dict:
    body = [*header("キャッシュレス決済比率", "本市の収納（決済手段別の件数・金額）と国の目標", ICON)]
    body.append(
        fact_set(
            [
                (
                    "国の目標（2025年）",
                    f"{goal_2025}%（会議資料・2020年7月閣議決定「成長戦略フォローアップ」）",
                ),
                ("国の目標（2030年）", f"{goal_2030}%（改定後の指標）"),
            ]
        )
    )
    if view is None or not view.years:
        body.append(
            notice(
                "決済手段別の件数・金額がまだ取り込まれていません。管理者が Excel で取り込むと、ここに比率が表示されます。"
            )
        )
    else:
        years = view.years
        fallback = _table(
            ["年度", "比率（金額）", "改定後の指標", "金額合計"],
            [
                [
                    reiwa_label(y.fiscal_year),
                    _pct(y.share()),
                    _pct(y.share(revised=True)),
                    f"{y.total_amount:,}円",
                ]
                for y in years
            ],
            [2, 2, 2, 3],
        )
        body.append(
            {
                "type": "Chart.Line",
                "title": "キャッシュレス決済比率（金額ベース、%）",
                "xAxisTitle": "年度",
                "yAxisTitle": "%",
                "data": [
                    {
                        "legend": "比率",
                        "values": [
                            {"x": f"R{y.fiscal_year - 2018}", "y": round((y.share() or 0) * 100, 1)}
                            for y in years
                        ],
                    },
                    {
                        "legend": "改定後の指標",
                        "values": [
                            {
                                "x": f"R{y.fiscal_year - 2018}",
                                "y": round((y.share(revised=True) or 0) * 100, 1),
                            }
                            for y in years
                        ],
                    },
                    {
                        "legend": f"2025年目標 {goal_2025}%",
                        "values": [{"x": f"R{y.fiscal_year - 2018}", "y": goal_2025} for y in years],
                    },
                    {
                        "legend": f"2030年目標 {goal_2030}%",
                        "values": [{"x": f"R{y.fiscal_year - 2018}", "y": goal_2030} for y in years],
                    },
                ],
                "fallback": fallback,
            }
        )
        last = years[-1]
        body.append(
            text_block(
                f"{reiwa_label(last.fiscal_year)}: {_pct(last.share())}（目標 {goal_2025}% に対して"
                f"{'達成' if (last.share() or 0) * 100 >= goal_2025 else '未達'}）・改定後の指標 {_pct(last.share(revised=True))}"
                f"（目標 {goal_2030}%）。{last.total_cases:,}件・{last.total_amount:,}円の収納から計算。"
            )
        )
        body.append(
            _small(
                f"取込: {_when(view.imported_at)} {view.imported_by}（{view.filename or 'ファイル名なし'}）。"
                "比率はクレジットカード・デビットカード・電子マネー・二次元コード、改定後の指標は口座振替も含めた金額の割合です。"
            )
        )
    actions = [submit_action("Excel の取込", IMPORT_VERB)] if admin else []
    return adaptive_card(body, [*actions, submit_action("全体の状況", OVERVIEW_VERB), menu_action()])


def import_help_card() -> dict:
    body = [
        *header("決済手段別の件数・金額の取込（管理者）", TITLE, ICON),
        text_block(
            "1. 1行目を「年度｜決済手段｜件数｜金額（円）」とした .xlsx を用意します。\n"
            "2. 年度は R5・令和5年度・2023 のいずれか、決済手段は 現金・口座振替・クレジットカード・デビットカード・"
            "電子マネー・二次元コード・収納代行 のいずれかです。\n"
            "3. このボットとの 1:1 チャットにファイルを添付して送ってください。\n"
            "誤りがあるファイルは一切取り込まず、誤りのあるセル（例: C7）をお知らせします。取り込むと前のデータは置き換わります。\n"
            "債権一覧（「Excel で受け取る」のファイル）も、書き換えて同じように送ると取り込めます（ID で照合し、"
            "ID が空欄の行は新しい債権として追加します。ファイルにない債権は削除しません）。"
        ),
    ]
    return adaptive_card(body, [submit_action("決済比率の指標", INDICATOR_VERB), menu_action()])


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
            _small("取込は変更履歴（監査ログ）に記録されています。"),
        ]
    return adaptive_card(body, [submit_action("決済比率の指標", INDICATOR_VERB), menu_action()])


def exclusion_card(
    exclusions: Sequence[tuple[str, str]],
    *,
    error: str = "",
    keyword: str = "",
    reason: str = "",
    message: str = "",
) -> dict:
    body = [*header("対象外の債権（管理者）", TITLE, ICON)]
    if message:
        body.append(notice(message))
    if error:
        body.append(error_banner(error))
    shown = [[k, r if len(r) <= 60 else r[:59] + "…"] for k, r in exclusions[: MAX_TABLE_ROWS * 2]]
    body.append(_table(["債権名（の一部）", "理由"], shown, [2, 3]))
    if len(exclusions) > len(shown):
        body.append(_small(f"ほか {len(exclusions) - len(shown)}件"))
    body.append(
        {
            "type": "Input.Text",
            "id": "keyword",
            "label": "対象外にする債権名（の一部）",
            "maxLength": 60,
            "isRequired": True,
            "errorMessage": "入力してください",
            **({"value": keyword} if keyword else {}),
        }
    )
    body.append(
        {
            "type": "Input.Text",
            "id": "reason",
            "label": "理由",
            "maxLength": 500,
            "isMultiline": True,
            "isRequired": True,
            "errorMessage": "入力してください",
            **({"value": reason} if reason else {}),
        }
    )
    return adaptive_card(
        body,
        [
            submit_action("追加する", EXCLUSION_ADD_VERB, style="positive"),
            submit_action("分類と根拠", CLASSES_VERB),
            menu_action(),
        ],
    )


def alert_card(alert: DueAlert) -> dict:
    """The card the scheduler sends: why it came, the facts, and what to do next."""
    item = alert.item if isinstance(alert.item, CashlessAlert) else None
    icon = "⏰" if item is not None and item.kind is AlertKind.SWITCH else "⚠️"
    body = [*header(alert.title, alert.bureau or TITLE, icon)]
    if alert.facts:
        body.append(fact_set(list(alert.facts)))
    body += [
        _section("この通知が届いた理由"),
        text_block(alert.why, isSubtle=True),
        _section("次にしていただくこと"),
        text_block(alert.next_step),
    ]
    actions = []
    if item is not None:
        actions = [
            submit_action("導入状況を更新する", UPDATE_VERB, {"receivable": item.receivable_id}),
            submit_action("債権の詳細", DETAIL_VERB, {"receivable": item.receivable_id}),
        ]
    return adaptive_card(body, [*actions, submit_action("全体の状況", OVERVIEW_VERB)])


def file_card(message: str) -> dict:
    return adaptive_card(
        [*header("Excel の出力", TITLE, ICON), text_block(message)],
        [submit_action("全体の状況", OVERVIEW_VERB), menu_action()],
    )
