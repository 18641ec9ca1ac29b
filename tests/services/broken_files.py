"""Broken spreadsheet files, built cheaply: variants of a valid workbook made by editing its XML, and
the big files (a million rows, 50 MB, a "zip bomb") crafted straight into a zip, never through
openpyxl (a million rows in openpyxl would take minutes)."""

from __future__ import annotations

import codecs
import csv
import io
import random
import re
import zipfile
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

from openpyxl import Workbook, load_workbook

from services.kernel.tabular import open_archive, sheets_of

Rows = Sequence[Sequence[object]]


def xlsx(rows: Rows, title: str = "Sheet1") -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: Rows, encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows([["" if v is None else v for v in row] for row in rows])
    return out.getvalue().encode(encoding)


def edit_book(data: bytes, edit: Callable[[Workbook], object]) -> bytes:
    book = load_workbook(io.BytesIO(data))
    edit(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_of(book: Workbook, sheet: str | int):
    return book.worksheets[sheet] if isinstance(sheet, int) else book[sheet]


def _sheet_path(data: bytes, sheet: str | int) -> str:
    with open_archive(data) as archive:
        infos = sheets_of(archive)
    info = infos[sheet] if isinstance(sheet, int) else next(i for i in infos if i.name == sheet)
    return info.path


def rewrite_member(data: bytes, name: str, change: Callable[[str], str]) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == name:
                content = change(content.decode("utf-8")).encode("utf-8")
            target.writestr(info.filename, content)
    return out.getvalue()


def rewrite_sheet(data: bytes, sheet: str | int, change: Callable[[str], str]) -> bytes:
    return rewrite_member(data, _sheet_path(data, sheet), change)


def replace_cell(data: bytes, sheet: str | int, ref: str, cell_xml: str) -> bytes:
    pattern = re.compile(rf'<c r="{ref}"(?: [^>]*)?(?:/>|>.*?</c>)', re.S)

    def change(xml: str) -> str:
        new, count = pattern.subn(cell_xml, xml, count=1)
        assert count == 1, f"no cell {ref} in the sheet"
        return new

    return rewrite_sheet(data, sheet, change)


def with_formula(data: bytes, sheet: str | int, ref: str, formula: str, cached: object) -> bytes:
    """``ref`` holds ``=formula``; ``cached``: the value Excel saved with it, None (never calculated)
    or ``"#REF!"`` (an error)."""
    f = f"<f>{escape(formula)}</f>"
    if cached is None:
        xml = f'<c r="{ref}">{f}</c>'
    elif isinstance(cached, str) and cached.startswith("#"):
        xml = f'<c r="{ref}" t="e">{f}<v>{cached}</v></c>'
    elif isinstance(cached, str):
        xml = f'<c r="{ref}" t="str">{f}<v>{escape(cached)}</v></c>'
    else:
        xml = f'<c r="{ref}">{f}<v>{cached}</v></c>'
    return replace_cell(data, sheet, ref, xml)


def merged(data: bytes, sheet: str | int, cells: str) -> bytes:
    return edit_book(data, lambda book: sheet_of(book, sheet).merge_cells(cells))


def hidden(data: bytes, sheet: str | int) -> bytes:
    """The sheet read hidden. The first sheet: hidden, with a visible copy after it (what the user
    sees), so that reading the hidden one would silently take the wrong data."""

    def edit(book: Workbook) -> None:
        target = sheet_of(book, sheet)
        if sheet == 0:
            decoy = book.copy_worksheet(target)
            decoy.title = "表示中のシート"
            book.active = len(book.worksheets) - 1  # the copy, added last
        else:
            book.active = next(i for i, s in enumerate(book.worksheets) if s is not target)
        target.sheet_state = "hidden"

    return edit_book(data, edit)


def with_hidden_extra(data: bytes) -> bytes:
    """A hidden sheet of junk after the data (as a drop-down list would be): ignored."""

    def edit(book: Workbook) -> None:
        junk = book.create_sheet("古いデータ")
        for n in range(1, 30):
            junk.append([f"ごみ{n}", n, "=1/0"])
        junk.sheet_state = "hidden"

    return edit_book(data, edit)


def with_value_far_right(data: bytes, sheet: str | int, row: int, column: int) -> bytes:
    return edit_book(data, lambda book: sheet_of(book, sheet).cell(row=row, column=column, value="余分"))


def dimension_lie(data: bytes, sheet: str | int) -> bytes:
    """The sheet claims A1:XFD1048576 (a reader that trusts it pads every row to 16,384 cells)."""
    return rewrite_sheet(
        data, sheet, lambda xml: re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', xml)
    )


def far_formatted_cell(data: bytes, sheet: str | int) -> bytes:
    """An empty, formatted cell at XFD1048576 (as a format applied to a whole sheet can leave)."""
    return rewrite_sheet(
        data,
        sheet,
        lambda xml: xml.replace(
            "</sheetData>", '<row r="1048576"><c r="XFD1048576" s="0"/></row></sheetData>'
        ),
    )


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


# --- crafted from nothing --------------------------------------------------------------------------

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "{sheets}</Types>"
)
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def crafted_xlsx(
    sheet_names: Sequence[str], first_sheet: Callable[[zipfile.ZipFile, str], None], *, stored: bool = False
) -> bytes:
    """A minimal workbook whose first sheet's XML is written by ``first_sheet(zip, member name)``
    (streamed: a million rows never sit in memory as one string); the other sheets are empty."""
    out = io.BytesIO()
    compression = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(out, "w", compression, compresslevel=None if stored else 6) as archive:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{SHEET_TYPE}"/>'
            for n in range(1, len(sheet_names) + 1)
        )
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.format(sheets=overrides))
        archive.writestr("_rels/.rels", ROOT_RELS)
        sheets = "".join(
            f'<sheet name="{escape(name)}" sheetId="{n}" r:id="rId{n}"/>'
            for n, name in enumerate(sheet_names, start=1)
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
            f"<sheets>{sheets}</sheets></workbook>",
        )
        rels = "".join(
            f'<Relationship Id="rId{n}" Type="{REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(sheet_names) + 1)
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
            "</Relationships>",
        )
        first_sheet(archive, "xl/worksheets/sheet1.xml")
        for n in range(2, len(sheet_names) + 1):
            archive.writestr(
                f"xl/worksheets/sheet{n}.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData/></worksheet>',
            )
    return out.getvalue()


