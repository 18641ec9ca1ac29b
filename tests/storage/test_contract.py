"""The TableStore contract: every test runs against SQLite and against a real Azurite.

Each test gets its own table (``t`` + 12 hex digits), so the tests are independent even though
the Azurite process is shared by the whole session.
"""

from __future__ import annotations

import math
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from storage import journal
from storage.base import (
    MAX_AUDITED_OPERATIONS,
    MAX_BATCH_OPERATIONS,
    MAX_STRING_CHARS,
    MAX_USER_PROPERTIES,
    BatchFailed,
    BatchOperation,
    Entity,
    EntityExists,
    EntityNotFound,
    ETagMismatch,
    InvalidEntity,
    TableStore,
)

JST = timezone(timedelta(hours=9), "JST")
JAPANESE = "健康福祉局　ＤＸ推進（遅れ１１）"
EMOJI = "🎌✅😀"


@pytest.fixture(params=["sqlite", pytest.param("azure", marks=pytest.mark.azurite)])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[TableStore]:
    if request.param == "sqlite":
        from storage.sqlite import SqliteTableStore

        backend: TableStore = SqliteTableStore(tmp_path / "contract.sqlite3")
    else:
        from storage.azure import AzureTableStore

        backend = AzureTableStore(request.getfixturevalue("azurite_connection_string"))
    yield backend
    backend.close()


@pytest.fixture
def table() -> str:
    return "t" + uuid.uuid4().hex[:12]


def put(store: TableStore, table: str, pk: str, rk: str, **props) -> Entity:
    return store.upsert(table, Entity(pk, rk, props))


# --- basics -------------------------------------------------------------------------------------


def test_get_of_a_missing_entity_is_none(store, table):
    assert store.get(table, "p", "nothing") is None


def test_insert_then_get_round_trips_the_properties(store, table):
    written = store.insert(table, Entity("p", "r", {"name": "堺", "count": 3, "ratio": 0.25, "done": False}))
    assert written.etag
    assert written.properties == {"name": "堺", "count": 3, "ratio": 0.25, "done": False}
    got = store.get(table, "p", "r")
    assert got == written
    assert [type(got[k]) for k in ("name", "count", "ratio", "done")] == [str, int, float, bool]


def test_insert_is_insert_if_absent(store, table):
    first = store.insert(table, Entity("p", "r", {"v": 1}))
    with pytest.raises(EntityExists):
        store.insert(table, Entity("p", "r", {"v": 2}))
    assert store.get(table, "p", "r") == first


def test_upsert_creates_then_replaces_the_whole_entity(store, table):
    first = put(store, table, "p", "r", a=1, b="x")
    second = put(store, table, "p", "r", a=2)
    assert second.etag != first.etag
    assert store.get(table, "p", "r") == Entity("p", "r", {"a": 2}, second.etag)


def test_a_none_property_is_not_stored(store, table):
    written = put(store, table, "p", "r", kept="yes", dropped=None)
    assert written.properties == {"kept": "yes"}
    assert store.get(table, "p", "r").properties == {"kept": "yes"}


def test_delete_removes_and_a_missing_entity_is_no_error(store, table):
    put(store, table, "p", "r", v=1)
    store.delete(table, "p", "r")
    assert store.get(table, "p", "r") is None
    store.delete(table, "p", "r")  # again: nothing to delete, no error


def test_float_and_whole_number_types_survive(store, table):
    put(store, table, "p", "r", whole=1.0, tiny=0.1, neg=-2.5e-300, nan=math.nan, inf=-math.inf, zero=0)
    got = store.get(table, "p", "r")
    assert type(got["whole"]) is float and got["whole"] == 1.0
    assert got["tiny"] == 0.1 and got["neg"] == -2.5e-300 and got["inf"] == -math.inf
    assert math.isnan(got["nan"])
    assert type(got["zero"]) is int


def test_table_names_are_case_insensitive(store, table):
    put(store, table, "p", "r", v=1)
    assert store.get(table.upper(), "p", "r")["v"] == 1


def test_ping(store):
    assert store.ping() is True


# --- ETags ----------------------------------------------------------------------------------------


def test_upsert_with_the_current_etag_succeeds(store, table):
    first = put(store, table, "p", "r", v=1)
    second = store.upsert(table, Entity("p", "r", {"v": 2}), etag=first.etag)
    assert store.get(table, "p", "r") == second


