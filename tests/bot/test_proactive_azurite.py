"""Exactly once across instances, on a real Azure Table Storage (Azurite) shared by two apps.

Each app has its own store client, runtime, adapter, owner id and pacing, as two App Service
instances would; they share only the tables and the connector.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

import pytest

from app import RUNTIME_KEY, create_app
from bot.settings import Settings
from services.kernel.calendar import JST
from services.proactive.alerts import StaticAlerts
from services.proactive.deliveries import DeliveryState
from services.proactive.jobs import DELAY_ALERTS, WEEKLY_DIGEST, ManagerContact, StaticRoster
from storage.base import TableStore
from tests.support.prefixed_store import PrefixedStore
from tests.support.proactive import delay_alert, install_channel, install_personal
from tests.support.throttling_connector import ThrottlingConnector

pytestmark = pytest.mark.azurite

MONDAY_9 = datetime(2026, 7, 13, 9, 0, tzinfo=JST)


@pytest.fixture
async def connector():
    rec = await ThrottlingConnector(latency=0.02).start()
    yield rec
    await rec.stop()


@pytest.fixture
def stores(azurite_connection_string):
    from storage.azure import AzureTableStore

    prefix = "p" + uuid.uuid4().hex[:8]
    opened = [PrefixedStore(AzureTableStore(azurite_connection_string), prefix) for _ in range(2)]
    yield opened
    for store in opened:
        store.close()


def instance(store: TableStore, tmp_path, name: str, *, skew: timedelta = timedelta(0)):
    app = create_app(Settings(data_dir=tmp_path / name), store=store, clock=lambda: datetime.now(JST) + skew)
    return app, app[RUNTIME_KEY].proactive


async def test_two_instances_firing_the_same_jobs_deliver_each_message_once(stores, tmp_path, connector):
    (_, a), (_, b) = instance(stores[0], tmp_path, "a"), instance(stores[1], tmp_path, "b")
    managers = [ManagerContact(f"m{i}", f"管理職{i}", "財政局") for i in range(25)]
    bureaus = ("財政局", "環境局", "建設局", "消防局")
    for n, bureau in enumerate(bureaus):
        install_channel(a.directory, a.channels, f"19:c{n}@thread.tacv2", bureau, service_url=connector.url)
    for m in managers:
        install_personal(a.directory, m.object_id, connector.url)
    for runtime in (a, b):
        runtime.planner.roster = StaticRoster(managers)
        runtime.planner.alert_sources = [StaticAlerts("online_procedures", [delay_alert(x) for x in bureaus])]

    # the same run, fired by both at once: one claims the run, the other stands aside
    weekly = await asyncio.gather(
        a.runner.run(WEEKLY_DIGEST, MONDAY_9), b.runner.run(WEEKLY_DIGEST, MONDAY_9)
    )
    # different runs (two days) planning the same alerts at once: the delivery keys decide
    alerts = await asyncio.gather(
        a.runner.run(DELAY_ALERTS, MONDAY_9), b.runner.run(DELAY_ALERTS, MONDAY_9 + timedelta(days=1))
    )

    assert sorted(o.status for o in weekly) == ["done", "in_progress"]
    assert [o.status for o in alerts] == ["done", "done"]
    assert sum(o.summary.sent for o in alerts) == len(bureaus)
    expected = {f"a:personal-m{i}" for i in range(25)} | {
        f"19:c{n}@thread.tacv2" for n in range(len(bureaus))
    }
    assert set(connector.delivered) == expected
    assert connector.duplicates() == 0 and all(len(v) == 1 for v in connector.delivered.values())


async def test_a_restart_in_the_middle_of_a_fan_out_loses_nothing(stores, tmp_path, connector):
    _, a = instance(stores[0], tmp_path, "a")
    managers = [ManagerContact(f"m{i}", f"管理職{i}", "健康福祉局") for i in range(30)]
    for m in managers:
        install_personal(a.directory, m.object_id, connector.url)
    a.planner.roster = StaticRoster(managers)
    run = asyncio.ensure_future(a.runner.run(WEEKLY_DIGEST, MONDAY_9))
    while sum(len(v) for v in connector.delivered.values()) < 10:
        await asyncio.sleep(0.01)
    await a.stop()  # aiohttp on_cleanup: in-flight sends finish, the rest is given back
    first = await run
    assert first.status == "released"
    sent_before = sum(len(v) for v in connector.delivered.values())
    assert 10 <= sent_before < 30

    _, b = instance(stores[1], tmp_path, "b")  # the next start
    b.planner.roster = StaticRoster(managers)
    await b.runner.recover()
    assert set(connector.delivered) == {f"a:personal-m{i}" for i in range(30)}
    assert connector.duplicates() == 0
    assert all(r.state is DeliveryState.SENT for r in b.outbox.records(WEEKLY_DIGEST))


async def test_a_crashed_instances_work_is_taken_over_after_its_lease(stores, tmp_path, connector):
    _, a = instance(stores[0], tmp_path, "a")
    managers = [ManagerContact(f"m{i}", f"管理職{i}", "消防局") for i in range(30)]
    for m in managers:
        install_personal(a.directory, m.object_id, connector.url)
    a.planner.roster = StaticRoster(managers)
    run = asyncio.ensure_future(a.runner.run(WEEKLY_DIGEST, MONDAY_9))
    while sum(len(v) for v in connector.delivered.values()) < 10:
        await asyncio.sleep(0.01)
    run.cancel()  # the process dies: no release, the leases stay
    with pytest.raises(asyncio.CancelledError):
        await run
    await asyncio.sleep(0.1)  # sends already on the wire land (or not) before the takeover

    _, early = instance(stores[1], tmp_path, "early")
    early.planner.roster = StaticRoster(managers)
    await early.runner.recover()
    assert len(connector.delivered) < 30  # the leases are still live: hands off

    _, late = instance(stores[1], tmp_path, "late", skew=timedelta(seconds=180))  # after the lease
    late.planner.roster = StaticRoster(managers)
    await late.runner.recover()
    assert set(connector.delivered) == {f"a:personal-m{i}" for i in range(30)}
    # a send cut off by the crash after the connector took it is the one case that can repeat
    assert connector.duplicates() <= 16
