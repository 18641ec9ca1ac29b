"""Cards of マイナンバー情報総点検: the home card, the classification matrix, the survey progress, an
operation with its survey, inspection ①②③ and checklist forms, the office overview, the publication
table, the city-wide checklist, registration, Excel import and the alert. Pure functions; Japanese.

Figures come from the stored answers; the meeting material's figures are shown beside them as a
dated snapshot (「2023年8月8日 会議資料時点」).
"""

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
    stored_if_changed,
    stored_value_note,
    submit_action,
    text_block,
)
from services.mynumber.models import (
    SNAPSHOT_LABEL,
    Cause,
    ChecklistCity,
    ChecklistKind,
    ChecklistStatus,
    Classification,
    Form,
    FormKind,
    LinkMethod,
    Matrix,
    Operation,
    Overview,
    PublicationStatus,
    PublicationTable,
    Saved,
    StepStatus,
    SurveyProgress,
    Viewed,
)
from services.proactive.alerts import DueAlert

ICON = "🔢"
TITLE = "マイナンバー情報総点検"
K = "mynumber."
OPEN_VERB = K + "open"
HOME_VERB = K + "home"
MATRIX_VERB = K + "matrix"
PROGRESS_VERB = K + "progress"
OVERVIEW_VERB = K + "overview"
OPERATION_VERB = K + "operation"
SURVEY_VERB = K + "survey"
INSPECTION_VERB = K + "inspection"
CHECKLIST_VERB = K + "checklist"
REGISTER_VERB = K + "register"
SUBMIT_VERB = K + "submit"
PUBLICATION_VERB = K + "publication"
EXPORT_VERB = K + "export"
CHECKLIST_CITY_VERB = K + "checklist_city"
IMPORT_VERB = K + "import"
AUDIT_VERB = K + "audit"  # the linkage audit (cards/mynumber_audit.py)
OPERATION_INPUT = "operation_choice"
BUREAU_INPUT = "bureau_choice"
SURVEY_PAGE_SIZE = 8
MAX_ROWS = 30
MAX_TABLE_ROWS = 15  # rows of the publication table on a card (all of them are in the Excel file)
NO_ANSWER = ""


def _section(title: str) -> dict:
    return text_block(title, weight="Bolder", size="Medium", separator=True, spacing="Medium")


def _row(cells: Sequence[str], bold: bool = False) -> dict:
    return {
        "type": "TableRow",
        "cells": [
            {
                "type": "TableCell",
                "items": [text_block(c or "－", weight="Bolder") if bold else text_block(c or "－")],
            }
            for c in cells
        ],
    }


def _table(
    header_cells: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int] | None = None
) -> dict:
    return {
        "type": "Table",
        "firstRowAsHeader": True,
        "columns": [{"width": w} for w in (widths or [1] * len(header_cells))],
        "rows": [_row(header_cells, bold=True)] + [_row(r) for r in rows],
    }


def _error(form: Form, field: str) -> list[dict]:
    if field not in form.errors:
        return []
    return [text_block(f"⚠️ {form.errors[field]}", color="Attention", size="Small", spacing="None")]


def _latest(form: Form, field: str) -> list[dict]:
    """After a conflict, the value stored now under an input whose typed value differs from it."""
    stored = stored_if_changed(form.current, form.values, field)
    if stored is None:
        return []
    shown = stored.replace(",", "、") if stored != NO_ANSWER else ""
    return [stored_value_note(_cut(shown, 60))]


def _text_input(
    form: Form,
    field: str,
    label: str,
    *,
    multiline: bool = False,
    max_length: int = 500,
    placeholder: str = "",
) -> list[dict]:
    element: dict = {
        "type": "Input.Text",
        "id": field,
        "label": label,
        "maxLength": max_length,
        "isMultiline": multiline,
    }
    if placeholder:
        element["placeholder"] = placeholder
    if form.values.get(field):
        element["value"] = form.values[field]
    return [element, *_latest(form, field), *_error(form, field)]


def _number_input(form: Form, field: str, label: str) -> list[dict]:
    element: dict = {"type": "Input.Number", "id": field, "label": label, "min": 0, "placeholder": "件数"}
    raw = form.values.get(field, "").strip()
    if raw.isdigit():
        element["value"] = int(raw)
    items = [element, *_latest(form, field), *_error(form, field)]
    if field in form.errors and raw and not raw.isdigit():
        items[-1]["text"] += f"（入力: {raw[:20]}）"
    return items


