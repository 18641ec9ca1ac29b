"""Broken files as the linkage audit's inputs (issue 18 §2): the business records replaced by a broken
file, the registry extract kept. Each run is refused with a Japanese message (AuditInputError, which
the bot shows) that quotes no cell, or it reads exactly what its plain twin reads (the same verdicts).
Nothing stays behind: the run's private folder is gone afterwards.

The audit takes big files on purpose (a city's registry extract; uploads up to
MYNUMBER_AUDIT_MAX_UPLOAD_MB, 120 MB by default, capped while streaming in bot/uploads.py, tested in
tests/bot/test_uploads.py): a million rows and 50 MB are read, within those limits."""

from __future__ import annotations

import codecs
import csv
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from bench.audit_data import generate
from services.mynumber.audit import reader
from services.mynumber.audit.run import audit_files, private_workdir, read_headers
from tests.services import broken_files as bf
from tests.support.leakscan import inputs_dir

READ = "read"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    folder = inputs_dir(tmp_path_factory.mktemp("audit-inputs"))  # My Numbers: not scanned as output
    generate(folder, 300, 280, seed=3)
    return folder


def rows_of(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [list(r) for r in csv.reader(handle)]


def verdicts(registry: Path, records: Path, parent: Path) -> pl.DataFrame:
    with private_workdir(parent) as workdir:
        result = audit_files(registry, records, workdir)
    return result.records.select("record_id", "verdict", "differs").sort("record_id")


def as_xlsx(rows: list[list[str]]) -> bytes:
    return bf.xlsx(rows)


NAME_CELL = "C2"  # 氏名 of the first record


def _records(inputs: Path) -> list[list[str]]:
    return rows_of(inputs / "records.csv")


Build = Callable[[Path], tuple[bytes, str]]

CASES: list[tuple[str, Build, str]] = [
    ("pdf_named_csv", lambda i: (bf.PDF, "業務.csv"), "PDF"),
    ("png_named_xlsx", lambda i: (bf.PNG, "業務.xlsx"), "PNG"),
    ("word_document", lambda i: (bf.docx(), "業務.xlsx"), "Word"),
    ("xls_or_password", lambda i: (bf.OLE, "業務.xls"), "読め"),
    ("truncated_xlsx", lambda i: (bf.truncated(as_xlsx(_records(i))), "業務.xlsx"), "壊れています"),
    ("random_binary", lambda i: (bf.BINARY, "業務.csv"), "ではありません"),
    ("utf16_text", lambda i: (bf.utf16(_records(i)), "業務.csv"), "UTF-16"),
    ("shift_jis_csv", lambda i: (bf.csv_bytes(_records(i), "cp932"), "業務.csv"), READ),
    (
        "utf8_bom_then_shift_jis",
        lambda i: (bf.bom_then_shift_jis(_records(i)), "業務.csv"),
        "UTF-8 として読めない",
    ),
    ("xlsx", lambda i: (as_xlsx(_records(i)), "業務.xlsx"), READ),
    (
        "formula_with_saved_value",
        lambda i: (bf.with_formula(as_xlsx(_records(i)), 0, NAME_CELL, "A1", _records(i)[1][2]), "業務.xlsx"),
        READ,
    ),
    (
        "formula_never_calculated",
        lambda i: (bf.with_formula(as_xlsx(_records(i)), 0, NAME_CELL, "A1", None), "業務.xlsx"),
        "計算結果が保存されていません",
    ),
    (
        "formula_error",
        lambda i: (bf.with_formula(as_xlsx(_records(i)), 0, NAME_CELL, "1/0", "#DIV/0!"), "業務.xlsx"),
        "エラー値",
    ),
    ("merged_data_cells", lambda i: (bf.merged(as_xlsx(_records(i)), 0, "F2:F3"), "業務.xlsx"), "結合"),
    ("hidden_data_sheet", lambda i: (bf.hidden(as_xlsx(_records(i)), 0), "業務.xlsx"), "非表示"),
    ("hidden_extra_sheet", lambda i: (bf.with_hidden_extra(as_xlsx(_records(i))), "業務.xlsx"), READ),
    (
        "dimension_says_a1_xfd1048576",
        lambda i: (bf.dimension_lie(as_xlsx(_records(i)), 0), "業務.xlsx"),
        READ,
    ),
]


@pytest.mark.parametrize(("key", "build", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_broken_records_file_is_refused_clearly_or_read_as_its_plain_twin(
    inputs, tmp_path, key, build, expected
):
    data, name = build(inputs)
    records = inputs_dir(tmp_path) / name
    records.write_bytes(data)
    parent = tmp_path / "runs"
    parent.mkdir()
    if expected == READ:
        assert read_headers(records, parent)[:3] == ["宛名番号", "個人番号", "氏名"]
        got = verdicts(inputs / "registry.csv", records, parent)
        assert got.equals(verdicts(inputs / "registry.csv", inputs / "records.csv", parent))
    else:
        with pytest.raises(reader.AuditInputError) as refused:
            read_headers(records, parent)  # at upload: the cheap checks
            verdicts(inputs / "registry.csv", records, parent)  # in the run: the cells too
        text = str(refused.value)
        assert expected in text, text
        assert "山" not in text and "田" not in text  # no cell value (the names all have one of these)
    assert list(parent.iterdir()) == []  # the run's private folder is gone


def test_utf8_where_shift_jis_is_usual_is_read_too(inputs, tmp_path):
    """The reverse: a registry extract in Shift_JIS (what the registry system writes) with business
    records in UTF-8, and the other way round: the same verdicts."""
    registry_sjis = inputs_dir(tmp_path) / "住基.csv"
    registry_sjis.write_bytes((inputs / "registry.csv").read_text(encoding="utf-8").encode("cp932"))
    plain = verdicts(inputs / "registry.csv", inputs / "records.csv", tmp_path)
    assert verdicts(registry_sjis, inputs / "records.csv", tmp_path).equals(plain)
    records_bom = inputs_dir(tmp_path) / "業務.csv"
    records_bom.write_bytes(codecs.BOM_UTF8 + (inputs / "records.csv").read_bytes())
    assert verdicts(registry_sjis, records_bom, tmp_path).equals(plain)


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_UNPACKED_BYTES", 100 * 1024 * 1024)  # the bomb unpacks to 160 MB
    path = inputs_dir(tmp_path) / "業務.xlsx"
    path.write_bytes(bf.zip_bomb_xlsx())
    with pytest.raises(reader.AuditInputError, match="中身が大きすぎます"):
        read_headers(path, tmp_path)


def test_a_million_rows_of_50_mb_are_read_within_the_upload_limit(tmp_path):
    """A million records, 50 MB: within the 120 MB upload limit, so read (the audit's purpose), and
    the header for the mapping card without reading the rest."""
    path = inputs_dir(tmp_path) / "業務.csv"
    line = "A0000001,288733878642,堺 太郎,サカイ,19700101,1,堺市堺区\n".encode()
    count = 1_000_000
    with path.open("wb") as handle:
        handle.write("宛名番号,個人番号,氏名,カナ氏名,生年月日,性別,住所\n".encode())
        handle.write(line * count)
    size = path.stat().st_size
    assert 50 * 1024 * 1024 <= size <= 120 * 1024 * 1024  # 65 MB
    started = time.perf_counter()
    assert read_headers(path, tmp_path) == [
        "宛名番号",
        "個人番号",
        "氏名",
        "カナ氏名",
        "生年月日",
        "性別",
        "住所",
    ]
    headers_seconds = time.perf_counter() - started
    started = time.perf_counter()
    frame = reader.read_table(path, tmp_path)
    table_seconds = time.perf_counter() - started
    assert frame.height == count and frame["個人番号"][count - 1] == "288733878642"
    path.unlink()  # 65 MB of disk
    mb = size / 1024 / 1024
    print(f"\n1,000,000 rows, {mb:.0f} MB: header {headers_seconds:.3f} s, table {table_seconds:.2f} s")
