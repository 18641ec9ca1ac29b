"""Excel of キャッシュレス: the registry as a workbook (export), and the national indicator's
payment counts and amounts by method (import, whole or nothing, every bad cell named).

The indicator workbook: first sheet, header row ``年度 | 決済手段 | 件数 | 金額（円）``, one row per
fiscal year and method (年度 as ``R5``, ``令和5年度`` or ``2023``; 決済手段 one of
:class:`services.cashless.models.PayMethod`). :func:`indicator_template` writes an empty one.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.cashless.models import IndicatorLine, Overview, PayMethod
from services.kernel.tabular import ImportRejected, bounded_rows, check_workbook, peek

SHEET_REGISTRY = "債権一覧"
SHEET_INDICATOR = "決済手段別"
INDICATOR_HEADER = ("年度", "決済手段", "件数", "金額（円）")
REGISTRY_HEADER = (
    "ID",
    "債権名",
    "区分",
    "所管局",
    "所管課",
    "年間件数",
    "年間金額（円）",
    "平均単価（円）",
    "キャッシュレス手段",
    "導入状況",
    "導入予定日",
    "切替公募年度",
    "分類",
    "分類の根拠",
    "備考",
)
MAX_ROWS = 2000
MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class CellIssue:
    cell: str  # "C7", or "" for the file as a whole
    problem: str

    def __str__(self) -> str:
        return f"{self.cell}: {self.problem}" if self.cell else self.problem


class WorkbookRefused(Exception):
    """Nothing was imported; ``issues`` names every bad cell."""

    def __init__(self, issues: Sequence[CellIssue]):
        super().__init__("\n".join(str(i) for i in issues))
        self.issues = list(issues)


def registry_workbook(overview: Overview) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = SHEET_REGISTRY
    sheet.append(list(REGISTRY_HEADER))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in overview.rows:
        r = row.receivable
        sheet.append(
            [
                r.id,
                r.name,
                r.channel.value,
                r.bureau,
                r.section,
                r.annual_cases,
                r.annual_amount,
                r.unit_price,
                r.methods_label,
                r.status.value,
                r.planned_on,
                r.tender_label,
                row.classification.policy_class.value,
                row.classification.rule,
                r.note,
            ]
        )  # None stays an empty cell: a figure not entered is not 0
    c = overview.coverage
    sheet.append([])
    share = "－" if c.share is None else f"{c.share * 100:.1f}%"
    sheet.append(
        [
            "",
            f"対象債権の金額カバー率 {share}"
            f"（{c.counted}件の債権で計算、件数・金額が未入力の {c.missing}件を除く）",
        ]
    )
    sheet.freeze_panes = "A2"
    for column, width in zip(
        "ABCDEFGHIJKLMNO", (6, 34, 16, 14, 16, 12, 16, 12, 20, 10, 12, 14, 16, 50, 30), strict=True
    ):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def indicator_template() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = SHEET_INDICATOR
    sheet.append(list(INDICATOR_HEADER))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _check(data: bytes) -> None:
    """Refuse what cannot be read safely (services.kernel.tabular): too large, not a workbook, a
    hidden first sheet, formulas without a saved value, merged cells in the rows."""
    try:
        check_workbook(data, "book.xlsx", max_rows=MAX_ROWS + 5)  # the registry's footer follows
    except ImportRejected as refused:
        raise WorkbookRefused([CellIssue("", str(issue)) for issue in refused.issues]) from None


def looks_like_indicator(data: bytes) -> bool:
    book = peek(data)  # the first row only: never the whole file (services.kernel.tabular)
    return book is not None and tuple(_text(v) for v in book.first_row[:4]) == INDICATOR_HEADER


def _text(value: Any) -> str:
    return (
        "".join(unicodedata.normalize("NFKC", "" if value is None else str(value)).split())
        .replace("(", "（")
        .replace(")", "）")
    )


def _year(value: Any) -> int | None:
    text = _text(value).upper().removesuffix("年度")
    if text.startswith("令和"):
        text = "R" + text[2:].replace("元", "1")
    if text.startswith("R") and text[1:].isdigit() and 1 <= int(text[1:]) <= 50:
        return 2018 + int(text[1:])
    if text.endswith(".0"):
        text = text[:-2]
    if text.isdigit() and 2000 <= int(text) <= 2100:
        return int(text)
    return None


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else None
    text = _text(value).replace(",", "")
    return int(text) if text.isascii() and text.isdigit() else None


def parse_indicator_workbook(data: bytes) -> list[IndicatorLine]:
    """The lines of an indicator workbook, or :class:`WorkbookRefused` naming every bad cell."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    if len(data) > MAX_BYTES:
        raise WorkbookRefused([CellIssue("", "ファイルが大きすぎます（5MBまで）")])
    _check(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise WorkbookRefused([CellIssue("", "Excel（.xlsx）ファイルとして読めません")]) from None
    try:
        rows = list(bounded_rows(workbook.worksheets[0], MAX_ROWS + 2))
    finally:
        workbook.close()
    issues: list[CellIssue] = []
    header = tuple(_text(v) for v in (rows[0] if rows else ())[:4])
    if header != INDICATOR_HEADER:
        for i, want in enumerate(INDICATOR_HEADER):
            got = header[i] if i < len(header) else ""
            if got != want:
                issues.append(
                    CellIssue(f"{get_column_letter(i + 1)}1", f"見出しは「{want}」です（「{got}」）")
                )
        raise WorkbookRefused(issues)
    if len(rows) > MAX_ROWS + 1:
        raise WorkbookRefused([CellIssue("", f"行が多すぎます（{MAX_ROWS}行まで）")])
    methods = {m.value: m for m in PayMethod}
    lines: list[IndicatorLine] = []
    seen: dict[tuple[int, PayMethod], int] = {}
    for n, row in enumerate(rows[1:], start=2):
        cells = list(row[:4]) + [None] * (4 - len(row[:4]))
        if all(_text(v) == "" for v in cells):
            continue
        year = _year(cells[0])
        if year is None:
            issues.append(CellIssue(f"A{n}", "年度ではありません（例: R5、令和5年度、2023）"))
        method = methods.get(_text(cells[1]))
        if method is None:
            issues.append(CellIssue(f"B{n}", f"決済手段は {'、'.join(methods)} のいずれかです"))
        cases, amount = _whole(cells[2]), _whole(cells[3])
        if cases is None:
            issues.append(CellIssue(f"C{n}", "0以上の整数ではありません"))
        if amount is None:
            issues.append(CellIssue(f"D{n}", "0以上の整数（円）ではありません"))
        if year is not None and method is not None:
            if (year, method) in seen:
                issues.append(
                    CellIssue(f"B{n}", f"同じ年度・決済手段の行が{seen[(year, method)]}行目にもあります")
                )
            seen[(year, method)] = n
        if (
            not issues
            and year is not None
            and method is not None
            and cases is not None
            and amount is not None
        ):
            lines.append(IndicatorLine(year, method, cases, amount))
    if not issues and not lines:
        issues.append(CellIssue("A2", "データの行がありません"))
    if issues:
        raise WorkbookRefused(issues)
    return lines


# --- the registry back in (admins) -----------------------------------------------------------------


@dataclass(frozen=True)
class RegistryRow:
    """One row of an edited registry workbook, as text (the service checks it against the registry)."""

    row: int  # the spreadsheet row
    values: dict[str, Any]  # by REGISTRY_HEADER title

    def cell(self, title: str) -> str:
        from openpyxl.utils import get_column_letter

        return f"{get_column_letter(REGISTRY_HEADER.index(title) + 1)}{self.row}"


def looks_like_registry(data: bytes) -> bool:
    book = peek(data)  # the first row only: never the whole file (services.kernel.tabular)
    want = tuple(_text(v) for v in REGISTRY_HEADER[:3])
    return book is not None and tuple(_text(v) for v in book.first_row[:3]) == want


def parse_registry_workbook(data: bytes) -> list[RegistryRow]:
    """The rows of an edited registry workbook up to the first blank row (the footer follows it)."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    if len(data) > MAX_BYTES:
        raise WorkbookRefused([CellIssue("", "ファイルが大きすぎます（5MBまで）")])
    _check(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise WorkbookRefused([CellIssue("", "Excel（.xlsx）ファイルとして読めません")]) from None
    try:
        rows = list(bounded_rows(workbook.worksheets[0], MAX_ROWS + 2))
    finally:
        workbook.close()
    header = [_text(v) for v in (rows[0] if rows else ())][: len(REGISTRY_HEADER)]
    want = [_text(v) for v in REGISTRY_HEADER]
    issues = [
        CellIssue(f"{get_column_letter(i + 1)}1", f"見出しは「{REGISTRY_HEADER[i]}」です")
        for i, w in enumerate(want)
        if (header[i] if i < len(header) else "") != w
    ]
    if issues:
        raise WorkbookRefused(issues)
    parsed: list[RegistryRow] = []
    for n, row in enumerate(rows[1:], start=2):
        cells = list(row[: len(REGISTRY_HEADER)]) + [None] * (
            len(REGISTRY_HEADER) - len(row[: len(REGISTRY_HEADER)])
        )
        if all(_text(v) == "" for v in cells):
            break
        parsed.append(RegistryRow(n, dict(zip(REGISTRY_HEADER, cells, strict=True))))
    if not parsed:
        raise WorkbookRefused([CellIssue("A2", "債権の行がありません")])
    return parsed
