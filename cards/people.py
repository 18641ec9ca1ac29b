"""Cards for people and permissions: the admin menu, roles, a person, registration requests,
the audit trail, imports; and the registration card for people not on the roster."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from cards.common import (
    MAX_CARD_BYTES,
    adaptive_card,
    card_size_bytes,
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
from cards.menu import ACTIONS_PER_SET, ADMIN_VERB, REGISTER_VERB
from cards.proactive import CHANNELS_VERB, JOBS_VERB
from services.audit.models import AuditEntry
from services.people.identity import ROLE_LABELS, OrgUnit, Person, RegistrationRequest, Role

ADMIN_OPEN = ADMIN_VERB
ADMIN_ROLES = "admin.roles"
ADMIN_FIND = "admin.find"
ADMIN_PERSON = "admin.person"
ADMIN_GRANT = "admin.grant"
ADMIN_REVOKE = "admin.revoke"
ADMIN_APPROVE = "admin.approve"
ADMIN_REJECT = "admin.reject"
ADMIN_REQUESTS = "admin.requests"
ADMIN_REVIEW = "admin.review"
ADMIN_AUDIT = "admin.audit"
ADMIN_EXPORT = "admin.export"
ADMIN_ROSTER_EXPORT = "admin.roster_export"
ADMIN_IMPORT = "admin.import"
REGISTER_OPEN = REGISTER_VERB
REGISTER_SUBMIT = "register.submit"

#: The roles an administrator grants (staff is everybody's, implicitly).
GRANTABLE = (Role.DX_PRO, Role.BUREAU_CONTACT, Role.MANAGER, Role.ADMIN)
_SHOWN_PER_ROLE = 40
_SHOWN_REQUESTS = 5
_SHOWN_REQUESTS_LIST = 15


def _time(value) -> str:
    return f"{japanese_date(value.date())} {value:%H:%M}"


def unit_choices(units: Sequence[OrgUnit], *, budget_bytes: int = 16 * 1024) -> list[dict[str, str]]:
    """Choices for a unit picker: bureaus and departments, and sections while they fit."""
    choices = [{"title": u.path, "value": u.path} for u in units if u.level <= 2]
    sections = [{"title": u.path, "value": u.path} for u in units if u.level == 3]
    if card_size_bytes({"c": choices + sections}) <= budget_bytes:
        choices += sections
    return choices


def _unit_picker(
    input_id: str, units: Sequence[OrgUnit], label: str, value: str = "", *, required: bool = False
) -> dict:
    picker = {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": label,
        "style": "compact",
        "choices": unit_choices(units),
        "placeholder": "局・部を選んでください",
    }
    if value:
        picker["value"] = value
    if required:
        picker.update(isRequired=True, errorMessage=f"{label}を選んでください")
    return picker


def _role_picker(input_id: str, value: str = "") -> dict:
    picker = {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": "ロール",
        "style": "compact",
        "choices": [{"title": ROLE_LABELS[r], "value": r.value} for r in (*GRANTABLE, Role.STAFF)],
        "value": value or Role.DX_PRO.value,
    }
    return picker


def _reason_input(input_id: str = "reason", value: str = "") -> dict:
    return {
        "type": "Input.Text",
        "id": input_id,
        "label": "理由（変更履歴に残ります）",
        "value": value,
        "placeholder": "例: 令和8年4月の人事異動による",
        "maxLength": 200,
    }


# --- the admin menu ------------------------------------------------------------------------------


def _of_target(count: int, target: int | None) -> str:
    """``12 / 72部署``: the target is the seed's count of DX selection meetings (none without the seed)."""
    return f"{count} / {target}部署" if target is not None else f"{count}部署"


