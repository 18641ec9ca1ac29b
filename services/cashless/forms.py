"""Reading what a キャッシュレス update card submits: counts and amounts (empty stays empty), dates,
the switching year, the methods, and the changes a submission makes (for the confirmation and the
audit trail). Pure functions."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from services.cashless.models import (
    FIELD_AMOUNT,
    FIELD_BUREAU,
    FIELD_CASES,
    FIELD_METHODS,
    FIELD_PLANNED,
    FIELD_REASON,
    FIELD_SECTION,
    FIELD_STATUS,
    FIELD_TENDER,
    METHOD_NONE,
    ChangeLine,
    Channel,
    HistoryEntry,
    Method,
    Receivable,
    Rollout,
)
from services.kernel.calendar import DateParseError, parse_japanese_date
from services.kernel.numbers import parse_optional_count
from services.kernel.privacy import mask_my_number
from services.kernel.submissions import Submission

MAX_CASES = 100_000_000
MAX_AMOUNT = 10_000_000_000_000  # 10兆円
MAX_TEXT = 500
MAX_INPUT = 40


def parse_optional_int(text: Any, *, maximum: int, units: str = "") -> tuple[int | None, str]:
    """An ``Input.Number`` / text value: empty → ``(None, "")`` (not entered, never 0); otherwise a
    whole number 0..maximum (the shared reading: NFKC, commas, a trailing unit such as 件 or 円)."""
    if text is not None and len(str(text)) > MAX_INPUT:
        return None, "長すぎます"
    return parse_optional_count(
        text, max_digits=len(str(maximum)), maximum=maximum, units=(units,) if units else ()
    )


def parse_day(text: Any) -> tuple[date | None, str]:
    raw = unicodedata.normalize("NFKC", "" if text is None else str(text)).strip()
    if not raw:
        return None, ""
    if len(raw) > MAX_INPUT:
        return None, "日付の形式ではありません"
    try:
        return parse_japanese_date(raw), ""
    except (DateParseError, ValueError):
        return None, "日付（例: 2024-04-01）で入力してください"


def parse_tender(text: Any) -> tuple[int | None, str]:
    """``R6`` / ``令和6年度`` / ``2024`` → 2024; empty → None."""
    raw = "".join(unicodedata.normalize("NFKC", "" if text is None else str(text)).split()).upper()
    raw = raw.removesuffix("年度")
    if not raw:
        return None, ""
    if raw.startswith("令和"):
        raw = "R" + raw[2:].replace("元", "1")
    if raw.startswith("R") and raw[1:].isdigit() and 1 <= int(raw[1:]) <= 50:
        return 2018 + int(raw[1:]), ""
    if raw.isdigit() and 2019 <= int(raw) <= 2068:
        return int(raw), ""
    return None, "年度（例: R6 または 2024）で入力してください"


def parse_methods(text: Any) -> tuple[tuple[Method, ...], str]:
    names = [s.strip() for s in str(text or "").split(",") if s.strip()]
    if METHOD_NONE in names:
        names = [n for n in names if n != METHOD_NONE]
    by_name = {m.name.lower(): m for m in Method}
    unknown = [n for n in names if n.lower() not in by_name]
    if unknown:
        return (), "一覧にない決済手段が選ばれています。カードを開き直してください"
    return tuple(m for m in Method if m.name.lower() in {n.lower() for n in names}), ""


def clean_text(text: Any) -> str:
    return mask_my_number(" ".join(unicodedata.normalize("NFKC", "" if text is None else str(text)).split()))


def submission_key(person_id: str, receivable_id: str, shown_etag: str, values: Mapping[str, str]) -> str:
    """The same person, the same record (as the card showed it) and the same values: one key (the
    shared rule, :class:`services.kernel.submissions.Submission`)."""
    return Submission(shown_etag, person_id, receivable_id, values).digest[:40]


def form_values(r: Receivable) -> dict[str, str]:
    """The card's fields filled from the record."""
    return {
        FIELD_STATUS: r.status.name,
        FIELD_PLANNED: r.planned_on.isoformat() if r.planned_on else "",
        FIELD_CASES: "" if r.annual_cases is None else str(r.annual_cases),
        FIELD_AMOUNT: "" if r.annual_amount is None else str(r.annual_amount),
        FIELD_METHODS: "" if r.methods is None else (",".join(m.name for m in r.methods) or METHOD_NONE),
        FIELD_TENDER: f"R{r.tender_year - 2018}" if r.tender_year else "",
        FIELD_REASON: "",
        FIELD_BUREAU: r.bureau,
        FIELD_SECTION: r.section,
    }


