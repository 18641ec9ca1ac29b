"""Killing a process at a chosen point: drivers that run the real code in a subprocess and announce
each point on stdout (``POINT <name>``), and helpers to wait for a point and SIGKILL there.

    python -m tests.support.crash audit-cli REGISTRY RECORDS OUT POINT   # read | engine | report
    python -m tests.support.crash audit-bot AREA REGISTRY RECORDS POINT  # uploaded | running

A point that must hold still until the kill (``read``, ``report``, ``uploaded``) sleeps there; the
others go on running, so the kill lands somewhere after the point.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOLD = 120.0


def announce(point: str, extra: str = "") -> None:
    print(f"POINT {point} {extra}".rstrip(), flush=True)


def start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_point(process: subprocess.Popen[str], point: str, timeout: float = 120.0) -> str:
    """Read the driver's stdout until ``POINT <point>``; returns the rest of that line."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            _, err = process.communicate(timeout=10)
            raise AssertionError(f"the driver ended before {point} (rc {process.returncode}): {err[-3000:]}")
        if line.startswith(f"POINT {point}"):
            return line[len(f"POINT {point}") :].strip()
    raise AssertionError(f"no {point} within {timeout} s")


def kill(process: subprocess.Popen[str]) -> None:
    """SIGKILL and reap (a zombie would still count as alive)."""
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL


