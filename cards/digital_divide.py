"""デジタル・ディバイド対策 cards: plan against actual (by month and ward, charts with fallbacks),
outreach, the class form, attendance, the residents' list of upcoming classes, admin cards."""

from __future__ import annotations

from datetime import date

from cards.common import (
    adaptive_card,
    error_banner,
    fact_set,
    fiscal_label,
    header,
    japanese_date,
    menu_action,
    notice,
    submit_action,
    text_block,
)
from services.digital_divide.models import (
    SNAPSHOT_LABEL,
    WARDS,
    ClassForm,
    Outreach,
    Overview,
    PartnerContact,
    PlanView,
    SmartphoneClass,
)
from services.proactive.alerts import DueAlert

TITLE = "デジタル・ディバイド対策"
ICON = "📱"
SUMMARY_VERB = "digital_divide.summary"
FORM_VERB = "digital_divide.form"
RECORD_VERB = "digital_divide.record"
ATTENDANCE_VERB = "digital_divide.attendance"
SAVE_ATTENDANCE_VERB = "digital_divide.save_attendance"
RESIDENTS_VERB = "digital_divide.residents"
OUTREACH_VERB = "digital_divide.outreach"
SAVE_OUTREACH_VERB = "digital_divide.save_outreach"
PARTNERS_VERB = "digital_divide.partners"
ADD_PARTNER_VERB = "digital_divide.add_partner"
EXPORT_VERB = "digital_divide.export"
IMPORT_VERB = "digital_divide.import"
WARD_INPUT = "ward"
YEAR_INPUT = "fy"
MAX_LISTED = 15


def _cell(text: str, **props: object) -> dict:
    return {"type": "TableCell", "items": [text_block(text, **props)]}


def _table(headers: list[str], rows: list[list[str]]) -> dict:
    table_rows = [
        {"type": "TableRow", "style": "accent", "cells": [_cell(h, weight="Bolder") for h in headers]}
    ]
    table_rows += [{"type": "TableRow", "cells": [_cell(v) for v in row]} for row in rows]
    return {
        "type": "Table",
        "columns": [{"width": 1} for _ in headers],
        "rows": table_rows,
        "firstRowAsHeader": True,
    }


