"""Backend-specific behaviour that the contract suite cannot express: files, connections,
health checks, and how ``open_store`` picks a backend."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from storage import SQLITE_FILE_NAME, open_store
from storage.base import Entity, InvalidEntity, StorageError
from storage.sqlite import SqliteTableStore
from tests.support.azurite import connection_string, free_port


def test_open_store_without_azure_is_sqlite_in_the_data_dir(tmp_path):
    data_dir = tmp_path / "nested" / "data"
    store = open_store(data_dir=data_dir)
    try:
        assert isinstance(store, SqliteTableStore)
        assert store.path == data_dir / SQLITE_FILE_NAME
        assert store.ping()
    finally:
        store.close()


def test_open_store_with_a_connection_string_is_azure_and_does_no_io(tmp_path):
    from storage.azure import AzureTableStore

    store = open_store(data_dir=tmp_path / "unused", azure_connection_string=connection_string(free_port()))
    try:
        assert isinstance(store, AzureTableStore)
        assert not (tmp_path / "unused").exists()
    finally:
        store.close()


def test_sqlite_data_survives_a_restart_and_uses_wal(tmp_path):
    path = tmp_path / "s.sqlite3"
    first = SqliteTableStore(path)
    written = first.upsert("Things", Entity("p", "r", {"v": "堺"}))
    first.close()
    first.close()  # safe twice
    second = SqliteTableStore(path)
    try:
        assert second.get("things", "p", "r") == written
    finally:
        second.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_two_sqlite_stores_on_one_file_see_each_others_writes(tmp_path):
    a, b = SqliteTableStore(tmp_path / "s.sqlite3"), SqliteTableStore(tmp_path / "s.sqlite3")
    try:
        first = a.upsert("Things", Entity("p", "r", {"v": 1}))
        b.upsert("Things", Entity("p", "r", {"v": 2}), etag=first.etag)
        assert a.get("Things", "p", "r")["v"] == 2
    finally:
        a.close()
        b.close()


def test_a_sqlite_store_is_usable_from_other_threads(tmp_path):
    store = SqliteTableStore(tmp_path / "s.sqlite3")
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                store.upsert("Things", Entity(f"p{n}", f"{i:02}", {"i": i}))
            assert len(list(store.query("Things", f"p{n}"))) == 20
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store.close()
    assert errors == []


def test_a_closed_sqlite_store_answers_ping_false_and_refuses_work(tmp_path):
    store = SqliteTableStore(tmp_path / "s.sqlite3")
    store.close()
    assert store.ping() is False
    with pytest.raises(StorageError):
        store.get("Things", "p", "r")


def test_azure_ping_is_false_and_quick_when_nothing_listens():
    from storage.azure import AzureTableStore

    store = AzureTableStore(connection_string(free_port()))
    try:
        assert store.ping() is False
        with pytest.raises(StorageError):
            store.get("Things", "p", "r")
    finally:
        store.close()


@pytest.mark.azurite
def test_azurite_refuses_large_japanese_entities_earlier_than_azure(azurite_connection_string):
    """Azurite quirk (documented in storage.azure): 18 x 10,000 kanji pass our 1 MiB check
    (about 350 KiB in UTF-16) but make a 1 MiB+ body of \\u escapes. It surfaces as InvalidEntity."""
    from storage.azure import AzureTableStore

    store = AzureTableStore(azurite_connection_string)
    try:
        with pytest.raises(InvalidEntity):
            store.upsert("AzuriteQuirks", Entity("p", "r", {f"c{i}": "堺" * 10_000 for i in range(18)}))
        store.upsert("AzuriteQuirks", Entity("p", "r", {f"c{i}": "堺" * 10_000 for i in range(16)}))
    finally:
        store.close()


# --- the Azurite fixture's own rules (tests/support/azurite.py) -------------------------------


def test_missing_azurite_skips_locally_and_fails_in_ci(monkeypatch, tmp_path):
    from tests.support import azurite

    monkeypatch.setattr(azurite, "AZURITE_TABLE", tmp_path / "no-azurite-here")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Azurite is not installed"), azurite.running_azurite():
        pass
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"), azurite.running_azurite():
        pass


def test_the_sdk_api_version_is_one_azurite_knows():
    from tests.support.azurite import sdk_api_version_is_known

    assert sdk_api_version_is_known()  # so Azurite runs without --skipApiVersionCheck
