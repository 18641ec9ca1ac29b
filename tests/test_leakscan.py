"""The privacy and secret scan (tests/support/leakscan.py) finds what it must and nothing else."""

from __future__ import annotations

import io
import sqlite3
import zipfile
from pathlib import Path

import pytest

from services.kernel.privacy import check_digit
from tests.support.leakscan import INPUTS, Scan, find_my_numbers, inputs_dir, known_secrets

VALID = "123456789018"  # DESIGN §8's example: 12345678901 -> check digit 8
WRONG = "123456789011"  # the same base with a wrong check digit
FULL = str.maketrans("0123456789", "０１２３４５６７８９")
JWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def _grouped(digits: str, sizes: tuple[int, ...], seps: tuple[str, ...]) -> str:
    out, at = [], 0
    for n, size in enumerate(sizes):
        out.append(digits[at : at + size])
        at += size
        if n < len(seps):
            out.append(seps[n])
    return "".join(out)


FORMS = [
    VALID,
    VALID.translate(FULL),  # full-width
    _grouped(VALID, (4, 4, 4), (" ", " ")),
    _grouped(VALID, (4, 4, 4), ("-", "-")),
    _grouped(VALID, (4, 4, 4), (".", ".")),
    _grouped(VALID, (4, 4, 4), ("\u3000", "\u3000")),  # ideographic spaces
    _grouped(VALID.translate(FULL), (4, 4, 4), ("－", "－")),  # full-width digits and hyphen
    _grouped(VALID, (3, 3, 3, 3), ("-", ".", " ")),  # mixed separators
    _grouped(VALID, (1,) * 12, ("-",) * 11),  # a separator between every digit
    _grouped(VALID, (4, 4, 4), (" - ", " - ")),  # a few characters per gap
    _grouped(VALID, (4, 4, 4), ("‐", "―")),  # unicode dashes
    _grouped(VALID, (6, 6), ("・",)),  # a middle dot
    _grouped(VALID.translate(FULL), (4, 8), ("．",)),  # a full-width dot
]


@pytest.mark.parametrize("form", FORMS)
def test_a_planted_my_number_is_found_in_every_width_and_separator_form(form):
    assert find_my_numbers(f"記録: 番号は{form}です") == [form]
    assert find_my_numbers(form.translate(str.maketrans("", "", ""))) == [form]


@pytest.mark.parametrize("form", [WRONG, _grouped(WRONG, (4, 4, 4), ("-", "-")), WRONG.translate(FULL)])
def test_twelve_digits_with_a_wrong_check_digit_are_ignored(form):
    assert find_my_numbers(f"番号 {form} です") == []


def test_every_valid_number_counts_not_just_one_example():
    found = 0
    for base in range(10_000_000_000, 10_000_000_000 + 200):
        digits = str(base) + "0"
        number = digits[:11] + str(check_digit(digits[:11]))
        wrong = digits[:11] + str((check_digit(digits[:11]) + 1) % 10)
        found += len(find_my_numbers(f"x{number}x")) - len(find_my_numbers(f"x{wrong}x"))
    assert found == 200


def test_parts_of_longer_numbers_guids_and_timestamps_are_not_my_numbers():
    assert find_my_numbers(VALID + "3") == []  # 13 digits
    assert find_my_numbers("9" + VALID) == []
    assert find_my_numbers("1" + VALID.translate(FULL)) == []
    assert find_my_numbers(f"00000000-0000-0000-0000-{VALID}") == []  # a GUID's last group
    assert find_my_numbers("2026-12-01 18:03:21,123 INFO x") == []
    assert find_my_numbers("20261126010203123456-0000-ab12cd34") == []  # an audit row key
    assert find_my_numbers("20261201090102123456-0003-79025129") == []  # one with an all-digit tail
    assert find_my_numbers("20230423-1000-0f3a9b2c4d5e") == []  # a class key: date, time, digest
    assert find_my_numbers(f'W/"36fcd{VALID}a003165f485fe4c"') == []  # an ETag (uuid hex)
    assert find_my_numbers(f"番号{VALID}です、ab{VALID}") == [VALID, VALID]  # glued to words: counted


def test_a_number_next_to_another_number_is_still_found():
    assert find_my_numbers(f"{VALID} 42") == [VALID]
    assert find_my_numbers(f"7 {_grouped(VALID, (4, 4, 4), (' ', ' '))}") == [
        _grouped(VALID, (4, 4, 4), (" ", " "))
    ]