def test_upsert_with_a_stale_etag_is_refused(store, table):
    first = put(store, table, "p", "r", v=1)
    second = store.upsert(table, Entity("p", "r", {"v": 2}), etag=first.etag)
    with pytest.raises(ETagMismatch):
        store.upsert(table, Entity("p", "r", {"v": 3}), etag=first.etag)
    assert store.get(table, "p", "r") == second


def test_delete_with_a_stale_etag_is_refused(store, table):
    first = put(store, table, "p", "r", v=1)
    second = put(store, table, "p", "r", v=2)
    with pytest.raises(ETagMismatch):
        store.delete(table, "p", "r", etag=first.etag)
    assert store.get(table, "p", "r") == second
    store.delete(table, "p", "r", etag=second.etag)
    assert store.get(table, "p", "r") is None


def test_the_etag_of_a_deleted_entity(store, table):
    first = put(store, table, "p", "r", v=1)
    store.delete(table, "p", "r")
    with pytest.raises(EntityNotFound):
        store.upsert(table, Entity("p", "r", {"v": 2}), etag=first.etag)
    with pytest.raises(EntityNotFound):
        store.delete(table, "p", "r", etag=first.etag)
    assert store.get(table, "p", "r") is None
    # Re-created, the entity has a new ETag: the old one stays stale.
    again = store.insert(table, Entity("p", "r", {"v": 3}))
    assert again.etag != first.etag
    with pytest.raises(ETagMismatch):
        store.upsert(table, Entity("p", "r", {"v": 4}), etag=first.etag)


def test_concurrent_increments_with_etags_lose_no_update(store, table):
    put(store, table, "p", "counter", n=0)
    threads, increments = 4, 8

    def work() -> None:
        for _ in range(increments):
            while True:
                current = store.get(table, "p", "counter")
                try:
                    store.upsert(table, Entity("p", "counter", {"n": current["n"] + 1}), etag=current.etag)
                    break
                except ETagMismatch:
                    continue

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert store.get(table, "p", "counter")["n"] == threads * increments


# --- batches ------------------------------------------------------------------------------------


def test_a_batch_applies_every_operation(store, table):
    old = put(store, table, "p", "2", v="old")
    put(store, table, "p", "3", v="doomed")
    results = store.batch(
        table,
        [
            BatchOperation("insert", Entity("p", "1", {"v": "new"})),
            BatchOperation("upsert", Entity("p", "2", {"v": "replaced"}), etag=old.etag),
            BatchOperation("delete", Entity("p", "3")),
            BatchOperation("delete", Entity("p", "4")),  # missing: no error, as for delete()
            BatchOperation("upsert", Entity("p", "5", {"v": "created"})),
        ],
    )
    assert [r.properties["v"] if r else None for r in results] == ["new", "replaced", None, None, "created"]
    assert all(r.etag for r in results if r)
    assert [(e.row_key, e["v"]) for e in store.query(table, "p")] == [
        ("1", "new"),
        ("2", "replaced"),
        ("5", "created"),
    ]
    assert store.get(table, "p", "2") == results[1]


def test_a_batch_whose_third_operation_fails_applies_nothing(store, table):
    put(store, table, "p", "c", v="original")
    put(store, table, "p", "d", v="keep")
    with pytest.raises(BatchFailed) as failed:
        store.batch(
            table,
            [
                BatchOperation("insert", Entity("p", "a", {"v": 1})),
                BatchOperation("upsert", Entity("p", "b", {"v": 2})),
                BatchOperation("insert", Entity("p", "c", {"v": 3})),  # exists
                BatchOperation("delete", Entity("p", "d")),
            ],
        )
    assert failed.value.index == 2
    assert isinstance(failed.value.cause, EntityExists)
    assert [(e.row_key, e["v"]) for e in store.query(table, "p")] == [("c", "original"), ("d", "keep")]


def test_a_batch_with_a_stale_etag_fails_at_that_operation(store, table):
    first = put(store, table, "p", "b", v=1)
    put(store, table, "p", "b", v=2)
    with pytest.raises(BatchFailed) as failed:
        store.batch(
            table,
            [
                BatchOperation("insert", Entity("p", "a", {"v": 1})),
                BatchOperation("upsert", Entity("p", "b", {"v": 3}), etag=first.etag),
            ],
        )
    assert failed.value.index == 1
    assert isinstance(failed.value.cause, ETagMismatch)
    assert store.get(table, "p", "a") is None
    assert store.get(table, "p", "b")["v"] == 2


