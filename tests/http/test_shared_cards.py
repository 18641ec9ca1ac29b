"""Several people on ONE card in a channel, for every write verb (issue 9).

In a channel every member sees the same card, with the same submission id and the same ETag. For
each write verb, two members send from that one card: the same values or different ones, one after
the other or at once (both read before either writes: ``tests.support.racing``). Whatever happens,
each person's answer is either "saved" or the conflict card with the latest state and THEIR values
kept. Nobody is ever told "already saved" for something that was not theirs; exactly one of them is
saved (one card shows one state), and what is stored is what that one saved.

A programme adds its write verbs with one :class:`SharedVerb` entry in ``VERBS``. Not here, because
no two people share what they write: ``register.submit`` (each person's own registration request)
and ``proactive.run`` (a job run, idempotent by its natural keys); nor the ``literacy.*`` verbs,
whose cards (someone's levels, a department's people) are shown in 1:1 chats only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, cast

import pytest

from app import RUNTIME_KEY, create_app
from cards import digital_divide as dd_cards
from cards import online_procedures as op_cards
from cards import people as people_cards
from cards import proactive as proactive_cards
from services.audit.trail import AuditLog
from services.digital_divide.records import class_key
from services.digital_divide.service import DigitalDivideService
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.online_procedures.service import OnlineProceduresService
from services.people.identity import OrgUnit, Role, RoleGrant, system_actor
from services.people.service import PeopleService
from services.proactive.alerts import StaticAlerts
from services.proactive.channels import ChannelMap, ChannelRole
from services.proactive.snoozes import SnoozeBook
from storage.base import TableStore
from tests.support import people as fx
from tests.support.activities import channel_mention
from tests.support.cards import action_data, inputs_by_id
from tests.support.cards import card_json as text_of
from tests.support.proactive import delay_alert
from tests.support.racing import RacingStore

SETUP = system_actor("テスト準備", "test-setup")
SECOND_DX_HEALTH = "00000000-0000-4000-8000-000000000022"
SECOND_ADMIN = "00000000-0000-4000-8000-0000000000a2"
CHANNEL = "19:dxpro-channel@thread.tacv2"
HEALTH = "健康福祉局"
NOW = datetime(2023, 9, 20, 10, 0, tzinfo=TIMEZONE)


@dataclass(frozen=True)
class SharedVerb:
    """One write verb on a card a channel shares.

    - ``members``: two people allowed to write with it;
    - ``prepare(store)``: data the case needs beyond the seed and the test roster;
    - ``open``: the verb and data that put the card in the channel (its answer is the shared card),
      or ``post(client, connector, app)``: how the card comes to the channel otherwise (a job);
    - ``submit``: the write verb, sent with the card's action data plus one of ``values`` (two
      different, valid sets of inputs);
    - ``saved`` / ``conflict`` / ``duplicate``: what an answer card says;
    - ``stored(store)``: the values as stored now (comparable with ``values``);
    - ``table``: the table the write's batch goes to (for "at once").
    """

    name: str
    members: tuple[str, str]
    table: str
    open: tuple[str, dict[str, Any]] | None
    submit: str
    values: tuple[dict[str, str], dict[str, str]]
    saved: Callable[[dict], bool]
    conflict: Callable[[dict], bool]
    duplicate: Callable[[dict], bool]
    stored: Callable[[TableStore], dict[str, str]]
    prepare: Callable[[TableStore], None] = lambda store: None
    post: Callable[[Any, Any, Any], Awaitable[dict]] | None = None
    kept: Callable[[dict, dict[str, str]], bool] = field(
        default=lambda card, values: all(inputs_by_id(card)[k].get("value") == v for k, v in values.items())
    )


# --- the verbs ------------------------------------------------------------------------------------------


def _second_dx_pro(store: TableStore) -> None:
    PeopleService(store, fx.Clock()).grant(
        SETUP,
        SECOND_DX_HEALTH,
        RoleGrant(Role.DX_PRO, OrgUnit(HEALTH, "健康部")),
        etag=None,
        create_name="健康 二郎",
    )


def _health_report(store: TableStore) -> dict[str, str]:
    service = OnlineProceduresService(store, fx.Clock())
    report = service.bureau_summary(SETUP.person, HEALTH, datetime(2023, 9, 20).date()).current.report
    if report is None:
        return {}
    return {"done": str(report.done), "delayed": str(report.delayed), "reason": report.reason}


def _second_admin(store: TableStore) -> None:
    PeopleService(store, fx.Clock()).grant(
        SETUP, SECOND_ADMIN, RoleGrant(Role.ADMIN), etag=None, create_name="情報 次郎"
    )


def _last_revoke_reason(store: TableStore) -> dict[str, str]:
    entries = AuditLog(store, fx.Clock(NOW)).recent(SETUP.person, "person", fx.DX_HEALTH)
    revokes = [e for e in entries if e.operation == "revoke"]
    return {"reason": revokes[0].reason} if revokes else {}


def _a_request_and_a_second_admin(store: TableStore) -> None:
    _second_admin(store)
    people = PeopleService(store, fx.Clock())
    people.request_registration(fx.actor_of(people, fx.UNREGISTERED), "建設局/土木部", "よろしくお願いします")


def _approved_roles(store: TableStore) -> dict[str, str]:
    person = PeopleService(store, fx.Clock()).resolve(fx.UNREGISTERED)
    granted = [g for g in person.grants if g.role is not Role.STAFF]
    if not person.registered or not granted:
        return {}
    return {
        "unit": person.unit.path if person.unit else "",
        "role": granted[-1].role.value,
        "scope": granted[-1].scope.path if granted[-1].scope else "",
    }


def _staff_roles(store: TableStore) -> dict[str, str]:
    person = PeopleService(store, fx.Clock()).resolve(fx.STAFF)
    granted = [g for g in person.grants if g.role is not Role.STAFF]
    if not granted:
        return {}
    return {"role": granted[-1].role.value, "scope": granted[-1].scope.path if granted[-1].scope else ""}


def _class_on_the_first(store: TableStore) -> None:
    """A class held on 2023-09-01 whose attendance is not recorded yet (and a second admin)."""
    _second_admin(store)
    DigitalDivideService(store, fx.Clock()).record_class(
        SETUP, {**DD_CLASS, "day": "2023-09-01", "attendance": ""}
    )


def _stored_class(store: TableStore) -> dict[str, str]:
    day, start = date.fromisoformat(DD_CLASS["day"]), time.fromisoformat(DD_CLASS["start"])
    entity = store.get("DigitalDivide", "classes", class_key(day, start, DD_CLASS["ward"], DD_CLASS["venue"]))
    if entity is None:
        return {}
    return {k: str(entity.get(k, "")) for k in DD_CLASS}


def _stored_attendance(store: TableStore) -> dict[str, str]:
    entity = store.get("DigitalDivide", "classes", DD_FIRST)
    return (
        {}
        if entity is None or entity.get("attendance") is None
        else {DD_ATTENDANCE: str(entity["attendance"])}
    )


def _stored_outreach(store: TableStore) -> dict[str, str]:
    item = DigitalDivideService(store, fx.Clock()).outreach(2023).items[0]  # ポスター（市有施設）
    return {"planned|poster_city": str(item.planned), "actual|poster_city": str(item.actual)}


def _inputs_kept(card: dict, values: dict[str, str]) -> bool:
    return all(str(inputs_by_id(card)[k].get("value", "")) == v for k, v in values.items())


DD_CLASS = {
    "day": "2023-09-12",
    "start": "10:00",
    "end": "12:00",
    "ward": "北区",
    "venue": "北区役所",
    "partner": "大学",
    "capacity": "12",
    "attendance": "10",
}
DD_FIRST = class_key(date(2023, 9, 1), time(10), "北区", "北区役所")
DD_ATTENDANCE = f"attendance|{DD_FIRST}"
ALERT = delay_alert(HEALTH, department="健康部")


async def _alert_in_the_channel(client, connector, app) -> dict:
    """An admin registers the DX PRO channel and runs the delay alerts: the alert card is posted."""
    from tests.http.test_proactive_flows import register_channel

    await register_channel(client, connector)
    app[RUNTIME_KEY].proactive.planner.alert_sources = [StaticAlerts("online_procedures", [ALERT])]
    before = len(connector.activities)
    response = await client.post(
        "/api/messages",
        json={
            **channel_invoke(connector.url, fx.ADMIN, proactive_cards.RUN_JOB_VERB, {"job": "delay_alerts"})
        },
    )
    assert response.status == 200
    [posted] = [a for a in connector.activities[before:] if a.get("attachments")]
    return posted["attachments"][0]["content"]


async def _channel_form_in_the_channel(client, connector, app) -> dict:
    """An admin @mentions the bot with 「このチャネルを登録」: the form is posted to the channel."""
    activity = channel_mention(connector.url, "このチャネルを登録")
    activity["from"] = {"id": f"29:{fx.ADMIN}", "name": "情報 太郎", "aadObjectId": fx.ADMIN}
    response = await client.post("/api/messages", json=activity)
    assert response.status in (200, 201)
    return connector.cards()[-1]


def _channel_unit(store: TableStore) -> dict[str, str]:
    mapping = ChannelMap(store, fx.Clock()).get(CHANNEL)
    if mapping is None:
        return {}
    return {
        proactive_cards.UNIT_INPUT: proactive_cards.OFFICE_CHOICE
        if mapping.role is ChannelRole.OFFICE
        else mapping.unit_path
    }


def _snoozed_until(store: TableStore) -> dict[str, str]:
    snooze = SnoozeBook(store, fx.Clock()).get(ALERT.snooze_subject)
    return {} if snooze is None else {proactive_cards.SNOOZE_INPUT: snooze.until.isoformat()}


VERBS = [
    SharedVerb(
        name="online_procedures.submit",
        members=(fx.DX_HEALTH, SECOND_DX_HEALTH),
        table="OnlineProcedures",
        prepare=_second_dx_pro,
        open=(op_cards.UPDATE_VERB, {op_cards.BUREAU_INPUT: HEALTH}),
        submit=op_cards.SUBMIT_VERB,
        values=(
            {"done": "38", "delayed": "36", "reason": ""},
            {"done": "30", "delayed": "30", "reason": "委託先との調整"},
        ),
        saved=lambda card: "保存しました" in text_of(card),
        conflict=lambda card: "ほかの方が" in text_of(card),
        duplicate=lambda card: "すでに保存されています" in text_of(card),
        stored=_health_report,
        kept=lambda card, values: all(
            str(inputs_by_id(card)[k].get("value", "")) == v for k, v in values.items()
        ),
    ),
    SharedVerb(
        name="admin.grant",
        members=(fx.ADMIN, SECOND_ADMIN),
        table="People",
        prepare=_second_admin,
        open=(people_cards.ADMIN_PERSON, {"object_id": fx.STAFF}),
        submit=people_cards.ADMIN_GRANT,
        values=({"role": "dx_pro", "scope": "建設局/土木部"}, {"role": "manager", "scope": "建設局"}),
        saved=lambda card: "を付与しました" in text_of(card),
        conflict=lambda card: "ほかの管理者が" in text_of(card),
        duplicate=lambda card: "すでに" in text_of(card) and "付与しました" in text_of(card),
        stored=_staff_roles,
    ),
    SharedVerb(
        name="admin.revoke",
        members=(fx.ADMIN, SECOND_ADMIN),
        table="People",
        prepare=_second_admin,
        open=(people_cards.ADMIN_PERSON, {"object_id": fx.DX_HEALTH}),
        submit=people_cards.ADMIN_REVOKE,  # the first 取り消す button: DX PRO 健康福祉局/健康部
        values=({"reason": "異動のため"}, {"reason": "退職のため"}),
        saved=lambda card: "を取り消しました" in text_of(card),
        conflict=lambda card: "ほかの管理者が" in text_of(card),
        duplicate=lambda card: "すでに" in text_of(card),
        stored=_last_revoke_reason,
    ),
    SharedVerb(
        name="admin.approve",
        members=(fx.ADMIN, SECOND_ADMIN),
        table="People",
        prepare=_a_request_and_a_second_admin,
        open=(people_cards.ADMIN_REVIEW, {"object_id": fx.UNREGISTERED}),
        submit=people_cards.ADMIN_APPROVE,
        values=(
            {"unit": "建設局/土木部", "role": "dx_pro", "scope": "建設局/土木部"},
            {"unit": "建設局/土木部", "role": "manager", "scope": "建設局"},
        ),
        saved=lambda card: "さんを登録しました" in text_of(card),
        conflict=lambda card: "ほかの管理者が先に" in text_of(card),
        duplicate=lambda card: "すでに登録" in text_of(card) and "先に" not in text_of(card),
        stored=_approved_roles,
        kept=lambda card, values: all(
            inputs_by_id(card)[k].get("value") == values[k] for k in ("role", "scope")
        ),
    ),
    SharedVerb(
        name="digital_divide.record",
        members=(fx.ADMIN, SECOND_ADMIN),
        table="DigitalDivide",
        prepare=_second_admin,
        open=(dd_cards.FORM_VERB, {}),
        submit=dd_cards.RECORD_VERB,
        values=(DD_CLASS, {**DD_CLASS, "capacity": "20"}),  # one class (date, time, ward, venue)
        saved=lambda card: "スマホ教室を記録しました" in text_of(card),
        conflict=lambda card: "先に記録されています" in text_of(card),
        duplicate=lambda card: "二重には記録していません" in text_of(card),
        stored=_stored_class,
        kept=_inputs_kept,
    ),
    SharedVerb(
        name="digital_divide.save_attendance",
        members=(fx.ADMIN, SECOND_ADMIN),
        table="DigitalDivide",
        prepare=_class_on_the_first,
        open=(dd_cards.ATTENDANCE_VERB, {}),
        submit=dd_cards.SAVE_ATTENDANCE_VERB,
        values=({DD_ATTENDANCE: "9"}, {DD_ATTENDANCE: "10"}),
        saved=lambda card: "を保存しました" in text_of(card),
        conflict=lambda card: "ほかの方が先に" in text_of(card),
        duplicate=lambda card: "すでに保存しています" in text_of(card),
        stored=_stored_attendance,
        kept=_inputs_kept,
    ),
    SharedVerb(
        name="digital_divide.save_outreach",
        members=(fx.ADMIN, SECOND_ADMIN),
        table="DigitalDivide",
        prepare=_second_admin,
        open=(dd_cards.OUTREACH_VERB, {dd_cards.YEAR_INPUT: "2023"}),
        submit=dd_cards.SAVE_OUTREACH_VERB,
        values=(
            {"planned|poster_city": "200", "actual|poster_city": "198"},
            {"planned|poster_city": "210", "actual|poster_city": "205"},
        ),
        saved=lambda card: "保存しました" in text_of(card) and "先に" not in text_of(card),
        conflict=lambda card: "ほかの方が先に" in text_of(card),
        duplicate=lambda card: "保存済み" in text_of(card),
        stored=_stored_outreach,
        kept=_inputs_kept,
    ),
    SharedVerb(
        name="proactive.snooze",
        members=(fx.DX_HEALTH, SECOND_DX_HEALTH),
        table="AlertSnoozes",
        prepare=_second_dx_pro,
        open=None,
        post=_alert_in_the_channel,
        submit=proactive_cards.SNOOZE_VERB,
        values=({proactive_cards.SNOOZE_INPUT: "2023-10-02"}, {proactive_cards.SNOOZE_INPUT: "2023-10-09"}),
        saved=lambda card: "この通知を保留しました" in text_of(card),
        conflict=lambda card: "先に" in text_of(card) and "保留しています" in text_of(card),
        duplicate=lambda card: "すでに保留しています" in text_of(card),
        stored=_snoozed_until,
    ),
    SharedVerb(
        name="proactive.map_channel",
        members=(fx.ADMIN, SECOND_ADMIN),
        table="ChannelMappings",
        prepare=_second_admin,
        open=None,
        post=_channel_form_in_the_channel,
        submit=proactive_cards.MAP_CHANNEL_VERB,
        values=(
            {proactive_cards.UNIT_INPUT: "健康福祉局/健康部"},
            {proactive_cards.UNIT_INPUT: "健康福祉局"},
        ),
        saved=lambda card: "として登録しました。" in text_of(card) and "先に" not in text_of(card),
        conflict=lambda card: "が先に" in text_of(card),
        duplicate=lambda card: "すでに" in text_of(card),
        stored=_channel_unit,
    ),
]


# --- the scenarios -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    sends: tuple[tuple[int, int], ...]  # (member, values) in order
    at_once: bool = False


SCENARIOS = [
    Scenario("two members, the same values, one after the other", ((0, 0), (1, 0))),
    Scenario("two members, different values, one after the other", ((0, 0), (1, 1))),
    Scenario("two members, the same values, at once", ((0, 0), (1, 0)), at_once=True),
    Scenario("two members, different values, at once", ((0, 0), (1, 1)), at_once=True),
]


@pytest.fixture
def clock():
    return fx.Clock(NOW)


def channel_invoke(url: str, user: str, verb: str, data: dict[str, Any]) -> dict:
    activity = channel_mention(url, "")
    activity["from"] = {"id": f"29:{user}", "name": "利用者", "aadObjectId": user}
    action = {"type": "Action.Execute", "verb": verb, "data": {"verb": verb, **data}}
    activity.update(type="invoke", name="adaptiveCard/action", value={"action": action})
    activity.pop("text")
    activity.pop("entities")
    return activity


async def click(client, connector, user: str, verb: str, data: dict[str, Any]) -> dict:
    """The answer to ``user``'s click: the card in the invoke response, or, for a card the whole
    channel shares (an alert), the new reply the bot posted to them (the shared card stays)."""
    before = len(connector.activities)
    response = await client.post("/api/messages", json=channel_invoke(connector.url, user, verb, data))
    assert response.status == 200
    body = await response.json()
    if body["type"] == "application/vnd.microsoft.activity.message":
        [reply] = [
            a
            for a in connector.activities[before:]
            if a.get("attachments") and (a.get("recipient") or {}).get("aadObjectId") == user
        ]
        return reply["attachments"][0]["content"]
    assert body["type"] == "application/vnd.microsoft.card.adaptive", body
    return body["value"]


async def shared_card(verb: SharedVerb, client, connector, app) -> dict:
    if verb.post is not None:
        return await verb.post(client, connector, app)
    assert verb.open is not None
    return await click(client, connector, verb.members[0], *verb.open)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
@pytest.mark.parametrize("verb", VERBS, ids=lambda v: v.name)
async def test_each_member_on_a_shared_card_is_saved_or_sees_the_conflict_with_their_values(
    verb, scenario, serve, settings, store, connector, clock
):
    seed_store(store, load_seed())
    fx.load_fixtures(store, clock)
    verb.prepare(store)
    racing = RacingStore(store, verb.table)
    app = create_app(settings, store=cast(TableStore, racing), clock=clock)
    client = await serve(app)
    shared = await shared_card(verb, client, connector, app)  # the one card in the channel
    base = action_data(shared, verb.submit)

    def send(member: int, values: int):
        return click(client, connector, verb.members[member], verb.submit, {**base, **verb.values[values]})

    if scenario.at_once:
        racing.arm(len(scenario.sends))
        answers = await asyncio.gather(*(send(m, v) for m, v in scenario.sends))
    else:
        answers = [await send(m, v) for m, v in scenario.sends]

    saved_values = []
    for (member, values), answer in zip(scenario.sends, answers, strict=True):
        assert not verb.duplicate(answer), (member, text_of(answer))  # never "already saved" for another's
        if verb.saved(answer):
            saved_values.append(verb.values[values])
        else:
            assert verb.conflict(answer), (member, text_of(answer))
            assert verb.kept(answer, verb.values[values]), (member, text_of(answer))
    # one card shows one state: only one write can be made over it; the other meets the conflict
    assert len(saved_values) == 1, [text_of(a) for a in answers]
    stored = verb.stored(store)
    assert any(all(stored.get(k, "") == v for k, v in values.items()) for values in saved_values), stored


@pytest.mark.parametrize("verb", VERBS, ids=lambda v: v.name)
async def test_the_same_member_sending_the_same_values_again_is_told_it_is_already_saved_or_conflicts(
    verb, serve, settings, store, connector, clock
):
    """A retry of one's own: a duplicate where the verb keeps submission markers, else the conflict
    card; never a second write."""
    seed_store(store, load_seed())
    fx.load_fixtures(store, clock)
    verb.prepare(store)
    app = create_app(settings, store=store, clock=clock)
    client = await serve(app)
    shared = await shared_card(verb, client, connector, app)
    data = {**action_data(shared, verb.submit), **verb.values[0]}
    first = await click(client, connector, verb.members[0], verb.submit, data)
    again = await click(client, connector, verb.members[0], verb.submit, data)
    assert verb.saved(first) and (verb.duplicate(again) or verb.conflict(again)), text_of(again)