def _choice_input(
    form: Form,
    field: str,
    label: str,
    choices: Sequence[tuple[str, str]],
    *,
    multi: bool = False,
    expanded: bool = False,
) -> list[dict]:
    element: dict = {
        "type": "Input.ChoiceSet",
        "id": field,
        "label": label,
        "style": "expanded" if expanded else "compact",
        "isMultiSelect": multi,
        "choices": [{"title": t, "value": v} for t, v in choices],
    }
    if form.values.get(field):
        element["value"] = form.values[field]
    return [element, *_latest(form, field), *_error(form, field)]


def _date_input(form: Form, field: str, label: str) -> list[dict]:
    element: dict = {"type": "Input.Date", "id": field, "label": label}
    if form.values.get(field):
        element["value"] = form.values[field][:10]
    return [element, *_latest(form, field), *_error(form, field)]


def _op_data(op: Operation) -> dict:
    return {"bureau": op.bureau, "operation": op.id}


def _cut(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pct(value: float | None) -> str:
    return "－" if value is None else f"{value * 100:.2f}%"


def _n(value: int | None) -> str:
    return "－" if value is None else f"{value:,}件"


# --- home -----------------------------------------------------------------------------------------


def home_card(
    matrix: Matrix,
    snapshot: Matrix | None,
    progress: SurveyProgress,
    snapshot_progress: SurveyProgress | None,
    operations: Sequence[Operation],
    as_of: date,
    *,
    admin: bool = False,
    message: str = "",
) -> dict:
    """The first card: live figures with the snapshot beside them, and the operations one may open."""
    body = [*header(TITLE, f"{japanese_date(as_of)}時点", ICON)]
    if message:
        body.append(notice(message))
    body.append(
        fact_set(
            [
                (
                    "登録された事務",
                    f"{matrix.total + matrix.unclassified}業務（分類済み {matrix.total}業務）",
                ),
                (
                    "紐付け方法の回答",
                    f"{progress.answered}／{progress.items}情報（{progress.sections}課・室）",
                ),
                ("全データ点検の対象", f"{matrix.targets}業務"),
            ]
        )
    )
    if snapshot or snapshot_progress:
        parts = []
        if snapshot_progress:
            parts.append(
                f"{snapshot_progress.items}情報のうち{snapshot_progress.answered}情報回答・"
                f"{snapshot_progress.sections}課（室）"
            )
        if snapshot:
            parts.append("分類 " + " / ".join(str(c) for c in snapshot.cells) + " 業務")
        body.append(text_block(f"{SNAPSHOT_LABEL}: " + "、".join(parts), isSubtle=True, size="Small"))
    actions = [
        submit_action("分類（マトリクス）", MATRIX_VERB),
        submit_action("回答状況", PROGRESS_VERB),
        submit_action("点検の一覧", OVERVIEW_VERB),
        submit_action("公表表", PUBLICATION_VERB),
    ]
    if operations:
        body.append(_section(f"見られる事務（{len(operations)}業務）"))
        body.append(
            {
                "type": "Input.ChoiceSet",
                "id": OPERATION_INPUT,
                "label": "事務を選ぶ",
                "style": "compact",
                "value": f"{operations[0].bureau}|{operations[0].id}",
                "choices": [
                    {"title": f"{o.name}（{o.place}）", "value": f"{o.bureau}|{o.id}"}
                    for o in operations[:100]
                ],
            }
        )
        body.append({"type": "ActionSet", "actions": [submit_action("選んだ事務を開く", OPERATION_VERB)]})
    elif not admin:
        body.append(
            text_block(
                "あなたが担当・閲覧できる事務はまだありません。課・室の局担当として登録されると、"
                "ここに担当の事務が表示されます。",
                isSubtle=True,
            )
        )
    extra = [submit_action("再発防止策（全庁）", CHECKLIST_CITY_VERB)]
    if admin:
        extra += [submit_action("事務を登録", REGISTER_VERB), submit_action("Excel で取込", IMPORT_VERB)]
    body.append({"type": "ActionSet", "actions": extra})
    return adaptive_card(body, [*actions, menu_action()])


# --- the matrix and the progress ------------------------------------------------------------------


def _matrix_table(m: Matrix) -> dict:
    return _table(
        ["分類", f"{m.threshold}件以上", f"{m.threshold}件未満"],
        [
            [
                "システム自動連携・本人確認書類・4情報で紐付け",
                f"{m.linked_large}業務",
                f"{m.linked_small}業務",
            ],
            [
                "上記以外（3情報以下など）で紐付け ※全データ点検の対象",
                f"{m.other_large}業務",
                f"{m.other_small}業務",
            ],
        ],
        [4, 2, 2],
    )


def matrix_card(live: Matrix, snapshot: Matrix | None, as_of: date) -> dict:
    body = [
        *header("全データ点検の分類", f"{TITLE}・{japanese_date(as_of)}時点", ICON),
        _section("現在の回答から集計"),
        _matrix_table(live),
    ]
    if live.unclassified:
        body.append(
            text_block(
                f"ほかに、回答がそろっていない事務が {live.unclassified}業務あります（未分類）。",
                isSubtle=True,
                size="Small",
            )
        )
    if snapshot:
        body += [
            _section(f"参考: {SNAPSHOT_LABEL}"),
            _matrix_table(snapshot),
            text_block(
                "※対象となるレコード件数は上記以外で紐づけしている数（資料の注記）。",
                isSubtle=True,
                size="Small",
            ),
        ]
    body.append(
        text_block(
            "すべての情報がシステム自動連携・本人確認書類・4情報照会で紐付けている事務以外は、"
            "全データ点検の対象です。",
            isSubtle=True,
            size="Small",
        )
    )
    return adaptive_card(body, [submit_action("点検の一覧", OVERVIEW_VERB), submit_action("戻る", HOME_VERB)])


def progress_card(live: SurveyProgress, snapshot: SurveyProgress | None, as_of: date) -> dict:
    body = [*header("紐付け方法の回答状況", f"{TITLE}・{japanese_date(as_of)}時点", ICON)]
    if live.items:
        body.append(
            fact_set(
                [
                    ("回答済み", f"{live.answered}／{live.items}情報"),
                    ("課・室", f"{live.sections}課・室（{len(live.bureaus)}局）"),
                ]
            )
        )
        totals = live.bureau_totals()
        body.append(
            {
                "type": "Chart.HorizontalBar",
                "title": "局別の回答済み情報数",
                "data": [{"x": b, "y": answered} for b, _, answered in totals],
                "fallback": fact_set([(b, f"{a}／{t}情報") for b, t, a in totals]),
            }
        )
        rows = [
            [s.unit.path, f"{s.answered}／{s.items}", "、".join(s.contacts) if s.missing else "回答済み"]
            for s in sorted(live.by_section, key=lambda s: (-s.missing, s.unit.path))[:MAX_ROWS]
        ]
        body += [
            _section("課・室ごと（未回答の多い順）"),
            _table(["課・室", "回答", "未回答の担当"], rows, [4, 2, 3]),
        ]
    else:
        body.append(
            text_block(
                "事務・情報はまだ登録されていません。管理者が登録すると、ここに回答状況が表示されます。"
            )
        )
    if snapshot:
        body += [
            _section(f"参考: {SNAPSHOT_LABEL}"),
            fact_set(
                [
                    ("回答済み", f"{snapshot.answered}／{snapshot.items}情報"),
                    ("関係課", f"{snapshot.sections}課（室）"),
                    ("関係局", "、".join(snapshot.bureaus)),
                ]
            ),
        ]
    return adaptive_card(body, [submit_action("戻る", HOME_VERB)])


# --- one operation --------------------------------------------------------------------------------


def _status(status: StepStatus, due: date, as_of: date) -> str:
    late = status is not StepStatus.DONE and due < as_of
    return f"{'⛔ ' if late else ''}{status.value}（期限 {due.month}月{due.day}日）"


def operation_card(
    op: Operation,
    classification: Classification | None,
    as_of: date,
    completion: date,
    *,
    may_write: bool,
    message: str = "",
) -> dict:
    body = [*header(op.name, f"{op.unit.path}・{japanese_date(as_of)}時点", ICON)]
    if message:
        body.append(notice(message))
    if classification is None:
        kind = f"未分類（回答 {op.answered}／{len(op.items)}情報）"
    else:
        kind = "全データ点検の対象" if classification.needs_full_check else "点検対象外（確実な方法で紐付け）"
        kind += f"・{classification.records:,}件"
    body.append(fact_set([("分類", kind)]))
    body += [
        _section("情報と紐付け方法"),
        _table(
            ["情報", "紐付け方法", "件数"],
            [[i.name, i.method_label, _n(i.records)] for i in op.items[:MAX_ROWS]],
            [3, 3, 2],
        ),
    ]
    f, m, leak = op.full_check, op.mislinks, op.leak_check
    if classification is not None and classification.needs_full_check:
        body += [
            _section("点検 ①②③"),
            fact_set(
                [
                    (
                        "① 全データ点検",
                        _status(f.status, f.due or completion, as_of) + f" {_n(f.checked)}／{_n(f.in_scope)}",
                    ),
                    (
                        "② 誤紐付けの修正",
                        _status(m.status, m.due or completion, as_of)
                        + f" 修正 {_n(m.corrected)}／誤り {_n(m.found)}",
                    ),
                    (
                        "③ 漏えい・閲覧の調査",
                        _status(leak.status, leak.due or completion, as_of)
                        + (f" 閲覧 {leak.viewed.value}" if leak.viewed else ""),
                    ),
                    (
                        "公表",
                        op.publication.status.value
                        + (
                            f"（{japanese_date(op.publication.published_on)}）"
                            if op.publication.published_on
                            else ""
                        ),
                    ),
                ]
            ),
        ]
        if f.audit:
            body.append(
                text_block(
                    f"紐付け監査 {f.audit.run_id}（{f.audit.run_on.isoformat()}）の結果を反映しています。",
                    isSubtle=True,
                    size="Small",
                )
            )
    done = sum(1 for e in op.checklist if e.status.closed)
    body.append(fact_set([("再発防止策", f"{done}／{len(op.checklist)}項目 対応済み")]))
    actions = []
    if may_write:
        actions.append(submit_action("紐付け方法を回答", SURVEY_VERB, _op_data(op)))
        if classification is not None and classification.needs_full_check:
            actions.append(submit_action("点検①②③を更新", INSPECTION_VERB, _op_data(op)))
            actions.append(submit_action("全データ点検（ファイルで照合）", AUDIT_VERB, _op_data(op)))
    actions.append(submit_action("再発防止策", CHECKLIST_VERB, _op_data(op)))
    return adaptive_card(body, [*actions, submit_action("戻る", HOME_VERB)])


def _form_head(form: Form, title: str) -> list[dict]:
    op = form.operation
    body = [*header(title, f"{op.name}（{op.unit.path}）" if op else TITLE, ICON)]
    if form.notice:
        body.append(error_banner(form.notice))
    elif form.errors:
        body.append(error_banner("入力内容を確認してください。保存はされていません。"))
    return body


def _submit(form: Form, extra: dict | None = None) -> list[dict]:
    data = {"kind": form.kind.value, "etag": form.etag, **(extra or {})}
    back = {}
    if form.operation:
        data.update(_op_data(form.operation))
        back = _op_data(form.operation)
    cancel = submit_action("やめる", OPERATION_VERB, back) if back else submit_action("やめる", HOME_VERB)
    return [submit_action("送信する", SUBMIT_VERB, data, style="positive"), cancel]


YES_NO = (("未回答", NO_ANSWER), ("はい", "yes"), ("いいえ", "no"))


def survey_card(form: Form, page: int = 1) -> dict:
    op = form.operation
    assert op is not None
    pages = max(1, -(-len(op.items) // SURVEY_PAGE_SIZE))
    page = max(1, min(page, pages))
    body = _form_head(form, "紐付け方法の回答")
    body.extend(_error(form, "_form"))
    body.append(
        text_block(
            "情報ごとに、マイナンバーとの紐付け方法とレコード件数を回答してください。"
            "「その他」の場合は方法を書いてください。空欄の情報は変更しません。",
            isSubtle=True,
        )
    )
    methods = [("選んでください", NO_ANSWER)] + [
        (m.value + (f"（{m.hint}）" if m.hint else ""), m.value) for m in LinkMethod
    ]
    for item in op.items[(page - 1) * SURVEY_PAGE_SIZE : page * SURVEY_PAGE_SIZE]:
        body.append(_section(item.name))
        body += _choice_input(form, f"{item.id}_method", "紐付け方法（必須）", methods)
        body += _text_input(form, f"{item.id}_other", "「その他」の方法", max_length=200)
        body += _choice_input(form, f"{item.id}_app", "申請書にマイナンバーを記載", YES_NO)
        body += _choice_input(form, f"{item.id}_others", "本人以外（事業主等）から番号を取得", YES_NO)
        body += _number_input(form, f"{item.id}_records", "レコード件数（必須）")
    if pages > 1:
        body.append(
            text_block(
                f"{page}／{pages}ページ（送信するとこのページの回答が保存されます）",
                isSubtle=True,
                size="Small",
            )
        )
    actions = _submit(form, {"page": str(page)})
    if pages > 1:
        actions.insert(
            1, submit_action("次のページ", SURVEY_VERB, {**_op_data(op), "page": str(page % pages + 1)})
        )
    return adaptive_card(body, actions)


STEP_CHOICES = tuple((s.value, s.value) for s in StepStatus)


def inspection_card(form: Form) -> dict:
    body = _form_head(form, "点検①②③の更新")
    due = form.default_due
    if due:
        body.append(
            text_block(
                f"期限を空欄にすると {japanese_date(due)}（完了期限）になります。",
                isSubtle=True,
                size="Small",
            )
        )
    body += [
        _section("① 全データ点検"),
        *_choice_input(form, "s1_status", "状況", STEP_CHOICES),
        *_date_input(form, "s1_due", "期限"),
        *_number_input(form, "in_scope", "点検対象件数"),
        *_number_input(form, "checked", "点検済み件数（点検対象件数以下）"),
    ]
    body += [
        _section("② 誤紐付けの修正"),
        *_choice_input(form, "s2_status", "状況", STEP_CHOICES),
        *_date_input(form, "s2_due", "期限"),
        *_number_input(form, "found", "誤紐付け件数"),
        *_number_input(form, "corrected", "修正件数（誤紐付け件数以下）"),
        *_choice_input(
            form,
            "causes",
            "原因（誤紐付けがある場合は必須・複数可）",
            [(c.value, c.value) for c in Cause],
            multi=True,
            expanded=True,
        ),
        *_text_input(form, "cause_text", "「その他」の原因", max_length=200),
    ]
    body += [
        _section("③ 情報漏えい・閲覧の調査"),
        *_choice_input(form, "s3_status", "状況", STEP_CHOICES),
        *_date_input(form, "s3_due", "期限"),
        *_choice_input(
            form,
            "viewed",
            "マイナポータルで本人・第三者が閲覧したか",
            [("未調査", NO_ANSWER)] + [(v.value, v.value) for v in Viewed],
        ),
        *_text_input(
            form,
            "action",
            "対応（本人への連絡など）",
            multiline=True,
            placeholder="マイナンバーは書かないでください（書かれた場合は伏せて保存します）",
        ),
    ]
    body += [
        _section("公表"),
        *_choice_input(form, "pub_status", "公表の状況", [(p.value, p.value) for p in PublicationStatus]),
        *_date_input(form, "pub_date", "公表日"),
    ]
    body.append(
        text_block("同じカードから2回送信しても、記録されるのは1回です。", isSubtle=True, size="Small")
    )
    return adaptive_card(body, _submit(form))


def checklist_card(form: Form, *, may_write: bool = True) -> dict:
    op = form.operation
    assert op is not None
    body = _form_head(form, "再発防止策")
    if not may_write:
        rows = [[e.label, e.owner, e.status.value, e.due.isoformat() if e.due else ""] for e in op.checklist]
        body.append(_table(["項目", "担当", "状況", "期限"], rows, [4, 2, 2, 2]))
        return adaptive_card(body, [submit_action("戻る", OPERATION_VERB, _op_data(op))])
    for kind in ChecklistKind:
        body += [
            _section(kind.label),
            *_text_input(form, f"{kind.value}_owner", "担当", max_length=60),
            *_choice_input(
                form, f"{kind.value}_status", "状況", [(s.value, s.value) for s in ChecklistStatus]
            ),
            *_date_input(form, f"{kind.value}_due", "期限"),
            *_text_input(form, f"{kind.value}_note", "メモ", max_length=300),
        ]
    return adaptive_card(body, _submit(form))


def register_card(form: Form) -> dict:
    body = _form_head(form, "事務の登録（管理者）")
    body += [
        *_text_input(
            form,
            "unit",
            "課・室（局/部/課・室）",
            max_length=120,
            placeholder="例: 健康福祉局/健康部/保険年金課",
        ),
        *_text_input(form, "name", "事務", max_length=100, placeholder="例: 国民年金に関する事務"),
        *_text_input(form, "items", "情報（1行に1つ）", multiline=True, max_length=4000),
        *_date_input(form, "survey_due", "紐付け方法の回答期限"),
    ]
    return adaptive_card(body, _submit(form))


def saved_card(saved: Saved, as_of: date) -> dict:
    op = saved.operation
    title = "この内容はすでに保存されています" if saved.duplicate else "保存しました"
    body = [*header(title, f"{op.name}（{op.unit.path}）・{japanese_date(as_of)}", ICON)]
    if saved.duplicate:
        body.append(notice("同じカードからの送信は1回だけ記録されます。今回の送信では何も変更していません。"))
    elif saved.changes:
        body.append(fact_set([("変更した項目", "、".join(label for label, _, _ in saved.changes))]))
    body.append(text_block("変更は変更履歴（監査ログ）に記録されています。", isSubtle=True, size="Small"))
    return adaptive_card(
        body,
        [
            submit_action("事務を開く", OPERATION_VERB, _op_data(op)),
            submit_action("点検の一覧", OVERVIEW_VERB),
            submit_action("戻る", HOME_VERB),
        ],
    )


# --- the office views -----------------------------------------------------------------------------


def overview_card(view: Overview) -> dict:
    body = [
        *header("全データ点検の一覧", f"{TITLE}・{japanese_date(view.as_of)}時点", ICON),
        fact_set(
            [
                ("点検対象", f"{len(view.rows)}業務"),
                ("期限超過", f"{view.overdue_count}件"),
                ("中間報告", japanese_date(view.interim_report)),
                ("完了期限", japanese_date(view.completion)),
            ]
        ),
    ]
    if view.rows:
        body.append(
            {
                "type": "Chart.HorizontalBar",
                "title": "完了した業務数",
                "data": [{"x": label, "y": view.done(i)} for i, label in enumerate(("①", "②", "③"))],
                "fallback": fact_set(
                    [
                        (label, f"{view.done(i)}／{len(view.rows)}業務")
                        for i, label in enumerate(("① 全データ点検", "② 誤紐付けの修正", "③ 調査"))
                    ]
                ),
            }
        )
    bureau = ""
    shown = 0
    for row in view.rows:
        if shown >= MAX_ROWS:
            break
        if row.operation.bureau != bureau:
            bureau = row.operation.bureau
            body.append(_section(bureau))
        late = f" ⛔ 期限超過: {'・'.join(label[:1] for label in row.overdue)}" if row.overdue else ""
        body.append(
            text_block(
                f"**{row.operation.name}**（{row.operation.unit.name}）{late}\n"
                + " ".join(f"{label[:1]} {status.value}" for label, status, _, _ in row.steps)
                + f"・公表 {row.publication.status.value}",
                spacing="Small",
            )
        )
        shown += 1
    if len(view.rows) > shown:
        body.append(
            text_block(f"ほか {len(view.rows) - shown}業務は Excel の公表表で確認できます。", isSubtle=True)
        )
    if not view.rows:
        body.append(text_block("見られる範囲に、全データ点検の対象となる事務はありません。"))
    return adaptive_card(body, [submit_action("公表表", PUBLICATION_VERB), submit_action("戻る", HOME_VERB)])


def publication_card(table: PublicationTable, bureaus: Sequence[str] = ()) -> dict:
    body = [
        *header(f"点検結果の公表表（{table.scope}）", f"{TITLE}・{japanese_date(table.as_of)}時点", ICON),
        fact_set(
            [
                ("点検対象の業務", f"{len(table.rows)}業務"),
                ("点検対象件数", f"{table.in_scope:,}件"),
                ("紐付け誤り件数", f"{table.found:,}件（{_pct(table.rate)}）"),
            ]
        ),
    ]
    rows = [
        [
            _cut(f"{r.operation}（{r.place}）"),
            _n(r.in_scope),
            f"{_n(r.found)}（{_pct(r.rate)}）",
            _cut(r.causes or "－"),
            r.impact,
            _cut(r.response or "－"),
        ]
        for r in table.rows[:MAX_TABLE_ROWS]
    ]
    if rows:
        body.append(
            _table(["事務", "点検対象", "誤り（率）", "原因", "閲覧", "対応"], rows, [3, 2, 2, 2, 1, 3])
        )
    else:
        body.append(text_block("全データ点検の対象となる事務はありません。"))
    if len(table.rows) > MAX_TABLE_ROWS:
        body.append(
            text_block(f"ほか {len(table.rows) - MAX_TABLE_ROWS}業務は Excel で確認できます。", isSubtle=True)
        )
    data = {"bureau": "" if table.scope == "全市" else table.scope}
    if bureaus:
        body.append(
            {
                "type": "Input.ChoiceSet",
                "id": BUREAU_INPUT,
                "label": "局を選ぶ",
                "style": "compact",
                "value": data["bureau"],
                "choices": [{"title": b or "全市", "value": b} for b in bureaus],
            }
        )
        body.append({"type": "ActionSet", "actions": [submit_action("この局の表を見る", PUBLICATION_VERB)]})
    return adaptive_card(
        body, [submit_action("Excel で受け取る", EXPORT_VERB, data), submit_action("戻る", HOME_VERB)]
    )


def checklist_city_card(view: ChecklistCity) -> dict:
    body = [
        *header("再発防止策（全庁）", f"{TITLE}・{japanese_date(view.as_of)}時点", ICON),
        _table(
            ["項目", "対応済み", "期限超過"],
            [[r.kind.label, f"{r.done}／{r.total}", f"{r.overdue}件"] for r in view.rows],
            [5, 2, 2],
        ),
    ]
    if view.overdue:
        body.append(_section("期限を過ぎた項目"))
        body += [
            text_block(
                f"{op.name}（{op.place}）: {e.label} 担当 {e.owner or '未定'}・期限 "
                f"{japanese_date(e.due) if e.due else '－'}",
                size="Small",
            )
            for op, e in view.overdue[:MAX_ROWS]
        ]
    return adaptive_card(body, [submit_action("戻る", HOME_VERB)])


# --- Excel, alerts --------------------------------------------------------------------------------


def import_help_card(message: str = "") -> dict:
    body = [*header("事務と情報の Excel 取込（管理者）", TITLE, ICON)]
    if message:
        body.append(notice(message))
    body.append(
        text_block(
            "1. 1行に1つの情報を書いた .xlsx を用意します。列: 局, 部, 課・室, 事務, 情報, 紐付け方法, "
            "その他の紐付け方法, 申請書へのマイナンバー記載, 本人以外（事業主等）から取得, レコード件数, "
            "回答期限。\n"
            "2. 紐付け方法は「" + "・".join(m.value for m in LinkMethod) + "」のいずれか（空欄は未回答）。\n"
            "3. このボットとの 1:1 チャットにファイルを添付して送ってください。\n"
            "誤りが1つでもあれば、誤りのセル（例: F5）を示して、ファイル全体を取り込みません。"
        )
    )
    return adaptive_card(body, [submit_action("戻る", HOME_VERB)])


def import_result_card(name: str, summary: str = "", problems: Sequence[str] = ()) -> dict:
    if problems:
        body = [
            *header("取り込みませんでした", name, ICON),
            error_banner("ファイルに誤りがあるため、何も変更していません。"),
            text_block("\n".join(f"- {p}" for p in problems[:30])),
        ]
    else:
        body = [*header("取り込みました", name, ICON), text_block(summary)]
    return adaptive_card(body, [submit_action("総点検を開く", HOME_VERB)])


def alert_card(alert: DueAlert) -> dict:
    body = [*header(alert.title, TITLE, "⚠️")]
    if alert.facts:
        body.append(fact_set(list(alert.facts)))
    body += [
        _section("この通知が届いた理由"),
        text_block(alert.why, isSubtle=True),
        _section("次にしていただくこと"),
        text_block(alert.next_step),
    ]
    actions = []
    item = alert.item
    if isinstance(item, tuple) and len(item) == 2 and item[1]:
        bureau, op_id = item[1][0]
        actions.append(submit_action("事務を開く", OPERATION_VERB, {"bureau": bureau, "operation": op_id}))
    return adaptive_card(body, [*actions, submit_action("総点検を開く", HOME_VERB)])


FORM_CARDS = {
    FormKind.SURVEY: survey_card,
    FormKind.INSPECTION: inspection_card,
    FormKind.CHECKLIST: checklist_card,
    FormKind.REGISTER: register_card,
}