def test_tokens_connection_strings_and_known_secrets_are_found():
    scan = Scan(secrets=("stand-in-secret",))
    text = (
        f"Authorization: Bearer {JWT}\n"
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50u==;\n"
        "client secret stand-in-secret used"
    )
    kinds = sorted({f.kind for f in scan.text("here", text)})
    assert kinds == ["JWT", "bearer token", "connection string", "known secret"]
    assert Scan(secrets=("stand-in-secret",)).text("x", "stand-in-secrets, a stand-in") == []


def test_the_secrets_the_tests_configure_are_harvested():
    secrets = known_secrets(Path(__file__).resolve().parent.parent)
    assert "stand-in-secret" in secrets and "secret" in secrets
    assert all(len(s) >= 6 for s in secrets)


def _xlsx_with(text: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = text
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_files_sqlite_xlsx_zip_and_utf16_are_read_and_test_inputs_are_skipped(tmp_path):
    # planted under the inputs folder, so that the session's own scan does not count them
    root = inputs_dir(tmp_path) / "session"
    (root / "logs").mkdir(parents=True)
    (root / "logs" / "app.log").write_text(f"INFO: {FORMS[3]}\n", encoding="utf-8")
    (root / "report.xlsx").write_bytes(_xlsx_with(f"番号 {FORMS[1]}"))
    (root / "export.csv").write_bytes(f"id,token\n1,{JWT}\n".encode("utf-16"))
    db = sqlite3.connect(root / "store.sqlite3")
    db.execute("create table t (v text)")
    db.execute("insert into t values (?)", (f"n={FORMS[7]}",))
    db.commit()
    db.close()
    with zipfile.ZipFile(root / "bundle.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inner/report.xlsx", _xlsx_with(FORMS[0]))
    inputs = inputs_dir(root / "case")
    (inputs / "registry.csv").write_text(f"番号\n{VALID}\n", encoding="utf-8")
    (root / "clean.txt").write_text(f"wrong {WRONG}\n", encoding="utf-8")

    scan = Scan()
    scan.tree(root)
    where = sorted({(f.where.split(" (")[0].split("!xl/")[0], f.kind, f.value) for f in scan.findings})
    assert where == [
        ("bundle.zip!inner/report.xlsx", "My Number", FORMS[0]),
        ("export.csv", "JWT", JWT),
        ("logs/app.log", "My Number", FORMS[3]),
        ("report.xlsx", "My Number", FORMS[1]),
        ("store.sqlite3:t", "My Number", FORMS[7]),
    ]
    assert scan.skipped_inputs == 1 and scan.files == 6 and INPUTS in str(inputs)


def test_entities_are_read_property_by_property():
    scan = Scan()
    scan.entity("t/p/r", {"name": "x", "note": f"番号{FORMS[5]}", "n": 3})
    scan.entity("t/p/r2", {"note": f"masked ********{VALID[-4:]}"})
    assert [f.value for f in scan.findings] == [FORMS[5]] and scan.entities == 2


def test_a_session_that_leaks_fails_and_says_where(tmp_path):
    """A whole pytest session with this conftest: a planted My Number in a file it wrote and a JWT in
    a log record fail the run; the same test input under the inputs folder does not."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    work = inputs_dir(tmp_path)  # the inner session's files are not the outer session's output
    plant = work / "test_plant.py"
    plant.write_text(
        "import logging\n"
        "from tests.support.leakscan import inputs_dir\n"
        "def test_writes(tmp_path):\n"
        f"    (tmp_path / 'export.csv').write_text('id,number\\n1,{FORMS[2]}\\n', encoding='utf-8')\n"
        f"    (inputs_dir(tmp_path) / 'input.csv').write_text('{VALID}', encoding='utf-8')\n"
        f"    logging.getLogger('services.somewhere').warning('token %s', '{JWT}')\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.conftest",
            "-c",
            str(root / "pyproject.toml"),
            "--rootdir",
            str(root),
            str(plant),
            "--basetemp",
            str(work / "basetemp"),
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout[-3000:]
    assert "1 passed" in done.stdout and "FAILED: 2 findings" in done.stdout
    assert "export.csv: My Number" in done.stdout and "log: JWT" in done.stdout
    assert "1 test inputs under" in done.stdout
