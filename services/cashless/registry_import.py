"""The edited registry workbook, checked against the registry (pure): every bad cell is named and
nothing is taken unless every row is right. Rows are matched by ID; a row without an ID adds a
receivable; receivables missing from the file stay as they are (nothing is deleted by an import)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from services.cashless.excel import CellIssue, RegistryRow
from services.cashless.forms import parse_optional_int, parse_tender
from services.cashless.models import (
    Channel,
    Exclusion,
    HistoryEntry,
    Method,
    Receivable,
    Rollout,
    Thresholds,
)
from services.cashless.policy import classify, transition_problem
from services.kernel.calendar import DateParseError, parse_japanese_date

IMPORT_NOTE = "Excel の取込"


def _s(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _methods(text: str) -> tuple[Method, ...] | None | str:
    if text in ("", "未記録"):
        return None
    if text == "なし":
        return ()
    by_value = {m.value: m for m in Method}
    # 「クレジットカード・電子マネー」 is one method whose name holds the separator
    joined = text.replace(Method.CARD.value, "\0").replace("、", "・").split("・")
    picked: list[Method] = []
    for part in joined:
        part = part.strip()
        if part == "\0":
            picked.append(Method.CARD)
        elif part in by_value:
            picked.append(by_value[part])
        elif part:
            return f"キャッシュレス手段は {'、'.join(by_value)}（「・」区切り）、なし、未記録 のいずれかです"
    return tuple(m for m in Method if m in picked)


def _day(value: Any) -> date | None | str:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return parse_japanese_date(_s(value))
    except (DateParseError, ValueError):
        return "日付（例: 2024-04-01）ではありません"


def check_rows(
    rows: Sequence[RegistryRow],
    registry: Sequence[Receivable],
    exclusions: Sequence[Exclusion],
    thresholds: Thresholds,
    bureaus: Sequence[str],
    at: str,
    by: str,
) -> tuple[list[tuple[Receivable | None, Receivable]], list[CellIssue]]:
    """``(before, after)`` for every row that changes something (``before`` None: added), or the issues."""
    by_id = {r.id: r for r in registry}
    issues: list[CellIssue] = []
    seen: dict[str, int] = {}
    out: list[tuple[Receivable | None, Receivable]] = []
    for row in rows:
        v = row.values
        problems: list[CellIssue] = []

        def bad(
            title: str, problem: str, row: RegistryRow = row, problems: list[CellIssue] = problems
        ) -> None:
            problems.append(CellIssue(row.cell(title), problem))

        rid = _s(v["ID"])
        old = by_id.get(rid) if rid else None
        if rid and old is None:
            bad("ID", f"ID「{rid}」の債権は登録されていません（新しい債権は ID を空欄にします）")
        if rid in seen:
            bad("ID", f"ID「{rid}」が{seen[rid]}行目にもあります")
        seen[rid or f"new{row.row}"] = row.row
        name = _s(v["債権名"])
        if not name or len(name) > 100:
            bad("債権名", "債権名を100文字以内で入力してください")
        try:
            channel = Channel(_s(v["区分"]))
        except ValueError:
            channel = Channel.COUNTER
            bad("区分", f"区分は {'、'.join(c.value for c in Channel)} のいずれかです")
        bureau, section = _s(v["所管局"]), _s(v["所管課"])[:100]
        if bureau and bureau not in bureaus:
            bad("所管局", f"「{bureau}」は組織にない局です")
        cases, error = parse_optional_int(_s(v["年間件数"]), maximum=100_000_000, units="件")
        if error:
            bad("年間件数", error)
        amount, error = parse_optional_int(_s(v["年間金額（円）"]), maximum=10_000_000_000_000, units="円")
        if error:
            bad("年間金額（円）", error)
        methods = _methods(_s(v["キャッシュレス手段"]))
        if isinstance(methods, str):
            bad("キャッシュレス手段", methods)
            methods = None
        try:
            status = Rollout(_s(v["導入状況"]) or Rollout.NOT_STARTED.value)
        except ValueError:
            status = Rollout.NOT_STARTED
            bad("導入状況", f"導入状況は {'、'.join(s.value for s in Rollout)} のいずれかです")
        planned = _day(v["導入予定日"])
        if isinstance(planned, str):
            bad("導入予定日", planned)
            planned = None
        tender_text = _s(v["切替公募年度"])
        tender, note = (
            (old.tender_year, old.tender_note) if old and tender_text == old.tender_label else (None, "")
        )
        if old is None or tender_text != old.tender_label:
            tender, error = parse_tender(tender_text.split("（")[0])
            if error:
                bad("切替公募年度", error)
        base = old or Receivable(f"n{secrets.token_hex(4)}", name, channel)
        new = replace(
            base,
            name=name,
            channel=channel,
            bureau=bureau,
            section=section,
            annual_cases=cases,
            annual_amount=amount,
            methods=methods
            if old is None or methods is not None or _s(v["キャッシュレス手段"]) in ("", "未記録")
            else old.methods,
            status=status,
            planned_on=planned if status in (Rollout.PLANNED, Rollout.DONE) else None,
            tender_year=tender,
            tender_note=note,
        )
        problem = transition_problem(
            base.status,
            status,
            new.planned_on,
            IMPORT_NOTE,
            classify(new, thresholds, exclusions).policy_class,
        )
        if problem:
            bad("導入予定日" if "予定日" in problem else "導入状況", problem)
        issues += problems
        if problems or (old is not None and replace(new, history=()) == replace(old, history=())):
            continue
        if old is None or (new.status, new.planned_on) != (old.status, old.planned_on):
            new = replace(
                new, history=(*base.history, HistoryEntry(at, by, new.status, new.planned_on, IMPORT_NOTE))
            )
        out.append((old, new))
    return out, issues
