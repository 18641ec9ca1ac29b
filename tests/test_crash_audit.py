"""Issue 18 §4: a My Number linkage audit killed outright (SIGKILL) leaves nothing behind after a
restart, and offers nothing half-written.

The command line (``python -m services.mynumber.audit``) is killed while reading its inputs (the
transcoded copy is in its private folder), while matching, and while its report is being put in
place; the bot's side (an upload folder and the worker process) is killed with the files received
and while the worker runs. After each kill the leftovers are there (the kill was real); after the
restart (the next run, or the app's start-up sweep) they are gone, the worker died with the bot,
and the report is whole or absent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bench.audit_data import generate
from services.mynumber.audit.run import WORKDIR_PREFIX
from services.mynumber.audit.uploads import PREFIX, UploadArea
from tests.support import crash
from tests.support.leakscan import inputs_dir

WAIT_MINUTES = 30  # the sweep at start-up removes stale folders by age too; a restart must not wait


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    folder = inputs_dir(tmp_path_factory.mktemp("crash-audit"))
    generate(folder, 3000, 2900, seed=3)
    return folder


def _leftovers(folder: Path, pattern: str) -> list[Path]:
    return sorted(folder.glob(pattern))


@pytest.mark.parametrize("point", ["read", "engine", "report"])
def test_a_killed_cli_audit_leaves_nothing_after_the_next_run(inputs, tmp_path, point):
    temp = tmp_path / "tmp"
    temp.mkdir()
    out = tmp_path / "out" / "結果.xlsx"
    out.parent.mkdir()
    env = {"TMPDIR": str(temp)}
    args = [str(inputs / "registry.csv"), str(inputs / "records.csv"), str(out)]
    process = crash.start(["-m", "tests.support.crash", "audit-cli", *args, point], env)
    crash.wait_for_point(process, point)
    crash.kill(process)

    # the kill was real: a private working folder (and, at the report, a hidden partial) is left
    left = _leftovers(temp, WORKDIR_PREFIX + "*") + _leftovers(out.parent, ".*.partial")
    assert left, "the kill left nothing: it did not land where it should"
    assert not out.exists()  # nothing half-written under the name the user asked for
    for path in _leftovers(out.parent, ".*.partial"):
        assert oct(path.stat().st_mode & 0o777) == "0o600"

    rerun = crash.start(
        ["-m", "services.mynumber.audit", *args[:2], "--out", str(out), "--yes", "--quiet"], env
    )
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert _leftovers(temp, WORKDIR_PREFIX + "*") == []
    assert [p.name for p in out.parent.iterdir()] == [out.name]
    assert load_workbook(out, read_only=True).sheetnames  # whole: it opens


def test_a_killed_cli_run_does_not_remove_another_live_runs_folder(tmp_path):
    from services.mynumber.audit.run import private_workdir

    live = tmp_path / f"{WORKDIR_PREFIX}{os.getppid()}-live"  # a live process (pytest's parent)
    live.mkdir()
    dead = tmp_path / f"{WORKDIR_PREFIX}{_dead_pid()}-dead"
    dead.mkdir()
    (dead / "registry.utf8.csv").write_text("x")
    with private_workdir(tmp_path) as work:
        assert work.name.startswith(f"{WORKDIR_PREFIX}{os.getpid()}-")
        assert live.is_dir() and not dead.exists()
    assert not work.exists() and live.is_dir()


@pytest.mark.parametrize("point", ["uploaded", "running"])
def test_a_killed_bot_leaves_no_upload_and_no_worker_after_restart(inputs, tmp_path, point):
    area_dir = tmp_path / "uploads"
    process = crash.start(
        [
            "-m",
            "tests.support.crash",
            "audit-bot",
            str(area_dir),
            str(inputs / "registry.csv"),
            str(inputs / "records.csv"),
            point,
        ]
    )
    folder, *workers = crash.wait_for_point(process, point).split()
    crash.kill(process)

    assert Path(folder).is_dir() and (Path(folder) / "records.csv").is_file()  # the kill was real
    for pid in map(int, workers):  # the worker died with the bot: it did not go on to the end
        assert crash.gone(pid, timeout=120), f"audit worker {pid} outlived the bot"
        stage = json.loads((Path(folder) / "progress.json").read_text(encoding="utf-8"))
        assert stage["done"] < 0.9, f"the worker went on after the bot died: {stage}"
    # the restart: AuditRuntime.from_settings sweeps the area at start-up
    area = UploadArea(area_dir)
    assert area.sweep(WAIT_MINUTES * 60) == 1
    assert list(area_dir.iterdir()) == []


def test_the_start_up_sweep_keeps_a_live_process_folder_and_an_unknown_name(tmp_path):
    area = UploadArea(tmp_path)
    mine = area.new_folder()
    other = tmp_path / f"{PREFIX}{os.getppid()}-other"
    other.mkdir()
    old_style = tmp_path / f"{PREFIX}abcdefgh"  # made before folder names carried a process id
    old_style.mkdir()
    dead = tmp_path / f"{PREFIX}{_dead_pid()}-x"
    dead.mkdir()
    assert area.sweep(WAIT_MINUTES * 60) == 1
    assert mine.is_dir() and other.is_dir() and old_style.is_dir() and not dead.exists()


def test_a_session_whose_files_went_with_a_restart_asks_for_them_again(tmp_path):
    from datetime import datetime, timedelta

    from services.kernel.settings import TIMEZONE
    from services.mynumber.audit.uploads import CONFIRM, WAITING, AuditSession, AuditSessions, UploadedFile
    from tests.fakes import InMemoryTableStore

    sessions = AuditSessions(
        InMemoryTableStore(), lambda: datetime(2026, 12, 1, tzinfo=TIMEZONE), timedelta(minutes=30)
    )
    folder = UploadArea(tmp_path).new_folder()
    file = UploadedFile("住基.csv", "registry.csv", ("個人番号",), 10)
    sessions.save(AuditSession("u1", "財政局", "op1", CONFIRM, str(folder), file, file))
    assert sessions.get("u1").complete  # type: ignore[union-attr]
    folder.rmdir()  # the start-up sweep after a restart
    got = sessions.get("u1")
    assert (
        got is not None
        and got.state == WAITING
        and not got.folder
        and got.registry is None
        and not got.complete
    )


def _dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(done.stdout)
