"""The threads that run storage calls, how many calls may be in the store at once, and the health
check that never waits behind them (issue 18 §4, docs/operations.md "When storage is down").

The port is synchronous (``storage.base``): the bot runs every service call in a worker thread
(``asyncio.to_thread`` in the dialogs and the state storage). Left alone those threads are the
event loop's default pool (``min(32, cores + 4)``: 6 threads on a 2-core machine), shared with the
health check; a store that hangs then takes every thread and every request, ``/healthz`` included,
waits behind it. So:

- :class:`StoragePool` gives the loop a dedicated pool of ``STORAGE_THREADS`` threads (installed as
  the loop's default executor at start-up, so the dialogs' ``asyncio.to_thread`` calls run there);
- :class:`GuardedStore`, the store every service gets, lets at most ``STORAGE_MAX_IN_FLIGHT`` calls
  into the store at once (fewer than the threads, so some are always free); a call that gets no slot
  within ``STORAGE_QUEUE_SECONDS`` raises :class:`StorageBusy` at once instead of queueing;
- a store failure that is not a domain answer (a timeout, a refused connection, a locked file: a
  bare ``StorageError`` from the backends) becomes :class:`StorageUnavailable`;
- the turn error handler (``bot.adapter``) answers both in Japanese: nothing was saved, or, when the
  turn had already sent a write to the store (:func:`track_turn_writes`), that it could not be
  confirmed whether the change was saved (a write whose answer never came may still be carried out);
- :meth:`StoragePool.healthy` pings the store in a thread of its own, one ping at a time (callers
  that arrive meanwhile share it), and answers within ``HEALTHZ_TIMEOUT_SECONDS`` whatever it does.

The backends bound each call in time (``storage.StoreTimeouts``), so a slot is held no longer than
one call's timeout: a hung store costs at most ``STORAGE_MAX_IN_FLIGHT`` threads for that long.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from services.kernel.settings import Settings
from storage.base import BatchOperation, Entity, StorageError, TableStore

logger = logging.getLogger(__name__)

T = TypeVar("T")

QUERY_CHUNK = 1000  # entities a query reads per slot: a page of either backend

STORAGE_DOWN_MESSAGE = (
    "申し訳ありません。記録の保存先に接続できないため、今回の操作は保存されていません。"
    "しばらくしてからもう一度お試しください。解決しない場合は ICTイノベーション推進室にお問い合わせください。"
)
STORAGE_BUSY_MESSAGE = (
    "ただいま混み合っています。今回の操作は保存されていません。少し時間をおいてからもう一度お試しください。"
)
STORAGE_UNCONFIRMED_MESSAGE = (
    "申し訳ありません。記録の保存先からの応答が途中で途絶えたため、今回の操作が保存されたかどうかを"
    "確認できませんでした。しばらくしてから内容をお確かめのうえ、必要ならもう一度お試しください。"
)


@dataclass
class TurnWrites:
    """How many writes of this turn were carried out, or may have been (sent, but no answer came);
    a write the store refused or never received does not count. Set per request by
    :func:`track_turn_writes`."""

    attempted: int = 0


# The current turn's writes. ``asyncio.to_thread`` copies the context into the worker thread, so the
# store sees the same holder as the turn that called it.
_TURN_WRITES: ContextVar[TurnWrites | None] = ContextVar("turn_writes", default=None)


def track_turn_writes() -> TurnWrites:
    """Count the writes of the turn that runs in this context (``bot.runtime`` calls it per request)."""
    writes = TurnWrites()
    _TURN_WRITES.set(writes)
    return writes


class StorageUnavailable(StorageError):
    """The store did not answer in time or failed (not a domain answer such as an ETag conflict)."""


class StorageBusy(StorageError):
    """Every slot for a storage call stayed taken for ``STORAGE_QUEUE_SECONDS``: refused, not queued."""


def storage_outage_message(error: BaseException) -> str | None:
    """The Japanese answer for a turn that failed because storage could not be used, else None.

    "Nothing was saved" only when it is true: once the turn has sent a write, a write whose answer
    never came (a read timeout, a dropped connection) may still be carried out by the store."""
    if not isinstance(error, StorageBusy | StorageUnavailable):
        return None
    writes = _TURN_WRITES.get()
    if writes is not None and writes.attempted:
        return STORAGE_UNCONFIRMED_MESSAGE
    return STORAGE_BUSY_MESSAGE if isinstance(error, StorageBusy) else STORAGE_DOWN_MESSAGE


class GuardedStore(TableStore):
    """A TableStore that lets at most ``max_in_flight`` calls into ``inner`` at once.

    A query holds a slot while it reads a page (up to :data:`QUERY_CHUNK` entities), not while the
    caller iterates over it.
    """

    def __init__(self, inner: TableStore, max_in_flight: int, queue_seconds: float) -> None:
        self.inner = inner
        self.max_in_flight = max_in_flight
        self._queue_seconds = queue_seconds
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._count_lock = threading.Lock()
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        """Calls in the store right now."""
        return self._in_flight

    def _enter(self) -> None:
        if not self._slots.acquire(timeout=self._queue_seconds):
            logger.warning("storage busy: %d calls in the store; a call was refused", self.max_in_flight)
            raise StorageBusy(f"{self.max_in_flight} storage calls in flight for {self._queue_seconds:g} s")
        with self._count_lock:
            self._in_flight += 1

    def _leave(self) -> None:
        with self._count_lock:
            self._in_flight -= 1
        self._slots.release()

    def _call(self, function: Callable[..., T], *args: Any, write: bool = False) -> T:
        self._enter()
        writes = _TURN_WRITES.get() if write else None
        try:
            result = function(*args)
        except StorageError as error:
            outage = _outage(error)
            if writes is not None and outage is not error and _maybe_applied(error):
                writes.attempted += 1  # sent, but its answer never came
            raise outage from error
        finally:
            self._leave()
        if writes is not None:
            writes.attempted += 1
        return result

    def get(self, table: str, partition_key: str, row_key: str) -> Entity | None:
        return self._call(self.inner.get, table, partition_key, row_key)

    def query(
        self,
        table: str,
        partition_key: str | None = None,
        where: Mapping[str, Any] | None = None,
    ) -> Iterator[Entity]:
        # the backends validate here and read lazily: no slot is needed until the first next()
        return self._iterate(self.inner.query(table, partition_key, where))

    def _iterate(self, entities: Iterator[Entity]) -> Iterator[Entity]:
        # A slot only while entities are read (a backend page at a time), never while the caller
        # works on them: callers often use the store inside the loop, and a slot held across it
        # would make such loops wait on each other for slots.
        while True:
            self._enter()
            try:
                chunk = list(itertools.islice(entities, QUERY_CHUNK))
            except StorageError as error:
                raise _outage(error) from error
            finally:
                self._leave()
            yield from chunk
            if len(chunk) < QUERY_CHUNK:
                return

    def insert(self, table: str, entity: Entity) -> Entity:
        return self._call(self.inner.insert, table, entity, write=True)

    def upsert(self, table: str, entity: Entity, etag: str | None = None) -> Entity:
        return self._call(self.inner.upsert, table, entity, etag, write=True)

    def delete(self, table: str, partition_key: str, row_key: str, etag: str | None = None) -> None:
        self._call(self.inner.delete, table, partition_key, row_key, etag, write=True)

    def batch(self, table: str, operations: list[BatchOperation]) -> list[Entity | None]:
        return self._call(self.inner.batch, table, operations, write=True)

    def tables(self) -> list[str]:
        return self._call(self.inner.tables)

    def ping(self) -> bool:
        return self.inner.ping()

    def close(self) -> None:
        self.inner.close()


def _maybe_applied(error: BaseException) -> bool:
    """Whether a failed write may still be carried out: its request reached the store and no answer
    came back (azure-core's ``ServiceResponseError``: a read timeout, a dropped connection). A refused
    connection sent nothing, an error answer applied nothing, and SQLite rolls a failed write back."""
    cause, seen = error.__cause__, set()
    while cause is not None and id(cause) not in seen:  # a chain may loop back on itself
        if any(kind.__name__ == "ServiceResponseError" for kind in type(cause).__mro__):
            return True
        seen.add(id(cause))
        cause = cause.__cause__
    return False


def _outage(error: StorageError) -> StorageError:
    """A bare StorageError (what the backends raise for timeouts, refused connections, a locked
    file, a server error) as :class:`StorageUnavailable`; domain answers pass unchanged."""
    if type(error) is StorageError:
        logger.warning("storage unavailable: %s", error)
        return StorageUnavailable(str(error))
    return error


class StoragePool:
    """The dedicated pool for storage calls, the guarded store, and the health check's own thread."""

    def __init__(self, store: TableStore, settings: Settings) -> None:
        self.raw = store
        self.store = GuardedStore(store, settings.storage_max_in_flight, settings.storage_queue_seconds)
        self.threads = settings.storage_threads
        self.health_timeout = settings.healthz_timeout_seconds
        self._executor: ThreadPoolExecutor | None = None
        self._health_executor: ThreadPoolExecutor | None = None
        self._ping: asyncio.Future[bool] | None = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Make the pool the loop's default executor (what ``asyncio.to_thread`` uses)."""
        self._executor = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="storage")
        loop.set_default_executor(self._executor)
        logger.info(
            "storage pool: %d threads, at most %d storage calls at once",
            self.threads,
            self.store.max_in_flight,
        )

    def shutdown(self, loop: asyncio.AbstractEventLoop) -> None:
        """Stop the pools; the loop gets a plain default executor back for whatever runs after."""
        if self._executor is not None:
            loop.set_default_executor(ThreadPoolExecutor(thread_name_prefix="asyncio"))
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        if self._health_executor is not None:
            self._health_executor.shutdown(wait=False, cancel_futures=True)
            self._health_executor = None

    async def healthy(self) -> bool:
        """Whether the store answers a ping within ``HEALTHZ_TIMEOUT_SECONDS``: never waits longer,
        whatever the store or the storage threads are doing."""
        loop = asyncio.get_running_loop()
        if self._health_executor is None:
            self._health_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz")
        if self._ping is None or self._ping.done():
            self._ping = loop.run_in_executor(self._health_executor, self.raw.ping)
        try:
            return await asyncio.wait_for(asyncio.shield(self._ping), self.health_timeout)
        except TimeoutError:
            logger.warning("storage health check: no answer within %g s", self.health_timeout)
            return False
        except Exception:
            logger.exception("storage health check failed")
            return False
