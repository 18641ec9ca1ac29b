"""Plain models of 堺市DX (cards import this module): plans, comments, reports, courses, sessions, teams."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

PROGRAMME = "dx"
TITLE = "堺市DX"
SNAPSHOT_LABEL = "2023年8月8日 会議資料時点"


class Category(enum.StrEnum):
    """The four kinds of DX target business in the material."""

    APPLICATIONS = "applications"
    DATA = "data"
    PAPER = "paper"
    SHARING = "sharing"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS = {
    Category.APPLICATIONS: "申請事務の効率的な手続き手法の確立",
    Category.DATA: "電子データの円滑な管理手法の確立",
    Category.PAPER: "紙を取り扱う作業の電子化・自動化",
    Category.SHARING: "関係部署との情報連携の効率化",
}


class PlanState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    ACTIVE = "active"
    REPORTED = "reported"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    PlanState.DRAFT: "下書き",
    PlanState.SUBMITTED: "提出",
    PlanState.IN_REVIEW: "ICT室確認",
    PlanState.ACTIVE: "実行中",
    PlanState.REPORTED: "報告済",
}


@dataclass(frozen=True)
class Milestone:
    due: date
    title: str
    done: bool = False

    def overdue(self, as_of: date) -> bool:
        return not self.done and self.due < as_of

    def to_dict(self) -> dict[str, Any]:
        return {"due": self.due.isoformat(), "title": self.title, "done": self.done}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Milestone:
        return cls(date.fromisoformat(data["due"]), data["title"], bool(data.get("done")))


@dataclass(frozen=True)
class Comment:
    """One message of the 伴走 thread (or a note the system adds on a state change)."""

    at: datetime
    author_id: str
    author_name: str
    text: str
    kind: str = "comment"  # comment | return | accept | submit | report

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "author_id": self.author_id,
            "author_name": self.author_name,
            "text": self.text,
            "kind": self.kind,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Comment:
        return cls(
            datetime.fromisoformat(data["at"]),
            data.get("author_id", ""),
            data.get("author_name", ""),
            data.get("text", ""),
            data.get("kind", "comment"),
        )


@dataclass(frozen=True)
class Report:
    """The DX実施報告書: the result against the KPI, and what was learned."""

    kpi_actual: float
    results: str
    learned: str
    shared: bool = False
    filed_at: datetime | None = None
    filed_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kpi_actual": self.kpi_actual,
            "results": self.results,
            "learned": self.learned,
            "shared": self.shared,
            "filed_at": self.filed_at.isoformat() if self.filed_at else "",
            "filed_by": self.filed_by,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        filed = data.get("filed_at") or ""
        return cls(
            float(data.get("kpi_actual", 0)),
            data.get("results", ""),
            data.get("learned", ""),
            bool(data.get("shared")),
            datetime.fromisoformat(filed) if filed else None,
            data.get("filed_by", ""),
        )


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    by: str
    action: str  # Japanese: 「提出」「差し戻し」…
    state: PlanState

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "by": self.by, "action": self.action, "state": self.state.value}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HistoryEntry:
        return cls(
            datetime.fromisoformat(data["at"]),
            data.get("by", ""),
            data.get("action", ""),
            PlanState(data.get("state", PlanState.DRAFT)),
        )


@dataclass(frozen=True)
class Plan:
    """A department's DX実行計画 for one DX target business."""

    plan_id: str  # "<bureau>|<department>|<n>"
    bureau: str
    department: str
    business: str  # the DX対象業務
    category: Category
    purpose: str = ""
    goal: str = ""
    kpi: str = ""
    kpi_target: float = 0.0
    kpi_unit: str = ""
    issues: str = ""
    milestones: tuple[Milestone, ...] = ()
    state: PlanState = PlanState.DRAFT
    returned: bool = False  # back to 下書き after the ICT office returned it
    submitted_at: datetime | None = None
    comments: tuple[Comment, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    report: Report | None = None
    version: int = 0
    etag: str | None = None

    @property
    def unit_path(self) -> str:
        return f"{self.bureau}/{self.department}"

    def overdue_milestones(self, as_of: date) -> list[Milestone]:
        if self.state not in (PlanState.ACTIVE,):
            return []
        return [m for m in self.milestones if m.overdue(as_of)]

    @property
    def attainment(self) -> float | None:
        """KPI actual / target (1.0 = attained), once reported."""
        if self.report is None or not self.kpi_target:
            return None
        return self.report.kpi_actual / self.kpi_target

    def content(self) -> dict[str, Any]:
        """What the DX PRO writes (the audit's before/after and the duplicate check)."""
        return {
            "business": self.business,
            "category": self.category.value,
            "purpose": self.purpose,
            "goal": self.goal,
            "kpi": self.kpi,
            "kpi_target": self.kpi_target,
            "kpi_unit": self.kpi_unit,
            "issues": self.issues,
            "milestones": [m.to_dict() for m in self.milestones],
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.content(),
            "plan_id": self.plan_id,
            "bureau": self.bureau,
            "department": self.department,
            "state": self.state.value,
            "returned": self.returned,
            "submitted_at": self.submitted_at.isoformat() if self.submitted_at else "",
            "comments": [c.to_dict() for c in self.comments],
            "history": [h.to_dict() for h in self.history],
            "report": self.report.to_dict() if self.report else None,
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], etag: str | None = None) -> Plan:
        submitted = data.get("submitted_at") or ""
        return cls(
            plan_id=data["plan_id"],
            bureau=data["bureau"],
            department=data["department"],
            business=data.get("business", ""),
            category=Category(data.get("category", Category.APPLICATIONS)),
            purpose=data.get("purpose", ""),
            goal=data.get("goal", ""),
            kpi=data.get("kpi", ""),
            kpi_target=float(data.get("kpi_target", 0)),
            kpi_unit=data.get("kpi_unit", ""),
            issues=data.get("issues", ""),
            milestones=tuple(Milestone.from_dict(m) for m in data.get("milestones", [])),
            state=PlanState(data.get("state", PlanState.DRAFT)),
            returned=bool(data.get("returned")),
            submitted_at=datetime.fromisoformat(submitted) if submitted else None,
            comments=tuple(Comment.from_dict(c) for c in data.get("comments", [])),
            history=tuple(HistoryEntry.from_dict(h) for h in data.get("history", [])),
            report=Report.from_dict(data["report"]) if data.get("report") else None,
            version=int(data.get("version", 0)),
            etag=etag,
        )

    def with_(self, **changes: Any) -> Plan:
        return replace(self, **changes)


