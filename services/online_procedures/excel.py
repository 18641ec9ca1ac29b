"""The table of 行政手続きオンライン化 in the material's layout: building it, writing it to Excel,
and reading an updated one back (validated as strictly as the seed loader, refused whole with the
cell named, e.g. ``E7``).

The layout (sheet 1, header in rows 1–2, one row per bureau from row 3, the 総計 row last)::

    局 | R3年5月まで 実績 | R3年6月～R5年3月: グループ1 実績, 重要取組 実績 |
       [R5年度～R{Y-1}年度 実績: only for a year Y after 令和5年度] |
       R{Y}年度: 4～6月, 7～9月, 10～12月, 1～3月 (each 実績 once closed, else 予定) |
       R{Y+1}年度 予定 | R{Y+2}年度 予定 (以降) | 重要取組 未実施 | 帳票数 | 個別対応が 必要な手続き

For 令和5年度 this is exactly the material's table (13 columns A–M). A cell holds a whole number,
or the material's text with notes, ``(遅れ 11) 12``; a blank cell is 0. A bureau's 備考 is a comment
on its name. An optional sheet 「手続き一覧」 lists procedure-level records.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.kernel.calendar import DateParseError, parse_japanese_date
from services.kernel.tabular import MAX_ROWS, ImportRejected, bounded_rows, check_workbook
from services.online_procedures.ledger import Ledger, closing_day, project
from services.online_procedures.models import (
    FIRST_TRACKED_FISCAL_YEAR,
    TOTAL_LABEL,
    Blocker,
    Figure,
    Group,
    Method,
    Period,
    Procedure,
    Source,
    Status,
    TableColumn,
    TableRow,
    TableView,
    reiwa,
)

SHEET_TABLE = "オンライン化の表"
SHEET_PROCEDURES = "手続き一覧"
HEADER_ROWS = 2
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_REPORTED = 30
NOTE_COLUMNS = ("q1", "q2", "q3", "q4", "next1", "next2")
PERIOD_COLUMNS = (
    "before",
    "group1",
    "priority",
    "earlier",
    "q1",
    "q2",
    "q3",
    "q4",
    "next1",
    "next2",
    "not_scheduled",
)
_MONTHS = ("4～6月", "7～9月", "10～12月", "1～3月")
_INT = re.compile(r"^(?:\d+|\d{1,3}(?:,\d{3})+)$")
_FORBIDDEN_NAME = re.compile(r"[/\\#?|\x00-\x1f\x7f-\x9f]")


# --- the columns -----------------------------------------------------------------------------


def table_columns(fiscal_year: int, closed: Sequence[bool], beyond: bool = False) -> tuple[TableColumn, ...]:
    """The columns of the table for ``fiscal_year``; ``closed[q-1]``: quarter q shows actuals."""
    r = reiwa(fiscal_year)
    columns = [
        TableColumn("before", "", "R3年5月まで 実績"),
        TableColumn("group1", "R3年6月～R5年3月", "グループ1 実績"),
        TableColumn("priority", "R3年6月～R5年3月", "重要取組 実績"),
    ]
    if fiscal_year > FIRST_TRACKED_FISCAL_YEAR:
        span = "R5年度" if r - 1 == 5 else f"R5年度～R{r - 1}年度"
        columns.append(TableColumn("earlier", "", f"{span} 実績"))
    for q in (1, 2, 3, 4):
        columns.append(
            TableColumn(f"q{q}", f"R{r}年度", f"{_MONTHS[q - 1]} {'実績' if closed[q - 1] else '予定'}")
        )
    columns += [
        TableColumn("next1", "", f"R{r + 1}年度 予定"),
        TableColumn("next2", "", f"R{r + 2}年度{'以降' if beyond else ''} 予定"),
        TableColumn("not_scheduled", "", "重要取組 未実施"),
        TableColumn("forms_total", "", "帳票数", show_zero=True),
        TableColumn("individual", "", "個別対応が 必要な手続き"),
    ]
    return tuple(columns)


def _total_row(columns: Sequence[TableColumn], rows: Sequence[TableRow]) -> TableRow:
    sums = [sum(r.figures[i].value for r in rows) for i in range(len(columns))]
    return TableRow(TOTAL_LABEL, tuple(Figure(v) for v in sums))


def current_table_year(ledgers: Sequence[Ledger], as_of: date, close_days: int) -> int:
    """The fiscal year of the period being reported now: the year of the live table."""
    if not ledgers:
        return max(FIRST_TRACKED_FISCAL_YEAR, as_of.year if as_of.month >= 4 else as_of.year - 1)
    projected = project(ledgers[0], as_of, close_days)
    return projected.cells[projected.current_index()].period.fiscal_year


def ledger_row(projected: Ledger, fiscal_year: int) -> dict[str, Figure]:
    """One bureau's figures in the table for ``fiscal_year`` (``projected`` already closed)."""
    figures: dict[str, Figure] = {
        "before": Figure(projected.before),
        "group1": Figure(projected.group1),
        "priority": Figure(projected.priority),
        "earlier": Figure(
            projected.earlier
            + sum(c.figure.value for c in projected.cells if c.period.fiscal_year < fiscal_year)
        ),
        "next1": Figure(),
        "next2": Figure(),
    }
    for q in (1, 2, 3, 4):
        figures[f"q{q}"] = Figure()
    for cell in projected.cells:
        year = cell.period.fiscal_year
        if year == fiscal_year:
            figures[f"q{cell.period.last_quarter}"] = figures[f"q{cell.period.last_quarter}"] + cell.figure
        elif year == fiscal_year + 1:
            figures["next1"] = figures["next1"] + cell.figure
        elif year > fiscal_year + 1:
            figures["next2"] = figures["next2"] + cell.figure
    figures["not_scheduled"] = Figure(projected.not_scheduled)
    figures["forms_total"] = Figure(projected.forms_total)
    figures["individual"] = Figure(projected.individual)
    return figures


