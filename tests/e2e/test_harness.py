"""The harness's own helpers on cards the bot does not send yet (inputs, overflow menus).

A card is posted *as the bot* through the Playground's connector
(``PlaygroundAPI.inject_bot_message``); the user's click still goes to the real bot. What the
page sends is read from its invoke request, so these tests show that ``fill_number``,
``fill_text`` and ``click_card_button`` do what a person would do, before any programme card has
an input.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.support.playground import PlaygroundAPI

pytestmark = pytest.mark.e2e

FORM = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [
        {
            "type": "TextBlock",
            "text": "ハーネス確認フォーム",
            "size": "Large",
            "weight": "Bolder",
            "wrap": True,
        },
        {
            "type": "Input.Number",
            "id": "count",
            "label": "オンライン化件数",
            "min": 0,
            "isRequired": True,
            "errorMessage": "0以上の数を入れてください",
        },
        {"type": "Input.Text", "id": "note", "label": "備考"},
        {
            "type": "Input.ChoiceSet",
            "id": "unit",
            "label": "局・部",
            "style": "compact",
            "placeholder": "選ぶ",
            "choices": [
                {"title": "市長公室", "value": "office"},
                {"title": "健康福祉局/健康部", "value": "health"},
            ],
        },
        {
            "type": "Input.ChoiceSet",
            "id": "procedures",
            "label": "手続き",
            "style": "expanded",
            "isMultiSelect": True,
            "choices": [
                {"title": t, "value": v} for t, v in (("A手続", "a"), ("B手続", "b"), ("C手続", "c"))
            ],
        },
    ],
    "actions": [
        {
            "type": "Action.Execute",
            "title": f"ボタン{i}",
            "verb": f"harness.b{i}",
            "data": {"verb": f"harness.b{i}"},
        }
        for i in range(1, 8)
    ],
}


def test_fill_number_text_and_choices_reach_the_bot_in_the_action_data(playground):
    PlaygroundAPI(playground.server).inject_bot_message(card=FORM)
    form = playground.wait_for_card("ハーネス確認フォーム")
    playground.fill_number("オンライン化件数", 42, form)
    playground.fill_text("備考", "第3四半期分", form)
    playground.choose("局・部", "健康福祉局/健康部", form)
    playground.choose("手続き", "A手続", form)
    playground.choose("手続き", "C手続", form)
    assert playground.input_value("オンライン化件数", form) == "42"
    with playground.page.expect_request("**/_conversation/v1/invoke") as invoke:
        playground.click_card_button("ボタン1", form)
    action = json.loads(invoke.value.post_data or "{}")["value"]["action"]
    assert action["verb"] == "harness.b1"
    # Input.Number values arrive as strings (DESIGN §4)
    assert action["data"] == {
        "verb": "harness.b1",
        "count": "42",
        "note": "第3四半期分",
        "unit": "health",
        "procedures": "a,c",
    }


def test_click_card_button_opens_the_overflow_menu_for_hidden_buttons(playground):
    PlaygroundAPI(playground.server).inject_bot_message(card=FORM)
    form = playground.wait_for_card("ハーネス確認フォーム")
    playground.fill_number("オンライン化件数", 1, form)
    expect(form.get_by_role("button", name="ボタン7")).to_have_count(0)  # past the sixth: in "…"
    with playground.page.expect_request("**/_conversation/v1/invoke") as invoke:
        playground.click_card_button("ボタン7", form)
    assert json.loads(invoke.value.post_data or "{}")["value"]["action"]["verb"] == "harness.b7"
