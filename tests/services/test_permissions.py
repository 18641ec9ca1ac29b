"""The one permission check: every role against every kind of record, both actions."""

from __future__ import annotations

import pytest

from services.people.identity import Person, Role
from services.people.permissions import (
    POLICIES,
    Action,
    Forbidden,
    Resource,
    ResourceKind,
    allowed,
    check,
    require,
)
from tests.fakes import InMemoryTableStore
from tests.support import people as fx

K = ResourceKind
RESOURCES = {
    "op:健康福祉局": Resource(K.ONLINE_PROCEDURES, "健康福祉局"),
    "op:財政局": Resource(K.ONLINE_PROCEDURES, "財政局"),
    "op:all": Resource(K.ONLINE_PROCEDURES),
    "mn:財政局": Resource(K.MYNUMBER, "財政局"),
    "mn:健康福祉局": Resource(K.MYNUMBER, "健康福祉局"),
    "std:財政局": Resource(K.STANDARDIZATION, "財政局"),
    "cash:財政局": Resource(K.CASHLESS, "財政局"),
    "dx:健康部": Resource(K.DX, "健康福祉局", "健康部"),
    "dx:福祉部": Resource(K.DX, "健康福祉局", "福祉部"),
    "lit:staff": Resource(K.LITERACY, "建設局", "土木部", fx.STAFF),
    "lit:dx_health": Resource(K.LITERACY, "健康福祉局", "健康部", fx.DX_HEALTH),
    "train:staff": Resource(K.TRAINING, "建設局", "土木部", fx.STAFF),
    "general": Resource(K.GENERAL),
    "divide": Resource(K.DIGITAL_DIVIDE),
    "org": Resource(K.ORGANISATION),
    "people": Resource(K.PEOPLE),
    "people:staff": Resource(K.PEOPLE, owner=fx.STAFF),
    "audit": Resource(K.AUDIT),
    "settings": Resource(K.SETTINGS),
    "channels": Resource(K.CHANNELS),
    "registration": Resource(K.REGISTRATION),
}
R, W = Action.READ, Action.WRITE
EVERYONE_READS = {("general", R), ("divide", R), ("org", R)}
# persona -> every (resource, action) it may do; anything else must be refused
EXPECTED: dict[str, set[tuple[str, Action]]] = {
    "admin": {(name, a) for name in RESOURCES for a in (R, W)},
    "dx_health": EVERYONE_READS
    | {
        ("op:健康福祉局", R),
        ("op:健康福祉局", W),
        ("dx:健康部", R),
        ("dx:健康部", W),
        ("lit:dx_health", R),
        ("lit:dx_health", W),
    },
    "dx_child": EVERYONE_READS,
    "manager": EVERYONE_READS
    | {
        ("op:健康福祉局", R),
        ("mn:健康福祉局", R),
        ("dx:健康部", R),
        ("dx:福祉部", R),
        ("lit:dx_health", R),
    },
    "contact": EVERYONE_READS
    | {
        ("op:財政局", R),
        ("mn:財政局", R),
        ("mn:財政局", W),
        ("std:財政局", R),
        ("std:財政局", W),
        ("cash:財政局", R),
        ("cash:財政局", W),
    },
    "staff": EVERYONE_READS
    | {
        ("lit:staff", R),
        ("lit:staff", W),
        ("train:staff", R),
        ("people:staff", R),
    },
    "unregistered": EVERYONE_READS,
}
IDS = {
    "admin": fx.ADMIN,
    "dx_health": fx.DX_HEALTH,
    "dx_child": fx.DX_CHILD,
    "manager": fx.MANAGER,
    "contact": fx.CONTACT,
    "staff": fx.STAFF,
    "unregistered": fx.UNREGISTERED,
}


@pytest.fixture(scope="module")
def personas() -> dict[str, Person]:
    people = fx.load_fixtures(InMemoryTableStore())
    return {name: people.resolve(oid) for name, oid in IDS.items()}


def test_the_fixture_roster_gives_the_expected_roles(personas):
    assert personas["admin"].is_admin
    assert [g.label for g in personas["dx_health"].grants] == ["DX PRO（健康福祉局/健康部）"]
    assert [g.label for g in personas["manager"].grants] == ["管理職（健康福祉局）"]
    assert [g.label for g in personas["contact"].grants] == ["局担当（財政局）"]
    assert personas["staff"].grants == () and personas["staff"].registered
    assert not personas["unregistered"].registered and personas["unregistered"].has(Role.STAFF)


@pytest.mark.parametrize("persona", sorted(EXPECTED))
@pytest.mark.parametrize("action", [R, W])
@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_every_role_against_every_kind(personas, persona, action, resource):
    decision = check(personas[persona], action, RESOURCES[resource])
    assert decision.allowed == ((resource, action) in EXPECTED[persona]), decision


def test_every_kind_has_a_policy():
    assert set(POLICIES) == set(ResourceKind)


def test_a_dx_pro_of_any_department_of_the_bureau_writes_its_online_procedures(personas):
    other_department = Resource(K.ONLINE_PROCEDURES, "健康福祉局", "福祉部")
    assert check(personas["dx_health"], W, other_department).allowed


def test_refusal_names_who_may_in_japanese(personas):
    with pytest.raises(Forbidden) as refused:
        require(personas["dx_child"], W, RESOURCES["op:健康福祉局"])
    assert refused.value.what == "行政手続きオンライン化の計画・実績（健康福祉局）の更新"
    assert refused.value.who == "健康福祉局の DX PRO と ICTイノベーション推進室（管理者）"
    assert str(refused.value).endswith("のみが行えます。")
    with pytest.raises(Forbidden) as admin_only:
        require(personas["manager"], R, RESOURCES["audit"])
    assert admin_only.value.who == "ICTイノベーション推進室（管理者）"


def test_allowed_filters_a_list(personas):
    bureaus = [Resource(K.MYNUMBER, b) for b in ("財政局", "健康福祉局", "環境局")]
    assert [r.bureau for r in allowed(personas["contact"], W, bureaus)] == ["財政局"]