def _pct(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "－"


def month_chart(view: PlanView) -> dict:
    fallback = fact_set(
        [
            (m.label, f"計画 {m.plan}回・実施 {m.held}回（累計 {m.cumulative_plan}／{m.cumulative_held}）")
            for m in view.months
        ]
    )
    return {
        "type": "Chart.VerticalBar.Grouped",
        "title": "月別 スマホ教室の計画と実施（回）",
        "data": [
            {"legend": "計画", "values": [{"x": m.label, "y": m.plan} for m in view.months]},
            {"legend": "実施", "values": [{"x": m.label, "y": m.held} for m in view.months]},
        ],
        "fallback": fallback,
    }


def ward_chart(view: PlanView) -> dict:
    fallback = fact_set(
        [
            (w.ward, f"目安 {w.plan}回・実施 {w.held}回・参加 {w.people:,}名・今後 {w.upcoming}回")
            for w in view.wards
        ]
    )
    return {
        "type": "Chart.VerticalBar.Grouped",
        "title": "区別 実施回数（目安は年間計画を7区で均等に按分）",
        "data": [
            {"legend": "目安", "values": [{"x": w.ward, "y": w.plan} for w in view.wards]},
            {"legend": "実施", "values": [{"x": w.ward, "y": w.held} for w in view.wards]},
        ],
        "fallback": fallback,
    }


def summary_card(
    overview: Overview,
    view: PlanView,
    outreach: Outreach,
    *,
    may_record: bool,
    admin: bool,
    message: str = "",
    years: tuple[int, ...] = (),
) -> dict:
    body: list[dict] = [
        *header(TITLE, f"{fiscal_label(view.fiscal_year)}（{japanese_date(view.as_of)} 現在）", ICON)
    ]
    if message:
        body.append(notice(message))
    intro = [text_block(overview.summary)] + [
        text_block(f"「{k}」… {v}", spacing="Small", isSubtle=True) for k, v in overview.pillars
    ]
    if overview.summary:
        body.append({"type": "Container", "style": "emphasis", "items": intro})
    body.append(text_block("スマホ教室（計画と実施）", weight="Bolder", size="Medium"))
    if view.plan:
        p = view.plan
        body.append(
            fact_set(
                [
                    ("計画", f"{p.classes:,}回・{p.people:,}名（{p.source}）"),
                    ("実施", f"{view.held:,}回（{_pct(view.held, p.classes)}）"),
                    ("参加者", f"{view.people:,}名（{_pct(view.people, p.people)}）"),
                    ("参加者数の未入力", f"{len(view.unrecorded)}件"),
                ]
            )
        )
        behind = view.behind_months
        if behind:
            last = behind[-1]
            body.append(
                error_banner(
                    f"{last.month}月末で計画（累計 {last.cumulative_plan}回）を"
                    f"{last.cumulative_plan - last.cumulative_held}回下回っています。"
                )
            )
    else:
        body.append(
            text_block(
                f"この年度の計画は設定されていません（実施 {view.held}回・参加 {view.people:,}名）。",
                isSubtle=True,
            )
        )
    body += [month_chart(view), ward_chart(view)]
    body.append(
        text_block(f"周知・啓発（{fiscal_label(outreach.fiscal_year)}）", weight="Bolder", size="Medium")
    )
    rows = [
        [i.label, _n(i.planned, i.unit), _n(i.actual, i.unit)]
        for i in outreach.items
        if i.planned is not None or i.actual is not None
    ]
    if rows:
        body.append(_table(["項目", "計画", "実績"], rows))
    else:
        body.append(text_block("この年度の計画・実績はまだ入力されていません。", isSubtle=True))
    if outreach.note:
        body.append(text_block(f"メモ: {outreach.note}", isSubtle=True))
    r4 = "、".join(f"{m}（{place}）{n:,}{unit}" for m, place, n, unit in overview.r4)
    if r4:
        body.append(
            text_block(
                f"参考 R4実績（{SNAPSHOT_LABEL}）: {r4}。R5の取組: " + "／".join(overview.actions[:3]),
                isSubtle=True,
                size="Small",
            )
        )
    if len(years) > 1:
        body.append(
            {
                "type": "Input.ChoiceSet",
                "id": YEAR_INPUT,
                "label": "年度",
                "style": "compact",
                "value": str(view.fiscal_year),
                "choices": [{"title": fiscal_label(y), "value": str(y)} for y in years],
            }
        )
    actions = [submit_action("住民向けの案内", RESIDENTS_VERB)]
    if may_record:
        actions += [
            submit_action("教室を記録する", FORM_VERB, style="positive"),
            submit_action("参加者数を入力", ATTENDANCE_VERB),
        ]
    actions.append(submit_action("Excel で受け取る", EXPORT_VERB, {YEAR_INPUT: str(view.fiscal_year)}))
    if may_record:
        actions.append(submit_action("Excel で取り込む", IMPORT_VERB))
    if admin:
        actions += [
            submit_action("周知の計画・実績", OUTREACH_VERB, {YEAR_INPUT: str(outreach.fiscal_year)}),
            submit_action("連携先の担当者", PARTNERS_VERB),
        ]
    if len(years) > 1:
        actions.append(submit_action("年度を切り替える", SUMMARY_VERB))
    actions.append(menu_action())
    return adaptive_card(body, actions)


def _n(value: int | None, unit: str) -> str:
    return "－" if value is None else f"{value:,}{unit}"


def class_form_card(form: ClassForm, *, message: str = "") -> dict:
    v, e = form.values, form.errors
    body: list[dict] = [
        *header("スマホ教室を記録する", "日時・区・会場・連携先・定員（参加者数は実施後でも可）", ICON)
    ]
    if e:
        body.append(error_banner(form.message or "入力内容を確認してください。"))
    elif message:
        body.append(notice(message))

    def add(item: dict, name: str) -> None:
        if v.get(name):
            item["value"] = v[name]
        body.append(item)
        if name in e:
            body.append(
                text_block(f"⚠️ {e[name]}（入力: {v.get(name) or '空欄'}）", color="Attention", spacing="None")
            )

    add(
        {
            "type": "Input.Date",
            "id": "day",
            "label": "日付",
            "isRequired": True,
            "errorMessage": "日付を選んでください",
        },
        "day",
    )
    add(
        {
            "type": "Input.Time",
            "id": "start",
            "label": "開始",
            "isRequired": True,
            "errorMessage": "時刻を入力してください",
        },
        "start",
    )
    add(
        {
            "type": "Input.Time",
            "id": "end",
            "label": "終了",
            "isRequired": True,
            "errorMessage": "時刻を入力してください",
        },
        "end",
    )
    ward = {
        "type": "Input.ChoiceSet",
        "id": "ward",
        "label": "区",
        "style": "compact",
        "isRequired": True,
        "errorMessage": "区を選んでください",
        "choices": [{"title": w, "value": w} for w in WARDS],
    }
    if v.get("ward") and v["ward"] not in WARDS:
        ward["choices"].append({"title": v["ward"], "value": v["ward"]})
    add(ward, "ward")
    add(
        {
            "type": "Input.Text",
            "id": "venue",
            "label": "会場",
            "maxLength": 60,
            "isRequired": True,
            "errorMessage": "会場を入力してください",
        },
        "venue",
    )
    partners = list(form.partners) + (
        [v["partner"]] if v.get("partner") and v["partner"] not in form.partners else []
    )
    add(
        {
            "type": "Input.ChoiceSet",
            "id": "partner",
            "label": "連携先",
            "style": "compact",
            "isRequired": True,
            "errorMessage": "連携先を選んでください",
            "choices": [{"title": p, "value": p} for p in partners],
        },
        "partner",
    )
    add(
        {
            "type": "Input.Number",
            "id": "capacity",
            "label": "定員（人）",
            "min": 1,
            "max": 1000,
            "isRequired": True,
            "errorMessage": "定員を入力してください",
        },
        "capacity",
    )
    add(
        {
            "type": "Input.Number",
            "id": "attendance",
            "label": "参加者数（人・実施後に入力）",
            "min": 0,
            "max": 1000,
        },
        "attendance",
    )
    for item in body:
        if item.get("type") == "Input.Number" and "value" in item:
            try:
                item["value"] = int(item["value"])
            except (TypeError, ValueError):
                item.pop("value")
    return adaptive_card(
        body,
        [
            submit_action("記録する", RECORD_VERB, style="positive"),
            submit_action("戻る", SUMMARY_VERB),
            menu_action(),
        ],
    )


def recorded_card(item: SmartphoneClass, *, created: bool) -> dict:
    lead = "記録しました。" if created else "同じ内容がすでに記録されています（二重には記録していません）。"
    body = [
        *header("スマホ教室を記録しました" if created else "記録済みです", None, ICON),
        notice(lead),
        fact_set(
            _class_facts(item)
            + [("参加者数", "未入力" if item.attendance is None else f"{item.attendance}名")]
        ),
    ]
    return adaptive_card(
        body,
        [
            submit_action("続けて記録する", FORM_VERB),
            submit_action("計画と実施を見る", SUMMARY_VERB),
            menu_action(),
        ],
    )


def _class_facts(item: SmartphoneClass) -> list[tuple[str, str]]:
    return [
        ("日時", f"{japanese_date(item.day)} {item.time_label}"),
        ("会場", f"{item.ward} {item.venue}"),
        ("連携先", item.partner),
        ("定員", f"{item.capacity}名"),
    ]


def attendance_card(
    classes: list[SmartphoneClass],
    *,
    message: str = "",
    error: str = "",
    values: dict[str, str] | None = None,
    subtitle: str = "実施済みで参加者数が未入力の教室",
) -> dict:
    """The classes to enter attendance for; ``values`` (class id → typed value) fills inputs back in."""
    values = values or {}
    body: list[dict] = [*header("参加者数を入力", subtitle, ICON)]
    if error:
        body.append(error_banner(error))
    elif message:
        body.append(notice(message))
    if not classes:
        body.append(text_block("参加者数が未入力の教室はありません。"))
    for item in classes[:MAX_LISTED]:
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    text_block(
                        f"{japanese_date(item.day)} {item.time_label}　"
                        f"{item.ward} {item.venue}（{item.partner}）",
                        weight="Bolder",
                    ),
                    _attendance_input(item, values.get(item.id, "")),
                    {
                        "type": "ActionSet",
                        "actions": [
                            submit_action(
                                "この教室を保存",
                                SAVE_ATTENDANCE_VERB,
                                {"class_id": item.id, "etag": item.etag or ""},
                            )
                        ],
                    },
                ],
            }
        )
    if len(classes) > MAX_LISTED:
        body.append(
            text_block(f"ほか {len(classes) - MAX_LISTED}件（保存すると次が表示されます）", isSubtle=True)
        )
    return adaptive_card(body, [submit_action("計画と実施を見る", SUMMARY_VERB), menu_action()])


