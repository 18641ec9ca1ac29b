"""The Excel workbook of 業務システムの標準化: export, and import (whole or nothing, each problem naming
its cell as ``シート!B5``).

Sheets: ``システム`` (one row per system: owner, vendor, deadlines, estimate; computed columns at the
right), ``工程`` (one row per system and step), ``工程の設定`` (the configurable step list),
``補助金`` (the city's subsidy cap, B2) and ``Gap`` (read only: gaps and their review).
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from services.kernel.calendar import DateParseError, parse_japanese_date
from services.kernel.tabular import MAX_ROWS, ImportRejected, bounded_rows, check_workbook
from services.people.identity import OrgUnit
from services.standardization import rules
from services.standardization.models import (
    REVIEW_POINTS,
    CostCategory,
    Costs,
    Gap,
    Owner,
    Step,
    StepDef,
    StepStatus,
    System,
)

SHEET_SYSTEMS, SHEET_STEPS, SHEET_CONFIG, SHEET_CAP, SHEET_GAPS = (
    "システム",
    "工程",
    "工程の設定",
    "補助金",
    "Gap",
)
SYSTEM_COLUMNS = (
    "番号",
    "業務",
    "所管局",
    "所管課（部/課）",
    "事業者",
    "移行の難易度が極めて高い（変更不可）",
    "特定移行支援システム",
    "個別の期限",
    "データ要件適合日",
    "補助対象経費（移行経費等）",
    *(c.value for c in CostCategory),
    "見積の合計（計算）",
    "補助金（按分・計算）",
    "市費（計算）",
)
STEP_COLUMNS = ("番号", "業務", "工程キー", "工程", "状況", "開始日", "終了日", "完了日", "備考")
CONFIG_COLUMNS = (
    "工程キー",
    "工程",
    "担当",
    "開始日",
    "終了日",
    "移行期限まで",
    "担当課の作業",
    "ICT推進室の作業",
)
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,19}$")
_BOLD = Font(bold=True)
_GREY = PatternFill("solid", fgColor="DDDDDD")
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_STEPS = 20  # keeps a system's record (every step with its note) well under a 32K-character property


@dataclass(frozen=True)
class CellIssue:
    sheet: str
    cell: str
    message: str

    def __str__(self) -> str:
        return f"{self.sheet}!{self.cell}: {self.message}" if self.cell else f"{self.sheet}: {self.message}"


class ImportRefused(Exception):
    def __init__(self, issues: Sequence[CellIssue]):
        super().__init__("; ".join(str(i) for i in issues[:5]))
        self.issues = list(issues)


@dataclass(frozen=True)
class Parsed:
    systems: tuple[System, ...]
    steps: tuple[StepDef, ...]
    cap: int | None


def _d(value: date | None) -> str:
    return value.isoformat() if value else ""


def _sheet(
    workbook: Workbook,
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    computed: int = 0,
) -> None:
    ws = workbook.create_sheet(title)
    ws.append(list(columns))
    for cell in ws[1]:
        cell.font = _BOLD
    for row in rows:
        ws.append(list(row))
    for i in range(len(columns) - computed, len(columns)):
        for row in ws.iter_rows(min_col=i + 1, max_col=i + 1):
            row[0].fill = _GREY
    for i, name in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(name) * 2 + 2))
    ws.freeze_panes = "A2"


def workbook_bytes(
    systems: Sequence[System], steps: Sequence[StepDef], cap: int | None, gaps: Sequence[Gap], as_of: date
) -> bytes:
    workbook = Workbook()
    for sheet in list(workbook.worksheets):
        workbook.remove(sheet)
    costs = rules.cost_summary(systems, cap)
    _sheet(
        workbook,
        SHEET_SYSTEMS,
        SYSTEM_COLUMNS,
        [
            [
                s.number,
                s.operation,
                s.bureau,
                s.section,
                s.vendor,
                "○" if s.hard else "",
                "○" if s.special else "",
                _d(s.own_deadline),
                _d(s.data_done_on),
                s.costs.eligible,
                *s.costs.outside,
                r.total,
                r.subsidy,
                r.city_cost,
            ]
            for s, r in zip(systems, costs.rows, strict=True)
        ],
        computed=3,
    )
    _sheet(
        workbook,
        SHEET_STEPS,
        STEP_COLUMNS,
        [
            [
                s.number,
                s.operation,
                d.key,
                d.name,
                s.step(d.key).status.value,
                _d(s.step(d.key).start),
                _d(s.step(d.key).end),
                _d(s.step(d.key).done_on),
                s.step(d.key).note,
            ]
            for s in systems
            for d in steps
        ],
    )
    _sheet(
        workbook,
        SHEET_CONFIG,
        CONFIG_COLUMNS,
        [
            [
                d.key,
                d.name,
                d.owner.value,
                _d(d.start),
                _d(d.end),
                "○" if d.until_deadline else "",
                d.section_task,
                d.ict_task,
            ]
            for d in steps
        ],
    )
    _sheet(
        workbook,
        SHEET_CAP,
        ("項目", "金額（円）"),
        [
            ["補助金額の上限（国から本市へ）", cap if cap is not None else ""],
            ["補助対象経費の合計（計算）", costs.eligible],
            ["補助金の額（計算）", costs.subsidy],
            ["市費の合計（計算）", costs.city_cost],
            [f"出力日 {as_of.isoformat()}", ""],
        ],
    )
    review_columns = [f"{label}{part}" for _, label in REVIEW_POINTS for part in ("", " コメント")]
    _sheet(
        workbook,
        SHEET_GAPS,
        (
            "受付番号",
            "番号",
            "Gap",
            "詳細",
            "対応方法",
            "概算額（円）",
            "提出者",
            "提出日時",
            "精査状況",
            *review_columns,
        ),
        [
            [
                g.sequence,
                g.system,
                g.title,
                g.detail,
                g.handling.value,
                g.amount if g.amount is not None else "",
                g.submitted_by,
                g.submitted_at.strftime("%Y-%m-%d %H:%M"),
                g.state_label,
                *(
                    [
                        v
                        for r, c in zip(g.review.results, g.review.comments, strict=True)
                        for v in (r.value, c)
                    ]
                    if g.review
                    else [""] * len(review_columns)
                ),
            ]
            for g in gaps
        ],
    )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- import ----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(unicodedata.normalize("NFKC", str(value)).split())


class _Reader:
    def __init__(self, sheet_name: str):
        self.sheet = sheet_name
        self.issues: list[CellIssue] = []

    def problem(self, cell: str, message: str) -> None:
        self.issues.append(CellIssue(self.sheet, cell, message))

    def day(self, cell: str, value: Any) -> date | None:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = _text(value)
        if not text:
            return None
        try:
            return parse_japanese_date(text)
        except DateParseError as error:
            self.problem(cell, str(error))
            return None

    def yen(self, cell: str, value: Any) -> int:
        if value is None or value == "":
            return 0
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            self.problem(cell, f"整数（円）で入力してください（{value}）")
            return 0
        text = _text(value).replace(",", "").removesuffix("円")
        if not text.isdigit() or len(text) > 14:
            self.problem(cell, f"0以上の整数（円）で入力してください（{_text(value)[:20]}）")
            return 0
        return int(text)

    def flag(self, cell: str, value: Any) -> bool:
        text = _text(value)
        if text in ("", "○", "〇"):
            return bool(text)
        self.problem(cell, f"「○」か空欄で入力してください（{text[:20]}）")
        return False


def _rows(
    workbook: Any, title: str, columns: Sequence[str], issues: list[CellIssue]
) -> list[tuple[int, tuple]]:
    if title not in workbook.sheetnames:
        issues.append(CellIssue(title, "", "シートがありません"))
        return []
    ws = workbook[title]
    rows = list(bounded_rows(ws, MAX_ROWS + 1))
    header = [_text(v) for v in (rows[0] if rows else ())][: len(columns)]
    if header != [_text(c) for c in columns]:
        issues.append(CellIssue(title, "A1", f"見出しが違います（正: {'、'.join(columns)}）"))
        return []
    return [
        (i, tuple(row) + (None,) * (len(columns) - len(row)))
        for i, row in enumerate(rows[1:], start=2)
        if any(v not in (None, "") for v in row)
    ]


def parse_workbook(data: bytes, current: Sequence[System]) -> Parsed:
    """The systems, the step list and the cap from a workbook; :class:`ImportRefused` with every problem."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRefused([CellIssue("ファイル", "", "大きすぎます（5 MB まで）")])
    try:  # too large, not a workbook, a hidden sheet, formulas without values, merged rows
        check_workbook(data, "book.xlsx", sheets=(SHEET_CONFIG, SHEET_SYSTEMS, SHEET_STEPS, SHEET_CAP))
    except ImportRejected as refused:
        raise ImportRefused([CellIssue("ファイル", "", str(issue)) for issue in refused.issues]) from None
    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True, read_only=True)
    except Exception:  # noqa: BLE001 - anything openpyxl cannot read is "not an xlsx"
        raise ImportRefused([CellIssue("ファイル", "", "Excel（.xlsx）として読めません")]) from None
    issues: list[CellIssue] = []
    try:
        steps = _parse_config(_rows(workbook, SHEET_CONFIG, CONFIG_COLUMNS, issues), issues)
        systems = _parse_systems(_rows(workbook, SHEET_SYSTEMS, SYSTEM_COLUMNS, issues), current, issues)
        systems = _parse_steps(_rows(workbook, SHEET_STEPS, STEP_COLUMNS, issues), systems, steps, issues)
        cap = _parse_cap(workbook, issues)
    finally:
        workbook.close()
    if issues:
        raise ImportRefused(issues)
    return Parsed(tuple(systems), tuple(steps), cap)