def live_table(ledgers: Sequence[Ledger], as_of: date, close_days: int) -> TableView:
    """The table as it stands on ``as_of``, for the year being reported now."""
    year = current_table_year(ledgers, as_of, close_days)
    projected = [project(x, as_of, close_days) for x in ledgers]
    closed = [closing_day(Period(year, q), close_days) <= as_of for q in (1, 2, 3, 4)]
    for p in projected:  # a period closed by the seed or an import shows its actual too
        for cell in p.cells:
            if cell.period.fiscal_year == year and not cell.period.is_year and cell.closed:
                closed[cell.period.quarter - 1] = True
    beyond = any(c.period.fiscal_year > year + 2 and c.figure.value for p in projected for c in p.cells)
    columns = table_columns(year, closed, beyond)
    rows = []
    for p in projected:
        figures = ledger_row(p, year)
        rows.append(TableRow(p.bureau, tuple(figures[c.key] for c in columns), p.source, p.note))
    return TableView(
        f"令和{reiwa(year)}年度 オンライン化の計画と実績（局別）",
        year,
        as_of,
        columns,
        tuple(rows),
        _total_row(columns, rows),
    )


def seed_table(frame: Any) -> TableView:
    """The meeting material's own table (令和5年8月8日), from the seed as stored: a snapshot."""
    columns = table_columns(FIRST_TRACKED_FISCAL_YEAR, (True, False, False, False))
    source_columns = {
        "before": ("R3年5月まで実績", None, None),
        "group1": ("R3年6月～R5年3月 グループ1実績", None, None),
        "priority": ("R3年6月～R5年3月 重要取組実績", None, None),
        "q1": ("R5年度 4～6月実績", "R5年度 4～6月 遅れ", "R5年度 4～6月 前倒し"),
        "q2": ("R5年度 7～9月予定", "R5年度 7～9月 遅れ", "R5年度 7～9月 前倒し"),
        "q3": ("R5年度 10～12月予定", "R5年度 10～12月 遅れ", "R5年度 10～12月 前倒し"),
        "q4": ("R5年度 1～3月予定", "R5年度 1～3月 遅れ", "R5年度 1～3月 前倒し"),
        "next1": ("R6年度予定", None, None),
        "next2": ("R7年度予定", None, None),
        "not_scheduled": ("重要取組未実施", None, None),
        "forms_total": ("帳票数", None, None),
        "individual": ("個別対応が必要な手続き", None, None),
    }
    rows = []
    total = None
    for record in frame.to_dict("records"):
        figures = []
        for column in columns:
            value, delayed, advanced = source_columns[column.key]
            figures.append(
                Figure(
                    int(record[value]),
                    int(record[delayed]) if delayed else 0,
                    int(record[advanced]) if advanced else 0,
                )
            )
        row = TableRow(str(record["局"]), tuple(figures), Source.COUNTS, str(record.get("備考") or ""))
        if row.bureau == TOTAL_LABEL:
            total = row
        else:
            rows.append(row)
    assert total is not None, "the seed has a 総計 row"
    return TableView(
        "令和5年8月8日 ICT戦略推進本部会議資料の表（局別）",
        FIRST_TRACKED_FISCAL_YEAR,
        None,
        columns,
        tuple(rows),
        total,
    )