def _attendance_input(item: SmartphoneClass, typed: str) -> dict:
    field: dict = {
        "type": "Input.Number",
        "id": f"attendance|{item.id}",
        "label": f"参加者数（定員 {item.capacity}名）"
        + (f"　現在の記録: {item.attendance}名" if item.attendance is not None else ""),
        "min": 0,
        "max": 1000,
    }
    if typed.isdigit():
        field["value"] = int(typed)
    return field


def residents_card(classes: list[SmartphoneClass], as_of: date, ward: str = "") -> dict:
    """Plain Japanese for residents; staff can forward it in a chat."""
    where = ward or "市内"
    body: list[dict] = [
        *header("スマホ教室のご案内", f"{where}で、これから開く教室（{japanese_date(as_of)} 現在）", ICON),
        text_block(
            "スマートフォンの使い方を、ゆっくり学べる教室です。大学や社会福祉協議会などと一緒に開いています。"
        ),
    ]
    if not classes:
        body.append(text_block(f"いま、{where}でご案内できる教室はありません。"))
    for item in classes[:MAX_LISTED]:
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    text_block(f"📅 {japanese_date(item.day)} {item.time_label}", weight="Bolder"),
                    text_block(f"📍 {item.ward} {item.venue}　定員 {item.capacity}名", spacing="None"),
                ],
            }
        )
    body.append(text_block("くわしいことは、職員におたずねください。", isSubtle=True))
    body.append(
        {
            "type": "Input.ChoiceSet",
            "id": WARD_INPUT,
            "label": "区で絞り込む",
            "style": "compact",
            "value": ward,
            "choices": [{"title": "すべての区", "value": ""}] + [{"title": w, "value": w} for w in WARDS],
        }
    )
    return adaptive_card(
        body, [submit_action("絞り込む", RESIDENTS_VERB), submit_action("戻る", SUMMARY_VERB)]
    )


