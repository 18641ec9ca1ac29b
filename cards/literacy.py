"""ICTリテラシー cards: the self-assessment (with the material's words and the recommendations), the
department view (needs, gaps, risks; a manager's form) and the tools list (admins)."""

from __future__ import annotations

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
from services.literacy.models import (
    LEVELS,
    NOT_YET,
    USE,
    DepartmentView,
    Recommendation,
    SelfView,
    level_name,
)

TITLE = "ICTリテラシー"
ICON = "📚"
SELF_VERB = "literacy.self"
SAVE_VERB = "literacy.save"
DEPARTMENT_VERB = "literacy.department"
NEEDS_VERB = "literacy.needs"
TOOLS_VERB = "literacy.tools"
ADD_TOOL_VERB = "literacy.add_tool"
DEPARTMENT_INPUT = "department"
MAX_MOVE_INPUTS = 20
MAX_DEPARTMENTS = 150  # the city has 72 DX departments
MAX_INLINE_DEPARTMENTS = 10
MAX_RISKS = 8
TOOL_INPUT = "tool"
LEVEL_PREFIX = "level|"
CHOICES = [{"title": NOT_YET, "value": "0"}] + [
    {"title": name, "value": str(i)} for i, name in enumerate(LEVELS, 1)
]


def _material(view: SelfView) -> list[dict]:
    s = view.strategy
    body = [text_block(f"🎯 {s.aim}", weight="Bolder")] if s.aim else []
    if s.issues:
        body.append(
            text_block("課題: " + "　".join(f"{i.number} {i.heading}" for i in s.issues), isSubtle=True)
        )
    for item in s.initiatives:
        body.append(text_block(f"取組{item.number} {item.heading}", weight="Bolder", spacing="Small"))
        if item.lines:
            body.append(text_block("\n".join(item.lines), spacing="None", isSubtle=True))
    if s.levels:
        body.append(fact_set([(f"「{lv.name}」", lv.description) for lv in s.levels]))
    return [{"type": "Container", "style": "emphasis", "items": body}] if body else []


def _recommendation(rec: Recommendation) -> dict:
    if rec.done:
        lines = [f"**{rec.tool}**: 「つくれる」です。", rec.note]
    else:
        lines = [
            f"**{rec.tool}**: いまは「{level_name(rec.current)}」→ 次は「{level_name(rec.next_level)}」"
            f"（{rec.next_description}）"
        ]
        if rec.training:
            fmt = f"【{rec.training.format}】" if rec.training.format else ""
            lines.append(
                f"おすすめの研修（堺市DXの研修メニュー）: {rec.training.name}{fmt}　{rec.training.summary}"
            )
        if rec.note:
            lines.append(rec.note)
    return text_block("\n\n".join(lines), spacing="Small")


