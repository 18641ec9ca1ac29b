"""JSON kept in one entity, split over properties ``data0``, ``data1``… so that no string property
passes Azure's 32K-character limit and the entity stays well under 1 MiB (DESIGN §5)."""

from __future__ import annotations

import json
from typing import Any

from storage.base import Entity

CHUNK = 30_000  # characters per property (Azure: 32K UTF-16 units; our text is BMP Japanese)
MAX_CHUNKS = 14  # 420,000 characters: about 840 KB in UTF-16, under the 1 MiB entity limit


class TooLarge(ValueError):
    """The value does not fit in one entity."""


def to_properties(value: Any) -> dict[str, str]:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    parts = [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]
    if len(parts) > MAX_CHUNKS:
        raise TooLarge(f"{len(text)} characters")
    return {f"data{i}": part for i, part in enumerate(parts)}


def from_entity(entity: Entity) -> Any:
    parts = []
    for i in range(MAX_CHUNKS):
        part = entity.get(f"data{i}")
        if part is None:
            break
        parts.append(part)
    return json.loads("".join(parts))
