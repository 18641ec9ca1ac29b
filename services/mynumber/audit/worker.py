"""Running an audit in a worker process, one at a time, with progress and an in-memory report.

The audit is CPU-heavy (a city's registry is about a million rows); run in the bot's own process
it would hold the GIL and slow every other user's turn. :class:`AuditWorker` runs it in a
separate process (``spawn``), one run at a time: a second request while one runs is refused
politely (:class:`AuditBusy`), so the machine is never asked for two at once.

Progress travels through a small JSON file in the run's private folder, which the caller polls
(:meth:`AuditWorker.progress`). The outcome is a :class:`RunOutcome`: counts, the first items of
each kind (masked), and the Excel report as bytes. The report holds personal data (names,
addresses), so it is kept only in memory, in :class:`ReportVault`, until the person downloads it
or it expires; it is never written to disk or to the store.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from services.mynumber.audit import reader
from services.mynumber.audit.engine import WRONG_NUMBER, Verdict
from services.mynumber.audit.normalise import variant_table
from services.mynumber.audit.report import ReportSettings, build_report
from services.mynumber.audit.run import STAGES, audit_files

TOP_ITEMS = 5


class AuditBusy(Exception):
    """Another audit is running; the message is Japanese."""


@dataclass(frozen=True)
class TopItem:
    record_id: str
    verdict: str
    differs: str
    number_masked: str


@dataclass(frozen=True)
class RunOutcome:
    """What a finished run gives back: no number in clear, no name or address outside ``report``."""

    run_id: str
    counts: Mapping[str, int]
    top: tuple[TopItem, ...]
    report: bytes = field(repr=False)
    records: int = 0
    registry_rows: int = 0
    error: str = ""  # Japanese; set when the inputs could not be read or mapped

    @property
    def wrong_numbers(self) -> int:
        return sum(self.counts.get(v.value, 0) for v in WRONG_NUMBER)


def _write_progress(path: Path, stage: str, done: float) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"stage": stage, "done": done}, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


# polars' allocator (jemalloc) gives freed pages back at once instead of keeping them for reuse: the
# worker's peak memory is what a city's registry needs, not what it once touched (bench/audit.py)
ALLOCATOR_ENVIRONMENT = {"_RJEM_MALLOC_CONF": "dirty_decay_ms:0,muzzy_decay_ms:0"}


def worker_environment() -> None:
    """Runs first in a new worker process, before polars is imported there."""
    for key, value in ALLOCATOR_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    die_with_parent()


def die_with_parent() -> None:
    """On Linux, have the kernel kill this worker when the process that started it dies (a bot
    killed outright must not leave an audit running on, writing into a folder a restart removes)."""
    parent = os.getppid()
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the worker ends at its next write instead
        return
    if os.getppid() != parent:  # the parent died before the call took effect
        os._exit(1)


def run_in_worker(
    run_id: str,
    registry: str,
    records: str,
    workdir: str,
    registry_columns: dict[str, str],
    records_columns: dict[str, str],
    registry_name: str,
    records_name: str,
    started_iso: str,
) -> RunOutcome:
    """The worker process's entry point (module level, so ``spawn`` can import it)."""
    progress_file = Path(workdir) / "progress.json"

    def progress(stage: str, done: float) -> None:
        _write_progress(progress_file, stage, done)

    try:
        result = audit_files(
            Path(registry),
            Path(records),
            Path(workdir),
            registry_columns=registry_columns,
            records_columns=records_columns,
            progress=progress,
        )
    except reader.AuditInputError as error:
        return RunOutcome(run_id, {}, (), b"", error=str(error))
    progress("結果の Excel を作成しています", 0.97)
    settings = ReportSettings(
        run_id,
        datetime.fromisoformat(started_iso),
        registry_name,
        records_name,
        registry_columns,
        records_columns,
        len(variant_table()),
    )
    report = build_report(result, settings)
    counts = {str(k.value): v for k, v in result.counts().items()}
    top: list[TopItem] = []
    for verdict in (*WRONG_NUMBER, Verdict.SHARED, Verdict.MULTIPLE, Verdict.STATUS, Verdict.REVIEW):
        rows = result.records.filter(result.records["verdict"] == verdict.value).head(TOP_ITEMS)
        top += [
            TopItem(r["record_id"] or "", r["verdict"], r["differs"] or "", r["number_masked"])
            for r in rows.iter_rows(named=True)
        ]
    return RunOutcome(
        run_id, counts, tuple(top[: TOP_ITEMS * 2]), report, result.records.height, result.registry_rows
    )


class AuditWorker:
    """One audit at a time in a separate process."""

    def __init__(self, *, executor_factory: Callable[[], ProcessPoolExecutor] | None = None):
        self._executor_factory = executor_factory or (
            lambda: ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=worker_environment
            )
        )
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._running: str | None = None

    @property
    def running(self) -> str | None:
        """The id of the run in progress, if any."""
        return self._running

    def claim(self) -> str:
        """Reserve the worker for a new run and return its id; :class:`AuditBusy` when taken."""
        with self._lock:
            if self._running is not None:
                raise AuditBusy("ほかの点検を実行中です。終わってから、もう一度ファイルを送ってください。")
            self._running = uuid.uuid4().hex[:12]
            return self._running

    def release(self, run_id: str) -> None:
        with self._lock:
            if self._running == run_id:
                self._running = None

    async def run(
        self,
        run_id: str,
        registry: Path,
        records: Path,
        workdir: Path,
        *,
        registry_columns: Mapping[str, str],
        records_columns: Mapping[str, str],
        registry_name: str,
        records_name: str,
        started: datetime,
    ) -> RunOutcome:
        """Run a claimed audit in the worker process; releases the claim when done."""
        try:
            if self._executor is None:
                self._executor = self._executor_factory()
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._executor,
                run_in_worker,
                run_id,
                str(registry),
                str(records),
                str(workdir),
                dict(registry_columns),
                dict(records_columns),
                registry_name,
                records_name,
                started.isoformat(),
            )
        finally:
            self.release(run_id)

    @staticmethod
    def progress(workdir: Path) -> tuple[str, float]:
        """The run's last reported (stage, fraction done)."""
        try:
            data = json.loads((workdir / "progress.json").read_text(encoding="utf-8"))
            return str(data["stage"]), float(data["done"])
        except (OSError, ValueError, KeyError):
            return STAGES[0][0], 0.0

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


@dataclass
class _Held:
    owner: str
    name: str
    data: bytes
    expires: float


class ReportVault:
    """Reports kept in memory for their owner until downloaded or expired (never on disk)."""

    def __init__(self, ttl_seconds: float = 3600, clock: Callable[[], float] = time.monotonic):
        self._ttl = ttl_seconds
        self._clock = clock
        self._held: dict[str, _Held] = {}
        self._lock = threading.Lock()

    def put(self, run_id: str, owner: str, name: str, data: bytes) -> None:
        with self._lock:
            self._sweep()
            self._held[run_id] = _Held(owner, name, data, self._clock() + self._ttl)

    def get(self, run_id: str, owner: str) -> tuple[str, bytes] | None:
        """The report's (file name, bytes) for its owner; None when gone, expired or someone else's."""
        with self._lock:
            self._sweep()
            held = self._held.get(run_id)
            if held is None or held.owner != owner:
                return None
            return held.name, held.data

    def discard(self, run_id: str) -> None:
        with self._lock:
            self._held.pop(run_id, None)

    def _sweep(self) -> None:
        now = self._clock()
        for key in [k for k, v in self._held.items() if v.expires <= now]:
            del self._held[key]