# --- writing ---------------------------------------------------------------------------------


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_value(figure: Figure, column: TableColumn) -> int | str | None:
    """A number where there are no notes, the material's text where there are, blank for 0
    (except where the material prints 0)."""
    if figure.delayed or figure.advanced:
        return figure.text
    return figure.value if figure.value or column.show_zero else None


PROCEDURE_COLUMNS = (
    "ID",
    "局",
    "課",
    "手続き名",
    "区分",
    "年間件数",
    "重要取組",
    "手法",
    "手法（その他）",
    "予定時期",
    "状況",
    "完了日",
    "個別対応の理由",
    "理由（その他）",
)


def period_text(period: Period | None) -> str:
    if period is None:
        return ""
    return f"R{reiwa(period.fiscal_year)}年度" + ("" if period.is_year else f" {period.months_label}")


def workbook_bytes(table: TableView, procedures: Mapping[str, Sequence[Procedure]] | None = None) -> bytes:
    """The table as an .xlsx file in the material's layout (plus 手続き一覧 when given)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    workbook = Workbook()
    sheet = workbook.worksheets[0]  # a new workbook has one sheet (``active`` is typed Optional)
    sheet.title = SHEET_TABLE
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.cell(1, 1, "局")
    sheet.merge_cells(start_row=1, start_column=1, end_row=2, end_column=1)
    j = 0
    columns = table.columns
    while j < len(columns):
        column = columns[j]
        col = j + 2
        if not column.group:
            sheet.cell(1, col, column.label)
            sheet.merge_cells(start_row=1, start_column=col, end_row=2, end_column=col)
            j += 1
            continue
        span = 1
        while j + span < len(columns) and columns[j + span].group == column.group:
            span += 1
        sheet.cell(1, col, column.group)
        if span > 1:
            sheet.merge_cells(start_row=1, start_column=col, end_row=1, end_column=col + span - 1)
        for k in range(span):
            sheet.cell(2, col + k, columns[j + k].label)
        j += span
    for row in sheet.iter_rows(min_row=1, max_row=HEADER_ROWS, max_col=len(columns) + 1):
        for cell in row:
            cell.font = Font(bold=True)
            cell.alignment = centre
            cell.fill = head_fill
            cell.border = border
    for offset, row in enumerate((*table.rows, table.total)):
        r = HEADER_ROWS + 1 + offset
        name = sheet.cell(r, 1, row.bureau)
        name.border = border
        if row.bureau == TOTAL_LABEL:
            name.font = Font(bold=True)
        if row.note:
            name.comment = Comment(row.note, "ICT推進ボット")
        for k, figure in enumerate(row.figures):
            cell = sheet.cell(r, k + 2, cell_value(figure, columns[k]))
            cell.border = border
            cell.alignment = Alignment(horizontal="right")
            if row.bureau == TOTAL_LABEL:
                cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 24
    for k in range(len(columns)):
        sheet.column_dimensions[column_letter(k + 1)].width = 13
    sheet.row_dimensions[2].height = 32
    sheet.freeze_panes = "B3"
    if procedures:
        _procedure_sheet(workbook, procedures, border, head_fill)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _procedure_sheet(
    workbook: Any, procedures: Mapping[str, Sequence[Procedure]], border: Any, fill: Any
) -> None:
    from openpyxl.styles import Font

    sheet = workbook.create_sheet(SHEET_PROCEDURES)
    sheet.append(list(PROCEDURE_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.border = border
    for bureau, items in procedures.items():
        for p in items:
            sheet.append(
                [
                    p.id,
                    bureau,
                    p.section,
                    p.name,
                    p.group.value,
                    p.annual_cases,
                    "○" if p.important else None,
                    p.method.value if p.method else None,
                    p.method_text or None,
                    period_text(p.planned) or None,
                    p.status.value,
                    p.completed_on,
                    p.blocker.value if p.blocker else None,
                    p.blocker_text or None,
                ]
            )
    for k, width in enumerate((10, 20, 20, 40, 10, 10, 9, 18, 16, 16, 9, 12, 20, 20)):
        sheet.column_dimensions[column_letter(k)].width = width
    sheet.freeze_panes = "A2"


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellIssue:
    cell: str  # "E7", "手続き一覧!K4", or "" for the whole file
    message: str

    def __str__(self) -> str:
        return f"{self.cell}: {self.message}" if self.cell else self.message


class ImportRefused(Exception):
    """The workbook was refused whole; nothing was imported. ``issues`` names every bad cell."""

    def __init__(self, issues: Sequence[CellIssue]):
        self.issues = list(issues)
        lines = [str(i) for i in self.issues[:MAX_REPORTED]]
        if len(self.issues) > MAX_REPORTED:
            lines.append(f"ほか {len(self.issues) - MAX_REPORTED} 件")
        super().__init__("\n".join(lines))


@dataclass
class ParsedRow:
    bureau: str
    row: int  # spreadsheet row number
    figures: dict[str, Figure]
    note: str = ""


@dataclass
class ParsedTable:
    fiscal_year: int
    closed: tuple[bool, bool, bool, bool]
    columns: tuple[TableColumn, ...]
    rows: list[ParsedRow]
    total: dict[str, Figure]
    total_row: int
    procedures: dict[str, list[Procedure]] | None = None
    procedure_rows: dict[str, int] = field(default_factory=dict)  # procedure id -> sheet row

    def cell(self, key: str, row: int) -> str:
        return f"{column_letter(1 + next(i for i, c in enumerate(self.columns) if c.key == key))}{row}"


def _norm(value: Any) -> str:
    return "".join(unicodedata.normalize("NFKC", "" if value is None else str(value)).split())


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(unicodedata.normalize("NFKC", str(value)).split())


def _figure(value: Any, allow_notes: bool) -> Figure:
    """A cell as a figure; ValueError with a Japanese message."""
    if value is None:
        return Figure()
    if isinstance(value, bool):
        raise ValueError(f"数値ではありません（{value}）")
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"整数ではありません（{value}）")
        if value < 0:
            raise ValueError(f"負の数は使えません（{int(value)}）")
        return Figure(int(value))
    text = _text(value)
    if text == "":
        return Figure()
    if _INT.match(text):
        return Figure(int(text.replace(",", "")))
    if text.startswith("-") and _INT.match(text[1:]):
        raise ValueError(f"負の数は使えません（{text}）")
    try:
        figure = Figure.parse(text.replace(",", ""))
    except ValueError:
        raise ValueError(
            f"数値ではありません（「{text}」）。数値か「(遅れ 2) 10」の形で書いてください"
        ) from None
    if not allow_notes and (figure.delayed or figure.advanced):
        raise ValueError("この列には (遅れ)・(前倒し) は書けません")
    if figure.delayed + figure.advanced > figure.value:
        raise ValueError(f"遅れと前倒しの合計が件数（{figure.value}）を超えています")
    return figure


def _comment_text(comment: Any) -> str:
    """A cell comment's text without the "author:" line Excel puts in front of edited comments."""
    text = str(comment.text or "").strip()
    author = str(comment.author or "").strip()
    if author and text.startswith(f"{author}:"):
        text = text[len(author) + 1 :].strip()
    return " ".join(text.split())


