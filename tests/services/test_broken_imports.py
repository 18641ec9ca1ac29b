"""Broken files for every import the product takes (issue 18 §2): each is refused with a Japanese
message naming what is wrong, and nothing is written (the whole store is the same before and after),
or it is read exactly as its plain twin (the same store afterwards).

The imports (every one that takes a user's file): the organisation file, the roster file and the
admin's "either file" import (people; CSV or .xlsx), the My Number operations import (CSV or .xlsx),
the online-procedures table, the キャッシュレス indicator and registry workbooks, the 標準化 workbook and
the smartphone classes (.xlsx). The linkage audit's inputs are in ``test_broken_audit_inputs.py``.

The decisions (see services/kernel/tabular.py):
- a formula with a saved value is read as that value (what the user saw in Excel); without a saved
  value, or with an error value, the file is refused naming the cell;
- merged cells in the data rows are refused naming the range (one value standing for several cells);
- the sheet to be read hidden: refused (never silently read as the data); another hidden sheet is
  ignored;
- Shift_JIS where UTF-8 is expected: read as the same table (Excel's plain CSV); a UTF-8 file with
  Shift_JIS inside it: refused;
- a million rows, 50 MB, a zip bomb, too many columns: refused by the limits, from a streaming scan.
"""

from __future__ import annotations

import csv
import io
import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from services.cashless.excel import INDICATOR_HEADER, WorkbookRefused
from services.cashless.service import CashlessService
from services.digital_divide.classes import HEADERS as CLASS_HEADERS
from services.digital_divide.classes import Rejected
from services.digital_divide.service import DigitalDivideService
from services.kernel import tabular
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.kernel.tabular import ImportRejected
from services.mynumber.excel import IMPORT_COLUMNS
from services.mynumber.service import MyNumberService
from services.online_procedures.excel import ImportRefused as TableRefused
from services.online_procedures.service import OnlineProceduresService
from services.people.identity import Actor
from services.people.organisation import ORG_COLUMNS
from services.people.roster_file import ROSTER_COLUMNS
from services.people.service import PeopleService
from services.standardization.excel import SHEET_CAP, SHEET_CONFIG, SHEET_SYSTEMS
from services.standardization.excel import ImportRefused as WorkbookImportRefused
from services.standardization.service import StandardizationService
from services.standardization.service import export_xlsx as standardization_export
from services.standardization.service import import_xlsx as standardization_import
from tests.fakes import InMemoryTableStore
from tests.services import broken_files as bf
from tests.support import mynumber as mx
from tests.support import people as fx
from tests.support.leakscan import inputs_dir

SEED = load_seed()
REFUSALS = (ImportRejected, TableRefused, WorkbookRefused, WorkbookImportRefused, Rejected)
CLOCK_START = datetime(2023, 9, 20, 10, 0, tzinfo=TIMEZONE)
IN_Q2 = date(2023, 9, 20)


def letters(number: int, width: int) -> str:
    """``number`` in hex letters only (a-f, base 6): an id with no digits (never a My Number)."""
    out = ""
    for _ in range(width):
        number, rest = divmod(number, 6)
        out = "abcdef"[rest] + out
    return out


def message_of(error: BaseException) -> str:
    issues = getattr(error, "issues", None) or getattr(error, "problems", None) or [error]
    return "\n".join(str(i) for i in issues)


def japanese(text: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)


# --- the imports ------------------------------------------------------------------------------------


@dataclass
class Env:
    store: InMemoryTableStore
    run: Callable[[bytes, str], Any]
    valid_xlsx: bytes
    valid_rows: list[list[Any]] = field(default_factory=list)  # for the CSV imports


@dataclass(frozen=True)
class Target:
    key: str
    make: Callable[[], Env]
    csv: bool  # takes CSV too
    sheet: str | int  # the sheet the data is read from
    formula: tuple[str, str, Any]  # a data cell, a formula giving its value, the value
    merge: str  # data cells to merge
    header: tuple[str, ...]  # for the crafted big files
    sheets: tuple[str, ...] = ("Sheet1",)  # sheet names for crafted files (the first is filled)
    data_row: int = 2


