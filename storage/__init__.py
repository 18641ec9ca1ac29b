"""Persistent storage: the TableStore port (:mod:`storage.base`) and its two backends."""

from __future__ import annotations

from pathlib import Path

from storage.base import TableStore

SQLITE_FILE_NAME = "ict-bot.sqlite3"


def open_store(*, data_dir: Path, azure_connection_string: str = "") -> TableStore:
    """Azure Table Storage when a connection string is given, else SQLite in ``data_dir``.

    The backends are imported here, not at module level, so the SQLite path never loads the
    Azure SDK. Nothing is contacted yet: Azure tables are created on first use.
    """
    if azure_connection_string.strip():
        from storage.azure import AzureTableStore

        return AzureTableStore(azure_connection_string.strip())

    from storage.sqlite import SqliteTableStore

    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteTableStore(data_dir / SQLITE_FILE_NAME)
