"""The seven programmes of the ICT Strategy HQ, and how a chat message picks one.

``ProgrammeInfo`` is a plain model the cards can render. The registry that ties each programme
to its dialog lives in ``bot/programmes.py``.

Keyword matching works on normalised text (NFKC, lower case, no spaces or punctuation) and on
whole words or prefixes. When several keywords match, the longest one wins, so the result never
depends on the order in which keywords are tested. A programme's title is always one of its
keywords (people type what the menu button says), whatever its registry line lists.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

MENU_KEYWORDS = ("メニュー", "menu", "ヘルプ", "help", "使い方", "はじめる", "start", "?", "？")


@dataclass(frozen=True)
class ProgrammeInfo:
    key: str
    title: str
    icon: str
    summary: str
    keywords: tuple[str, ...]
    available: bool = False


_SEPARATORS = re.compile(r"[\s\u3000、。，,．.!！?？:：;；/／・「」『』（）()\[\]【】]+")


def normalise(text: str) -> str:
    """NFKC, lower case, trimmed; full-width letters and digits become half-width."""
    return unicodedata.normalize("NFKC", text or "").strip().lower()


def words(text: str) -> list[str]:
    return [w for w in _SEPARATORS.split(normalise(text)) if w]


def _compact(text: str) -> str:
    return "".join(words(text))


def is_menu_request(text: str) -> bool:
    norm = normalise(text)
    if norm in {normalise(k) for k in MENU_KEYWORDS}:
        return True
    return any(w in {_compact(k) for k in MENU_KEYWORDS if _compact(k)} for w in words(text))


#: Small talk the bot answers kindly (whole messages only), by kind.
SMALL_TALK: dict[str, tuple[str, ...]] = {
    "greeting": (
        "こんにちは",
        "こんにちわ",
        "おはよう",
        "おはようございます",
        "こんばんは",
        "こんばんわ",
        "はじめまして",
        "よろしく",
        "よろしくお願いします",
        "よろしくお願いいたします",
        "hello",
        "hi",
    ),
    "thanks": (
        "ありがとう",
        "ありがとうございます",
        "ありがとうございました",
        "どうもありがとう",
        "助かりました",
        "助かります",
        "thanks",
        "thank you",
        "サンキュー",
    ),
    "goodbye": (
        "さようなら",
        "またね",
        "お疲れさま",
        "お疲れ様",
        "お疲れさまです",
        "お疲れ様です",
        "おつかれさま",
        "おつかれさまです",
        "失礼します",
        "bye",
    ),
}


def small_talk(text: str) -> str | None:
    """The kind of small talk the whole message is (``greeting``, ``thanks``, ``goodbye``), or None.
    Trailing punctuation, marks and repeated long vowels do not matter (「ありがとう！」「こんにちは〜」)."""
    compact = _compact(text).rstrip("~〜ー-♪☆★")
    for kind, phrases in SMALL_TALK.items():
        if compact and compact in {_compact(p) for p in phrases}:
            return kind
    return None


def match_programme(text: str, programmes: Iterable[ProgrammeInfo]) -> str | None:
    """The key of the programme the message asks for, or None.

    A keyword matches when it equals a word of the message, or when the message (or one of its
    words) starts with it: ``マイナンバー総点検`` and ``DX研修`` match, ``ABCDX`` does not.
    """
    candidates: list[tuple[int, str]] = []
    message_words = [w for w in words(text) if any(c.isalnum() for c in w)]  # no lone icons (📱)
    compact = "".join(message_words)
    for programme in programmes:
        for keyword in (programme.title, *programme.keywords):
            kw = _compact(keyword)
            if not kw:
                continue
            if compact.startswith(kw) or any(w.startswith(kw) for w in message_words):
                candidates.append((len(kw), programme.key))
    if not candidates:
        return None
    longest = max(length for length, _ in candidates)
    keys = sorted({key for length, key in candidates if length == longest})
    return keys[0] if len(keys) == 1 else None
