"""Rules that span several records, with two writers at once, on both backends (SQLite and Azurite).

An ETag on one record cannot protect a rule about many (issue 9: two administrators revoked each
other at the same moment and left nobody who could reach 管理). Each rule here has two writers
that both read before either writes (a barrier in front of the first write of each makes the
race certain, not likely), and a check of the rule afterwards.

A programme that adds a rule across records adds one :class:`Race` to ``RACES``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from services.kernel.tabular import ImportRejected
from services.people.identity import OrgUnit, Role, RoleGrant, system_actor
from services.people.organisation import TABLE as ORG_TABLE
from services.people.organisation import load_organisation
from services.people.service import TABLE as PEOPLE_TABLE
from services.people.service import ConcurrentEdit, InvalidChange, PeopleService
from storage.base import TableStore
from tests.support import people as fx
from tests.support.racing import RacingStore

SETUP = system_actor("テスト準備", "test-setup")
SECOND_ADMIN = fx.CONTACT


def at_once(*writers: Callable[[], Any]) -> list[Any]:
    """Run the writers in threads at the same time; each result or the exception it raised."""
    results: list[Any] = [None] * len(writers)

    def run(i: int, writer: Callable[[], Any]) -> None:
        try:
            results[i] = writer()
        except Exception as error:  # noqa: BLE001 - the outcome is what we check
            results[i] = error

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# --- the rules ------------------------------------------------------------------------------------


def _two_admins(store: TableStore) -> None:
    people = fx.load_fixtures(store)
    people.grant(SETUP, SECOND_ADMIN, RoleGrant(Role.ADMIN), etag=None)


def _admins(store: TableStore) -> set[str]:
    return set(PeopleService(store, fx.Clock()).admin_ids())


def _revoke(store: TableStore, by: str, whom: str) -> Callable[[], Any]:
    people = PeopleService(store, fx.Clock())
    actor = fx.actor_of(people, by)  # who is asking is resolved when the turn starts
    return lambda: people.revoke(actor, whom, Role.ADMIN, None, etag=None)


def _import_without(store: TableStore, by: str, whom: str) -> Callable[[], Any]:
    """A roster file that lists ``whom`` without the 管理者 row (the import takes it away)."""

    def without_admin(line: str) -> str:
        cells = line.split(",")
        if cells[0] == whom and cells[5] == "管理者":
            cells[5:7] = ["職員", ""]
        return ",".join(cells)

    # a grant from the admin card is not in the file either: the import takes it away
    lines = fx.ROSTER_CSV.read_text(encoding="utf-8").splitlines()
    data = "\n".join(map(without_admin, lines)).encode("utf-8")
    people = PeopleService(store, fx.Clock())
    actor = fx.actor_of(people, by)
    return lambda: people.import_roster(actor, data, "roster.csv")


ORG_WITH_SPARE = fx.ORGANISATION_CSV.read_text(encoding="utf-8").rstrip("\n") + "\n環境局,環境保全部,\n"
SPARE = "環境局/環境保全部"


def _spare_unit(store: TableStore) -> None:
    people = fx.load_fixtures(store)
    people.import_organisation(SETUP, ORG_WITH_SPARE.encode("utf-8"), "org.csv")


def _drop_spare(store: TableStore) -> Callable[[], Any]:
    people = PeopleService(store, fx.Clock())
    actor = fx.actor_of(people, fx.ADMIN)
    return lambda: people.import_organisation(actor, fx.ORGANISATION_CSV.read_bytes(), "org.csv")


def _grant_spare(store: TableStore) -> Callable[[], Any]:
    people = PeopleService(store, fx.Clock())
    actor = fx.actor_of(people, fx.ADMIN)
    grant = RoleGrant(Role.DX_PRO, OrgUnit.parse(SPARE))
    return lambda: people.grant(actor, fx.STAFF, grant, etag=None)


def _units_exist(store: TableStore) -> bool:
    org = load_organisation(store)
    return all(
        (p.unit is None or p.unit in org) and all(g.scope is None or g.scope in org for g in p.grants)
        for p in PeopleService(store, fx.Clock())._everyone()
    )


@dataclass(frozen=True)
class Race:
    name: str
    tables: tuple[str, ...]
    setup: Callable[[TableStore], None]
    writers: Callable[[TableStore], tuple[Callable[[], Any], ...]]
    holds: Callable[[TableStore], bool]
    refusals: tuple[type[Exception], ...]


RACES = [
    Race(
        "two admins revoke each other",
        (PEOPLE_TABLE,),
        _two_admins,
        lambda p: (_revoke(p, fx.ADMIN, SECOND_ADMIN), _revoke(p, SECOND_ADMIN, fx.ADMIN)),
        lambda store: len(_admins(store)) >= 1,
        (InvalidChange, ConcurrentEdit),
    ),
    Race(
        "a roster import and a revoke take away the two admins",
        (PEOPLE_TABLE,),
        _two_admins,
        lambda p: (_import_without(p, fx.ADMIN, SECOND_ADMIN), _revoke(p, SECOND_ADMIN, fx.ADMIN)),
        lambda store: len(_admins(store)) >= 1,
        (InvalidChange, ConcurrentEdit),
    ),
    Race(
        "an organisation import drops a unit while an admin gives it as a scope",
        (PEOPLE_TABLE, ORG_TABLE),
        _spare_unit,
        lambda store: (_drop_spare(store), _grant_spare(store)),
        _units_exist,
        (InvalidChange, ConcurrentEdit, ImportRejected),
    ),
]


def _check(race: Race, store: TableStore) -> None:
    race.setup(store)
    racing = RacingStore(store, *race.tables)
    writers = race.writers(racing)
    racing.arm(len(writers))
    results = at_once(*writers)
    assert race.holds(store), (race.name, results)
    refused = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(r, race.refusals) for r in refused), results
    assert len(refused) < len(results), results  # one of them did its change


@pytest.mark.parametrize("race", RACES, ids=lambda r: r.name)
def test_a_rule_across_records_holds_with_two_writers_at_once_on_sqlite(race, tmp_path):
    from storage.sqlite import SqliteTableStore

    store = SqliteTableStore(tmp_path / "store.sqlite3")
    try:
        _check(race, store)
    finally:
        store.close()


@pytest.mark.azurite
@pytest.mark.parametrize("race", RACES, ids=lambda r: r.name)
def test_a_rule_across_records_holds_with_two_writers_at_once_on_azurite(race, azurite_connection_string):
    from storage.azure import AzureTableStore

    store = AzureTableStore(azurite_connection_string)
    tables = {*race.tables, PEOPLE_TABLE, ORG_TABLE}

    def clear() -> None:  # the session's Azurite is shared: start empty and leave nothing behind
        for table in tables:
            for entity in list(store.query(table)):
                store.delete(table, entity.partition_key, entity.row_key)

    try:
        clear()
        _check(race, store)
    finally:
        clear()
        store.close()


def test_the_last_admin_is_kept_by_a_roster_import_too(tmp_path):
    from tests.fakes import InMemoryTableStore

    store = InMemoryTableStore()
    fx.load_fixtures(store)
    with pytest.raises(InvalidChange, match="管理者が1人もいなくなる"):
        _import_without(store, fx.ADMIN, fx.ADMIN)()
    assert _admins(store) == {fx.ADMIN}