def admin_home_card(
    people: Sequence[Person],
    requests: Sequence[RegistrationRequest],
    *,
    dx_department_target: int | None,
    message: str | None = None,
    error: str | None = None,
) -> dict:
    counts = {role: sum(1 for p in people if p.has(role)) for role in GRANTABLE}
    dx_departments = {s.path for p in people for s in p.scopes(Role.DX_PRO)}
    body: list[dict] = [*header("管理メニュー", "ICTイノベーション推進室（管理者のみ）", "🛠️")]
    if error:
        body.append(error_banner(error))
    if message:
        body.append(notice(message))
    body.append(
        fact_set(
            [
                ("名簿の登録者", f"{len(people)}人"),
                *[(ROLE_LABELS[r], f"{counts[r]}人") for r in GRANTABLE],
                ("DX PRO のいる部", _of_target(len(dx_departments), dx_department_target)),
                ("未処理の登録依頼", f"{len(requests)}件"),
            ]
        )
    )
    if requests:
        body.append(text_block("登録依頼", weight="Bolder", size="Medium", separator=True))
        body += [_request_block(r) for r in requests[:_SHOWN_REQUESTS]]
        if len(requests) > _SHOWN_REQUESTS:
            body.append(
                text_block(
                    f"ほか {len(requests) - _SHOWN_REQUESTS}件は「登録依頼の一覧」で確認できます。",
                    isSubtle=True,
                )
            )
    body += [
        text_block("職員を探す", weight="Bolder", size="Medium", separator=True),
        {
            "type": "Input.Text",
            "id": "query",
            "label": "氏名またはオブジェクトID",
            "placeholder": "例: 健康 花子",
        },
        {"type": "ActionSet", "actions": [submit_action("探す", ADMIN_FIND)]},
    ]
    actions = [
        submit_action("ロール一覧", ADMIN_ROLES),
        submit_action("登録依頼の一覧", ADMIN_REQUESTS),
        submit_action("変更履歴", ADMIN_AUDIT),
        submit_action("変更履歴の書き出し", ADMIN_EXPORT),
        submit_action("組織・名簿の取り込み", ADMIN_IMPORT),
        submit_action("名簿を Excel で受け取る", ADMIN_ROSTER_EXPORT),
        submit_action("定時の通知", JOBS_VERB),
        submit_action("チャネル登録", CHANNELS_VERB),
        menu_action(),
    ]
    # Teams shows at most six actions of a set and hides the rest behind "…" (see cards.menu).
    for start in range(0, len(actions), ACTIONS_PER_SET):
        body.append(
            {
                "type": "ActionSet",
                "actions": actions[start : start + ACTIONS_PER_SET],
                "separator": start == 0,
            }
        )
    return adaptive_card(body)


def _request_block(request: RegistrationRequest) -> dict:
    facts = [
        ("依頼日時", _time(request.requested_at)),
        ("希望の所属", request.requested_unit or "（未記入）"),
    ]
    if request.message:
        facts.append(("メッセージ", request.message))
    return {
        "type": "Container",
        "style": "emphasis",
        "separator": True,
        "items": [
            text_block(f"{request.name}（{request.object_id}）", weight="Bolder"),
            fact_set(facts),
            {
                "type": "ActionSet",
                "actions": [
                    submit_action("確認して承認・却下", ADMIN_REVIEW, {"object_id": request.object_id})
                ],
            },
        ],
    }


