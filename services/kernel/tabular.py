"""Reading an uploaded table (CSV or Excel) into rows of text, and reporting problems by row.

Shared by the organisation and roster imports and the My Number operations import; the programmes'
own workbook readers call :func:`check_workbook` and :func:`bounded_rows` first. Accepted: CSV in
UTF-8 with or without a BOM (what Excel's "CSV UTF-8" writes; Excel's plain "CSV" in Shift_JIS/cp932
is accepted too), or an ``.xlsx`` workbook, whose first sheet is read. Row numbers are spreadsheet
rows: the header is row 1.

What a broken file gets (every refusal names what is wrong, in Japanese; nothing is read further):

- not a table (PDF, an image, a Word file, a ``.xls`` or a password-protected workbook, UTF-16
  text, binary data): refused;
- larger than :data:`MAX_FILE_BYTES`, more than :data:`MAX_ROWS` data rows, :data:`MAX_COLUMNS`
  columns or :data:`MAX_CELLS` values, or an ``.xlsx`` that unpacks to more than
  :data:`MAX_UNPACKED_BYTES`: refused before the rows are read (a CSV stops at the first row over
  the limit; a workbook's sheet is scanned as a stream, never loaded whole, and the dialogs' quick
  checks read the first row only, :func:`peek`);
- a formula: read as the value Excel saved with it (what the user saw); a formula without a saved
  value (a file written by a program, never opened in Excel) or one whose value is an error
  (``#REF!``): refused, naming the cell;
- merged cells in the data rows: refused, naming the range (one value would stand for several
  cells: which row or column it belongs to is a guess). Merged header cells are fine;
- a hidden sheet is never read as the data: when the sheet to be read is hidden, the file is
  refused (hidden sheets that are not read, such as lists for drop-downs, are ignored);
- Shift_JIS (cp932) where UTF-8 is expected: read correctly (Excel's plain "CSV" on Japanese
  Windows); a file that starts with a UTF-8 BOM but is not UTF-8 throughout is refused rather than
  guessed.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from xml.etree.ElementTree import ParseError, iterparse

from services.people.identity import clean_name

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 200
#: cells holding a value in one sheet (20,000 rows of 20 columns): bounds the work a file can cause
MAX_CELLS = 400_000
#: what the XML inside an .xlsx may unpack to (a "zip bomb" is refused before it is parsed)
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_REPORTED_ISSUES = 30
NOT_A_TABLE = "表のファイル（CSV か Excel の .xlsx）ではありません"


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


def _refuse(message: str, row: int | None = None, column: str | None = None) -> ImportRejected:
    return ImportRejected([ImportIssue(message, row, column)])


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


# --- what kind of file -----------------------------------------------------------------------------

_MAGIC = (
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG 画像"),
    (b"\xff\xd8\xff", "JPEG 画像"),
    (b"GIF8", "GIF 画像"),
    (b"\x1f\x8b", "gzip 圧縮ファイル"),
    (b"Rar!", "RAR 圧縮ファイル"),
    (b"7z\xbc\xaf", "7z 圧縮ファイル"),
)
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc, and password-protected .xlsx


def kind_of(data: bytes, filename: str = "", max_bytes: int = MAX_FILE_BYTES) -> str:
    """``"xlsx"`` or ``"csv"``; raises :class:`ImportRejected` for a file too large, empty, or not a
    table at all (told from its first bytes, whatever its name says)."""
    if len(data) > max_bytes:
        raise _refuse(f"ファイルが大きすぎます（{max_bytes // 1024 // 1024} MB まで）")
    if not data.strip():
        raise _refuse("空のファイルです")
    lower = filename.lower()
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == OLE:
        raise _refuse(
            "古い Excel 形式（.xls）か、パスワード付きのファイルです。"
            "パスワードを外して .xlsx か「CSV UTF-8」で保存してください"
        )
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise _refuse(f"{NOT_A_TABLE}（{what}です）")
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise _refuse(
            "UTF-16 のテキスト（Unicode テキスト）は読めません。"
            "「CSV UTF-8（コンマ区切り）」で保存してください"
        )
    if lower.endswith((".xlsx", ".xlsm")):
        raise _refuse("Excel（.xlsx）として読めません（中身が Excel のブックではありません）")
    if lower.endswith(".xls"):
        raise _refuse("古い Excel 形式（.xls）は読めません。.xlsx か CSV で保存してください")
    if b"\x00" in data[:65536]:
        raise _refuse(f"{NOT_A_TABLE}（文字ではないデータが含まれています）")
    return "csv"


# --- CSV ---------------------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):  # says UTF-8: never guessed as something else
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8")
        except UnicodeDecodeError as error:
            raise _refuse(
                f"UTF-8 として読めない文字があります（先頭から {error.start + 3:,} バイト目）。"
                "「CSV UTF-8（コンマ区切り）」で保存し直してください"
            ) from None
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _refuse("文字コードが読めません。「CSV UTF-8（コンマ区切り）」で保存してください")


def _csv_rows(data: bytes, max_rows: int = MAX_ROWS) -> list[list[str]]:
    text = _decode(data)
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline="")):  # one row at a time: stops at the limit
            if len(rows) > max_rows:
                raise _refuse(f"行が多すぎます（{max_rows:,} 行まで）")
            if len(row) > MAX_COLUMNS:
                raise _refuse(f"列が多すぎます（{MAX_COLUMNS} 列まで）", len(rows) + 1)
            rows.append(row)
    except csv.Error as exc:
        raise _refuse(f"CSV として読めません（{exc}）", len(rows) + 1) from None
    return rows


# --- Excel -------------------------------------------------------------------------------------------

_CELL_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@dataclass(frozen=True)
class SheetInfo:
    name: str
    state: str  # visible, hidden or veryHidden
    path: str  # inside the zip


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def open_archive(data: bytes | Any, max_unpacked: int = MAX_UNPACKED_BYTES) -> zipfile.ZipFile:
    """The .xlsx as a zip (``data``: bytes or a path), checked to be a workbook that does not unpack
    to more than ``max_unpacked`` bytes. Raises :class:`ImportRejected`."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
        names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _refuse("Excel（.xlsx）として読めません（ファイルが壊れています）") from None
    if "xl/workbook.xml" not in names:
        archive.close()
        if "word/document.xml" in names:
            raise _refuse(f"{NOT_A_TABLE}（Word の文書です）")
        if "ppt/presentation.xml" in names:
            raise _refuse(f"{NOT_A_TABLE}（PowerPoint の資料です）")
        raise _refuse(f"{NOT_A_TABLE}（Excel のブックではない ZIP ファイルです）")
    if sum(info.file_size for info in archive.infolist()) > max_unpacked:
        archive.close()
        raise _refuse(
            f"Excel ファイルの中身が大きすぎます（展開して {max_unpacked // 1024 // 1024} MB まで）"
        )
    return archive


