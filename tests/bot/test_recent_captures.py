"""bot.references.RecentCaptures: a conversation's reference is built and compared once, not on
every turn, and every change (service URL, account, install, uninstall, time) is stored again."""

from __future__ import annotations

from botbuilder.schema import Activity

from bot.references import RecentCaptures, capture, forget
from tests.support.activities import installation_add, personal_message


class CountingDirectory:
    def __init__(self):
        self.remembered: list[dict] = []
        self.deactivated: list[str] = []

    def remember(self, reference, **columns):
        self.remembered.append({"reference": reference, **columns})

    def deactivate(self, conversation_id):
        self.deactivated.append(conversation_id)
        return True


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _activity(data: dict) -> Activity:
    return Activity().deserialize(data)


async def test_the_same_conversation_is_stored_once_until_something_changes():
    directory, clock = CountingDirectory(), Clock()
    recent = RecentCaptures(ttl=60, clock=clock)
    message = personal_message("http://127.0.0.1:1/", "メニュー")
    for _ in range(3):
        await capture(directory, _activity(message), recent)  # type: ignore[arg-type]
    assert len(directory.remembered) == 1
    await capture(directory, _activity({**message, "serviceUrl": "http://127.0.0.1:2/"}), recent)  # type: ignore[arg-type]
    assert len(directory.remembered) == 2
    assert directory.remembered[-1]["reference"]["serviceUrl"] == "http://127.0.0.1:2/"
    renamed = {**message, "serviceUrl": "http://127.0.0.1:2/", "from": {**message["from"], "name": "堺 花子"}}
    await capture(directory, _activity(renamed), recent)  # type: ignore[arg-type]
    assert len(directory.remembered) == 3
    clock.now = 61  # past the time a stored reference is trusted: stored (compared) again
    await capture(directory, _activity(renamed), recent)  # type: ignore[arg-type]
    assert len(directory.remembered) == 4


async def test_install_always_stores_and_uninstall_forgets_what_was_seen():
    directory = CountingDirectory()
    recent = RecentCaptures()
    message = _activity(personal_message("http://127.0.0.1:1/", "メニュー"))
    await capture(directory, message, recent)  # type: ignore[arg-type]
    await capture(directory, _activity(installation_add("http://127.0.0.1:1/")), recent)  # type: ignore[arg-type]
    await capture(directory, _activity(installation_add("http://127.0.0.1:1/")), recent)  # type: ignore[arg-type]
    assert len(directory.remembered) == 3
    await forget(directory, message, recent)  # type: ignore[arg-type]
    await capture(directory, message, recent)  # type: ignore[arg-type]
    assert directory.deactivated == ["a:personal-aad-staff-1"] and len(directory.remembered) == 4


async def test_without_a_memo_every_turn_is_stored_as_before():
    directory = CountingDirectory()
    message = _activity(personal_message("http://127.0.0.1:1/", "メニュー"))
    await capture(directory, message)  # type: ignore[arg-type]
    await capture(directory, message)  # type: ignore[arg-type]
    assert len(directory.remembered) == 2