def _parse_config(rows: list[tuple[int, tuple]], issues: list[CellIssue]) -> list[StepDef]:
    r = _Reader(SHEET_CONFIG)
    steps: list[StepDef] = []
    for n, row in rows:
        key, name, owner = _text(row[0]), _text(row[1]), _text(row[2])
        if not _KEY.match(key):
            r.problem(f"A{n}", "工程キーは英小文字で始まる英小文字・数字・_（20文字まで）です")
        elif any(s.key == key for s in steps):
            r.problem(f"A{n}", f"工程キー「{key}」が重複しています")
        if not name or len(name) > 40:
            r.problem(f"B{n}", "工程の名前を40文字以内で入力してください")
        try:
            owner_value = Owner(owner)
        except ValueError:
            r.problem(f"C{n}", f"担当は {'・'.join(o.value for o in Owner)} のいずれかです")
            owner_value = Owner.SECTION
        start, end = r.day(f"D{n}", row[3]), r.day(f"E{n}", row[4])
        if start and end and end < start:
            r.problem(f"E{n}", "終了日は開始日以降にしてください")
        steps.append(
            StepDef(
                key,
                name,
                owner_value,
                start,
                end,
                r.flag(f"F{n}", row[5]),
                _text(row[6])[:500],
                _text(row[7])[:500],
            )
        )
    if len(steps) > MAX_STEPS:
        r.problem(f"A{rows[MAX_STEPS][0]}", f"工程は{MAX_STEPS}件までです")
    if rows and not any(s.key == rules.LIVE_STEP for s in steps):
        r.problem("A2", f"工程キー「{rules.LIVE_STEP}」（稼働）は削除できません")
    if not rows:
        r.problem("A2", "工程が1つもありません")
    issues += r.issues
    return steps


