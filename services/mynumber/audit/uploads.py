"""The Teams side of an audit run, kept between turns: who is sending files for which operation, and
the private folders the files are written to.

**Sessions** (:class:`AuditSessions`) live in the TableStore, one per person (partition: their object
id; row ``upload``), with an expiry: the bot waits for two files (the registry extract and the
business records) for an operation, then shows the detected column mapping, then runs. A session
holds the operation, the state, the folder, and per file its original name, the name it was saved
under and its header row. Never the content: a file stays on disk, never in the store.

**Folders** (:class:`UploadArea`): each session gets a folder of its own (mode 0700) under one
parent. It is removed after the run, on failure too, on cancel and when the session expires; a
sweep removes what a crash left behind: a folder's name carries the id of the process that made it,
and a folder whose process is gone is removed at the next sweep whatever its age (the app sweeps at
start-up, so after a restart or a crash no uploaded file is left). Only folders under the parent with
the area's prefix are ever removed, whatever a stored session says. A session whose folder is gone
(removed at a restart) comes back without its files: the person is asked for them again.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from storage.base import Entity, TableStore

TABLE = "MyNumberAuditUploads"
ROW = "upload"
PREFIX = "mynumber-upload-"
ROLES = ("registry", "records")
WAITING, CONFIRM, RUNNING = "waiting", "confirm", "running"
_KEY_ESCAPE = str.maketrans({c: f"%{ord(c):02X}" for c in "/\\#?%"})
_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,5}$")
MAX_HEADERS = 200  # kept per file (the store's 64 KiB string limit)
MAX_DOC_CHARS = 30_000


def _key(text: str) -> str:
    return "".join(ch if ch.isprintable() else f"%{ord(ch):02X}" for ch in text.translate(_KEY_ESCAPE))[:500]


@dataclass(frozen=True)
class UploadedFile:
    name: str  # as the user sent it (shown and logged; the content never is)
    stored: str  # the file name inside the session's folder
    headers: tuple[str, ...]
    size: int = 0


@dataclass(frozen=True)
class AuditSession:
    actor_id: str
    bureau: str
    operation: str
    state: str = WAITING
    folder: str = ""
    registry: UploadedFile | None = None
    records: UploadedFile | None = None
    expires: datetime | None = None
    run_id: str = ""

    def file(self, role: str) -> UploadedFile | None:
        return self.registry if role == "registry" else self.records

    def with_file(self, role: str, file: UploadedFile | None) -> AuditSession:
        return replace(self, **{role: file})

    @property
    def complete(self) -> bool:
        return self.registry is not None and self.records is not None


def _file_doc(file: UploadedFile | None) -> str:
    """The file as JSON, within the store's string limit (64 KiB of UTF-16: 30,000 characters kept
    as a margin); very many or very long headers lose the last ones (positions stay the same)."""
    if file is None:
        return ""
    headers = list(file.headers[:MAX_HEADERS])
    while True:
        text = json.dumps(
            {"name": file.name, "stored": file.stored, "headers": headers, "size": file.size},
            ensure_ascii=False,
        )
        if len(text) <= MAX_DOC_CHARS or not headers:
            return text
        headers.pop()


def _file_of(text: str) -> UploadedFile | None:
    if not text:
        return None
    doc = json.loads(text)
    return UploadedFile(
        str(doc["name"]), str(doc["stored"]), tuple(str(h) for h in doc["headers"]), int(doc["size"])
    )


class AuditSessions:
    """One session per person, with an expiry (``wait`` after the last change)."""

    def __init__(self, store: TableStore, clock: Callable[[], datetime], wait: timedelta):
        self._store = store
        self._clock = clock
        self._wait = wait

    def get(self, actor_id: str) -> AuditSession | None:
        """The person's session, or None; an expired one is returned with ``expires`` in the past.
        A waiting or confirming session whose folder is gone (a restart removed it) has no files."""
        if not actor_id:
            return None
        entity = self._store.get(TABLE, _key(actor_id), ROW)
        if entity is None:
            return None
        session = AuditSession(
            actor_id,
            entity["bureau"],
            entity["operation"],
            entity.get("state", WAITING),
            entity.get("folder", ""),
            _file_of(entity.get("registry", "")),
            _file_of(entity.get("records", "")),
            entity.get("expires"),
            entity.get("run_id", ""),
        )
        if session.folder and session.state != RUNNING and not Path(session.folder).is_dir():
            session = replace(session, state=WAITING, folder="", registry=None, records=None)
        return session

    def expired(self, session: AuditSession) -> bool:
        return session.expires is not None and session.expires <= self._clock()

    def save(self, session: AuditSession) -> AuditSession:
        """Store ``session`` with a fresh expiry (running sessions are not waiting: no expiry)."""
        expires = self._clock() + self._wait
        session = replace(session, expires=expires)
        props = {
            "bureau": session.bureau,
            "operation": session.operation,
            "state": session.state,
            "folder": session.folder,
            "registry": _file_doc(session.registry),
            "records": _file_doc(session.records),
            "expires": expires,
            "run_id": session.run_id,
        }
        self._store.upsert(TABLE, Entity(_key(session.actor_id), ROW, props))
        return session

    def delete(self, actor_id: str) -> None:
        self._store.delete(TABLE, _key(actor_id), ROW)


class UploadArea:
    """Private folders for uploaded files, under ``parent`` (default: the system temp folder)."""

    def __init__(self, parent: Path | None = None):
        self.parent = Path(parent) if parent else Path(tempfile.gettempdir())

    def new_folder(self) -> Path:
        self.parent.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=self.parent))
        folder.chmod(0o700)
        return folder

    def owns(self, folder: str | Path) -> bool:
        path = Path(folder)
        return (
            bool(str(folder))
            and path.parent.resolve() == self.parent.resolve()
            and path.name.startswith(PREFIX)
        )

    def remove(self, folder: str | Path) -> None:
        """Delete the folder and everything in it (only one of this area's)."""
        if folder and self.owns(folder):
            shutil.rmtree(folder, ignore_errors=True)

    def remove_file(self, folder: str | Path, stored: str) -> None:
        if folder and self.owns(folder) and stored and "/" not in stored and "\\" not in stored:
            (Path(folder) / stored).unlink(missing_ok=True)

    def sweep(self, older_than_seconds: float) -> int:
        """Remove this area's folders untouched for longer than ``older_than_seconds`` (an
        abandoned session) or made by a process that is gone (a restart or a crash); returns how
        many."""
        if not self.parent.is_dir():
            return 0
        gone = 0
        cutoff = time.time() - older_than_seconds
        for folder in self.parent.glob(PREFIX + "*"):
            try:
                if folder.is_dir() and (orphaned(folder.name, PREFIX) or folder.stat().st_mtime < cutoff):
                    shutil.rmtree(folder, ignore_errors=True)
                    gone += 1
            except OSError:
                continue
        return gone


def stored_name(role: str, original: str) -> str:
    """The name a file is saved under in its folder: the role and the original's suffix only."""
    suffix = Path(original).suffix.lower()
    return role + (suffix if _SUFFIX.match(suffix) else ".csv")


def process_alive(pid: int) -> bool:
    """True while a process with this id exists (it may belong to another user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def orphaned(name: str, prefix: str) -> bool:
    """True for ``<prefix><pid>-…`` made by a process that is gone (never for another process's
    live folder, nor for a name without a process id)."""
    head = name[len(prefix) :].split("-", 1)[0] if name.startswith(prefix) else ""
    return head.isdigit() and int(head) != os.getpid() and not process_alive(int(head))
