"""Connector faults for replies in a turn (issue 18 §4): the local connector answers 429 (with and
without Retry-After), 412, 500, 502, 504 (JSON and plain-text bodies) or nothing at all, and the
bot retries as the scheduler's policy says, never posts a reply twice, loses nothing the person
submitted, and tells them on the next turn when a reply could not be delivered.

The retries' sleeps go to a recorder (no test sleeps); the per-attempt timeout is cut to 1 s so
the "no answer" cases take a second each."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date

import pytest

from app import RUNTIME_KEY, create_app
from bot import replies as reply_module
from bot.settings import Settings
from cards import online_procedures as op_cards
from services.audit.trail import AuditLog
from services.people.identity import system_actor
from tests.support import people as fx
from tests.support.activities import channel_mention, execute_invoke, personal_message
from tests.support.cards import action_data
from tests.support.cards import card_json as text
from tests.support.faulty_connector import NO_ANSWER, NO_ANSWER_BUT_POSTED, Fault, FaultyConnector
from tests.support.flows import MEETING_DAY, invoke, seeded

CHAT = "a:personal-aad-staff-1"
UNDELIVERED = "お届けできませんでした"
UNCERTAIN = "届いていない可能性があります"
NOT_SAVED = "保存されていません"  # the turn-error apology: never for a delivery problem


class FakeTime:
    """The replies' sleep and monotonic clock: sleeping records the delay and moves time on."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
async def faulty():
    connector = await FaultyConnector().start()
    yield connector
    await connector.stop()


@pytest.fixture
def time_():
    return FakeTime()


@pytest.fixture
async def client(serve, tmp_path, store, time_):
    store = seeded(store)
    app = create_app(Settings(data_dir=tmp_path), store=store, clock=fx.Clock(MEETING_DAY))
    replies = app[RUNTIME_KEY].replies
    assert replies is not None
    replies.attempt_timeout = 1.0  # a loaded machine still answers within it
    replies._sleep = time_.sleep  # noqa: SLF001 - the test's clock
    replies._monotonic = time_.monotonic  # noqa: SLF001
    return await serve(app)


async def say(client, connector, words: str = "メニュー", user: str = "aad-staff-1") -> int:
    response = await client.post("/api/messages", json=personal_message(connector.url, words, user_aad=user))
    return response.status


# --- retried: 429, 412, 502, 504 ---------------------------------------------------------------------


RETRIED = [
    Fault(429, retry_after="2"),
    Fault(429),
    Fault(429, retry_after="Wed, 21 Oct 2015 07:28:00 GMT"),  # an HTTP date in the past: at once
    Fault(412),
    Fault(502),
    Fault(502, plain_text=True),
    Fault(504, plain_text=True),
]


@pytest.mark.parametrize("fault", RETRIED, ids=str)
async def test_a_reply_answered_with_a_retryable_status_is_posted_again_once(client, faulty, time_, fault):
    faulty.fail(CHAT, fault)
    assert await say(client, faulty) == 201
    assert faulty.posts(CHAT) == 2  # the failed attempt and one retry
    [card] = faulty.cards(CHAT)
    assert "ICT推進ボット" in text(card)
    assert len(time_.sleeps) == 1
    if fault.retry_after == "2":
        assert time_.sleeps[0] >= 2.0  # never sooner than Retry-After
    else:
        assert 0 < time_.sleeps[0] <= reply_module.BASE_SECONDS  # the first backoff
    assert await say(client, faulty) == 201  # the next turn: no notice, it was delivered
    assert not any(UNDELIVERED in t or UNCERTAIN in t for t in faulty.texts(CHAT))
    assert len(faulty.cards(CHAT)) == 2


async def test_backoff_grows_and_stays_within_the_turns_budget(client, faulty, time_):
    faulty.fail(CHAT, *[Fault(502)] * 20)
    assert await say(client, faulty) == 201
    attempts = faulty.posts(CHAT)
    assert 3 <= attempts <= 6  # PROACTIVE_MAX_ATTEMPTS, cut by the budget
    assert sum(time_.sleeps) <= reply_module.REPLY_BUDGET_SECONDS
    assert all(b > a / 2 for a, b in zip(time_.sleeps, time_.sleeps[1:], strict=False))
    assert faulty.delivered.get(CHAT, []) == []
    faulty.script[CHAT] = []
    assert await say(client, faulty) == 201
    notice, card = faulty.delivered[CHAT]
    assert UNDELIVERED in notice["text"] and "9月20日 10:00" in notice["text"]
    assert "ICT推進ボット" in text(card["attachments"][0]["content"])