def _expected_year(header_cells: Sequence[Any]) -> int | None:
    for value in header_cells:
        match = re.fullmatch(r"R(\d{1,2})年度", _norm(value))
        if match:
            return 2018 + int(match[1])
    return None


def parse_workbook(data: bytes) -> ParsedTable:
    """Read an uploaded table; raises :class:`ImportRefused` naming every bad cell."""
    from openpyxl import load_workbook

    if len(data) > MAX_FILE_BYTES:
        raise ImportRefused(
            [CellIssue("", f"ファイルが大きすぎます（{MAX_FILE_BYTES // 1024 // 1024} MB まで）")]
        )
    try:  # before loading: too large, not a workbook, hidden, formulas without values, merged rows
        check_workbook(data, "table.xlsx", data_from_row=HEADER_ROWS + 1)
        check_workbook(data, "table.xlsx", sheets=(SHEET_PROCEDURES,))
    except ImportRejected as refused:
        raise ImportRefused([CellIssue("", str(issue)) for issue in refused.issues]) from None
    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportRefused(
            [CellIssue("", f"Excel ファイル（.xlsx）として読めません（{type(exc).__name__}）")]
        ) from None
    sheet = workbook.worksheets[0]
    grid = [list(row) for row in bounded_rows(sheet, MAX_ROWS + HEADER_ROWS)]
    comments = {
        row[0].row: _comment_text(row[0].comment)
        for row in sheet.iter_rows(max_row=len(grid), max_col=1)
        if row and row[0].comment
    }
    if len(grid) < HEADER_ROWS + 1:
        raise ImportRefused([CellIssue("", "表がありません（1～2行目が見出し、3行目から局の行）")])
    year = _expected_year(grid[0])
    if year is None or year < FIRST_TRACKED_FISCAL_YEAR:
        raise ImportRefused(
            [
                CellIssue(
                    "",
                    "1行目に年度の見出し（例: R8年度）が見つかりません。"
                    "ボットが出力した表の形で取り込んでください",
                )
            ]
        )
    issues: list[CellIssue] = []
    columns, closed = _check_header(grid, year, issues)
    if issues:
        raise ImportRefused(issues)
    width = len(columns) + 1
    body = [(HEADER_ROWS + 1 + k, row) for k, row in enumerate(grid[HEADER_ROWS:])]
    while body and all(_text(v) == "" for v in body[-1][1]):
        body.pop()
    rows: list[ParsedRow] = []
    total: dict[str, Figure] | None = None
    total_row = 0
    seen: dict[str, int] = {}
    for number, cells in body:
        cells = list(cells) + [None] * (width - len(cells))
        if all(_text(v) == "" for v in cells):
            issues.append(CellIssue(f"A{number}", "空の行があります（表の途中に空行は置けません）"))
            continue
        if any(_text(v) for v in cells[width:]):
            issues.append(
                CellIssue(
                    f"{column_letter(width)}{number}",
                    f"表の右に余分な値があります（{column_letter(width - 1)}列まで）",
                )
            )
        name = _text(cells[0])
        if total is not None:
            issues.append(CellIssue(f"A{number}", f"「{TOTAL_LABEL}」の行は最後に置いてください"))
            continue
        if not name:
            issues.append(CellIssue(f"A{number}", "局の名前が空です"))
            continue
        if _FORBIDDEN_NAME.search(name):
            issues.append(CellIssue(f"A{number}", f"局の名前に使えない文字があります（{name}）"))
            continue
        figures: dict[str, Figure] = {}
        for k, column in enumerate(columns):
            ref = f"{column_letter(k + 1)}{number}"
            try:
                figure = _figure(cells[k + 1], allow_notes=column.key in NOTE_COLUMNS)
                if name == TOTAL_LABEL and (figure.delayed or figure.advanced):
                    raise ValueError("総計の行には (遅れ)・(前倒し) を書きません")
                figures[column.key] = figure
            except ValueError as exc:
                issues.append(CellIssue(ref, str(exc)))
        if name == TOTAL_LABEL:
            total, total_row = figures, number
            continue
        if name in seen:
            issues.append(CellIssue(f"A{number}", f"{seen[name]}行目と同じ局です（{name}）"))
            continue
        seen[name] = number
        rows.append(ParsedRow(name, number, figures, comments.get(number, "")))
    if total is None and not issues:
        issues.append(CellIssue("", f"最後の行を「{TOTAL_LABEL}」の行にしてください"))
    if not rows and not issues:
        issues.append(CellIssue("", "局の行がありません"))
    if issues:
        raise ImportRefused(issues)
    assert total is not None
    parsed = ParsedTable(year, closed, columns, rows, total, total_row)
    _check_sums(parsed, issues)
    if SHEET_PROCEDURES in workbook.sheetnames:
        parsed.procedures = _parse_procedures(workbook[SHEET_PROCEDURES], {r.bureau for r in rows}, issues)
    if issues:
        raise ImportRefused(issues)
    return parsed


