"""Every card the code can build, validated against the official Adaptive Cards 1.5 schema.

Each programme adds its cards to ``every_card()`` below, built from realistic (seed-sized or
larger) inputs so the size check means something.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from importlib import resources

import jsonschema
import pytest

from bot.programmes import PROGRAMMES
from cards.common import MAX_CARD_BYTES, card_size_bytes, error_banner, fact_set, header, submit_action
from cards.common import adaptive_card as build_card
from cards.menu import error_card, menu_card, not_allowed_card, preparing_card, unknown_command_hint
from tests.cards import people_samples

INFOS = [p.info for p in PROGRAMMES]


def every_card() -> Iterator[tuple[str, Callable[[], dict]]]:
    yield "menu", lambda: menu_card(INFOS)
    yield "menu+hint", lambda: menu_card(INFOS, unknown_command_hint("あいうえお" * 20))
    for info in INFOS:
        yield f"preparing:{info.key}", lambda info=info: preparing_card(info)
    yield "menu+admin", lambda: menu_card(INFOS, admin=True)
    yield "menu+registration-offer", lambda: menu_card(INFOS, registration="offer")
    yield "menu+registration-pending", lambda: menu_card(INFOS, registration="登録依頼を受け付けています（11月26日）。")
    yield from people_samples.cards()
    yield "not_allowed", lambda: not_allowed_card("四半期実績の更新", "その局の DX PRO と ICTイノベーション推進室")
    yield "error", lambda: error_card("入力内容を確認してください。")
    yield "building-blocks", lambda: build_card(
        [*header("見出し", "補足"), fact_set([("完了", "10件")]), error_banner("エラー")],
        [submit_action("送信", "demo.submit", {"x": 1})],
    )


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft6Validator:
    schema_text = resources.files("adaptive_cards").joinpath("schemas/schema-1.5.json").read_text(encoding="utf-8")
    schema = json.loads(schema_text)
    return jsonschema.Draft6Validator(schema)


@pytest.mark.parametrize(("name", "build"), list(every_card()), ids=[n for n, _ in every_card()])
def test_card_is_valid_adaptive_card_1_5(name, build, validator):
    card = build()
    errors = sorted(validator.iter_errors(card), key=lambda e: list(e.absolute_path))
    assert errors == [], [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    assert card.get("version") == "1.5"  # the schema does not require it
    assert card_size_bytes(card) < MAX_CARD_BYTES


def test_the_validator_rejects_a_broken_card(validator):
    broken = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock"}]}  # no text
    assert list(validator.iter_errors(broken))


def test_every_action_carries_a_verb():
    for name, build in every_card():
        text = json.dumps(build(), ensure_ascii=False)
        for action in _actions(json.loads(text)):
            if action["type"] in ("Action.Execute", "Action.Submit"):
                assert action.get("data", {}).get("verb"), f"{name}: an action without a verb"


def _actions(node) -> Iterator[dict]:
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("Action."):
            yield node
        for value in node.values():
            yield from _actions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _actions(item)