@dataclass(frozen=True)
class PlanForm:
    """The plan card's inputs: values as typed (strings) and the errors per field."""

    bureau: str
    department: str
    plan_id: str = ""  # empty: a new plan
    etag: str = ""
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    notice: str = ""
    current: dict[str, str] = field(default_factory=dict)  # after a conflict: the values stored now


class Audience(enum.StrEnum):
    DIRECTORS = "directors"  # 部長
    DX_PROS = "dx_pros"
    SELECTED = "selected"  # 選抜
    ALL_STAFF = "all_staff"

    @property
    def label(self) -> str:
        return {
            Audience.DIRECTORS: "部長",
            Audience.DX_PROS: "DX PRO",
            Audience.SELECTED: "選抜",
            Audience.ALL_STAFF: "全職員",
        }[self]


class CourseFormat(enum.StrEnum):
    CLASSROOM = "集合"
    VIDEO = "動画"
    GROUP_WORK = "グループワーク"


@dataclass(frozen=True)
class Course:
    key: str  # "c1".."c6", the seed's order
    title: str
    summary: str
    format: CourseFormat
    audiences: tuple[Audience, ...]
    months: str  # 「5～6月」

    @property
    def is_video(self) -> bool:
        return self.format is CourseFormat.VIDEO

    @property
    def audience_label(self) -> str:
        return "・".join(a.label for a in self.audiences)


