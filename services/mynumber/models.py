"""Plain models of マイナンバー情報総点検. Cards import this module; everything here is a frozen value.

Vocabulary (the material's and the national inspection's):

- an **operation** (事務) of a section (課・室) holds **items** (情報), the pieces of information it
  links to My Numbers; each item has the survey answer (how it links, whether the number is on the
  application, whether numbers come from someone other than the person, how many records);
- an operation **needs a full-data inspection** (全データ点検) unless every item links by system
  auto-link, identity documents or a query with all four basic items; it falls in the bucket of
  100 or more records or under 100 (the threshold is a setting);
- a target operation goes through ① 全データ点検, ② 誤紐付けの修正 and ③ 情報漏えい・閲覧の調査,
  each with a status and a due date, then **publication** (公表);
- every operation has the four entries of the **recurrence-prevention checklist** (再発防止策).

No field holds a My Number: the free-text fields are masked before storage.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

from services.people.identity import OrgUnit

PROGRAMME_KEY = "mynumber"
SNAPSHOT_LABEL = "2023年8月8日 会議資料時点"
DEFAULT_THRESHOLD = 100


class LinkMethod(enum.StrEnum):
    AUTO = "システム自動連携"
    ID_DOCUMENT = "本人確認書類"
    FOUR_ITEMS = "4情報で照会"
    THREE_OR_FEWER = "3情報以下で照会"
    OTHER = "その他"

    @property
    def qualifies(self) -> bool:
        """Linked in a way the national inspection accepts without checking every record."""
        return self in (LinkMethod.AUTO, LinkMethod.ID_DOCUMENT, LinkMethod.FOUR_ITEMS)

    @property
    def hint(self) -> str:
        return {LinkMethod.THREE_OR_FEWER: "例: 氏名＋生年月日"}.get(self, "")


class StepStatus(enum.StrEnum):
    NOT_STARTED = "未着手"
    IN_PROGRESS = "実施中"
    DONE = "完了"


class Cause(enum.StrEnum):
    FAMILY = "家族の番号"
    NAMESAKE = "同姓同名の他人"
    INPUT = "入力誤り"
    OTHER = "その他"


class Viewed(enum.StrEnum):
    YES = "あり"
    NO = "なし"
    UNKNOWN = "不明"


class PublicationStatus(enum.StrEnum):
    NOT_YET = "未公表"
    PREPARING = "公表準備中"
    PUBLISHED = "公表済み"


class ChecklistKind(enum.StrEnum):
    NUMBER_ON_FORM = "number_on_form"
    AUTO_LINK = "auto_link"
    MANUAL = "manual"
    MISLINK_RULE = "mislink_rule"

    @property
    def label(self) -> str:
        return CHECKLIST_LABELS[self]


CHECKLIST_LABELS = {
    ChecklistKind.NUMBER_ON_FORM: "申請書へのマイナンバー記載・提示依頼",
    ChecklistKind.AUTO_LINK: "システム自動連携の範囲の拡張",
    ChecklistKind.MANUAL: "登録（紐付け）マニュアルの作成（事業主等、本人以外から得る番号の扱いを含む）",
    ChecklistKind.MISLINK_RULE: "誤紐付けが発生した場合の報告・公表ルールの整理",
}


class ChecklistStatus(enum.StrEnum):
    NOT_STARTED = "未着手"
    IN_PROGRESS = "対応中"
    DONE = "完了"
    NOT_APPLICABLE = "対象外"

    @property
    def closed(self) -> bool:
        return self in (ChecklistStatus.DONE, ChecklistStatus.NOT_APPLICABLE)


# --- items and the survey ------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One piece of information (情報) of an operation, with its survey answer."""

    id: str  # "i1", "i2", … unique within the operation
    name: str
    method: LinkMethod | None = None
    method_text: str = ""  # what "その他" means (masked)
    number_on_application: bool | None = None  # 申請書にマイナンバーを記載
    from_others: bool | None = None  # 本人以外（事業主等）から番号を取得
    records: int | None = None  # レコード件数
    answered_by: str = ""
    answered_on: date | None = None

    @property
    def answered(self) -> bool:
        return self.method is not None and self.records is not None

    @property
    def method_label(self) -> str:
        if self.method is LinkMethod.OTHER:
            return f"その他（{self.method_text}）" if self.method_text else "その他"
        return self.method.value if self.method else "未回答"


# --- inspection ① ② ③ -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditRef:
    """A result of the linkage audit (the next issue's engine) attached to ① and ②."""

    run_id: str
    run_on: date
    in_scope: int
    checked: int
    found: int


@dataclass(frozen=True)
class FullCheck:
    """① 全データ点検."""

    status: StepStatus = StepStatus.NOT_STARTED
    due: date | None = None  # None: the completion date of the settings
    in_scope: int | None = None  # 点検対象件数
    checked: int | None = None  # 点検済み件数
    audit: AuditRef | None = None


