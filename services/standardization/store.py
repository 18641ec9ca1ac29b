"""Storage of 業務システムの標準化: entities in table ``Standardization``, one partition ``state``.

Row keys:

- ``config``: the step list (JSON) and the city's subsidy cap; its ETag guards admin edits;
- ``system|<NN>``: one per system (01–20), its whole record as JSON; its ETag is carried by the
  cards that change it;
- ``counter``: the last gap sequence number (gaps are numbered city-wide in submission order);
- ``gap|<seq:06d>``: one per gap, its review included;
- ``submission|<hash>``: one per saved card submission (person + record + values), inserted in the
  same batch as the write, so the same person sending the same values for the same record twice
  saves once.

Twenty systems, the config and the gaps fit one partition; one partition makes every write (a
step, a gap with its counter and marker, a whole-workbook import) a single all-or-nothing batch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from services.kernel.submissions import Submission
from services.standardization.models import (
    Costs,
    Gap,
    Handling,
    Owner,
    Review,
    ReviewResult,
    Step,
    StepDef,
    StepStatus,
    System,
)
from storage.base import Entity

TABLE = "Standardization"
PARTITION = "state"
CONFIG_ROW = "config"
COUNTER_ROW = "counter"
SYSTEM_PREFIX = "system|"
GAP_PREFIX = "gap|"
SUBMISSION_PREFIX = "submission|"
#: Every entity carries ``kind``, so a read of the systems or the gaps is filtered in the store
#: (the duplicate markers pile up in the same partition).
KIND_SYSTEM, KIND_GAP, KIND_SUBMISSION = "system", "gap", "submission"


def _d(value: date | None) -> str:
    return value.isoformat() if value else ""


def _pd(text: Any) -> date | None:
    return date.fromisoformat(text) if text else None


def step_def_doc(s: StepDef) -> dict[str, Any]:
    return {
        "k": s.key,
        "n": s.name,
        "o": s.owner.value,
        "s": _d(s.start),
        "e": _d(s.end),
        "u": s.until_deadline,
        "st": s.section_task,
        "it": s.ict_task,
    }


def step_def(doc: Mapping[str, Any]) -> StepDef:
    return StepDef(
        doc["k"],
        doc["n"],
        Owner(doc["o"]),
        _pd(doc.get("s")),
        _pd(doc.get("e")),
        bool(doc.get("u")),
        doc.get("st", ""),
        doc.get("it", ""),
    )


def config_entity(steps: Sequence[StepDef], cap: int | None) -> Entity:
    props: dict[str, Any] = {"steps_json": json.dumps([step_def_doc(s) for s in steps], ensure_ascii=False)}
    if cap is not None:
        props["cap"] = cap
    return Entity(PARTITION, CONFIG_ROW, props)


def config_from(entity: Entity) -> tuple[tuple[StepDef, ...], int | None]:
    return tuple(step_def(d) for d in json.loads(entity["steps_json"])), entity.get("cap")


def system_doc(s: System) -> dict[str, Any]:
    return {
        "number": s.number,
        "operation": s.operation,
        "group": s.group,
        "bureau": s.bureau,
        "section": s.section,
        "vendor": s.vendor,
        "spec": s.specification,
        "hard": s.hard,
        "special": s.special,
        "own_deadline": _d(s.own_deadline),
        "data_done_on": _d(s.data_done_on),
        "steps": [
            {
                "k": t.key,
                "st": t.status.value,
                "s": _d(t.start),
                "e": _d(t.end),
                "d": _d(t.done_on),
                "n": t.note,
            }
            for t in s.steps
        ],
        "costs": {"eligible": s.costs.eligible, "outside": list(s.costs.outside)},
    }


def system_from_doc(doc: Mapping[str, Any], etag: str | None = None) -> System:
    costs = doc.get("costs") or {}
    return System(
        doc["number"],
        doc["operation"],
        doc["group"],
        doc.get("bureau", ""),
        doc.get("section", ""),
        doc.get("vendor", ""),
        doc.get("spec") or System.specification,
        bool(doc.get("hard")),
        bool(doc.get("special")),
        _pd(doc.get("own_deadline")),
        _pd(doc.get("data_done_on")),
        tuple(
            Step(
                t["k"], StepStatus(t["st"]), _pd(t.get("s")), _pd(t.get("e")), _pd(t.get("d")), t.get("n", "")
            )
            for t in doc.get("steps", ())
        ),
        Costs(int(costs.get("eligible", 0)), tuple(int(v) for v in costs.get("outside", (0,) * 5))),
        etag,
    )


def system_entity(s: System) -> Entity:
    return Entity(
        PARTITION,
        SYSTEM_PREFIX + s.number,
        {"kind": KIND_SYSTEM, "doc": json.dumps(system_doc(s), ensure_ascii=False)},
    )


def system_from(entity: Entity) -> System:
    return system_from_doc(json.loads(entity["doc"]), entity.etag)


def gap_doc(g: Gap) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": g.id,
        "system": g.system,
        "seq": g.sequence,
        "title": g.title,
        "detail": g.detail,
        "handling": g.handling.value,
        "amount": g.amount,
        "at": g.submitted_at.isoformat(),
        "by": g.submitted_by,
    }
    if g.review:
        doc["review"] = {
            "r": [r.value for r in g.review.results],
            "c": list(g.review.comments),
            "by": g.review.by_name,
            "at": g.review.at.isoformat(),
        }
    return doc


def gap_from_doc(doc: Mapping[str, Any]) -> Gap:
    r = doc.get("review")
    review = (
        Review(
            tuple(ReviewResult(v) for v in r["r"]), tuple(r["c"]), r["by"], datetime.fromisoformat(r["at"])
        )
        if r
        else None
    )
    return Gap(
        doc["id"],
        doc["system"],
        int(doc["seq"]),
        doc["title"],
        doc.get("detail", ""),
        Handling(doc["handling"]),
        doc.get("amount"),
        datetime.fromisoformat(doc["at"]),
        doc.get("by", ""),
        review,
    )


def gap_row(sequence: int) -> str:
    return f"{GAP_PREFIX}{sequence:06d}"


def gap_entity(g: Gap) -> Entity:
    return Entity(
        PARTITION, gap_row(g.sequence), {"kind": KIND_GAP, "doc": json.dumps(gap_doc(g), ensure_ascii=False)}
    )


def gap_from(entity: Entity) -> Gap:
    return gap_from_doc(json.loads(entity["doc"]))


def submission_key(person_id: str, record: str, values: Mapping[str, Any]) -> str:
    """The marker of a submission: the same person, the same record, the same values (the shared
    rule, :class:`services.kernel.submissions.Submission`; the record carries the card's ETag)."""
    return SUBMISSION_PREFIX + Submission("", person_id, record, values).digest[:40]


def marker_entity(key: str, at: datetime, person_id: str) -> Entity:
    return Entity(PARTITION, key, {"kind": KIND_SUBMISSION, "at": at, "by": person_id})