def review_card(
    request: RegistrationRequest,
    units: Sequence[OrgUnit],
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> dict:
    """One registration request: pick the person's unit and role, then approve or reject. The
    actions carry the request's ETag: if another admin handled it meanwhile, nothing happens."""
    form = form or {}
    requested = request.requested_unit if any(u.path == request.requested_unit for u in units) else ""
    data = {"object_id": request.object_id, "etag": request.etag or ""}
    body: list[dict] = [*header("登録依頼の確認", f"{request.name}（{request.object_id}）", "📝")]
    if error:
        body.append(error_banner(error))
    facts = [
        ("依頼日時", _time(request.requested_at)),
        ("希望の所属", request.requested_unit or "（未記入）"),
    ]
    if request.message:
        facts.append(("メッセージ", request.message))
    body += [
        fact_set(facts),
        _unit_picker("unit", units, "所属", form.get("unit", requested)),
        _role_picker("role", form.get("role", Role.STAFF.value)),
        _unit_picker("scope", units, "ロール対象（DX PRO・局担当・管理職のとき）", form.get("scope", "")),
        _reason_input("reason", form.get("reason", "")),
        {
            "type": "ActionSet",
            "actions": [
                submit_action("承認して登録", ADMIN_APPROVE, data, style="positive"),
                submit_action("却下", ADMIN_REJECT, data, style="destructive"),
            ],
        },
    ]
    return adaptive_card(
        body, [submit_action("登録依頼の一覧", ADMIN_REQUESTS), submit_action("管理メニュー", ADMIN_OPEN)]
    )


def requests_card(
    requests: Sequence[RegistrationRequest], *, message: str | None = None, error: str | None = None
) -> dict:
    body: list[dict] = [*header("登録依頼", f"未処理 {len(requests)}件", "📝")]
    if error:
        body.append(error_banner(error))
    if message:
        body.append(notice(message))
    if not requests:
        body.append(text_block("未処理の登録依頼はありません。"))
    body += [_request_block(r) for r in requests[:_SHOWN_REQUESTS_LIST]]
    if len(requests) > _SHOWN_REQUESTS_LIST:
        body.append(
            text_block(
                f"ほか {len(requests) - _SHOWN_REQUESTS_LIST}件あります。"
                "上の依頼を処理すると次が表示されます。",
                isSubtle=True,
            )
        )
    return adaptive_card(body, [submit_action("管理メニュー", ADMIN_OPEN), menu_action()])


# --- roles and people ----------------------------------------------------------------------------


def roles_card(people: Sequence[Person], *, dx_department_target: int | None) -> dict:
    body: list[dict] = [*header("ロール一覧", "誰がどのロールを持っているか", "👥")]
    for role in GRANTABLE:
        holders = [(p, g) for p in people for g in p.grants if g.role is role]
        body.append(
            text_block(
                f"{ROLE_LABELS[role]}（{len(holders)}件）", weight="Bolder", size="Medium", separator=True
            )
        )
        if not holders:
            body.append(text_block("まだいません。", isSubtle=True))
            continue
        facts = [(p.name, g.scope.path if g.scope else "市全体") for p, g in holders[:_SHOWN_PER_ROLE]]
        body.append(fact_set(facts))
        if len(holders) > _SHOWN_PER_ROLE:
            body.append(
                text_block(
                    f"ほか {len(holders) - _SHOWN_PER_ROLE}件（CLI の `list --role {role.value}` で全件）",
                    isSubtle=True,
                )
            )
    dx = {s.path for p in people for s in p.scopes(Role.DX_PRO)}
    body.append(text_block(f"DX PRO のいる部: {_of_target(len(dx), dx_department_target)}", isSubtle=True))
    body.append(
        text_block(
            "ロールを変更するには、管理メニューの「職員を探す」から職員を開いてください。", isSubtle=True
        )
    )
    return adaptive_card(body, [submit_action("管理メニュー", ADMIN_OPEN), menu_action()])


def people_list_card(query: str, found: Sequence[Person]) -> dict:
    body: list[dict] = [
        *header("職員を探す", f"「{clip(query, 50)}」の検索結果: {len(found)}人" if query else "登録者", "🔎")
    ]
    if not found:
        body.append(
            text_block("該当する職員は名簿にいません。名簿の取り込みか、登録依頼の承認で追加できます。")
        )
    for person in found:
        body.append(
            {
                "type": "ColumnSet",
                "separator": True,
                "columns": [
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [
                            text_block(person.name, weight="Bolder"),
                            text_block(
                                f"{person.unit.path if person.unit else '所属未設定'}"
                                f" ・ {person.roles_label}",
                                isSubtle=True,
                                spacing="None",
                                size="Small",
                            ),
                        ],
                    },
                    {
                        "type": "Column",
                        "width": "auto",
                        "verticalContentAlignment": "Center",
                        "items": [
                            {
                                "type": "ActionSet",
                                "actions": [
                                    submit_action("開く", ADMIN_PERSON, {"object_id": person.object_id})
                                ],
                            },
                        ],
                    },
                ],
            }
        )
    return adaptive_card(body, [submit_action("管理メニュー", ADMIN_OPEN), menu_action()])


