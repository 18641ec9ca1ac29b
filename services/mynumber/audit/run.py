"""One audit run: a private working folder, the two inputs read and mapped, the engine, progress.

The working folder is created with mode 0700 and removed when the run ends, on failure too: an
uploaded file or its transcoded copy never outlives the run (:func:`private_workdir`). A run killed
outright cannot clean up after itself, so each folder's name carries its process id and the next run
first removes the folders of processes that are gone. The report is written whole or not at all
(:func:`write_report`): into a private partial file, renamed into place when complete.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from services.mynumber.audit import engine, reader
from services.mynumber.audit.normalise import variant_table
from services.mynumber.audit.uploads import orphaned

Progress = Callable[[str, float], None]  # (Japanese stage label, fraction done 0..1)

STAGES = (
    ("住基データの読み込み", 0.25),
    ("業務データの読み込み", 0.45),
    ("正規化と照合", 0.95),
    ("完了", 1.0),
)


WORKDIR_PREFIX = "mynumber-audit-"
PARTIAL_SUFFIX = ".partial"


def remove_orphans(parent: Path, prefix: str) -> int:
    """Remove what processes that are gone left under ``parent`` (``<prefix><pid>-…``)."""
    gone = 0
    for path in parent.glob(prefix + "*"):
        if not orphaned(path.name, prefix):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        gone += 1
    return gone


@contextmanager
def private_workdir(parent: Path | None = None) -> Iterator[Path]:
    """A folder only this process's user can read, deleted with everything in it afterwards
    (first removing the folders that killed runs left in the same place)."""
    base = Path(parent) if parent else Path(tempfile.gettempdir())
    remove_orphans(base, WORKDIR_PREFIX)
    folder = Path(tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-", dir=base))
    folder.chmod(0o700)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _partial_prefix(path: Path) -> str:
    return f".{path.name}.partial-"


def write_report(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: a private (0600) partial file next to it,
    flushed to disk, then renamed over ``path``. A killed run leaves only a hidden partial file,
    never a truncated report under the name asked for; the next write removes such leftovers."""
    path = Path(path)
    remove_orphans(path.parent, _partial_prefix(path))
    partial = path.with_name(f"{_partial_prefix(path)}{os.getpid()}-{os.urandom(4).hex()}{PARTIAL_SUFFIX}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def inspect(path: Path, kind: str, workdir: Path) -> tuple[pl.DataFrame, reader.ColumnMapping]:
    """The table and its detected column mapping (``kind``: ``records`` or ``registry``)."""
    frame = reader.read_table(path, workdir)
    return frame, reader.detect_mapping(frame.columns, kind)


def _mapped(
    frame: pl.DataFrame, mapping: reader.ColumnMapping, overrides: Mapping[str, str] | None
) -> pl.DataFrame:
    if overrides:
        mapping = mapping.with_overrides(overrides)
    return reader.select_mapped(frame, mapping)


def audit_files(
    registry: Path,
    records: Path,
    workdir: Path,
    *,
    registry_columns: Mapping[str, str] | None = None,
    records_columns: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    variants_file: Path | None = None,
) -> engine.AuditResult:
    """Read, map and audit. ``*_columns`` are the user's confirmed choices (field -> header)."""
    report = progress or (lambda stage, done: None)
    report(STAGES[0][0], 0.0)
    registry_frame, registry_mapping = inspect(registry, "registry", workdir)
    report(STAGES[1][0], STAGES[0][1])
    records_frame, records_mapping = inspect(records, "records", workdir)
    report(STAGES[2][0], STAGES[1][1])
    variants = variant_table(variants_file) if variants_file else variant_table()
    result = engine.audit(
        _mapped(records_frame, records_mapping, records_columns),
        _mapped(registry_frame, registry_mapping, registry_columns),
        variants,
    )
    report(STAGES[3][0], 1.0)
    return result


def read_headers(path: Path, workdir: Path) -> list[str]:
    """The header row only (for the mapping card): cheap even for a 100 MB file.

    CSV in UTF-8 or CP932 (the first line is decoded, never the rest); Excel through the same reader
    as the audit, first sheet. Raises :class:`reader.AuditInputError` (Japanese, no cell values)."""
    suffix = path.suffix.lower()
    if suffix in reader.EXCEL_SUFFIXES:
        reader.check_excel(path)
        try:
            frame = pl.read_excel(path, engine="calamine", infer_schema_length=0, read_options={"n_rows": 1})
        except Exception as error:  # calamine errors may quote a cell: never pass them on
            raise reader.AuditInputError(f"{path.name[:60]} を Excel として読めませんでした。") from error
        headers = list(frame.columns)
    else:
        encoding = "utf-8-sig" if reader.sniff_encoding(path) == "utf-8" else "cp932"
        try:
            with path.open(encoding=encoding, newline="") as handle:
                first = next(csv.reader(handle, delimiter="\t" if suffix == ".tsv" else ","), [])
        except (UnicodeDecodeError, csv.Error) as error:
            raise reader.AuditInputError(f"{path.name[:60]} の見出し行を読めませんでした。") from error
        headers = list(first)
    headers = [h.lstrip("\ufeff").strip() for h in headers]
    if not any(headers):
        raise reader.AuditInputError(f"{path.name[:60]} に見出し行がありません。")
    return headers
