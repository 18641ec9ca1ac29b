"""The vocabulary of the seed files: column kinds, columns, file schemas, the issues a check
reports, and the constants every part of the seed shares."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[3] / "data"
SEED_TABLE = "Seed"
LIST_SEPARATOR = "|"
FLAG_MARKS = ("○", "〇")
TOTAL_LABEL = "総計"
MAX_REPORTED_ISSUES = 30


# --- schema ----------------------------------------------------------------------------------


class Kind(enum.Enum):
    COUNT = "count"  # integer >= 0; a blank cell is 0
    OPT_COUNT = "optional count"  # integer >= 0 or blank (pd.NA)
    TEXT = "text"  # required
    OPT_TEXT = "optional text"  # blank is ""
    DATE = "date"  # ISO YYYY-MM-DD, required
    OPT_DATE = "optional date"  # blank is None
    FLAG = "flag"  # ○ or blank
    LIST = "list"  # "a|b|c", at least one item; a tuple in the DataFrame


DTYPES: dict[Kind, Any] = {
    Kind.COUNT: "int64",
    Kind.OPT_COUNT: "Int64",
    Kind.TEXT: "str",
    Kind.OPT_TEXT: "str",
    Kind.DATE: object,
    Kind.OPT_DATE: object,
    Kind.FLAG: "bool",
    Kind.LIST: object,
}


@dataclass(frozen=True)
class Column:
    name: str  # the Japanese header, exactly as in the CSV
    key: str  # ASCII property name in the store
    kind: Kind
    choices: tuple[str, ...] = ()  # allowed values of a text column (empty: any)


@dataclass(frozen=True)
class FileSchema:
    name: str  # file stem; also the store partition
    title: str  # where it comes from in the material (Japanese)
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = ()  # columns whose values together identify a row
    checks: tuple[Callable[[pd.DataFrame], list[SeedIssue]], ...] = ()

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def col(name: str, key: str, kind: Kind = Kind.TEXT, choices: Sequence[str] = ()) -> Column:
    return Column(name, key, kind, tuple(choices))


# --- errors ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedIssue:
    file: str
    message: str
    row: int | None = None  # spreadsheet row: the header is row 1
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" {self.row}行目"
        if self.column is not None:
            where += f" 「{self.column}」"
        return f"{where}: {self.message}"


class SeedError(Exception):
    """The seed files are not valid; ``issues`` lists every problem found."""

    def __init__(self, issues: Sequence[SeedIssue]):
        self.issues = list(issues)
        lines = [str(i) for i in self.issues[:MAX_REPORTED_ISSUES]]
        if len(self.issues) > MAX_REPORTED_ISSUES:
            lines.append(f"ほか {len(self.issues) - MAX_REPORTED_ISSUES} 件")
        super().__init__("\n".join(lines))


def sheet_row(index: int) -> int:
    """DataFrame position -> spreadsheet row number (row 1 is the header)."""
    return index + 2