def test_a_batch_delete_with_the_etag_of_a_missing_entity_fails(store, table):
    first = put(store, table, "p", "gone", v=1)
    store.delete(table, "p", "gone")
    with pytest.raises(BatchFailed) as failed:
        store.batch(
            table,
            [
                BatchOperation("delete", Entity("p", "other")),
                BatchOperation("upsert", Entity("p", "x", {"v": 1})),
                BatchOperation("delete", Entity("p", "gone"), etag=first.etag),
            ],
        )
    assert failed.value.index == 2
    assert isinstance(failed.value.cause, EntityNotFound)
    assert store.get(table, "p", "x") is None


def test_a_batch_of_more_than_100_operations_is_refused(store, table):
    ops = [BatchOperation("upsert", Entity("p", f"{i:03}")) for i in range(MAX_BATCH_OPERATIONS + 1)]
    with pytest.raises(InvalidEntity):
        store.batch(table, ops)
    assert list(store.query(table, "p")) == []
    assert len(store.batch(table, ops[:MAX_BATCH_OPERATIONS])) == MAX_BATCH_OPERATIONS


def test_a_batch_across_partitions_is_refused(store, table):
    with pytest.raises(InvalidEntity):
        store.batch(
            table,
            [BatchOperation("upsert", Entity("p1", "r")), BatchOperation("upsert", Entity("p2", "r"))],
        )
    assert list(store.query(table)) == []


def test_an_invalid_entity_in_a_batch_is_refused_before_anything_is_sent(store, table):
    with pytest.raises(InvalidEntity):
        store.batch(
            table,
            [BatchOperation("upsert", Entity("p", "ok")), BatchOperation("upsert", Entity("p", "bad/key"))],
        )
    assert store.get(table, "p", "ok") is None


# --- queries ------------------------------------------------------------------------------------


def test_a_partition_query_pages_past_1000_entities(store, table):
    count = 1050
    for start in range(0, count, MAX_BATCH_OPERATIONS):
        store.batch(
            table,
            [
                BatchOperation("insert", Entity("big", f"{i:05}", {"i": i}))
                for i in range(start, min(start + MAX_BATCH_OPERATIONS, count))
            ],
        )
    put(store, table, "other", "00001", i=-1)
    put(store, table, "a-before", "00001", i=-1)
    got = list(store.query(table, "big"))
    assert [e.row_key for e in got] == [f"{i:05}" for i in range(count)]
    assert [e["i"] for e in got] == list(range(count))
    everything = list(store.query(table))
    assert len(everything) == count + 2
    assert [e.partition_key for e in everything] == ["a-before"] + ["big"] * count + ["other"]


def test_query_orders_by_partition_then_row_key(store, table):
    for pk, rk in [("b", "2"), ("a", "z"), ("b", "10"), ("a", "Z"), ("a", "あ"), ("a", "ア"), ("a", "亜")]:
        put(store, table, pk, rk)
    assert [(e.partition_key, e.row_key) for e in store.query(table)] == sorted(
        [("a", "Z"), ("a", "z"), ("a", "あ"), ("a", "ア"), ("a", "亜"), ("b", "10"), ("b", "2")]
    )


def test_query_of_an_empty_or_unknown_partition(store, table):
    assert list(store.query(table, "nothing")) == []
    assert list(store.query(table)) == []


def test_where_filters_by_property_equality(store, table):
    when = datetime(2026, 4, 1, 9, 0, tzinfo=JST)
    put(store, table, "p", "1", bureau=JAPANESE, quarter=3, done=True, due=when, score=0.5)
    put(store, table, "p", "2", bureau="市長公室", quarter=3, done=False, due=when, score=0.5)
    put(store, table, "p", "3", bureau=JAPANESE, quarter=2**40, done=True)
    put(store, table, "q", "1", bureau=JAPANESE, quarter=3, done=True)

    def rows(partition=None, **where):
        return [(e.partition_key, e.row_key) for e in store.query(table, partition, where)]

    assert rows("p", bureau=JAPANESE) == [("p", "1"), ("p", "3")]
    assert rows("p", bureau=JAPANESE, quarter=3) == [("p", "1")]
    assert rows("p", quarter=2**40) == [("p", "3")]
    assert rows("p", done=False) == [("p", "2")]
    assert rows("p", due=when.astimezone(UTC)) == [("p", "1"), ("p", "2")]
    assert rows("p", score=0.5) == [("p", "1"), ("p", "2")]
    assert rows(bureau=JAPANESE, done=True) == [("p", "1"), ("p", "3"), ("q", "1")]
    assert rows("p", bureau="it's") == []
    assert rows("p", missing="x") == []


