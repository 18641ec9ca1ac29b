"""デジタル・ディバイド対策: the service's errors and how a class is stored (entity ↔ model)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, time
from typing import Any

from services.digital_divide.classes import Parsed
from services.digital_divide.models import ClassForm, SmartphoneClass
from services.digital_divide.plan import fiscal_year_of
from storage.base import Entity

CLASSES = "classes"


class DigitalDivideError(Exception):
    """A request that cannot be done; ``str(error)`` is Japanese for the user."""


class FormRejected(DigitalDivideError):
    def __init__(self, form: ClassForm):
        super().__init__(form.message or "入力内容を確認してください。")
        self.form = form


class Conflict(DigitalDivideError):
    """Someone (another person, or the same person in another window) saved first: the answer shows
    the latest state and keeps what this person typed. ``item``: the latest class, when a class."""

    def __init__(self, what: str = "この記録", item: SmartphoneClass | None = None):
        super().__init__(
            f"ほかの方が先に{what}を更新しました（別の画面からの入力を含みます）。最新の内容を表示しています。"
        )
        self.item = item


class NotFound(DigitalDivideError):
    def __init__(self) -> None:
        super().__init__("その教室の記録が見つかりません（削除されたか、古いカードです）。")


def class_key(day: date, start: time, ward: str, venue: str) -> str:
    digest = hashlib.sha1(f"{ward}|{venue}".encode()).hexdigest()[:12]
    return f"{day:%Y%m%d}-{start:%H%M}-{digest}"


def record_entity(c: Parsed | SmartphoneClass, recorded_by: str) -> Entity:
    props: dict[str, Any] = {
        "day": c.day.isoformat(),
        "start": f"{c.start:%H:%M}",
        "end": f"{c.end:%H:%M}",
        "ward": c.ward,
        "venue": c.venue,
        "partner": c.partner,
        "capacity": c.capacity,
        "fy": fiscal_year_of(c.day),
        "recorded_by": recorded_by,
    }
    if c.attendance is not None:
        props["attendance"] = c.attendance
    return Entity(CLASSES, class_key(c.day, c.start, c.ward, c.venue), props)


def smartphone_class(e: Entity) -> SmartphoneClass:
    return SmartphoneClass(
        e.row_key,
        date.fromisoformat(e["day"]),
        time.fromisoformat(e["start"]),
        time.fromisoformat(e["end"]),
        e["ward"],
        e["venue"],
        e["partner"],
        int(e["capacity"]),
        e.get("attendance"),
        e.get("recorded_by", ""),
        e.etag,
    )


def same_class(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    keys = ("day", "start", "end", "ward", "venue", "partner", "capacity", "attendance")
    return all(a.get(k) == b.get(k) for k in keys)


def na(value: Any) -> bool:
    try:
        return value is None or value != value or str(value) == "<NA>"
    except TypeError:
        return True
