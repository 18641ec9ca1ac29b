"""My Numbers (個人番号) must never be stored in clear outside the My Number programme's own,
protected records: DESIGN §8. This module finds anything that looks like one and masks it.

"Looks like one" is deliberately generous: twelve digits, half- or full-width, written together
(``123456789018``) or in three groups of four separated by a space or a dash of any kind
(``1234 5678 9018``, ``１２３４－５６７８－９０１８``), and not part of a longer run of digits. The
check digit is *not* required: a mistyped number is still somebody's number, so it is masked
too. :func:`is_valid_my_number` applies the check-digit rule where a caller needs it.

Beyond that, any 12 digits of any script's decimal digits, written with single separators anywhere
(``1234.5678.9018``, ``123-456-789-018``), are masked when their check digit is right: a number
spelled so oddly is only a My Number if it checks.

Masked form: ``********1234`` (the last four digits stay, so a person can still tell records apart).

:func:`install_log_masking` makes every log record of the process pass through
:func:`mask_my_number` (message, arguments, exception text), as the last line of defence; the app
and every command-line tool install it at start.
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from collections.abc import Mapping
from typing import Any

MASK = "********"
_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

_D = r"[0-9\uFF10-\uFF19]"  # ASCII and full-width digits
# spaces (incl. ideographic) and the dash characters people type between digit groups
_SEP = r"[ \u3000\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uFF0D\u30FC\uFF70]"
# not part of a longer run of digits, nor of a longer run of digit groups
_MY_NUMBER = re.compile(
    rf"(?<!{_D})(?<!{_D}{_SEP})(?:{_D}{{12}}|{_D}{{4}}{_SEP}{_D}{{4}}{_SEP}{_D}{{4}})(?!{_SEP}?{_D})"
)
# check-digit aware: 12 decimal digits of any script with single separators anywhere between them
_LOOSE_SEP = r"[ \u3000\-\u2010-\u2015\u2212\uFF0D\u30FC\uFF70._,/:\uFF0E\u30FB]"
_LOOSE = re.compile(rf"(?<!\d)(?<!\d{_LOOSE_SEP})\d(?:{_LOOSE_SEP}?\d){{11}}(?!{_LOOSE_SEP}?\d)")
# Entra object ids and other GUIDs are identifiers, not My Numbers, even when all their hex is digits
_GUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")


def _digits(text: str) -> str:
    return "".join(str(unicodedata.digit(ch)) for ch in text if unicodedata.digit(ch, None) is not None)


def check_digit(base11: str) -> int:
    """The check digit of 11 base digits: weights 6,5,4,3,2,7,6,5,4,3,2 left to right,
    ``r = Σ digit×weight mod 11``, check digit ``0 if r <= 1 else 11 - r``."""
    if len(base11) != 11 or not base11.isdigit():
        raise ValueError("11 digits are needed")
    remainder = sum(int(d) * w for d, w in zip(base11, _WEIGHTS, strict=True)) % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_valid_my_number(text: str) -> bool:
    """True when ``text`` is 12 digits (any width, separators allowed) with a correct check digit."""
    digits = _digits(text)
    if len(digits) != 12 or not _MY_NUMBER.fullmatch(text.strip()):
        return False
    return check_digit(digits[:11]) == int(digits[11])


def _outside_guids(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is_guid) pieces."""
    pieces, last = [], 0
    for match in _GUID.finditer(text):
        pieces += [(text[last : match.start()], False), (match.group(0), True)]
        last = match.end()
    pieces.append((text[last:], False))
    return pieces


def contains_my_number(text: str) -> bool:
    return mask_my_number(text) != text


def _mask_piece(piece: str) -> str:
    piece = _MY_NUMBER.sub(lambda m: MASK + _digits(m.group(0))[-4:], piece)
    return _LOOSE.sub(_mask_if_checked, piece)


def _mask_if_checked(match: re.Match[str]) -> str:
    digits = _digits(match.group(0))
    if len(digits) == 12 and check_digit(digits[:11]) == int(digits[11]):
        return MASK + digits[-4:]
    return match.group(0)


def mask_my_number(text: str) -> str:
    """``text`` with every 12-digit number replaced by ``********`` and its last four digits."""
    if not text:
        return text
    return "".join(piece if guid else _mask_piece(piece) for piece, guid in _outside_guids(text))


def mask_value(value: Any) -> Any:
    """Mask My Numbers anywhere in a JSON-like value (strings, 12-digit integers, lists, dicts)."""
    if isinstance(value, str):
        return mask_my_number(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and 10**11 <= abs(value) < 10**12:
        return MASK + str(abs(value))[-4:]
    if isinstance(value, Mapping):
        return {mask_my_number(str(k)): mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(v) for v in value]
    return value


# --- logging: the last line of defence --------------------------------------------------------

_INSTALLED = "_ict_my_number_masking"


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Format ``record``'s message now and mask it, and its exception and stack text."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep what can be shown
        message = f"{record.msg} {record.args}"
    record.msg, record.args = mask_my_number(str(message)), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_my_number(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_my_number(record.stack_info)
    return record


class MyNumberLogFilter(logging.Filter):
    """A handler or logger filter that masks My Numbers in each record (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def install_log_masking() -> None:
    """Mask My Numbers in every log record this process creates, from any logger, whatever the
    handlers (the record factory runs for every record that passes its logger's level). Also quiets
    ``azure.core``'s HTTP logging, which logs every storage URL (keys built from input) at INFO.
    Idempotent."""
    logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)
    logging.getLogger("azure.core").setLevel(logging.WARNING)
    current = logging.getLogRecordFactory()
    if getattr(current, _INSTALLED, False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(current(*args, **kwargs))

    setattr(factory, _INSTALLED, True)
    logging.setLogRecordFactory(factory)


_TWELVE_DIGITS = re.compile(r"[0-9]{12}")


def safe_token(nbytes: int) -> str:
    """``secrets.token_hex(nbytes)`` that never holds a run of 12 decimal digits: an id that cards
    carry must not look like a My Number, or masking the card's data would change it."""
    while True:
        token = secrets.token_hex(nbytes)
        if not _TWELVE_DIGITS.search(token):
            return token
