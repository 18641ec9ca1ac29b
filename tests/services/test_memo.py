"""services.kernel.memo: a computed value is reused while its entities keep their ETags, and
computed again as soon as a write changes one."""

from __future__ import annotations

from services.kernel.memo import EtagMemo, etags_of
from storage.base import Entity
from storage.sqlite import SqliteTableStore


def test_a_value_is_reused_until_a_write_changes_an_etag(tmp_path):
    store = SqliteTableStore(tmp_path / "memo.sqlite3")
    store.upsert("memotest", Entity("p", "a", {"n": 1}))
    store.upsert("memotest", Entity("p", "b", {"n": 2}))
    memo = EtagMemo()
    computed = []

    def total() -> int:
        entities = list(store.query("memotest", "p"))
        return memo.get(
            "total", etags_of(entities), lambda: computed.append(1) or sum(e["n"] for e in entities)
        )

    assert total() == 3 and total() == 3
    assert len(computed) == 1
    store.upsert("memotest", Entity("p", "b", {"n": 5}))  # a write: a new ETag
    assert total() == 6 and len(computed) == 2
    store.upsert("memotest", Entity("p", "c", {"n": 1}))  # a new entity: a new set of ETags
    assert total() == 7 and len(computed) == 3
    store.close()


def test_entities_without_an_etag_are_computed_every_time_and_the_cache_is_bounded():
    memo = EtagMemo(size=2)
    calls = []
    no_etag = etags_of([Entity("p", "a", {})])
    assert no_etag is None
    assert memo.get("k", no_etag, lambda: calls.append(1) or 1) == 1
    assert memo.get("k", no_etag, lambda: calls.append(1) or 1) == 1
    assert len(calls) == 2
    for key in ("x", "y", "z"):
        memo.get(key, ("v",), lambda key=key: key)
    assert memo.get("x", ("v",), lambda: "again") == "again"  # the oldest was dropped
    assert memo.get("z", ("v",), lambda: "again") == "z"