# Building a store (seed, people) and a valid file takes up to 0.5 s; each test gets a copy of one
# made once per kind of store (cheap), and the valid file made once per import.
_TEMPLATES: dict[str, tuple[InMemoryTableStore, datetime]] = {}
_VALID: dict[str, bytes] = {}


def _clone(source: InMemoryTableStore) -> InMemoryTableStore:
    store = InMemoryTableStore()
    store._tables = {table: dict(rows) for table, rows in source._tables.items()}  # noqa: SLF001
    following = next(source._etags)  # noqa: SLF001 - ETags go on from where the template stopped
    source._etags = itertools.count(following)  # noqa: SLF001
    store._etags = itertools.count(following)  # noqa: SLF001
    return store


def fresh(seeded: bool, people: bool) -> tuple[InMemoryTableStore, fx.Clock]:
    key = f"{seeded}/{people}"
    if key not in _TEMPLATES:
        store, clock = InMemoryTableStore(), fx.Clock(CLOCK_START)
        if seeded:
            seed_store(store, SEED)
        if people:
            fx.load_fixtures(store, clock)
        _TEMPLATES[key] = (store, clock.now)
    template, now = _TEMPLATES[key]
    return _clone(template), fx.Clock(now)


def valid_once(key: str, build: Callable[[], bytes]) -> bytes:
    if key not in _VALID:
        _VALID[key] = build()
    return _VALID[key]


def _admin(store: InMemoryTableStore, clock: fx.Clock) -> Actor:
    return fx.actor_of(PeopleService(store, clock), fx.ADMIN)


def _people_env(key: str, run_name: str, rows: list[list[Any]]) -> Env:
    store, clock = fresh(seeded=False, people=True)
    people = PeopleService(store, clock)
    admin = fx.actor_of(people, fx.ADMIN)
    importer = getattr(people, run_name)
    return Env(
        store, lambda data, name: importer(admin, data, name), valid_once(key, lambda: bf.xlsx(rows)), rows
    )