def test_where_is_type_strict(store, table):
    put(store, table, "p", "flag", v=True)
    put(store, table, "p", "one", v=1)
    put(store, table, "p", "text", v="1")
    put(store, table, "p", "float", v=1.0)
    assert [e.row_key for e in store.query(table, "p", {"v": True})] == ["flag"]
    assert [e.row_key for e in store.query(table, "p", {"v": 1})] == ["one"]
    assert [e.row_key for e in store.query(table, "p", {"v": "1"})] == ["text"]
    assert [e.row_key for e in store.query(table, "p", {"v": 1.0})] == ["float"]


@pytest.mark.parametrize("where", [{"v": None}, {"v": math.nan}, {"bad-name": 1}, {"v": [1]}])
def test_unusable_where_filters_are_refused(store, table, where):
    with pytest.raises(InvalidEntity):
        store.query(table, "p", where)


# --- keys -----------------------------------------------------------------------------------------

BAD_KEYS = ["a/b", "a\\b", "a#b", "a?b", "a\tb", "a\nb", "a\x00b", "a\x7fb", "a\x85b", ""]


@pytest.mark.parametrize("bad", BAD_KEYS, ids=repr)
def test_forbidden_keys_are_refused_everywhere(store, table, bad):
    calls = [
        lambda: store.insert(table, Entity(bad, "r")),
        lambda: store.insert(table, Entity("p", bad)),
        lambda: store.upsert(table, Entity("p", bad)),
        lambda: store.get(table, "p", bad),
        lambda: store.get(table, bad, "r"),
        lambda: store.delete(table, "p", bad),
        lambda: store.batch(table, [BatchOperation("delete", Entity("p", bad))]),
        lambda: store.batch(table, [BatchOperation("insert", Entity("p", bad))]),
        lambda: store.query(table, bad),
    ]
    for call in calls:
        with pytest.raises(InvalidEntity):
            call()
    assert list(store.query(table)) == []


def test_keys_longer_than_1_kib_are_refused(store, table):
    store.insert(table, Entity("p", "x" * 512))
    with pytest.raises(InvalidEntity):
        store.insert(table, Entity("p", "x" * 513))
    with pytest.raises(InvalidEntity):
        store.insert(table, Entity("p", "😀" * 257))  # 514 UTF-16 code units


@pytest.mark.parametrize("name", ["", "1abc", "ab", "a-b", "a" * 64, "テーブル"])
def test_invalid_table_names_are_refused(store, name):
    with pytest.raises(InvalidEntity):
        store.get(name, "p", "r")


@pytest.mark.parametrize(
    "key", [JAPANESE, EMOJI, "it's", "100%", "a b", "a+b&c=d", "(x)", "~!@$^*[]{};:,.<>|`", "'"], ids=repr
)
def test_unusual_but_valid_keys_round_trip(store, table, key):
    written = store.insert(table, Entity(key, key, {"key": key}))
    assert store.get(table, key, key) == written
    assert [e.row_key for e in store.query(table, key)] == [key]
    assert [e.row_key for e in store.query(table, where={"key": key})] == [key]
    store.upsert(table, Entity(key, key, {"key": "again"}), etag=written.etag)
    store.delete(table, key, key)
    assert store.get(table, key, key) is None


# --- value types --------------------------------------------------------------------------------


def test_64_bit_integers_round_trip(store, table):
    values = {
        "big": 2**40,
        "neg": -(2**40),
        "max": 2**63 - 1,
        "min": -(2**63),
        "edge": 2**31,
        "below": -(2**31) - 1,
        "small": 7,
    }
    put(store, table, "p", "r", **values)
    got = store.get(table, "p", "r")
    assert got.properties == values
    assert all(type(v) is int for v in got.properties.values())
    assert [e.row_key for e in store.query(table, "p", {"max": 2**63 - 1, "small": 7})] == ["r"]


