"""Every sample card fits in one Teams message as the bot sends it (``cards.common.MAX_SEND_BYTES``,
checked again at send time by ``bot.handler.sendable``, which would swap a larger card for a short
one). Programmes' samples join through ``tests/cards/test_schema.every_card``."""

from __future__ import annotations

import pytest

from bot.adapter import turn_error_card
from cards.common import MAX_SEND_BYTES, card_send_bytes, input_refused_card, too_large_card
from tests.cards.test_schema import every_card, validator  # noqa: F401 - the schema fixture

CARDS = dict(every_card())


@pytest.mark.parametrize("name", list(CARDS))
def test_every_sample_card_fits_in_a_teams_message(name):
    assert card_send_bytes(CARDS[name]()) <= MAX_SEND_BYTES


@pytest.mark.parametrize("build", [too_large_card, input_refused_card, turn_error_card])
def test_the_cards_of_the_edge_are_short_and_valid(build, validator):  # noqa: F811
    card = build()
    assert card_send_bytes(card) < 2_000 and card["version"] == "1.5"
    assert not list(validator.iter_errors(card))
