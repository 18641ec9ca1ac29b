"""Shared parts of the キャッシュレス cards: the verbs, the input ids, the limits, and small builders."""

from __future__ import annotations

from collections.abc import Sequence

from cards.common import text_block

ICON = "💳"
TITLE = "キャッシュレス"
OPEN_VERB = "cashless.open"
OVERVIEW_VERB = "cashless.overview"
CLASSES_VERB = "cashless.classes"
ROLLOUT_VERB = "cashless.rollout"
DETAIL_VERB = "cashless.detail"
UPDATE_VERB = "cashless.update"
SUBMIT_VERB = "cashless.submit"
INDICATOR_VERB = "cashless.indicator"
EXPORT_VERB = "cashless.export"
IMPORT_VERB = "cashless.import"
EXCLUSION_VERB = "cashless.exclusion"
EXCLUSION_ADD_VERB = "cashless.exclusion_add"
RECEIVABLE_INPUT = "receivable_choice"
MAX_LISTED = 40
MAX_TABLE_ROWS = 25  # rows of one table on a card (the size limit); the rest in Excel


def section(title: str) -> dict:
    return text_block(title, weight="Bolder", size="Medium", separator=True, spacing="Medium")


def small(text: str) -> dict:
    return text_block(text, isSubtle=True, size="Small")


def cell(text: str, bold: bool = False) -> dict:
    return {"type": "TableCell", "items": [text_block(text, weight="Bolder") if bold else text_block(text)]}


def table(
    header_row: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int] | None = None
) -> dict:
    widths = widths or [1] * len(header_row)
    return {
        "type": "Table",
        "firstRowAsHeader": True,
        "columns": [{"width": w} for w in widths],
        "rows": [{"type": "TableRow", "cells": [cell(c, True) for c in header_row]}]
        + [{"type": "TableRow", "cells": [cell(c) for c in row]} for row in rows],
    }


def more(hidden: int) -> list[dict]:
    return [small(f"ほか {hidden}件は「Excel で受け取る」の一覧で確認できます。")] if hidden > 0 else []
