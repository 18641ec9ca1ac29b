"""堺市DX on a real Azure Table Storage (Azurite): the plan's ETag check, a long thread split over
properties, and concurrent enrolments from two store clients (as two app instances would)."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime

import pytest

from services.dx.plans import FormRejected, PlanService
from services.dx.training import TrainingService
from services.kernel.settings import TIMEZONE
from services.people.identity import Actor, OrgUnit, Person
from tests.support import people as fx
from tests.support.prefixed_store import PrefixedStore

pytestmark = pytest.mark.azurite


@pytest.fixture
def stores(azurite_connection_string):
    from storage.azure import AzureTableStore

    prefix = "dx" + uuid.uuid4().hex[:8]
    opened = [PrefixedStore(AzureTableStore(azurite_connection_string), prefix) for _ in range(2)]
    yield opened
    for store in opened:
        store.close()


def test_plans_and_enrolments_on_azure_tables(stores):
    clock = fx.Clock(datetime(2026, 11, 26, 10, 0, tzinfo=TIMEZONE))
    people = fx.load_fixtures(stores[0], clock)
    dx, admin = fx.actor_of(people, fx.DX_HEALTH), fx.actor_of(people, fx.ADMIN)
    one, two = PlanService(stores[0], clock), PlanService(stores[1], clock)
    form = one.new_form(dx, "健康福祉局", "健康部")
    values = {
        "business": "再発行",
        "category": "paper",
        "purpose": "p",
        "goal": "g",
        "kpi": "k",
        "kpi_target": "5",
        "kpi_unit": "件",
        "milestones": "2027-01-10 調査",
    }
    plan = one.save(dx, {"plan_id": form.plan_id, **values}, submit=False)
    stale = one.edit_form(dx, plan.plan_id)
    two.save(admin, {"plan_id": plan.plan_id, "etag": plan.etag, **values, "goal": "管理者"}, submit=False)
    with pytest.raises(FormRejected):
        one.save(dx, {"plan_id": plan.plan_id, "etag": stale.etag, **values, "goal": "DX PRO"}, submit=False)
    plan = one.plan(dx.person, plan.plan_id)
    for k in range(40):
        plan = one.act(dx, plan.plan_id, plan.etag or "", "comment", f"{k}:" + "伴" * 990)
    assert two.plan(admin.person, plan.plan_id).goal == "管理者" and len(plan.comments) == 40

    session = TrainingService(stores[0], clock).create_session(
        admin,
        {
            "course": "c1",
            "day": "2026-12-10",
            "start": "14:00",
            "end": "16:00",
            "place": "本館",
            "capacity": "4",
        },
    )
    start = threading.Barrier(10)
    errors: list[BaseException] = []

    def enrol(n: int) -> None:
        person = Actor(
            Person(f"00000000-0000-4000-8000-{n:012d}", f"職員 {n}", OrgUnit("健康福祉局", "健康部")), "c"
        )
        start.wait()
        try:
            TrainingService(stores[n % 2], clock).enrol(person, session.session_id)
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=enrol, args=(n,)) for n in range(200, 210)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = TrainingService(stores[1], clock).session(session.session_id)
    assert errors == [] and len(final.enrolled) == 4 and len(final.waiting) == 6
