"""Counts typed on cards, shared by every programme.

``Input.Number`` values arrive as strings, and people type what they would write on paper:
``１２``, ``12件``, ``1,234``, ``12人``. :func:`parse_count` takes exactly that and nothing else:

- NFKC first (full-width digits and signs become ASCII), spaces trimmed;
- thousands separators (``,``) dropped; a trailing ``.0`` (some clients send ``12.0``) dropped;
- one optional unit at the end: 件, 人 or 回;
- then only ASCII digits ``0-9`` (``str.isdigit`` would also take ``٣`` or ``²``), and at most
  ``max_digits`` of them, so a pasted 5,000-digit number is refused politely instead of raising
  inside ``int()``.

It returns ``(value, "")`` or ``(None, Japanese error)``, for the card to show next to the field.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

UNITS = ("件", "人", "回")
DEFAULT_MAX_DIGITS = 9
_ASCII_DIGITS = re.compile(r"[0-9]+")
MAX_INPUT_CHARS = 64  # anything longer is not a count, whatever it contains


def parse_count(
    text: Any,
    *,
    required: bool,
    max_digits: int = DEFAULT_MAX_DIGITS,
    maximum: int | None = None,
    units: tuple[str, ...] = UNITS,
) -> tuple[int | None, str]:
    """A whole number, 0 or more, from what a card submitted. ``maximum`` (optional) is the
    largest value accepted; ``max_digits`` bounds the length before any conversion; ``units`` are
    the words allowed after it (円 for amounts)."""
    raw = "" if text is None else str(text)
    if len(raw) > MAX_INPUT_CHARS:
        return None, f"{max_digits}桁以内の半角数字で入力してください"
    raw = unicodedata.normalize("NFKC", raw).strip()
    if raw == "":
        return (None, "入力してください") if required else (0, "")
    if units and raw.endswith(units):
        raw = raw[:-1].rstrip()
    raw = raw.replace(",", "")
    if raw.endswith(".0"):
        raw = raw[:-2]  # some clients send 12.0 for 12
    if raw.startswith("-") and _ASCII_DIGITS.fullmatch(raw[1:]):
        return None, "0以上の整数で入力してください"
    if not _ASCII_DIGITS.fullmatch(raw):
        return None, "整数（0以上の半角数字）で入力してください"
    if len(raw.lstrip("0")) > max_digits:
        return None, f"{max_digits}桁以内で入力してください"
    value = int(raw)
    if maximum is not None and value > maximum:
        return None, f"{maximum:,}以下で入力してください"
    return value, ""


def parse_optional_count(
    text: Any,
    *,
    max_digits: int = DEFAULT_MAX_DIGITS,
    maximum: int | None = None,
    units: tuple[str, ...] = UNITS,
) -> tuple[int | None, str]:
    """:func:`parse_count` for a field that may stay empty: blank is ``(None, "")`` (not entered,
    never 0)."""
    if text is None or unicodedata.normalize("NFKC", str(text)).strip() == "":
        return None, ""
    return parse_count(text, required=True, max_digits=max_digits, maximum=maximum, units=units)


def count_or(value: Any, default: int) -> int:
    """A count from card data that is not a form field (a page number, an index): ``default`` when
    it is not one."""
    parsed, _ = parse_count(value, required=True)
    return default if parsed is None else parsed
