"""The seed data: the tables of the 2023-08-08 ICT strategy meeting material, as CSV under ``data/``.

* A declarative schema per file (:data:`SCHEMAS`): its columns, exact Japanese names in order, each
  with an ASCII property key (TableStore property names are ASCII) and a kind.
* :func:`load_seed` reads and validates *every* file, then runs the cross-checks (row totals, the
  総計 row, figures the material states twice). Any problem raises :class:`SeedError` naming the
  file, the spreadsheet row (the header is row 1) and the column; nothing is returned then.
* :func:`seed_store` writes the seed into the ``Seed`` table (one partition per file, row keys
  ``0001``…) with insert-if-absent semantics, so a second run adds nothing.
* :func:`read_seed_frame` / :func:`read_online_procedures` read it back as the same DataFrames,
  because every number the bot shows is computed from stored data.

CLI: ``python -m services.kernel.seed check [DATA_DIR]``.

Rules of the files (see ``data/README.md``): UTF-8 (a BOM is accepted), one header row, blank
count cells mean 0, ``|`` separates list items, ``○`` marks a flag, dates are ISO ``YYYY-MM-DD``.
"""

from __future__ import annotations

import argparse
import csv
import enum
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from storage.base import MAX_BATCH_OPERATIONS, BatchFailed, BatchOperation, Entity, EntityExists, TableStore

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data"
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


