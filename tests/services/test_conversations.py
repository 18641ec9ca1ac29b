from datetime import UTC, datetime, timedelta

from services.proactive.conversations import TABLE, ConversationDirectory, row_key
from tests.fakes import InMemoryTableStore


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

    def __call__(self):
        return self.now


def reference(conversation_id: str, service_url: str = "https://smba.trafficmanager.net/jp/") -> dict:
    return {
        "conversation": {"id": conversation_id, "tenant_id": "t"},
        "service_url": service_url,
        "bot": {"id": "28:bot"},
        "channel_id": "msteams",
    }


def test_remember_then_find_personal_and_channel():
    store, clock = InMemoryTableStore(), Clock()
    directory = ConversationDirectory(store, clock)
    directory.remember(reference("a:1"), conversation_type="personal", user_aad_object_id="u1")
    directory.remember(
        reference("19:c@thread.tacv2;messageid=1"),
        conversation_type="channel",
        team_id="19:t",
        channel_name="DX PRO",
    )
    assert directory.personal_for("u1").conversation_id == "a:1"
    assert {r.conversation_type for r in directory.all()} == {"personal", "channel"}


def test_ids_with_forbidden_key_characters_round_trip():
    directory = ConversationDirectory(InMemoryTableStore(), Clock())
    odd = "a:1/2\\3#4?5%6"
    directory.remember(reference(odd), conversation_type="personal")
    assert directory.get(odd).conversation_id == odd
    assert "/" not in row_key(odd) and row_key(odd) != row_key("a:1%2F2")


def test_unchanged_reference_is_not_rewritten_but_a_changed_one_is():
    store, clock = InMemoryTableStore(), Clock()
    directory = ConversationDirectory(store, clock)
    directory.remember(reference("a:1"), conversation_type="personal", user_aad_object_id="u1")
    first = store.get(TABLE, "ref", row_key("a:1"))
    clock.now += timedelta(minutes=5)
    directory.remember(reference("a:1"), conversation_type="personal", user_aad_object_id="u1")
    assert store.get(TABLE, "ref", row_key("a:1")).etag == first.etag
    directory.remember(
        reference("a:1", "https://other/"), conversation_type="personal", user_aad_object_id="u1"
    )
    assert directory.get("a:1").service_url == "https://other/"


def test_deactivate_and_reactivate_on_the_next_message():
    directory = ConversationDirectory(InMemoryTableStore(), Clock())
    directory.remember(reference("a:1"), conversation_type="personal", user_aad_object_id="u1")
    assert directory.deactivate("a:1") is True
    assert directory.personal_for("u1") is None
    assert directory.deactivate("a:1") is False
    directory.remember(reference("a:1"), conversation_type="personal", user_aad_object_id="u1")
    assert directory.get("a:1").active is True