async def test_a_retry_after_longer_than_the_turn_can_wait_is_not_waited_for(client, faulty, time_):
    faulty.fail(CHAT, Fault(429, retry_after="60"))
    assert await say(client, faulty) == 201
    assert faulty.posts(CHAT) == 1 and time_.sleeps == []
    assert await say(client, faulty) == 201
    assert UNDELIVERED in faulty.texts(CHAT)[0]


# --- not retried: 500 (and other errors), told on the next turn -------------------------------------


@pytest.mark.parametrize("fault", [Fault(500), Fault(500, plain_text=True), Fault(400)], ids=str)
async def test_a_reply_the_connector_refuses_is_not_retried_and_the_next_turn_says_so(
    client, faulty, time_, fault
):
    faulty.fail(CHAT, fault)
    assert await say(client, faulty) == 201
    assert faulty.posts(CHAT) == 1 and faulty.delivered.get(CHAT, []) == [] and time_.sleeps == []
    assert await say(client, faulty) == 201
    notice, menu = faulty.delivered[CHAT]
    assert UNDELIVERED in notice["text"] and NOT_SAVED not in notice["text"]
    assert "ICT推進ボット" in text(menu["attachments"][0]["content"])
    assert await say(client, faulty) == 201  # shown once, then gone
    assert [t for t in faulty.texts(CHAT) if UNDELIVERED in t] == [notice["text"]]


async def test_a_notice_that_cannot_be_delivered_either_waits_for_the_turn_after(client, faulty):
    faulty.fail(CHAT, Fault(500), Fault(500))  # the reply, then the notice
    assert await say(client, faulty) == 201
    assert await say(client, faulty) == 201  # the notice failed; the menu went
    assert len(faulty.cards(CHAT)) == 1
    assert await say(client, faulty) == 201
    assert UNDELIVERED in faulty.texts(CHAT)[1] and "ほか" not in faulty.texts(CHAT)[1]  # the same one


# --- no answer: never posted twice ------------------------------------------------------------------


@pytest.mark.parametrize("fault", [NO_ANSWER, NO_ANSWER_BUT_POSTED], ids=str)
async def test_a_reply_without_an_answer_is_not_posted_again(client, faulty, time_, fault):
    faulty.fail(CHAT, fault)
    assert await say(client, faulty) == 201
    assert faulty.posts(CHAT) == 1 and time_.sleeps == []  # may have arrived: not posted again
    assert len(faulty.cards(CHAT)) == (1 if fault.arrives else 0)
    assert await say(client, faulty) == 201
    notice = next(t for t in faulty.texts(CHAT) if t)
    assert UNCERTAIN in notice
    assert len(faulty.cards(CHAT)) == (2 if fault.arrives else 1)  # the menu of each delivered turn, once


# --- Action.Submit: the card is replaced in place (PUT, idempotent) ----------------------------------


def submit(url: str, verb: str, data: dict | None = None, *, user: str = "aad-staff-1") -> dict:
    activity = personal_message(url, "", user_aad=user, value={"verb": verb, **(data or {})})
    activity["replyToId"] = "card-1"
    return activity


@pytest.mark.parametrize("fault", [Fault(502), Fault(429, retry_after="1"), NO_ANSWER_BUT_POSTED], ids=str)
async def test_a_card_update_is_retried_even_without_an_answer_and_never_becomes_a_second_post(
    client, faulty, time_, fault
):
    faulty.fail(CHAT, fault)
    response = await client.post("/api/messages", json=submit(faulty.url, "menu.show"))
    assert response.status == 201
    puts = [r for r in faulty.requests if r[0] == "PUT"]
    assert len(puts) == 2 and faulty.posts(CHAT) == 0  # the same card replaced again, not posted
    assert all("ICT推進ボット" in text(a["attachments"][0]["content"]) for a in faulty.updated["card-1"])


