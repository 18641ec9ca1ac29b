"""Building blocks for the マイナンバー情報総点検 tests: units, people and synthetic operations."""

from __future__ import annotations

from services.mynumber.models import Item, LinkMethod, Operation
from services.mynumber.service import MyNumberService, new_id
from services.people.identity import Actor, OrgUnit, Person, Role, RoleGrant, system_actor

TAX = OrgUnit("財政局", "税務部", "市民税課")
PROPERTY_TAX = OrgUnit("財政局", "税務部", "固定資産税課")
PENSION = OrgUnit("健康福祉局", "健康部", "保険年金課")
WELFARE = OrgUnit("健康福祉局", "生活福祉部", "生活援護課")
CHILD = OrgUnit("子ども青少年局", "子育て支援部", "子ども家庭課")
CITIZEN = OrgUnit("市民人権局", "市民生活部", "戸籍住民課")
ADMIN = system_actor("テスト管理者", "test")


def person(name: str, *grants: tuple[Role, OrgUnit | None], oid: str = "") -> Person:
    return Person(
        oid or f"00000000-0000-4000-9000-{abs(hash(name)) % 10**12:012d}",
        name,
        grants=tuple(RoleGrant(role, scope) for role, scope in grants),
    )


def actor(p: Person) -> Actor:
    return Actor(p, "a:test")


def contact(unit: OrgUnit, name: str = "担当") -> Actor:
    return actor(person(f"{unit.name} {name}", (Role.BUREAU_CONTACT, unit)))


def manager(bureau: str) -> Actor:
    return actor(person(f"{bureau} 局長", (Role.MANAGER, OrgUnit(bureau))))


STAFF = actor(person("一般 職員"))


def op(unit: OrgUnit, name: str, *items: tuple[LinkMethod | None, int | None]) -> Operation:
    return Operation(
        new_id(),
        unit,
        name,
        tuple(
            Item(
                f"i{n}",
                f"{name}の情報{n}",
                method,
                "" if method is not LinkMethod.OTHER else "独自の照合",
                None,
                None,
                records,
            )
            for n, (method, records) in enumerate(items, start=1)
        ),
    )


def material_survey() -> list[Operation]:
    """47 operations that classify exactly as the material's 43 / 2 / 0 / 2."""
    units = (TAX, PROPERTY_TAX, PENSION, WELFARE, CHILD, CITIZEN)
    ops = []
    for n in range(43):
        method = (LinkMethod.AUTO, LinkMethod.ID_DOCUMENT, LinkMethod.FOUR_ITEMS)[n % 3]
        ops.append(
            op(units[n % len(units)], f"事務{n + 1:02d}", (method, 100 + n * 37), (LinkMethod.AUTO, 5))
        )
    ops.append(op(PENSION, "少数事務A", (LinkMethod.ID_DOCUMENT, 12)))
    ops.append(op(WELFARE, "少数事務B", (LinkMethod.FOUR_ITEMS, 99)))
    # a large system-linked item and a small 3-item query: counts only the records linked otherwise
    ops.append(op(CHILD, "児童手当の受給者情報", (LinkMethod.AUTO, 5_000), (LinkMethod.THREE_OR_FEWER, 30)))
    ops.append(op(WELFARE, "生活保護の扶助情報", (LinkMethod.OTHER, 40)))
    return ops


def seed_operations(service: MyNumberService, ops: list[Operation]) -> list[Operation]:
    service.create(ADMIN, ops)
    return [service.operation(ADMIN.person, o.bureau, o.id) for o in ops]
