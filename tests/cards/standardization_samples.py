"""Every 業務システムの標準化 card variant, built from the seed (20 systems) with realistic and large
inputs (every system estimated, many long gaps), for the schema and size checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime
from functools import cache

from cards import standardization as cards
from dialogs.standardization import alert_card
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.people.identity import Person, Role, RoleGrant, system_actor
from services.proactive.alerts import DueAlert
from services.standardization import rules
from services.standardization.models import AlertKind, Costs, Handling, StepAlert
from services.standardization.service import StandardizationService
from services.standardization.sources import as_due_alert
from tests.fakes import InMemoryTableStore

ADMIN = Person("sample-admin", "管理 者", grants=(RoleGrant(Role.ADMIN),))
TODAY = date(2026, 12, 1)
LONG = "とても長い Gap の内容（現行システム独自の宛名管理項目と標準仕様書の宛名管理機能との差分に関する対応）"


@cache
def _service() -> StandardizationService:
    store = InMemoryTableStore()
    seed_store(store, load_seed())
    service = StandardizationService(store, lambda: datetime(2026, 12, 1, 10, 0, tzinfo=TIMEZONE))
    actor = system_actor("見本", "samples")
    systems = [
        replace(
            s,
            costs=Costs(123_456_789 + i, (1_000_000, 2_345_678, 30_000_000, 4_000_000, 500_000)),
            section="とても長い課の名前課",
            vendor="株式会社 標準準拠システムズ",
        )
        for i, s in enumerate(service.systems())
    ]
    service.replace_all(actor, systems, service.steps(), 500_000_000, "見本")
    for i in range(40):
        service.add_gap(
            actor,
            f"{i % 20 + 1:02d}",
            {
                "title": f"{LONG[:90]}{i}",
                "detail": LONG * 8,
                "handling": (Handling.LOOSE if i % 2 else Handling.FLOW).value,
                "amount": "12000000" if i % 2 else "",
            },
        )
    return service


def samples() -> Iterator[tuple[str, Callable[[], dict]]]:
    service = _service()
    overview = service.overview(ADMIN, TODAY)
    yield (
        "standardization:overview",
        lambda: cards.overview_card(
            overview, readable=service.systems(), may_review=True, message="保存しました。"
        ),
    )
    yield "standardization:overview-staff", lambda: cards.overview_card(overview)
    fresh = StandardizationService(InMemoryTableStore(), lambda: datetime(2023, 8, 8, tzinfo=TIMEZONE))
    seed_store(fresh._store, load_seed())  # noqa: SLF001 - a sample store
    yield (
        "standardization:overview-seed",
        lambda: cards.overview_card(fresh.overview(ADMIN, date(2023, 8, 8))),
    )
    detail = service.detail(ADMIN, "03", TODAY)
    yield (
        "standardization:system",
        lambda: cards.system_card(detail, message="保存しました。", warning="注意"),
    )
    yield (
        "standardization:system-plain",
        lambda: cards.system_card(replace(detail, may_write=False, may_review=False)),
    )
    step = detail.status.steps[1]
    yield "standardization:step", lambda: cards.step_card(detail.status.system, step, "etag")
    yield (
        "standardization:step-conflict",
        lambda: cards.step_card(
            detail.status.system,
            replace(step, step=replace(step.step, note=LONG * 10)),
            "etag",
            values={"status": "完了", "note": LONG * 10},
            notice_text="ほかの方が先に更新しました。",
            conflict=True,
        ),
    )
    yield (
        "standardization:step-errors",
        lambda: cards.step_card(
            detail.status.system,
            step,
            "etag",
            values={"status": "完了", "done_on": "2027-01-01", "note": LONG * 10},
            errors={
                "done_on": "完了日に未来の日付は入力できません",
                "status": "x",
                "start": "x",
                "end": "x",
                "note": "x",
            },
        ),
    )
    yield "standardization:settings", lambda: cards.settings_card(detail.status.system, "etag")
    yield (
        "standardization:settings-errors",
        lambda: cards.settings_card(
            service.system("01"),
            "etag",
            values={"bureau": LONG, "special": "true"},
            errors={k: "x" for k in ("bureau", "section", "vendor", "own_deadline", "data_done_on")},
            notice_text="競合",
        ),
    )
    yield "standardization:costs", lambda: cards.costs_card(detail.status.system, "etag")
    yield (
        "standardization:costs-errors",
        lambda: cards.costs_card(
            detail.status.system,
            "etag",
            values={"eligible": LONG},
            errors={f"outside_{i}": "x" for i in range(5)},
            notice_text="ほかの方が先に更新しました。",
        ),
    )
    yield "standardization:gap", lambda: cards.gap_card(detail.status.system)
    yield (
        "standardization:gap-errors",
        lambda: cards.gap_card(
            detail.status.system,
            values={"title": LONG, "detail": LONG * 10, "handling": Handling.TOOL.value, "amount": "abc"},
            errors={
                "title": "x",
                "detail": "x",
                "handling": "x",
                "amount": "0以上の整数（円）で入力してください",
            },
            notice_text="ほかの方が先に更新しました。",
        ),
    )
    queue = service.review_queue(ADMIN)
    system = service.system(queue[0].system)
    yield (
        "standardization:review",
        lambda: cards.review_card(queue[0], system, queue=queue, message="保存しました。"),
    )
    yield (
        "standardization:review-errors",
        lambda: cards.review_card(
            queue[0],
            system,
            queue=queue,
            values={"result_need": "要再検討", "comment_need": LONG * 10},
            errors={f"{p}_{k}": "x" for p in ("result", "comment") for k in ("need", "method", "scope")},
            warning="順番",
        ),
    )
    yield "standardization:review-empty", lambda: cards.review_card(None, None, message="精査しました。")
    overdue = rules.overdue_since(date(2026, 3, 31), TODAY)
    for kind in AlertKind:
        alert = StepAlert(
            kind,
            "03",
            "固定資産税",
            "財政局",
            "見積精査",
            "review",
            date(2026, 3, 31),
            overdue if kind is not AlertKind.DUE_SOON else None,
        )
        yield f"standardization:alert-{kind.value}", lambda alert=alert: alert_card(as_due_alert(alert))
    yield (
        "standardization:alert-generic",
        lambda: alert_card(DueAlert("k", "standardization", "財政局", "題", "理由", "次")),
    )
    yield "standardization:import-help", lambda: cards.import_help_card("説明")
    yield (
        "standardization:import-ok",
        lambda: cards.import_result_card("標準化.xlsx", "20業務を取り込みました。"),
    )
    yield (
        "standardization:import-refused",
        lambda: cards.import_result_card(
            "標準化.xlsx",
            problems=[
                f"システム!J{i}: 0以上の整数（円）で入力してください（{LONG[:20]}）" for i in range(60)
            ],
        ),
    )
