"""The audit trail: append-only, time-ordered, masked, compensated, exported."""

from __future__ import annotations

import ast
import inspect
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

import services.audit.trail as audit_module
from services.audit.models import Change
from services.audit.trail import TABLE, AuditLog
from services.kernel.settings import TIMEZONE
from services.people.identity import Actor, Person, system_actor
from services.people.permissions import Forbidden
from storage.base import ETagMismatch
from tests.fakes import InMemoryTableStore
from tests.support.people import Clock

ADMIN = system_actor("情報 太郎", "a:admin-chat")
STAFF = Person("00000000-0000-4000-8000-000000000006", "一般 職員")


@pytest.fixture
def store():
    return InMemoryTableStore()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def log(store, clock):
    return AuditLog(store, clock)


def _change(n: int = 1, **kw) -> Change:
    return Change("person", f"id-{n}", "update", {"v": n - 1}, {"v": n}, kw.get("reason", ""))


def test_an_entry_records_who_when_where_what_and_why(log, store):
    [entry] = log.record(
        ADMIN, [Change("person", "p1", "grant", {"roles": []}, {"roles": ["dx_pro"]}, "異動")]
    )
    assert (entry.actor_id, entry.actor_name, entry.conversation_id) == (
        "system:a:admin-chat",
        "情報 太郎",
        "a:admin-chat",
    )
    assert entry.at.tzinfo is not None and entry.at.utcoffset().total_seconds() == 9 * 3600
    [stored] = log.recent(ADMIN.person)
    assert stored == entry
    assert (stored.before, stored.after, stored.reason) == ({"roles": []}, {"roles": ["dx_pro"]}, "異動")
    [row] = store.query(TABLE)
    assert row.partition_key == "2026-11" and row["at_jst"].endswith("+09:00")


def test_row_keys_are_time_ordered_and_newest_comes_first(log, clock):
    for n in range(1, 4):
        log.record(ADMIN, [_change(n)])
    ids = [e.entry_id for e in log.recent(ADMIN.person)]
    assert ids == sorted(ids, reverse=True)
    assert [e.after for e in log.recent(ADMIN.person)] == [{"v": 3}, {"v": 2}, {"v": 1}]


def test_entries_of_one_write_keep_their_order(log):
    entries = log.record(ADMIN, [_change(n) for n in range(1, 151)])  # more than one batch
    assert [e.entity_id for e in entries] == [f"id-{n}" for n in range(1, 151)]
    assert [e.entry_id for e in entries] == sorted(e.entry_id for e in entries)


def test_my_numbers_never_reach_the_store(log, store):
    change = Change(
        "person",
        "p1",
        "update",
        {"note": "番号 1234 5678 9018"},
        {"n": 123456789018},
        "本人の１２３４５６７８９０１８を確認",
    )
    log.record(Actor(Person("x", "職員 123456789018"), "conv"), [change])
    raw = str(store.snapshot())
    assert "5678" not in raw and "9018" in raw and "********9018" in raw
    [entry] = log.recent(ADMIN.person)
    assert entry.before == {"note": "番号 ********9018"} and entry.after == {"n": "********9018"}
    assert entry.reason == "本人の********9018を確認" and entry.actor_name == "職員 ********9018"


def test_the_api_has_no_way_to_change_or_remove_an_entry():
    public = {
        name for name, _ in inspect.getmembers(AuditLog, inspect.isfunction) if not name.startswith("_")
    }
    assert public == {"record", "compensate", "apply", "recent", "between", "export_xlsx", "export_bytes"}
    # and the module never calls a store method that could overwrite or delete
    tree = ast.parse(inspect.getsource(audit_module))
    called = {
        n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
    }
    assert not called & {"upsert", "delete"}
    assert "insert" in called


def test_a_failed_write_leaves_its_entry_and_a_compensating_note(log):
    def write():
        raise ETagMismatch("somebody else")

    with pytest.raises(ETagMismatch):
        log.apply(ADMIN, [_change()], write)
    note, original = log.recent(ADMIN.person)
    assert original.operation == "update"
    assert note.operation == "compensation" and note.compensates == original.entry_id
    assert "保存されませんでした" in note.reason


def test_a_successful_write_is_audited_first(log, store):
    seen = []
    result = log.apply(ADMIN, [_change()], lambda: seen.append(len(list(store.query(TABLE)))) or "ok")
    assert result == "ok" and seen == [1]


def test_recent_for_one_entity(log):
    log.record(ADMIN, [_change(1), _change(2), _change(1)])
    assert [e.after for e in log.recent(ADMIN.person, "person", "id-1")] == [{"v": 1}, {"v": 1}]


def test_reading_is_for_admins_only_and_writes_nothing(log, store, tmp_path):
    log.record(ADMIN, [_change()])
    before = store.snapshot()
    for read in (
        lambda: log.recent(STAFF),
        lambda: log.between(STAFF, date(2026, 11, 1), date(2026, 11, 30)),
        lambda: log.export_xlsx(STAFF, date(2026, 11, 1), date(2026, 11, 30), tmp_path / "x.xlsx"),
    ):
        with pytest.raises(Forbidden):
            read()
    assert store.snapshot() == before and not (tmp_path / "x.xlsx").exists()


def test_between_uses_tokyo_dates_across_months(store):
    moments = [
        datetime(2026, 10, 31, 23, 59, 59, tzinfo=TIMEZONE),
        datetime(2026, 11, 1, 0, 0, 1, tzinfo=TIMEZONE),
        datetime(2026, 11, 30, 23, 0, tzinfo=TIMEZONE),
        datetime(2026, 12, 1, 0, 0, tzinfo=TIMEZONE),
    ]
    for n, moment in enumerate(moments, start=1):
        AuditLog(store, lambda moment=moment: moment).record(ADMIN, [_change(n)])
    log = AuditLog(store, lambda: moments[-1])
    assert [e.entity_id for e in log.between(ADMIN.person, date(2026, 11, 1), date(2026, 11, 30))] == [
        "id-2",
        "id-3",
    ]
    assert len(log.between(ADMIN.person, date(2026, 10, 1), date(2026, 12, 31))) == 4


def test_export_writes_an_excel_file(log, tmp_path):
    log.record(ADMIN, [Change("person", "p1", "grant", None, {"roles": ["dx_pro"]}, "番号123456789018")])
    path = tmp_path / "out" / "audit.xlsx"
    assert log.export_xlsx(ADMIN.person, date(2026, 11, 1), date(2026, 11, 30), path) == 1
    sheet = load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("日時（日本時間）", "操作者ID", "操作者")
    assert rows[1][2] == "情報 太郎" and rows[1][6] == "ロール付与"
    assert rows[1][9] == "番号********9018"
    assert rows[1][0].startswith("2026-11-26 10:00")
