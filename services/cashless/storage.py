"""How キャッシュレス is stored, and how the seed becomes the first registry.

Table ``Cashless``:

- partition ``registry``: ``receivable|<id>`` (one entity per receivable, its record as JSON),
  ``exclusion|<id>`` (one per exclusion), ``submission|<hash>`` (one per saved card submission,
  inserted in the same batch as the receivable it changed: the same person sending the same values
  for the same record from the same card again finds it and saves nothing). One partition keeps
  every write one all-or-nothing batch (the registry is a few dozen receivables).
- partition ``indicator``: ``current`` (the last imported payment counts and amounts, whole) and
  ``import|<id>`` markers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from services.cashless.models import (
    Channel,
    Exclusion,
    HistoryEntry,
    IndicatorLine,
    Method,
    PayMethod,
    Receivable,
    Rollout,
)
from storage.base import Entity, TableStore

TABLE = "Cashless"
REGISTRY = "registry"
INDICATOR = "indicator"
RECEIVABLE_PREFIX = "receivable|"
EXCLUSION_PREFIX = "exclusion|"
SUBMISSION_PREFIX = "submission|"
MAX_HISTORY = 60


def receivable_doc(r: Receivable) -> dict[str, Any]:
    return {
        "name": r.name,
        "channel": r.channel.value,
        "bureau": r.bureau,
        "section": r.section,
        "cases": r.annual_cases,
        "amount": r.annual_amount,
        "methods": None if r.methods is None else [m.value for m in r.methods],
        "status": r.status.value,
        "planned": r.planned_on.isoformat() if r.planned_on else None,
        "tender": r.tender_year,
        "tender_note": r.tender_note,
        "listed": r.listed,
        "introduced": r.introduced,
        "note": r.note,
        "history": [
            {
                "at": h.at,
                "by": h.by_name,
                "s": h.status.value,
                "p": h.planned_on.isoformat() if h.planned_on else None,
                "n": h.note,
            }
            for h in r.history[-MAX_HISTORY:]
        ],
    }


def receivable_from_doc(
    rid: str, doc: Mapping[str, Any], version: int = 0, etag: str | None = None
) -> Receivable:
    methods = doc.get("methods")
    return Receivable(
        id=rid,
        name=doc["name"],
        channel=Channel(doc["channel"]),
        bureau=doc.get("bureau", ""),
        section=doc.get("section", ""),
        annual_cases=doc.get("cases"),
        annual_amount=doc.get("amount"),
        methods=None if methods is None else tuple(Method(m) for m in methods),
        status=Rollout(doc.get("status", Rollout.NOT_STARTED)),
        planned_on=date.fromisoformat(doc["planned"]) if doc.get("planned") else None,
        tender_year=doc.get("tender"),
        tender_note=doc.get("tender_note", ""),
        listed=bool(doc.get("listed")),
        introduced=doc.get("introduced", ""),
        note=doc.get("note", ""),
        history=tuple(
            HistoryEntry(
                h["at"],
                h.get("by", ""),
                Rollout(h["s"]),
                date.fromisoformat(h["p"]) if h.get("p") else None,
                h.get("n", ""),
            )
            for h in doc.get("history", [])
        ),
        version=version,
        etag=etag,
    )


def receivable_entity(r: Receivable, now: datetime, by: str = "") -> Entity:
    return Entity(
        REGISTRY,
        RECEIVABLE_PREFIX + r.id,
        {
            "kind": "receivable",
            "bureau": r.bureau,
            "version": r.version,
            "updated_at": now,
            "updated_by": by,
            "doc": json.dumps(receivable_doc(r), ensure_ascii=False, separators=(",", ":")),
        },
    )


def receivable_from_entity(entity: Entity) -> Receivable:
    rid = entity.row_key.removeprefix(RECEIVABLE_PREFIX)
    return receivable_from_doc(rid, json.loads(entity["doc"]), int(entity.get("version", 0)), entity.etag)


def exclusion_entity(x: Exclusion, now: datetime) -> Entity:
    return Entity(
        REGISTRY,
        EXCLUSION_PREFIX + x.id,
        {"kind": "exclusion", "keyword": x.keyword, "reason": x.reason, "source": x.source, "added_at": now},
    )


def exclusion_from_entity(entity: Entity) -> Exclusion:
    return Exclusion(
        entity.row_key.removeprefix(EXCLUSION_PREFIX),
        entity["keyword"],
        entity["reason"],
        entity.get("source", ""),
    )


def indicator_lines_json(lines: list[IndicatorLine]) -> str:
    return json.dumps([[x.fiscal_year, x.method.value, x.cases, x.amount] for x in lines], ensure_ascii=False)


def indicator_lines(text: str) -> list[IndicatorLine]:
    return [IndicatorLine(int(y), PayMethod(m), int(c), int(a)) for y, m, c, a in json.loads(text or "[]")]


# --- the seed --------------------------------------------------------------------------------------


def _tender(text: str) -> tuple[int | None, str]:
    text = (text or "").strip()
    if text.startswith("R") and text[1:].isdigit():
        return 2018 + int(text[1:]), ""
    if text == "複数年":
        return None, "複数年（施設ごとに異なる。施設ごとの年度は未登録）"
    return None, text


def seed_receivables(store: TableStore) -> tuple[list[Receivable], list[Exclusion]]:
    """The material's receivables (not yet cashless), what R4 and R5当初 introduced, and the exclusions."""
    from services.kernel.seed import read_seed_frame

    receivables: list[Receivable] = []
    frame = read_seed_frame(store, "cashless_receivables")
    for i, row in enumerate(frame.to_dict("records"), start=1):
        year, note = _tender(str(row.get("切替公募年度") or ""))
        receivables.append(
            Receivable(
                id=f"r{i:02d}",
                name=str(row["債権名"]),
                channel=Channel.from_seed(str(row["区分"])),
                bureau=str(row.get("所管局") or ""),
                section=str(row.get("所管課") or ""),
                methods=(),
                tender_year=year,
                tender_note=note,
                listed=True,
            )
        )
    done = read_seed_frame(store, "cashless_done")
    for i, row in enumerate(done.to_dict("records"), start=1):
        target = str(row["対象"])
        count = f" {int(row['数'])}{row['単位']}" if str(row["単位"]) != "窓口" else ""
        receivables.append(
            Receivable(
                id=f"d{i:02d}",
                name=f"{target}（{row['導入時期']}導入{count}）",
                channel=Channel.COUNTER,
                methods=None,
                status=Rollout.DONE,
                introduced=str(row["導入時期"]),
                note=(
                    ""
                    if target.endswith("窓口")
                    else "区分（直営・指定管理者）と施設ごとの内訳は会議資料に記載がありません。"
                )
                + (f"財源: {row['財源']}" if row.get("財源") else ""),
            )
        )
    policy = read_seed_frame(store, "cashless_policy")
    exclusions = [
        Exclusion(f"x{i:02d}", str(row["項目"]), str(row["内容"]))
        for i, row in enumerate((r for r in policy.to_dict("records") if r["区分"] == "対象外"), start=1)
    ]
    return receivables, exclusions
