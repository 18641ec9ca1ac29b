"""The cards of files delivered in Teams (file consent, DESIGN §4b): what the user sees where they
pressed an 「Excel で受け取る」 button. The consent card itself and the file info card are Teams
attachments, not Adaptive Cards; ``bot/file_delivery.py`` builds those."""

from __future__ import annotations

from datetime import datetime

from cards.common import adaptive_card, header, japanese_date, menu_action, notice, text_block

ICON = "📎"


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} バイト"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def _until(moment: datetime) -> str:
    return f"{japanese_date(moment.date())} {moment:%H:%M}"


def file_offered_card(name: str, size: int, expires: datetime, *, elsewhere: bool) -> dict:
    """The consent card went to the user's 1:1 chat (``elsewhere``: from a channel or group chat)."""
    where = "ボットとの個人チャットに" if elsewhere else "このチャットに"
    body = [
        *header("Excel ファイルをお送りします", name, ICON),
        text_block(
            f"{where}「{name}」（約 {_size(size)}）の受け取り確認をお送りしました。"
            "「許可」を押すと、あなたの OneDrive（「Microsoft Teams チャット ファイル」フォルダー）に"
            "保存され、リンクが個人チャットに届きます。"
        ),
        text_block("ファイルは「許可」を押した時点のデータで作成します。", size="Small", isSubtle=True),
        notice(f"受け取り確認の期限: {_until(expires)}（過ぎたら、もう一度ボタンを押してください）"),
    ]
    if elsewhere:
        body.insert(2, text_block("ファイルはほかの方には見えません。", size="Small", isSubtle=True))
    return adaptive_card(body, [menu_action()])


def personal_chat_needed_card(name: str) -> dict:
    """Asked in a channel or group chat by somebody who never opened the 1:1 chat with the bot."""
    body = [
        *header("個人チャットでお渡しします", name, ICON),
        text_block(
            "Excel ファイルは、ボットとの個人チャットでだけお渡しできます（チャネルやグループ チャットでは"
            "ファイルを送れません）。まだ個人チャットを開いたことがないようです。"
        ),
        text_block(
            "1. Teams 左側の「チャット」で「新しいチャット」を開き、宛先に「ICT推進ボット」と入力します。\n"
            "2. 個人チャットで「こんにちは」などと送ります。\n"
            "3. もう一度このボタンを押すと、個人チャットに受け取り確認が届きます。"
        ),
    ]
    return adaptive_card(body, [menu_action()])


def file_unavailable_card(name: str, reason: str) -> dict:
    """The offer could not be sent (e.g. the personal chat no longer takes the bot's messages)."""
    body = [*header("Excel ファイルをお送りできませんでした", name, ICON), text_block(reason)]
    return adaptive_card(body, [menu_action()])
