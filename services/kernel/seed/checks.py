"""The content checks of the seed files: the online-procedures table (its columns, row and column
totals, the 総計 row), the survey and classification figures, the DX selection meeting, date order,
and the prose figures against the table."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from services.kernel.seed.model import TOTAL_LABEL, Column, Kind, SeedIssue, col, sheet_row

# --- online procedures: columns and checks ---------------------------------------------------

QUARTERS = ("4～6月", "7～9月", "10～12月", "1～3月")
ANNOTATIONS = ("遅れ", "前倒し")

BUREAU = "局"
FORMS_TOTAL = "帳票数"
INDIVIDUAL = "個別対応が必要な手続き"

ONLINE_COLUMNS: tuple[Column, ...] = (
    col(BUREAU, "bureau"),
    col("R3年5月まで実績", "done_until_r3_may", Kind.COUNT),
    col("R3年6月～R5年3月 グループ1実績", "done_group1", Kind.COUNT),
    col("R3年6月～R5年3月 重要取組実績", "done_priority", Kind.COUNT),
    col("R5年度 4～6月実績", "r5_q1_done", Kind.COUNT),
    col("R5年度 4～6月 遅れ", "r5_q1_delayed", Kind.COUNT),
    col("R5年度 4～6月 前倒し", "r5_q1_advanced", Kind.COUNT),
    col("R5年度 7～9月予定", "r5_q2_plan", Kind.COUNT),
    col("R5年度 7～9月 遅れ", "r5_q2_delayed", Kind.COUNT),
    col("R5年度 7～9月 前倒し", "r5_q2_advanced", Kind.COUNT),
    col("R5年度 10～12月予定", "r5_q3_plan", Kind.COUNT),
    col("R5年度 10～12月 遅れ", "r5_q3_delayed", Kind.COUNT),
    col("R5年度 10～12月 前倒し", "r5_q3_advanced", Kind.COUNT),
    col("R5年度 1～3月予定", "r5_q4_plan", Kind.COUNT),
    col("R5年度 1～3月 遅れ", "r5_q4_delayed", Kind.COUNT),
    col("R5年度 1～3月 前倒し", "r5_q4_advanced", Kind.COUNT),
    col("R6年度予定", "r6_plan", Kind.COUNT),
    col("R7年度予定", "r7_plan", Kind.COUNT),
    col("重要取組未実施", "priority_not_done", Kind.COUNT),
    col(FORMS_TOTAL, "forms_total", Kind.COUNT),
    col(INDIVIDUAL, "needs_individual", Kind.COUNT),
    col("備考", "note", Kind.OPT_TEXT),  # transcription notes (see data/README.md, Errata)
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
    return online.loc[[bureau != TOTAL_LABEL for bureau in online[BUREAU]]]


def check_online_procedures(df: pd.DataFrame) -> list[SeedIssue]:
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
                    sheet_row(i),
                    FORMS_TOTAL,
                )
            )
    bureaus = bureau_rows(df)
    for name in ONLINE_FIGURE_COLUMNS:
        column_sum = int(bureaus[name].to_numpy().sum())
        stated = int(df[name].iloc[-1])
        if column_sum != stated:
            issues.append(
                SeedIssue(
                    file,
                    f"総計 {stated} が各局の合計 {column_sum} と一致しません",
                    sheet_row(len(df) - 1),
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


def check_survey(df: pd.DataFrame) -> list[SeedIssue]:
    return [
        SeedIssue(
            "mynumber_survey.csv",
            f"対象情報数 {row['対象情報数']} を超えています ({row['回答情報数']})",
            sheet_row(i),
            "回答情報数",
        )
        for i, row in enumerate(df.to_dict("records"))
        if row["回答情報数"] > row["対象情報数"]
    ]


def check_classification(df: pd.DataFrame) -> list[SeedIssue]:
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


def check_dx_programme(df: pd.DataFrame) -> list[SeedIssue]:
    rows = [i for i, item in enumerate(df["項目"]) if item == DX_SELECTION_MEETING]
    if len(rows) != 1:
        return [SeedIssue("dx_programme.csv", f"「項目」=「{DX_SELECTION_MEETING}」の行が1行必要です")]
    value = df["数値"].iloc[rows[0]]
    if pd.isna(value) or int(value) != DX_DEPARTMENTS:
        return [
            SeedIssue(
                "dx_programme.csv",
                f"DX選定会議の部署数は資料では {DX_DEPARTMENTS} です ({value})",
                sheet_row(rows[0]),
                "数値",
            )
        ]
    return []


def date_order(file: str, start: str, end: str) -> Callable[[pd.DataFrame], list[SeedIssue]]:
    def check(df: pd.DataFrame) -> list[SeedIssue]:
        return [
            SeedIssue(file, f"「{start}」{row[start]} より前です ({row[end]})", sheet_row(i), end)
            for i, row in enumerate(df.to_dict("records"))
            if row[start] is not None and row[end] is not None and row[end] < row[start]
        ]

    return check


def check_facts_against_table(frames: Mapping[str, pd.DataFrame]) -> list[SeedIssue]:
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
                SeedIssue(file, f"オンライン化の表の総計からは {value} です ({stated})", sheet_row(i), "件数")
            )
    return issues


# --- standardisation ---------------------------------------------------------------------


def check_standardization_systems(frame: pd.DataFrame) -> list[SeedIssue]:
    """Two-digit numbers 01.. in file order, each operation once."""
    file = "standardization_systems.csv"
    issues = []
    for i, (number, operation) in enumerate(zip(frame["番号"], frame["業務"], strict=True)):
        if number != f"{i + 1:02d}":
            issues.append(
                SeedIssue(
                    file, f"番号は 01 から順に2桁で書いてください（{i + 1:02d} のはず）", sheet_row(i), "番号"
                )
            )
        if (frame["業務"] == operation).sum() > 1:
            issues.append(SeedIssue(file, f"業務「{operation}」が重複しています", sheet_row(i), "業務"))
    return issues


def check_hard_systems(frames: Mapping[str, pd.DataFrame]) -> list[SeedIssue]:
    """The hard-to-migrate systems of point ② are exactly the システム区分 of the flagged operations."""
    systems = frames["standardization_systems"]
    named = set(frames["standardization_hard_systems"]["システム"])
    flagged = set(systems.loc[systems["移行の難易度が極めて高い"], "システム区分"])
    if named != flagged:
        return [
            SeedIssue(
                "standardization_systems.csv",
                f"移行の難易度が極めて高いシステム（{'・'.join(sorted(named))}）と○の業務の区分"
                f"（{'・'.join(sorted(flagged))}）が一致しません",
                None,
                "移行の難易度が極めて高い",
            )
        ]
    return []