def self_card(
    view: SelfView,
    *,
    message: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> dict:
    errors = errors or {}
    body: list[dict] = [*header(TITLE, "デジタルツールごとの自分のレベル（自己評価）", ICON)]
    if errors:
        body.append(error_banner("入力内容を確認してください。"))
    elif message:
        body.append(notice(message))
    body += _material(view)
    if view.recommendations:
        body.append(text_block("次のレベルに向けて", weight="Bolder", size="Medium"))
        body += [_recommendation(r) for r in view.recommendations]
    body.append(text_block("自己評価", weight="Bolder", size="Medium"))
    if view.assessment and view.assessment.updated_on:
        body.append(
            text_block(
                f"前回の入力: {japanese_date(view.assessment.updated_on)}", isSubtle=True, spacing="None"
            )
        )
    for tool in view.tools:
        current = (values or {}).get(tool)
        if current is None:
            current = str(view.assessment.level(tool)) if view.assessment else "0"
        body.append(
            {
                "type": "Input.ChoiceSet",
                "id": LEVEL_PREFIX + tool,
                "label": tool,
                "style": "compact",
                "value": current,
                "choices": CHOICES,
                "isRequired": True,
                "errorMessage": "レベルを選んでください",
            }
        )
        if tool in errors:
            body.append(text_block(f"⚠️ {errors[tool]}", color="Attention", spacing="None"))
    etag = view.assessment.etag if view.assessment else ""
    actions = [submit_action("保存する", SAVE_VERB, {"etag": etag or ""}, style="positive")]
    if view.manages:
        if len(view.manages) <= MAX_INLINE_DEPARTMENTS:  # more: the button opens a picker card
            body.append(_department_choice(view.manages))
        actions.append(submit_action("部署の状況", DEPARTMENT_VERB))
    if view.admin:
        actions.append(submit_action("ツール一覧", TOOLS_VERB))
    actions.append(menu_action())
    return adaptive_card(body, actions)


def _department_choice(departments: tuple[str, ...] | list[str]) -> dict:
    return {
        "type": "Input.ChoiceSet",
        "id": DEPARTMENT_INPUT,
        "label": "部署の必要人材を見る",
        "style": "compact",
        "value": departments[0],
        "choices": [{"title": d, "value": d} for d in departments[:MAX_DEPARTMENTS]],
    }


def department_picker_card(departments: tuple[str, ...] | list[str], message: str = "") -> dict:
    body: list[dict] = [*header("部署の必要人材", "見る部署を選んでください", ICON)]
    if message:
        body.append(notice(message))
    if departments:
        body.append(_department_choice(departments))
    else:
        body.append(text_block("見られる部署はありません。", isSubtle=True))
    actions = [submit_action("開く", DEPARTMENT_VERB, style="positive")] if departments else []
    return adaptive_card(body, [*actions, submit_action("自己評価に戻る", SELF_VERB), menu_action()])


def department_card(
    view: DepartmentView,
    *,
    may_edit: bool,
    message: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    conflict: bool = False,
) -> dict:
    """A department's needs. After a ``conflict``, ``view`` is as stored now and ``values`` what the
    manager typed (kept in the inputs, with the stored value under each one that differs)."""
    errors, values = errors or {}, values or {}
    body: list[dict] = [
        *header(f"{view.label} の必要人材", "所管に必要な「つかえる」「つくれる」人材（継続）", ICON)
    ]
    if errors:
        body.append(error_banner("入力内容を確認してください。"))
    elif conflict:
        body.append(error_banner(message))
    elif message:
        body.append(notice(message))
    facts = []
    for r in view.rows:
        state = []
        if r.use_short:
            state.append(f"つかえる {r.use_short}名不足")
        if r.build_short:
            state.append(f"つくれる {r.build_short}名不足")
        if r.at_risk:
            state.append("異動で不足の見込み")
        facts.append(
            (
                r.tool,
                f"つかえる {r.use_have}/{r.use_needed}名・つくれる {r.build_have}/{r.build_needed}名"
                f"　{'⚠️ ' + '、'.join(state) if state else '✅'}",
            )
        )
    body.append(text_block("ツールごとの人数（現在/必要）", weight="Bolder"))
    body.append(fact_set(facts))
    body.append(
        text_block(
            f"自己評価を入力した職員: {len(view.people)}名（つくれる人はつかえる人にも数えます）",
            isSubtle=True,
        )
    )
    risks = [f"⚠️ {r.tool}: {risk}" for r in view.risks for risk in r.at_risk]
    if risks:
        more = f"\n\nほか {len(risks) - MAX_RISKS}件" if len(risks) > MAX_RISKS else ""
        body.append(
            {
                "type": "Container",
                "style": "attention",
                "items": [text_block("\n\n".join(risks[:MAX_RISKS]) + more)],
            }
        )
    actions = []
    if may_edit:
        body.append(text_block("必要な人数を設定する", weight="Bolder", size="Medium"))
        need = {r.tool: r for r in view.rows}
        for tool in view.tools:
            columns = []
            for kind, label, current in (
                ("use", "つかえる", need[tool].use_needed),
                ("build", "つくれる", need[tool].build_needed),
            ):
                name = f"{kind}|{tool}"
                shown = values.get(name, str(current))
                item = {
                    "type": "Input.Number",
                    "id": name,
                    "label": f"{tool}: {label}（人）",
                    "min": 0,
                    "max": 999,
                }
                if str(shown).isdigit():
                    item["value"] = int(shown)
                items = [item]
                if conflict and str(shown).strip() != str(current):
                    items.append(
                        text_block(
                            f"保存されている値: {current}", isSubtle=True, size="Small", spacing="None"
                        )
                    )
                if name in errors:
                    items.append(text_block(f"⚠️ {errors[name]}", color="Attention", spacing="None"))
                columns.append({"type": "Column", "width": "stretch", "items": items})
            body.append({"type": "ColumnSet", "columns": columns})
        moves = {m.object_id: m.on.isoformat() for m in view.moves}
        skilled = [p for p in view.people if any(p.level(t) >= USE for t in view.tools)]
        people = {m.object_id: m.name for m in view.moves} | {p.object_id: p.name for p in skilled}
        shown_people = dict(list(people.items())[:MAX_MOVE_INPUTS])
        if people:
            body.append(
                text_block(
                    "異動予定日（「つかえる」以上の人。決まっている人だけ入力し、空欄は予定なし）",
                    weight="Bolder",
                )
            )
        if len(people) > len(shown_people):
            body.append(
                text_block(
                    f"ほか {len(people) - len(shown_people)}名は表示していません"
                    "（入力済みの予定は保たれます）。",
                    isSubtle=True,
                )
            )
        for oid, name in shown_people.items():
            key = f"move|{oid}"
            item = {"type": "Input.Date", "id": key, "label": name}
            shown = values.get(key, moves.get(oid, ""))
            if shown:
                item["value"] = shown
            body.append(item)
            if conflict and shown != moves.get(oid, ""):
                stored = moves.get(oid) or "（予定なし）"
                body.append(
                    text_block(f"保存されている値: {stored}", isSubtle=True, size="Small", spacing="None")
                )
            if key in errors:
                body.append(text_block(f"⚠️ {errors[key]}", color="Attention", spacing="None"))
        actions.append(
            submit_action(
                "保存する",
                NEEDS_VERB,
                {"bureau": view.bureau, "department": view.department, "etag": view.etag or ""},
                style="positive",
            )
        )
    actions += [submit_action("自己評価に戻る", SELF_VERB), menu_action()]
    return adaptive_card(body, actions)


def tools_card(tools: tuple[str, ...], *, message: str = "", error: str = "", value: str = "") -> dict:
    body: list[dict] = [
        *header("ICTリテラシー: ツール一覧", "自己評価と必要人材の対象になるデジタルツール", ICON)
    ]
    if error:
        body.append(error_banner(error))
    elif message:
        body.append(notice(message))
    body.append(text_block("\n".join(f"- {t}" for t in tools)))
    body.append(
        {
            "type": "Input.Text",
            "id": TOOL_INPUT,
            "label": "ツールを追加",
            "maxLength": 40,
            "placeholder": "例: kintone",
            "value": value,
        }
    )
    return adaptive_card(
        body,
        [
            submit_action("追加する", ADD_TOOL_VERB, style="positive"),
            submit_action("自己評価に戻る", SELF_VERB),
            menu_action(),
        ],
    )


def personal_only_card() -> dict:
    """In a channel or group chat: the self-assessment and the department's people are personal."""
    body = [
        *header(TITLE, None, ICON),
        notice(
            "自己評価や部署の人材の状況は個人の情報のため、チャネルやグループチャットでは表示しません。"
            "ボットとの個人チャットで「リテラシー」と送ってください。"
        ),
    ]
    return adaptive_card(body, [menu_action()])
