"""Reading the seed: every CSV parsed cell by cell against its schema, then checked; all or nothing
(:func:`load_seed` returns :class:`SeedData` or raises :class:`SeedError` listing every issue)."""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from services.kernel.seed.model import (
    DEFAULT_DATA_DIR,
    DTYPES,
    FLAG_MARKS,
    LIST_SEPARATOR,
    Column,
    FileSchema,
    Kind,
    SeedError,
    SeedIssue,
)
from services.kernel.seed.schemas import CROSS_CHECKS, SCHEMA_BY_NAME, SCHEMAS

# --- the loaded seed -------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedData:
    """One validated DataFrame per seed file, keyed by file stem, columns as in the CSV."""

    frames: Mapping[str, pd.DataFrame] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]

    @property
    def online_procedures(self) -> pd.DataFrame:
        return self.frames["online_procedures"]

    @property
    def row_count(self) -> int:
        return sum(len(f) for f in self.frames.values())


# --- parsing cells ---------------------------------------------------------------------------

_INT = re.compile(r"^-?(?:\d+|\d{1,3}(?:,\d{3})+)$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class _CellError(ValueError):
    pass


def _parse_cell(column: Column, raw: str) -> Any:
    text = raw.strip()
    kind = column.kind
    if kind in (Kind.COUNT, Kind.OPT_COUNT):
        if text == "":
            return 0 if kind is Kind.COUNT else pd.NA
        if not _INT.match(text):
            raise _CellError(f'数値ではありません ("{text}")')
        value = int(text.replace(",", ""))
        if value < 0:
            raise _CellError(f'負の数は使えません ("{text}")')
        return value
    if kind in (Kind.DATE, Kind.OPT_DATE):
        if text == "":
            if kind is Kind.DATE:
                raise _CellError("必須です（空欄）")
            return None
        if not _ISO_DATE.match(text):
            raise _CellError(f'日付は YYYY-MM-DD で書いてください ("{text}")')
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise _CellError(f'存在しない日付です ("{text}")') from None
    if kind is Kind.FLAG:
        if text == "":
            return False
        if text in FLAG_MARKS:
            return True
        raise _CellError(f'「○」か空欄で書いてください ("{text}")')
    if kind is Kind.LIST:
        items = tuple(item.strip() for item in text.split(LIST_SEPARATOR))
        if text == "" or any(item == "" for item in items):
            raise _CellError(f'「{LIST_SEPARATOR}」で区切った空でない項目を書いてください ("{text}")')
        return items
    # text kinds
    if kind is Kind.TEXT and text == "":
        raise _CellError("必須です（空欄）")
    if column.choices and text not in column.choices:
        allowed = "、".join(c if c else "空欄" for c in column.choices)
        raise _CellError(f'次のいずれかで書いてください: {allowed} ("{text}")')
    return text


def to_frame(schema: FileSchema, records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The typed DataFrame of a file: the single place that fixes the dtypes."""
    return pd.DataFrame(
        {c.name: pd.Series([r[c.name] for r in records], dtype=DTYPES[c.kind]) for c in schema.columns}
    )


def _read_rows(path: Path, file: str) -> tuple[list[list[str]] | None, list[SeedIssue]]:
    if not path.is_file():
        return None, [SeedIssue(file, "ファイルがありません")]
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except UnicodeDecodeError:
        return None, [SeedIssue(file, "UTF-8 で読めません（UTF-8 で保存してください）")]
    except csv.Error as exc:
        return None, [SeedIssue(file, f"CSV として読めません ({exc})")]
    if not rows:
        return None, [SeedIssue(file, "空のファイルです")]
    return rows, []


def _is_blank(cells: Sequence[str]) -> bool:
    return all(cell.strip() == "" for cell in cells)


def check_header(schema: FileSchema, header: list[str]) -> list[SeedIssue]:
    file = schema.filename
    got = [h.strip() for h in header]
    expected = schema.column_names
    if got == expected:
        return []
    issues = [SeedIssue(file, "列がありません", 1, name) for name in expected if name not in got]
    issues += [SeedIssue(file, "想定外の列です", 1, name) for name in got if name not in expected]
    if not issues:
        issues.append(SeedIssue(file, f"列の順番が違います（正: {', '.join(expected)}）", 1))
    return issues


def _parse_file(schema: FileSchema, data_dir: Path) -> tuple[pd.DataFrame | None, list[SeedIssue]]:
    file = schema.filename
    rows, issues = _read_rows(data_dir / file, file)
    if rows is None:
        return None, issues
    issues = check_header(schema, rows[0])
    if issues:
        return None, issues
    body = rows[1:]
    while body and _is_blank(body[-1]):
        body.pop()  # blank lines a spreadsheet may leave at the end
    records: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], int] = {}
    width = len(schema.columns)
    for number, cells in enumerate(body, start=2):
        if _is_blank(cells):
            issues.append(SeedIssue(file, "空の行があります（データの途中に空行は置けません）", number))
            continue
        if len(cells) != width:
            issues.append(SeedIssue(file, f"列の数が {len(cells)} です（{width} のはず）", number))
            continue
        record: dict[str, Any] = {}
        for column, raw in zip(schema.columns, cells, strict=True):
            try:
                record[column.name] = _parse_cell(column, raw)
            except _CellError as exc:
                issues.append(SeedIssue(file, str(exc), number, column.name))
        if len(record) < width:
            continue
        if schema.unique:
            key = tuple(record[name] for name in schema.unique)
            if key in seen:
                issues.append(
                    SeedIssue(
                        file,
                        f"{seen[key]}行目と重複しています ({' / '.join(map(str, key))})",
                        number,
                        schema.unique[-1],
                    )
                )
            seen.setdefault(key, number)
        records.append(record)
    if not body:
        issues.append(SeedIssue(file, "データの行がありません"))
    if issues:
        return None, issues
    frame = to_frame(schema, records)
    for check in schema.checks:
        issues += check(frame)
    return (None if issues else frame), issues


def load_seed(data_dir: str | Path = DEFAULT_DATA_DIR) -> SeedData:
    """Read and validate every seed file; all or nothing."""
    data_dir = Path(data_dir)
    issues: list[SeedIssue] = []
    if not data_dir.is_dir():
        raise SeedError([SeedIssue(str(data_dir), "フォルダがありません")])
    frames: dict[str, pd.DataFrame] = {}
    for schema in SCHEMAS:
        frame, file_issues = _parse_file(schema, data_dir)
        issues += file_issues
        if frame is not None:
            frames[schema.name] = frame
    for path in sorted(data_dir.glob("*.csv")):
        if path.stem not in SCHEMA_BY_NAME:
            issues.append(
                SeedIssue(
                    path.name,
                    "スキーマにないファイルです"
                    "（services/kernel/seed/schemas.py の SCHEMAS に追加してください）",
                )
            )
    for needs, check in CROSS_CHECKS:
        if all(name in frames for name in needs):
            issues += check(frames)
    if issues:
        raise SeedError(issues)
    return SeedData(frames)
