"""Excel for マイナンバー情報総点検: the publication table out, the operations and items in.

**Out.** :func:`publication_xlsx`: one sheet 「公表表」 in the shape municipalities published their
results (operation, 点検対象件数, 紐付け誤り件数 and rate, causes, impact, response), for a bureau or the
city, with a total row.

**In.** :func:`parse_operations`: one row per item (情報) with its operation (事務), unit and,
optionally, its survey answer (:data:`IMPORT_COLUMNS`). The whole file is checked first; any bad
cell refuses the whole file, each problem naming its cell (``F5``), and nothing is written.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from services.kernel.calendar import parse_japanese_date
from services.kernel.tabular import ImportIssue, ImportRejected, read_table, split_header
from services.mynumber import rules
from services.mynumber.models import Item, LinkMethod, PublicationTable
from services.people.identity import OrgUnit, clean_name

SHEET_PUBLICATION = "公表表"
PUBLICATION_COLUMNS = (
    "局",
    "課・室",
    "事務",
    "点検対象件数",
    "紐付け誤り件数",
    "誤り率",
    "原因",
    "影響（本人・第三者の閲覧）",
    "対応",
    "公表状況",
    "公表日",
)
IMPORT_COLUMNS = (
    "局",
    "部",
    "課・室",
    "事務",
    "情報",
    "紐付け方法",
    "その他の紐付け方法",
    "申請書へのマイナンバー記載",
    "本人以外（事業主等）から取得",
    "レコード件数",
    "回答期限",
)
FLAGS = {"はい": True, "いいえ": False, "": None}


def publication_xlsx(table: PublicationTable) -> bytes:
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = SHEET_PUBLICATION
    sheet.append([f"マイナンバー情報総点検 結果（{table.scope}） {table.as_of.isoformat()} 時点"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(list(PUBLICATION_COLUMNS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True)
    for r in table.rows:
        bureau, _, unit = r.place.partition(" ")
        sheet.append(
            [
                bureau,
                unit,
                r.operation,
                r.in_scope,
                r.found,
                r.rate,
                r.causes,
                r.impact,
                r.response,
                r.status.value,
                r.published_on,
            ]
        )
    sheet.append(
        ["合計", "", f"{len(table.rows)}業務", table.in_scope, table.found, table.rate, "", "", "", "", ""]
    )
    for row in sheet.iter_rows(min_row=3, min_col=6, max_col=6):
        for cell in row:
            cell.number_format = "0.00%"
    for row in sheet.iter_rows(min_row=3, min_col=11, max_col=11):
        for cell in row:
            cell.number_format = "yyyy-mm-dd"
    for i, width in enumerate((14, 18, 30, 12, 12, 9, 28, 20, 36, 12, 12), start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@dataclass
class ParsedOperation:
    unit: OrgUnit
    name: str
    items: list[Item] = field(default_factory=list)
    survey_due: date | None = None
    row: int = 0


def parse_operations(
    data: bytes, filename: str, known_bureau: Callable[[str], bool]
) -> list[ParsedOperation]:
    """The operations of an import file, in file order; raises ImportRejected naming every bad cell."""
    rows = split_header(read_table(data, filename), IMPORT_COLUMNS)
    issues: list[ImportIssue] = []
    ops: dict[tuple[OrgUnit, str], ParsedOperation] = {}
    col = {name: i for i, name in enumerate(IMPORT_COLUMNS)}

    def problem(number: int, column: str, message: str) -> None:
        cell = f"{get_column_letter(col[column] + 1)}{number}"
        issues.append(ImportIssue(f"セル {cell}: {message}", number, column))

    for number, cells in rows:
        v = {name: clean_name(cells[i]) for name, i in col.items()}
        unit = None
        if not v["局"]:
            problem(number, "局", "局を入力してください")
        elif v["課・室"] and not v["部"]:
            problem(number, "部", "課・室を書く場合は部も入力してください")
        else:
            unit = OrgUnit(v["局"], v["部"], v["課・室"])
            if not known_bureau(unit.bureau):
                problem(number, "局", f"「{unit.bureau}」は組織にありません")
                unit = None
        name = rules.clean_text(v["事務"], 100)
        if not name:
            problem(number, "事務", "事務の名前を入力してください")
        item_name = rules.clean_text(v["情報"], 100)
        if not item_name:
            problem(number, "情報", "情報の名前を入力してください")
        method = next((m for m in LinkMethod if m.value == v["紐付け方法"]), None)
        answered = any(v[c] for c in IMPORT_COLUMNS[5:10])
        if v["紐付け方法"] and method is None:
            problem(
                number,
                "紐付け方法",
                f"「{'・'.join(m.value for m in LinkMethod)}」のいずれかです（入力: {v['紐付け方法'][:20]}）",
            )
        elif answered and method is None:
            problem(number, "紐付け方法", "回答を書く場合は紐付け方法を入力してください")
        other = rules.clean_text(v["その他の紐付け方法"], 200)
        if method is LinkMethod.OTHER and not other:
            problem(number, "その他の紐付け方法", "紐付け方法が「その他」の場合は内容を入力してください")
        flags = {}
        for column in ("申請書へのマイナンバー記載", "本人以外（事業主等）から取得"):
            if v[column] not in FLAGS:
                problem(number, column, f"「はい」「いいえ」または空欄です（入力: {v[column][:10]}）")
            flags[column] = FLAGS.get(v[column])
        records, error = rules.parse_count(v["レコード件数"], required=answered)
        if error:
            problem(number, "レコード件数", error)
        due = None
        if v["回答期限"]:
            try:
                due = parse_japanese_date(
                    v["回答期限"][:10] if v["回答期限"][:4].isdigit() else v["回答期限"]
                )
            except ValueError:
                problem(number, "回答期限", f"日付の形式が正しくありません（入力: {v['回答期限'][:20]}）")
        if unit is None or not name or not item_name:
            continue
        op = ops.setdefault((unit, name), ParsedOperation(unit, name, row=number))
        if any(i.name == item_name for i in op.items):
            problem(number, "情報", f"「{item_name}」は同じ事務に2回あります")
            continue
        if due and op.survey_due and due != op.survey_due:
            problem(number, "回答期限", "同じ事務の回答期限が行によって違います")
        op.survey_due = op.survey_due or due
        op.items.append(
            Item(
                f"i{len(op.items) + 1}",
                item_name,
                method,
                other if method is LinkMethod.OTHER else "",
                flags["申請書へのマイナンバー記載"],
                flags["本人以外（事業主等）から取得"],
                records,
            )
        )
        if len(op.items) > rules.MAX_ITEMS:
            problem(number, "情報", f"情報は1つの事務につき{rules.MAX_ITEMS}件までです")
    if issues:
        raise ImportRejected(issues)
    return list(ops.values())


def import_template_xlsx() -> bytes:
    """An empty import file with the header and one example row."""
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = "事務と情報"
    sheet.append(list(IMPORT_COLUMNS))
    sheet.append(
        [
            "健康福祉局",
            "健康部",
            "保険年金課",
            "国民年金事務",
            "年金給付情報",
            "4情報で照会",
            "",
            "はい",
            "いいえ",
            1200,
            "2023-07-31",
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
