"""Cards of キャッシュレス beyond the registry: the national indicator (chart and fallback), the Excel
import help and result, the exclusions, the alert and the file card."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cards.cashless.parts import (
    CLASSES_VERB,
    DETAIL_VERB,
    EXCLUSION_ADD_VERB,
    ICON,
    IMPORT_VERB,
    INDICATOR_VERB,
    MAX_TABLE_ROWS,
    OVERVIEW_VERB,
    TITLE,
    UPDATE_VERB,
    section,
    small,
    table,
)
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
    AlertKind,
    CashlessAlert,
    IndicatorView,
    reiwa_label,
)
from services.proactive.alerts import DueAlert


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
                "決済手段別の件数・金額がまだ取り込まれていません。"
                "管理者が Excel で取り込むと、ここに比率が表示されます。"
            )
        )
    else:
        years = view.years
        fallback = table(
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
                f"{'達成' if (last.share() or 0) * 100 >= goal_2025 else '未達'}）・"
                f"改定後の指標 {_pct(last.share(revised=True))}"
                f"（目標 {goal_2030}%）。{last.total_cases:,}件・{last.total_amount:,}円の収納から計算。"
            )
        )
        body.append(
            small(
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
            "2. 年度は R5・令和5年度・2023 のいずれか、"
            "決済手段は 現金・口座振替・クレジットカード・デビットカード・"
            "電子マネー・二次元コード・収納代行 のいずれかです。\n"
            "3. このボットとの 1:1 チャットにファイルを添付して送ってください。\n"
            "誤りがあるファイルは一切取り込まず、誤りのあるセル（例: C7）をお知らせします。"
            "取り込むと前のデータは置き換わります。\n"
            "債権一覧（「Excel で受け取る」のファイル）も、書き換えて同じように送ると取り込めます"
            "（ID で照合し、"
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
            small("取込は変更履歴（監査ログ）に記録されています。"),
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
    body.append(table(["債権名（の一部）", "理由"], shown, [2, 3]))
    if len(exclusions) > len(shown):
        body.append(small(f"ほか {len(exclusions) - len(shown)}件"))
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
        section("この通知が届いた理由"),
        text_block(alert.why, isSubtle=True),
        section("次にしていただくこと"),
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