def _csv_rows(path) -> list[list[Any]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [list(r) for r in csv.reader(handle)]


def organisation_env() -> Env:
    rows = _csv_rows(fx.ORGANISATION_CSV) + [["建設局", "道路部", ""]]
    return _people_env("organisation", "import_organisation", rows)


def _roster_rows() -> list[list[Any]]:
    rows = _csv_rows(fx.ROSTER_CSV)
    rows[6][1] = "一般 職員二"  # a change: the import writes something
    return rows


def roster_env() -> Env:
    return _people_env("roster", "import_roster", _roster_rows())


def either_file_env() -> Env:
    return _people_env("either", "import_file", _roster_rows())


MYNUMBER_ROWS: list[list[Any]] = [
    [
        "財政局",
        "税務部",
        "市民税課",
        "市民税の課税",
        "給与支払報告",
        "システム自動連携",
        "",
        "はい",
        "はい",
        5000,
        "R5.7.31",
    ],
    ["財政局", "税務部", "市民税課", "市民税の課税", "申告書", "", "", "", "", "", ""],
]


def mynumber_env() -> Env:
    store, clock = fresh(seeded=False, people=False)
    service = MyNumberService(store, clock)
    rows = [list(IMPORT_COLUMNS), *MYNUMBER_ROWS]
    valid = valid_once("mynumber", lambda: bf.xlsx(rows))
    return Env(store, lambda data, name: service.import_xlsx(mx.ADMIN, data, name), valid, rows)


def online_procedures_env() -> Env:
    store, clock = fresh(seeded=True, people=True)
    admin = _admin(store, clock)
    service = OnlineProceduresService(store, clock, alert_days=5, escalation_days=10)

    def edit(book):  # 財政局 (row 6) moves 2 of 1～3月's plan into 7～9月; 総計 follows
        sheet = book.worksheets[0]
        sheet["F6"], sheet["H6"], sheet["F25"], sheet["H25"] = 2, None, 64, 511

    valid = valid_once("op", lambda: bf.edit_book(service.export_xlsx(admin.person, IN_Q2), edit))
    return Env(store, lambda data, name: service.import_xlsx(admin, data, IN_Q2, name), valid)


def _cashless() -> tuple[InMemoryTableStore, CashlessService]:
    store, clock = fresh(seeded=True, people=False)
    return store, CashlessService(store, clock, bureaus=lambda: ["建設局", "健康福祉局", "財政局"])


INDICATOR_ROWS: list[list[Any]] = [
    list(INDICATOR_HEADER),
    ["R5", "現金", 1000, 5_000_000],
    ["R5", "クレジットカード", 300, 3_000_000],
    ["R5", "口座振替", 500, 2_000_000],
]


def indicator_env() -> Env:
    store, service = _cashless()
    valid = valid_once("indicator", lambda: bf.xlsx(INDICATOR_ROWS))
    return Env(store, lambda data, name: service.import_indicator(mx.ADMIN, data, name), valid)


REGISTRY_ROW = 2  # 介護保険料, the first receivable of the exported registry


def registry_env() -> Env:
    store, service = _cashless()

    def build() -> bytes:
        exported = service.export_xlsx(mx.ADMIN.person, IN_Q2)
        assert load_workbook(io.BytesIO(exported)).worksheets[0][f"B{REGISTRY_ROW}"].value == "介護保険料"
        return bf.edit_book(
            exported, lambda book: book.worksheets[0].__setitem__(f"F{REGISTRY_ROW}", 250_000)
        )

    valid = valid_once("registry", build)
    return Env(store, lambda data, name: service.import_registry(mx.ADMIN, data, name), valid)


def standardization_env() -> Env:
    store, clock = fresh(seeded=True, people=True)
    admin = _admin(store, clock)
    service = StandardizationService(store, clock)
    # the programme in use: its first read stores the seed's step list (a write of its own)
    service.steps()

    def build() -> bytes:
        exported = standardization_export(service, admin.person, IN_Q2)
        return bf.edit_book(exported, lambda book: book[SHEET_CAP].__setitem__("B2", 1_234_567))

    valid = valid_once("standardization", build)
    return Env(store, lambda data, name: standardization_import(service, admin, data, name), valid)


CLASS_ROWS: list[list[Any]] = [
    list(CLASS_HEADERS),
    ["2023-04-10", "10:00", "12:00", "堺区", "堺区役所", "大学", 12, 10],
    ["R5.4.11", "10:00", "12:00", "中区", "中区役所", "大学", 12, None],
]


def classes_env() -> Env:
    store, clock = fresh(seeded=True, people=True)
    admin = _admin(store, clock)
    service = DigitalDivideService(store, clock)
    service.add_contact(admin, "大学", fx.CONTACT, "財政 担当")
    valid = valid_once("classes", lambda: bf.xlsx(CLASS_ROWS))
    return Env(store, lambda data, name: service.import_xlsx(admin, data), valid)


TARGETS = [
    Target(
        "people.organisation",
        organisation_env,
        True,
        0,
        ("B8", '"道路"&"部"', "道路部"),
        "A2:A3",
        ORG_COLUMNS,
    ),
    Target(
        "people.roster",
        roster_env,
        True,
        0,
        ("B7", '"一般 "&"職員二"', "一般 職員二"),
        "C2:C3",
        ROSTER_COLUMNS,
    ),
    Target(
        "people.either_file",
        either_file_env,
        True,
        0,
        ("B7", '"一般 職員"&"二"', "一般 職員二"),
        "F3:G3",
        ROSTER_COLUMNS,
    ),
    Target("mynumber.operations", mynumber_env, True, 0, ("J2", "2500*2", 5000), "A2:A3", IMPORT_COLUMNS),
    Target(
        "online_procedures.table",
        online_procedures_env,
        False,
        0,
        ("F6", "1+1", 2),
        "A6:A7",
        ("局", "R3年5月まで実績"),
        ("オンライン化の表",),
        data_row=3,
    ),
    Target("cashless.indicator", indicator_env, False, 0, ("C2", "500*2", 1000), "A2:A3", INDICATOR_HEADER),
    Target("cashless.registry", registry_env, False, 0, ("F2", "250*1000", 250_000), "B2:B3", ("ID", "名称")),
    Target(
        "standardization.workbook",
        standardization_env,
        False,
        SHEET_SYSTEMS,
        ("B2", "1234567*1", 1_234_567),
        "A2:A3",
        ("工程キー",),
        (SHEET_CONFIG, SHEET_SYSTEMS),
    ),
    Target("digital_divide.classes", classes_env, False, 0, ("G2", "6*2", 12), "D2:D3", CLASS_HEADERS),
]


# --- the broken files -------------------------------------------------------------------------------

READ = "read"  # read as the plain file: the same store afterwards


@dataclass(frozen=True)
class Case:
    key: str
    build: Callable[[Target, Env, dict[str, bytes]], tuple[bytes, str]]
    expect: Callable[[Target], str]  # READ, or a phrase the refusal must contain


def _formula_sheet(target: Target) -> str | int:
    return SHEET_CAP if target.key == "standardization.workbook" else target.sheet


def _with_formula(cached_of: Callable[[Any], Any]) -> Callable[[Target, Env, dict], tuple[bytes, str]]:
    def build(target: Target, env: Env, big: dict) -> tuple[bytes, str]:
        ref, formula, value = target.formula
        return bf.with_formula(
            env.valid_xlsx, _formula_sheet(target), ref, formula, cached_of(value)
        ), "f.xlsx"

    return build


def _csv_or_refused(read: str) -> Callable[[Target], str]:
    return lambda target: read if target.csv else "Excel（.xlsx）として読めません"


CASES = [
    Case("pdf_named_xlsx", lambda t, e, b: (bf.PDF, "名簿.xlsx"), lambda t: "PDF"),
    Case("png_named_csv", lambda t, e, b: (bf.PNG, "名簿.csv"), lambda t: "PNG"),
    Case("word_document", lambda t, e, b: (bf.docx(), "名簿.xlsx"), lambda t: "Word"),
    Case("xls_or_password", lambda t, e, b: (bf.OLE, "名簿.xls"), lambda t: ".xls"),
    Case(
        "truncated_xlsx", lambda t, e, b: (bf.truncated(e.valid_xlsx), "名簿.xlsx"), lambda t: "壊れています"
    ),
    Case("random_binary", lambda t, e, b: (bf.BINARY, "data.csv"), lambda t: "ではありません"),
    Case("utf16_text", lambda t, e, b: (bf.utf16(e.valid_rows or [["a"]]), "名簿.csv"), lambda t: "UTF-16"),
    Case(
        "shift_jis_csv",
        lambda t, e, b: (bf.csv_bytes(e.valid_rows or [["局"]], "cp932"), "名簿.csv"),
        _csv_or_refused(READ),
    ),
    Case(
        "utf8_csv_as_shift_jis_would_be",  # the reverse: UTF-8 (no BOM) where Excel's CSV is cp932
        lambda t, e, b: (bf.csv_bytes(e.valid_rows or [["局"]], "utf-8"), "名簿.csv"),
        _csv_or_refused(READ),
    ),
    Case(
        "utf8_bom_then_shift_jis",
        lambda t, e, b: (bf.bom_then_shift_jis(e.valid_rows or [["局"]]), "名簿.csv"),
        _csv_or_refused("UTF-8 として読めない"),
    ),
    Case("formula_with_saved_value", _with_formula(lambda v: v), lambda t: READ),
    Case("formula_never_calculated", _with_formula(lambda v: None), lambda t: "計算結果が保存されていません"),
    Case("formula_error", _with_formula(lambda v: "#REF!"), lambda t: "エラー（#REF!）"),
    Case(
        "merged_data_cells",
        lambda t, e, b: (bf.merged(e.valid_xlsx, t.sheet, t.merge), "m.xlsx"),
        lambda t: "結合",
    ),
    Case(
        "hidden_data_sheet", lambda t, e, b: (bf.hidden(e.valid_xlsx, t.sheet), "h.xlsx"), lambda t: "非表示"
    ),
    Case(
        "hidden_extra_sheet", lambda t, e, b: (bf.with_hidden_extra(e.valid_xlsx), "h.xlsx"), lambda t: READ
    ),
    Case(
        "dimension_says_a1_xfd1048576",
        lambda t, e, b: (bf.dimension_lie(e.valid_xlsx, t.sheet), "d.xlsx"),
        lambda t: READ,
    ),
    Case(
        "formatted_cell_at_xfd1048576",
        lambda t, e, b: (bf.far_formatted_cell(e.valid_xlsx, t.sheet), "d.xlsx"),
        lambda t: READ,
    ),
    Case(
        "value_in_column_300",
        lambda t, e, b: (bf.with_value_far_right(e.valid_xlsx, t.sheet, t.data_row, 300), "w.xlsx"),
        lambda t: "列が多すぎます",
    ),
    Case(
        "million_rows_xlsx", lambda t, e, b: (b[f"million:{t.key}"], "big.xlsx"), lambda t: "行が多すぎます"
    ),
    Case(
        "million_rows_csv",
        lambda t, e, b: (b[f"million_csv:{t.key}"], "big.csv"),
        lambda t: "行が多すぎます" if t.csv else "Excel（.xlsx）として読めません",
    ),
    Case("fifty_mb_xlsx", lambda t, e, b: (b["fifty_xlsx"], "big.xlsx"), lambda t: "大きすぎます"),
    Case(
        "fifty_mb_csv",
        lambda t, e, b: (b["fifty_csv"], "big.csv"),
        lambda t: "大きすぎます",
    ),
    Case(  # the limit lowered to 40,000 values here; the real one has its own test below
        "2000_rows_of_21_values",
        lambda t, e, b: (b[f"wide:{t.key}"], "wide.xlsx"),
        lambda t: "セルが多すぎます",
    ),
    Case("zip_bomb_xlsx", lambda t, e, b: (b["bomb"], "bomb.xlsx"), lambda t: "中身が大きすぎます"),
]


@pytest.fixture(scope="module")
def big() -> dict[str, bytes]:
    """The big files, made once: about 3 s."""
    files: dict[str, bytes] = {
        "fifty_xlsx": bf.fifty_mb_xlsx(),
        "fifty_csv": bf.fifty_mb_csv(ROSTER_COLUMNS),  # one for all: refused from its size
        "bomb": bf.zip_bomb_xlsx(),
    }
    made: dict[tuple[str, ...], bytes] = {}
    for target in TARGETS:
        if target.sheets not in made:
            made[target.sheets] = bf.million_rows_xlsx(target.sheets)
        files[f"million:{target.key}"] = made[target.sheets]
        if ("wide", *target.sheets) not in made:
            made[("wide", *target.sheets)] = bf.wide_rows_xlsx(target.sheets, rows=2000)
        files[f"wide:{target.key}"] = made[("wide", *target.sheets)]
        files[f"million_csv:{target.key}"] = bf.million_rows_csv(target.header)
    return files


def state(store: InMemoryTableStore) -> dict:
    """The whole store without ETags, for comparing with another store: audit entries by position
    (their keys end in a random part), and a file's digest (a duplicate-import marker) left out."""
    out: dict = {}
    for table, rows in store.snapshot().items():
        if table == "Audit":
            out[table] = [props for _key, (props, _etag) in sorted(rows.items())]
        else:
            out[table] = {
                key: props for key, (props, _etag) in rows.items() if not key[1].startswith("import|")
            }
    return out


def plain_import(target: Target, name: str) -> tuple[dict, str]:
    """The store after importing the valid file (as CSV or .xlsx, under the same name) into a fresh
    environment."""
    env = target.make()
    data = bf.csv_bytes(env.valid_rows) if name.endswith(".csv") else env.valid_xlsx
    result = env.run(data, name)
    return state(env.store), repr(result)


#: (import, broken file) -> "refused" or "read", filled by the test for the summary at the end
OUTCOMES: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize("case", CASES, ids=[c.key for c in CASES])
@pytest.mark.parametrize("target", TARGETS, ids=[t.key for t in TARGETS])
def test_a_broken_file_is_refused_with_a_clear_message_or_read_as_its_plain_twin(
    target, case, big, monkeypatch
):
    counter = itertools.count()
    # ids made with secrets.token_hex (operations, audit keys) the same in both stores compared
    monkeypatch.setattr(secrets, "token_hex", lambda n=4: letters(next(counter), 2 * n))
    monkeypatch.setattr(tabular, "MAX_CELLS", 40_000)  # 2,000 rows of 21 values exceed it
    env = target.make()
    data, name = case.build(target, env, big)
    expected = case.expect(target)
    before = env.store.snapshot()
    started = time.perf_counter()
    if expected == READ:
        result = env.run(data, name)
        counter = itertools.count()
        plain_state, plain_result = plain_import(target, name)
        assert state(env.store) == plain_state
        assert repr(result) == plain_result
        assert env.store.snapshot() != before  # the import did write: the plain file changes something
        OUTCOMES[(target.key, case.key)] = "read"
    else:
        with pytest.raises(REFUSALS) as refused:
            env.run(data, name)
        text = message_of(refused.value)
        assert expected in text, text
        assert japanese(text) and len(text) < 2000, text
        assert env.store.snapshot() == before, "a refused file wrote something"
        OUTCOMES[(target.key, case.key)] = "refused"
    assert time.perf_counter() - started < 30  # a guard against a hang, not a timing assertion


def test_the_plain_files_import_and_write(big):
    """The valid files the broken ones are made from are accepted (else every refusal is moot)."""
    for target in TARGETS:
        env = target.make()
        before = env.store.snapshot()
        env.run(env.valid_xlsx, "plain.xlsx")
        assert env.store.snapshot() != before, target.key
        if target.csv:
            env = target.make()
            env.run(bf.csv_bytes(env.valid_rows), "plain.csv")
            assert env.store.snapshot() != before, target.key


def test_the_real_cell_limit_refuses_20000_rows_of_21_values_from_a_stream():
    """400,000 values is the limit (20,000 rows of 20 columns); 420,000 are refused by the scan,
    before openpyxl is asked for a row."""
    data = bf.wide_rows_xlsx(rows=20_000, columns=21)
    started = time.perf_counter()
    with pytest.raises(ImportRejected, match="セルが多すぎます"):
        tabular.read_table(data, "wide.xlsx")
    print(f"\n420,000 values refused in {time.perf_counter() - started:.2f} s")


@pytest.mark.parametrize(
    "command",
    [
        ("services.people.cli", ["import-roster"]),
        ("services.mynumber.cli", ["import"]),
        ("services.online_procedures.cli", ["import"]),
        ("services.cashless.__main__", ["import"]),
        ("services.standardization.cli", ["import"]),
    ],
    ids=lambda c: c[0],
)
def test_the_command_line_imports_refuse_a_50_mb_file_from_its_size(tmp_path, capsys, monkeypatch, command):
    """A sparse 50 MB file: refused from its size, never read into memory."""
    import importlib
    from pathlib import Path

    module, args = command
    path = inputs_dir(tmp_path) / "big.xlsx"  # a test input (and 50 MB the privacy scan need not read)
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    store = InMemoryTableStore()
    seed_store(store, SEED)
    fx.load_fixtures(store)
    before = store.snapshot()
    main = importlib.import_module(module).main
    real_read = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        assert self != path, "the big file was read"
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    code = main([*args, str(path)], store=store)
    err = capsys.readouterr().err
    assert code != 0 and "大きすぎます（5 MB まで）" in err, err
    assert store.snapshot() == before


def test_the_quick_checks_read_headers_as_japanese_excel_stores_them():
    """Japanese Excel keeps the reading of what was typed (furigana, ``<rPh>``) in the shared string,
    and styled text as runs (``<r>``): the dialogs' first-row check (tabular.peek) reads the text
    only, as openpyxl does, so a real file is still recognised."""
    from dialogs.mynumber import looks_like_import

    def furigana(xml: str) -> str:
        assert "<si><t>局</t></si>" in xml and "<si><t>部</t></si>" in xml
        xml = xml.replace("<si><t>局</t></si>", '<si><t>局</t><rPh sb="0" eb="1"><t>キョク</t></rPh></si>')
        return xml.replace("<si><t>部</t></si>", "<si><r><t>部</t></r></si>")

    data = bf.rewrite_member(mynumber_env().valid_xlsx, "xl/sharedStrings.xml", furigana)
    book = tabular.peek(data)
    assert book is not None and book.first_row == IMPORT_COLUMNS
    assert tuple(tabular.read_table(data, "x.xlsx")[0]) == IMPORT_COLUMNS  # openpyxl reads the same
    assert looks_like_import(data)