@dataclass(frozen=True)
class Mislinks:
    """② 誤紐付けの修正."""

    status: StepStatus = StepStatus.NOT_STARTED
    due: date | None = None
    found: int | None = None
    corrected: int | None = None
    causes: tuple[Cause, ...] = ()
    cause_text: str = ""  # what "その他" means (masked)
    audit: AuditRef | None = None

    @property
    def causes_label(self) -> str:
        labels = [
            c.value if c is not Cause.OTHER or not self.cause_text else f"その他（{self.cause_text}）"
            for c in self.causes
        ]
        return "、".join(labels)


@dataclass(frozen=True)
class LeakCheck:
    """③ 情報漏えい・閲覧の調査: did the person or a third party view the data on マイナポータル?"""

    status: StepStatus = StepStatus.NOT_STARTED
    due: date | None = None
    viewed: Viewed | None = None
    action: str = ""  # the corrective action (masked)


@dataclass(frozen=True)
class Publication:
    status: PublicationStatus = PublicationStatus.NOT_YET
    published_on: date | None = None


@dataclass(frozen=True)
class ChecklistEntry:
    kind: ChecklistKind
    owner: str = ""
    status: ChecklistStatus = ChecklistStatus.NOT_STARTED
    due: date | None = None
    note: str = ""  # masked

    @property
    def label(self) -> str:
        return self.kind.label


def empty_checklist() -> tuple[ChecklistEntry, ...]:
    return tuple(ChecklistEntry(kind) for kind in ChecklistKind)


# --- operations ------------------------------------------------------------------------------------


class Bucket(enum.StrEnum):
    LARGE = "large"  # the threshold (100) or more records
    SMALL = "small"


@dataclass(frozen=True)
class Classification:
    needs_full_check: bool
    records: int  # of the target items when it needs a full check, else of every item
    bucket: Bucket


@dataclass(frozen=True)
class Operation:
    """One operation (事務) of a section, with everything recorded about it."""

    id: str
    unit: OrgUnit
    name: str
    items: tuple[Item, ...] = ()
    survey_due: date | None = None  # None: the survey due date of the settings
    full_check: FullCheck = field(default_factory=FullCheck)
    mislinks: Mislinks = field(default_factory=Mislinks)
    leak_check: LeakCheck = field(default_factory=LeakCheck)
    publication: Publication = field(default_factory=Publication)
    checklist: tuple[ChecklistEntry, ...] = field(default_factory=empty_checklist)
    updated_by: str = ""
    version: int = 0
    etag: str | None = None

    @property
    def bureau(self) -> str:
        return self.unit.bureau

    @property
    def place(self) -> str:
        """「健康福祉局 保険年金課」: the bureau and the unit's own name."""
        return self.unit.bureau if self.unit.level == 1 else f"{self.unit.bureau} {self.unit.name}"

    @property
    def answered(self) -> int:
        return sum(1 for i in self.items if i.answered)

    @property
    def fully_answered(self) -> bool:
        return bool(self.items) and all(i.answered for i in self.items)

    def entry(self, kind: ChecklistKind) -> ChecklistEntry:
        return next((e for e in self.checklist if e.kind is kind), ChecklistEntry(kind))


# --- views -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Matrix:
    """The 2×2 matrix: operations by (needs a full check?) × (records ≥ threshold?)."""

    linked_large: int  # システム自動連携・本人確認書類・4情報 × threshold or more
    linked_small: int
    other_large: int  # 上記以外（3情報以下など） × threshold or more
    other_small: int
    threshold: int = DEFAULT_THRESHOLD
    unclassified: int = 0  # operations whose items are not all answered yet
    snapshot: bool = False  # the meeting material's figures

    @property
    def cells(self) -> tuple[int, int, int, int]:
        return (self.linked_large, self.linked_small, self.other_large, self.other_small)

    @property
    def total(self) -> int:
        return sum(self.cells)

    @property
    def targets(self) -> int:
        return self.other_large + self.other_small


@dataclass(frozen=True)
class SectionProgress:
    unit: OrgUnit
    items: int
    answered: int
    contacts: tuple[str, ...] = ()  # names of the section's bureau contacts

    @property
    def missing(self) -> int:
        return self.items - self.answered


@dataclass(frozen=True)
class SurveyProgress:
    """Answered against total, per bureau and section. ``snapshot``: the material's figures only."""

    items: int
    answered: int
    sections: int
    bureaus: tuple[str, ...]
    by_section: tuple[SectionProgress, ...] = ()
    snapshot: bool = False

    def bureau_totals(self) -> list[tuple[str, int, int]]:
        rows: dict[str, list[int]] = {}
        for s in self.by_section:
            totals = rows.setdefault(s.unit.bureau, [0, 0])
            totals[0] += s.items
            totals[1] += s.answered
        return [(b, t[0], t[1]) for b, t in rows.items()]


