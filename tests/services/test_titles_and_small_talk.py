"""Typed as the menu buttons show them, titles open their programme; small talk gets a kind reply."""

from __future__ import annotations

import pytest

from bot.programmes import PROGRAMMES
from services.kernel.programmes import ProgrammeInfo, match_programme, small_talk

INFOS = [p.info for p in PROGRAMMES]


@pytest.mark.parametrize("info", INFOS, ids=lambda i: i.key)
def test_every_title_opens_its_programme(info):
    assert match_programme(info.title, INFOS) == info.key
    assert match_programme(f"{info.icon} {info.title}", INFOS) == info.key  # the button's text


def test_a_title_is_a_keyword_even_when_the_registry_line_forgets_it():
    bare = ProgrammeInfo("x", "業務改善の取組", "🧪", "", keywords=("kaizen",))
    assert match_programme("業務改善の取組", [*INFOS, bare]) == "x"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("こんにちは", "greeting"),
        ("こんにちは！", "greeting"),
        ("ｺﾝﾆﾁﾊ", None),
        ("おはようございます", "greeting"),
        ("ありがとう", "thanks"),
        ("ありがとうございます。", "thanks"),
        ("Thank you!", "thanks"),
        ("お疲れさまです", "goodbye"),
        ("ありがとう オンライン化", None),
        ("オンライン化", None),
        ("", None),
    ],
)
def test_small_talk(text, kind):
    assert small_talk(text) == kind