def gone(pid: int, timeout: float = 15.0) -> bool:
    """True once ``pid`` no longer runs (a zombie nobody reaped counts as gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
        except (OSError, IndexError):
            return True
        if state in "ZX":
            return True
        time.sleep(0.05)
    return False


# --- drivers ------------------------------------------------------------------------------------


def _audit_cli(registry: str, records: str, out: str, point: str) -> int:
    from services.mynumber.audit import __main__ as cli
    from services.mynumber.audit import engine, reader, run

    if point == "read":
        original_read = reader.read_table

        def read_table(*args, **kwargs):
            frame = original_read(*args, **kwargs)
            announce("read")
            time.sleep(HOLD)
            return frame

        reader.read_table = read_table  # type: ignore[assignment]
    elif point == "engine":
        original_audit = engine.audit

        def audit(*args, **kwargs):
            announce("engine")
            return original_audit(*args, **kwargs)

        engine.audit = audit  # type: ignore[assignment]
    elif point == "report":
        original_replace = os.replace

        def replace(src, dst, *args, **kwargs):
            if Path(dst) == Path(out):
                announce("report")
                time.sleep(HOLD)
            return original_replace(src, dst, *args, **kwargs)

        run.os.replace = replace  # type: ignore[assignment]
    return cli.main([registry, records, "--out", out, "--yes", "--quiet"])


def _audit_bot(area_dir: str, registry: str, records: str, point: str) -> int:
    import asyncio
    import shutil
    from datetime import datetime

    from services.mynumber.audit import reader
    from services.mynumber.audit.uploads import UploadArea
    from services.mynumber.audit.worker import AuditWorker

    folder = UploadArea(Path(area_dir)).new_folder()
    shutil.copy(registry, folder / "registry.csv")
    shutil.copy(records, folder / "records.csv")
    if point == "uploaded":
        announce("uploaded", str(folder))
        time.sleep(HOLD)

    async def main() -> None:
        worker = AuditWorker()
        run_id = worker.claim()
        mappings = {
            role: dict(
                reader.detect_mapping(reader.read_table(folder / f"{role}.csv", folder).columns, role).columns
            )
            for role in ("registry", "records")
        }
        task = asyncio.ensure_future(
            worker.run(
                run_id,
                folder / "registry.csv",
                folder / "records.csv",
                folder,
                registry_columns=mappings["registry"],
                records_columns=mappings["records"],
                registry_name="住基.csv",
                records_name="業務.csv",
                started=datetime.now().astimezone(),
            )
        )
        while not (worker._executor and worker._executor._processes):  # type: ignore[attr-defined]
            await asyncio.sleep(0.01)
        pids = list(worker._executor._processes)  # type: ignore[attr-defined]
        while not (folder / "progress.json").exists():
            await asyncio.sleep(0.01)
        announce("running", f"{folder} {' '.join(map(str, pids))}")
        await task

    asyncio.run(main())
    return 0


def _roster(data_dir: str, file: str, point: str) -> int:
    """``import-roster`` through the people CLI, held at ``point``: ``kept`` (the file kept, no
    person written yet) or ``batch-N`` (the N-th batch of people committed)."""
    os.environ["DATA_DIR"] = data_dir
    from services.people.cli import main
    from storage.sqlite import SqliteTableStore

    original = SqliteTableStore.batch
    done = {"people": 0}

    def batch(self, table, operations):
        result = original(self, table, operations)
        if table == "People" and operations:
            partition = operations[0].entity.partition_key
            if partition == "roster-import" and point == "kept":
                announce("kept")
                time.sleep(HOLD)
            if partition == "people":
                done["people"] += 1
                if point == f"batch-{done['people']}":
                    announce(point)
                    time.sleep(HOLD)
        return result

    SqliteTableStore.batch = batch  # type: ignore[method-assign]
    return main(["import-roster", file])


def _roster_resume(data_dir: str, hours_later: str = "0") -> int:
    """What the app does at start-up: finish an import a crash cut short (``hours_later``: the
    restart's clock, so long after the crash)."""
    from datetime import datetime, timedelta

    from services.kernel.settings import TIMEZONE
    from services.people.service import PeopleService
    from storage import open_store

    store = open_store(data_dir=Path(data_dir))
    try:
        later = timedelta(hours=float(hours_later))
        resumed = PeopleService(store, lambda: datetime.now(TIMEZONE) + later).resume_interrupted_import()
        print("resumed" if resumed else "nothing to resume", flush=True)
    finally:
        store.close()
    return 0


def _op_import(data_dir: str, file: str, as_of: str, point: str) -> int:
    """``python -m services.online_procedures import`` held just before (``before``) or just after
    (``after``) its one batch of ledgers."""
    os.environ["DATA_DIR"] = data_dir
    from services.online_procedures.cli import main
    from storage.sqlite import SqliteTableStore

    original = SqliteTableStore.batch

    def batch(self, table, operations):
        if table == "OnlineProcedures" and point == "before":
            announce("before")
            time.sleep(HOLD)
        result = original(self, table, operations)
        if table == "OnlineProcedures" and point == "after":
            announce("after")
            time.sleep(HOLD)
        return result

    SqliteTableStore.batch = batch  # type: ignore[method-assign]
    return main(["--as-of", as_of, "import", file])


FANOUT_FIRE = "2026-07-13T09:00:00+09:00"  # a Monday: the weekly digest's period


def _fanout(data_dir: str, url: str, managers: str, mode: str) -> int:
    """The weekly digest to ``managers`` managers through the real delivery path (planner, outbox,
    dispatcher, ProactiveSender, CloudAdapter) on SQLite: ``first`` seeds the store and runs the
    job; ``restart`` is the next start, ten minutes on (every lease has run out): it recovers."""
    import asyncio
    from datetime import datetime, timedelta

    from app import RUNTIME_KEY, create_app, now_jst
    from bot.settings import Settings
    from services.kernel.seed import load_seed, seed_store
    from services.proactive.jobs import WEEKLY_DIGEST, ManagerContact, StaticRoster
    from storage.sqlite import SqliteTableStore
    from tests.support.proactive import install_personal

    store = SqliteTableStore(Path(data_dir) / "fanout.sqlite3")
    contacts = [ManagerContact(f"crash-{n:04d}", f"管理職{n}", "健康福祉局") for n in range(int(managers))]

    async def main() -> None:
        if mode == "first":
            seed_store(store, load_seed(ROOT / "data"))
            clock = now_jst
        else:
            clock = lambda: now_jst() + timedelta(minutes=10)  # noqa: E731
        app = create_app(Settings(data_dir=Path(data_dir)), store=store, clock=clock)
        proactive = app[RUNTIME_KEY].proactive
        proactive.planner.roster = StaticRoster(contacts)
        if mode == "first":
            for contact in contacts:
                install_personal(proactive.directory, contact.object_id, url)
            announce("ready")
            await proactive.runner.run(
                WEEKLY_DIGEST, datetime.fromisoformat(FANOUT_FIRE), trigger="crash-test"
            )
        else:
            await proactive.runner.recover()
        announce("done")

    asyncio.run(main())
    store.close()
    return 0


DRIVERS = {
    "fanout": _fanout,
    "op-import": _op_import,
    "audit-cli": _audit_cli,
    "audit-bot": _audit_bot,
    "roster": _roster,
    "roster-resume": _roster_resume,
}

if __name__ == "__main__":
    kind, *rest = sys.argv[1:]
    sys.exit(DRIVERS[kind](*rest))
