"""The test organisation and roster (the same files the end-to-end Playground users come from)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from services.kernel.settings import TIMEZONE
from services.people.identity import Actor, system_actor
from services.people.service import PeopleService
from storage.base import TableStore

FIXTURES = Path(__file__).resolve().parent.parent / "e2e" / "fixtures"
ORGANISATION_CSV = FIXTURES / "organisation.csv"
ROSTER_CSV = FIXTURES / "roster.csv"

ADMIN = "00000000-0000-4000-8000-000000000001"  # 情報 太郎, 管理者
DX_HEALTH = "00000000-0000-4000-8000-000000000002"  # 健康 花子, DX PRO 健康福祉局/健康部
DX_CHILD = "00000000-0000-4000-8000-000000000003"  # 子ども 次郎, DX PRO 子ども青少年局/子育て支援部
MANAGER = "00000000-0000-4000-8000-000000000004"  # 福祉 部長, 管理職 健康福祉局
CONTACT = "00000000-0000-4000-8000-000000000005"  # 財政 担当, 局担当 財政局
STAFF = "00000000-0000-4000-8000-000000000006"  # 一般 職員, 職員
UNREGISTERED = "00000000-0000-4000-8000-0000000000ff"


class Clock:
    """A clock that moves one second per call, so audit entries have distinct times."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2026, 11, 26, 10, 0, tzinfo=TIMEZONE)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def load_fixtures(store: TableStore, clock=None) -> PeopleService:
    people = PeopleService(store, clock or Clock())
    actor = system_actor("テスト準備", "test-setup")
    people.import_organisation(actor, ORGANISATION_CSV.read_bytes(), ORGANISATION_CSV.name)
    people.import_roster(actor, ROSTER_CSV.read_bytes(), ROSTER_CSV.name)
    return people


def actor_of(people: PeopleService, object_id: str, conversation_id: str = "a:test-conversation") -> Actor:
    return Actor(people.resolve(object_id, "未登録 さん"), conversation_id)