def is_workbook(data: bytes) -> bool:
    """Whether ``data`` is an .xlsx that is safe to open (a workbook, no "zip bomb"): for the
    dialogs' quick "is this file mine?" checks, before openpyxl reads it."""
    if data[:4] != b"PK\x03\x04" or len(data) > MAX_FILE_BYTES:
        return False
    try:
        open_archive(data).close()
    except ImportRejected:
        return False
    return True


@dataclass(frozen=True)
class Peek:
    """A workbook's sheets and the first sheet's first row as text: what the dialogs' "is this file
    mine?" checks need, read without openpyxl (whose read-only load parses a sheet whole when it has
    no ``<dimension>``: half a minute for a million rows)."""

    sheets: tuple[SheetInfo, ...]
    first_row: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sheets)


_PEEKS: dict[bytes, Peek | None] = {}


def peek(data: bytes) -> Peek | None:
    """The :class:`Peek` of an .xlsx, or None when it is not a workbook within the limits. Reads the
    first row only (and the shared strings it uses); remembered for the last few files, since every
    programme's check looks at the same attachment."""
    key = hashlib.sha256(data).digest()
    if key not in _PEEKS:
        if len(_PEEKS) >= 8:
            _PEEKS.pop(next(iter(_PEEKS)))
        try:
            _PEEKS[key] = _peek(data) if is_workbook(data) else None
        except (ImportRejected, ParseError, KeyError, zipfile.BadZipFile, OSError, EOFError, ValueError):
            _PEEKS[key] = None
    return _PEEKS[key]


def _string_item(item: Any) -> str:
    """The text of a shared or inline string: its ``<t>``, or its rich runs' ``<r><t>``; never the
    reading (``<rPh>``, the furigana Japanese Excel stores with what is typed)."""
    parts = []
    for child in item:
        tag = _local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts += [t.text or "" for t in child if _local(t.tag) == "t"]
    return "".join(parts)


