"""ICTリテラシー: the service's errors and the parsing of what a card submits."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

MAX_NEED = 999


class LiteracyError(Exception):
    """A request that cannot be done; ``str(error)`` is Japanese for the user."""


class Invalid(LiteracyError):
    def __init__(self, errors: Mapping[str, str], message: str = "入力内容を確認してください。"):
        super().__init__(message)
        self.errors = dict(errors)


class Conflict(LiteracyError):
    def __init__(self) -> None:
        super().__init__(
            "ほかの画面で先に更新されていました。最新の内容を表示しています。もう一度入力してください。"
        )


def parse_count(text: Any, *, high: int = MAX_NEED) -> int:
    """A count typed in a card: NFKC, blank is 0, a trailing 人/名 is allowed. Raises ValueError."""
    value = unicodedata.normalize("NFKC", str(text if text is not None else "")).strip()
    value = value.removesuffix("人").removesuffix("名").strip()
    if not value:
        return 0
    if len(value) > 6 or not value.isascii() or not value.isdigit() or int(value) > high:
        raise ValueError(value)
    return int(value)


def clean_tool(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def department_key(bureau: str, department: str) -> str:
    return f"{bureau}|{department}"
