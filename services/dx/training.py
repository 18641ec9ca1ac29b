"""The DX PRO training programme: sessions with capacity and a waiting list, attendance, videos watched
and their assignments, データアカデミー teams and their stages.

Storage: table ``DxTraining``; partition ``session`` (one row per session, enrolled and waiting
lists in it: every enrolment is a conditional write on the session's ETag, retried on conflict,
so concurrent enrolments never exceed the capacity nor lose anybody), ``watched`` (row
``<object id>|<course>``), ``assignment`` (row = course key: a video's due date) and ``academy``
(row = team number: its stage).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from services.audit.models import Change
from services.audit.trail import AuditLog
from services.dx.blobs import from_entity, to_properties
from services.dx.catalogue import Catalogue, load_catalogue
from services.dx.forms import clean
from services.dx.models import (
    AcademyStage,
    AcademyTeam,
    Audience,
    EnrolOutcome,
    PersonCourse,
    Session,
    VideoAssignment,
)
from services.kernel.calendar import DateParseError, parse_japanese_date
from services.kernel.numbers import parse_count
from services.kernel.privacy import safe_token
from services.people.identity import Actor, Person, Role, system_actor
from services.people.permissions import Action, Resource, ResourceKind, require
from services.people.service import PeopleService
from storage.base import Entity, EntityExists, EntityNotFound, ETagMismatch, TableStore

TABLE = "DxTraining"
SESSIONS, WATCHED, ASSIGNMENTS, ACADEMY = "session", "watched", "assignment", "academy"
MAX_RETRIES = 50
MAX_CAPACITY = 1000  # with MAX_WAITING, a session's lists stay well inside one entity
MAX_WAITING = 500
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class TrainingError(Exception):
    """A refusal to show the user (Japanese)."""


def _unit(person: Person) -> str:
    return person.unit.path if person.unit else ""


class TrainingService:
    def __init__(
        self,
        store: TableStore,
        clock: Callable[[], datetime],
        audit: AuditLog | None = None,
        catalogue: Catalogue | None = None,
    ):
        self._store = store
        self._clock = clock
        self._audit = audit or AuditLog(store, clock)
        self._catalogue = catalogue

    @property
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            self._catalogue = load_catalogue(self._store)
        return self._catalogue

    # --- sessions -----------------------------------------------------------------------------

    def sessions(self) -> list[Session]:
        found = [Session.from_dict(from_entity(e), e.etag) for e in self._store.query(TABLE, SESSIONS)]
        return sorted(found, key=lambda s: (s.day, s.start, s.session_id))

    def session(self, session_id: str) -> Session:
        try:
            entity = self._store.get(TABLE, SESSIONS, session_id)
        except ValueError:
            entity = None
        if entity is None:
            raise TrainingError("その研修の日程は見つかりませんでした。")
        return Session.from_dict(from_entity(entity), entity.etag)

    def create_session(self, actor: Actor, data: Mapping[str, Any]) -> Session:
        require(actor.person, Action.WRITE, Resource(ResourceKind.DX_REVIEW))
        course = self.catalogue.course(str(data.get("course") or ""))
        problems = []
        if course is None:
            problems.append("研修を選んでください")
        try:
            day = parse_japanese_date(str(data.get("day") or ""))
        except DateParseError:
            day, _ = None, problems.append("日付を入力してください（例: 2026-12-10）")
        start, end = str(data.get("start") or "").strip(), str(data.get("end") or "").strip()
        if not _TIME.match(start) or not _TIME.match(end) or start.zfill(5) >= end.zfill(5):
            problems.append("開始・終了の時刻を HH:MM で入力してください（開始が先）")
        capacity, _ = parse_count(data.get("capacity"), required=True, maximum=MAX_CAPACITY)
        if capacity is None or capacity < 1:
            problems.append(f"定員を 1～{MAX_CAPACITY} の数で入力してください")
        place, link = clean(data.get("place"))[:100], str(data.get("link") or "").strip()[:500]
        if not place and not link:
            problems.append("場所かオンラインのリンクを入力してください")
        if link and not link.startswith("https://"):
            problems.append("リンクは https:// で始まる URL を入力してください")
        if problems:
            raise TrainingError("、".join(problems) + "。")
        assert course is not None and day is not None and capacity is not None
        session = Session(safe_token(6), course.key, day, start.zfill(5), end.zfill(5), place, link, capacity)
        entity = Entity(SESSIONS, session.session_id, to_properties(session.to_dict()))
        change = Change(
            "dx_session",
            session.session_id,
            "create",
            None,
            {"course": course.title, "day": day.isoformat(), "start": start, "capacity": capacity},
        )
        saved = self._audit.apply(actor, [change], lambda: self._store.insert(TABLE, entity))
        return Session.from_dict(session.to_dict(), saved.etag)

    def _update_session(
        self, actor: Actor, session_id: str, change_fn: Callable[[Session], Session | None], operation: str
    ) -> tuple[Session, Session]:
        """Read, change, write on the ETag; retried when another enrolment got there first."""
        for _ in range(MAX_RETRIES):
            before = self.session(session_id)
            after = change_fn(before)
            if after is None:
                return before, before
            entity = Entity(SESSIONS, session_id, to_properties(after.to_dict()))
            change = Change(
                "dx_session",
                session_id,
                operation,
                {
                    "enrolled": len(before.enrolled),
                    "waiting": len(before.waiting),
                    "attended": len(before.attended),
                },
                {
                    "enrolled": len(after.enrolled),
                    "waiting": len(after.waiting),
                    "attended": len(after.attended),
                    "person": actor.object_id,
                },
            )
            try:
                saved = self._audit.apply(
                    actor, [change], lambda e=entity, b=before: self._store.upsert(TABLE, e, etag=b.etag)
                )
            except (ETagMismatch, EntityNotFound):
                continue
            return before, Session.from_dict(after.to_dict(), saved.etag)
        raise TrainingError("申込が混み合っています。少し時間をおいてもう一度お試しください。")

    def enrol(self, actor: Actor, session_id: str) -> tuple[Session, EnrolOutcome]:
        """Enrol within capacity, or join the waiting list. Enrolling twice changes nothing."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.DX_ENROLMENT, owner=actor.object_id))
        me = actor.object_id
        outcome: list[EnrolOutcome] = []

        def change(session: Session) -> Session | None:
            outcome.clear()
            if me in session.enrolled:
                outcome.append(EnrolOutcome.ALREADY)
                return None
            if me in session.waiting:
                outcome.append(EnrolOutcome.ALREADY_WAITING)
                return None
            units = {**session.units, me: _unit(actor.person)}
            if len(session.enrolled) < session.capacity:
                outcome.append(EnrolOutcome.ENROLLED)
                return Session.from_dict(
                    {**session.to_dict(), "enrolled": [*session.enrolled, me], "units": units}
                )
            if len(session.waiting) >= MAX_WAITING:
                raise TrainingError("定員に達し、キャンセル待ちもいっぱいです。別の日程をお選びください。")
            outcome.append(EnrolOutcome.WAITING)
            return Session.from_dict({**session.to_dict(), "waiting": [*session.waiting, me], "units": units})

        _, after = self._update_session(actor, session_id, change, "enrol")
        return after, outcome[0]

    def cancel(self, actor: Actor, session_id: str) -> Session:
        """Withdraw; the first person waiting takes the seat."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.DX_ENROLMENT, owner=actor.object_id))
        me = actor.object_id

        def change(session: Session) -> Session | None:
            if me not in session.enrolled and me not in session.waiting:
                return None
            enrolled = [p for p in session.enrolled if p != me]
            waiting = [p for p in session.waiting if p != me]
            while waiting and len(enrolled) < session.capacity:
                enrolled.append(waiting.pop(0))
            return Session.from_dict({**session.to_dict(), "enrolled": enrolled, "waiting": waiting})

        return self._update_session(actor, session_id, change, "cancel")[1]

    def record_attendance(self, actor: Actor, session_id: str, attended: list[str]) -> Session:
        require(actor.person, Action.WRITE, Resource(ResourceKind.DX_REVIEW))

        def change(session: Session) -> Session | None:
            present = [p for p in session.enrolled if p in set(attended)]
            if present == list(session.attended):
                return None
            return Session.from_dict({**session.to_dict(), "attended": present})

        return self._update_session(actor, session_id, change, "attendance")[1]

    # --- videos -------------------------------------------------------------------------------

    def watched(self) -> dict[tuple[str, str], datetime]:
        return {(e["object_id"], e["course"]): e["at"] for e in self._store.query(TABLE, WATCHED)}

    def mark_watched(self, actor: Actor, course_key: str) -> bool:
        """Mark a video as watched (True if it was new)."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.DX_ENROLMENT, owner=actor.object_id))
        course = self.catalogue.course(course_key)
        if course is None or not course.is_video:
            raise TrainingError("動画の研修だけを視聴済みにできます。")
        entity = Entity(
            WATCHED,
            f"{actor.object_id}|{course.key}",
            {
                "object_id": actor.object_id,
                "course": course.key,
                "at": self._clock(),
                "unit": _unit(actor.person),
            },
        )
        change = Change("dx_enrolment", entity.row_key, "create", None, {"watched": course.title})
        try:
            self._audit.apply(actor, [change], lambda: self._store.insert(TABLE, entity))
        except EntityExists:
            return False
        return True

    def assignments(self) -> list[VideoAssignment]:
        return [
            VideoAssignment(
                e.row_key,
                date.fromisoformat(e["due"]),
                tuple(Audience(a) for a in e.get("audiences", "").split(",") if a),
            )
            for e in self._store.query(TABLE, ASSIGNMENTS)
        ]

    def assign_video(self, actor: Actor, course_key: str, due_text: str) -> VideoAssignment:
        """Set (or move) the due date by which the course's audience should have watched a video."""
        require(actor.person, Action.WRITE, Resource(ResourceKind.DX_REVIEW))
        course = self.catalogue.course(course_key)
        if course is None or not course.is_video:
            raise TrainingError("動画の研修を選んでください。")
        try:
            due = parse_japanese_date(due_text)
        except DateParseError:
            raise TrainingError("視聴期限を日付で入力してください（例: 2026-12-25）。") from None
        audiences = tuple(a for a in course.audiences if a is not Audience.ALL_STAFF)
        entity = Entity(
            ASSIGNMENTS,
            course.key,
            {"due": due.isoformat(), "audiences": ",".join(a.value for a in audiences)},
        )
        before = next((a for a in self.assignments() if a.course == course.key), None)
        change = Change(
            "dx_enrolment",
            f"assignment|{course.key}",
            "update" if before else "create",
            {"due": before.due.isoformat()} if before else None,
            {"due": due.isoformat()},
        )
        self._audit.apply(actor, [change], lambda: self._store.upsert(TABLE, entity))
        return VideoAssignment(course.key, due, audiences)

    # --- who is in an audience ----------------------------------------------------------------

    def roster(self) -> list[Person]:
        viewer = system_actor("堺市DX", "dx").person
        return PeopleService(self._store, self._clock).everyone(viewer)

    @staticmethod
    def in_audience(person: Person, audiences: tuple[Audience, ...]) -> bool:
        if Audience.ALL_STAFF in audiences:
            return True
        if Audience.DX_PROS in audiences and person.has(Role.DX_PRO):
            return True
        return Audience.DIRECTORS in audiences and any(
            g.role is Role.MANAGER and g.scope and g.scope.department for g in person.grants
        )

    # --- a person's and a department's records ------------------------------------------------

    def person_courses(self, viewer: Person, object_id: str) -> list[PersonCourse]:
        require(viewer, Action.READ, Resource(ResourceKind.DX_ENROLMENT, owner=object_id))
        watched = self.watched()
        sessions = self.sessions()
        due = {a.course: a.due for a in self.assignments()}
        result = []
        for course in self.catalogue.courses:
            mine = [s for s in sessions if s.course == course.key and object_id in s.enrolled + s.waiting]
            session = mine[-1] if mine else None
            if course.is_video:
                status = "視聴済み" if (object_id, course.key) in watched else "未視聴"
            elif session is None:
                status = "未申込"
            elif object_id in session.attended:
                status = "受講済み"
            elif object_id in session.waiting:
                status = f"キャンセル待ち（{session.waiting.index(object_id) + 1}番目）"
            else:
                status = "申込済み"
            result.append(PersonCourse(course, status, session, due.get(course.key)))
        return result

    def department_records(
        self, viewer: Person, bureau: str, department: str
    ) -> list[tuple[Person, list[str]]]:
        """Who in the department has done what: (person, one status per course)."""
        require(viewer, Action.READ, Resource(ResourceKind.DX_ENROLMENT, bureau, department))
        people = [
            p for p in self.roster() if p.unit and p.unit.bureau == bureau and p.unit.department == department
        ]
        system = system_actor("堺市DX", "dx").person
        return [(p, [pc.status for pc in self.person_courses(system, p.object_id)]) for p in people]

    # --- データアカデミー -----------------------------------------------------------------------

    def academy(self) -> list[AcademyTeam]:
        stored = {e.row_key: e for e in self._store.query(TABLE, ACADEMY)}
        teams = []
        for team in self.catalogue.academy:
            e = stored.get(team.number)
            if e is not None:
                team = AcademyTeam(
                    team.number,
                    team.work,
                    team.participation,
                    team.departments,
                    team.common_departments,
                    AcademyStage(int(e.get("stage", 0))),
                    e.get("note", ""),
                    e.etag,
                )
            teams.append(team)
        return teams

    def set_stage(self, actor: Actor, number: str, stage: int, note: str = "") -> AcademyTeam:
        require(actor.person, Action.WRITE, Resource(ResourceKind.DX_REVIEW))
        team = next((t for t in self.academy() if t.number == number), None)
        if team is None or stage not in {s.value for s in AcademyStage}:
            raise TrainingError("チームと段階を選んでください。")
        entity = Entity(ACADEMY, number, {"stage": int(stage), "note": clean(note)[:500]})
        change = Change(
            "dx_academy",
            number,
            "update",
            {"stage": team.stage.label},
            {"stage": AcademyStage(stage).label, "note": clean(note)[:500]},
        )
        self._audit.apply(actor, [change], lambda: self._store.upsert(TABLE, entity))
        return self.academy()[[t.number for t in self.academy()].index(number)]
