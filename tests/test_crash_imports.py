"""Issue 18 §4: an import killed outright (SIGKILL) is all or nothing after a restart, and a rerun
imports it once.

The roster import of 250 people takes three batches (a batch is all or nothing, up to 100
operations). The people CLI is killed with the file kept but no person written, and after the
first and after the second batch. Then the app's start-up (``resume_interrupted_import``) or the
same command again finishes it: every person once, one audit entry each, nothing left of the
journal. The 行政手続きオンライン化 Excel import writes one batch; it is killed before and after it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from services.audit.trail import TABLE as AUDIT
from services.audit.trail import AuditLog
from services.kernel.settings import TIMEZONE
from services.people.imports import FILE_PARTITION, JOURNAL_ROW
from services.people.records import PARTITION, TABLE
from storage import open_store
from storage.base import MAX_AUDITED_OPERATIONS
from tests.support import crash

PEOPLE = 250
ADMIN_ROW = "00000000-0000-4000-8000-000000000001,情報 太郎,市長公室,,,管理者,"


def _oid(n: int) -> str:
    return f"00000000-0000-4000-9000-{n:012x}"


def _roster(path: Path) -> Path:
    rows = ["オブジェクトID,氏名,局,部,課・室,ロール,ロール対象", ADMIN_ROW]
    rows += [f"{_oid(n)},職員 {n}号,健康福祉局,,,職員," for n in range(PEOPLE - 1)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _state(data_dir: Path) -> tuple[set[str], bool, int, dict[str, int]]:
    """(object ids on the roster, journal row there, kept file chunks, audit entries per person)."""
    store = open_store(data_dir=data_dir)
    try:
        AuditLog(store, lambda: datetime.now(TIMEZONE)).recover()  # as the app does at start-up
        people = {e.row_key for e in store.query(TABLE, PARTITION, {"kind": "person"})}
        journal = store.get(TABLE, PARTITION, JOURNAL_ROW) is not None
        chunks = sum(1 for _ in store.query(TABLE, FILE_PARTITION))
        entries = list(store.query(AUDIT))
    finally:
        store.close()
    compensated = {e["compensates"] for e in entries if e.get("compensates")}
    per_person: dict[str, int] = {}
    for entry in entries:
        if entry.get("entity_kind") != "person" or entry.get("operation") == "compensation":
            continue
        if entry.row_key in compensated:
            continue
        per_person[entry["entity_id"]] = per_person.get(entry["entity_id"], 0) + 1
    return people, journal, chunks, per_person


def _everyone(people: set[str]) -> set[str]:
    from services.people.records import person_row

    wanted = {_oid(n) for n in range(PEOPLE - 1)} | {"00000000-0000-4000-8000-000000000001"}
    return {person_row(o) for o in wanted} & people


@pytest.mark.parametrize(
    ("point", "restart"),
    [
        ("kept", "startup"),
        ("batch-1", "startup"),
        ("batch-2", "startup"),
        ("batch-1", "rerun"),
        ("batch-2", "rerun"),
    ],
)
def test_a_roster_import_killed_between_batches_is_all_or_nothing_and_a_rerun_imports_it_once(
    tmp_path, point, restart
):
    data_dir = tmp_path / "data"
    file = _roster(tmp_path / "roster.csv")
    process = crash.start(["-m", "tests.support.crash", "roster", str(data_dir), str(file), point])
    crash.wait_for_point(process, point)
    crash.kill(process)

    people, journal, chunks, _ = _state(data_dir)
    if point == "kept":
        assert people == set() and not journal and chunks > 0  # nothing written: nothing to finish
    else:
        # a batch holds MAX_AUDITED_OPERATIONS: the people, the units guard and, in the first, the
        # import's own marker row
        first, per_batch = MAX_AUDITED_OPERATIONS - 2, MAX_AUDITED_OPERATIONS - 1
        written = first if point == "batch-1" else first + per_batch
        assert len(people) == written - 1 and journal and chunks > 0  # half there, and known to be

    if restart == "startup":
        # a file kept by an import that wrote nothing is dropped an hour on (it may be starting now)
        hours = "2" if point == "kept" else "0"
        done = crash.start(["-m", "tests.support.crash", "roster-resume", str(data_dir), hours])
        out, err = done.communicate(timeout=300)
        assert done.returncode == 0, err
        people, journal, chunks, audit = _state(data_dir)
        if point == "kept":
            assert out.strip() == "nothing to resume" and people == set()  # all or nothing: nothing
        else:
            assert out.strip() == "resumed" and len(_everyone(people)) == PEOPLE  # all
        assert not journal and chunks == 0

    rerun = crash.start(["-m", "services.people", "import-roster", str(file)], {"DATA_DIR": str(data_dir)})
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    people, journal, chunks, audit = _state(data_dir)
    assert len(people) == PEOPLE and len(_everyone(people)) == PEOPLE
    assert not journal and chunks == 0
    assert len(audit) == PEOPLE and set(audit.values()) == {1}  # imported once: one entry each

    again = crash.start(["-m", "services.people", "import-roster", str(file)], {"DATA_DIR": str(data_dir)})
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert _state(data_dir)[3] == audit  # a third time changes nothing


def test_an_import_that_fits_one_batch_keeps_no_journal(tmp_path):
    from tests.support import people as fx

    store = open_store(data_dir=tmp_path)
    try:
        service = fx.load_fixtures(store)
        assert len(list(store.query(TABLE, PARTITION, {"kind": "person"}))) > 1
        assert store.get(TABLE, PARTITION, JOURNAL_ROW) is None
        assert list(store.query(TABLE, FILE_PARTITION)) == []
        assert service.resume_interrupted_import() is None
    finally:
        store.close()


# --- 行政手続きオンライン化: the Excel import, one batch ---------------------------------------------

IN_Q2 = "2023-09-20"


def _op_service(store):
    from services.online_procedures.service import OnlineProceduresService

    return OnlineProceduresService(store, lambda: datetime.now(TIMEZONE), alert_days=5, escalation_days=10)


def _op_snapshot(data_dir: Path) -> tuple[list, dict[str, int], int]:
    """(the live table's rows, each bureau's ledger version, 財政局's import entries in the audit)."""
    from datetime import date

    store = open_store(data_dir=data_dir)
    try:
        AuditLog(store, lambda: datetime.now(TIMEZONE)).recover()  # as the app does at start-up
        service = _op_service(store)
        rows = service.table(_system().person, date.fromisoformat(IN_Q2)).rows
        versions = {x.bureau: x.version for x in service.ledgers()}
        entries = list(store.query(AUDIT))
    finally:
        store.close()
    compensated = {e["compensates"] for e in entries if e.get("compensates")}
    finance = sum(
        1
        for e in entries
        if e.get("entity_id") == "財政局" and e.get("operation") == "import" and e.row_key not in compensated
    )
    return list(rows), versions, finance


@pytest.mark.parametrize("point", ["before", "after"])
def test_an_excel_import_killed_at_its_write_is_all_or_nothing_and_a_rerun_imports_it_once(tmp_path, point):
    import io
    from datetime import date

    from openpyxl import load_workbook

    from services.kernel.seed import load_seed, seed_store

    data_dir = tmp_path / "data"
    store = open_store(data_dir=data_dir)
    try:
        seed_store(store, load_seed(crash.ROOT / "data"))
        exported = _op_service(store).export_xlsx(_system().person, date.fromisoformat(IN_Q2))
    finally:
        store.close()
    book = load_workbook(io.BytesIO(exported))
    sheet = book.worksheets[0]
    for ref, value in {"F6": 2, "H6": None, "F25": 64, "H25": 511}.items():  # 財政局: 2 moved to 7～9月
        sheet[ref] = value
    file = tmp_path / "更新.xlsx"
    book.save(file)
    before_rows, before_versions, _ = _op_snapshot(data_dir)

    process = crash.start(["-m", "tests.support.crash", "op-import", str(data_dir), str(file), IN_Q2, point])
    crash.wait_for_point(process, point)
    crash.kill(process)

    rows, versions, finance = _op_snapshot(data_dir)
    if point == "before":
        assert rows == before_rows and versions == before_versions  # nothing
    else:
        changed = {b for b in versions if versions[b] != before_versions[b]}
        assert changed == {"財政局"} and versions["財政局"] == before_versions["財政局"] + 1  # all
        assert finance == 1
    after_kill = rows

    rerun = crash.start(
        ["-m", "services.online_procedures", "--as-of", IN_Q2, "import", str(file)],
        {"DATA_DIR": str(data_dir)},
    )
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    rows, versions, finance = _op_snapshot(data_dir)
    assert versions["財政局"] == before_versions["財政局"] + 1  # imported once
    assert {b: v for b, v in versions.items() if b != "財政局"} == {
        b: v for b, v in before_versions.items() if b != "財政局"
    }
    assert rows != before_rows and (point == "before" or rows == after_kill)
    if point == "after":
        assert finance == 1  # the rerun found nothing to change


def _system():
    from services.people.identity import system_actor

    return system_actor("テスト", "test")


def test_a_journal_that_cannot_be_finished_is_given_up_audited_and_imports_work_again(tmp_path):
    from storage.base import Entity
    from tests.fakes import InMemoryTableStore
    from tests.support import people as fx

    store = InMemoryTableStore()
    service = fx.load_fixtures(store)
    marker = {
        "kind": "roster_import",
        "import_id": "x-1",
        "chunks": 2,
        "actor_name": "誰か",
        "filename": "r.csv",
    }
    store.insert(TABLE, Entity(PARTITION, JOURNAL_ROW, marker))  # its kept file never made it
    assert service.resume_interrupted_import() is None
    assert store.get(TABLE, PARTITION, JOURNAL_ROW) is None
    entries = [e for e in store.query(AUDIT) if e.get("entity_kind") == "roster_import"]
    assert [e["operation"] for e in entries] == ["abandon"]
    roster = _roster(tmp_path / "roster.csv")
    result = service.import_roster(_system(), roster.read_bytes(), "roster.csv")
    assert result.created == PEOPLE - 1  # the fixtures' admin is already there
    assert store.get(TABLE, PARTITION, JOURNAL_ROW) is None and list(store.query(TABLE, FILE_PARTITION)) == []
    kinds = [e["operation"] for e in store.query(AUDIT) if e.get("entity_kind") == "roster_import"]
    assert sorted(kinds) == ["abandon", "complete", "start"]  # the journaled import, start and end


class _Killed(BaseException):
    """Stands for SIGKILL inside one process: nothing after it runs (not even except Exception)."""


@pytest.mark.azurite
def test_on_azure_tables_a_roster_import_cut_after_its_first_batch_is_finished_at_start_up(
    azurite_connection_string, tmp_path
):
    import uuid

    from storage.azure import AzureTableStore
    from tests.support import people as fx
    from tests.support.prefixed_store import PrefixedStore

    store = PrefixedStore(AzureTableStore(azurite_connection_string), "crash" + uuid.uuid4().hex[:8])
    try:
        service = fx.load_fixtures(store)
        roster = _roster(tmp_path / "roster.csv").read_bytes()
        batch = store.batch
        people_batches = []

        def cut(table, operations):
            result = batch(table, operations)
            if table == TABLE and operations[0].entity.partition_key == PARTITION:
                people_batches.append(len(operations))
                raise _Killed
            return result

        store.batch = cut  # type: ignore[method-assign]
        with pytest.raises(_Killed):
            service.import_roster(_system(), roster, "roster.csv")
        store.batch = batch  # type: ignore[method-assign]
        on_roster = {e.row_key for e in store.query(TABLE, PARTITION, {"kind": "person"})}
        assert store.get(TABLE, PARTITION, JOURNAL_ROW) is not None and 90 < len(on_roster) < PEOPLE

        from services.people.service import PeopleService

        restarted = PeopleService(store, lambda: datetime.now(TIMEZONE))
        assert restarted.resume_interrupted_import() is not None
        on_roster = {e.row_key for e in store.query(TABLE, PARTITION, {"kind": "person"})}
        assert len(_everyone(on_roster)) == PEOPLE and store.get(TABLE, PARTITION, JOURNAL_ROW) is None
        assert list(store.query(TABLE, FILE_PARTITION)) == []
        assert people_batches == [MAX_AUDITED_OPERATIONS]  # the marker, the people and the guards
    finally:
        store.close()