def _peek(data: bytes) -> Peek:
    with open_archive(data) as archive:
        sheets = tuple(sheets_of(archive))
        if not sheets or sheets[0].path not in archive.namelist():
            return Peek(sheets, ())
        cells: dict[int, tuple[str, str]] = {}  # column -> (type, text)
        column = 0
        with archive.open(sheets[0].path) as stream:
            for event, element in iterparse(stream, events=("start", "end")):
                tag = _local(element.tag)
                if event == "start":
                    if tag == "row" and element.get("r", "1") != "1":
                        break  # row 1 is empty
                    continue
                if tag == "row":
                    break
                if tag != "c":
                    continue
                ref = _CELL_REF.match(element.get("r", ""))
                column = _column_number(ref[1]) if ref else column + 1
                kind = element.get("t", "n")
                if kind == "inlineStr":
                    inline = next((c for c in element if _local(c.tag) == "is"), None)
                    text = _string_item(inline) if inline is not None else ""
                else:
                    text = next((c.text or "" for c in element if _local(c.tag) == "v"), "")
                if column <= MAX_COLUMNS:
                    cells[column] = (kind, text)
        wanted = {int(text) for kind, text in cells.values() if kind == "s" and text.isdigit()}
        shared: dict[int, str] = {}
        if wanted and "xl/sharedStrings.xml" in archive.namelist():
            with archive.open("xl/sharedStrings.xml") as stream:
                index = 0
                for _, element in iterparse(stream):
                    if _local(element.tag) != "si":
                        continue
                    if index in wanted:
                        shared[index] = _string_item(element)
                    element.clear()
                    index += 1
                    if index > max(wanted):
                        break
    width = max(cells, default=0)
    row = []
    for n in range(1, width + 1):
        kind, text = cells.get(n, ("n", ""))
        row.append(shared.get(int(text), "") if kind == "s" and text.isdigit() else text)
    return Peek(sheets, tuple(row))


def sheets_of(archive: zipfile.ZipFile) -> list[SheetInfo]:
    """The workbook's sheets in order, with whether each is hidden (read from workbook.xml)."""
    try:
        targets: dict[str, str] = {}
        if "xl/_rels/workbook.xml.rels" in archive.namelist():
            with archive.open("xl/_rels/workbook.xml.rels") as rels:
                for _, element in iterparse(rels):
                    if _local(element.tag) == "Relationship":
                        target = element.get("Target", "")
                        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
                        targets[element.get("Id", "")] = target
        sheets = []
        with archive.open("xl/workbook.xml") as book:
            for _, element in iterparse(book):
                if _local(element.tag) == "sheet":
                    rid = element.get(f"{{{_NS_REL}}}id") or element.get("id") or ""
                    sheets.append(
                        SheetInfo(
                            element.get("name", ""), element.get("state", "visible"), targets.get(rid, "")
                        )
                    )
        return sheets
    except (ParseError, KeyError, zipfile.BadZipFile, OSError, ValueError):
        raise _refuse("Excel（.xlsx）として読めません（ブックの構成が壊れています）") from None


def _scan_sheet(
    archive: zipfile.ZipFile, sheet: SheetInfo, data_from_row: int, max_rows: int, max_columns: int
) -> list[ImportIssue]:
    """Streams the sheet's XML once. Raises at once on a row or column over the limit (nothing
    after it is parsed); returns the formulas without a saved value, error values and merged cells
    in the data rows."""
    issues: list[ImportIssue] = []
    last_row = data_from_row - 1 + max_rows
    values = 0
    row_number = 0
    column_number = 0
    ns = ""  # the sheet's namespace, from its root: tags compared whole (this loop sees every cell)
    row_tag = cell_tag = v_tag = f_tag = is_tag = merge_tag = ""

    def where() -> str:
        return f"シート「{sheet.name}」の {_column_letters(column_number)}{row_number}"

    try:
        with archive.open(sheet.path) as stream:
            for event, element in iterparse(stream, events=("start", "end")):
                tag = element.tag
                if event == "start":
                    if not row_tag:
                        ns = tag[: tag.index("}") + 1] if tag.startswith("{") else ""
                        row_tag, cell_tag, v_tag = f"{ns}row", f"{ns}c", f"{ns}v"
                        f_tag, is_tag, merge_tag = f"{ns}f", f"{ns}is", f"{ns}mergeCell"
                    elif tag == row_tag:  # cells may leave out their reference
                        given = element.get("r")
                        row_number = int(given) if given and given.isdigit() else row_number + 1
                        column_number = 0
                    continue
                if tag == cell_tag:
                    ref = element.get("r")
                    match = _CELL_REF.match(ref) if ref else None
                    if match:
                        column_number, row_number = _column_number(match[1]), int(match[2])
                    else:
                        column_number += 1
                    value = element.find(v_tag)
                    formula = element.find(f_tag)
                    inline = element.find(is_tag)
                    if formula is None and inline is None and (value is None or not value.text):
                        continue  # an empty, formatted cell
                    values += 1
                    if values > MAX_CELLS:
                        raise _refuse(
                            f"値の入ったセルが多すぎます（シート「{sheet.name}」。{MAX_CELLS:,} 個まで）"
                        )
                    if row_number > last_row:
                        raise _refuse(
                            f"行が多すぎます（見出しを除いて {max_rows:,} 行まで。"
                            f"シート「{sheet.name}」の {row_number:,} 行目に値があります）"
                        )
                    if column_number > max_columns:
                        raise _refuse(f"列が多すぎます（{max_columns} 列まで。{where()} に値があります）")
                    if formula is not None and value is None and inline is None:  # <v></v>: a formula's ""
                        issues.append(
                            ImportIssue(
                                f"{where()} の数式に計算結果が保存されていません。"
                                "Excel で開いて保存し直すか、値に置き換えてください"
                            )
                        )
                    elif element.get("t") == "e":
                        shown = (value.text or "") if value is not None else ""
                        issues.append(
                            ImportIssue(f"{where()} がエラー（{shown[:20]}）です。正しい値にしてください")
                        )
                elif tag == row_tag:
                    element.clear()
                elif tag == merge_tag:
                    ref_text = element.get("ref", "")
                    end = _CELL_REF.match(ref_text.rpartition(":")[2])
                    if end and int(end[2]) >= data_from_row:
                        issues.append(
                            ImportIssue(
                                f"シート「{sheet.name}」のセルが結合されています（{ref_text[:30]}）。"
                                "結合を解除して、各セルに値を入れてください"
                            )
                        )
    except (ParseError, KeyError, zipfile.BadZipFile, OSError, EOFError):
        raise _refuse(f"シート「{sheet.name}」を読めません（ファイルが壊れています）") from None
    return issues


