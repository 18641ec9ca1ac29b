"""Process crashes and the audit trail: after SIGKILLs in the middle of audited writes, and the
recovery at the next start, the trail holds an entry exactly for each change that was saved,
and every acknowledged change is saved.

A writer process (tests/support/audited_writer.py) makes audited changes in a loop; it is killed
at random moments, restarted, killed again. Then ``AuditLog.recover`` runs (as ``create_app``
does at start-up) and the table and the trail are compared one to one.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.audit.trail import AuditLog
from services.people.identity import system_actor
from storage import journal, open_store
from storage.base import TableStore

ROOT = Path(__file__).resolve().parents[2]
KILLS = 8
ADMIN = system_actor("監査確認", "crash-check").person


def _kill_repeatedly(target: str, table: str, seed: int) -> list[str]:
    """Start the writer KILLS times, SIGKILL it at a random moment each time; the lines it printed."""
    rng = random.Random(seed)
    acknowledged: list[str] = []
    for _ in range(KILLS):
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.audited_writer", target, table],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert process.stdout is not None
        first = process.stdout.readline()  # it is writing
        assert first.startswith("saved"), (first, process.wait(timeout=30))
        acknowledged.append(first.strip())
        time.sleep(rng.uniform(0.05, 0.4))
        process.send_signal(signal.SIGKILL)
        rest, _ = process.communicate(timeout=30)
        acknowledged += [line for line in rest.splitlines() if line.startswith("saved")]
    return acknowledged


def _check(store: TableStore, table: str, acknowledged: list[str]) -> dict[str, int]:
    log = AuditLog(store, lambda: datetime.now(UTC))  # the writer's clock
    settled = log.recover([table])  # the shared Azurite holds other tests' tables too
    rows = {e.row_key for e in store.query(table, "rows")}
    counter = store.get(table, "counter", "c")
    entries = [e for e in log.recent(ADMIN, limit=100_000, months=2)]
    created = [e.entity_id for e in entries if e.entity_kind == "thing"]
    counted = sorted(e.after["n"] for e in entries if e.entity_kind == "counter")
    # every acknowledged change is saved
    assert {a.split()[1] for a in acknowledged if a.startswith("saved r")} <= rows
    acked_counts = [int(a.split()[2]) for a in acknowledged if a.startswith("saved counter")]
    assert counter is not None and max(acked_counts, default=0) <= counter["n"]
    # exactly one entry per saved change, and none for a change that was not saved
    assert sorted(created) == sorted(rows)
    assert counted == list(range(1, counter["n"] + 1))
    # no journal row is left behind
    assert [r for t, r in journal.pending(store, skip="Audit") if t.lower() == table.lower()] == []
    return {"rows": len(rows), "counter": counter["n"], "entries": len(entries), "settled": settled}


def test_kills_during_audited_writes_on_sqlite_leave_one_entry_per_saved_change(tmp_path):
    table = "Crash" + uuid.uuid4().hex[:8]
    acknowledged = _kill_repeatedly(str(tmp_path), table, seed=1)
    store = open_store(data_dir=tmp_path)
    try:
        figures = _check(store, table, acknowledged)
    finally:
        store.close()
    print(f"SQLite: {KILLS} kills, {figures}")


@pytest.mark.azurite
def test_kills_during_audited_writes_on_azurite_leave_one_entry_per_saved_change(
    azurite_connection_string, tmp_path
):
    table = "Crash" + uuid.uuid4().hex[:8]
    acknowledged = _kill_repeatedly(azurite_connection_string, table, seed=2)
    store = open_store(data_dir=tmp_path, azure_connection_string=azurite_connection_string)
    try:
        figures = _check(store, table, acknowledged)
    finally:
        store.close()
    print(f"Azurite: {KILLS} kills, {figures}")