async def test_a_card_update_that_never_answers_is_not_posted_beside_it(client, faulty, time_):
    faulty.fail(CHAT, *[NO_ANSWER] * 20)
    assert (await client.post("/api/messages", json=submit(faulty.url, "menu.show"))).status == 201
    assert faulty.posts(CHAT) == 0  # it may have been replaced: no second copy as a new post
    assert sum(time_.sleeps) <= reply_module.REPLY_BUDGET_SECONDS
    faulty.script[CHAT] = []
    await say(client, faulty)
    assert UNCERTAIN in faulty.texts(CHAT)[0]


async def test_a_card_update_the_connector_refuses_becomes_a_new_post(client, faulty):
    faulty.fail(CHAT, Fault(400))  # e.g. a client that cannot update: a new message answers
    assert (await client.post("/api/messages", json=submit(faulty.url, "menu.show"))).status == 201
    [card] = faulty.cards(CHAT)
    assert "ICT推進ボット" in text(card) and faulty.posts(CHAT) == 1


# --- nothing submitted is lost -----------------------------------------------------------------------


def saved_changes(store) -> int:
    """Audit entries of saved changes: not compensations, and not named by one."""
    trail = AuditLog(store, fx.Clock(MEETING_DAY)).between(
        system_actor("確認", "test").person, date(2023, 9, 1), date(2023, 9, 30)
    )
    compensated = {e.compensates for e in trail if e.compensates}
    return sum(1 for e in trail if e.operation != "compensation" and e.entry_id not in compensated)


async def test_a_submission_whose_answer_is_lost_is_saved_and_the_next_turn_says_so(client, faulty, store):
    chat = f"a:personal-{fx.DX_HEALTH}"
    form = await invoke(
        client, faulty, fx.DX_HEALTH, op_cards.UPDATE_VERB, {op_cards.BUREAU_INPUT: "健康福祉局"}
    )
    data = {
        **action_data(form, op_cards.SUBMIT_VERB),
        "done": "30",
        "delayed": "30",
        "advanced": "",
        "reason": "委託先との調整",
    }
    before = saved_changes(store)
    faulty.fail(chat, *[Fault(500)] * 2)  # the in-place update, then the new post it falls back to
    response = await client.post(
        "/api/messages", json=submit(faulty.url, op_cards.SUBMIT_VERB, data, user=fx.DX_HEALTH)
    )
    assert response.status == 201
    assert faulty.delivered.get(chat, []) == [] and not faulty.updated, faulty.requests
    summary = await invoke(client, faulty, fx.DX_HEALTH, op_cards.SUMMARY_VERB)
    assert "健康福祉局 23件" in text(summary), text(summary)  # saved, although its answer never arrived
    assert saved_changes(store) == before + 1
    await say(client, faulty, user=fx.DX_HEALTH)
    assert UNDELIVERED in faulty.texts(chat)[0]
    again = await client.post(  # sent again by a person who saw nothing: the same values
        "/api/messages", json=submit(faulty.url, op_cards.SUBMIT_VERB, data, user=fx.DX_HEALTH)
    )
    assert again.status == 201
    [answer] = faulty.updated["card-1"]  # the card replaced in place, once
    assert NOT_SAVED not in text(answer["attachments"][0]["content"])
    assert saved_changes(store) == before + 1  # a duplicate submission: nothing saved twice
    assert "健康福祉局 23件" in text(await invoke(client, faulty, fx.DX_HEALTH, op_cards.SUMMARY_VERB))


# --- invokes: the answer is the HTTP response ----------------------------------------------------------


async def test_an_action_execute_answers_in_its_response_whatever_the_connector_does(client, faulty):
    faulty.fail(CHAT, *[Fault(500)] * 5)
    response = await client.post("/api/messages", json=execute_invoke(faulty.url, "menu.show"))
    assert response.status == 200 and "ICT推進ボット" in text((await response.json())["value"])
    assert faulty.requests == []  # nothing went through the connector


async def test_a_reply_in_a_channel_that_fails_is_told_in_that_channel_next_time(client, faulty):
    channel = "19:dxpro-channel@thread.tacv2;messageid=1700000000000"
    activity = channel_mention(faulty.url, "メニュー")
    faulty.fail(channel, Fault(502), Fault(502), *[Fault(500)])
    assert (await client.post("/api/messages", json=activity)).status == 201
    assert faulty.delivered.get(channel, []) == []
    assert (await client.post("/api/messages", json=channel_mention(faulty.url, "メニュー"))).status == 201
    assert UNDELIVERED in faulty.texts(channel)[0]


