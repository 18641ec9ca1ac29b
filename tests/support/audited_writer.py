"""A process that makes audited changes until it is killed (tests/services/test_audit_crash.py).

Each round inserts one row and raises a shared counter under its ETag, each change through
``AuditLog.apply``, and prints ``saved <row>`` once ``apply`` has returned (the acknowledgement a
user would see). Run: ``python -m tests.support.audited_writer <sqlite path | connection string> <table>``.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from services.audit.models import Change
from services.audit.trail import AuditLog
from services.people.identity import system_actor
from storage import open_store
from storage.base import Entity, ETagMismatch

ACTOR = system_actor("クラッシュ試験", "crash")


def main(target: str, table: str) -> None:
    if "AccountName=" in target:
        store = open_store(data_dir=Path("."), azure_connection_string=target)
    else:
        store = open_store(data_dir=Path(target))
    log = AuditLog(store, lambda: datetime.now(UTC))
    n = max((int(e.row_key[1:]) for e in store.query(table, "rows")), default=0)  # after a restart
    while True:
        n += 1
        key = f"r{n:06d}"
        log.apply(
            ACTOR,
            [Change("thing", key, "create", None, {"n": n})],
            lambda key=key, n=n: store.insert(table, Entity("rows", key, {"n": n})),
        )
        print(f"saved {key}", flush=True)
        counter = store.get(table, "counter", "c")
        value = (counter.get("n", 0) if counter else 0) + 1
        try:
            log.apply(
                ACTOR,
                [Change("counter", "c", "update", None, {"n": value})],
                lambda counter=counter, value=value: store.upsert(
                    table, Entity("counter", "c", {"n": value}), counter.etag if counter else None
                ),
            )
        except ETagMismatch:
            continue
        print(f"saved counter {value}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