@dataclass(frozen=True)
class OverviewRow:
    operation: Operation
    steps: tuple[tuple[str, StepStatus, date, bool], ...]  # (label, status, due, overdue)
    publication: Publication
    classification: Classification

    @property
    def overdue(self) -> tuple[str, ...]:
        return tuple(label for label, _, _, late in self.steps if late)


@dataclass(frozen=True)
class Overview:
    as_of: date
    rows: tuple[OverviewRow, ...]
    interim_report: date
    completion: date

    @property
    def overdue_count(self) -> int:
        return sum(len(r.overdue) for r in self.rows)

    def done(self, step: int) -> int:
        return sum(1 for r in self.rows if r.steps[step][1] is StepStatus.DONE)


@dataclass(frozen=True)
class PublicationRow:
    operation: str
    place: str
    in_scope: int | None
    found: int | None
    causes: str
    impact: str
    response: str
    status: PublicationStatus
    published_on: date | None

    @property
    def rate(self) -> float | None:
        """紐付け誤り件数 / 点検対象件数 (None when there is nothing in scope)."""
        if not self.in_scope or self.found is None:
            return None
        return self.found / self.in_scope


@dataclass(frozen=True)
class PublicationTable:
    scope: str  # 「全市」 or the bureau
    as_of: date
    rows: tuple[PublicationRow, ...]

    @property
    def in_scope(self) -> int:
        return sum(r.in_scope or 0 for r in self.rows)

    @property
    def found(self) -> int:
        return sum(r.found or 0 for r in self.rows)

    @property
    def rate(self) -> float | None:
        return self.found / self.in_scope if self.in_scope else None


@dataclass(frozen=True)
class ChecklistSummary:
    kind: ChecklistKind
    total: int
    done: int
    overdue: int


@dataclass(frozen=True)
class ChecklistCity:
    as_of: date
    rows: tuple[ChecklistSummary, ...]
    overdue: tuple[tuple[Operation, ChecklistEntry], ...] = ()


# --- forms (what an editing card shows and carries back) ------------------------------------------


class FormKind(enum.StrEnum):
    SURVEY = "survey"
    INSPECTION = "inspection"
    CHECKLIST = "checklist"
    REGISTER = "register"


@dataclass(frozen=True)
class Form:
    kind: FormKind
    operation: Operation | None  # None for a new registration
    values: dict[str, str] = field(default_factory=dict)  # filled in (stored, or what the user typed)
    errors: dict[str, str] = field(default_factory=dict)  # input id -> Japanese message
    notice: str = ""
    default_due: date | None = None  # shown when a step or entry has no own due date
    current: dict[str, str] = field(default_factory=dict)  # after a conflict: the values stored now

    @property
    def etag(self) -> str:
        return (self.operation.etag or "") if self.operation else ""


@dataclass(frozen=True)
class Saved:
    operation: Operation
    kind: FormKind
    changes: tuple[tuple[str, str, str], ...]  # (label, before, after)
    duplicate: bool = False


@dataclass(frozen=True)
class ImportSummary:
    operations_added: int
    operations_updated: int
    items: int
    unchanged: int = 0

    @property
    def text(self) -> str:
        return (
            f"事務 {self.operations_added}件を追加、{self.operations_updated}件を更新しました"
            f"（情報 {self.items}件、変更なし {self.unchanged}件）。"
        )


@dataclass(frozen=True)
class AuditResult:
    """What the linkage audit hands over for one operation (issue 13 fills it)."""

    run_id: str
    run_on: date
    in_scope: int
    checked: int
    found: int


# --- the linkage audit in Teams (issue 13): what its cards show ----------------------------------


@dataclass(frozen=True)
class AuditFileChoice:
    """One uploaded file on the column-mapping card."""

    role: str  # "registry" (住基) or "records" (業務)
    name: str  # the file name as sent
    headers: tuple[str, ...]
    columns: dict[str, str]  # field -> chosen header ("" none)
    unsure: tuple[str, ...] = ()  # fields guessed from a partial header match
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditSummary:
    """The end of a run: counts per verdict, the first items (masked numbers only), ① and ②."""

    run_id: str
    run_on: date
    operation: str
    unit: str
    records: int
    registry_rows: int
    counts: tuple[tuple[str, int], ...]  # (verdict, count), every verdict in the engine's order
    top: tuple[tuple[str, str, str, str], ...]  # (record id, verdict, items that differ, masked number)
    wrong_numbers: int
    attached: str = ""  # what happened to ① and ② (Japanese)
    attach_failed: bool = False
