"""デジタル・ディバイド対策: storage, permission checks and the audit trail.

**Storage.** Table ``DigitalDivide``:

- partition ``classes``: one entity per class, row key ``<YYYYMMDD>-<HHMM>-<hash of 区・会場>`` (the
  natural key: the same class recorded twice is the same row), plus ``import|…`` markers (one per
  person and file), written in the same all-or-nothing batch as the file's classes;
- partition ``partners``: the partner contacts, row key ``<連携先>|<object id>``;
- partition ``outreach``: one entity per fiscal year, the planned and actual figures (JSON).

**Who writes.** Admins record everything; a partner's contact records that partner's classes (by
card or Excel) and their attendance. Outreach and partner contacts are the admins'. Every write:
``require`` first, the audit trail, then one write (ETag for edits; the same values again save
nothing).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from services.audit.models import Change
from services.audit.trail import AuditLog
from services.digital_divide.classes import (
    FIELDS,
    Rejected,
    parse_class,
    parse_count,
    read_rows,
    workbook_bytes,
)
from services.digital_divide.models import (
    R5,
    WARDS,
    ClassForm,
    ImportResult,
    Outreach,
    OutreachItem,
    Overview,
    PartnerContact,
    Plan,
    PlanView,
    SmartphoneClass,
)
from services.digital_divide.plan import plan_view
from services.digital_divide.records import (
    CLASSES,
    Conflict,
    DigitalDivideError,
    FormRejected,
    NotFound,
    na,
    record_entity,
    same_class,
    smartphone_class,
)
from services.kernel.seed import SeedError, read_seed_frame
from services.kernel.settings import TIMEZONE
from services.people.identity import FORBIDDEN_NAME_CHARS, Actor, Person, clean_name, normalise_object_id
from services.people.permissions import Action, Forbidden, Resource, ResourceKind, check, require
from storage.base import (
    BatchFailed,
    BatchOperation,
    Entity,
    EntityExists,
    EntityNotFound,
    ETagMismatch,
    TableStore,
)

TABLE = "DigitalDivide"
PARTNERS = "partners"
OUTREACH = "outreach"
AUDIT_CLASS = "digital_divide_class"
AUDIT_OUTREACH = "digital_divide_outreach"
AUDIT_PARTNER = "digital_divide_partner"
DEFAULT_PARTNERS: tuple[str, ...] = ("大学", "社会福祉協議会")
OUTREACH_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("poster_city", "ポスター（市有施設）", "枚"),
    ("poster_private", "ポスター（民間施設）", "枚"),
    *((f"flyer_{i}", f"チラシ（{w}）", "枚") for i, w in enumerate(WARDS)),
    ("kouhou", "広報さかい 掲載記事", "件"),
)
MAX_NOTE = 100
CLASS_WRITERS = "その連携先の担当者（管理者が登録）と ICTイノベーション推進室（管理者）"


class DigitalDivideService:
    def __init__(
        self,
        store: TableStore,
        clock: Callable[[], datetime],
        *,
        plans: Mapping[int, tuple[int, int]] | None = None,
        partners: Sequence[str] = DEFAULT_PARTNERS,
    ):
        self._store = store
        self._clock = clock
        self._plans = dict(plans or {})
        self._default_partners = tuple(partners)
        self._audit = AuditLog(store, clock)

    def today(self) -> date:
        return self._clock().astimezone(TIMEZONE).date()

    # --- the material (seed) and the plan ------------------------------------------------------

    def _seed_rows(self, name: str) -> list[tuple]:
        """A seed file's rows as stored; none when the store was not seeded (``app.py --seed``)."""
        try:
            return list(read_seed_frame(self._store, name).itertuples(index=False))
        except SeedError:
            return []

    def overview(self) -> Overview:
        rows = {r[0]: r[1] for r in self._seed_rows("digital_divide_overview")}
        summary = rows.pop("取組の概要", "")
        actions = tuple(f"{r[2]}{r[3]}" for r in self._seed_rows("digital_divide_plan"))
        r4 = tuple((r[0], r[1], int(r[2]), r[3]) for r in self._seed_rows("digital_divide_r4"))
        return Overview(summary, tuple(rows.items()), actions, r4)

    def plan_for(self, fiscal_year: int) -> Plan | None:
        if fiscal_year in self._plans:
            classes, people = self._plans[fiscal_year]
            return Plan(fiscal_year, classes, people, "設定（DIGITAL_DIVIDE_PLANS）")
        if fiscal_year == R5:
            for row in self._seed_rows("digital_divide_plan"):
                if str(row[5]) == "R5予定" and not na(row[6]):
                    return Plan(R5, int(row[6]), int(row[7]), "会議資料（R5予定）")
        return None

    def classes(self, fiscal_year: int | None = None) -> list[SmartphoneClass]:
        where = {"fy": fiscal_year} if fiscal_year is not None else None
        found = [
            smartphone_class(e)
            for e in self._store.query(TABLE, CLASSES, where)
            if not e.row_key.startswith("import|")
        ]
        return sorted(found, key=lambda c: (c.day, c.start, c.ward))

    def plan_view(self, viewer: Person, fiscal_year: int, as_of: date) -> PlanView:
        require(viewer, Action.READ, Resource(ResourceKind.DIGITAL_DIVIDE))
        return plan_view(fiscal_year, self.plan_for(fiscal_year), self.classes(fiscal_year), as_of)

    def upcoming(self, as_of: date, ward: str = "", limit: int = 30) -> list[SmartphoneClass]:
        """Classes from today on, for residents (anyone may read them)."""
        found = [c for c in self.classes() if c.day >= as_of and (not ward or c.ward == ward)]
        return found[:limit]

    # --- partners -----------------------------------------------------------------------------

    def contacts(self) -> list[PartnerContact]:
        return [
            PartnerContact(e["partner"], e["object_id"], e.get("name", ""))
            for e in self._store.query(TABLE, PARTNERS)
        ]

    def partners(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self._default_partners, *(c.partner for c in self.contacts())]))

    def partners_of(self, person: Person) -> tuple[str, ...]:
        return tuple(c.partner for c in self.contacts() if c.object_id == person.object_id)

    def may_record(self, person: Person) -> bool:
        return person.is_admin or bool(self.partners_of(person))

    def _class_resource(self, person: Person, partner: str) -> Resource:
        owner = person.object_id if partner and partner in self.partners_of(person) else None
        return Resource(ResourceKind.DIGITAL_DIVIDE_CLASSES, owner=owner)

    def _require_class(self, person: Person, partner: str) -> None:
        """The one check, worded for classes: the relation that lets a contact write is "owner"
        (see :meth:`_class_resource`), which the shared wording would call 「ご本人」."""
        decision = check(person, Action.WRITE, self._class_resource(person, partner))
        if not decision.allowed:
            raise Forbidden(dataclasses.replace(decision, who=CLASS_WRITERS))

    def add_contact(self, actor: Actor, partner: str, object_id: str, name: str) -> PartnerContact:
        require(actor.person, Action.WRITE, Resource(ResourceKind.DIGITAL_DIVIDE_ADMIN))
        partner = clean_name(partner)
        oid = normalise_object_id(object_id)
        if not partner or len(partner) > 60 or FORBIDDEN_NAME_CHARS.search(partner):
            raise DigitalDivideError(
                "連携先の名前は1～60文字で入力してください（「/ \\ # ? |」は使えません）。"
            )
        contact = PartnerContact(partner, oid, name)
        entity = Entity(PARTNERS, f"{partner}|{oid}", {"partner": partner, "object_id": oid, "name": name})
        if self._store.get(TABLE, PARTNERS, entity.row_key):
            return contact  # already registered
        change = Change(AUDIT_PARTNER, entity.row_key, "create", None, dict(entity.properties))
        with contextlib.suppress(EntityExists):
            self._audit.apply(actor, [change], lambda: self._store.insert(TABLE, entity))
        return contact

    # --- recording classes --------------------------------------------------------------------

    def class_form(self, actor: Actor, values: Mapping[str, str] | None = None) -> ClassForm:
        person = actor.person
        mine = self.partners() if person.is_admin else self.partners_of(person)
        partner = mine[0] if len(mine) == 1 else ""
        self._require_class(person, partner or (mine[0] if mine else ""))
        return ClassForm({"partner": partner, **(values or {})}, {}, mine)

    def record_class(self, actor: Actor, values: Mapping[str, Any]) -> tuple[SmartphoneClass, bool]:
        """Record a class (and its attendance when given). The same values again save nothing."""
        person = actor.person
        # may this person record classes at all (an admin, or a contact of some partner)?
        self._require_class(person, (self.partners_of(person) or ("",))[0])
        mine = self.partners() if person.is_admin else self.partners_of(person)
        shown = {f: str(values.get(f) or "") for f in FIELDS}
        parsed, errors = parse_class(values, mine)
        if parsed is None:
            raise FormRejected(ClassForm(shown, errors, mine))
        self._require_class(person, parsed.partner)
        entity = record_entity(parsed, person.object_id)
        existing = self._store.get(TABLE, CLASSES, entity.row_key)
        if existing is not None:
            return self._existing_class(person, existing, entity, ClassForm(shown, {}, mine)), False
        change = Change(AUDIT_CLASS, entity.row_key, "create", None, dict(entity.properties))
        try:
            saved = self._audit.apply(actor, [change], lambda: self._store.insert(TABLE, entity))
        except EntityExists:  # recorded at the same moment from another click
            existing = self._store.get(TABLE, CLASSES, entity.row_key)
            assert existing is not None
            return self._existing_class(person, existing, entity, ClassForm(shown, {}, mine)), False
        return smartphone_class(saved), True

    @staticmethod
    def _existing_class(person: Person, existing: Entity, wanted: Entity, form: ClassForm) -> SmartphoneClass:
        """The class is already there: the same person's same values again is a duplicate (nothing
        written); anything else, someone else's record or other values, is refused with the values kept."""
        if existing.get("recorded_by") == person.object_id and same_class(
            existing.properties, wanted.properties
        ):
            return smartphone_class(existing)
        other = smartphone_class(existing)
        message = (
            f"同じ日時・区・会場の教室は、先に記録されています（定員 {other.capacity}名・{other.partner}）。"
            "最新の内容を確かめ、参加者数は「参加者数を入力」から入力してください。"
        )
        raise FormRejected(ClassForm(form.values, {"venue": message}, form.partners, message))

    def get_class(self, class_id: str) -> SmartphoneClass:
        entity = self._store.get(TABLE, CLASSES, class_id) if class_id and "|" not in class_id else None
        if entity is None:
            raise NotFound()
        return smartphone_class(entity)

    def record_attendance(
        self, actor: Actor, class_id: str, value: Any, etag: str | None
    ) -> tuple[SmartphoneClass, bool]:
        item = self.get_class(class_id)
        self._require_class(actor.person, item.partner)
        try:
            attendance = parse_count(value, 1000)
            if attendance is None:
                raise ValueError(value)
        except ValueError:
            raise DigitalDivideError("参加者数は0～1000の整数で入力してください。") from None
        if item.day > self.today():
            raise DigitalDivideError(
                f"{item.day.month}月{item.day.day}日の教室は、まだ実施日前です。参加者数は実施後に入力してください。"
            )
        entity = self._store.get(TABLE, CLASSES, item.id)
        last_by = entity.get("attendance_by", "") if entity else ""
        if etag != item.etag:
            if item.attendance == attendance and last_by == actor.person.object_id:
                return item, False  # the same person's same value again: a duplicate
            raise Conflict("この教室の参加者数", item)
        if item.attendance == attendance:
            return item, False  # nothing to change
        before = record_entity(item, item.recorded_by)
        props = {**before.properties, "attendance": attendance, "attendance_by": actor.person.object_id}
        after = Entity(CLASSES, item.id, props)
        change = Change(
            AUDIT_CLASS, item.id, "update", {"attendance": item.attendance}, {"attendance": attendance}
        )
        try:
            saved = self._audit.apply(actor, [change], lambda: self._store.upsert(TABLE, after, item.etag))
        except (ETagMismatch, EntityNotFound) as error:
            raise Conflict("この教室の参加者数", self.get_class(item.id)) from error
        return smartphone_class(saved), True

    def import_xlsx(self, actor: Actor, data: bytes) -> ImportResult:
        """Classes from a workbook: all saved, or none (every bad cell named)."""
        person = actor.person
        mine = self.partners() if person.is_admin else self.partners_of(person)
        self._require_class(person, mine[0] if mine else "")
        rows = read_rows(data, mine)
        digest = hashlib.sha256(data).hexdigest()[:32]
        marker = Entity(CLASSES, f"import|{digest}|{person.object_id}", {"at": self._clock().isoformat()})
        if self._store.get(TABLE, CLASSES, marker.row_key):
            return ImportResult(0, 0, len(rows))  # the same file from the same person again
        operations, changes, added, updated, unchanged, seen = (
            [BatchOperation("insert", marker)],
            [],
            0,
            0,
            0,
            {},
        )
        for number, parsed in rows:
            self._require_class(person, parsed.partner)
            entity = record_entity(parsed, person.object_id)
            if entity.row_key in seen:
                raise Rejected([f"{number}行目: {seen[entity.row_key]}行目と同じ日時・区・会場です"])
            seen[entity.row_key] = number
            existing = self._store.get(TABLE, CLASSES, entity.row_key)
            if existing is None:
                operations.append(BatchOperation("insert", entity))
                changes.append(Change(AUDIT_CLASS, entity.row_key, "import", None, dict(entity.properties)))
                added += 1
            elif same_class(existing.properties, entity.properties):
                unchanged += 1
            else:
                kept = Entity(
                    CLASSES,
                    entity.row_key,
                    {**entity.properties, "recorded_by": existing.get("recorded_by", person.object_id)},
                )
                operations.append(BatchOperation("upsert", kept, existing.etag))
                changes.append(
                    Change(
                        AUDIT_CLASS,
                        entity.row_key,
                        "import",
                        dict(existing.properties),
                        dict(kept.properties),
                    )
                )
                updated += 1
        try:
            self._audit.apply(actor, changes, lambda: self._store.batch(TABLE, operations))
        except BatchFailed as error:
            if isinstance(error.cause, EntityExists) and error.index == 0:
                return ImportResult(0, 0, len(rows))
            raise Rejected(["取込中にほかの画面で教室が更新されました。もう一度送ってください"]) from error
        return ImportResult(added, updated, unchanged)

    def export_xlsx(self, viewer: Person, fiscal_year: int) -> bytes:
        require(viewer, Action.READ, Resource(ResourceKind.DIGITAL_DIVIDE))
        return workbook_bytes(self.classes(fiscal_year), f"スマホ教室（{fiscal_year - 2018}年度）")

    # --- outreach -----------------------------------------------------------------------------

    def outreach(self, fiscal_year: int) -> Outreach:
        entity = self._store.get(TABLE, OUTREACH, str(fiscal_year))
        figures = json.loads(entity.get("figures") or "{}") if entity else {}
        items = tuple(
            OutreachItem(k, label, unit, *(figures.get(k) or (None, None)))
            for k, label, unit in OUTREACH_ITEMS
        )
        return Outreach(
            fiscal_year,
            items,
            entity.get("note", "") if entity else "",
            entity.etag if entity else None,
            entity.get("updated_by", "") if entity else "",
        )

    def set_outreach(
        self, actor: Actor, fiscal_year: int, values: Mapping[str, Any], etag: str | None
    ) -> tuple[Outreach, bool]:
        require(actor.person, Action.WRITE, Resource(ResourceKind.DIGITAL_DIVIDE_ADMIN))
        current = self.outreach(fiscal_year)
        figures: dict[str, list[int | None]] = {}
        errors = []
        for item in current.items:
            pair: list[int | None] = []
            for kind in ("planned", "actual"):
                raw = values.get(f"{kind}|{item.key}")
                try:
                    pair.append(parse_count(raw, 10_000_000))
                except ValueError:
                    errors.append(
                        f"{item.label}の{'計画' if kind == 'planned' else '実績'}: "
                        f"0以上の整数で入力してください（入力: {raw}）"
                    )
                    pair.append(None)
            if pair != [None, None]:
                figures[item.key] = pair
        note = clean_name(str(values.get("note") or ""))[:MAX_NOTE]
        if errors:
            raise DigitalDivideError("；".join(errors))
        before = {
            i.key: [i.planned, i.actual] for i in current.items if (i.planned, i.actual) != (None, None)
        }
        same = before == figures and note == current.note
        if etag != current.etag:
            if same and current.updated_by == actor.person.object_id:
                return current, False  # the same person's same values again: a duplicate
            raise Conflict("周知・啓発の計画と実績")
        if same:
            return current, False  # nothing to change
        props = {"figures": json.dumps(figures), "note": note or None, "updated_by": actor.person.object_id}
        entity = Entity(OUTREACH, str(fiscal_year), props)
        change = Change(
            AUDIT_OUTREACH,
            str(fiscal_year),
            "update" if current.etag else "create",
            {"figures": before, "note": current.note} if current.etag else None,
            {"figures": figures, "note": note},
        )
        write = (
            (lambda: self._store.upsert(TABLE, entity, current.etag))
            if current.etag
            else (lambda: self._store.insert(TABLE, entity))
        )
        try:
            self._audit.apply(actor, [change], write)
        except (ETagMismatch, EntityNotFound, EntityExists) as error:
            raise Conflict("周知・啓発の計画と実績") from error
        return self.outreach(fiscal_year), True
