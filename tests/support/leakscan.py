"""The privacy and secret scan over everything the process wrote during a test session (issue 18 §5).

What counts as a finding:

- **a My Number**: 12 decimal digits of any script (ASCII, full-width ``０-９``, any Unicode ``Nd``)
  whose check digit is right (:func:`services.kernel.privacy.check_digit`), written together or with
  separators between any of them: spaces (ASCII, ideographic), hyphens and dashes of every kind, dots
  (``.``, ``．``, ``・``, ``･``), underscores and slashes, one to three such characters per gap, mixed.
  A number is a maximal run of digit groups joined by separators; contiguous groups of it that hold
  exactly 12 digits are tried where whitespace parts them from the rest of the run
  (``123456789018 42`` still finds the number; ``20230423-1000-0f3a…``, a date-time id, is one
  longer identifier), but never part of a group (``1234567890181`` is a 13-digit number). GUIDs and
  hexadecimal tokens (16 or more hex characters with at least one letter, standing alone: ETags, uuid hex,
  digests) are identifiers, not numbers, and are skipped (the masking module skips GUIDs too), and
  so are the audit trail's row keys (``20261126010203123456-0003-79025129``: time, sequence number,
  random hex tail, which is all digits one time in 40);
- **a connection string or account key**: ``AccountKey=``, ``SharedAccessSignature=``,
  ``DefaultEndpointsProtocol=`` (the Azurite key is public, but a stored connection string is a leak);
- **a token**: a JWT (``eyJ…`` header ``.`` payload ``.``) or ``Bearer <token>``;
- **a known secret**: the app passwords and client secrets the tests configure (harvested from the
  test sources: :func:`known_secrets`), as a whole token.

What is read (:class:`Scan`): log text, files (raw bytes as UTF-8 and as UTF-16, and every member of
a zip such as ``.xlsx``; SQLite databases value by value, with their WAL: every cell of every table,
as text) and table entities (every property, as text): the shared Azurite's, and every in-memory
store of the tests (``tests.fakes.InMemoryTableStore``) after each test. The session plugin is in
``tests/conftest.py``.

Test *inputs* that deliberately hold My Numbers are not something the process wrote: a test writes
them under a folder named :data:`INPUTS` (``tests/support/leakscan.inputs_dir``), and the scan
skips every file with a path component of exactly that name; and log records whose source file is
under ``tests/`` (the test code logged them) are not read.
"""

from __future__ import annotations

import io
import re
import shutil
import sqlite3
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.kernel.privacy import check_digit

#: the folder name under which tests write inputs that deliberately hold My Numbers
INPUTS = "leakscan-test-inputs"