def _check_header(
    grid: list[list[Any]], year: int, issues: list[CellIssue]
) -> tuple[tuple[TableColumn, ...], tuple[bool, bool, bool, bool]]:
    top = list(grid[0])
    sub = list(grid[1])
    r = reiwa(year)
    closed = [False, False, False, False]
    beyond = False
    expected = table_columns(year, closed)
    width = len(expected) + 1
    top += [None] * (width - len(top))
    sub += [None] * (width - len(sub))
    if _norm(top[0]) != "局":
        issues.append(CellIssue("A1", f"見出しは「局」です（{_text(top[0]) or '空欄'}）"))
    current_group = ""
    for k, column in enumerate(expected):
        letter = column_letter(k + 1)
        if column.group:
            got_top = _norm(top[k + 1])
            if got_top and got_top != _norm(column.group):
                issues.append(
                    CellIssue(f"{letter}1", f"見出しは「{column.group}」です（{_text(top[k + 1])}）")
                )
            elif not got_top and current_group != column.group:
                issues.append(CellIssue(f"{letter}1", f"見出し「{column.group}」がありません"))
            current_group = column.group
            got = _norm(sub[k + 1])
            if column.key.startswith("q"):
                q = int(column.key[1])
                months = _MONTHS[q - 1]
                if got == _norm(f"{months} 実績"):
                    closed[q - 1] = True
                elif got != _norm(f"{months} 予定"):
                    issues.append(
                        CellIssue(
                            f"{letter}2",
                            f"見出しは「{months} 実績」か「{months} 予定」"
                            f"です（{_text(sub[k + 1]) or '空欄'}）",
                        )
                    )
            elif got != _norm(column.label):
                issues.append(
                    CellIssue(
                        f"{letter}2", f"見出しは「{column.label}」です（{_text(sub[k + 1]) or '空欄'}）"
                    )
                )
            continue
        current_group = ""
        got = _norm(top[k + 1]) or _norm(sub[k + 1])
        if column.key == "next2" and got == _norm(f"R{r + 2}年度以降 予定"):
            beyond = True
            continue
        if got != _norm(column.label):
            issues.append(
                CellIssue(f"{letter}1", f"見出しは「{column.label}」です（{_text(top[k + 1]) or '空欄'}）")
            )
    if any(_text(v) for v in top[width:]) or any(_text(v) for v in sub[width:]):
        issues.append(
            CellIssue(f"{column_letter(width)}1", f"列が多すぎます（{column_letter(width - 1)}列まで）")
        )
    return table_columns(year, closed, beyond), (closed[0], closed[1], closed[2], closed[3])