def _stored_value(stored: str) -> dict:
    return text_block(
        f"保存されている値: {stored or '（未入力）'}", isSubtle=True, size="Small", spacing="None"
    )


def outreach_card(
    outreach: Outreach,
    *,
    error: str = "",
    message: str = "",
    values: dict[str, str] | None = None,
    conflict: bool = False,
) -> dict:
    """The outreach figures of a year. After a ``conflict``, ``outreach`` is as stored now and
    ``values`` what the person typed (kept, with the stored value under each input that differs)."""
    values = values or {}
    body: list[dict] = [
        *header(
            f"周知・啓発の計画と実績（{fiscal_label(outreach.fiscal_year)}）",
            "ポスター掲示・チラシ配架・広報さかいの記事",
            ICON,
        )
    ]
    if error:
        body.append(error_banner(error))
    elif message:
        body.append(notice(message))
    for item in outreach.items:
        columns = []
        for kind, label, current in (("planned", "計画", item.planned), ("actual", "実績", item.actual)):
            name = f"{kind}|{item.key}"
            field = {
                "type": "Input.Number",
                "id": name,
                "label": f"{item.label} {label}（{item.unit}）",
                "min": 0,
            }
            stored = "" if current is None else str(current)
            shown = values.get(name, stored)
            if str(shown).isdigit():
                field["value"] = int(shown)
            items = [field]
            if conflict and str(shown).strip() != stored:
                items.append(_stored_value(stored))
            columns.append({"type": "Column", "width": "stretch", "items": items})
        body.append({"type": "ColumnSet", "columns": columns})
    body.append(
        {
            "type": "Input.Text",
            "id": "note",
            "label": "メモ（例: 広報さかい 8月号）",
            "maxLength": 100,
            "value": values.get("note", outreach.note),
        }
    )
    if conflict and values.get("note", outreach.note).strip() != outreach.note:
        body.append(_stored_value(outreach.note))
    return adaptive_card(
        body,
        [
            submit_action(
                "保存する",
                SAVE_OUTREACH_VERB,
                {YEAR_INPUT: str(outreach.fiscal_year), "etag": outreach.etag or ""},
                style="positive",
            ),
            submit_action("戻る", SUMMARY_VERB),
            menu_action(),
        ],
    )