@dataclass(frozen=True)
class Session:
    session_id: str
    course: str  # course key
    day: date
    start: str  # "14:00"
    end: str  # "16:00"
    place: str = ""
    link: str = ""
    capacity: int = 0
    enrolled: tuple[str, ...] = ()  # object ids, in order of enrolment
    waiting: tuple[str, ...] = ()
    attended: tuple[str, ...] = ()
    units: dict[str, str] = field(default_factory=dict)  # object id -> "局/部" when they enrolled
    etag: str | None = None

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - len(self.enrolled))

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "course": self.course,
            "day": self.day.isoformat(),
            "start": self.start,
            "end": self.end,
            "place": self.place,
            "link": self.link,
            "capacity": self.capacity,
            "enrolled": list(self.enrolled),
            "waiting": list(self.waiting),
            "attended": list(self.attended),
            "units": dict(self.units),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], etag: str | None = None) -> Session:
        return cls(
            data["session_id"],
            data["course"],
            date.fromisoformat(data["day"]),
            data.get("start", ""),
            data.get("end", ""),
            data.get("place", ""),
            data.get("link", ""),
            int(data.get("capacity", 0)),
            tuple(data.get("enrolled", [])),
            tuple(data.get("waiting", [])),
            tuple(data.get("attended", [])),
            dict(data.get("units", {})),
            etag,
        )


class EnrolOutcome(enum.StrEnum):
    ENROLLED = "enrolled"
    WAITING = "waiting"
    ALREADY = "already"
    ALREADY_WAITING = "already_waiting"

    @property
    def label(self) -> str:
        return {
            EnrolOutcome.ENROLLED: "申込を受け付けました",
            EnrolOutcome.WAITING: "定員に達しているため、キャンセル待ちに登録しました",
            EnrolOutcome.ALREADY: "すでに申し込まれています",
            EnrolOutcome.ALREADY_WAITING: "すでにキャンセル待ちに登録されています",
        }[self]


@dataclass(frozen=True)
class VideoAssignment:
    course: str
    due: date
    audiences: tuple[Audience, ...]


class AcademyStage(enum.IntEnum):
    NOT_STARTED = 0
    HYPOTHESIS = 1
    WORKFLOW = 2
    COST_EFFECTIVENESS = 3
    PRESENTATION = 4

    @property
    def label(self) -> str:
        return ("未着手", "仮説", "業務フロー", "費用対効果", "最終発表")[self]


@dataclass(frozen=True)
class AcademyTeam:
    number: str  # ①..④
    work: str
    participation: str
    departments: tuple[str, ...]
    common_departments: tuple[str, ...]
    stage: AcademyStage = AcademyStage.NOT_STARTED
    note: str = ""
    etag: str | None = None

    @property
    def members(self) -> tuple[str, ...]:
        return self.departments + self.common_departments


@dataclass(frozen=True)
class PersonCourse:
    """A person's standing on one course: enrolled / waiting / attended / watched."""

    course: Course
    status: str  # Japanese
    session: Session | None = None
    due: date | None = None


@dataclass(frozen=True)
class DepartmentStatus:
    bureau: str
    department: str
    participating: bool
    plans: tuple[Plan, ...] = ()


@dataclass(frozen=True)
class Overview:
    target: int  # from the seed (72)
    departments: tuple[DepartmentStatus, ...]
    as_of: date

    @property
    def participating(self) -> list[DepartmentStatus]:
        return [d for d in self.departments if d.participating]

    @property
    def plans(self) -> list[Plan]:
        return [p for d in self.departments for p in d.plans]

    def state_counts(self) -> dict[PlanState, int]:
        counts = {s: 0 for s in PlanState}
        for plan in self.plans:
            counts[plan.state] += 1
        return counts

    @property
    def with_plan(self) -> int:
        return sum(1 for d in self.participating if d.plans)

    def overdue(self) -> list[tuple[Plan, Milestone]]:
        return [(p, m) for p in self.plans for m in p.overdue_milestones(self.as_of)]

    @property
    def attainment(self) -> float | None:
        rates = [p.attainment for p in self.plans if p.attainment is not None]
        return sum(min(r, 1.0) for r in rates) / len(rates) if rates else None


# --- what the scheduler sends (built by services.dx.proactive) -------------------------------------


@dataclass(frozen=True)
class SessionReminder:
    session: Session
    course: Course
    bureau: str
    departments: tuple[str, ...]
    enrolled_here: int  # people of these departments enrolled


@dataclass(frozen=True)
class VideoFollowUp:
    course: Course
    due: date
    person: str
    name: str


@dataclass(frozen=True)
class PlanAlert:
    kind: str  # not_submitted | milestone | review
    bureau: str
    department: str
    plan: Plan | None = None
    milestone: Milestone | None = None
    due: date | None = None
    waiting_days: int = 0
