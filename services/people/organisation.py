"""The city's organisation: 局 (bureau) → 部 (department) → 課・室 (section).

The 22 bureaus and offices of the online-procedures table (``data/online_procedures.csv``, column
局, without 総計) always exist (:data:`SEED_BUREAUS`); departments and sections come from an
imported organisation file (``services.people.service.PeopleService.import_organisation``).

The structure is stored as **one entity** (table ``Organisation``), its unit paths as JSON split
over as many properties as needed. An import therefore replaces the whole structure in one
write with an ETag: all or nothing, and two admins importing at once cannot interleave.

Organisation file: CSV (UTF-8, with or without BOM) or .xlsx, header ``局,部,課・室``. A row with
only 局 declares a bureau, 局+部 a department, 局+部+課・室 a section. Parents must be declared
(in the file, or be a seed bureau), nothing twice.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from services.kernel.tabular import ImportIssue, ImportRejected, read_table, split_header
from services.people.identity import FORBIDDEN_NAME_CHARS, OrgUnit, clean_name
from storage.base import MAX_STRING_CHARS, MAX_USER_PROPERTIES, Entity, TableStore

TABLE = "Organisation"
PARTITION = "org"
ROW = "current"
ORG_COLUMNS = ("局", "部", "課・室")
#: The bureaus and offices of the online-procedures table, in the material's order.
SEED_BUREAUS: tuple[str, ...] = (
    "市長公室",
    "危機管理室",
    "総務局",
    "財政局",
    "市民人権局",
    "文化観光局",
    "環境局",
    "健康福祉局",
    "泉北ニューデザイン推進室",
    "子ども青少年局",
    "産業振興局",
    "建築都市局",
    "建設局",
    "堺区役所",
    "中区役所",
    "南区役所",
    "美原区役所",
    "監査委員事務局",
    "農業委員会事務局",
    "教育委員会事務局",
    "上下水道局",
    "消防局",
)
_CHUNK = MAX_STRING_CHARS - 1000
_SPLIT = re.compile(r"[\s/／]+")


def sort_key(unit: OrgUnit) -> tuple:
    seed = SEED_BUREAUS.index(unit.bureau) if unit.bureau in SEED_BUREAUS else len(SEED_BUREAUS)
    return (seed, unit.bureau, unit.department, unit.section)


@dataclass(frozen=True)
class Organisation:
    units: frozenset[OrgUnit] = field(default_factory=frozenset)  # seed bureaus included
    etag: str | None = None

    def __contains__(self, unit: object) -> bool:
        return unit in self.units

    def sorted(self, level: int | None = None) -> list[OrgUnit]:
        return sorted((u for u in self.units if level is None or u.level == level), key=sort_key)

    @property
    def bureaus(self) -> list[OrgUnit]:
        return self.sorted(1)

    @property
    def departments(self) -> list[OrgUnit]:
        return self.sorted(2)

    @property
    def imported(self) -> frozenset[OrgUnit]:
        """The units that came from an import (everything but the seed bureaus)."""
        return frozenset(u for u in self.units if not (u.level == 1 and u.bureau in SEED_BUREAUS))

    def children(self, unit: OrgUnit) -> list[OrgUnit]:
        return sorted((u for u in self.units if u.parent == unit), key=sort_key)

    def resolve(self, text: str) -> OrgUnit | None:
        """The unit a free-text department means (Graph's ``department``), or None.

        Accepts a path (``健康福祉局/健康部``), the names separated by spaces (``健康福祉局 健康部``),
        or a single name that only one unit has (``健康部``). The deepest unambiguous unit wins.
        """
        tokens = [t for t in (clean_name(p) for p in _SPLIT.split(clean_name(text))) if t]
        if not tokens:
            return None
        if len(tokens) <= 3:
            try:
                unit = OrgUnit(*tokens)
            except ValueError:
                unit = None
            if unit in self.units:
                return unit
        by_name = [u for u in self.units if u.name == tokens[-1]]
        if len(by_name) > 1 and len(tokens) > 1:
            by_name = [u for u in by_name if all(t in (u.bureau, u.department, u.section) for t in tokens)]
        return by_name[0] if len(by_name) == 1 else None


def seed_organisation() -> Organisation:
    return Organisation(frozenset(OrgUnit(b) for b in SEED_BUREAUS))


def load_organisation(store: TableStore) -> Organisation:
    """The current structure (seed bureaus plus what was imported). Reading it is open to all
    (``ResourceKind.ORGANISATION``: everyone may read), so this takes no viewer."""
    entity = store.get(TABLE, PARTITION, ROW)
    seed = seed_organisation().units
    if entity is None:
        return Organisation(seed)
    count = int(entity.get("chunks", 0))
    text = "".join(entity.get(f"units_{i}", "") for i in range(count))
    paths = json.loads(text) if text else []
    return Organisation(seed | {OrgUnit.parse(p) for p in paths}, entity.etag)


def organisation_entity(units: Iterable[OrgUnit], updated_at: datetime) -> Entity:
    paths = json.dumps([u.path for u in sorted(units, key=sort_key)], ensure_ascii=False)
    chunks = [paths[i : i + _CHUNK] for i in range(0, len(paths), _CHUNK)] or [""]
    if len(chunks) > MAX_USER_PROPERTIES - 3:
        raise ImportRejected([ImportIssue("組織の数が多すぎて保存できません")])
    props: dict = {f"units_{i}": chunk for i, chunk in enumerate(chunks)}
    props.update(chunks=len(chunks), updated_at=updated_at)
    return Entity(PARTITION, ROW, props)


def _name_problem(name: str) -> str | None:
    if FORBIDDEN_NAME_CHARS.search(name):
        return "名前に / \\ # ? | や制御文字は使えません"
    if len(name) > 100:
        return "名前が長すぎます（100文字まで）"
    return None


def parse_organisation_file(data: bytes, filename: str = "") -> dict[OrgUnit, int]:
    """The units an organisation file declares, each with its spreadsheet row.

    Checks everything that needs only the file (and the seed bureaus): empty names, a section
    without its department, forbidden characters, duplicates and unknown parents. Raises
    :class:`ImportRejected` with every problem, naming row and column.
    """
    body = split_header(read_table(data, filename), ORG_COLUMNS)
    issues: list[ImportIssue] = []
    declared: dict[OrgUnit, int] = {}
    for number, cells in body:
        bureau, department, section = (clean_name(c) for c in cells)
        problems = False
        for column, name in zip(ORG_COLUMNS, (bureau, department, section), strict=True):
            problem = _name_problem(name) if name else None
            if problem:
                issues.append(ImportIssue(problem, number, column))
                problems = True
        if not bureau:
            issues.append(ImportIssue("局が空です", number, "局"))
            continue
        if section and not department:
            issues.append(ImportIssue("課・室を書く行には部も書いてください", number, "部"))
            continue
        if problems:
            continue
        unit = OrgUnit(bureau, department, section)
        if unit in declared:
            issues.append(
                ImportIssue(f"{declared[unit]}行目と重複しています（{unit.path}）", number, unit.level_label)
            )
            continue
        declared[unit] = number
    known = set(declared) | seed_organisation().units
    for unit, number in declared.items():
        parent = unit.parent
        if parent is not None and parent not in known:
            issues.append(
                ImportIssue(
                    f"{parent.level_label}「{parent.path}」が登録されていません（先に{parent.level_label}だけの行を書いてください）",
                    number,
                    parent.level_label,
                )
            )
    if issues:
        raise ImportRejected(sorted(issues, key=lambda i: (i.row or 0, i.column or "")))
    return declared


def describe_units(units: Sequence[OrgUnit], limit: int = 10) -> str:
    shown = "、".join(u.path for u in sorted(units, key=sort_key)[:limit])
    return shown + (f" ほか{len(units) - limit}件" if len(units) > limit else "")
