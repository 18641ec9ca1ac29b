"""The audit's Excel report: 概要, 誤紐付けの疑い, チェックデジット不正, 住基に存在しない, 要確認,
候補 and 設定.

Every row names the business record by its own id column, as given in the input; numbers are
masked (``********1234``). The report is built in memory (``bytes``) so that the bot can deliver it
through Teams' file consent and the CLI can write it where it is told; it is never kept by the bot.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from services.mynumber.audit.engine import ITEM_LABELS, AuditResult, Verdict

MAX_DETAIL_ROWS = 200_000  # per sheet; Excel allows 1,048,576 rows, staff can read far fewer
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")

_SIDES = (("", "業務"), ("r_", "住基"))


@dataclass(frozen=True)
class ReportSettings:
    """What the 設定 sheet records about the run (no personal data)."""

    run_id: str
    started: datetime
    registry_file: str
    records_file: str
    registry_columns: Mapping[str, str]
    records_columns: Mapping[str, str]
    variants: int


def _sheet(
    workbook: Workbook,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    widths: Sequence[int] = (),
) -> None:
    sheet = workbook.create_sheet(title)
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for row in rows:
        sheet.append(["" if value is None else value for value in row])
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"


def _detail_rows(frame: pl.DataFrame) -> tuple[list[str], Sequence[Sequence[object]]]:
    header = ["レコード番号", "判定", "異なる項目", "備考", "個人番号（マスク）"]
    columns = ["record_id", "verdict", "differs", "note", "number_masked"]
    for item, label in ITEM_LABELS.items():
        for prefix, side in _SIDES:
            header.append(f"{label}（{side}）")
            columns.append(f"{prefix}{item}")
        for prefix, side in _SIDES:
            header.append(f"{label}・正規化（{side}）")
            columns.append(f"{prefix}{item}_n")
    header += ["異動事由・住民状態（業務）", "住民状態（住基）"]
    columns += ["status", "r_status"]
    rows = frame.head(MAX_DETAIL_ROWS).select([pl.col(c).cast(pl.Utf8) for c in columns]).rows()
    return header, rows


def build_report(result: AuditResult, settings: ReportSettings) -> bytes:
    counts = result.counts()
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = "概要"
    total = sum(counts.values())
    summary.append(["マイナンバー紐付け全データ点検 結果"])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append(["点検日時", settings.started.strftime("%Y年%m月%d日 %H:%M")])
    summary.append(["業務データの件数", total])
    summary.append(["住基データの件数", result.registry_rows])
    summary.append([])
    summary.append(["判定", "件数", "割合"])
    for cell in summary[6]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for verdict in Verdict:
        summary.append([verdict.value, counts[verdict], f"{counts[verdict] / total:.2%}" if total else "-"])
    summary.column_dimensions["A"].width = 34
    summary.column_dimensions["B"].width = 14

    sheets = (
        ("誤紐付けの疑い", (Verdict.MISLINK,)),
        ("チェックデジット不正", (Verdict.BAD_CHECK_DIGIT,)),
        ("住基に存在しない", (Verdict.UNKNOWN,)),
        ("要確認", (Verdict.REVIEW, Verdict.SHARED, Verdict.MULTIPLE, Verdict.STATUS)),
    )
    for title, verdicts in sheets:
        header, detail = _detail_rows(result.details(verdicts))
        _sheet(workbook, title, header, detail, (14, 22, 18, 30, 16))

    ids = result.records.select("row", "record_id")
    candidates = result.candidates.join(ids, on="row", how="left").head(MAX_DETAIL_ROWS)
    _sheet(
        workbook,
        "候補",
        [
            "レコード番号",
            "順位",
            "候補の個人番号（マスク）",
            "氏名",
            "氏名カナ",
            "生年月日",
            "性別",
            "住所",
            "一致した項目",
        ],
        candidates.select(
            "record_id",
            "rank",
            "candidate_masked",
            "c_name",
            "c_kana",
            "c_birth",
            "c_sex",
            "c_address",
            "reason",
        ).rows(),
        (14, 6, 18, 16, 18, 12, 6, 36, 24),
    )

    labels = {
        "number": "個人番号",
        "name": "氏名",
        "kana": "氏名カナ",
        "birth": "生年月日",
        "sex": "性別",
        "address": "住所",
        "record_id": "レコード番号",
        "status": "異動事由・住民状態",
    }
    rows: list[Sequence[object]] = [
        ("点検ID", settings.run_id),
        ("住基データのファイル", settings.registry_file),
        ("業務データのファイル", settings.records_file),
        ("異体字の対応表の件数", settings.variants),
        ("照合に使う項目", "氏名・氏名カナ・生年月日・性別・住所（4情報）"),
        (
            "正規化",
            "全角・半角、かな、空白、異体字、住所の丁目・番地・号と漢数字、和暦を同じ形にそろえてから比べます",
        ),
    ]
    rows += [(f"列の対応（業務）: {labels.get(k, k)}", v) for k, v in settings.records_columns.items()]
    rows += [(f"列の対応（住基）: {labels.get(k, k)}", v) for k, v in settings.registry_columns.items()]
    _sheet(workbook, "設定", ["項目", "内容"], rows, (34, 70))

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