def test_integers_beyond_64_bits_are_refused(store, table):
    with pytest.raises(InvalidEntity):
        put(store, table, "p", "r", v=2**63)


def test_aware_datetimes_round_trip_to_the_microsecond(store, table):
    jst = datetime(2026, 11, 26, 9, 30, 15, 123456, tzinfo=JST)
    utc = datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
    put(store, table, "p", "r", jst=jst, utc=utc)
    got = store.get(table, "p", "r")
    assert got["jst"] == jst and got["utc"] == utc
    assert got["jst"].utcoffset() == timedelta(0)  # documented: normalised to UTC
    assert got["jst"].microsecond == 123456
    assert type(got["jst"]) is datetime


def test_datetimes_within_azures_range(store, table):
    first = datetime(1601, 1, 1, tzinfo=UTC)
    last = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    put(store, table, "p", "r", first=first, last=last)
    assert store.get(table, "p", "r").properties == {"first": first, "last": last}
    for outside in (
        datetime(1600, 12, 31, 23, 59, tzinfo=UTC),
        datetime(1601, 1, 1, 8, 59, tzinfo=JST),  # 1600-12-31 in UTC
        datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5))),  # year 10000 in UTC
        datetime(1, 1, 1, tzinfo=JST),
    ):
        with pytest.raises(InvalidEntity):
            put(store, table, "p", "r", when=outside)


def test_naive_datetimes_are_refused(store, table):
    with pytest.raises(InvalidEntity):
        put(store, table, "p", "r", when=datetime(2026, 11, 26, 9, 30))
    with pytest.raises(InvalidEntity):
        store.query(table, "p", {"when": datetime(2026, 11, 26, 9, 30)})


def test_japanese_text_and_emoji_in_properties_and_keys(store, table):
    text = f"{JAPANESE}{EMOJI}・令和８年度 第３四半期～ｶﾅ髙﨑"
    written = store.insert(table, Entity(JAPANESE, f"{JAPANESE}{EMOJI}", {"title": text}))
    got = store.get(table, JAPANESE, f"{JAPANESE}{EMOJI}")
    assert got == written and got["title"] == text
    assert [e["title"] for e in store.query(table, JAPANESE, {"title": text})] == [text]


def test_unsupported_property_types_and_names_are_refused(store, table):
    for props in ({"v": b"bytes"}, {"v": [1, 2]}, {"v": {"a": 1}}, {"局": "x"}, {"PartitionKey": "x"}):
        with pytest.raises(InvalidEntity):
            store.upsert(table, Entity("p", "r", props))


# --- limits ---------------------------------------------------------------------------------------


def test_at_most_252_properties(store, table):
    props = {f"p{i}": i for i in range(MAX_USER_PROPERTIES)}
    put(store, table, "p", "r", **props)
    assert len(store.get(table, "p", "r").properties) == MAX_USER_PROPERTIES
    with pytest.raises(InvalidEntity):
        put(store, table, "p", "r", **props, one_more=1)  # 253


