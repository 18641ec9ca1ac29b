"""What the cards of 業務システムの標準化 send: parsing, limits and the errors the dialog shows."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any

from services.kernel.numbers import parse_optional_count

MAX_TITLE = 100
MAX_TEXT = 1000
MAX_YEN = 10**13
COST_FIELDS = (
    "eligible",
    "outside_0",
    "outside_1",
    "outside_2",
    "outside_3",
    "outside_4",
)  # ten trillion yen: anything above is a typing error


class StandardizationError(Exception):
    """A request that cannot be done; ``str(error)`` is a Japanese sentence for the user."""


class UnknownSystem(StandardizationError):
    def __init__(self, number: str):
        super().__init__(f"番号「{number}」のシステムはありません。")


class FormError(StandardizationError):
    """The submission was not saved: ``errors`` (field -> Japanese message) and ``values`` (what
    was typed) let the card come back with the input kept and the error next to the field."""

    def __init__(self, errors: Mapping[str, str], values: Mapping[str, Any], notice: str = ""):
        super().__init__(notice or "；".join(errors.values()))
        self.errors = dict(errors)
        self.values = dict(values)
        self.notice = notice


class Conflict(StandardizationError):
    """Somebody else saved the same record first (its ETag changed): nothing was written."""


class OutOfOrder(StandardizationError):
    """A review asked for a gap while an earlier-submitted one is still waiting (※3)."""


# --- parsing what a card sends ---------------------------------------------------------------


def clean_text(value: Any) -> str:
    return " ".join(unicodedata.normalize("NFKC", str(value or "")).split()) if value is not None else ""


def choice(value: Any) -> str:
    """A ChoiceSet value, as sent (labels keep their full-width brackets)."""
    return str(value or "").strip()[:100]


def parse_yen(value: Any) -> tuple[int | None, str]:
    """An amount in yen (the shared reading: NFKC, commas, a trailing 円); blank stays blank."""
    amount, problem = parse_optional_count(value, max_digits=16, maximum=MAX_YEN, units=("円",))
    if problem:
        return None, f"0以上の整数（円）で入力してください（入力: {str(value)[:20]}）"
    return amount, ""


def parse_day(value: Any) -> tuple[date | None, str]:
    text = clean_text(value)
    if not text:
        return None, ""
    try:
        return date.fromisoformat(text), ""
    except ValueError:
        return None, f"日付は YYYY-MM-DD で入力してください（入力: {text[:20]}）"