def partners_card(
    contacts: list[PartnerContact], partners: tuple[str, ...], *, error: str = "", message: str = ""
) -> dict:
    body: list[dict] = [
        *header("スマホ教室の連携先と担当者", "担当者は自分の連携先の教室を記録できます", ICON)
    ]
    if error:
        body.append(error_banner(error))
    elif message:
        body.append(notice(message))
    body.append(
        fact_set([(c.partner, c.name or c.object_id) for c in contacts[:40]])
        if contacts
        else text_block("担当者はまだ登録されていません。", isSubtle=True)
    )
    body.append(text_block("連携先: " + "・".join(partners), isSubtle=True))
    body += [
        {
            "type": "Input.Text",
            "id": "partner",
            "label": "連携先（例: 〇〇大学、社会福祉協議会）",
            "maxLength": 60,
        },
        {
            "type": "Input.Text",
            "id": "person",
            "label": "担当者（氏名かオブジェクトID。名簿に登録済みの人）",
            "maxLength": 80,
        },
    ]
    return adaptive_card(
        body,
        [
            submit_action("登録する", ADD_PARTNER_VERB, style="positive"),
            submit_action("戻る", SUMMARY_VERB),
            menu_action(),
        ],
    )


def import_help_card() -> dict:
    body = [
        *header("スマホ教室を Excel で取り込む", None, ICON),
        text_block(
            "「Excel で受け取る」で受け取ったファイル"
            "（1行目: 日付・開始・終了・区・会場・連携先・定員・参加者数）に"
            "教室を書き足し、このチャットにファイルを添付して送ってください。"
        ),
        text_block(
            "1つでも誤りがあれば何も保存せず、誤りのあるセル（例: G3）をお知らせします。1ファイル99件まで。",
            isSubtle=True,
        ),
    ]
    return adaptive_card(body, [submit_action("戻る", SUMMARY_VERB), menu_action()])


def import_result_card(name: str, summary: str = "", problems: list[str] | None = None) -> dict:
    if problems:
        shown = problems[:20]
        more = f"\n- ほか {len(problems) - 20}件" if len(problems) > 20 else ""
        body = [
            *header("スマホ教室を取り込めませんでした", name, ICON),
            error_banner("誤りがあるため、何も保存していません。直して送り直してください。"),
            text_block("\n".join(f"- {p}" for p in shown) + more),
        ]
    else:
        body = [*header("スマホ教室を取り込みました", name, ICON), notice(summary)]
    return adaptive_card(body, [submit_action("計画と実施を見る", SUMMARY_VERB), menu_action()])


def alert_card(alert: DueAlert) -> dict:
    body = [
        *header(alert.title, None, ICON),
        text_block(alert.why),
        fact_set(list(alert.facts)),
        text_block(f"次にすること: {alert.next_step}", weight="Bolder"),
    ]
    verb = ATTENDANCE_VERB if "|attendance|" in alert.key else SUMMARY_VERB
    return adaptive_card(body, [submit_action("開く", verb)])
