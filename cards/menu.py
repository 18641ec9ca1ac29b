"""The programme menu (greeting, help) and the "being prepared" card."""

from __future__ import annotations

from collections.abc import Sequence

from cards.common import adaptive_card, clip, fact_set, header, menu_action, notice, submit_action, text_block
from services.kernel.programmes import ProgrammeInfo

GREETING = "こんにちは。ICT推進ボットです。堺市 ICT戦略推進本部の7つの取組の状況確認や更新ができます。"
HELP_LINES = (
    "・下のボタンから取組を選ぶか、「マイナンバー」「オンライン化」などのキーワードを送ってください。",
    "・いつでも「メニュー」と送るとこの画面に戻ります。",
    "・チャネルやグループチャットでは @ICT推進ボット を付けて話しかけてください。",
)


def open_verb(programme_key: str) -> str:
    return f"{programme_key}.open"


ADMIN_VERB = "admin.open"
ACTIONS_PER_SET = 4  # hosts collapse actions past their maximum (six in Teams) into a "…" menu
REGISTER_VERB = "register.open"


def menu_card(
    programmes: list[ProgrammeInfo],
    hint: str | None = None,
    *,
    admin: bool = False,
    registration: str | None = None,
) -> dict:
    """The main menu. ``admin`` adds the admin menu button (administrators only);
    ``registration`` is ``"offer"`` for people not on the roster, or a note that their request is
    pending."""
    body = [*header("ICT推進ボット", "堺市 ICTイノベーション推進室"), text_block(GREETING)]
    if hint:
        body.append(notice(hint))
    if registration == "offer":
        body.append(
            {
                "type": "Container",
                "style": "emphasis",
                "items": [
                    text_block(
                        "名簿に登録されていないため、職員として表示しています。DX PRO・局担当・管理職として"
                        "使うには、管理者に登録を依頼してください。"
                    ),
                    {"type": "ActionSet", "actions": [submit_action("登録を依頼する", REGISTER_VERB)]},
                ],
            }
        )
    elif registration:
        body.append(notice(registration))
    # One TextBlock a line: in Adaptive Card markdown a single "\n" is no line break, and the
    # Agents Playground ran the three lines together.
    body.extend(text_block(line, isSubtle=True, size="Small", spacing="None") for line in HELP_LINES)
    body[-len(HELP_LINES)]["spacing"] = "Default"
    actions = [submit_action(f"{p.icon} {p.title}", open_verb(p.key)) for p in programmes]
    if admin:
        actions.append(submit_action("🛠️ 管理メニュー", ADMIN_VERB))
    # Teams and the Playground show at most six actions of a set and hide the rest behind "…",
    # where nobody finds デジタル・ディバイド対策 or 管理メニュー: short sets show every button.
    for start in range(0, len(actions), ACTIONS_PER_SET):
        body.append({"type": "ActionSet", "actions": actions[start : start + ACTIONS_PER_SET]})
    return adaptive_card(body)


SMALL_TALK_REPLIES = {  # services.kernel.programmes.small_talk kinds
    "greeting": "こんにちは！ご用件を下のボタンから選ぶか、「オンライン化」"
    "などのキーワードを送ってください。",
    "thanks": "どういたしまして。ほかにもご用があれば、下のボタンから選んでください。",
    "goodbye": "お疲れさまでした。いつでも「メニュー」と送ると、この画面を開けます。",
}


def files_help_card(accepted: Sequence[tuple[str, str]]) -> dict:
    """For someone who sent a file the bot does not take from them: what files it takes, from whom."""
    body = [
        *header("ファイルは受け取っていません", icon="📎"),
        text_block(
            "お送りいただいたファイルは開いておらず、保存もしていません。"
            "このボットがファイルを受け取るのは、ボットとの個人チャットに添付された次のファイルだけです。"
        ),
        fact_set([(what, f"{who}から") for what, who in accepted]),
        text_block(
            "名簿・組織や表の変更が必要な場合は、ICTイノベーション推進室（管理者）にご相談ください。"
            "取組の状況の確認や入力は、メニューのボタンから行えます。",
            isSubtle=True,
        ),
    ]
    return adaptive_card(body, [menu_action()])


def preparing_card(programme: ProgrammeInfo) -> dict:
    body = [
        *header(programme.title, icon=programme.icon),
        text_block(programme.summary),
        notice("この取組のメニューは現在準備中です。公開まで今しばらくお待ちください。"),
    ]
    return adaptive_card(body, [menu_action()])


def unknown_command_hint(text: str) -> str:
    shown = text if len(text) <= 30 else text[:30] + "…"
    return f"「{shown}」に対応するメニューが見つかりませんでした。下のボタンから選んでください。"


def not_allowed_card(what: str, who: str) -> dict:
    body = [
        *header("操作できません"),
        text_block(
            f"{clip(what, 200)}は、{clip(who, 200)}のみが行えます。"
            "必要な場合は ICTイノベーション推進室にご相談ください。"
        ),
    ]
    return adaptive_card(body, [menu_action()])


def error_card(message: str) -> dict:
    body = [*header("エラーが発生しました"), text_block(message)]
    return adaptive_card(body, [menu_action()])
