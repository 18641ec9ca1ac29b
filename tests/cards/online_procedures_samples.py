"""Every online-procedures card variant, built from the seed (22 bureaus) or larger inputs, for the
schema and size checks in ``tests/cards/test_schema.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime
from functools import cache

from cards import online_procedures as cards
from dialogs.online_procedures import alert_card
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.online_procedures.ledger import Ledger
from services.online_procedures.models import (
    JOB_DELAY,
    JOB_ESCALATION,
    AlertTarget,
    Change,
    DelayAlert,
    DelayedProcedure,
    Period,
    Procedure,
    ProcedureChoice,
    Source,
    Status,
    SubmitResult,
)
from services.online_procedures.service import OnlineProceduresService, as_due_alert
from services.people.identity import Person, Role, RoleGrant, system_actor
from services.proactive.alerts import DueAlert
from tests.fakes import InMemoryTableStore

ADMIN = Person("sample-admin", "管理 者", grants=(RoleGrant(Role.ADMIN),))
MEETING = date(2023, 8, 8)
TODAY = date(2026, 11, 26)
LONG = "とても長い手続きの名前（申請書の様式第十二号による届出及び添付書類の提出）"


@cache
def service() -> OnlineProceduresService:
    store = InMemoryTableStore()
    seed_store(store, load_seed())
    return OnlineProceduresService(store, lambda: datetime(2026, 11, 26, 10, tzinfo=TIMEZONE))


def many_procedures(count: int = 300) -> list[Procedure]:
    return [
        Procedure(
            f"P{i:04d}",
            f"{LONG}{i}",
            f"第{i % 9}課",
            planned=Period(2026, 1 + i % 3),
            status=Status.IN_PROGRESS,
        )
        for i in range(count)
    ]


def procedure_bureau() -> Ledger:
    return Ledger("健康福祉局", 8, source=Source.PROCEDURES, procedures=many_procedures())


def delayed(count: int) -> tuple[DelayedProcedure, ...]:
    return tuple(
        DelayedProcedure(f"P{i}", f"{LONG}{i}", "第1課", Period(2026, 1), date(2026, 7, 7))
        for i in range(count)
    )


def samples() -> Iterator[tuple[str, Callable[[], dict]]]:
    svc = service()
    admin = system_actor("サンプル", "samples")

    yield (
        "op:summary-2023",
        lambda: cards.summary_card(
            svc.city_summary(ADMIN, MEETING), readable=svc.bureau_names(), own=svc.bureau_names(), admin=True
        ),
    )
    yield (
        "op:summary-2026",
        lambda: cards.summary_card(
            svc.city_summary(ADMIN, TODAY), readable=["健康福祉局"], own=["健康福祉局"], message="お知らせ"
        ),
    )
    yield "op:summary-staff", lambda: cards.summary_card(svc.city_summary(ADMIN, TODAY))
    yield (
        "op:bureau",
        lambda: cards.bureau_card(svc.bureau_summary(ADMIN, "健康福祉局", MEETING), MEETING, may_submit=True),
    )
    yield (
        "op:bureau-admin-2026",
        lambda: cards.bureau_card(
            svc.bureau_summary(ADMIN, "健康福祉局", TODAY),
            TODAY,
            may_submit=True,
            correctable=svc.closed_periods(ADMIN, "健康福祉局", TODAY),
            message="保存しました",
            warning="注意",
        ),
    )

    def procedures_bureau_card() -> dict:
        from services.online_procedures.ledger import bureau_summary

        summary = bureau_summary(procedure_bureau(), TODAY, 5)
        summary = replace(summary, delayed_procedures=delayed(200))
        return cards.bureau_card(summary, TODAY, may_submit=True)

    yield "op:bureau-procedures", procedures_bureau_card
    for view, table in (
        ("live-2023", lambda: svc.table(ADMIN, MEETING)),
        ("live-2026", lambda: svc.table(ADMIN, TODAY)),
        ("seed", lambda: svc.seed_table(ADMIN)),
    ):
        for page in range(4):

            def build(table=table, page=page) -> dict:
                pages = cards.table_pages(table())
                return cards.table_card(pages[min(page, len(pages) - 1)])

            yield f"op:table-{view}-{page + 1}", build

    def form(**changes) -> dict:
        base = svc.update_form(admin, "健康福祉局", date(2023, 9, 20))
        return cards.update_card(replace(base, **changes))

    yield "op:update", form
    yield (
        "op:update-errors",
        lambda: form(
            values={"done": "abc", "delayed": "99", "advanced": "-1", "reason": "理由" * 200},
            errors={
                "done": "整数（0以上の半角数字）で入力してください",
                "delayed": "完了した件数以下で入力してください",
                "advanced": "0以上の整数で入力してください",
                "reason": "500文字以内で入力してください",
            },
        ),
    )
    yield (
        "op:update-conflict",
        lambda: form(notice="ほかの方が先にこの局の実績を更新しました。", values={"done": "20"}),
    )
    yield (
        "op:update-correction",
        lambda: cards.update_card(svc.update_form(admin, "健康福祉局", TODAY, "2026Q2")),
    )

    def procedures_form() -> dict:
        base = svc.update_form(admin, "健康福祉局", date(2023, 9, 20))
        choices = tuple(
            ProcedureChoice(f"P{i:04d}", f"{LONG}{i}", "第1課", Period(2026, 2), i % 2 == 0, i < 5)
            for i in range(40)
        )
        return cards.update_card(
            replace(
                base,
                source=Source.PROCEDURES,
                choices=choices,
                more_choices=260,
                values={"procedures": ",".join(c.id for c in choices[:5])},
                errors={"reason": "理由を入力してください"},
            )
        )

    yield "op:update-procedures", procedures_form
    changes = (
        Change("R5 7～9月の実績", "未報告", "30件（うち遅れ分 30）"),
        Change("局の遅れ", "51件", "23件"),
    )
    summary = svc.bureau_summary(ADMIN, "健康福祉局", MEETING)
    yield (
        "op:confirmation",
        lambda: cards.confirmation_card(
            SubmitResult("健康福祉局", Period(2023, 2), changes, summary), MEETING
        ),
    )
    yield (
        "op:confirmation-duplicate",
        lambda: cards.confirmation_card(
            SubmitResult("健康福祉局", Period(2023, 2), changes, summary, duplicate=True), MEETING
        ),
    )
    alert = DelayAlert(
        JOB_DELAY,
        "健康福祉局",
        Period(2026, 2),
        date(2026, 10, 7),
        False,
        AlertTarget.DX_PRO_CHANNEL,
        689,
        38,
        Source.COUNTS,
        current=Period(2026, 3),
    )
    yield "op:alert", lambda: cards.delay_alert_card(alert)
    yield (
        "op:alert-escalation",
        lambda: cards.delay_alert_card(
            replace(
                alert,
                job=JOB_ESCALATION,
                escalation=True,
                target=AlertTarget.MANAGER,
                due_on=date(2026, 10, 22),
            )
        ),
    )
    yield (
        "op:alert-procedures",
        lambda: cards.delay_alert_card(
            replace(alert, source=Source.PROCEDURES, delayed_procedures=delayed(500))
        ),
    )
    yield (
        "op:alert-generic",
        lambda: cards.generic_alert_card(
            DueAlert(
                key="k",
                programme="online_procedures",
                bureau="財政局",
                title="題",
                why="理由",
                next_step="次に",
                facts=(("遅れ", "3件"),),
            )
        ),
    )
    yield "op:alert-via-registry", lambda: alert_card(as_due_alert(alert))
    yield "op:import-help", lambda: cards.import_help_card("お知らせ")
    yield (
        "op:import-ok",
        lambda: cards.import_result_card("table.xlsx", "令和8年度の表を取り込みました（22局）。"),
    )
    yield (
        "op:import-refused",
        lambda: cards.import_result_card(
            "bad.xlsx", problems=[f"E{i}: 数値ではありません（「abc」）" for i in range(3, 60)]
        ),
    )