# --- storage trouble --------------------------------------------------------------------------------


async def test_storage_trouble_while_reading_a_notice_does_not_cost_the_turn(
    make_client, settings, store, connector, monkeypatch
):
    from services.proactive.undelivered import UndeliveredReplies

    def broken(self, conversation_id):
        raise TimeoutError("storage did not answer")

    monkeypatch.setattr(UndeliveredReplies, "pending", broken)
    client = await make_client(settings, store)
    response = await client.post("/api/messages", json=personal_message(connector.url, "メニュー"))
    assert response.status == 201 and "ICT推進ボット" in text(connector.cards()[0])


# --- a flaky connector, many turns ------------------------------------------------------------------

FLAKY = [
    (Fault(429, retry_after="1"), 0.08),
    (Fault(429), 0.04),
    (Fault(412), 0.02),
    (Fault(502, plain_text=True), 0.08),
    (Fault(504, plain_text=True), 0.04),
    (Fault(500), 0.04),
    (NO_ANSWER, 0.02),
    (NO_ANSWER_BUT_POSTED, 0.02),
]
USERS, TURNS = 20, 5


async def test_a_hundred_turns_through_a_flaky_connector_lose_nothing_silently_and_post_nothing_twice(
    serve, tmp_path, store, time_, monkeypatch
):
    """20 people × 5 turns, each person's turns one after another and the people at once, with
    about a third of all requests failing (FLAKY). Per conversation: every turn's answer arrived
    once, or its failure was recorded for the next turn; nothing arrived twice. (An answer that
    arrived but whose acknowledgement came too late is recorded as "may not have arrived".)"""
    from services.proactive.undelivered import UndeliveredReplies

    connector = await FaultyConnector(chance=FLAKY, seed=18).start()
    recorded: dict[str, int] = {}  # every reply recorded as undelivered
    certain: dict[str, int] = {}  # of which: surely not delivered (an error answer)
    original = UndeliveredReplies.record

    def spy(self, conversation_id, *, uncertain):
        recorded[conversation_id] = recorded.get(conversation_id, 0) + 1
        if not uncertain:
            certain[conversation_id] = certain.get(conversation_id, 0) + 1
        return original(self, conversation_id, uncertain=uncertain)

    monkeypatch.setattr(UndeliveredReplies, "record", spy)
    app = create_app(Settings(data_dir=tmp_path), store=seeded(store), clock=fx.Clock(MEETING_DAY))
    replies = app[RUNTIME_KEY].replies
    assert replies is not None
    replies.attempt_timeout = 1.0  # the connector shares the event loop with 20 turns at once
    replies._sleep = time_.sleep  # noqa: SLF001
    replies._monotonic = time_.monotonic  # noqa: SLF001
    client = await serve(app)

    async def person(n: int) -> None:
        for _ in range(TURNS):
            assert await say(client, connector, user=f"aad-flaky-{n}") == 201

    try:
        await asyncio.gather(*(person(n) for n in range(USERS)))
    finally:
        await connector.stop()
    injected = sum(1 for r in connector.requests if r[2] != "ok")
    assert injected >= 30  # the faults really happened
    print(  # the figures for docs/reliability.md (pytest -s)
        f"\nflaky connector: {USERS * TURNS} turns, {len(connector.requests)} requests, {injected} faults "
        f"({sorted(Counter(r[2] for r in connector.requests if r[2] != 'ok').items())}), "
        f"{sum(1 for v in connector.delivered.values() for a in v if a.get('attachments'))} answers and "
        f"{sum(1 for v in connector.delivered.values() for a in v if not a.get('attachments'))} notices "
        f"delivered ({len(connector.arrived_unanswered)} of them never answered), "
        f"{sum(recorded.values())} recorded undelivered, {len(time_.sleeps)} retries"
    )
    for n in range(USERS):
        chat = f"a:personal-aad-flaky-{n}"
        answers = [a["replyToId"] for a in connector.delivered.get(chat, []) if a.get("attachments")]
        assert len(answers) == len(set(answers)), "an answer arrived twice"
        # nothing lost silently: each turn's answer arrived, or its failure was recorded
        assert len(answers) + recorded.get(chat, 0) >= TURNS
        # recorded as surely undelivered only when it was not delivered (no answer: "may have")
        assert len(answers) + certain.get(chat, 0) <= TURNS
