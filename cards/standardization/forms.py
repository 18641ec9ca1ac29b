"""The 業務システムの標準化 forms: a step, an estimate, the system settings, a gap, the ICT office's review.
An invalid submission comes back with the values kept and the error under the field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cards.common import (
    adaptive_card,
    error_banner,
    fact_set,
    header,
    menu_action,
    notice,
    submit_action,
    text_block,
)
from cards.standardization.common import (
    COSTS_SAVE_VERB,
    GAP_SAVE_VERB,
    ICON,
    OVERVIEW_VERB,
    REVIEW_SAVE_VERB,
    SETTINGS_SAVE_VERB,
    STEP_SAVE_VERB,
    SYSTEM_VERB,
    _choice_input,
    _day,
    _field_error,
    _short,
    yen,
)
from services.standardization.models import (
    REVIEW_POINTS,
    CostCategory,
    Gap,
    Handling,
    ReviewResult,
    StepStatus,
    StepView,
    System,
)

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
    conflict: bool = False,
) -> dict:
    """The form of one step. After a ``conflict``, ``view`` is the step as stored now (shown above
    the inputs) and ``values`` what the person typed (kept in the inputs)."""
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
    if conflict:
        stored = view.step
        body.append(text_block("保存されている内容（ほかの方が保存）", weight="Bolder", size="Small"))
        body.append(
            fact_set(
                [
                    ("状況", stored.status.value),
                    ("開始日", _day(stored.start) if stored.start else "－"),
                    ("終了日", _day(stored.end) if stored.end else "－"),
                    ("完了日", _day(stored.done_on) if stored.done_on else "－"),
                    ("備考", stored.note[:200] or "－"),
                ]
            )
        )
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
