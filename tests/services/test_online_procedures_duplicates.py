"""Duplicates are the same person sending the same values for the same bureau again; nothing else.

The defects of issue 9: a card shared in a channel answered the second DX PRO's different figures
with 「この内容はすでに保存されています」 (and dropped them), and a replayed card id showed another
bureau's before and after under one's own bureau."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.online_procedures.service import TABLE, FormRejected, OnlineProceduresService
from services.people.identity import OrgUnit, Role, RoleGrant, system_actor
from tests.fakes import InMemoryTableStore
from tests.support.people import ADMIN, DX_CHILD, DX_HEALTH, Clock, actor_of, load_fixtures

IN_Q2 = date(2023, 9, 20)
HEALTH, CHILD = "健康福祉局", "子ども青少年局"
SECOND_DX_HEALTH = "00000000-0000-4000-8000-000000000022"


@pytest.fixture
def store():
    store = InMemoryTableStore()
    seed_store(store, load_seed())
    return store


@pytest.fixture
def clock():
    return Clock(datetime(2023, 9, 20, 10, 0, tzinfo=TIMEZONE))


@pytest.fixture
def people(store, clock):
    people = load_fixtures(store, clock)
    people.grant(
        system_actor("準備", "setup"),
        SECOND_DX_HEALTH,
        RoleGrant(Role.DX_PRO, OrgUnit(HEALTH, "健康部")),
        etag=None,
        create_name="健康 二郎",
    )
    return people


@pytest.fixture
def service(store, clock):
    return OnlineProceduresService(store, clock)


def data_of(form, **values) -> dict[str, str]:
    return {
        "bureau": form.bureau,
        "period": form.status.period.key,
        "etag": form.etag,
        "submission": form.submission_id,
        "done": "",
        "delayed": "",
        "advanced": "",
        "reason": "",
        **values,
    }


def done_now(service, actor, bureau: str) -> int | None:
    report = service.bureau_summary(actor.person, bureau, IN_Q2).current.report
    return None if report is None else report.done


def test_the_second_member_on_a_shared_card_is_never_told_her_other_figures_were_saved(service, people):
    first = actor_of(people, DX_HEALTH, "19:channel")
    second = actor_of(people, SECOND_DX_HEALTH, "19:channel")
    shared = service.update_form(first, HEALTH, IN_Q2)  # one card in the channel: one id, one ETag
    saved = service.submit(first, data_of(shared, done="38", delayed="36"), IN_Q2)
    assert not saved.duplicate
    with pytest.raises(FormRejected) as conflict:
        service.submit(second, data_of(shared, done="37", delayed="36", reason="調整中"), IN_Q2)
    form = conflict.value.form
    assert "ほかの方が先に" in form.notice
    assert form.values["done"] == "37" and form.values["reason"] == "調整中"  # her values kept
    assert form.status.report.done == 38  # and the latest figures shown
    assert done_now(service, first, HEALTH) == 38
    again = service.submit(second, data_of(form, done="37", delayed="36", reason="調整中"), IN_Q2)
    assert not again.duplicate and done_now(service, first, HEALTH) == 37


def test_the_same_values_from_another_member_are_not_her_duplicate_either(service, people):
    first, second = actor_of(people, DX_HEALTH), actor_of(people, SECOND_DX_HEALTH)
    shared = service.update_form(first, HEALTH, IN_Q2)
    service.submit(first, data_of(shared, done="38", delayed="36"), IN_Q2)
    with pytest.raises(FormRejected) as conflict:
        service.submit(second, data_of(shared, done="38", delayed="36"), IN_Q2)
    assert "ほかの方が先に" in conflict.value.form.notice


def test_the_same_person_with_other_values_meets_the_etag_check(service, people):
    dx = actor_of(people, DX_HEALTH)
    form = service.update_form(dx, HEALTH, IN_Q2)
    service.submit(dx, data_of(form, done="38", delayed="36"), IN_Q2)
    with pytest.raises(FormRejected) as conflict:
        service.submit(dx, data_of(form, done="30", delayed="30", reason="委託先との調整"), IN_Q2)
    assert "ほかの方が先に" in conflict.value.form.notice and conflict.value.form.values["done"] == "30"
    assert done_now(service, dx, HEALTH) == 38


def test_the_same_person_sending_the_same_values_again_is_a_duplicate_even_in_another_form(service, people):
    dx = actor_of(people, DX_HEALTH)
    form = service.update_form(dx, HEALTH, IN_Q2)
    first = service.submit(dx, data_of(form, done="38", delayed="36"), IN_Q2)
    again = service.submit(dx, data_of(form, done="３８件", delayed=" 36 "), IN_Q2)  # normalised alike
    assert again.duplicate and again.changes == first.changes


def test_a_replayed_card_id_never_shows_another_bureaus_figures(service, people, store):
    health, child = actor_of(people, DX_HEALTH), actor_of(people, DX_CHILD)
    health_form = service.update_form(health, HEALTH, IN_Q2)
    service.submit(health, data_of(health_form, done="38", delayed="36"), IN_Q2)
    child_form = service.update_form(child, CHILD, IN_Q2)
    plan = child_form.status.plan
    replay = data_of(
        child_form,
        submission=health_form.submission_id,
        done=str(plan),
        delayed=str(min(plan, child_form.status.plan_delayed)),
    )
    result = service.submit(child, replay, IN_Q2)
    assert not result.duplicate and result.bureau == CHILD
    assert done_now(service, child, CHILD) == plan  # his figures were saved
    assert all("38件" not in c.after for c in result.changes)
    markers = list(store.query(TABLE, None, {"kind": "submission"}))
    assert sorted(m["record"] for m in markers) == sorted([HEALTH, CHILD])


def test_two_identical_retries_at_once_save_once_and_both_are_told_it_is_saved(service, people, store):
    dx = actor_of(people, DX_HEALTH)
    form = service.update_form(dx, HEALTH, IN_Q2)
    data = data_of(form, done="38", delayed="36")
    original = store.batch
    answers = []

    def racing(table, operations):
        if table == TABLE and not answers:
            store.batch = original
            answers.append(service.submit(dx, data, IN_Q2))  # the other retry lands first
        return original(table, operations)

    store.batch = racing
    late = service.submit(dx, data, IN_Q2)
    assert not answers[0].duplicate and late.duplicate and late.changes == answers[0].changes
    assert service.ledger(HEALTH).version == 1


def test_an_admin_and_a_dx_pro_with_the_same_values_at_once_one_saves_the_other_meets_the_conflict(
    service, people, store
):
    admin, dx = actor_of(people, ADMIN), actor_of(people, DX_HEALTH)
    form = service.update_form(dx, HEALTH, IN_Q2)
    data = data_of(form, done="38", delayed="36")
    original = store.batch
    answers = []

    def racing(table, operations):
        if table == TABLE and not answers:
            store.batch = original
            answers.append(service.submit(admin, data, IN_Q2))
        return original(table, operations)

    store.batch = racing
    with pytest.raises(FormRejected) as conflict:
        service.submit(dx, data, IN_Q2)
    assert "同時に" in conflict.value.form.notice and conflict.value.form.values["done"] == "38"
    assert not answers[0].duplicate
