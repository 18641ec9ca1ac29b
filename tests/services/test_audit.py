"""The audit trail: append-only, time-ordered, masked, saved exactly with its change, exported."""

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
from storage import journal
from storage.base import BatchOperation, Entity, ETagMismatch, InvalidEntity, StorageError
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
    assert public == {"record", "apply", "recover", "recent", "between", "export_xlsx", "export_bytes"}
    # and the module never calls a store method that could overwrite or delete
    tree = ast.parse(inspect.getsource(audit_module))
    called = {
        n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
    }
    assert not called & {"upsert", "delete"}
    assert "insert" in called


def test_a_failed_write_leaves_no_entry(log, store):
    def write():
        raise ETagMismatch("somebody else")

    with pytest.raises(ETagMismatch):
        log.apply(ADMIN, [_change()], write)
    assert log.recent(ADMIN.person) == []
    assert store.snapshot() == {}


def test_a_refused_conditional_write_leaves_no_entry_and_no_journal_row(log, store):
    first = store.insert("Things", Entity("p", "r", {"v": 1}))
    store.upsert("Things", Entity("p", "r", {"v": 2}))  # someone else got there first
    with pytest.raises(ETagMismatch):
        log.apply(ADMIN, [_change()], lambda: store.upsert("Things", Entity("p", "r", {"v": 3}), first.etag))
    assert log.recent(ADMIN.person) == []
    assert [e.row_key for e in _raw_rows(store, "Things")] == ["r"]


def test_a_saved_write_has_exactly_one_entry_and_leaves_no_journal_row(log, store):
    saved = log.apply(
        ADMIN, [_change(1), _change(2)], lambda: store.insert("Things", Entity("p", "r", {"v": 1}))
    )
    assert saved.get("v") == 1
    assert [e.after for e in log.recent(ADMIN.person)] == [{"v": 2}, {"v": 1}]
    assert [e.row_key for e in _raw_rows(store, "Things")] == ["r"]


def test_the_entry_travels_in_the_write_s_own_transaction(log, store):
    seen = []

    def write():
        store.upsert("Things", Entity("p", "r", {"v": 1}))
        seen.append([e.row_key for e in _raw_rows(store, "Things")])
        return "ok"

    assert log.apply(ADMIN, [_change()], write) == "ok"
    [keys] = seen
    assert keys[0] == "r" and keys[1].startswith(journal.PREFIX) and len(keys) == 2
    assert list(store.query("Things")) == [store.get("Things", "p", "r")]  # journal rows are not data


def test_a_write_that_saves_nothing_leaves_no_entry(log):
    assert log.apply(ADMIN, [_change()], lambda: "nothing to do") == "nothing to do"
    assert log.recent(ADMIN.person) == []


class _AuditDown(InMemoryTableStore):
    """The process stops (or the audit table is unreachable) after the change was saved."""

    down = True

    def insert(self, table, entity):
        if table == TABLE and self.down:
            raise StorageError("down")
        return super().insert(table, entity)

    def batch(self, table, operations):
        if table == TABLE and self.down:
            raise StorageError("down")
        return super().batch(table, operations)


def test_a_change_saved_before_a_crash_gets_its_entry_at_recovery_once(clock):
    store = _AuditDown()
    log = AuditLog(store, clock)
    log.apply(
        ADMIN, [_change(7)], lambda: store.batch("Things", [BatchOperation("insert", Entity("p", "r"))])
    )
    assert store.get("Things", "p", "r") is not None  # the change is saved
    store.down = False
    assert log.recent(ADMIN.person) == []  # its entry waits in the journal row
    assert log.recover() == 1
    assert log.recover() == 0
    [entry] = log.recent(ADMIN.person)
    assert entry.after == {"v": 7}
    assert [e.row_key for e in _raw_rows(store, "Things")] == ["r"]


def test_recovery_after_a_copy_that_was_made_but_not_discarded_adds_nothing(log, store):
    log.apply(ADMIN, [_change()], lambda: store.insert("Things", Entity("p", "r")))
    [entry] = log.recent(ADMIN.person)
    # the process stopped after the copy, before the journal row was deleted: put one back
    row = Entity("p", journal.PREFIX + entry.entry_id, {})
    payload = {
        "entries": [
            [
                entry.at.strftime("%Y-%m"),
                entry.entry_id,
                {
                    "at": entry.at.isoformat(),
                    "operation": "update",
                    "entity_kind": "person",
                    "entity_id": "id-1",
                },
            ]
        ]
    }
    attachment = journal.Attachment(row.row_key, payload)
    store.insert("Things", attachment.row("p"))
    assert log.recover() == 1
    assert len(log.recent(ADMIN.person)) == 1


def test_a_large_audited_change_still_fits_its_journal_row(log, store):
    big = {"text": "あ" * 29_000}
    changes = [Change("person", f"id-{n}", "update", big, big, "") for n in range(99)]
    ops = [BatchOperation("insert", Entity("p", f"r{n:03d}", {"v": n})) for n in range(99)]
    log.apply(ADMIN, changes, lambda: store.batch("Things", ops))
    assert len(log.recent(ADMIN.person, limit=200)) == 99


def test_an_audited_batch_keeps_one_place_for_the_journal_row(log, store):
    ops = [BatchOperation("insert", Entity("p", f"r{n:03d}")) for n in range(100)]
    with pytest.raises(InvalidEntity):
        log.apply(ADMIN, [_change()], lambda: store.batch("Things", ops))
    assert log.recent(ADMIN.person) == [] and store.snapshot() == {}


def _raw_rows(store, table):
    with journal.revealed():
        return list(store.query(table))


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


def test_recovery_skips_a_journal_row_it_cannot_read_and_settles_the_others(log, store):
    store.insert("Junk", journal.Attachment(journal.PREFIX + "x", {"entries": [["m", "k", {}]]}).row("p"))
    log.apply(ADMIN, [_change()], lambda: store.insert("Things", Entity("p", "r")))
    assert log.recover() == 0  # the readable one was settled at once; the unreadable one stays
    assert len(_raw_rows(store, "Junk")) == 1 and len(log.recent(ADMIN.person)) == 1