def test_strings_of_at_most_32k_utf16_units(store, table):
    put(store, table, "p", "ascii", v="a" * MAX_STRING_CHARS)
    put(store, table, "p", "kanji", v="堺" * MAX_STRING_CHARS)
    assert store.get(table, "p", "kanji")["v"] == "堺" * MAX_STRING_CHARS
    with pytest.raises(InvalidEntity):
        put(store, table, "p", "r", v="a" * (MAX_STRING_CHARS + 1))
    with pytest.raises(InvalidEntity):
        put(store, table, "p", "r", v="😀" * (MAX_STRING_CHARS // 2 + 1))  # a surrogate pair each
    with pytest.raises(InvalidEntity):
        put(store, table, "p", "r", v="lone \ud800 surrogate")
    assert store.get(table, "p", "r") is None


def test_entities_of_more_than_1_mib_are_refused(store, table):
    # ASCII, because Azurite measures the UTF-8 JSON body with \u escapes (see storage.azure).
    chunk = "x" * MAX_STRING_CHARS  # 64 KiB each as Azure counts (UTF-16)
    put(store, table, "p", "r", **{f"c{i}": chunk for i in range(15)})  # 960 KiB
    with pytest.raises(InvalidEntity):
        put(store, table, "p", "r", **{f"c{i}": chunk for i in range(17)})
    with pytest.raises(InvalidEntity):
        put(store, table, "p", "r", **{f"c{i}": "堺" * MAX_STRING_CHARS for i in range(17)})
    assert len(store.get(table, "p", "r").properties) == 15


# --- journal rows (storage.journal: an audit entry saved in the change's own transaction) ---------


def _attachment() -> journal.Attachment:
    return journal.Attachment(journal.PREFIX + uuid.uuid4().hex, {"entries": [["2026-11", "k", {"v": "堺"}]]})


def _with_journal(store: TableStore, table: str) -> list[Entity]:
    with journal.revealed():
        return list(store.query(table))


@pytest.mark.parametrize("kind", ["insert", "upsert", "conditional upsert", "delete", "batch"])
def test_a_write_carries_the_waiting_journal_row_in_its_transaction(store, table, kind):
    old = put(store, table, "p", "old", v=0)
    attachment = _attachment()
    with journal.attached(attachment):
        if kind == "insert":
            written = store.insert(table, Entity("p", "r", {"v": 1}))
        elif kind == "upsert":
            written = store.upsert(table, Entity("p", "r", {"v": 1}))
        elif kind == "conditional upsert":
            written = store.upsert(table, Entity("p", "old", {"v": 1}), old.etag)
        elif kind == "delete":
            written = store.delete(table, "p", "old", old.etag)
        else:
            [written] = store.batch(table, [BatchOperation("insert", Entity("p", "r", {"v": 1}))])
        store.upsert(table, Entity("p", "second", {"v": 2}))  # only the first write carries it
    assert kind == "delete" or (written is not None and written.get("v") == 1 and written.etag)
    assert attachment.where == (table, "p")
    rows = _with_journal(store, table)
    [row] = [e for e in rows if journal.is_journal(e.row_key)]
    assert row.row_key == attachment.key and journal.payload_of(row) == attachment.payload
    assert all(not journal.is_journal(e.row_key) for e in store.query(table))  # hidden from queries
    assert table.lower() in [t.lower() for t in store.tables()]


def test_a_refused_write_carries_no_journal_row_and_the_next_write_does(store, table):
    old = put(store, table, "p", "r", v=0)
    put(store, table, "p", "r", v=1)  # someone else
    attachment = _attachment()
    with journal.attached(attachment):
        with pytest.raises(ETagMismatch):
            store.upsert(table, Entity("p", "r", {"v": 2}), old.etag)
        with pytest.raises(EntityExists):
            store.insert(table, Entity("p", "r", {"v": 2}))
        assert attachment.where is None
        assert [e.row_key for e in _with_journal(store, table)] == ["r"]
        store.upsert(table, Entity("p", "r", {"v": 3}))  # a retry that is saved
    assert attachment.where == (table, "p")
    assert len(_with_journal(store, table)) == 2


def test_an_audited_batch_leaves_one_place_for_the_journal_row(store, table):
    ops = [BatchOperation("insert", Entity("p", f"r{i:03d}")) for i in range(MAX_BATCH_OPERATIONS)]
    with journal.attached(_attachment()), pytest.raises(InvalidEntity):
        store.batch(table, ops)
    assert list(store.query(table)) == []
    with journal.attached(_attachment()):
        store.batch(table, ops[:MAX_AUDITED_OPERATIONS])
    assert len(_with_journal(store, table)) == MAX_BATCH_OPERATIONS


def test_pending_journal_rows_are_found_and_discarded(store, table):
    attachment = _attachment()
    with journal.attached(attachment):
        store.insert(table, Entity("p", "r"))
    found = [(t.lower(), e.row_key) for t, e in journal.pending(store, skip="Audit") if t.lower() == table]
    assert found == [(table, attachment.key)]
    journal.discard(store, table, "p", attachment.key)
    assert [e.row_key for e in _with_journal(store, table)] == ["r"]


def test_a_refused_single_write_under_a_journal_raises_the_backend_error_with_its_own_cause(store, table):
    store.insert(table, Entity("p", "r"))
    with journal.attached(_attachment()), pytest.raises(EntityExists) as raised:
        store.insert(table, Entity("p", "r"))
    seen, cause = set(), raised.value
    while cause is not None:  # the __cause__ chain ends (no loop back through the batch error)
        assert id(cause) not in seen
        seen.add(id(cause))
        cause = cause.__cause__
