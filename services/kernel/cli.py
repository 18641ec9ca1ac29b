"""What the command-line interfaces share: an argument parser that speaks Japanese (usage, help,
errors), one-line errors with an exit code instead of tracebacks, and opening the store for a command.

Exit codes of every CLI: 0 done, 1 refused or failed (nothing changed), 2 wrong usage, an invalid
setting, a missing input file, or no store to read yet.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from services.kernel.settings import Settings
    from storage.base import TableStore

#: argparse's own English sentences (Python 3.11), and their Japanese.
_MESSAGES: tuple[tuple[str, str], ...] = (
    (r"the following arguments are required: (.*)", r"次の引数が必要です: \1"),
    (r"unrecognized arguments: (.*)", r"知らない引数です: \1"),
    (
        r"argument (.*?): invalid choice: (.*) \(choose from (.*)\)",
        r"\1 に \2 は指定できません（選べるもの: \3）",
    ),
    (r"argument (.*?): invalid (\S+) value: (.*)", r"\1 の値 \3 が正しくありません"),
    (r"argument (.*?): expected one argument", r"\1 には値が1つ必要です"),
    (r"argument (.*?): (.*)", r"\1: \2"),
    (r"ambiguous option: (.*) could match (.*)", r"オプション \1 があいまいです（候補: \2）"),
)
_HEADINGS: tuple[tuple[str, str], ...] = (
    ("usage: ", "使い方: "),
    ("positional arguments:", "引数:"),
    ("options:", "オプション:"),
)


def translate(message: str) -> str:
    for pattern, replacement in _MESSAGES:
        if re.fullmatch(pattern, message):
            return re.sub(pattern, replacement, message)
    return message


class CliError(Exception):
    """A command could not run; ``str(error)`` is one Japanese line, ``code`` the exit status."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


class ArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` with its own words in Japanese (sub-commands get the same class)."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self.add_argument("-h", "--help", action="help", help="この説明を表示して終了します")

    def _japanese(self, text: str) -> str:
        for english, japanese in _HEADINGS:
            text = text.replace(english, japanese)
        return text

    def format_usage(self) -> str:
        return self._japanese(super().format_usage())

    def format_help(self) -> str:
        return self._japanese(super().format_help())

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: エラー: {translate(message)}\n")


def read_input(path: Path, max_bytes: int | None = None) -> bytes:
    """The bytes of a file named on the command line, or :class:`CliError` saying what is wrong.
    ``max_bytes`` (default: the import limit of :mod:`services.kernel.tabular`): a larger file is
    refused from its size, before it is read."""
    from services.kernel.tabular import MAX_FILE_BYTES

    limit = MAX_FILE_BYTES if max_bytes is None else max_bytes
    if not path.exists():
        raise CliError(f"ファイルが見つかりません: {path}")
    if not path.is_file():
        raise CliError(f"ファイルではありません: {path}")
    try:
        if path.stat().st_size > limit:
            raise CliError(f"ファイルが大きすぎます（{limit // 1024 // 1024} MB まで）: {path}")
        return path.read_bytes()
    except OSError as error:
        raise CliError(f"ファイルを読めません: {path}（{error.strerror or error}）") from None


def report(error: CliError) -> int:
    print(f"エラー: {error}", file=sys.stderr)
    return error.code


NOT_SEEDED = (
    "データがまだありません。先に make run（または python app.py --seed）で初期データを入れてください"
)


def open_for_cli(
    store: TableStore | None = None, *, create: bool = False
) -> tuple[Settings, TableStore] | None:
    """(settings, store) for a command: the given store, or the app's own (the same settings as the
    app). Prints one Japanese line and returns None when a setting is invalid or there is no store
    yet (reading never leaves an empty database behind)."""
    from services.kernel.settings import settings_or_report
    from storage import StoreMissing, open_store

    settings = settings_or_report()
    if settings is None:
        return None
    if store is None:
        try:
            store = open_store(
                data_dir=settings.data_dir,
                azure_connection_string=settings.azure_tables_connection_string,
                create=create,
            )
        except StoreMissing as missing:
            report(CliError(f"{NOT_SEEDED}（{missing.path} がありません）。"))
            return None
    return settings, store
