"""Cards of 堺市DX: the overview, a department's plans, the plan form and the plan with its 伴走 thread,
the 実施報告書, shared reports, participation, the training menu and sessions, データアカデミー, and the
reminder and alert cards the scheduler sends. Pure functions of the service models; Japanese text.
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
    submit_action,
    text_block,
)
from services.dx.models import (
    CATEGORY_LABELS,
    SNAPSHOT_LABEL,
    AcademyStage,
    AcademyTeam,
    Category,
    Course,
    Overview,
    PersonCourse,
    Plan,
    PlanAlert,
    PlanForm,
    PlanState,
    Session,
    SessionReminder,
    VideoFollowUp,
)
from services.proactive.alerts import DueAlert

ICON = "🚀"
TITLE = "堺市DX"
V = "dx."
HOME, DEPARTMENT, NEW, EDIT, SAVE, SUBMIT, PLAN = (
    V + x for x in ("home", "department", "new", "edit", "save", "submit", "plan")
)
COMMENT, REVIEW, RETURN, ACCEPT, MILESTONE = (
    V + x for x in ("comment", "review", "return", "accept", "milestone")
)
REPORT_FORM, REPORT, REPORTS, PARTICIPATION, PARTICIPATION_SAVE = (
    V + x for x in ("report_form", "report", "reports", "participation", "participation_save")
)
TRAINING, SESSION, ENROL, CANCEL, WATCHED, ATTENDANCE = (
    V + x for x in ("training", "session", "enrol", "cancel", "watched", "attendance")
)
SESSION_FORM, SESSION_SAVE, ASSIGN, ACADEMY, STAGE, EXPORT, WAITING = (
    V + x for x in ("session_form", "session_save", "assign", "academy", "stage", "export", "waiting")
)
DEPARTMENT_TRAINING = V + "department_training"
REPORT_VIEW = V + "report_view"
COMMENT_INPUT, CATEGORY_INPUT, UNITS_INPUT, DUE_INPUT = "comment", "category_choice", "units", "plan_due"
MILESTONES_INPUT = "milestones_done"
MAX_ROWS = 40
MAX_REPORTS = 10
MAX_WAITING = 25
MAX_PEOPLE = 30
MAX_COMMENTS = 10
MAX_COMMENT_CHARS = 500
MAX_HISTORY = 10
STATE_ICONS = {
    PlanState.DRAFT: "📝",
    PlanState.SUBMITTED: "📨",
    PlanState.IN_REVIEW: "🔍",
    PlanState.ACTIVE: "🏃",
    PlanState.REPORTED: "✅",
}


def _section(title: str) -> dict:
    return text_block(title, weight="Bolder", spacing="Medium", separator=True)


def _buttons(*actions: dict) -> dict:
    return {"type": "ActionSet", "actions": list(actions)}


def _field_error(errors: dict[str, str], name: str) -> list[dict]:
    return (
        [text_block(f"⚠️ {errors[name]}", color="Attention", size="Small", spacing="None")]
        if name in errors
        else []
    )


def _state(plan: Plan) -> str:
    returned = "（差し戻し）" if plan.returned and plan.state is PlanState.DRAFT else ""
    return f"{STATE_ICONS[plan.state]} {plan.state.label}{returned}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short_status(status: str) -> str:
    if status in ("受講済み", "視聴済み"):
        return "✅"
    if status == "申込済み":
        return "📝"
    return "⏳" if status.startswith("キャンセル待ち") else "－"


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def kpi_text(plan: Plan) -> str:
    text = f"{plan.kpi}: 目標 {_number(plan.kpi_target)}{plan.kpi_unit}"
    if plan.report is not None:
        rate = f"（達成率 {plan.attainment:.0%}）" if plan.attainment is not None else ""
        text += f" ／ 実績 {_number(plan.report.kpi_actual)}{plan.kpi_unit}{rate}"
    return text


# --- overview ------------------------------------------------------------------------------------


def state_chart(overview: Overview) -> dict:
    counts = overview.state_counts()
    return {
        "type": "Chart.Donut",
        "title": "DX実行計画の状態（件）",
        "data": [{"legend": s.label, "value": counts[s]} for s in PlanState],
        "fallback": fact_set([(s.label, f"{counts[s]}件") for s in PlanState]),
    }


def home_card(
    overview: Overview, *, own: Sequence[tuple[str, str]] = (), admin: bool = False, message: str = ""
) -> dict:
    """The overview: departments taking part, plan states (chart + fallback), overdue milestones."""
    body = [*header(TITLE, f"{japanese_date(overview.as_of)} 時点・保存済みの記録から集計", ICON)]
    if message:
        body.append(notice(message))
    taking_part = overview.participating
    attainment = overview.attainment
    body.append(
        fact_set(
            [
                (
                    "参加部署",
                    f"{len(taking_part)}部署（目標 {overview.target}部署: DX選定会議、{SNAPSHOT_LABEL}）",
                ),
                ("計画のある部署", f"{overview.with_plan}部署"),
                ("期日を過ぎたマイルストーン", f"{len(overview.overdue())}件"),
                (
                    "KPI達成率（報告済の平均）",
                    f"{attainment:.0%}" if attainment is not None else "－（報告はまだありません）",
                ),
            ]
        )
    )
    body.append(state_chart(overview))
    overdue = overview.overdue()
    if overdue:
        body.append(_section("期日を過ぎたマイルストーン"))
        body += [
            text_block(
                f"・{p.department}「{p.business}」: {m.title}（{japanese_date(m.due)}）",
                size="Small",
                spacing="None",
            )
            for p, m in overdue[:10]
        ]
    rows = [d for d in overview.departments if d.participating or d.plans]
    if rows:
        body.append(_section("部署ごとの状況"))
        for d in rows[:MAX_ROWS]:
            states = "、".join(_state(p) for p in d.plans) or "計画なし"
            body.append(text_block(f"{d.bureau}/{d.department}: {states}", size="Small", spacing="None"))
        if len(rows) > MAX_ROWS:
            body.append(
                text_block(
                    f"ほか {len(rows) - MAX_ROWS}部署（Excel で全件を確認できます）",
                    isSubtle=True,
                    size="Small",
                )
            )
    actions = [submit_action(f"{d}の計画", DEPARTMENT, {"bureau": b, "department": d}) for b, d in own[:3]]
    actions += [
        submit_action("研修", TRAINING),
        submit_action("データアカデミー", ACADEMY),
        submit_action("共有された報告書", REPORTS),
    ]
    body.append(_buttons(*actions[:5]))
    if admin:
        body.append(
            _buttons(
                submit_action("確認待ちの計画", WAITING),
                submit_action("参加部署の設定", PARTICIPATION),
                submit_action("Excel で出力", EXPORT),
            )
        )
    return adaptive_card(body, [menu_action()])


def department_card(
    bureau: str, department: str, plans: Sequence[Plan], *, may_write: bool, message: str = ""
) -> dict:
    body = [*header(f"{bureau}/{department}のDX実行計画", TITLE, ICON)]
    if message:
        body.append(notice(message))
    if not plans:
        body.append(
            text_block(
                "まだ計画はありません。" + ("「計画を作成」から書き始めてください。" if may_write else "")
            )
        )
    for plan in plans:
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    text_block(f"{plan.business}", weight="Bolder"),
                    fact_set(
                        [("状態", _state(plan)), ("区分", plan.category.label), ("KPI", kpi_text(plan))]
                    ),
                    _buttons(submit_action("開く", PLAN, {"plan_id": plan.plan_id})),
                ],
            }
        )
    actions = (
        [submit_action("計画を作成", NEW, {"bureau": bureau, "department": department}, style="positive")]
        if may_write
        else []
    )
    actions.append(
        submit_action("研修の受講状況", DEPARTMENT_TRAINING, {"bureau": bureau, "department": department})
    )
    return adaptive_card(body, [*actions, submit_action("全体の状況", HOME)])


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
    return [element, *_field_error(form.errors, name)]


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
    body += [category, *_field_error(form.errors, "category")]
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


def reports_card(plans: Sequence[Plan], category: Category | None) -> dict:
    body = [*header("共有された DX実施報告書", category.label if category else "すべての区分", ICON)]
    body.append(
        {
            "type": "Input.ChoiceSet",
            "id": CATEGORY_INPUT,
            "label": "区分で絞り込む",
            "style": "compact",
            "value": category.value if category else "",
            "choices": [
                {"title": "すべて", "value": ""},
                *({"title": c.label, "value": c.value} for c in Category),
            ],
        }
    )
    body.append(_buttons(submit_action("絞り込む", REPORTS)))
    if not plans:
        body.append(text_block("共有された報告書はまだありません。"))
    for plan in plans[:MAX_REPORTS]:
        r = plan.report
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    text_block(f"{plan.business}（{plan.unit_path}）", weight="Bolder"),
                    fact_set(
                        [
                            ("区分", plan.category.label),
                            ("KPI", kpi_text(plan)),
                            ("結果", _clip(r.results, 150) if r else ""),
                            ("分かったこと", _clip(r.learned, 150) if r else ""),
                        ]
                    ),
                    _buttons(submit_action("全文を読む", REPORT_VIEW, {"plan_id": plan.plan_id})),
                ],
            }
        )
    if len(plans) > MAX_REPORTS:
        body.append(
            text_block(
                f"ほか {len(plans) - MAX_REPORTS}件（区分で絞り込んでください）", isSubtle=True, size="Small"
            )
        )
    return adaptive_card(body, [submit_action("全体の状況", HOME)])


def shared_report_card(plan: Plan) -> dict:
    """A shared 実施報告書, readable by all staff."""
    r = plan.report
    body = [*header(f"DX実施報告書: {plan.business}", f"{plan.unit_path}・{plan.category.label}", ICON)]
    body.append(fact_set([("目的", plan.purpose), ("目標", plan.goal), ("KPI", kpi_text(plan))]))
    if r is not None:
        body += [
            _section("取組の結果"),
            text_block(r.results),
            _section("分かったこと・今後に生かすこと"),
            text_block(r.learned),
        ]
    return adaptive_card(
        body, [submit_action("共有された報告書", REPORTS), submit_action("全体の状況", HOME)]
    )


def waiting_card(plans: Sequence[Plan], as_of: date) -> dict:
    body = [*header("確認待ちの DX実行計画", f"{japanese_date(as_of)} 時点", ICON)]
    if not plans:
        body.append(text_block("確認待ちの計画はありません。"))
    for plan in plans[:MAX_WAITING]:
        since = japanese_date(plan.submitted_at.date()) if plan.submitted_at else ""
        body.append(
            {
                "type": "ColumnSet",
                "separator": True,
                "columns": [
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [
                            text_block(f"{plan.unit_path}「{plan.business}」", size="Small"),
                            text_block(
                                f"{_state(plan)}・{since} 提出", size="Small", isSubtle=True, spacing="None"
                            ),
                        ],
                    },
                    {
                        "type": "Column",
                        "width": "auto",
                        "items": [_buttons(submit_action("開く", PLAN, {"plan_id": plan.plan_id}))],
                    },
                ],
            }
        )
    return adaptive_card(body, [submit_action("全体の状況", HOME)])


def participation_card(
    departments: Sequence[tuple[str, str]],
    selected: Sequence[tuple[str, str]],
    due: date | None,
    target: int,
    *,
    error: str = "",
    message: str = "",
) -> dict:
    body = [*header("DX の参加部署", f"目標 {target}部署（DX選定会議、{SNAPSHOT_LABEL}）", ICON)]
    if error:
        body.append(error_banner(error))
    if message:
        body.append(notice(message))
    body.append(
        text_block(
            f"現在 {len(selected)}部署が参加しています。組織（名簿の取り込み）にある部から選んでください。"
        )
    )
    body.append(
        {
            "type": "Input.ChoiceSet",
            "id": UNITS_INPUT,
            "isMultiSelect": True,
            "style": "compact",
            "label": "参加する部署",
            "value": ",".join(f"{b}/{d}" for b, d in selected),
            "choices": [{"title": f"{b}/{d}", "value": f"{b}/{d}"} for b, d in departments],
        }
    )
    date_input = {"type": "Input.Date", "id": DUE_INPUT, "label": "DX実行計画の提出期限"}
    if due:
        date_input["value"] = due.isoformat()
    body.append(date_input)
    return adaptive_card(
        body,
        [submit_action("保存する", PARTICIPATION_SAVE, style="positive"), submit_action("全体の状況", HOME)],
    )


# --- training ------------------------------------------------------------------------------------


def _session_line(session: Session, course: Course | None) -> str:
    where = session.place or "オンライン"
    title = course.title if course else session.course
    return (
        f"{title}: {japanese_date(session.day)} {session.start}～{session.end}・{where}・"
        f"残り {session.seats_left}席"
        + (f"（キャンセル待ち {len(session.waiting)}人）" if session.waiting else "")
    )


def training_card(
    courses: Sequence[Course],
    sessions: Sequence[Session],
    mine: Sequence[PersonCourse],
    *,
    admin: bool = False,
    message: str = "",
) -> dict:
    by_key = {c.key: c for c in courses}
    body = [*header("DX PRO育成プログラム", "研修メニュー（会議資料より）・日程・あなたの受講状況", ICON)]
    if message:
        body.append(notice(message))
    body.append(_section("研修メニュー"))
    for c in courses:
        body.append(
            text_block(
                f"・{c.title}【{c.format.value}】 対象: {c.audience_label}・{c.months}",
                size="Small",
                spacing="None",
            )
        )
    body.append(_section("これからの日程"))
    if not sessions:
        body.append(text_block("公開中の日程はありません。", isSubtle=True, size="Small"))
    for s in sessions[:15]:
        body.append(
            {
                "type": "ColumnSet",
                "spacing": "Small",
                "columns": [
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [text_block(_session_line(s, by_key.get(s.course)), size="Small")],
                    },
                    {
                        "type": "Column",
                        "width": "auto",
                        "items": [
                            _buttons(submit_action("詳細・申込", SESSION, {"session_id": s.session_id}))
                        ],
                    },
                ],
            }
        )
    body.append(_section("あなたの受講状況"))
    for pc in mine:
        due = f"（視聴期限 {japanese_date(pc.due)}）" if pc.due else ""
        row = [
            {
                "type": "Column",
                "width": "stretch",
                "items": [text_block(f"{pc.course.title}: {pc.status}{due}", size="Small")],
            }
        ]
        if pc.course.is_video and pc.status == "未視聴":
            row.append(
                {
                    "type": "Column",
                    "width": "auto",
                    "items": [_buttons(submit_action("視聴済みにする", WATCHED, {"course": pc.course.key}))],
                }
            )
        body.append({"type": "ColumnSet", "spacing": "None", "columns": row})
    actions = [submit_action("データアカデミー", ACADEMY)]
    if admin:
        body.append(_buttons(submit_action("日程を追加", SESSION_FORM)))
    return adaptive_card(body, [*actions, submit_action("全体の状況", HOME)])


def session_card(
    session: Session,
    course: Course,
    *,
    me: str = "",
    names: dict[str, str] | None = None,
    admin: bool = False,
    message: str = "",
    warning: str = "",
) -> dict:
    names = names or {}
    body = [*header(f"{course.title}【{course.format.value}】", f"対象: {course.audience_label}", ICON)]
    if warning:
        body.append(error_banner(warning))
    if message:
        body.append(notice(message))
    facts = [
        ("日時", f"{japanese_date(session.day)} {session.start}～{session.end}"),
        ("場所", session.place or "オンライン"),
        (
            "定員",
            f"{session.capacity}人（申込 {len(session.enrolled)}人・残り {session.seats_left}席・"
            f"キャンセル待ち {len(session.waiting)}人）",
        ),
    ]
    if me in session.enrolled:
        facts.append(("あなた", "申込済み" + ("・出席" if me in session.attended else "")))
    elif me in session.waiting:
        facts.append(("あなた", f"キャンセル待ち {session.waiting.index(me) + 1}番目"))
    body.append(fact_set(facts))
    body.append(text_block(course.summary, size="Small", isSubtle=True))
    if session.link:
        body.append(_buttons({"type": "Action.OpenUrl", "title": "オンラインで参加", "url": session.link}))
    data = {"session_id": session.session_id}
    actions = []
    if me and (me in session.enrolled or me in session.waiting):
        actions.append(submit_action("申込を取り消す", CANCEL, data))
    else:
        actions.append(submit_action("申し込む", ENROL, data, style="positive"))
    if admin and session.enrolled:
        body.append(_section("出席の記録（管理者）"))
        body.append(
            {
                "type": "Input.ChoiceSet",
                "id": "attended",
                "isMultiSelect": True,
                "style": "expanded",
                "label": "出席した人",
                "value": ",".join(session.attended),
                "choices": [{"title": names.get(p, p), "value": p} for p in session.enrolled[:100]],
            }
        )
        body.append(_buttons(submit_action("出席を保存", ATTENDANCE, data)))
    return adaptive_card(body, [*actions, submit_action("研修の一覧", TRAINING)])


def session_form_card(
    courses: Sequence[Course], *, values: dict[str, str] | None = None, error: str = ""
) -> dict:
    values = values or {}
    body = [*header("研修の日程を追加", "管理者", ICON)]
    if error:
        body.append(error_banner(error))

    def value(name: str, element: dict) -> dict:
        if values.get(name):
            element["value"] = values[name]
        return element

    body += [
        value(
            "course",
            {
                "type": "Input.ChoiceSet",
                "id": "course",
                "label": "研修",
                "style": "compact",
                "isRequired": True,
                "errorMessage": "研修を選んでください",
                "choices": [{"title": c.title, "value": c.key} for c in courses],
            },
        ),
        value(
            "day",
            {
                "type": "Input.Date",
                "id": "day",
                "label": "日付",
                "isRequired": True,
                "errorMessage": "日付を入力してください",
            },
        ),
        value(
            "start",
            {
                "type": "Input.Time",
                "id": "start",
                "label": "開始",
                "isRequired": True,
                "errorMessage": "開始時刻を入力してください",
            },
        ),
        value(
            "end",
            {
                "type": "Input.Time",
                "id": "end",
                "label": "終了",
                "isRequired": True,
                "errorMessage": "終了時刻を入力してください",
            },
        ),
        value("place", {"type": "Input.Text", "id": "place", "label": "場所", "maxLength": 100}),
        value(
            "link",
            {
                "type": "Input.Text",
                "id": "link",
                "label": "オンラインのリンク（https://）",
                "maxLength": 500,
                "style": "Url",
            },
        ),
        value(
            "capacity",
            {
                "type": "Input.Number",
                "id": "capacity",
                "label": "定員",
                "min": 1,
                "isRequired": True,
                "errorMessage": "定員を入力してください",
            },
        ),
    ]
    if "capacity" in values and str(values["capacity"]).isdigit():
        body[-1]["value"] = int(values["capacity"])
    body.append(_section("動画の視聴期限"))
    body.append(
        {
            "type": "Input.ChoiceSet",
            "id": "video",
            "label": "動画",
            "style": "compact",
            "choices": [{"title": c.title, "value": c.key} for c in courses if c.is_video],
        }
    )
    body.append(
        {
            "type": "Input.Date",
            "id": "video_due",
            "label": "視聴期限（過ぎると未視聴の方に個人チャットでお知らせ）",
        }
    )
    body.append(_buttons(submit_action("視聴期限を設定", ASSIGN)))
    return adaptive_card(
        body,
        [submit_action("日程を追加", SESSION_SAVE, style="positive"), submit_action("研修の一覧", TRAINING)],
    )


def department_training_card(
    bureau: str, department: str, courses: Sequence[Course], rows: Sequence[tuple[str, Sequence[str]]]
) -> dict:
    """Who in the department has done what: one line per person, one mark per course."""
    body = [*header(f"研修の受講状況: {bureau}/{department}", TITLE, ICON)]
    if not rows:
        body.append(text_block("名簿にこの部の方がいません。"))
    else:
        numbers = "①②③④⑤⑥⑦⑧⑨⑩"
        legend = "　".join(f"{numbers[i]} {c.title}" for i, c in enumerate(courses[: len(numbers)]))
        body.append(text_block(legend, isSubtle=True, size="Small"))
        body.append(
            text_block(
                "✅ 受講・視聴済み　📝 申込済み　⏳ キャンセル待ち　－ 未", isSubtle=True, size="Small"
            )
        )
        for name, statuses in rows[:MAX_PEOPLE]:
            marks = " ".join(
                f"{numbers[i]}{_short_status(x)}" for i, x in enumerate(statuses[: len(numbers)])
            )
            body.append(text_block(f"{name}　{marks}", size="Small", spacing="None"))
        if len(rows) > MAX_PEOPLE:
            body.append(text_block(f"ほか {len(rows) - MAX_PEOPLE}人", isSubtle=True, size="Small"))
    return adaptive_card(
        body,
        [
            submit_action("部署の計画", DEPARTMENT, {"bureau": bureau, "department": department}),
            submit_action("全体の状況", HOME),
        ],
    )


def academy_card(teams: Sequence[AcademyTeam], *, admin: bool = False, message: str = "") -> dict:
    body = [*header("データアカデミー", "実践型EBPM のグループワーク（対象業務は会議資料より）", ICON)]
    if message:
        body.append(notice(message))
    for team in teams:
        steps = " → ".join(("✅" if team.stage >= s else "⬜") + s.label for s in list(AcademyStage)[1:])
        items = [
            text_block(f"{team.number} {team.work}", weight="Bolder"),
            fact_set(
                [
                    ("所管部署", "・".join(team.departments)),
                    ("共通参加", "・".join(team.common_departments)),
                    *([("参加", team.participation)] if team.participation else []),
                    ("段階", team.stage.label),
                    *([("メモ", team.note)] if team.note else []),
                ]
            ),
            text_block(steps, size="Small"),
        ]
        if admin:
            items += [
                {
                    "type": "Input.ChoiceSet",
                    "id": f"stage_{team.number}",
                    "label": "段階を更新",
                    "style": "compact",
                    "value": str(int(team.stage)),
                    "choices": [{"title": s.label, "value": str(int(s))} for s in AcademyStage],
                },
                _buttons(submit_action("更新", STAGE, {"number": team.number})),
            ]
        body.append({"type": "Container", "separator": True, "items": items})
    return adaptive_card(body, [submit_action("研修", TRAINING), submit_action("全体の状況", HOME)])


# --- the cards the scheduler sends ---------------------------------------------------------------


def reminder_card(alert: DueAlert) -> dict:
    """A training reminder or a plan alert (``alert.item`` is the source's own object)."""
    item = alert.item
    body = [*header(alert.title, TITLE, "🔔" if isinstance(item, SessionReminder | VideoFollowUp) else "⚠️")]
    if alert.facts:
        body.append(fact_set(list(alert.facts)))
    if isinstance(item, SessionReminder):
        body.append(text_block(item.course.summary, size="Small", isSubtle=True))
        if item.enrolled_here:
            body.append(text_block(f"この部署からの申込: {item.enrolled_here}人", size="Small"))
    body += [
        _section("この通知が届いた理由"),
        text_block(alert.why, isSubtle=True),
        _section("次にしていただくこと"),
        text_block(alert.next_step),
    ]
    actions: list[dict] = []
    if isinstance(item, SessionReminder):
        actions = [
            submit_action("申し込む", ENROL, {"session_id": item.session.session_id}, style="positive"),
            submit_action("研修の詳細", SESSION, {"session_id": item.session.session_id}),
        ]
    elif isinstance(item, VideoFollowUp):
        actions = [
            submit_action("視聴済みにする", WATCHED, {"course": item.course.key}, style="positive"),
            submit_action("研修の一覧", TRAINING),
        ]
    elif isinstance(item, PlanAlert) and item.plan is not None:
        actions = [submit_action("計画を開く", PLAN, {"plan_id": item.plan.plan_id})]
    elif isinstance(item, PlanAlert):
        actions = [
            submit_action("部署の計画", DEPARTMENT, {"bureau": item.bureau, "department": item.department})
        ]
    return adaptive_card(body, [*actions, submit_action("堺市DX", HOME)])


def category_label(value: str) -> str:
    try:
        return CATEGORY_LABELS[Category(value)]
    except ValueError:
        return value
