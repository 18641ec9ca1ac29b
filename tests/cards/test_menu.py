"""The menu card as a Teams client shows it (seen in the Agents Playground, tests/e2e)."""

from __future__ import annotations

from bot.programmes import PROGRAMMES
from cards.menu import ACTIONS_PER_SET, HELP_LINES, menu_card

INFOS = [p.info for p in PROGRAMMES]
MAX_VISIBLE_ACTIONS = 6  # Teams' host config; the Playground hides the seventh behind "…" too


def action_sets(card: dict) -> list[list[dict]]:
    return [item["actions"] for item in card["body"] if item.get("type") == "ActionSet"]


def test_every_menu_button_is_visible_without_the_overflow_menu():
    for admin in (False, True):
        sets = action_sets(menu_card(INFOS, admin=admin))
        assert all(len(actions) <= min(ACTIONS_PER_SET, MAX_VISIBLE_ACTIONS) for actions in sets)
        titles = [a["title"] for actions in sets for a in actions]
        assert titles[: len(INFOS)] == [f"{p.icon} {p.title}" for p in INFOS]
        assert ("🛠️ 管理メニュー" in titles) is admin
    assert "actions" not in menu_card(INFOS)  # no card-level actions to collapse either


def test_each_help_line_is_its_own_text_block():
    texts = [item.get("text") for item in menu_card(INFOS)["body"] if item.get("type") == "TextBlock"]
    for line in HELP_LINES:
        assert line in texts  # a single "\n" inside one TextBlock is no line break in Adaptive Cards
