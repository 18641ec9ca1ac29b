"""Stand-ins for the proactive-message tests: a status source built from the seed data plus
synthetic procedures, fake alert sources, and a ready-made planner/runner on one store."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from bot.programmes import PROGRAMMES
from cards.proactive import CardRenderer
from services.kernel.calendar import FiscalQuarter
from services.kernel.seed import bureau_rows, load_seed
from services.proactive.alerts import DueAlert
from services.proactive.digest import ChartPoint, ProgrammeStatus, StatusItem, StatusLevel
from services.proactive.dispatch import SendError

ROOT = Path(__file__).resolve().parents[2]
INFOS = [p.info for p in PROGRAMMES]
QUARTER_COLUMNS = ("R5年度 4～6月実績", "R5年度 7～9月予定", "R5年度 10～12月予定", "R5年度 1～3月予定")
PROCEDURE_WORDS = (
    "住民票の写しの交付申請",
    "児童手当の現況届",
    "介護保険負担限度額認定申請",
    "道路占用許可申請",
    "犬の登録事項変更届",
    "市営住宅入居申込",
    "施設使用許可申請",
    "補助金交付申請書（様式第1号）",
)


def renderer() -> CardRenderer:
    return CardRenderer({i.key: (i.icon, i.title) for i in INFOS})


@cache
def seed_bureaus() -> list[dict]:
    return bureau_rows(load_seed(ROOT / "data").online_procedures).to_dict("records")


def largest_bureau() -> str:
    return max(seed_bureaus(), key=lambda r: r["帳票数"])["局"]


def synthetic_procedures(bureau: str, count: int, seed: int = 0) -> list[StatusItem]:
    rng = random.Random(f"{bureau}-{seed}")
    quarter = FiscalQuarter(2026, 2)
    items = []
    for n in range(count):
        name = f"{rng.choice(PROCEDURE_WORDS)}（{bureau} 第{n + 1}号 手続き・電子申請システム対応）"
        overdue = rng.random() < 0.35
        detail = f"{quarter.label} 予定・{'期限超過 12営業日' if overdue else '1四半期の遅れ'}"
        items.append(StatusItem(name, detail, overdue, bureau))
    return sorted(items, key=lambda i: not i.overdue)


@dataclass
class SeedOnlineProceduresStatus:
    """The online-procedures line from the seed table, with ``extra`` synthetic delayed
    procedures per bureau (the largest bureau gets its form count's worth)."""

    extra: int | None = None
    programme: str = "online_procedures"
    calls: list[tuple[date, str | None]] = field(default_factory=list)

    def _items(self, row: dict) -> list[StatusItem]:
        count = row["帳票数"] if self.extra is None else self.extra
        return synthetic_procedures(row["局"], int(count))

    def status(self, as_of: date, bureau: str | None) -> ProgrammeStatus:
        self.calls.append((as_of, bureau))
        rows = [r for r in seed_bureaus() if bureau is None or r["局"] == bureau]
        items = [i for r in rows for i in self._items(r)]
        planned = sum(int(r[c]) for r in rows for c in QUARTER_COLUMNS[1:])
        done = sum(int(r[QUARTER_COLUMNS[0]]) for r in rows)
        chart = tuple(
            ChartPoint(c.replace("R5年度 ", ""), float(sum(int(r[c]) for r in rows))) for c in QUARTER_COLUMNS
        )
        level = (
            StatusLevel.OVERDUE
            if any(i.overdue for i in items)
            else (StatusLevel.DELAYED if items else StatusLevel.ON_TRACK)
        )
        return ProgrammeStatus(
            self.programme,
            "行政手続きオンライン化",
            "🌐",
            level,
            f"令和5年度 第1四半期 実績 {done}件、第2～第4四半期 予定 {planned}件",
            tuple(items),
            "令和5年度 四半期別（件）",
            chart,
        )


def delay_alert(
    bureau: str = "財政局",
    *,
    escalation: bool = False,
    key_suffix: str = "",
    department: str = "",
    due: date | None = None,
) -> DueAlert:
    subject = f"online_procedures|{bureau}|2026Q2|delay{key_suffix}"
    return DueAlert(
        key=subject + ("|escalation" if escalation else ""),
        programme="online_procedures",
        bureau=bureau,
        department=department,
        title="令和8年度 第2四半期のオンライン化実績が未提出です",
        why=(
            f"{bureau}の令和8年度 第2四半期の実績が、締切から5営業日を過ぎても"
            "提出されていないためお送りしています。"
        ),
        next_step="「詳細を見る」から実績を入力して提出してください。",
        escalation=escalation,
        subject=subject,
        due=due or date(2026, 7, 7),
        facts=(("対象", "令和8年度 第2四半期"), ("未提出の手続き", "12件")),
    )


def dates_around(day: date, days: int) -> list[date]:
    return [day + timedelta(days=n) for n in range(days)]


class ScriptedSender:
    """Answers each target from a script (a list of SendError or None = OK), then OK."""

    def __init__(self, clock, script: dict[str, list[SendError | None]] | None = None, latency: float = 0.0):
        self.clock = clock
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.latency = latency
        self.calls: list[tuple[float, str]] = []
        self.delivered: list[str] = []
        self.payloads: list[tuple[str, dict]] = []

    async def send(self, target, payload):
        self.calls.append((self.clock.monotonic(), target))
        if self.latency:
            await self.clock.sleep(self.latency)
        steps = self.script.get(target)
        outcome = steps.pop(0) if steps else None
        if outcome is not None:
            raise outcome
        self.delivered.append(target)
        self.payloads.append((target, payload))


@dataclass
class Stack:
    """Everything the jobs need, on one store and one clock, as one app instance would have."""

    directory: object
    channels: object
    snoozes: object
    outbox: object
    runs: object
    planner: object
    dispatcher: object
    runner: object
    sender: object


def make_stack(
    store,
    clock,
    *,
    owner="A",
    sender=None,
    alerts=(),
    reminders=(),
    statuses=None,
    managers=(),
    bureaus=None,
    lease_seconds=120,
    concurrency=16,
):
    from services.proactive.channels import ChannelMap
    from services.proactive.conversations import ConversationDirectory
    from services.proactive.deliveries import Outbox, RunLedger
    from services.proactive.dispatch import Dispatcher, run_inline
    from services.proactive.jobs import JobRunner, JobTimes, ProactivePlanner, StaticRoster, build_jobs
    from services.proactive.pacing import Pacer, RetryPolicy
    from services.proactive.schedule import parse_time_of_day
    from services.proactive.snoozes import SnoozeBook

    lease = timedelta(seconds=lease_seconds)
    directory = ConversationDirectory(store, clock)
    channels = ChannelMap(store, clock)
    snoozes = SnoozeBook(store, clock)
    outbox = Outbox(store, clock, owner, lease)
    runs = RunLedger(store, clock, owner, lease)
    sender = sender or ScriptedSender(clock)
    planner = ProactivePlanner(
        directory=directory,
        channels=channels,
        snoozes=snoozes,
        outbox=outbox,
        roster=StaticRoster(list(managers)),
        renderer=renderer(),
        infos=INFOS,
        alert_sources=list(alerts),
        reminder_sources=list(reminders),
        status_sources=[SeedOnlineProceduresStatus(extra=3)] if statuses is None else list(statuses),
        bureaus=bureaus,
    )
    dispatcher = Dispatcher(
        outbox,
        sender,
        Pacer(),
        clock,
        policy=RetryPolicy(),
        blocking=run_inline,
        rng=random.Random(5),
        on_gone=directory.deactivate,
        concurrency=concurrency,
    )
    times = JobTimes(
        parse_time_of_day("09:30"),
        parse_time_of_day("09:15"),
        0,
        parse_time_of_day("09:00"),
        parse_time_of_day("09:00"),
    )
    runner = JobRunner(build_jobs(planner, times, runs), runs, outbox, dispatcher, clock, blocking=run_inline)
    return Stack(directory, channels, snoozes, outbox, runs, planner, dispatcher, runner, sender)


def reference(conversation_id: str, service_url: str = "http://127.0.0.1:9/") -> dict:
    """As ``ConversationReference.serialize()`` writes it (camelCase keys)."""
    return {
        "conversation": {"id": conversation_id, "tenantId": "tenant"},
        "serviceUrl": service_url,
        "channelId": "msteams",
        "bot": {"id": "28:bot", "name": "ICT推進ボット"},
        "user": {"id": "29:user", "name": "利用者"},
    }


def install_personal(directory, object_id: str, service_url: str = "http://127.0.0.1:9/") -> str:
    conversation_id = f"a:personal-{object_id}"
    directory.remember(
        reference(conversation_id, service_url), conversation_type="personal", user_aad_object_id=object_id
    )
    return conversation_id


def install_channel(
    directory,
    channels,
    conversation_id: str,
    bureau: str,
    department: str = "",
    *,
    name: str = "DX推進",
    service_url: str = "http://127.0.0.1:9/",
    office: bool = False,
) -> str:
    from services.proactive.channels import ChannelRole

    directory.remember(
        reference(conversation_id, service_url),
        conversation_type="channel",
        channel_name=name,
        team_id="19:team",
    )
    role = ChannelRole.OFFICE if office else ChannelRole.DX_PRO
    channels.map(
        conversation_id, role, bureau=bureau, department=department, channel_name=name, mapped_by="管理 太郎"
    )
    return conversation_id