_SEP = r"[ \u3000\-\u2010-\u2015\u2212\uFF0D\u30FC\uFF70.\uFF0E\u30FB\uFF65_/]"
_RUN = re.compile(rf"\d+(?:{_SEP}{{1,3}}\d+)*")
_GROUP = re.compile(r"\d+")
_GUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_AUDIT_ROW_KEY = re.compile(r"(?<![0-9A-Za-z])\d{20}-\d{4}-[0-9a-f]{8}(?![0-9A-Za-z])")
_HEX_TOKEN = re.compile(r"(?<![0-9A-Za-z])(?=[0-9]*[A-Fa-f])[0-9A-Fa-f]{16,}(?![0-9A-Za-z])")
_SECRET_PATTERNS = (
    ("connection string", re.compile(r"AccountKey\s*=\s*[^;\s\"']{8,}", re.IGNORECASE)),
    ("connection string", re.compile(r"SharedAccessSignature\s*=\s*[^;\s\"']{8,}", re.IGNORECASE)),
    ("connection string", re.compile(r"DefaultEndpointsProtocol\s*=\s*https?", re.IGNORECASE)),
    ("JWT", re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")),
    ("bearer token", re.compile(r"Bearer\s+[A-Za-z0-9\-._~+/]{16,}=*")),
)
_MAX_ZIP_MEMBER = 200 * 1024 * 1024


def _digit_values(text: str) -> str:
    return "".join(str(unicodedata.digit(ch)) for ch in text if unicodedata.digit(ch, None) is not None)


def _valid(digits: str) -> bool:
    return len(digits) == 12 and check_digit(digits[:11]) == int(digits[11])


def find_my_numbers(text: str) -> list[str]:
    """Every My Number-shaped string in ``text`` whose check digit is right (as written)."""
    found: list[str] = []
    spans = [m.span() for p in (_GUID, _HEX_TOKEN, _AUDIT_ROW_KEY) for m in p.finditer(text)]
    for run in _RUN.finditer(text):
        start, end = run.span()
        if any(a <= start < b for a, b in spans):
            continue
        whole = run.group(0)
        groups = list(_GROUP.finditer(whole))
        for i in range(len(groups)):
            if i > 0 and not whole[groups[i - 1].end() : groups[i].start()].isspace():
                continue  # joined to the digits before it by a dash or a dot: part of something longer
            total = 0
            for j in range(i, len(groups)):
                total += len(groups[j].group(0))
                if total > 12:
                    break
                if total == 12:
                    after = whole[groups[j].end() : groups[j + 1].start()] if j + 1 < len(groups) else " "
                    written = whole[groups[i].start() : groups[j].end()]
                    if after.isspace() and _valid(_digit_values(written)):
                        found.append(written)
                    break
    return found


def known_secrets(root: Path) -> list[str]:
    """The app passwords and client secrets the test sources configure (literal values of 6+
    characters: shorter ones, ``"x"``, cannot be told from ordinary text)."""
    assignment = re.compile(
        r"(?:app_password|MicrosoftAppPassword|GRAPH_CLIENT_SECRET|client_secret|CLIENT_SECRET|APP_PASSWORD)"
        r"[\"']?\s*[:=]\s*[\"']([^\"'\n]{6,200})[\"']"
    )
    values: set[str] = set()
    for path in sorted((root / "tests").rglob("*.py")):
        values.update(assignment.findall(path.read_text(encoding="utf-8", errors="replace")))
    return sorted(values)


@dataclass(frozen=True)
class Finding:
    where: str
    kind: str
    value: str

    def __str__(self) -> str:
        return f"{self.where}: {self.kind}: {self.value[:80]!r}"


@dataclass
class Scan:
    """Accumulates what was read and what was found."""

    secrets: tuple[str, ...] = ()
    findings: list[Finding] = field(default_factory=list)
    log_lines: int = 0
    log_chars: int = 0
    files: int = 0
    file_bytes: int = 0
    skipped_inputs: int = 0
    zip_members: int = 0
    tables: int = 0
    entities: int = 0
    _secret_res: list[re.Pattern[str]] = field(default_factory=list)
    _seen: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._secret_res = [
            re.compile(rf"(?<![A-Za-z0-9_-]){re.escape(s)}(?![A-Za-z0-9_-])") for s in self.secrets
        ]

    # --- text -----------------------------------------------------------------------------------

    def text(self, where: str, text: str) -> list[Finding]:
        found = [Finding(where, "My Number", n) for n in find_my_numbers(text)]
        for kind, pattern in _SECRET_PATTERNS:
            found += [Finding(where, kind, m.group(0)) for m in pattern.finditer(text)]
        for secret, pattern in zip(self.secrets, self._secret_res, strict=True):
            if pattern.search(text):
                found.append(Finding(where, "known secret", secret))
        self.findings += found
        return found

    def log(self, text: str) -> None:
        if not text:
            return
        self.log_lines += text.count("\n") + 1
        self.log_chars += len(text)
        self.text("log", text)

    # --- files ------------------------------------------------------------------------------------

    def bytes_(self, where: str, data: bytes) -> None:
        self.text(where, data.decode("utf-8", errors="replace"))
        if b"\x00" in data:  # UTF-16 text (a Windows export, SQLite in UTF-16) at either alignment
            for offset in (0, 1):
                chunk = data[offset : len(data) - ((len(data) - offset) % 2)]
                self.text(where + " (UTF-16)", chunk.decode("utf-16-le", errors="replace"))
        if data[:4] == b"PK\x03\x04":
            self._zip(where, data)

    def _zip(self, where: str, data: bytes) -> None:
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            return
        with archive:
            for info in archive.infolist():
                if info.is_dir() or info.file_size > _MAX_ZIP_MEMBER:
                    continue
                self.zip_members += 1
                try:
                    member = archive.read(info)
                except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
                    continue
                self.bytes_(f"{where}!{info.filename}", member)

    def tree(self, root: Path) -> None:
        """Every file under ``root`` except those under a folder named :data:`INPUTS`."""
        for path in sorted(_files(root)):
            if INPUTS in path.relative_to(root).parts[:-1]:
                self.skipped_inputs += 1
                continue
            if (
                path.name.endswith(("-wal", "-shm", "-journal"))
                and path.with_name(path.name.rsplit("-", 1)[0]).is_file()
            ):
                continue  # read with its database
            try:
                data = path.read_bytes()
            except OSError:
                continue
            self.files += 1
            self.file_bytes += len(data)
            if data.startswith(b"SQLite format 3\x00"):
                self.sqlite(str(path.relative_to(root)), path)
            else:
                self.bytes_(str(path.relative_to(root)), data)

    def sqlite(self, where: str, path: Path) -> None:
        """Every cell of every table (a copy with its WAL is opened, so nothing is changed)."""
        with tempfile.TemporaryDirectory(prefix="leakscan-") as scratch:
            copy = Path(scratch) / "db"
            shutil.copy(path, copy)
            for suffix in ("-wal",):
                if path.with_name(path.name + suffix).is_file():
                    shutil.copy(path.with_name(path.name + suffix), Path(scratch) / ("db" + suffix))
            try:
                db = sqlite3.connect(copy)
                try:
                    tables = [r[0] for r in db.execute("select name from sqlite_master where type = 'table'")]
                    for table in tables:
                        self.tables += 1
                        for row in db.execute(f'select * from "{table.replace(chr(34), chr(34) * 2)}"'):
                            self.entities += 1
                            self.text(f"{where}:{table}", "\n".join(_plain(v) for v in row))
                finally:
                    db.close()
            except sqlite3.DatabaseError:
                self.bytes_(where, path.read_bytes())

    # --- table entities ---------------------------------------------------------------------------

    def entity(self, where: str, properties: dict[str, Any], *, once: bool = False) -> None:
        """Scan one entity; with ``once``, an entity already read with the same content is skipped
        (the in-memory stores are read after every test)."""
        text = "\n".join(f"{k}={_plain(v)}" for k, v in properties.items())
        if once:
            digest = hash((where, text))
            if digest in self._seen:
                return
            self._seen.add(digest)
        self.entities += 1
        for key, value in properties.items():
            self.text(f"{where}#{key}", _plain(value))

    def azure_tables(self, connection_string: str) -> None:
        """Every entity of every table of the Azure Table service at ``connection_string``."""
        from azure.data.tables import TableServiceClient

        with TableServiceClient.from_connection_string(connection_string) as service:
            for table in service.list_tables():
                self.tables += 1
                client = service.get_table_client(table.name)
                for entity in client.list_entities():
                    where = f"azurite:{table.name}/{entity.get('PartitionKey')}/{entity.get('RowKey')}"
                    self.entity(where, dict(entity))

    # --- the report -------------------------------------------------------------------------------

    def coverage(self) -> str:
        return (
            f"log: {self.log_lines:,} lines ({self.log_chars:,} characters); "
            f"files: {self.files:,} ({self.file_bytes:,} bytes, {self.zip_members:,} zip members; "
            f"{self.skipped_inputs:,} test inputs under {INPUTS}/ skipped); "
            f"tables: {self.tables:,} ({self.entities:,} entities)"
        )


def _plain(value: Any) -> str:
    inner = getattr(value, "value", value)  # azure's EntityProperty
    if isinstance(inner, bytes):
        return inner.decode("utf-8", errors="replace")
    return str(inner)


def _files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            yield path


def inputs_dir(base: Path) -> Path:
    """The folder under ``base`` for test inputs that hold My Numbers (skipped by the scan)."""
    folder = base / INPUTS
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def summarise(findings: Iterable[Finding], limit: int = 50) -> str:
    """One line per place and kind: how many, and the first value found there."""
    grouped: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        grouped.setdefault((finding.where, finding.kind), []).append(finding)
    lines = [f"{len(items)} x {items[0]}" for items in list(grouped.values())[:limit]]
    if len(grouped) > limit:
        lines.append(f"... and {len(grouped) - limit} more places")
    return "\n".join(lines)
