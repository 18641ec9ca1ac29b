"""Both programmes on a real Azure Table Storage (Azurite): keys, filters (an int and two strings),
ETags and the all-or-nothing import batch behave as on the in-memory fake."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import Workbook

from services.digital_divide.classes import HEADERS, Rejected
from services.digital_divide.service import Conflict, DigitalDivideService
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.literacy.service import LiteracyService
from tests.support import people as fx

pytestmark = pytest.mark.azurite


@pytest.fixture(scope="module")
def store(azurite_connection_string):
    from storage.azure import AzureTableStore

    store = AzureTableStore(azurite_connection_string)
    seed_store(store, load_seed())
    yield store
    store.close()


@pytest.fixture
def clock():
    return fx.Clock(datetime(2023, 6, 5, 10, 0, tzinfo=TIMEZONE))


@pytest.fixture
def people(store, clock):
    return fx.load_fixtures(store, clock)


def _workbook(*rows: list) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(HEADERS))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_literacy_on_azure_tables(store, clock, people):
    service = LiteracyService(store, clock)
    dx, manager = fx.actor_of(people, fx.DX_HEALTH), fx.actor_of(people, fx.MANAGER)
    service.save_assessment(dx, fx.DX_HEALTH, {"RPA": "つくれる"}, None)
    today = clock().date()
    view = service.department_view(manager.person, "健康福祉局", "健康部", today)
    assert [p.object_id for p in view.people] == [fx.DX_HEALTH]  # the (bureau, department) filter
    after, _ = service.set_needs(
        manager,
        "健康福祉局",
        "健康部",
        {"build|RPA": "1", f"move|{fx.DX_HEALTH}": "2023-07-01"},
        view.etag,
        today,
    )
    assert next(r for r in after.rows if r.tool == "RPA").at_risk


def test_digital_divide_on_azure_tables(store, clock, people):
    service = DigitalDivideService(store, clock)
    admin = fx.actor_of(people, fx.ADMIN)
    good = _workbook(
        ["2023-04-10", "10:00", "12:00", "堺区", "堺区役所", "大学", 12, 10],
        ["2023-04-11", "10:00", "12:00", "中区", "中区役所", "大学", 12, None],
    )
    with pytest.raises(Rejected):
        service.import_xlsx(
            admin, _workbook(["2023-04-12", "10:00", "12:00", "堺区", "会場", "大学", "x", None])
        )
    assert service.import_xlsx(admin, good).added == 2
    assert service.import_xlsx(admin, good).added == 0  # the marker, in the same batch
    view = service.plan_view(admin.person, 2023, clock().date())  # the int filter on the fiscal year
    assert (view.held, view.people, len(view.unrecorded)) == (2, 10, 1)
    item = view.unrecorded[0]
    service.record_attendance(admin, item.id, "7", item.etag)
    with pytest.raises(Conflict):
        service.record_attendance(admin, item.id, "8", item.etag)  # a stale ETag on Azure