def person_card(
    person: Person,
    units: Sequence[OrgUnit],
    *,
    message: str | None = None,
    error: str | None = None,
    form: dict[str, Any] | None = None,
) -> dict:
    """One person's roles, with a revoke button per role and a form to grant one. Every action
    carries the ETag the admin saw, so a concurrent change is detected."""
    form = form or {}
    data = {"object_id": person.object_id, "etag": person.etag or ""}
    body: list[dict] = [*header(person.name, person.object_id, "👤")]
    if error:
        body.append(error_banner(error))
    if message:
        body.append(notice(message))
    facts = [("所属", person.unit.path if person.unit else "（未設定）"), ("ロール", person.roles_label)]
    if person.job_title:
        facts.append(("役職", person.job_title))
    body.append(fact_set(facts))
    if person.grants:
        body.append(text_block("付与されているロール", weight="Bolder", separator=True))
    for grant in sorted(person.grants):
        revoke = {**data, "role": grant.role.value, "scope": grant.scope.path if grant.scope else ""}
        body.append(
            {
                "type": "ColumnSet",
                "columns": [
                    {
                        "type": "Column",
                        "width": "stretch",
                        "verticalContentAlignment": "Center",
                        "items": [text_block(grant.label)],
                    },
                    {
                        "type": "Column",
                        "width": "auto",
                        "items": [
                            {
                                "type": "ActionSet",
                                "actions": [
                                    submit_action("取り消す", ADMIN_REVOKE, revoke, style="destructive")
                                ],
                            }
                        ],
                    },
                ],
            }
        )
    body += [
        text_block("ロールを付与する", weight="Bolder", separator=True),
        _role_picker("role", form.get("role", "")),
        _unit_picker("scope", units, "ロール対象（管理者は不要）", form.get("scope", "")),
        _reason_input("reason", form.get("reason", "")),
        {"type": "ActionSet", "actions": [submit_action("付与する", ADMIN_GRANT, data, style="positive")]},
    ]
    actions = [
        submit_action("変更履歴", ADMIN_AUDIT, {"entity_kind": "person", "entity_id": person.object_id}),
        submit_action("管理メニュー", ADMIN_OPEN),
        menu_action(),
    ]
    return adaptive_card(body, actions)


# --- the audit trail -----------------------------------------------------------------------------


def describe_value(value: Any, limit: int = 160) -> str:
    """A short Japanese rendering of an audited value."""
    if value is None:
        return "（なし）"
    if isinstance(value, dict) and "roles" in value:
        roles = [
            f"{ROLE_LABELS.get(Role(r['role']), r['role'])}" + (f"（{r['scope']}）" if r.get("scope") else "")
            for r in value.get("roles", [])
            if r.get("role") in Role._value2member_map_
        ]
        text = f"{value.get('name', '')} / {value.get('unit') or '所属なし'} / {'、'.join(roles) or '職員'}"
    elif isinstance(value, dict):
        text = "、".join(f"{k}: {v}" for k, v in value.items())
    else:
        text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "…"


def audit_card(entries: Sequence[AuditEntry], *, subject: str | None = None) -> dict:
    title = f"変更履歴: {subject}" if subject else "変更履歴（最近の変更）"
    body: list[dict] = [*header(title, "誰が・いつ・何を変えたか（日本時間）", "📜")]
    if not entries:
        body.append(text_block("記録された変更はありません。"))
    for entry in entries:
        items = [
            text_block(f"{_time(entry.at)}　{entry.actor_name}", weight="Bolder", size="Small"),
            text_block(f"{entry.entity_label}「{entry.entity_id}」: {entry.operation_label}", spacing="None"),
        ]
        if entry.operation != "compensation":
            items.append(
                text_block(
                    f"変更前: {describe_value(entry.before)}\n\n変更後: {describe_value(entry.after)}",
                    size="Small",
                    isSubtle=True,
                    spacing="None",
                )
            )
        if entry.reason:
            items.append(text_block(f"理由: {entry.reason}", size="Small", spacing="None"))
        block = {"type": "Container", "separator": True, "items": items}
        if card_size_bytes(adaptive_card([*body, block])) > MAX_CARD_BYTES - 4096:
            body.append(
                text_block("（これより前の変更は Excel に書き出して確認してください）", isSubtle=True)
            )
            break
        body.append(block)
    return adaptive_card(
        body,
        [
            submit_action("変更履歴の書き出し", ADMIN_EXPORT),
            submit_action("管理メニュー", ADMIN_OPEN),
            menu_action(),
        ],
    )


