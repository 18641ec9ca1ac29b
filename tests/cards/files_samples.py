"""Cards of files delivered in Teams (``cards/files.py``), for the schema and size checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from cards import files as c
from services.kernel.settings import TIMEZONE

EXPIRES = datetime(2026, 11, 27, 10, 0, tzinfo=TIMEZONE)
LONG_NAME = "会議資料の表（令和5年8月8日）" * 8 + ".xlsx"


def samples() -> Iterator[tuple[str, Callable[[], dict]]]:
    yield (
        "files:offered",
        lambda: c.file_offered_card("オンライン化の表_20261126.xlsx", 23_456, EXPIRES, elsewhere=False),
    )
    yield (
        "files:offered-elsewhere",
        lambda: c.file_offered_card(LONG_NAME, 5 * 1024 * 1024, EXPIRES, elsewhere=True),
    )
    yield "files:personal-chat-needed", lambda: c.personal_chat_needed_card(LONG_NAME)
    yield (
        "files:unavailable",
        lambda: c.file_unavailable_card("名簿_20261126.xlsx", "送信中に問題が発生しました。"),
    )
