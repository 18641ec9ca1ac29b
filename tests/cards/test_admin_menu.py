"""The admin menu as Teams shows it: at most six actions of a set are visible, the rest hide behind "…"."""

from __future__ import annotations

from cards.people import admin_home_card
from tests.cards.test_menu import MAX_VISIBLE_ACTIONS, action_sets


def test_every_admin_menu_button_is_visible_without_the_overflow_menu():
    card = admin_home_card([], [], dx_department_target=72)
    sets = action_sets(card)
    assert all(len(actions) <= MAX_VISIBLE_ACTIONS for actions in sets)
    titles = [a["title"] for actions in sets for a in actions]
    assert "チャネル登録" in titles and "メニューに戻る" in titles
