"""Idempotent card submissions, shared by every programme: telling a retry from a new submission.

A card carries a random submission id. In a channel or a group chat one card is *shared*: every
member sees the same card and the same id. So an id alone says nothing about who sent what.

**The rule.** A submission is a duplicate (a retry: a double click, a client resending) only when
the SAME person sends the SAME values for the SAME record again under the same card id. Anything
else is a new submission, which meets the record's ETag check like any other write: a second DX
PRO sending other figures from the shared card gets the 「ほかの方が先に…」 card, never 「この内容は
すでに保存されています」 for figures that are not hers.

**The marker.** Each saved submission leaves a marker entity, inserted in the same batch (same
partition) as the write it records. Its row key is a digest of all four parts (card id, sender's
object id, record, hash of the normalised values), so:

- a marker of another person, another record or other values is never even read: a replayed id
  cannot show another bureau's figures;
- the same person sending other values from the same card can be saved too (a new marker);
- two identical retries at once collide on the marker's key: one batch wins, the other fails and
  finds the winner's marker (:meth:`SubmissionMarkers.find`), so it is answered as a duplicate.

The marker keeps the fields it was made of and :meth:`find` compares them again, so even a digest
collision can never answer somebody else's submission. ``result`` is the programme's own JSON (what
the confirmation card showed); it is returned only to a true duplicate.

Use::

    markers = SubmissionMarkers(store, TABLE, PARTITION)
    submission = Submission(card_id, actor.object_id, record="健康福祉局", values={...})
    if (hit := markers.find(submission)) is not None:
        return the stored answer, from hit.result
    ... validate, check the ETag ...
    store.batch(TABLE, [markers.insert(submission, result, now), BatchOperation("upsert", ..., etag=...)])
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.kernel.privacy import safe_token
from storage.base import BatchOperation, Entity, InvalidEntity, TableStore

MARKER_KIND = "submission"
DEFAULT_PREFIX = "submission|"
ID_LENGTH = 32


def new_submission_id() -> str:
    """A fresh card id: 32 lower-case hex digits."""
    return safe_token(ID_LENGTH // 2)


def valid_submission_id(text: Any) -> bool:
    return isinstance(text, str) and len(text) == ID_LENGTH and all(c in "0123456789abcdef" for c in text)


def _normal(value: Any) -> Any:
    """Values as the service will read them: NFKC, spaces collapsed; nested values alike."""
    if value is None:
        return ""
    if isinstance(value, str):
        return " ".join(unicodedata.normalize("NFKC", value).split())
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {str(k): _normal(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_normal(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    return _normal(str(value))


def values_hash(values: Mapping[str, Any]) -> str:
    """SHA-256 of the normalised values (key order, width and spacing do not matter)."""
    text = json.dumps(_normal(dict(values)), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Submission:
    """One sending of a card: its id, who sent it, which record it writes, and what it says."""

    card_id: str
    sender: str  # the sender's object id (from.aadObjectId)
    record: str  # what the write changes, e.g. the bureau (a programme may add the period)
    values: Mapping[str, Any]

    @property
    def values_hash(self) -> str:
        return values_hash(self.values)

    @property
    def digest(self) -> str:
        parts = json.dumps([self.card_id, self.sender, self.record, self.values_hash], ensure_ascii=False)
        return hashlib.sha256(parts.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Marker:
    """A stored marker that matched a submission in every part."""

    submission_id: str
    sender: str
    record: str
    values_hash: str
    at: datetime | None
    result: str  # the programme's JSON
    properties: Mapping[str, Any]


class SubmissionMarkers:
    """Markers of saved submissions in one partition of a programme's table."""

    def __init__(self, store: TableStore, table: str, partition: str, prefix: str = DEFAULT_PREFIX):
        self._store = store
        self.table = table
        self.partition = partition
        self.prefix = prefix

    def row_key(self, submission: Submission) -> str:
        return self.prefix + submission.digest

    def find(self, submission: Submission) -> Marker | None:
        """The marker of this very submission (same card, person, record and values), or None.
        A marker that differs in any part is never returned."""
        try:
            entity = self._store.get(self.table, self.partition, self.row_key(submission))
        except InvalidEntity:
            return None
        if entity is None:
            return None
        stored = tuple(entity.get(k) for k in ("submission", "sender", "record", "values_hash"))
        if stored != (submission.card_id, submission.sender, submission.record, submission.values_hash):
            return None
        return Marker(
            entity["submission"],
            entity["sender"],
            entity["record"],
            entity["values_hash"],
            entity.get("at"),
            str(entity.get("result") or "{}"),
            dict(entity.properties),
        )

    def is_duplicate(self, submission: Submission) -> bool:
        return self.find(submission) is not None

    def entity(self, submission: Submission, result: str, at: datetime, **extra: Any) -> Entity:
        props: dict[str, Any] = {
            **extra,
            "kind": MARKER_KIND,
            "submission": submission.card_id,
            "sender": submission.sender,
            "record": submission.record,
            "values_hash": submission.values_hash,
            "at": at,
            "result": result,
        }
        return Entity(self.partition, self.row_key(submission), props)

    def insert(self, submission: Submission, result: str, at: datetime, **extra: Any) -> BatchOperation:
        """The batch operation that records ``submission`` (insert-if-absent), to go in the same
        batch as the write it records."""
        return BatchOperation("insert", self.entity(submission, result, at, **extra))
