"""Reading an uploaded table (CSV or Excel) into rows of text, and reporting problems by row.

Shared by the organisation and roster imports. Accepted: CSV in UTF-8 with or without a BOM (what
Excel's "CSV UTF-8" writes; Excel's plain "CSV" in Shift_JIS/cp932 is accepted too), or an
``.xlsx`` workbook, whose first sheet is read. Row numbers are spreadsheet rows: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from services.people.identity import clean_name

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_REPORTED_ISSUES = 30


@dataclass(frozen=True)
class ImportIssue:
    message: str
    row: int | None = None  # spreadsheet row: the header is row 1
    column: str | None = None

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"{self.row}行目")
        if self.column is not None:
            where.append(f"「{self.column}」")
        return f"{' '.join(where)}: {self.message}" if where else self.message


class ImportRejected(Exception):
    """The file was refused; nothing was imported. ``issues`` lists every problem found."""

    def __init__(self, issues: Sequence[ImportIssue]):
        self.issues = list(issues)
        lines = [str(i) for i in self.issues[:MAX_REPORTED_ISSUES]]
        if len(self.issues) > MAX_REPORTED_ISSUES:
            lines.append(f"ほか {len(self.issues) - MAX_REPORTED_ISSUES} 件")
        super().__init__("\n".join(lines))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportRejected(
            [ImportIssue(f"Excel ファイルとして読めません（{type(exc).__name__}）")]
        ) from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for index, row in enumerate(sheet.iter_rows(values_only=True)):
            if index >= MAX_ROWS + 1:
                raise ImportRejected([ImportIssue(f"行が多すぎます（{MAX_ROWS:,} 行まで）")])
            rows.append([_text(v) for v in row])
        return rows
    finally:
        workbook.close()


def _csv_rows(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportRejected(
            [ImportIssue("文字コードが読めません。「CSV UTF-8（コンマ区切り）」で保存してください")]
        )
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ImportRejected([ImportIssue(f"CSV として読めません（{exc}）")]) from None
    if len(rows) > MAX_ROWS + 1:
        raise ImportRejected([ImportIssue(f"行が多すぎます（{MAX_ROWS:,} 行まで）")])
    return rows


def read_table(data: bytes, filename: str = "") -> list[list[str]]:
    """The rows of a CSV or .xlsx file as text cells (not yet trimmed). Raises ImportRejected."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportRejected(
            [ImportIssue(f"ファイルが大きすぎます（{MAX_FILE_BYTES // 1024 // 1024} MB まで）")]
        )
    if not data.strip():
        raise ImportRejected([ImportIssue("空のファイルです")])
    lower = filename.lower()
    if data[:4] == b"PK\x03\x04" or lower.endswith(".xlsx"):
        return _xlsx_rows(data)
    if lower.endswith(".xls"):
        raise ImportRejected(
            [ImportIssue("古い Excel 形式（.xls）は読めません。.xlsx か CSV で保存してください")]
        )
    return _csv_rows(data)


def is_blank(cells: Sequence[str]) -> bool:
    return all(not clean_name(c) for c in cells)


def split_header(rows: list[list[str]], expected: Sequence[str]) -> list[tuple[int, list[str]]]:
    """Check the header against ``expected`` and return ``(row number, cells)`` of the data rows,
    padded to the header's width; blank rows are left out. Raises ImportRejected."""
    if not rows:
        raise ImportRejected([ImportIssue("空のファイルです")])
    header = [clean_name(h) for h in rows[0]]
    while header and not header[-1]:
        header.pop()  # empty columns Excel leaves on the right
    wanted = [clean_name(h) for h in expected]
    if header != wanted:
        issues = [
            ImportIssue("列がありません", 1, name) for name in expected if clean_name(name) not in header
        ]
        issues += [ImportIssue("想定外の列です", 1, name) for name in header if name not in wanted]
        if not issues:
            issues.append(ImportIssue(f"列の順番が違います（正: {','.join(expected)}）", 1))
        raise ImportRejected(issues)
    width = len(wanted)
    body = []
    issues = []
    for number, cells in enumerate(rows[1:], start=2):
        if is_blank(cells):
            continue
        if any(clean_name(c) for c in cells[width:]):
            issues.append(ImportIssue(f"列が多すぎます（{width} 列のはず）", number))
            continue
        body.append((number, [*cells[:width], *[""] * (width - len(cells))]))
    if issues:
        raise ImportRejected(issues)
    if not body:
        raise ImportRejected([ImportIssue("データの行がありません")])
    return body
