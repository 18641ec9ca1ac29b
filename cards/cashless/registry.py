"""Cards of the キャッシュレス registry: the overview, the classification with its reasons, the rollout,
a receivable's detail, its update form and the confirmation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from cards.cashless.parts import (
    CLASSES_VERB,
    DETAIL_VERB,
    EXCLUSION_VERB,
    EXPORT_VERB,
    ICON,
    INDICATOR_VERB,
    MAX_LISTED,
    MAX_TABLE_ROWS,
    OVERVIEW_VERB,
    RECEIVABLE_INPUT,
    ROLLOUT_VERB,
    SUBMIT_VERB,
    TITLE,
    UPDATE_VERB,
    more,
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
    stored_if_changed,
    stored_value_note,
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
    Channel,
    Coverage,
    Method,
    Overview,
    PolicyClass,
    Rollout,
    Row,
    SubmitResult,
    UpdateForm,
)


def coverage_line(c: Coverage) -> str:
    """The live figure and what it rests on; never a share computed from missing amounts."""
    if c.share is None:
        return (
            "対象債権の金額カバー率: 計算できません"
            f"（件数・金額が入力された債権がありません。未入力 {c.missing}件）"
        )
    verdict = "以上" if c.meets_claim else "未満"
    return (
        f"対象債権の金額カバー率: {c.share * 100:.1f}%（件数・金額が入力された {c.counted}件の債権で計算。"
        f"未入力の {c.missing}件は含まれていません。"
        f"会議資料の {CLAIMED_COVERAGE_PERCENT}% に対して{verdict}）"
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
    body.append(section("区分別・導入状況別の債権数"))
    body.append(table(["区分", *[s.value for s in Rollout], "計"], counts, [3, 1, 1, 1, 1, 1]))
    body.append(section("方針による分類"))
    body.append(
        fact_set([(c.value, f"{len(overview.by_class(c))}件") for c in PolicyClass if overview.by_class(c)])
    )
    body.append(text_block(coverage_line(overview.coverage)))
    body.append(
        small(
            f"{SNAPSHOT_LABEL}: 年間件数3,000件以上の債権は金額ベースで{CLAIMED_COVERAGE_PERCENT}%以上。"
            f"現在、件数・金額が未入力の債権は {overview.missing_figures}件です。"
        )
    )
    late = overview.late
    body.append(section(f"導入予定日を過ぎた債権（{len(late)}件）"))
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
        small(
            f"全面導入の対象: 年間{t.min_cases:,}件以上"
            f"（平均単価 {t.qr_max_unit_price:,}円未満は二次元コード決済）。"
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
        body.append(section(f"{c.value}（{len(rows)}件）"))
        shown = rows[: max(budget, 3)]
        budget -= len(shown)
        body.append(
            table(["債権", "根拠"], [[r.receivable.name, r.classification.rule] for r in shown], [2, 3])
        )
        body += more(len(rows) - len(shown))
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
        table(
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
    body += more(len(order) - MAX_TABLE_ROWS)
    switching = [r for r in rows if r.receivable.channel is Channel.DESIGNATED]
    body.append(section("指定管理者施設の切替公募年度"))
    body.append(
        table(
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
    body += more(len(switching) - MAX_TABLE_ROWS // 2)
    body.append(
        small(
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
        body.append(section("導入状況の履歴"))
        body.append(
            table(
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


def _latest(form: UpdateForm, field: str) -> list[dict]:
    """After a conflict, the value stored now under an input whose typed value differs from it."""
    stored = stored_if_changed(form.current, form.values, field)
    if stored is None:
        return []
    if field == FIELD_STATUS and stored in Rollout.__members__:
        shown = Rollout[stored].value
    elif field == FIELD_METHODS and stored:
        shown = "、".join(Method[m].value if m in Method.__members__ else "なし" for m in stored.split(","))
    else:
        shown = stored
    return [stored_value_note(shown[:60])]


def _text_input(form: UpdateForm, field: str, label: str, placeholder: str = "", **extra) -> list[dict]:
    element = {"type": "Input.Text", "id": field, "label": label, "placeholder": placeholder, **extra}
    if form.values.get(field):
        element["value"] = form.values[field]
    return [element, *_latest(form, field), *_error(form, field)]


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
    return [element, *_latest(form, field), *_error(form, field)]


def update_card(form: UpdateForm) -> dict:
    r = form.receivable
    body = [*header(f"導入状況の更新: {r.name}", f"{r.channel.value}・{r.owner_label}", ICON)]
    if form.notice:
        body.append(error_banner(form.notice))
    elif form.errors:
        body.append(error_banner("入力内容を確認してください。保存はされていません。"))
    body.append(small(f"分類: {form.classification.policy_class.value}（{form.classification.rule}）"))
    status = {
        "type": "Input.ChoiceSet",
        "id": FIELD_STATUS,
        "label": "導入状況",
        "style": "expanded",
        "choices": [{"title": s.value, "value": s.name} for s in Rollout],
        "value": form.values.get(FIELD_STATUS) or r.status.name,
    }
    body += [status, *_latest(form, FIELD_STATUS), *_error(form, FIELD_STATUS)]
    planned = {"type": "Input.Date", "id": FIELD_PLANNED, "label": "導入予定日（導入予定のときは必須）"}
    raw = form.values.get(FIELD_PLANNED, "")
    if len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
        planned["value"] = raw
    body += [planned, *_latest(form, FIELD_PLANNED), *_error(form, FIELD_PLANNED)]
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
    body += [methods, *_latest(form, FIELD_METHODS), *_error(form, FIELD_METHODS)]
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
        body += [bureau, *_latest(form, FIELD_BUREAU), *_error(form, FIELD_BUREAU)]
        body += _text_input(form, FIELD_SECTION, "所管課（管理者）", "例: 介護保険課", maxLength=100)
    body += _text_input(
        form,
        FIELD_REASON,
        "理由・メモ（状況を戻すときは必須）",
        "例: 事業者との契約時期が決まったため",
        isMultiline=True,
        maxLength=500,
    )
    body.append(small("同じカードから同じ内容を2回送信しても、記録されるのは1回です。"))
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
    body.append(table(["項目", "変更前", "変更後"], [[c.label, c.before, c.after] for c in result.changes]))
    body.append(
        fact_set(
            [
                ("導入状況", r.status.value + (f"（{japanese_date(r.planned_on)}）" if r.planned_on else "")),
                ("分類", result.classification.policy_class.value),
            ]
        )
    )
    body.append(small("変更は変更履歴（監査ログ）に記録されています。"))
    return adaptive_card(
        body,
        [
            submit_action("債権の詳細", DETAIL_VERB, {"receivable": r.id}),
            submit_action("全体の状況", OVERVIEW_VERB),
            menu_action(),
        ],
    )
