"""ICTリテラシー: the service's errors and the parsing of what a card submits."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from services.kernel.numbers import parse_count as shared_parse_count

MAX_NEED = 999


class LiteracyError(Exception):
    """A request that cannot be done; ``str(error)`` is Japanese for the user."""


class Invalid(LiteracyError):
    def __init__(self, errors: Mapping[str, str], message: str = "入力内容を確認してください。"):
        super().__init__(message)
        self.errors = dict(errors)


class Conflict(LiteracyError):
    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or "ほかの画面で先に更新されていました。最新の内容を表示しています。もう一度入力してください。"
        )


# a department's needs are shared by its managers: someone else saved them first
NEEDS_CONFLICT = (
    "ほかの方が先にこの部署の必要人数を更新しました。最新の内容を表示しています（入力内容は残しています）。"
    "確認して、もう一度保存してください。"
)


def parse_count(text: Any, *, high: int = MAX_NEED) -> int:
    """A count of people typed in a card (blank is 0): the shared parser
    (:func:`services.kernel.numbers.parse_count`), which also takes a trailing 名. Raises ValueError."""
    raw = unicodedata.normalize("NFKC", "" if text is None else str(text)).strip().removesuffix("名")
    value, error = shared_parse_count(raw, required=False, max_digits=len(str(high)), maximum=high)
    if error or value is None:
        raise ValueError(error)
    return value


def clean_tool(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def department_key(bureau: str, department: str) -> str:
    return f"{bureau}|{department}"