def _check_sums(parsed: ParsedTable, issues: list[CellIssue]) -> None:
    """As the seed loader: each row's periods add up to its 帳票数; each column to its 総計."""
    keys = [c.key for c in parsed.columns]
    period_keys = [k for k in keys if k in PERIOD_COLUMNS]
    for row in parsed.rows:
        total = sum(row.figures[k].value for k in period_keys)
        if total != row.figures["forms_total"].value:
            issues.append(
                CellIssue(
                    parsed.cell("forms_total", row.row),
                    f"期間の列の合計 {total} と一致しません（{row.figures['forms_total'].value}）",
                )
            )
    for key in keys:
        total = sum(row.figures[key].value for row in parsed.rows)
        stated = parsed.total[key].value
        if total != stated:
            issues.append(
                CellIssue(
                    parsed.cell(key, parsed.total_row), f"総計 {stated} が各局の合計 {total} と一致しません"
                )
            )


_PERIOD = re.compile(
    r"^(?:令和|R)(?P<r>\d{1,2})年度?(?:第(?P<q>[1-4])四半期)?(?:[（(]?(?P<m>4～6月|7～9月|10～12月|1～3月)[)）]?)?$"
)


def parse_period(text: str) -> Period | None:
    """``R8年度 10～12月``, ``令和8年度 第3四半期``, ``R8年度`` (the whole year), ``2026Q3``; ValueError."""
    norm = _norm(text).replace("~", "～").replace("〜", "～")
    if norm == "":
        return None
    try:
        return Period.from_key(norm)
    except ValueError:
        pass
    match = _PERIOD.match(norm)
    if not match:
        raise ValueError(
            f"期間として読めません（「{text}」）。例: R8年度 10～12月、令和8年度 第3四半期、R8年度"
        )
    year = 2018 + int(match["r"])
    quarter = int(match["q"]) if match["q"] else (_MONTHS.index(match["m"]) + 1 if match["m"] else 0)
    if match["q"] and match["m"] and _MONTHS.index(match["m"]) + 1 != quarter:
        raise ValueError(f"四半期と月が合いません（「{text}」）")
    return Period(year, quarter)


