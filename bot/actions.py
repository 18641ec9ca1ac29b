"""A card action (``Action.Execute`` invoke or ``Action.Submit`` message), validated once.

``verb`` is a string of bounded length without control characters; ``data`` is a flat object of
strings, numbers and booleans of bounded size (``null`` is dropped as if absent). Anything else is
:class:`BadAction`, which the bot answers with a polite Japanese card, writing nothing.

My Numbers in the strings are masked here, before any dialog sees them (DESIGN §8: never stored,
never echoed, never logged), except for the verbs listed in :data:`VERBS_TAKING_MY_NUMBERS`, whose
dialogs take a number on purpose and protect it themselves (the My Number programme adds its own).
"""

from __future__ import annotations

import math
import re
from typing import Any

from services.kernel.privacy import mask_my_number, mask_value

MAX_VERB_CHARS = 100
MAX_FIELDS = 60
MAX_FIELD_NAME_CHARS = 64
MAX_VALUE_CHARS = 2000  # the longest input on any card is 500 characters
MAX_DATA_CHARS = 20_000
MAX_NUMBER = 10**15
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab and newlines are text
VERBS_TAKING_MY_NUMBERS: frozenset[str] = frozenset()


class BadAction(ValueError):
    """The action is not one the bot can read."""


def _verb(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_VERB_CHARS or not value.isprintable():
        raise BadAction("verb")
    return value


def clean_data(data: Any, verb: str) -> dict[str, Any]:
    """``data`` checked (flat, bounded) and, unless ``verb`` takes My Numbers, masked."""
    if data is None:
        return {}
    if not isinstance(data, dict) or len(data) > MAX_FIELDS:
        raise BadAction("data")
    cleaned: dict[str, Any] = {}
    total = 0
    for key, value in data.items():
        if not isinstance(key, str) or not key or len(key) > MAX_FIELD_NAME_CHARS or not key.isprintable():
            raise BadAction("field name")
        if value is None:
            continue
        if isinstance(value, str):
            if len(value) > MAX_VALUE_CHARS or _CONTROL.search(value):
                raise BadAction(key)
            total += len(value)
        elif isinstance(value, bool):
            pass
        elif isinstance(value, int):
            if abs(value) > MAX_NUMBER:
                raise BadAction(key)
        elif isinstance(value, float):
            if not math.isfinite(value) or abs(value) > MAX_NUMBER:
                raise BadAction(key)
        else:
            raise BadAction(key)
        total += len(key)
        cleaned[key] = value
    if total > MAX_DATA_CHARS:
        raise BadAction("data")
    if verb in VERBS_TAKING_MY_NUMBERS:
        return cleaned
    return {k: mask_value(v) if not isinstance(v, bool) else v for k, v in cleaned.items()}


def from_invoke(value: Any) -> tuple[str, dict[str, Any]]:
    """``(verb, data)`` of an ``adaptiveCard/action`` invoke's ``value``."""
    if not isinstance(value, dict):
        raise BadAction("value")
    action = value.get("action")
    if not isinstance(action, dict):
        raise BadAction("action")
    data = action.get("data")
    if data is not None and not isinstance(data, dict):
        raise BadAction("data")
    verb = action.get("verb")
    if verb is None and data is not None:
        verb = data.get("verb")
    verb = _verb(verb)
    return verb, clean_data(data, verb)


def from_submit(value: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``(verb, data)`` of an ``Action.Submit`` message's ``value`` (which carries ``verb``)."""
    verb = _verb(value.get("verb"))
    return verb, clean_data(value, verb)


def mask_text(text: str) -> str:
    return mask_my_number(text)