def _parse_systems(
    rows: list[tuple[int, tuple]], current: Sequence[System], issues: list[CellIssue]
) -> list[System]:
    r = _Reader(SHEET_SYSTEMS)
    by_number = {s.number: s for s in current}
    result: list[System] = []
    for n, row in rows:
        number = _text(row[0]).zfill(2)
        system = by_number.get(number)
        if system is None:
            r.problem(f"A{n}", f"番号「{_text(row[0])}」のシステムはありません")
            continue
        if _text(row[1]) != system.operation:
            r.problem(f"B{n}", f"業務は「{system.operation}」のはずです（番号 {number}）")
        if any(s.number == number for s in result):
            r.problem(f"A{n}", f"番号 {number} が重複しています")
        bureau, section, vendor = _text(row[2]), _text(row[3]), _text(row[4])
        for col, value in (("C", bureau), ("E", vendor)):
            if len(value) > 100 or any(ch in value for ch in "/\\#?|"):
                r.problem(f"{col}{n}", "100文字以内で、/ \\ # ? | を含めずに入力してください")
        section = section.replace("／", "/")
        if section:
            try:
                unit = OrgUnit.parse(f"{bureau or '局'}/{section}")
                section = "/".join(p for p in (unit.department, unit.section) if p)
            except ValueError:
                r.problem(f"D{n}", "所管課は「部」か「部/課」の形で入力してください（例: 税務部/市民税課）")
            if not bureau:
                r.problem(f"C{n}", "所管課を入力するときは所管局も入力してください")
        special = r.flag(f"G{n}", row[6])
        own = r.day(f"H{n}", row[7])
        if own and not (system.hard or special):
            r.problem(f"H{n}", "個別の期限は、移行困難システムか特定移行支援システムにだけ入力できます")
        data_done = r.day(f"I{n}", row[8])
        amounts = [r.yen(f"{get_column_letter(10 + i)}{n}", row[9 + i]) for i in range(1 + len(CostCategory))]
        result.append(
            replace(
                system,
                bureau=bureau,
                section=section,
                vendor=vendor,
                special=special,
                own_deadline=own,
                data_done_on=data_done,
                costs=Costs(amounts[0], tuple(amounts[1:])),
            )
        )
    missing = [s.number for s in current if s.number not in {x.number for x in result}]
    if missing:
        r.problem("A2", f"番号 {'、'.join(missing)} の行がありません（20業務すべての行が必要です）")
    issues += r.issues
    return result