_REF_ATTR = re.compile(rb'\br="\$?([A-Z]{1,3})\$?(\d{1,7})"')
_MERGE_REF = re.compile(rb'<(?:\w{1,10}:)?mergeCell\b[^>]*\bref="([^"]{1,40})"')


def quick_scan(
    archive: zipfile.ZipFile, sheet: SheetInfo, data_from_row: int = 2, limit: int = 5
) -> list[str]:
    """For sheets too large to parse twice (the linkage audit's inputs, up to a GB of XML): what
    :func:`check_workbook` would refuse, found by searching the bytes (about as fast as unpacking):
    a formula without a saved value, an error value, merged cells from ``data_from_row`` on.
    Returns up to ``limit`` Japanese messages naming the cells (never their values)."""
    found: list[str] = []
    carry = b""
    try:
        with archive.open(sheet.path) as stream:
            while len(found) < limit:
                chunk = stream.read(4 << 20)
                if not chunk and not carry:
                    break
                text = carry + chunk
                # keep an incomplete cell for the next round (no cell is split)
                cut = len(text) if not chunk else text.rfind(b"<")
                cut = cut if cut > 0 else len(text)
                block, carry = text[:cut], text[cut:]
                if len(carry) > 1 << 20:  # no "<" for a megabyte: not a sheet we can judge
                    block, carry = text, b""
                found += _surprises(block, sheet.name, data_from_row)
    except (KeyError, zipfile.BadZipFile, OSError, EOFError):
        raise _refuse(f"シート「{sheet.name}」を読めません（ファイルが壊れています）") from None
    return found[:limit]


def _surprises(block: bytes, sheet_name: str, data_from_row: int) -> list[str]:
    found: list[str] = []
    if b"<f" in block or b":f>" in block or b":f " in block:
        for match in re.finditer(rb"<(?:\w{1,10}:)?f[ >/]", block):
            end = block.find(b"</", match.end())
            end = block.find(b"c>", end) if end >= 0 else -1
            cell = block[max(block.rfind(b"<c", 0, match.start()), 0) : end if end >= 0 else len(block)]
            if b"<v" not in cell and b":v" not in cell:
                ref = _REF_ATTR.search(cell)
                where = f"{ref[1].decode()}{ref[2].decode()}" if ref else "?"
                found.append(f"シート「{sheet_name}」の {where} の数式に計算結果が保存されていません")
    if b't="e"' in block:
        for match in re.finditer(rb'<(?:\w{1,10}:)?c\b[^>]*\bt="e"', block):
            ref = _REF_ATTR.search(match[0])
            where = f"{ref[1].decode()}{ref[2].decode()}" if ref else "?"
            found.append(f"シート「{sheet_name}」の {where} がエラー値です")
    if b"mergeCell" in block:
        for match in _MERGE_REF.finditer(block):
            end = _CELL_REF.match(match[1].decode("ascii", "replace").rpartition(":")[2])
            if end and int(end[2]) >= data_from_row:
                found.append(
                    f"シート「{sheet_name}」のセルが結合されています（{match[1].decode('ascii', 'replace')}）"
                )
    return found


