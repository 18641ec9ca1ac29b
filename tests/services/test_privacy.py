import pytest

from services.kernel.privacy import (
    check_digit,
    contains_my_number,
    is_valid_my_number,
    mask_my_number,
    mask_value,
)


def test_check_digit_follows_design_example():
    assert check_digit("12345678901") == 8
    assert is_valid_my_number("123456789018")
    assert not is_valid_my_number("123456789011")
    assert is_valid_my_number("１２３４ ５６７８ ９０１８")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("123456789018", "********9018"),
        ("番号は123456789011です", "番号は********9011です"),  # wrong check digit: masked all the same
        ("１２３４５６７８９０１８", "********9018"),  # full-width
        ("1234 5678 9018", "********9018"),
        ("1234-5678-9018", "********9018"),
        ("１２３４－５６７８－９０１８", "********9018"),  # full-width hyphen
        ("1234ー5678ー9018", "********9018"),  # katakana long mark as a dash
        ("1234\u30005678\u30009018", "********9018"),  # ideographic spaces
        ("a: 123456789018, b: 210987654321", "a: ********9018, b: ********4321"),
    ],
)
def test_twelve_digit_numbers_are_masked(text, masked):
    assert mask_my_number(text) == masked
    assert contains_my_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "12345678901",  # 11 digits
        "1234567890123",  # 13 digits
        "1234-5678-9012-3456",  # four groups: a card-like number, not a My Number
        "06-1234-5678",  # a phone number
        "2026-11-26 10:00",
        "00000000-0000-4000-8000-000000000006",  # an Entra object id made of digits
        "令和8年度 第3四半期",
    ],
)
def test_other_numbers_are_left_alone(text):
    assert mask_my_number(text) == text
    assert not contains_my_number(text)


def test_mask_value_walks_json_like_values():
    value = {"note": "本人 123456789018", "n": 123456789018, "list": ["1234 5678 9018", 5], "ok": True}
    assert mask_value(value) == {
        "note": "本人 ********9018",
        "n": "********9018",
        "list": ["********9018", 5],
        "ok": True,
    }


def test_ids_that_cards_carry_never_look_like_a_my_number():
    """Card data are masked as they arrive: an id with twelve digits in a row would be changed by
    it (a shared card was refused as 「古いか壊れています」 about one run in three)."""
    from services.kernel.privacy import safe_token
    from services.kernel.submissions import new_submission_id, valid_submission_id

    for _ in range(2000):
        token = safe_token(16)
        assert len(token) == 32 and int(token, 16) >= 0 and mask_value(token) == token
        card_id = new_submission_id()
        assert valid_submission_id(card_id) and mask_value(card_id) == card_id
    assert mask_value("abcd123456789012ef") != "abcd123456789012ef"  # what a plain token_hex may hold
