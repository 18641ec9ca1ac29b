"""Every proactive card variant (alerts, snoozes, digests, jobs, channel registration), built from
the seed plus synthetic procedures, for the schema and size checks in ``tests/cards/test_schema.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

from cards import proactive as cards
from services.kernel.calendar import JST
from services.people.organisation import seed_organisation
from services.proactive.channels import ChannelMapping, ChannelRole
from services.proactive.digest import DeliveryProblem, InactiveConversation, manager_digest, office_digest
from services.proactive.jobs import JobView
from tests.support.proactive import (
    INFOS,
    SeedOnlineProceduresStatus,
    delay_alert,
    largest_bureau,
    seed_bureaus,
)

TODAY = date(2026, 7, 13)
NOW = datetime(2026, 7, 13, 9, 30, tzinfo=JST)
SNOOZE = cards.snooze_data(delay_alert())


def _manager_digest():
    return manager_digest(
        bureau=largest_bureau(),
        recipient_name="福祉 部長",
        as_of=TODAY,
        period_label="2026年7月13日（月）からの週",
        schedule_text="毎週月曜 9:00（休日の場合は翌営業日）",
        sources=[SeedOnlineProceduresStatus()],
        infos=INFOS,
    )


def _office_digest(problems: int = 400, inactive: int = 250):
    return office_digest(
        as_of=TODAY,
        period_label="2026年7月",
        schedule_text="毎月の第1営業日 9:00",
        sources=[SeedOnlineProceduresStatus()],
        infos=INFOS,
        problems=[
            DeliveryProblem(
                NOW - timedelta(hours=n),
                "週次ダイジェスト",
                f"財政局 管理職 職員{n} さんの個人チャット",
                "HTTP 502: Bad Gateway (gave up after 6 attempts)",
            )
            for n in range(problems)
        ],
        inactive=[InactiveConversation(f"個人チャット（aad-{n:04d}）", NOW) for n in range(inactive)],
        unmapped_bureaus=[r["局"] for r in seed_bureaus()],
    )


def _views(running: bool) -> list[JobView]:
    return [
        JobView(
            "delay_alerts",
            "遅延アラート・エスカレーション",
            "遅れを通知します。",
            "平日の 9:30",
            NOW + timedelta(days=1) if running else None,
            "2026-07-13",
            "done",
            "schedule",
            NOW,
            NOW,
            12,
            1,
            30,
        ),
        JobView(
            "weekly_digest",
            "管理職向け週次ダイジェスト",
            "週次です。",
            "毎週月曜 9:00（休日の場合は翌営業日）",
            NOW + timedelta(days=7) if running else None,
            "2026-W29",
            "running",
            "manual",
            NOW,
        ),
        JobView(
            "monthly_digest",
            "推進室向け月次ダイジェスト",
            "月次です。",
            "毎月の第1営業日 9:00",
            NOW + timedelta(days=20) if running else None,
        ),
    ]


def _units() -> list[dict[str, str]]:
    return [{"title": u.path, "value": u.path} for u in seed_organisation().sorted()]


def _mapping(role=ChannelRole.DX_PRO) -> ChannelMapping:
    return ChannelMapping(
        "19:dxpro@thread.tacv2",
        role,
        "健康福祉局" if role is ChannelRole.DX_PRO else "",
        "健康部" if role is ChannelRole.DX_PRO else "",
        "DX推進",
        "19:team",
        "情報 太郎",
        NOW,
    )


def samples() -> Iterator[tuple[str, Callable[[], dict]]]:
    where = "健康福祉局/健康部のDX PRO チャネル（#DX推進）"
    yield (
        "proactive:alert",
        lambda: cards.alert_card(
            delay_alert(department="健康部"),
            today=TODAY,
            where=where,
            programme_title="行政手続きオンライン化",
            icon="🌐",
        ),
    )
    yield (
        "proactive:escalation",
        lambda: cards.alert_card(
            delay_alert(escalation=True), today=TODAY, where="財政局 管理職 財政 一郎 さんの個人チャット"
        ),
    )
    yield (
        "proactive:own-card+snooze",
        lambda: cards.with_snooze(
            cards.adaptive_card([cards.text_block("取組独自の通知カード")]), delay_alert(), TODAY
        ),
    )
    yield (
        "proactive:snooze-form+error",
        lambda: cards.snooze_form_card(
            SNOOZE, TODAY, value="2026-07-01", error="再通知する日は、明日以降の日付を選んでください。"
        ),
    )
    yield "proactive:snoozed", lambda: cards.snoozed_card(SNOOZE, TODAY + timedelta(days=7), "健康 花子")
    yield (
        "proactive:not-snoozable",
        lambda: cards.not_snoozable_card("通知を保留できるのは、その通知を受け取った会話の方です。"),
    )
    yield "proactive:digest-largest-bureau", lambda: cards.digest_card(_manager_digest())
    yield "proactive:digest-office", lambda: cards.digest_card(_office_digest())
    yield "proactive:digest-office-quiet", lambda: cards.digest_card(_office_digest(0, 0))
    yield "proactive:digest-fallback", lambda: cards.digest_fallback_card(_manager_digest())
    yield (
        "proactive:jobs",
        lambda: cards.jobs_card(
            _views(True),
            scheduler_running=True,
            pending=3,
            message="「遅延アラート・エスカレーション」を実行しました。",
        ),
    )
    yield (
        "proactive:jobs-stopped",
        lambda: cards.jobs_card(
            _views(False), scheduler_running=False, error="そのジョブは見つかりませんでした。"
        ),
    )
    yield (
        "proactive:channel-form",
        lambda: cards.channel_form_card("19:dxpro@thread.tacv2", "DX推進", _units()),
    )
    yield (
        "proactive:channel-form+current+error",
        lambda: cards.channel_form_card(
            "19:dxpro@thread.tacv2",
            "DX推進",
            _units(),
            current=_mapping(),
            error="局・部を一覧から選んでください。",
        ),
    )
    yield "proactive:channel-mapped", lambda: cards.channel_mapped_card(_mapping())
    yield "proactive:channel-mapped-office", lambda: cards.channel_mapped_card(_mapping(ChannelRole.OFFICE))
    yield "proactive:channel-unmapped", lambda: cards.channel_mapped_card(_mapping(), removed=True)
    yield (
        "proactive:channels",
        lambda: cards.channels_card(
            [_mapping(), _mapping(ChannelRole.OFFICE)] * 30,
            [(f"19:c{n}@thread.tacv2", f"#チャネル{n}") for n in range(60)],
            message="チャネルを選んでください。",
        ),
    )