def export_card(start: date, end: date, count: int | None = None, *, error: str | None = None) -> dict:
    """Pick a period; with ``count``, say how many entries it has and offer the .xlsx in Teams."""
    body: list[dict] = [*header("変更履歴の書き出し", "期間を選んで件数を確認します", "📤")]
    if error:
        body.append(error_banner(error))
    body += [
        {
            "type": "Input.Date",
            "id": "from",
            "label": "開始日",
            "value": start.isoformat(),
            "isRequired": True,
            "errorMessage": "開始日を選んでください",
        },
        {
            "type": "Input.Date",
            "id": "to",
            "label": "終了日（この日を含む）",
            "value": end.isoformat(),
            "isRequired": True,
            "errorMessage": "終了日を選んでください",
        },
        {"type": "ActionSet", "actions": [submit_action("件数を確認", ADMIN_EXPORT, {"count": True})]},
    ]
    if count is not None:
        body += [
            notice(f"{japanese_date(start)}から{japanese_date(end)}までの変更履歴は {count}件です。"),
            text_block(
                "「Excel で受け取る」を押すと、ボットとの個人チャットに"
                "Excel ファイルの受け取り確認をお送りします"
                "（マイナンバーに見える12桁の数字は伏せ字で記録されています）。"
            ),
            {
                "type": "ActionSet",
                "actions": [submit_action("Excel で受け取る", ADMIN_EXPORT, {"deliver": True})],
            },
        ]
    return adaptive_card(body, [submit_action("管理メニュー", ADMIN_OPEN), menu_action()])


# --- imports -------------------------------------------------------------------------------------

ORG_HEADER = "局,部,課・室"
ROSTER_HEADER = "オブジェクトID,氏名,局,部,課・室,ロール,ロール対象"


def import_help_card() -> dict:
    body = [
        *header("組織・名簿の取り込み", "Excel（.xlsx）または CSV（UTF-8）", "📥"),
        text_block(
            "このチャットに、ファイルを添付して送ってください。1行目（見出し）で組織か名簿かを判別します。"
            "問題が1つでもあれば何も取り込まず、行番号と列名でお知らせします。同じファイルを何度取り込んでも結果は同じです。"
        ),
        text_block("組織ファイル", weight="Bolder", separator=True),
        {"type": "TextBlock", "text": ORG_HEADER, "fontType": "Monospace", "wrap": True},
        text_block(
            "局だけの行は局、局と部の行は部、3つとも書いた行は課・室です。ファイルにない部・課・室は削除されます"
            "（資料の22局・室は常に残ります）。",
            size="Small",
        ),
        text_block("名簿ファイル", weight="Bolder", separator=True),
        {"type": "TextBlock", "text": ROSTER_HEADER, "fontType": "Monospace", "wrap": True},
        text_block(
            "ロールは 管理者・局担当・DX PRO・管理職・職員 のいずれか（1行に1つ。同じ人の行を複数書けます）。"
            "ロール対象は「局」「局/部」「局/部/課・室」。空欄なら DX PRO は本人の部、"
            "局担当と管理職は本人の局です。"
            "ファイルに載っている人のロールはファイルの内容に置き換わります。",
            size="Small",
        ),
        text_block(
            "サーバーでは `python -m services.people "
            "import-org FILE` / `import-roster FILE` でも取り込めます。",
            size="Small",
            isSubtle=True,
        ),
    ]
    return adaptive_card(body, [submit_action("管理メニュー", ADMIN_OPEN), menu_action()])


