"""Persistent storage: the TableStore port (:mod:`storage.base`) and its two backends."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from storage.base import TableStore

SQLITE_FILE_NAME = "ict-bot.sqlite3"


@dataclass(frozen=True)
class StoreTimeouts:
    """How long one storage call may take: Azure's connection and read timeouts per request and the
    retries after a failed one; SQLite's wait for a lock another process holds."""

    connect_seconds: float
    read_seconds: float
    retries: int
    busy_seconds: float


class StoreMissing(Exception):
    """``open_store(create=False)`` found no embedded store to open; ``path`` is where it would be."""

    def __init__(self, path: Path):
        super().__init__(str(path))
        self.path = path


def open_store(
    *,
    data_dir: Path,
    azure_connection_string: str = "",
    create: bool = True,
    timeouts: StoreTimeouts | None = None,
) -> TableStore:
    """Azure Table Storage when a connection string is given, else SQLite in ``data_dir``.

    ``timeouts`` bound every call (the bot passes its settings; the backends' defaults otherwise).

    The backends are imported here, not at module level, so the SQLite path never loads the
    Azure SDK. Nothing is contacted yet: Azure tables are created on first use. With
    ``create=False`` (commands that only read) a missing SQLite file raises :class:`StoreMissing`
    instead of leaving an empty database behind.
    """
    if azure_connection_string.strip():
        from storage.azure import AzureTableStore

        if timeouts is None:
            return AzureTableStore(azure_connection_string.strip())
        return AzureTableStore(
            azure_connection_string.strip(),
            connect_timeout=timeouts.connect_seconds,
            read_timeout=timeouts.read_seconds,
            retries=timeouts.retries,
        )

    from storage.sqlite import SqliteTableStore

    data_dir = Path(data_dir)
    if not create and not (data_dir / SQLITE_FILE_NAME).is_file():
        raise StoreMissing(data_dir / SQLITE_FILE_NAME)
    data_dir.mkdir(parents=True, exist_ok=True)
    if timeouts is None:
        return SqliteTableStore(data_dir / SQLITE_FILE_NAME)
    return SqliteTableStore(data_dir / SQLITE_FILE_NAME, busy_timeout=timeouts.busy_seconds)
