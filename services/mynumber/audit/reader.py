"""Reading the two audit inputs (CSV in UTF-8 or Shift_JIS/CP932, or Excel) and mapping their columns.

Every column is read as text: a My Number or a record id must keep its leading zeros. A CP932 file
is transcoded to UTF-8 in the run's private folder first (polars reads UTF-8 only); the copy is
deleted with the folder (:mod:`services.mynumber.audit.run`).

Column mapping recognises the usual Japanese headers. A header that matches a known name exactly
(after NFKC and removing spaces and brackets) is *sure*; one that only contains a known name
(``個人番号(12桁)``) is *unsure*, and the user confirms it before the audit runs.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from services.kernel import tabular

# field -> known headers, in order of preference
KNOWN_HEADERS: dict[str, tuple[str, ...]] = {
    "number": ("個人番号", "マイナンバー", "個人番号マイナンバー", "番号"),
    "name": ("氏名", "漢字氏名", "氏名漢字", "名前", "氏名(漢字)"),
    "kana": ("氏名カナ", "カナ氏名", "フリガナ", "ふりがな", "氏名フリガナ", "カナ", "よみがな"),
    "birth": ("生年月日", "誕生日"),
    "sex": ("性別",),
    "address": ("住所", "現住所", "住所地"),
    "record_id": ("レコード番号", "宛名番号", "管理番号", "住民票コード", "整理番号", "レコードid"),
    "status": ("異動事由", "住民状態", "状態", "住民区分"),
}
FIELD_LABELS = {
    "number": "個人番号",
    "name": "氏名",
    "kana": "氏名カナ",
    "birth": "生年月日",
    "sex": "性別",
    "address": "住所",
    "record_id": "レコード番号",
    "status": "異動事由・住民状態",
}
REQUIRED = {
    "records": ("number", "name", "birth", "sex", "address", "record_id"),
    "registry": ("number", "name", "birth", "sex", "address"),
}
OPTIONAL = ("kana", "status", "record_id")
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
#: what an Excel input may unpack to (a registry extract of 120 MB is about 1 GB of XML)
MAX_UNPACKED_BYTES = 4 * 1024 * 1024 * 1024
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")


class AuditInputError(Exception):
    """An input cannot be read or mapped; the message is Japanese and names no personal data."""


def _key(header: str) -> str:
    text = unicodedata.normalize("NFKC", header).strip().lower()
    return re.sub(r"[\s()\[\]（）【】「」_・\-]", "", text)


@dataclass(frozen=True)
class ColumnMapping:
    """field -> the input's header; ``unsure`` lists fields the user should confirm."""

    columns: Mapping[str, str]
    unsure: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    headers: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        return not self.missing

    def with_overrides(self, overrides: Mapping[str, str]) -> ColumnMapping:
        """The mapping with the user's choices (field -> header) applied; raises on an unknown header."""
        columns = dict(self.columns)
        for field_name, header in overrides.items():
            if field_name not in KNOWN_HEADERS:
                raise AuditInputError(f"項目「{field_name}」はありません。")
            if header and header not in self.headers:
                raise AuditInputError(f"列「{header[:40]}」はファイルにありません。")
            if header:
                columns[field_name] = header
            else:
                columns.pop(field_name, None)
        unsure = tuple(f for f in self.unsure if f not in overrides)
        missing = tuple(f for f in self.missing if f not in columns)
        return ColumnMapping(columns, unsure, missing, self.headers)


def detect_mapping(headers: list[str], kind: str) -> ColumnMapping:
    """Guess which header holds each field (``kind`` is ``records`` or ``registry``)."""
    keys = {_key(h): h for h in headers}
    columns: dict[str, str] = {}
    unsure: list[str] = []
    taken: set[str] = set()
    for field_name, names in KNOWN_HEADERS.items():
        exact = next((keys[_key(n)] for n in names if _key(n) in keys and keys[_key(n)] not in taken), None)
        if exact is not None:
            columns[field_name] = exact
            taken.add(exact)
    for field_name, names in KNOWN_HEADERS.items():
        if field_name in columns:
            continue
        partial = next(
            (
                h
                for h in headers
                if h not in taken and any(_key(n) in _key(h) for n in names if len(_key(n)) >= 2)
            ),
            None,
        )
        if partial is not None:
            columns[field_name] = partial
            taken.add(partial)
            unsure.append(field_name)
    missing = tuple(f for f in REQUIRED[kind] if f not in columns)
    return ColumnMapping(columns, tuple(unsure), missing, tuple(headers))


def _kind(path: Path, head: bytes) -> str:
    """``xlsx``, ``csv`` or ``xls`` from the first bytes; a file that is no table at all (PDF, an
    image, binary data, UTF-16, a Word file) is refused, whatever its name says."""
    if head.startswith(tabular.OLE) and path.suffix.lower() == ".xls":
        return "xls"
    if not head.strip():
        return "csv"  # blank: the header check says what is missing
    try:
        return tabular.kind_of(head, "", max_bytes=len(head) + 1)
    except tabular.ImportRejected as refused:
        raise AuditInputError(f"{path.name[:60]}: {refused.issues[0].message}") from None