def import_result_card(
    file_name: str, summary: str, details: Sequence[str] = (), *, problems: Sequence[str] = ()
) -> dict:
    if problems:
        body = [
            *header("取り込めませんでした", file_name, "⚠️"),
            error_banner(f"{len(problems)}件の問題があったため、何も取り込んでいません。"),
            text_block(
                "\n".join(f"- {p}" for p in problems[:30])
                + (f"\n- ほか {len(problems) - 30}件" if len(problems) > 30 else "")
            ),
            text_block("ファイルを直して、もう一度送ってください。", isSubtle=True),
        ]
    else:
        body = [*header("取り込みました", file_name, "✅"), notice(summary)]
        body += [text_block(d, size="Small") for d in details]
    return adaptive_card(
        body,
        [submit_action("ロール一覧", ADMIN_ROLES), submit_action("管理メニュー", ADMIN_OPEN), menu_action()],
    )


# --- registration (people not on the roster) -----------------------------------------------------


def registration_card(
    units: Sequence[OrgUnit], *, name: str, error: str | None = None, form: dict[str, str] | None = None
) -> dict:
    form = form or {}
    body: list[dict] = [*header("名簿への登録依頼", "ICTイノベーション推進室（管理者）に送ります", "📝")]
    if error:
        body.append(error_banner(error))
    body += [
        text_block(
            f"{name} さんは、まだボットの名簿に登録されていません。今は「職員」として、取組の情報や"
            "ご自身の研修記録を見ることができます。DX PRO・局担当などとして入力するには、"
            "登録を依頼してください。"
        ),
        _unit_picker("unit", units, "所属（局・部）", form.get("unit", ""), required=True),
        {
            "type": "Input.Text",
            "id": "message",
            "label": "管理者へのメッセージ（任意）",
            "isMultiline": True,
            "maxLength": 500,
            "value": form.get("message", ""),
            "placeholder": "例: 健康部の DX PRO になりました。",
        },
    ]
    return adaptive_card(
        body, [submit_action("登録を依頼する", REGISTER_SUBMIT, style="positive"), menu_action()]
    )


def registration_sent_card(request: RegistrationRequest, *, already: bool = False) -> dict:
    text = (
        "登録依頼はすでに受け付けています。" if already else "登録依頼を送りました。"
    ) + "管理者が承認すると、ロールに応じたメニューが使えるようになります。それまでは職員として利用できます。"
    body = [
        *header("登録依頼を受け付けました", icon="📨"),
        notice(text),
        fact_set(
            [("依頼日時", _time(request.requested_at)), ("所属", request.requested_unit or "（未記入）")]
        ),
    ]
    return adaptive_card(body, [menu_action()])


def registration_alert_card(request: RegistrationRequest) -> dict:
    """What administrators receive (proactively) when somebody asks to be registered."""
    facts = [
        ("氏名", request.name),
        ("所属", request.requested_unit or "（未記入）"),
        ("依頼日時", _time(request.requested_at)),
    ]
    if request.message:
        facts.append(("メッセージ", request.message))
    body = [
        *header("名簿への登録依頼が届きました", icon="🔔"),
        text_block(
            "あなたが ICT推進ボットの管理者なので、このお知らせが届いています。管理メニューの登録依頼から"
            "承認（ロールの付与）または却下してください。"
        ),
        fact_set(facts),
    ]
    return adaptive_card(body, [submit_action("登録依頼を開く", ADMIN_REQUESTS)])


def registration_approved_card(person: Person) -> dict:
    """What the requester receives (proactively) when an administrator approves."""
    body = [
        *header("名簿に登録されました", icon="🎉"),
        notice(f"{person.name} さんを ICT推進ボットの名簿に登録しました。"),
        fact_set(
            [("所属", person.unit.path if person.unit else "（未設定）"), ("ロール", person.roles_label)]
        ),
        text_block("メニューから、ロールに応じた取組の確認・入力ができます。"),
    ]
    return adaptive_card(body, [menu_action("メニューを開く")])