_DTYPES: dict[Kind, Any] = {
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


def _c(name: str, key: str, kind: Kind = Kind.TEXT, choices: Sequence[str] = ()) -> Column:
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


def _sheet_row(index: int) -> int:
    """DataFrame position -> spreadsheet row number (row 1 is the header)."""
    return index + 2


# --- online procedures: columns and checks ---------------------------------------------------

QUARTERS = ("4～6月", "7～9月", "10～12月", "1～3月")
ANNOTATIONS = ("遅れ", "前倒し")

BUREAU = "局"
FORMS_TOTAL = "帳票数"
INDIVIDUAL = "個別対応が必要な手続き"

_ONLINE_COLUMNS: tuple[Column, ...] = (
    _c(BUREAU, "bureau"),
    _c("R3年5月まで実績", "done_until_r3_may", Kind.COUNT),
    _c("R3年6月～R5年3月 グループ1実績", "done_group1", Kind.COUNT),
    _c("R3年6月～R5年3月 重要取組実績", "done_priority", Kind.COUNT),
    _c("R5年度 4～6月実績", "r5_q1_done", Kind.COUNT),
    _c("R5年度 4～6月 遅れ", "r5_q1_delayed", Kind.COUNT),
    _c("R5年度 4～6月 前倒し", "r5_q1_advanced", Kind.COUNT),
    _c("R5年度 7～9月予定", "r5_q2_plan", Kind.COUNT),
    _c("R5年度 7～9月 遅れ", "r5_q2_delayed", Kind.COUNT),
    _c("R5年度 7～9月 前倒し", "r5_q2_advanced", Kind.COUNT),
    _c("R5年度 10～12月予定", "r5_q3_plan", Kind.COUNT),
    _c("R5年度 10～12月 遅れ", "r5_q3_delayed", Kind.COUNT),
    _c("R5年度 10～12月 前倒し", "r5_q3_advanced", Kind.COUNT),
    _c("R5年度 1～3月予定", "r5_q4_plan", Kind.COUNT),
    _c("R5年度 1～3月 遅れ", "r5_q4_delayed", Kind.COUNT),
    _c("R5年度 1～3月 前倒し", "r5_q4_advanced", Kind.COUNT),
    _c("R6年度予定", "r6_plan", Kind.COUNT),
    _c("R7年度予定", "r7_plan", Kind.COUNT),
    _c("重要取組未実施", "priority_not_done", Kind.COUNT),
    _c(FORMS_TOTAL, "forms_total", Kind.COUNT),
    _c(INDIVIDUAL, "needs_individual", Kind.COUNT),
    _c("備考", "note", Kind.OPT_TEXT),  # transcription notes (see data/README.md, Errata)
)

#: The columns whose sum is a bureau's 帳票数 (個別対応が必要な手続き is counted apart).
ONLINE_PERIOD_COLUMNS: tuple[str, ...] = (
    "R3年5月まで実績",
    "R3年6月～R5年3月 グループ1実績",
    "R3年6月～R5年3月 重要取組実績",
    "R5年度 4～6月実績",
    "R5年度 7～9月予定",
    "R5年度 10～12月予定",
    "R5年度 1～3月予定",
    "R6年度予定",
    "R7年度予定",
    "重要取組未実施",
)
#: The material's figure columns, in its order: what the 総計 row totals.
ONLINE_FIGURE_COLUMNS: tuple[str, ...] = (*ONLINE_PERIOD_COLUMNS, FORMS_TOTAL, INDIVIDUAL)
#: The 遅れ/前倒し notes, per R5 quarter (notes: not added to any figure).
ONLINE_ANNOTATION_COLUMNS: tuple[str, ...] = tuple(
    f"R5年度 {q} {label}" for q in QUARTERS for label in ANNOTATIONS
)


def bureau_rows(online: pd.DataFrame) -> pd.DataFrame:
    """The bureau rows of the online-procedures frame, without the 総計 row."""
    return online[online[BUREAU] != TOTAL_LABEL]


def _check_online_procedures(df: pd.DataFrame) -> list[SeedIssue]:
    file = "online_procedures.csv"
    issues: list[SeedIssue] = []
    totals = [i for i, b in enumerate(df[BUREAU]) if b == TOTAL_LABEL]
    if totals != [len(df) - 1]:
        issues.append(
            SeedIssue(file, f"最後の行を「{BUREAU}」=「{TOTAL_LABEL}」の総計行にしてください（1行だけ）")
        )
        return issues
    for i, row in enumerate(df.itertuples(index=False)):
        values = dict(zip(df.columns, row, strict=True))
        period_sum = sum(int(values[c]) for c in ONLINE_PERIOD_COLUMNS)
        if period_sum != values[FORMS_TOTAL]:
            issues.append(
                SeedIssue(
                    file,
                    f"期間の列の合計 {period_sum} と一致しません ({values[FORMS_TOTAL]})",
                    _sheet_row(i),
                    FORMS_TOTAL,
                )
            )
    bureaus = bureau_rows(df)
    for name in ONLINE_FIGURE_COLUMNS:
        column_sum = int(bureaus[name].sum())
        stated = int(df[name].iloc[-1])
        if column_sum != stated:
            issues.append(
                SeedIssue(
                    file,
                    f"総計 {stated} が各局の合計 {column_sum} と一致しません",
                    _sheet_row(len(df) - 1),
                    name,
                )
            )
    return issues


# --- other checks ----------------------------------------------------------------------------

FACT_TOTAL = "オンライン化件数（R3年6月～R5年3月末）"
FACT_GROUP1 = "うちグループ1手続き"
FACT_PRIORITY = "うち重要取組"
MYNUMBER_CLASSIFIED_WORKS = 47  # 43 + 2 + 0 + 2 業務, the classification matrix of section 1
DX_DEPARTMENTS = 72  # DX選定会議 was held in 72 部署
DX_SELECTION_MEETING = "DX選定会議"


def _check_survey(df: pd.DataFrame) -> list[SeedIssue]:
    return [
        SeedIssue(
            "mynumber_survey.csv",
            f"対象情報数 {row['対象情報数']} を超えています ({row['回答情報数']})",
            _sheet_row(i),
            "回答情報数",
        )
        for i, row in df.iterrows()
        if row["回答情報数"] > row["対象情報数"]
    ]


def _check_classification(df: pd.DataFrame) -> list[SeedIssue]:
    counts = df[["対象となるレコード件数 100件以上", "対象となるレコード件数 100件未満"]]
    total = int(counts.to_numpy().sum())
    if total != MYNUMBER_CLASSIFIED_WORKS:
        return [
            SeedIssue(
                "mynumber_classification.csv",
                f"業務数の合計が {total} です（資料では {MYNUMBER_CLASSIFIED_WORKS}）",
            )
        ]
    return []


def _check_dx_programme(df: pd.DataFrame) -> list[SeedIssue]:
    rows = df.index[df["項目"] == DX_SELECTION_MEETING].tolist()
    if len(rows) != 1:
        return [SeedIssue("dx_programme.csv", f"「項目」=「{DX_SELECTION_MEETING}」の行が1行必要です")]
    value = df.at[rows[0], "数値"]
    if pd.isna(value) or int(value) != DX_DEPARTMENTS:
        return [
            SeedIssue(
                "dx_programme.csv",
                f"DX選定会議の部署数は資料では {DX_DEPARTMENTS} です ({value})",
                _sheet_row(rows[0]),
                "数値",
            )
        ]
    return []


def _date_order(file: str, start: str, end: str) -> Callable[[pd.DataFrame], list[SeedIssue]]:
    def check(df: pd.DataFrame) -> list[SeedIssue]:
        return [
            SeedIssue(file, f"「{start}」{row[start]} より前です ({row[end]})", _sheet_row(i), end)
            for i, row in df.iterrows()
            if row[start] is not None and row[end] is not None and row[end] < row[start]
        ]

    return check


def _check_facts_against_table(frames: Mapping[str, pd.DataFrame]) -> list[SeedIssue]:
    """The prose figures (1,061 = 991 + 70) agree with the 総計 row of the table."""
    file = "online_procedures_facts.csv"
    facts, online = frames["online_procedures_facts"], frames["online_procedures"]
    issues: list[SeedIssue] = []
    position = {item: i for i, item in enumerate(facts["項目"])}
    for item in (FACT_TOTAL, FACT_GROUP1, FACT_PRIORITY):
        if item not in position:
            issues.append(SeedIssue(file, f"「項目」=「{item}」の行がありません"))
    if issues:
        return issues
    total = online.iloc[-1]
    expected = {
        FACT_GROUP1: int(total["R3年6月～R5年3月 グループ1実績"]),
        FACT_PRIORITY: int(total["R3年6月～R5年3月 重要取組実績"]),
    }
    expected[FACT_TOTAL] = expected[FACT_GROUP1] + expected[FACT_PRIORITY]
    for item, value in expected.items():
        i = position[item]
        stated = int(facts.at[i, "件数"])
        if stated != value:
            issues.append(
                SeedIssue(
                    file, f"オンライン化の表の総計からは {value} です ({stated})", _sheet_row(i), "件数"
                )
            )
    return issues


# --- the schemas -----------------------------------------------------------------------------

_K = Kind
SCHEMAS: tuple[FileSchema, ...] = (
    FileSchema(
        "online_procedures",
        "2 行政手続きオンライン化の推進: 局別の表",
        _ONLINE_COLUMNS,
        unique=(BUREAU,),
        checks=(_check_online_procedures,),
    ),
    FileSchema(
        "online_procedures_facts",
        "2 行政手続きオンライン化の推進: 本文の件数",
        (
            _c("項目", "item"),
            _c("件数", "count", _K.COUNT),
            _c("説明", "description", _K.OPT_TEXT),
        ),
        unique=("項目",),
    ),
    FileSchema(
        "mynumber_survey",
        "1 マイナンバー情報総点検: 現状の紐付け方法確認",
        (
            _c("調査", "survey"),
            _c("時期", "period"),
            _c("対象", "subject"),
            _c("対象情報数", "items", _K.COUNT),
            _c("回答情報数", "answered", _K.COUNT),
            _c("関係課室数", "sections", _K.COUNT),
            _c("関係局", "bureaus", _K.LIST),
        ),
        unique=("調査",),
        checks=(_check_survey,),
    ),
    FileSchema(
        "mynumber_classification",
        "1 マイナンバー情報総点検: 全データ点検の分類",
        (
            _c("分類", "category"),
            _c("対象となるレコード件数 100件以上", "works_100_or_more", _K.COUNT),
            _c("対象となるレコード件数 100件未満", "works_under_100", _K.COUNT),
            _c("注記", "note", _K.OPT_TEXT),
        ),
        unique=("分類",),
        checks=(_check_classification,),
    ),
    FileSchema(
        "mynumber_steps",
        "1 マイナンバー情報総点検: 進め方と再発防止策",
        (
            _c(
                "区分",
                "category",
                choices=(
                    "国が示す総点検の進め方",
                    "本市における総点検の進め方",
                    "再発防止策 国の方向性",
                    "再発防止策 本市で対応が必要と想定される内容",
                ),
            ),
            _c("時期", "period", _K.OPT_TEXT),
            _c("期限", "due", _K.OPT_DATE),
            _c("番号", "number", _K.OPT_TEXT),
            _c("内容", "content"),
            _c("上位項目", "parent", _K.OPT_TEXT),
        ),
    ),
    FileSchema(
        "cashless_receivables",
        "3 キャッシュレスの推進: 年間件数3,000件以上のキャッシュレス未導入債権",
        (
            _c("区分", "channel", choices=("納付書債権", "市窓口 直営施設債権", "指定管理者施設債権")),
            _c("債権名", "name"),
            _c("所管課", "department", _K.OPT_TEXT),
            _c("切替公募年度", "tender_year", _K.OPT_TEXT, choices=("", "R5", "R6", "複数年")),
        ),
        unique=("区分", "債権名"),
    ),
    FileSchema(
        "cashless_done",
        "3 キャッシュレスの推進: 導入済み",
        (
            _c("導入時期", "introduced", choices=("R4", "R5当初")),
            _c("対象", "target"),
            _c("数", "count", _K.COUNT),
            _c("単位", "unit"),
            _c("財源", "funding", _K.OPT_TEXT),
        ),
        unique=("導入時期", "対象"),
    ),
    FileSchema(
        "cashless_policy",
        "3 キャッシュレスの推進: 導入方針",
        (
            _c("区分", "category"),
            _c("項目", "item"),
            _c("内容", "content"),
            _c("数値", "value", _K.OPT_COUNT),
            _c("単位", "unit", _K.OPT_TEXT),
            _c("期限", "due", _K.OPT_DATE),
        ),
        unique=("区分", "項目"),
    ),
    FileSchema(
        "standardization_policy",
        "業務システムの標準化: 標準化基本方針の改定",
        (
            _c("番号", "number", choices=("①", "②", "③")),
            _c("基本方針の改定案概要（抜粋）", "policy"),
            _c("改訂案の内容による留意事項", "notes"),
        ),
        unique=("番号",),
    ),
    FileSchema(
        "standardization_hard_systems",
        "業務システムの標準化: 移行の難易度が極めて高いシステム",
        (
            _c("システム", "system"),
            _c("区分", "category"),
            _c("データ要件適合期限", "data_due_label"),
            _c("データ要件適合期限日", "data_due", _K.DATE),
            _c("本市の対応期限", "city_due_label"),
            _c("本市の対応期限日", "city_due", _K.DATE),
            _c("移行期限", "migration_due_label"),
            _c("移行期限日", "migration_due", _K.DATE),
            _c("本市の対応", "city_action"),
        ),
        unique=("システム",),
    ),
    FileSchema(
        "standardization_budget_schedule",
        "業務システムの標準化: 予算要求までのスケジュール",
        (
            _c("時期", "period"),
            _c("開始日", "start", _K.DATE),
            _c("終了日", "end", _K.DATE),
            _c("作業内容", "task"),
            _c("各システム担当課", "system_sections", _K.OPT_TEXT),
            _c("ICTイノベーション推進室", "ict_office", _K.OPT_TEXT),
            _c("注記", "note", _K.OPT_TEXT),
        ),
        unique=("作業内容",),
        checks=(_date_order("standardization_budget_schedule.csv", "開始日", "終了日"),),
    ),
    FileSchema(
        "dx_training_menu",
        "堺市DXの推進: DX PRO育成プログラムの研修メニュー",
        (
            _c("研修メニュー", "menu"),
            _c("研修概要", "summary"),
            _c("形式", "format", _K.OPT_TEXT, choices=("", "動画", "グループワーク")),
            _c("部長", "for_directors", _K.FLAG),
            _c("DX PRO", "for_dx_pros", _K.FLAG),
            _c("選抜", "for_selected", _K.FLAG),
        ),
        unique=("研修メニュー",),
    ),
    FileSchema(
        "dx_data_academy",
        "堺市DXの推進: データアカデミー対象業務",
        (
            _c("番号", "number", choices=("①", "②", "③", "④")),
            _c("対象業務", "work"),
            _c("参加", "participation", _K.OPT_TEXT),
            _c("所管部署", "departments", _K.LIST),
            _c("共通参加部署", "common_departments", _K.LIST),
        ),
        unique=("番号",),
    ),
    FileSchema(
        "dx_programme",
        "堺市DXの推進: これまでの取組・DX対象業務・DX PRO育成プログラム",
        (
            _c("区分", "category"),
            _c("項目", "item"),
            _c("内容", "content"),
            _c("数値", "value", _K.OPT_COUNT),
            _c("単位", "unit", _K.OPT_TEXT),
            _c("時期", "period", _K.OPT_TEXT),
            _c("開始日", "start", _K.OPT_DATE),
            _c("終了日", "end", _K.OPT_DATE),
        ),
        unique=("区分", "項目"),
        checks=(_check_dx_programme, _date_order("dx_programme.csv", "開始日", "終了日")),
    ),
    FileSchema(
        "literacy_levels",
        "ICTリテラシーの向上: 取組イメージ",
        (
            _c("取組", "initiative"),
            _c("対象", "audience"),
            _c("区分", "stage"),
            _c("レベル", "level", choices=("わかる", "つかえる", "つくれる", "継続")),
            _c("説明", "description"),
            _c("要点", "points", _K.LIST),
        ),
        unique=("レベル",),
    ),
    FileSchema(
        "digital_divide_plan",
        "デジタル・ディバイド対策: 令和5年度の取組",
        (
            _c("柱", "pillar", choices=("興味をもってもらおう", "実際に触れてもらう")),
            _c("柱の説明", "pillar_description"),
            _c("番号", "number", _K.OPT_TEXT),
            _c("取組", "action"),
            _c("詳細", "detail", _K.OPT_TEXT),
            _c("時期", "period", _K.OPT_TEXT),
            _c("回数", "sessions", _K.OPT_COUNT),
            _c("人数", "people", _K.OPT_COUNT),
            _c("令和5年度新規事業", "new_in_r5", _K.FLAG),
        ),
        unique=("取組",),
    ),
    FileSchema(
        "digital_divide_r4",
        "デジタル・ディバイド対策: ポスター・チラシのR4実績",
        (
            _c("媒体", "medium"),
            _c("掲示・配架先", "placement"),
            _c("数", "count", _K.COUNT),
            _c("単位", "unit"),
        ),
        unique=("媒体", "掲示・配架先"),
    ),
)
SCHEMA_BY_NAME: dict[str, FileSchema] = {s.name: s for s in SCHEMAS}
#: Checks that need more than one file: (files they read, check).
CROSS_CHECKS: tuple[tuple[tuple[str, ...], Callable[[Mapping[str, pd.DataFrame]], list[SeedIssue]]], ...] = (
    (("online_procedures", "online_procedures_facts"), _check_facts_against_table),
)


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


def _frame(schema: FileSchema, records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The typed DataFrame of a file: the single place that fixes the dtypes."""
    return pd.DataFrame(
        {c.name: pd.Series([r[c.name] for r in records], dtype=_DTYPES[c.kind]) for c in schema.columns}
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


def _check_header(schema: FileSchema, header: list[str]) -> list[SeedIssue]:
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
    issues = _check_header(schema, rows[0])
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
    frame = _frame(schema, records)
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
                    path.name, "スキーマにないファイルです（services/seed.py の SCHEMAS に追加してください）"
                )
            )
    for needs, check in CROSS_CHECKS:
        if all(name in frames for name in needs):
            issues += check(frames)
    if issues:
        raise SeedError(issues)
    return SeedData(frames)


# --- the store -------------------------------------------------------------------------------


def _row_key(position: int) -> str:
    return f"{position + 1:04d}"


def _encode(column: Column, value: Any) -> Any:
    if column.kind is Kind.OPT_COUNT:
        return None if pd.isna(value) else int(value)
    if column.kind is Kind.COUNT:
        return int(value)
    if column.kind is Kind.FLAG:
        return bool(value)
    if column.kind in (Kind.DATE, Kind.OPT_DATE):
        return None if value is None else value.isoformat()
    if column.kind is Kind.LIST:
        return LIST_SEPARATOR.join(value)
    return str(value)


def _decode(column: Column, value: Any) -> Any:
    kind = column.kind
    if kind is Kind.COUNT:
        return 0 if value is None else int(value)
    if kind is Kind.OPT_COUNT:
        return pd.NA if value is None else int(value)
    if kind is Kind.FLAG:
        return bool(value)
    if kind in (Kind.DATE, Kind.OPT_DATE):
        return None if value is None else date.fromisoformat(value)
    if kind is Kind.LIST:
        return tuple(value.split(LIST_SEPARATOR)) if value else ()
    return "" if value is None else str(value)


def seed_entities(schema: FileSchema, frame: pd.DataFrame) -> Iterator[Entity]:
    """The entities of one seed file: partition = file stem, row key = data row number."""
    for position, row in enumerate(frame.itertuples(index=False)):
        props = {c.key: _encode(c, v) for c, v in zip(schema.columns, row, strict=True)}
        yield Entity(schema.name, _row_key(position), {k: v for k, v in props.items() if v is not None})


def _chunks(items: Sequence[Entity], size: int) -> Iterable[Sequence[Entity]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def seed_store(store: TableStore, seed: SeedData) -> int:
    """Insert the seed rows that are not in the store yet; returns how many were added.

    Existing rows are never overwritten (the seed is a starting point, not a sync): running it
    twice, or on several instances at once, adds nothing the second time.
    """
    added = 0
    for schema in SCHEMAS:
        present = {e.row_key for e in store.query(SEED_TABLE, schema.name)}
        missing = [e for e in seed_entities(schema, seed[schema.name]) if e.row_key not in present]
        for chunk in _chunks(missing, MAX_BATCH_OPERATIONS):
            try:
                store.batch(SEED_TABLE, [BatchOperation("insert", e) for e in chunk])
                added += len(chunk)
            except BatchFailed as exc:
                if not isinstance(exc.cause, EntityExists):
                    raise
                for entity in chunk:  # another instance is seeding too: insert what is still missing
                    try:
                        store.insert(SEED_TABLE, entity)
                        added += 1
                    except EntityExists:
                        pass
    return added


def read_seed_frame(store: TableStore, name: str) -> pd.DataFrame:
    """A seed file as stored, as the same DataFrame :func:`load_seed` gives for it."""
    schema = SCHEMA_BY_NAME[name]
    entities = list(store.query(SEED_TABLE, name))
    if not entities:
        raise SeedError(
            [
                SeedIssue(
                    schema.filename, "ストアにシードデータがありません（先に seed_store を実行してください）"
                )
            ]
        )
    records = [{c.name: _decode(c, e.get(c.key)) for c in schema.columns} for e in entities]
    return _frame(schema, records)


def read_online_procedures(store: TableStore) -> pd.DataFrame:
    return read_seed_frame(store, "online_procedures")


# --- CLI -------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    from services.kernel.privacy import install_log_masking

    install_log_masking()  # no My Number reaches a log line, whatever logs it
    parser = argparse.ArgumentParser(prog="python -m services.kernel.seed", description="The seed CSV files.")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate every seed file and print a one-line summary")
    check.add_argument("data_dir", nargs="?", default=str(DEFAULT_DATA_DIR))
    args = parser.parse_args(argv)
    try:
        seed = load_seed(args.data_dir)
    except SeedError as exc:
        print(f"シードデータにエラーがあります ({len(exc.issues)} 件):\n{exc}", file=sys.stderr)
        return 1
    forms = int(seed.online_procedures[FORMS_TOTAL].iloc[-1])
    files, rows = len(seed.frames), seed.row_count
    print(f"シードデータ OK: {files} ファイル・{rows} 行（帳票数 総計 {forms:,}）: {args.data_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
