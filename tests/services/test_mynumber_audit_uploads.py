"""The Teams side of an audit kept between turns (services/mynumber/audit/uploads.py) and the header
row read for the mapping card (``run.read_headers``)."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta

import pytest
from openpyxl import Workbook

from services.kernel.settings import TIMEZONE
from services.mynumber.audit.reader import AuditInputError
from services.mynumber.audit.run import read_headers
from services.mynumber.audit.uploads import (
    CONFIRM,
    TABLE,
    AuditSession,
    AuditSessions,
    UploadArea,
    UploadedFile,
    stored_name,
)
from tests.fakes import InMemoryTableStore
from tests.support import people as fx


def test_a_session_is_kept_per_person_with_its_files_and_expires(tmp_path):
    store = InMemoryTableStore()
    clock = fx.Clock(datetime(2023, 9, 20, 10, 0, tzinfo=TIMEZONE))
    sessions = AuditSessions(store, clock, timedelta(minutes=30))
    odd_id = "a/b#c?d"  # keys are escaped (Azure refuses these characters)
    file = UploadedFile("住基.csv", "registry.csv", ("個人番号", "氏名"), 123)
    (tmp_path / "x").mkdir()
    saved = sessions.save(AuditSession(odd_id, "財政局", "op1", CONFIRM, str(tmp_path / "x"), file, None))
    got = sessions.get(odd_id)
    assert got == saved and got.registry == file and got.records is None and not got.complete
    assert not sessions.expired(got)
    assert sessions.get("somebody else") is None
    clock.now += timedelta(minutes=31)
    assert sessions.expired(sessions.get(odd_id))
    sessions.delete(odd_id)
    assert sessions.get(odd_id) is None and store.snapshot().get(TABLE) is None


def test_folders_are_private_and_only_the_areas_own_are_ever_removed(tmp_path):
    area = UploadArea(tmp_path / "uploads")
    folder = area.new_folder()
    assert folder.parent == tmp_path / "uploads" and oct(folder.stat().st_mode & 0o777) == "0o700"
    (folder / "registry.csv").write_text("x")
    outside = tmp_path / "precious"
    outside.mkdir()
    look_alike = tmp_path / "uploads" / "not-ours"
    look_alike.mkdir()
    for path in (outside, look_alike, tmp_path, "", "/"):
        area.remove(path)
    assert outside.is_dir() and look_alike.is_dir()
    area.remove_file(folder, "../../precious")
    assert outside.is_dir()
    area.remove(folder)
    assert not folder.exists()


def test_the_sweep_removes_only_old_folders(tmp_path):
    area = UploadArea(tmp_path)
    old, new = area.new_folder(), area.new_folder()
    past = time.time() - 7200
    os.utime(old, (past, past))
    assert area.sweep(3600) == 1
    assert not old.exists() and new.exists()


@pytest.mark.parametrize(
    ("original", "stored"),
    [
        ("住基.CSV", "registry.csv"),
        ("a.xlsx", "registry.xlsx"),
        ("../../etc/passwd", "registry.csv"),
        ("x.t/x", "registry.csv"),
    ],
)
def test_files_are_stored_under_their_role_and_suffix_only(original, stored):
    assert stored_name("registry", original) == stored


def test_the_header_row_is_read_from_utf8_cp932_tsv_and_excel(tmp_path):
    header = ["宛名番号", "個人番号", "氏名", "生年月日"]
    (tmp_path / "a.csv").write_bytes(("\ufeff" + ",".join(header) + "\nA1,1,山田,2000-01-01\n").encode())
    (tmp_path / "b.csv").write_bytes((",".join(header) + "\nA1,1,髙橋,2000-01-01\n").encode("cp932"))
    (tmp_path / "c.tsv").write_text("\t".join(header) + "\n1\t2\t3\t4\n", encoding="utf-8")
    workbook = Workbook()
    workbook.active.append(header)
    workbook.active.append(["A1", "1", "山田", "2000-01-01"])
    workbook.save(tmp_path / "d.xlsx")
    for name in ("a.csv", "b.csv", "c.tsv", "d.xlsx"):
        assert read_headers(tmp_path / name, tmp_path) == header, name


def test_a_file_without_a_header_row_is_refused_in_japanese(tmp_path):
    (tmp_path / "e.csv").write_bytes(b"\n\n")
    with pytest.raises(AuditInputError, match="見出し行"):
        read_headers(tmp_path / "e.csv", tmp_path)
    (tmp_path / "f.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(AuditInputError, match="Excel"):
        read_headers(tmp_path / "f.xlsx", tmp_path)


def test_the_audit_settings_are_read_and_checked(tmp_path):
    from services.kernel.settings import Settings, SettingsError

    defaults = Settings.from_env({})
    assert defaults.mynumber_audit_max_upload_mb == 120 and defaults.mynumber_audit_work_dir is None
    assert defaults.mynumber_audit_progress_seconds == 2.0 and defaults.mynumber_audit_report_minutes == 60
    given = Settings.from_env(
        {
            "MYNUMBER_AUDIT_MAX_UPLOAD_MB": "200",
            "MYNUMBER_AUDIT_WAIT_MINUTES": "30",
            "MYNUMBER_AUDIT_WORK_DIR": str(tmp_path),
        }
    )
    assert given.mynumber_audit_max_upload_mb == 200 and given.mynumber_audit_wait_minutes == 30
    assert given.mynumber_audit_work_dir == tmp_path
    for name, value in (
        ("MYNUMBER_AUDIT_MAX_UPLOAD_MB", "0"),
        ("MYNUMBER_AUDIT_WORK_DIR", str(tmp_path / "no")),
    ):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({name: value})


def test_a_file_with_huge_headers_stays_within_the_stores_string_limit():
    store = InMemoryTableStore()
    clock = fx.Clock(datetime(2023, 9, 20, 10, 0, tzinfo=TIMEZONE))
    sessions = AuditSessions(store, clock, timedelta(minutes=30))
    headers = ("個人番号", "氏名", *(f"{'長い見出し' * 40}{n}" for n in range(300)))
    sessions.save(
        AuditSession("a", "財政局", "op1", registry=UploadedFile("x.csv", "registry.csv", headers, 1))
    )
    [(props, _)] = store.snapshot()[TABLE].values()
    assert len(props["registry"]) <= 30_000
    kept = sessions.get("a").registry.headers
    assert kept[:2] == ("個人番号", "氏名") and kept == headers[: len(kept)] and len(kept) < len(headers)
