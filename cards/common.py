"""Shared Adaptive Card building blocks. Every function returns plain dicts (schema 1.5).

Cards are pure: no I/O, no botbuilder. Dialogs send what these functions return.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

CARD_VERSION = "1.5"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_CARD_BYTES = 40 * 1024  # Teams rejects large messages (413); UTF-16 counts 2 bytes a character
# What Teams takes in one message: about 28 KB of the activity's JSON (UTF-8). The bot checks every
# card against it where it sends (bot.handler.sendable) and sends a short card instead of one
# Teams would refuse.
MAX_SEND_BYTES = 27 * 1024
MENU_VERB = "menu.show"
WEEKDAYS = "月火水木金土日"


def adaptive_card(body: list[dict], actions: list[dict] | None = None, **extra: Any) -> dict:
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
    }
    if actions:
        card["actions"] = actions
    card.update(extra)
    return card


def card_size_bytes(card: dict) -> int:
    """Size as Teams counts it: the JSON text in UTF-16."""
    return len(json.dumps(card, ensure_ascii=False).encode("utf-16-le"))


def card_send_bytes(card: dict) -> int:
    """Size of the card's JSON as it travels (UTF-8)."""
    return len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def clip(value: object, limit: int) -> str:
    """``value`` as text cut to ``limit`` characters (with "…" when cut): for echoing input."""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def too_large_card() -> dict:
    """Sent instead of a card Teams would refuse."""
    return adaptive_card(
        [
            *header("表示できません"),
            text_block(
                "表示する内容が多すぎるため、このカードを送れませんでした。条件を絞るか、"
                "メニューからやり直してください。解決しない場合は ICTイノベーション推進室に"
                "お問い合わせください。"
            ),
        ],
        [menu_action()],
    )


def input_refused_card() -> dict:
    """The answer to a card action the bot cannot read (wrong types, too long): nothing was saved."""
    return adaptive_card(
        [
            *header("入力内容を確認してください"),
            text_block(
                "送信された内容を読み取れなかったため、何も保存していません。入力が長すぎるか、"
                "古いカードのボタンの可能性があります。メニューからもう一度操作してください。"
            ),
        ],
        [menu_action()],
    )


def stored_if_changed(current: Mapping[str, str], typed: Mapping[str, str], field: str) -> str | None:
    """After a conflict: the value stored now for ``field`` when it differs from what was typed
    (both stripped), else None. The card shows it under the input, in its own words."""
    if field not in current:
        return None
    stored = current[field].strip()
    return None if stored == typed.get(field, "").strip() else stored


def stored_value_note(shown: str) -> dict:
    """The small line 「保存されている値: …」 under an input after a conflict."""
    return text_block(
        f"保存されている値: {shown or '（未入力）'}", isSubtle=True, size="Small", spacing="None"
    )


def text_block(text: str, **props: Any) -> dict:
    return {"type": "TextBlock", "text": text, "wrap": True, **props}


def header(title: str, subtitle: str | None = None, icon: str | None = None) -> list[dict]:
    heading = f"{icon} {title}" if icon else title
    blocks = [text_block(heading, size="Large", weight="Bolder", style="heading")]
    if subtitle:
        blocks.append(text_block(subtitle, isSubtle=True, spacing="None"))
    return blocks


def fact_set(facts: list[tuple[str, str]]) -> dict:
    return {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in facts]}


def error_banner(message: str) -> dict:
    return {
        "type": "Container",
        "style": "attention",
        "items": [text_block(f"⚠️ {message}", weight="Bolder", color="Attention")],
    }


def notice(message: str) -> dict:
    return {"type": "Container", "style": "emphasis", "items": [text_block(message)]}


def submit_action(title: str, verb: str, data: dict | None = None, **props: Any) -> dict:
    """An ``Action.Execute`` (updates the card in place) with an ``Action.Submit`` fallback.

    Both carry the ``verb`` in their data, so the bot routes them the same way.
    """
    payload = {"verb": verb, **(data or {})}
    return {
        "type": "Action.Execute",
        "title": title,
        "verb": verb,
        "data": payload,
        "fallback": {"type": "Action.Submit", "title": title, "data": payload},
        **props,
    }


def menu_action(title: str = "メニューに戻る") -> dict:
    return submit_action(title, MENU_VERB)


def japanese_date(value: date) -> str:
    """``2026年11月26日（木）``"""
    return f"{value.year}年{value.month}月{value.day}日（{WEEKDAYS[value.weekday()]}）"


def fiscal_label(fiscal_year: int, quarter: int | None = None) -> str:
    """``令和8年度 第3四半期`` for fiscal year 2026, Q3 (the fiscal year starts in April)."""
    reiwa = fiscal_year - 2018
    year = "令和元年度" if reiwa == 1 else f"令和{reiwa}年度"
    return f"{year} 第{quarter}四半期" if quarter else year


# --- cards shared by everyone in a channel --------------------------------------------------------

#: Set in the data of every action of a card that everybody in a conversation shares (a delay alert
#: or a digest posted to a channel). The bot answers such a button with a NEW reply instead of
#: replacing the card, which in a channel would replace it for every member (and the alert and its
#: snooze field would be gone for everyone).
SHARED_CARD_KEY = "shared_card"


def shared_card(card: dict) -> dict:
    """A copy of ``card`` whose actions (fallbacks included) carry :data:`SHARED_CARD_KEY`."""
    import copy

    result = copy.deepcopy(card)

    def mark(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Action.") and isinstance(node.get("data"), dict):
                node["data"][SHARED_CARD_KEY] = "1"
            for value in node.values():
                mark(value)
        elif isinstance(node, list):
            for value in node:
                mark(value)

    mark(result)
    return result
