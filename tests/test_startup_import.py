"""ROSTER_FILE / ORGANISATION_FILE: imported (idempotently) by ``app.main`` after seeding."""

from __future__ import annotations

import app
from bot.settings import Settings
from services.people.identity import Role
from services.people.service import PeopleService
from tests.fakes import InMemoryTableStore
from tests.support import people as fx


def test_start_up_files_are_imported_once(tmp_path):
    store = InMemoryTableStore()
    settings = Settings(data_dir=tmp_path, organisation_file=fx.ORGANISATION_CSV, roster_file=fx.ROSTER_CSV)
    first = app.import_startup_files(settings, store, fx.Clock())
    assert "追加 6件" in first[0] and "新規 6人" in first[1]
    snapshot = store.snapshot()
    second = app.import_startup_files(settings, store, fx.Clock())
    assert "変更はありません" in second[0] and "変更はありません" in second[1]
    assert store.snapshot() == snapshot
    assert PeopleService(store, fx.Clock()).resolve(fx.ADMIN).has(Role.ADMIN)


def test_a_bad_start_up_roster_stops_the_bot(tmp_path, monkeypatch, capsys):
    bad = tmp_path / "roster.csv"
    bad.write_text(
        "オブジェクトID,氏名,局,部,課・室,ロール,ロール対象\nxyz,名前,財政局,,,職員,\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ROSTER_FILE", str(bad))
    monkeypatch.delenv("AZURE_TABLES_CONNECTION_STRING", raising=False)
    assert app.main([]) == 2
    assert "2行目 「オブジェクトID」" in capsys.readouterr().err