def _parse_steps(
    rows: list[tuple[int, tuple]], systems: list[System], steps: Sequence[StepDef], issues: list[CellIssue]
) -> list[System]:
    r = _Reader(SHEET_STEPS)
    keys = {s.key for s in steps}
    found: dict[str, dict[str, Step]] = {s.number: {} for s in systems}
    for n, row in rows:
        number, key = _text(row[0]).zfill(2), _text(row[2])
        if number not in found:
            r.problem(f"A{n}", f"番号「{_text(row[0])}」のシステムはありません")
            continue
        if key not in keys:
            r.problem(f"C{n}", f"工程キー「{key}」は「{SHEET_CONFIG}」シートにありません")
            continue
        try:
            status = StepStatus(_text(row[4]) or StepStatus.NOT_STARTED.value)
        except ValueError:
            r.problem(f"E{n}", f"状況は {'・'.join(s.value for s in StepStatus)} のいずれかです")
            continue
        start, end, done = r.day(f"F{n}", row[5]), r.day(f"G{n}", row[6]), r.day(f"H{n}", row[7])
        if done and status is not StepStatus.DONE:
            r.problem(f"H{n}", "完了日は状況が「完了」のときだけ入力してください")
        if status is StepStatus.DONE and not done:
            r.problem(f"H{n}", "状況が「完了」のときは完了日を入力してください")
        found[number][key] = Step(key, status, start, end, done, _text(row[8])[:1000])
    issues += r.issues
    return [
        replace(s, steps=tuple(found[s.number].get(d.key, s.step(d.key)) for d in steps)) for s in systems
    ]


def _parse_cap(workbook: Any, issues: list[CellIssue]) -> int | None:
    if SHEET_CAP not in workbook.sheetnames:
        issues.append(CellIssue(SHEET_CAP, "", "シートがありません"))
        return None
    value = next(
        workbook[SHEET_CAP].iter_rows(min_row=2, max_row=2, min_col=2, max_col=2, values_only=True), (None,)
    )[0]
    if value in (None, ""):
        return None
    r = _Reader(SHEET_CAP)
    amount = r.yen("B2", value)
    issues += r.issues
    return None if r.issues else amount
