"""A smartphone class as a card or an Excel row: parsing, validation and the workbook layout.

Sheet 「スマホ教室」, header row 1, one class per row from row 2:

    A 日付 | B 開始 | C 終了 | D 区 | E 会場 | F 連携先 | G 定員 | H 参加者数 (blank: not recorded)

Dates in 西暦 or 和暦 (``2023-09-12``, ``R5.9.12``) or as Excel dates; times ``10:00`` or Excel times.
An import is whole or nothing: every problem is reported with its cell (``B3``), and nothing is
saved while one remains.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from services.digital_divide.models import WARDS, SmartphoneClass
from services.kernel.calendar import DateParseError, parse_japanese_date
from services.kernel.numbers import parse_count as shared_parse_count
from services.kernel.tabular import MAX_ROWS, ImportRejected, bounded_rows, check_workbook, peek

SHEET = "スマホ教室"
HEADERS = ("日付", "開始", "終了", "区", "会場", "連携先", "定員", "参加者数")
FIELDS = ("day", "start", "end", "ward", "venue", "partner", "capacity", "attendance")
LABELS: dict[str, str] = dict(zip(FIELDS, HEADERS, strict=True))
MAX_TEXT = 60
MAX_CAPACITY = 1000
MAX_IMPORT_ROWS = 99  # one all-or-nothing batch of 100 operations, with the import's marker


class Rejected(Exception):
    def __init__(self, problems: Sequence[str]):
        super().__init__("；".join(problems))
        self.problems = list(problems)


def _nfkc(value: Any) -> str:
    return " ".join(unicodedata.normalize("NFKC", "" if value is None else str(value)).split())


def parse_day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _nfkc(value)
    try:
        return date.fromisoformat(text)
    except ValueError:
        return parse_japanese_date(text)


def parse_time(value: Any) -> time:
    if isinstance(value, datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    text = _nfkc(value).replace("：", ":").replace("時", ":").removesuffix("分")
    if text.endswith(":"):
        text += "00"
    hour, _, minute = text.partition(":")
    if not (hour.isdigit() and minute.isdigit() and len(hour) <= 2 and len(minute) == 2):
        raise ValueError(text)
    return time(int(hour), int(minute))


def parse_count(value: Any, high: int) -> int | None:
    """Blank is None; otherwise the shared parser (:func:`services.kernel.numbers.parse_count`: NFKC,
    thousands separators, a trailing 人; here a trailing 名 too), or an Excel number. Raises ValueError."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        if not 0 <= value <= high:
            raise ValueError(value)
        return value
    text = _nfkc(value).removesuffix("名").strip()
    if not text:
        return None
    number, error = shared_parse_count(text, required=True, max_digits=len(str(high)), maximum=high)
    if error or number is None:
        raise ValueError(error)
    return number


@dataclass(frozen=True)
class Parsed:
    day: date
    start: time
    end: time
    ward: str
    venue: str
    partner: str
    capacity: int
    attendance: int | None


def parse_class(values: Mapping[str, Any], partners: Sequence[str]) -> tuple[Parsed | None, dict[str, str]]:
    """Validate one class; the errors are per field, in Japanese."""
    errors: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    raw = {f: values.get(f) for f in FIELDS}
    try:
        parsed["day"] = parse_day(raw["day"])
    except (DateParseError, ValueError, TypeError):
        errors["day"] = "日付ではありません（例: 2023-09-12、R5.9.12）"
    for name in ("start", "end"):
        try:
            parsed[name] = parse_time(raw[name])
        except ValueError:
            errors[name] = "時刻ではありません（例: 10:00）"
    if "start" in parsed and "end" in parsed and parsed["end"] <= parsed["start"]:
        errors["end"] = "終了は開始より後の時刻にしてください"
    ward = _nfkc(raw["ward"])
    ward = ward if ward.endswith("区") or not ward else ward + "区"
    if ward not in WARDS:
        errors["ward"] = f"区は {'・'.join(WARDS)} のいずれかです"
    parsed["ward"] = ward
    for name in ("venue", "partner"):
        text = _nfkc(raw[name])
        if not text or len(text) > MAX_TEXT or "|" in text:
            errors[name] = f"1～{MAX_TEXT}文字で入力してください"
        parsed[name] = text
    if parsed.get("partner") and partners and parsed["partner"] not in partners:
        errors["partner"] = f"登録されている連携先（{'・'.join(partners)}）から選んでください"
    try:
        capacity = parse_count(raw["capacity"], MAX_CAPACITY)
        if not capacity:
            raise ValueError(raw["capacity"])
        parsed["capacity"] = capacity
    except ValueError:
        errors["capacity"] = f"1～{MAX_CAPACITY}の整数で入力してください"
    try:
        parsed["attendance"] = parse_count(raw["attendance"], MAX_CAPACITY)
    except ValueError:
        errors["attendance"] = f"0～{MAX_CAPACITY}の整数で入力してください（未実施なら空欄）"
    if errors:
        return None, errors
    return Parsed(**parsed), {}