FIRST = 0  # :func:`check_workbook`: the first sheet


def check_workbook(
    data: bytes,
    filename: str = "",
    *,
    sheets: Sequence[str | int] = (FIRST,),
    data_from_row: int = 2,
    max_rows: int = MAX_ROWS,
    max_columns: int = MAX_COLUMNS,
    max_bytes: int = MAX_FILE_BYTES,
) -> None:
    """Refuse (:class:`ImportRejected`) an .xlsx that cannot be read safely, before any reader loads
    it: too large (as a file, unpacked, in rows or columns), not a workbook, the sheet to be read
    hidden, a formula without a saved value or with an error, merged cells from ``data_from_row``
    on. ``sheets``: the sheets the caller reads (names, or :data:`FIRST`); a named sheet that is
    absent is left to the caller. Cheap: one streaming pass over each sheet's XML."""
    if kind_of(data, filename or "file.xlsx", max_bytes) != "xlsx":
        raise _refuse("Excel（.xlsx）として読めません")
    with open_archive(data) as archive:
        infos = sheets_of(archive)
        if not infos:
            raise _refuse("Excel ファイルにシートがありません")
        issues: list[ImportIssue] = []
        for wanted in sheets:
            if isinstance(wanted, int):
                if wanted >= len(infos):
                    continue
                info = infos[wanted]
            else:
                info = next((s for s in infos if s.name == wanted), None)
                if info is None:
                    continue
            if info.state != "visible":
                where = "1枚目のシート" if wanted == FIRST else "シート"
                raise _refuse(
                    f"{where}「{info.name}」が非表示です。非表示のシートは読みません。"
                    "シートを再表示するか、データのシートを先頭に置いてください"
                )
            if info.path not in archive.namelist():
                raise _refuse(f"シート「{info.name}」を読めません（ファイルが壊れています）")
            issues += _scan_sheet(archive, info, data_from_row, max_rows, max_columns)
        if issues:
            raise ImportRejected(issues)


def bounded_rows(sheet: Any, max_rows: int, max_columns: int = MAX_COLUMNS) -> list[tuple[Any, ...]]:
    """The values of ``sheet`` (``iter_rows(values_only=True)``) up to ``max_rows`` rows and
    ``max_columns`` columns, without the blank rows at the end, whatever size the sheet claims (a
    read-only sheet's stored dimension can say A1:XFD1048576; an empty formatted cell far away makes
    a loaded sheet's max_row huge)."""
    if hasattr(sheet, "reset_dimensions"):  # read-only: the size comes from the cells themselves
        sheet.reset_dimensions()
        rows = list(
            itertools.islice(sheet.iter_rows(min_row=1, max_col=max_columns, values_only=True), max_rows)
        )
    else:  # loaded: the extent of the cells holding a value (iter_rows creates every cell it passes)
        used = [key for key, cell in sheet._cells.items() if cell.value is not None]  # noqa: SLF001
        if not used:
            return []
        rows = list(
            sheet.iter_rows(
                min_row=1,
                max_row=min(max(r for r, _ in used), max_rows),
                max_col=min(max(c for _, c in used), max_columns),
                values_only=True,
            )
        )
    while rows and all(v is None or v == "" for v in rows[-1]):
        rows.pop()
    # as wide as the last column holding a value (a read-only sheet pads every row to max_columns)
    width = max((_used_width(row) for row in rows), default=0)
    return [row[:width] for row in rows]


def _used_width(row: tuple[Any, ...]) -> int:
    for index in range(len(row) - 1, -1, -1):
        if row[index] is not None and row[index] != "":
            return index + 1
    return 0


def _xlsx_rows(data: bytes, filename: str = "") -> list[list[str]]:
    from openpyxl import load_workbook

    check_workbook(data, filename)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, AttributeError) as exc:
        raise _refuse(f"Excel ファイルとして読めません（{type(exc).__name__}）") from None
    try:
        rows = [[_text(v) for v in row] for row in bounded_rows(workbook.worksheets[0], MAX_ROWS + 1)]
        while rows and not any(rows[-1]):
            rows.pop()
        return rows
    finally:
        workbook.close()


def read_table(data: bytes, filename: str = "") -> list[list[str]]:
    """The rows of a CSV or .xlsx file as text cells (not yet trimmed). Raises ImportRejected."""
    if kind_of(data, filename) == "xlsx":
        return _xlsx_rows(data, filename)
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
