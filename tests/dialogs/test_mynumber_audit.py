"""The audit report's export (``mynumber.audit_report``), tested directly as every export is: bytes
from memory for their owner while they may still update the operation; a Japanese reason otherwise."""

from __future__ import annotations

from datetime import datetime

import pytest

from dialogs.base import DialogDeps, ExportUnavailable
from dialogs.mynumber import service_for
from dialogs.mynumber_audit import AuditRuntime, report_export
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE, Settings
from services.mynumber.audit.uploads import UploadArea
from services.mynumber.audit.worker import AuditWorker, ReportVault
from services.mynumber.models import LinkMethod
from services.people.identity import Actor
from services.people.permissions import Forbidden
from tests.fakes import InMemoryTableStore
from tests.support import mynumber as mx
from tests.support import people as fx


@pytest.fixture
def setup(tmp_path):
    store = InMemoryTableStore()
    seed_store(store, load_seed())
    clock = fx.Clock(datetime(2023, 9, 20, 10, 0, tzinfo=TIMEZONE))
    people = fx.load_fixtures(store, clock)
    now = [0.0]
    runtime = AuditRuntime(AuditWorker(), ReportVault(600, clock=lambda: now[0]), UploadArea(tmp_path))
    deps = DialogDeps(
        store=store, clock=clock, people=people, settings=Settings(data_dir=tmp_path), audit=runtime
    )
    [op] = mx.seed_operations(
        service_for(deps), [mx.op(mx.TAX, "市民税の課税", (LinkMethod.THREE_OR_FEWER, 250))]
    )
    params = {"run": "run1", "bureau": op.bureau, "operation": op.id}
    runtime.vault.put("run1", fx.CONTACT, "結果.xlsx", b"PK-report")
    return deps, people, params, now


def actor(people, object_id: str) -> Actor:
    return fx.actor_of(people, object_id)


def test_the_owner_gets_the_report_from_memory(setup):
    deps, people, params, _ = setup
    assert report_export(deps, actor(people, fx.CONTACT), params) == b"PK-report"


def test_anybody_else_or_a_late_owner_gets_a_reason_not_the_file(setup):
    deps, people, params, now = setup
    with pytest.raises(ExportUnavailable, match="保存期間（60分）"):
        report_export(deps, actor(people, fx.ADMIN), params)  # may update, but not the owner
    with pytest.raises(Forbidden):
        report_export(deps, actor(people, fx.STAFF), params)
    now[0] = 601
    with pytest.raises(ExportUnavailable, match="もう一度「全データ点検」"):
        report_export(deps, actor(people, fx.CONTACT), params)