# --- the workbook -------------------------------------------------------------------------------


def workbook_bytes(classes: Sequence[SmartphoneClass], title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    sheet.append(list(HEADERS))
    for c in classes:
        sheet.append(
            [
                c.day,
                f"{c.start:%H:%M}",
                f"{c.end:%H:%M}",
                c.ward,
                c.venue,
                c.partner,
                c.capacity,
                c.attendance,
            ]
        )
        sheet.cell(sheet.max_row, 1).number_format = "yyyy-mm-dd"
    for column, width in zip("ABCDEFGH", (12, 8, 8, 8, 28, 24, 8, 10), strict=True):
        sheet.column_dimensions[column].width = width
    notes = book.create_sheet("説明")
    notes.append([title])
    notes.append(["1行に1回の教室。参加者数は実施後に入力します（未実施なら空欄）。"])
    notes.append([f"区: {'・'.join(WARDS)}"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def looks_like_classes(data: bytes) -> bool:
    book = peek(data)  # the first row only: never the whole file (services.kernel.tabular)
    return book is not None and tuple(_nfkc(v) for v in book.first_row[: len(HEADERS)]) == HEADERS


def read_rows(data: bytes, partners: Sequence[str]) -> list[tuple[int, Parsed]]:
    """Every class of the workbook, or :class:`Rejected` naming each bad cell."""
    from openpyxl import load_workbook

    try:  # too large, not a workbook, a hidden sheet, formulas without values, merged rows
        check_workbook(data, "classes.xlsx")
    except ImportRejected as refused:
        raise Rejected([str(issue) for issue in refused.issues]) from None
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise Rejected(["Excel ファイル（.xlsx）として開けませんでした"]) from None
    try:
        sheet = book.worksheets[0]
        rows = list(bounded_rows(sheet, MAX_ROWS + 1))
    finally:
        book.close()
    if not rows or tuple(_nfkc(v) for v in rows[0][: len(HEADERS)]) != HEADERS:
        raise Rejected([f"1行目の見出しは「{'・'.join(HEADERS)}」の順です"])
    body = [(n, r) for n, r in enumerate(rows[1:], start=2) if any(_nfkc(v) for v in r[: len(HEADERS)])]
    if not body:
        raise Rejected(["教室の行がありません"])
    if len(body) > MAX_IMPORT_ROWS:
        raise Rejected(
            [f"1ファイル{MAX_IMPORT_ROWS}件までです（{len(body)}件あります）。分けて送ってください"]
        )
    problems, parsed = [], []
    for number, row in body:
        cells = list(row[: len(HEADERS)]) + [None] * (len(HEADERS) - len(row))
        item, errors = parse_class(dict(zip(FIELDS, cells, strict=True)), partners)
        for name, message in errors.items():
            column = "ABCDEFGH"[FIELDS.index(name)]
            shown = _nfkc(cells[FIELDS.index(name)])
            problems.append(
                f"{column}{number}（{LABELS[name]}）: {message}" + (f"（入力: {shown}）" if shown else "")
            )
        if item:
            parsed.append((number, item))
    if problems:
        raise Rejected(problems)
    return parsed