def _stream_sheet(archive: zipfile.ZipFile, name: str, header: str, row: bytes, count: int) -> None:
    with archive.open(name, "w", force_zip64=True) as sheet:
        sheet.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'.encode())
        sheet.write(header.encode())
        block = row * 10_000
        for _ in range(count // 10_000):
            sheet.write(block)
        sheet.write(row * (count % 10_000))
        sheet.write(b"</sheetData></worksheet>")


def million_rows_xlsx(sheet_names: Sequence[str] = ("Sheet1",), rows: int = 1_000_000) -> bytes:
    """A header row and a million data rows (cells without references, as some generators write
    them): about 26 MB of XML (under the unpacked limit) in a file of some 60 KB."""
    header = '<row><c t="inlineStr"><is><t>見出し</t></is></c></row>'
    row = b"<row><c><v>1</v></c></row>"
    return crafted_xlsx(sheet_names, lambda zf, name: _stream_sheet(zf, name, header, row, rows))


def wide_rows_xlsx(sheet_names: Sequence[str] = ("Sheet1",), rows: int = 20_000, columns: int = 21) -> bytes:
    """Within the row limit, but more values than a sheet may hold (420,000 > 400,000)."""
    header = '<row><c t="inlineStr"><is><t>見出し</t></is></c></row>'
    row = b"<row>" + b"<c><v>1</v></c>" * columns + b"</row>"
    return crafted_xlsx(sheet_names, lambda zf, name: _stream_sheet(zf, name, header, row, rows))


def zip_bomb_xlsx(sheet_names: Sequence[str] = ("Sheet1",), unpacked: int = 160 * 1024 * 1024) -> bytes:
    """A workbook whose sheet unpacks to ``unpacked`` bytes (blank space between two rows) from a
    file of some 150 KB."""
    header = '<row><c t="inlineStr"><is><t>見出し</t></is></c></row>'
    return crafted_xlsx(
        sheet_names, lambda zf, name: _stream_sheet(zf, name, header, b" " * 1024, unpacked // 1024)
    )


def fifty_mb_xlsx(size: int = 50 * 1024 * 1024) -> bytes:
    """A real workbook of 50 MB: rows of random text, stored without compression."""
    rnd = random.Random(50)
    texts = [rnd.randbytes(30).hex() for _ in range(1000)]
    row = "".join(f'<row><c t="inlineStr"><is><t>{t}</t></is></c></row>' for t in texts).encode()
    return _fifty(row, size // len(row) + 1)


def _fifty(block: bytes, count: int) -> bytes:
    def write(archive: zipfile.ZipFile, name: str) -> None:
        with archive.open(name, "w", force_zip64=True) as sheet:
            sheet.write(
                f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'.encode()
            )
            for _ in range(count):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")

    return crafted_xlsx(("Sheet1",), write, stored=True)


def million_rows_csv(header: Sequence[str], rows: int = 1_000_000) -> bytes:
    """A header and a million one-cell rows: 2 MB, under the 5 MB limit, so the row limit answers."""
    return (",".join(header) + "\n").encode() + b"a\n" * rows


def fifty_mb_csv(header: Sequence[str], size: int = 50 * 1024 * 1024) -> bytes:
    line = ("データ," * len(header)).rstrip(",").encode() + b"\r\n"
    return (",".join(header) + "\r\n").encode() + line * (size // len(line) + 1)


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document>名簿です</document>")
    return out.getvalue()


PDF = (
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504  # an .xls, or a password-protected .xlsx
BINARY = random.Random(7).randbytes(4096)


def utf16(rows: Rows) -> bytes:
    return codecs.BOM_UTF16_LE + csv_bytes(rows).decode().encode("utf-16-le")


def bom_then_shift_jis(rows: Rows) -> bytes:
    """Starts as UTF-8 (with a BOM), the rest Shift_JIS: two files pasted together."""
    utf8 = csv_bytes(rows[:2])
    sjis = csv_bytes(rows[2:], "cp932") if len(rows) > 2 else "追加,行\r\n".encode("cp932")
    return codecs.BOM_UTF8 + utf8 + sjis
