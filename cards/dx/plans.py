"""The DX実行計画 form, the plan with its 伴走 thread and history, and the 実施報告書 form."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from cards.common import (
    adaptive_card,
    error_banner,
    fact_set,
    header,
    japanese_date,
    notice,
    stored_if_changed,
    stored_value_note,
    submit_action,
    text_block,
)
from cards.dx.common import (
    ACCEPT,
    COMMENT,
    COMMENT_INPUT,
    DEPARTMENT,
    EDIT,
    ICON,
    MAX_COMMENT_CHARS,
    MAX_COMMENTS,
    MAX_HISTORY,
    MILESTONE,
    MILESTONES_INPUT,
    PLAN,
    REPORT,
    REPORT_FORM,
    RETURN,
    REVIEW,
    SAVE,
    SUBMIT,
    _buttons,
    _clip,
    _field_error,
    _number,
    _section,
    _state,
    kpi_text,
)
from services.dx.models import (
    Category,
    Plan,
    PlanForm,
    PlanState,
)

# --- the plan form and the plan --------------------------------------------------------------------


def _text(
    form: PlanForm,
    name: str,
    label: str,
    *,
    multiline: bool = False,
    max_length: int = 1000,
    placeholder: str = "",
    required: bool = True,
) -> list[dict]:
    element = {
        "type": "Input.Text",
        "id": name,
        "label": label,
        "maxLength": max_length,
        "isMultiline": multiline,
        "placeholder": placeholder,
    }
    if required:
        element.update(isRequired=True, errorMessage=f"{label}を入力してください")
    if form.values.get(name):
        element["value"] = form.values[name]
    return [element, *_latest(form, name), *_field_error(form.errors, name)]


def _latest(form: PlanForm, name: str) -> list[dict]:
    """After a conflict, the value stored now under an input whose typed value differs from it."""
    stored = stored_if_changed(form.current, form.values, name)
    if stored is None:
        return []
    if name == "category" and stored in Category._value2member_map_:
        stored = Category(stored).label
    return [stored_value_note(stored.replace("\n", " ／ ")[:200])]


def plan_form_card(form: PlanForm, categories: Sequence[tuple[Category, str]] = ()) -> dict:
    examples = dict(categories)
    body = [
        *header(
            f"DX実行計画: {form.bureau}/{form.department}",
            "下書き保存はいつでも、提出で ICTイノベーション推進室へ",
            ICON,
        )
    ]
    if form.notice:
        body.append(error_banner(form.notice))
    body += _text(
        form, "business", "DX対象業務", max_length=100, placeholder="例: 窓口での各種証明書の再発行"
    )
    category = {
        "type": "Input.ChoiceSet",
        "id": "category",
        "label": "区分",
        "style": "compact",
        "isRequired": True,
        "errorMessage": "区分を選んでください",
        "choices": [
            {"title": f"{c.label}（{examples.get(c, '')}）" if examples.get(c) else c.label, "value": c.value}
            for c in Category
        ],
        "value": form.values.get("category") or Category.APPLICATIONS.value,
    }
    body += [category, *_latest(form, "category"), *_field_error(form.errors, "category")]
    body += _text(form, "purpose", "目的", multiline=True)
    body += _text(form, "goal", "目標", multiline=True)
    body += _text(form, "kpi", "KPI（何を測るか）", max_length=200, placeholder="例: 窓口の平均待ち時間")
    body.append(
        {
            "type": "ColumnSet",
            "columns": [
                {
                    "type": "Column",
                    "width": "stretch",
                    "items": _text(form, "kpi_target", "KPIの目標値", max_length=15, placeholder="例: 15"),
                },
                {
                    "type": "Column",
                    "width": "stretch",
                    "items": _text(form, "kpi_unit", "単位", max_length=10, placeholder="例: 分"),
                },
            ],
        }
    )
    body += _text(form, "issues", "課題", multiline=True, required=False)
    body += _text(
        form,
        "milestones",
        "マイルストーン（1行に「日付 内容」）",
        multiline=True,
        max_length=2000,
        placeholder="2026-12-15 業務フローの作成\n2027-02-01 新しい手順の試行",
    )
    body.append(text_block("同じカードを2回送信しても、保存されるのは1回です。", isSubtle=True, size="Small"))
    data = {"plan_id": form.plan_id, "etag": form.etag}
    cancel = (
        submit_action("やめる", PLAN, {"plan_id": form.plan_id})
        if form.etag
        else submit_action("やめる", DEPARTMENT, {"bureau": form.bureau, "department": form.department})
    )
    return adaptive_card(
        body,
        [
            submit_action("提出する", SUBMIT, data, style="positive"),
            submit_action("下書き保存", SAVE, data),
            cancel,
        ],
    )


def plan_card(
    plan: Plan,
    as_of: date,
    *,
    may_write: bool = False,
    may_review: bool = False,
    message: str = "",
    warning: str = "",
    comment: str = "",
) -> dict:
    """The plan, its state, milestones, the 伴走 thread and history, and what the viewer may do next."""
    body = [*header(plan.business, f"{plan.unit_path}・{plan.category.label}", ICON)]
    if warning:
        body.append(error_banner(warning))
    if message:
        body.append(notice(message))
    body.append(
        fact_set(
            [
                ("状態", _state(plan)),
                ("目的", plan.purpose),
                ("目標", plan.goal),
                ("KPI", kpi_text(plan)),
                *([("課題", plan.issues)] if plan.issues else []),
            ]
        )
    )
    body.append(_section("マイルストーン"))
    toggle = may_write and plan.state is PlanState.ACTIVE
    for m in plan.milestones:
        mark = "✅" if m.done else ("⛔" if m.overdue(as_of) else "⬜")
        body.append(text_block(f"{mark} {japanese_date(m.due)} {m.title}", size="Small", spacing="None"))
    if toggle and plan.milestones:
        body.append(
            {
                "type": "Input.ChoiceSet",
                "id": MILESTONES_INPUT,
                "isMultiSelect": True,
                "style": "compact",
                "label": "完了したマイルストーン",
                "value": ",".join(str(i) for i, m in enumerate(plan.milestones) if m.done),
                "choices": [
                    {"title": f"{m.due.month}/{m.due.day} {_clip(m.title, 30)}", "value": str(i)}
                    for i, m in enumerate(plan.milestones)
                ],
            }
        )
        body.append(
            _buttons(
                submit_action(
                    "マイルストーンを更新", MILESTONE, {"plan_id": plan.plan_id, "etag": plan.etag or ""}
                )
            )
        )
    if plan.report is not None:
        r = plan.report
        body.append(_section("DX実施報告書" + ("（全部署に共有）" if r.shared else "")))
        body.append(
            fact_set(
                [
                    ("結果", r.results),
                    ("分かったこと", r.learned),
                    ("提出", f"{r.filed_by}・{japanese_date(r.filed_at.date()) if r.filed_at else ''}"),
                ]
            )
        )
    body.append(_section("ICTイノベーション推進室との伴走（コメント）"))
    shown = plan.comments[-MAX_COMMENTS:]
    if len(plan.comments) > len(shown):
        body.append(
            text_block(
                f"（古いコメント {len(plan.comments) - len(shown)}件は省略）", isSubtle=True, size="Small"
            )
        )
    for c in shown:
        when = c.at.strftime("%Y/%m/%d %H:%M")
        style = "attention" if c.kind == "return" else "good" if c.kind == "accept" else "default"
        body.append(
            {
                "type": "Container",
                "style": style,
                "spacing": "Small",
                "items": [
                    text_block(f"{c.author_name}・{when}", size="Small", isSubtle=True),
                    text_block(_clip(c.text, MAX_COMMENT_CHARS), spacing="None"),
                ],
            }
        )
    if not plan.comments:
        body.append(text_block("まだコメントはありません。", isSubtle=True, size="Small"))
    if may_write or may_review:
        box = {
            "type": "Input.Text",
            "id": COMMENT_INPUT,
            "isMultiline": True,
            "maxLength": 1000,
            "label": "コメント"
            + ("（差し戻すときは直していただきたい点を必ず書いてください）" if may_review else ""),
            "placeholder": "例: KPIの目標値の根拠を教えてください",
        }
        if comment:
            box["value"] = comment
        body.append(box)
    data = {"plan_id": plan.plan_id, "etag": plan.etag or ""}
    buttons = []
    if may_write or may_review:
        buttons.append(submit_action("コメントする", COMMENT, data))
    if may_review and plan.state is PlanState.SUBMITTED:
        buttons.append(submit_action("ICT室確認を開始", REVIEW, data))
    if may_review and plan.state in (PlanState.SUBMITTED, PlanState.IN_REVIEW):
        buttons += [
            submit_action("差し戻す", RETURN, data, style="destructive"),
            submit_action("確認完了（実行中へ）", ACCEPT, data, style="positive"),
        ]
    if buttons:
        body.append(_buttons(*buttons))
    body.append(_section("履歴"))
    body += [
        text_block(
            f"{h.at.strftime('%Y/%m/%d %H:%M')} {h.by}: {h.action}（→{h.state.label}）",
            size="Small",
            spacing="None",
            isSubtle=True,
        )
        for h in plan.history[-MAX_HISTORY:]
    ]
    actions = []
    if may_write and plan.state is PlanState.DRAFT:
        actions.append(submit_action("編集・提出", EDIT, {"plan_id": plan.plan_id}, style="positive"))
    if may_write and plan.state in (PlanState.ACTIVE, PlanState.REPORTED):
        actions.append(submit_action("実施報告書", REPORT_FORM, {"plan_id": plan.plan_id}))
    actions.append(
        submit_action("部署の計画一覧", DEPARTMENT, {"bureau": plan.bureau, "department": plan.department})
    )
    return adaptive_card(body, actions)


def report_form_card(plan: Plan, *, error: str = "", values: dict[str, str] | None = None) -> dict:
    values = dict(values or {})
    if not values and plan.report is not None:
        values = {
            "kpi_actual": _number(plan.report.kpi_actual),
            "results": plan.report.results,
            "learned": plan.report.learned,
            "shared": "true" if plan.report.shared else "false",
        }
    body = [*header(f"DX実施報告書: {plan.business}", plan.unit_path, ICON)]
    if error:
        body.append(error_banner(error))
    body.append(fact_set([("KPI", kpi_text(plan))]))

    def field(name: str, label: str, **props: object) -> dict:
        element = {
            "type": "Input.Text",
            "id": name,
            "label": label,
            "isRequired": True,
            "errorMessage": f"{label}を入力してください",
            **props,
        }
        if values.get(name):
            element["value"] = values[name]
        return element

    body += [
        field("kpi_actual", f"KPIの実績（{plan.kpi_unit}）", maxLength=15),
        field("results", "取組の結果", isMultiline=True, maxLength=2000),
        field("learned", "分かったこと・今後に生かすこと", isMultiline=True, maxLength=2000),
        {
            "type": "Input.Toggle",
            "id": "shared",
            "title": "この報告書を全部署に共有する",
            "value": values.get("shared") or "false",
            "valueOn": "true",
            "valueOff": "false",
        },
    ]
    data = {"plan_id": plan.plan_id, "etag": plan.etag or ""}
    return adaptive_card(
        body,
        [
            submit_action("提出する", REPORT, data, style="positive"),
            submit_action("やめる", PLAN, {"plan_id": plan.plan_id}),
        ],
    )