def apply_values(
    r: Receivable, values: Mapping[str, str], *, admin: bool, bureaus: tuple[str, ...], at: str, by_name: str
) -> tuple[Receivable | None, dict[str, str]]:
    """The record after the card's values, or the errors by field (Japanese)."""
    errors: dict[str, str] = {}
    try:
        status = Rollout[values.get(FIELD_STATUS) or r.status.name]
    except KeyError:
        status, errors[FIELD_STATUS] = r.status, "一覧から選んでください"
    planned, error = parse_day(values.get(FIELD_PLANNED))
    if error:
        errors[FIELD_PLANNED] = error
    cases, error = parse_optional_int(values.get(FIELD_CASES), maximum=MAX_CASES, units="件")
    if error:
        errors[FIELD_CASES] = error
    amount, error = parse_optional_int(values.get(FIELD_AMOUNT), maximum=MAX_AMOUNT, units="円")
    if error:
        errors[FIELD_AMOUNT] = error
    methods_text = values.get(FIELD_METHODS, "")
    methods: tuple[Method, ...] | None = r.methods if methods_text == "" and r.methods is None else None
    if methods_text != "" or r.methods is not None:
        methods, error = parse_methods(methods_text)
        if error:
            errors[FIELD_METHODS] = error
    tender, tender_note = r.tender_year, r.tender_note
    if r.channel is Channel.DESIGNATED:
        tender, error = parse_tender(values.get(FIELD_TENDER))
        if error:
            errors[FIELD_TENDER] = error
        elif tender is not None:
            tender_note = ""
    reason = clean_text(values.get(FIELD_REASON))
    if len(reason) > MAX_TEXT:
        errors[FIELD_REASON] = f"{MAX_TEXT}文字以内で入力してください"
    bureau, section = r.bureau, r.section
    if admin:
        bureau = clean_text(values.get(FIELD_BUREAU, r.bureau))
        section = clean_text(values.get(FIELD_SECTION, r.section))[:100]
        if bureau and bureau not in bureaus:
            errors[FIELD_BUREAU] = "組織にない局です"
    if status is not Rollout.PLANNED and status is not Rollout.DONE:
        planned = None  # a date belongs to 導入予定 (and stays as the date of 導入済)
    if errors:
        return None, errors
    new = replace(
        r,
        status=status,
        planned_on=planned,
        annual_cases=cases,
        annual_amount=amount,
        methods=methods,
        tender_year=tender,
        tender_note=tender_note,
        bureau=bureau,
        section=section,
    )
    if (new.status, new.planned_on) != (r.status, r.planned_on):
        new = replace(
            new, history=(*r.history, HistoryEntry(at, by_name, new.status, new.planned_on, reason))
        )
    return new, {}


def _n(value: int | None, unit: str) -> str:
    return "未入力" if value is None else f"{value:,}{unit}"


def changes(before: Receivable, after: Receivable) -> tuple[ChangeLine, ...]:
    pairs = [
        ("導入状況", before.status.value, after.status.value),
        (
            "導入予定日",
            before.planned_on.isoformat() if before.planned_on else "－",
            after.planned_on.isoformat() if after.planned_on else "－",
        ),
        ("年間件数", _n(before.annual_cases, "件"), _n(after.annual_cases, "件")),
        ("年間金額", _n(before.annual_amount, "円"), _n(after.annual_amount, "円")),
        ("キャッシュレス手段", before.methods_label, after.methods_label),
        ("切替公募年度", before.tender_label or "－", after.tender_label or "－"),
        ("所管", before.owner_label, after.owner_label),
    ]
    return tuple(ChangeLine(label, b, a) for label, b, a in pairs if b != a)