def sniff_encoding(path: Path) -> str:
    """``utf-8`` (with or without BOM) or ``cp932``; decides on the first megabyte."""
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    if _kind(path, head) != "csv":
        raise AuditInputError(
            f"{path.name[:60]} は CSV ではありません（Excel なら .xlsx の名前で送ってください）。"
        )
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise AuditInputError("UTF-16 のテキストは読めません（UTF-8 か Shift_JIS の CSV にしてください）。")
    if head.startswith(codecs.BOM_UTF8):  # says UTF-8: checked, never guessed as something else
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        except UnicodeDecodeError as error:
            raise AuditInputError(
                f"UTF-8 として読めない文字があります（先頭から {error.start + 1:,} バイト目）。"
                "UTF-8 か Shift_JIS のどちらか一方で保存し直してください。"
            ) from None
        return "utf-8"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("cp932")().decode(head, final=False)
        return "cp932"
    except UnicodeDecodeError as error:
        raise AuditInputError(
            "文字コードを判別できません（UTF-8 か Shift_JIS の CSV にしてください）。"
        ) from error


def transcode_to_utf8(source: Path, target: Path, chunk: int = 4 << 20) -> None:
    decoder = codecs.getincrementaldecoder("cp932")()
    try:
        with source.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
            while block := src.read(chunk):
                dst.write(decoder.decode(block))
            dst.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as error:
        raise AuditInputError("Shift_JIS として読めない文字があります。") from error


def check_excel(path: Path, *, cells: bool = False) -> None:
    """An .xlsx/.xlsm must be a workbook that does not unpack to more than :data:`MAX_UNPACKED_BYTES`,
    whose first sheet (the one read) is not hidden: a hidden sheet is never read as the data. Cheap:
    only the zip's directory and workbook.xml are read. ``cells``: also search the sheet (as fast as
    unpacking it) for what would be read wrong: a formula without a saved value (read as empty), an
    error value, merged cells (one value standing for several). (.xls is left to the reader.)"""
    with path.open("rb") as handle:
        kind = _kind(path, handle.read(1 << 16))
    if kind == "xls":
        return
    name = path.name[:60]
    if kind != "xlsx":
        raise AuditInputError(f"{name} は Excel（.xlsx）のファイルではありません。")
    try:
        with tabular.open_archive(path, MAX_UNPACKED_BYTES) as archive:
            sheets = tabular.sheets_of(archive)
            if not sheets:
                raise AuditInputError(f"{name} にシートがありません。")
            if sheets[0].state != "visible":
                raise AuditInputError(
                    f"{name} の1枚目のシート「{sheets[0].name[:40]}」が非表示です。"
                    "非表示のシートは読みません。シートを再表示するか、データのシートを先頭に置いてください。"
                )
            problems = tabular.quick_scan(archive, sheets[0]) if cells else []
    except tabular.ImportRejected as refused:
        raise AuditInputError(f"{name}: {refused.issues[0].message}") from None
    if problems:
        raise AuditInputError(
            f"{name}: "
            + "、".join(problems)
            + "。数式は値に置き換え、セルの結合は解除してから送ってください。"
        )


def read_table(path: Path, workdir: Path) -> pl.DataFrame:
    """Every column as text. CSV (UTF-8 or CP932) or the first sheet of an Excel workbook."""
    suffix = path.suffix.lower()
    try:
        if suffix in EXCEL_SUFFIXES:
            check_excel(path, cells=True)
            frame = pl.read_excel(path, engine="calamine", infer_schema_length=0)
        else:
            source = path
            if sniff_encoding(path) == "cp932":
                source = workdir / (path.stem + ".utf8.csv")
                transcode_to_utf8(path, source)
            frame = pl.read_csv(
                source,
                infer_schema=False,
                encoding="utf8",
                separator="\t" if suffix == ".tsv" else ",",
                truncate_ragged_lines=False,
            )
    except AuditInputError:
        raise
    except Exception as error:  # polars/calamine errors may quote a cell: never pass them on
        raise AuditInputError(
            f"{path.name[:60]} を表として読めませんでした（CSV か Excel を送ってください）。"
        ) from error
    frame = frame.rename({c: c.lstrip("\ufeff").strip() for c in frame.columns})
    if frame.height == 0:
        raise AuditInputError(f"{path.name[:60]} にデータの行がありません。")
    return frame


def select_mapped(frame: pl.DataFrame, mapping: ColumnMapping) -> pl.DataFrame:
    """The frame with its mapped columns renamed to the field names; absent optional fields empty."""
    if mapping.missing:
        labels = "、".join(FIELD_LABELS[f] for f in mapping.missing)
        raise AuditInputError(f"列が見つかりません: {labels}")
    exprs = [pl.col(header).cast(pl.Utf8).alias(field_name) for field_name, header in mapping.columns.items()]
    present = set(mapping.columns)
    exprs += [pl.lit(None, dtype=pl.Utf8).alias(f) for f in KNOWN_HEADERS if f not in present]
    return frame.select(exprs)