def _parse_procedures(sheet: Any, bureaus: set[str], issues: list[CellIssue]) -> dict[str, list[Procedure]]:
    grid = [list(row) for row in bounded_rows(sheet, MAX_ROWS + 1)]
    result: dict[str, list[Procedure]] = {}
    prefix = f"{SHEET_PROCEDURES}!"
    if not grid:
        return result
    header = [_norm(v) for v in grid[0]]
    while header and not header[-1]:
        header.pop()
    if header != [_norm(c) for c in PROCEDURE_COLUMNS]:
        issues.append(CellIssue(f"{prefix}A1", f"見出しは {'、'.join(PROCEDURE_COLUMNS)} です"))
        return result
    seen_ids: dict[str, int] = {}
    counters: dict[str, int] = {}
    for number, cells in enumerate(grid[1:], start=2):
        cells = list(cells) + [None] * (len(PROCEDURE_COLUMNS) - len(cells))
        if all(_text(v) == "" for v in cells):
            continue
        values = dict(zip(PROCEDURE_COLUMNS, cells, strict=False))

        def ref(column: str, number: int = number) -> str:
            return f"{prefix}{column_letter(PROCEDURE_COLUMNS.index(column))}{number}"

        def bad(column: str, message: str) -> None:
            issues.append(CellIssue(ref(column), message))

        before = len(issues)
        bureau = _text(values["局"])
        if bureau not in bureaus:
            bad("局", f"表にない局です（{bureau or '空欄'}）")
        name = _text(values["手続き名"])
        if not name:
            bad("手続き名", "必須です（空欄）")
        pid = _text(values["ID"])
        if pid:
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", pid):
                bad("ID", "ID は半角英数字・-・_ で40文字までです")
            elif pid in seen_ids:
                bad("ID", f"{seen_ids[pid]}行目と同じ ID です")
            seen_ids.setdefault(pid, number)
        group = _choice(values["区分"], Group, Group.GROUP1, "区分", bad)
        cases = None
        if _text(values["年間件数"]):
            try:
                cases = _figure(values["年間件数"], allow_notes=False).value
            except ValueError as exc:
                bad("年間件数", str(exc))
        flag = _text(values["重要取組"])
        if flag not in ("", "○", "〇"):
            bad("重要取組", "「○」か空欄で書いてください")
        important = flag in ("○", "〇") or group is Group.PRIORITY or (cases or 0) >= 3000
        method = _choice(values["手法"], Method, None, "手法", bad)
        method_text = _text(values["手法（その他）"])
        planned = None
        try:
            planned = parse_period(_text(values["予定時期"]))
        except ValueError as exc:
            bad("予定時期", str(exc))
        status = _choice(values["状況"], Status, Status.NOT_STARTED, "状況", bad)
        completed = None
        raw_date = values["完了日"]
        if isinstance(raw_date, datetime):
            completed = raw_date.date()
        elif isinstance(raw_date, date):
            completed = raw_date
        elif _text(raw_date):
            try:
                completed = parse_japanese_date(_text(raw_date))
            except DateParseError as exc:
                bad("完了日", str(exc))
        blocker = _choice(values["個別対応の理由"], Blocker, None, "個別対応の理由", bad)
        blocker_text = _text(values["理由（その他）"])
        if status is Status.DONE and completed is None and len(issues) == before:
            bad("完了日", "完了した手続きには完了日が必要です")
        if status is not Status.DONE and completed is not None:
            bad("完了日", "完了日は状況が「完了」の手続きにだけ書きます")
        if status is Status.INDIVIDUAL and blocker is None:
            bad(
                "個別対応の理由",
                "個別対応の手続きには理由（委託事業者が受付・紙の添付書類が膨大・その他）が必要です",
            )
        if blocker is Blocker.OTHER and not blocker_text:
            bad("理由（その他）", "「その他」の内容を書いてください")
        if method is Method.OTHER and not method_text:
            bad("手法（その他）", "「その他」の手法を書いてください")
        if status in (Status.NOT_STARTED, Status.IN_PROGRESS) and planned is None and not important:
            bad("予定時期", "未完了の手続きには予定時期が必要です（重要取組で未定のものは空欄にできます）")
        if len(issues) != before:
            continue
        if not pid:
            counters[bureau] = counters.get(bureau, 0) + 1
            pid = f"P{counters[bureau]:04d}"
            while pid in seen_ids:
                counters[bureau] += 1
                pid = f"P{counters[bureau]:04d}"
            seen_ids[pid] = number
        result.setdefault(bureau, []).append(
            Procedure(
                id=pid,
                name=name,
                section=_text(values["課"]),
                group=group or Group.GROUP1,
                annual_cases=cases,
                important=important,
                method=method,
                method_text=method_text,
                planned=planned,
                status=status or Status.NOT_STARTED,
                completed_on=completed,
                blocker=blocker,
                blocker_text=blocker_text,
            )
        )
    return result


def _choice(value: Any, kind: Any, default: Any, column: str, bad: Any) -> Any:
    text = _text(value)
    if not text:
        return default
    for member in kind:
        if _norm(member.value) == _norm(text):
            return member
    bad(column, f"次のいずれかで書いてください: {'、'.join(m.value for m in kind)}（「{text}」）")
    return default
