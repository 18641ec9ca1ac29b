"""Shared pieces of the 業務システムの標準化 cards: verbs, input ids, formatting, small elements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from cards.common import (
    japanese_date,
    text_block,
)
from services.standardization.models import (
    SystemStatus,
)

ICON = "🏗️"
TITLE = "業務システムの標準化"
OPEN_VERB = "standardization.open"
OVERVIEW_VERB = "standardization.overview"
SYSTEM_VERB = "standardization.system"
STEP_VERB = "standardization.step"
STEP_SAVE_VERB = "standardization.step_save"
GAP_VERB = "standardization.gap"
GAP_SAVE_VERB = "standardization.gap_save"
REVIEW_VERB = "standardization.review"
REVIEW_SAVE_VERB = "standardization.review_save"
SETTINGS_VERB = "standardization.settings"
SETTINGS_SAVE_VERB = "standardization.settings_save"
COSTS_VERB = "standardization.costs"
COSTS_SAVE_VERB = "standardization.costs_save"
EXPORT_VERB = "standardization.export"
IMPORT_VERB = "standardization.import"
SYSTEM_INPUT = "system_choice"
STEP_INPUT = "step_choice"
MAX_GAPS_LISTED = 15


def yen(value: int | None) -> str:
    return "未入力" if value is None else f"{value:,}円"


def _day(value: date | None) -> str:
    return japanese_date(value) if value else "－"


def _short(value: date | None) -> str:
    return f"{value.year}/{value.month}/{value.day}" if value else "－"


def _section(title: str) -> dict:
    return text_block(title, weight="Bolder", size="Medium", spacing="Large", separator=True)


def _attention(lines: Sequence[str]) -> dict:
    return {
        "type": "Container",
        "style": "attention",
        "items": [text_block(line, color="Attention", weight="Bolder") for line in lines],
    }


def _row(cells: Sequence[str], *, bold: bool = False, color: str = "") -> dict:
    def block(text: str) -> dict:
        props = {"weight": "Bolder"} if bold else {}
        if color:
            props["color"] = color
        return text_block(text, size="Small", **props)

    return {"type": "TableRow", "cells": [{"type": "TableCell", "items": [block(c)]} for c in cells]}


def _table(header_cells: Sequence[str], rows: list[dict], widths: Sequence[int]) -> dict:
    return {
        "type": "Table",
        "firstRowAsHeader": True,
        "showGridLines": True,
        "columns": [{"width": w} for w in widths],
        "rows": [_row(header_cells, bold=True), *rows],
    }


def _choice_input(
    input_id: str, label: str, choices: Sequence[tuple[str, str]], value: str = "", *, required: bool = False
) -> dict:
    element = {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": label,
        "style": "compact",
        "choices": [{"title": t, "value": v} for t, v in choices],
    }
    if value:
        element["value"] = value
    if required:
        element.update(isRequired=True, errorMessage=f"{label}を選んでください")
    return element


def _field_error(errors: Mapping[str, str], key: str) -> list[dict]:
    return (
        [text_block(f"⚠️ {errors[key]}", color="Attention", size="Small", spacing="None")]
        if key in errors
        else []
    )


def status_text(status: SystemStatus) -> str:
    if status.overdue:
        return f"期限超過 {status.overdue.label}"
    return status.state_label
