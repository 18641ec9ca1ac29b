"""Every キャッシュレス card variant, built from the seeded registry and from a larger one (60
receivables with long names and full histories), for the schema and size checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime
from functools import cache

from cards import cashless as cards
from services.cashless import storage as st
from services.cashless.models import (
    AlertKind,
    CashlessAlert,
    ChangeLine,
    Channel,
    HistoryEntry,
    IndicatorLine,
    IndicatorView,
    IndicatorYear,
    Method,
    PayMethod,
    Receivable,
    Rollout,
    SubmitResult,
)
from services.cashless.service import CashlessService
from services.cashless.sources import as_due_alert
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.people.identity import system_actor
from tests.fakes import InMemoryTableStore

ADMIN = system_actor("管理 者", "sample")
TODAY = date(2026, 11, 26)
LONG = "とても長い債権の名前（施設使用料及び附帯設備使用料並びに駐車場使用料を含む）"


def _service(big: bool = False) -> CashlessService:
    store = InMemoryTableStore()
    seed_store(store, load_seed())
    service = CashlessService(
        store,
        lambda: datetime(2026, 11, 26, 10, tzinfo=TIMEZONE),
        bureaus=lambda: [f"第{i}局" for i in range(30)],
    )
    service.receivables()
    if big:
        history = tuple(
            HistoryEntry("2026-11-26T10:00:00+09:00", "担当 者", s, date(2027, 4, 1), "長いメモ" * 20)
            for s in list(Rollout) * 3
        )
        for i in range(60):
            r = Receivable(
                f"z{i:02d}",
                f"{LONG}{i}",
                list(Channel)[i % 3],
                "健康福祉局",
                "とても長い課の名前課",
                12_000 + i,
                36_000_000,
                (Method.CARD, Method.QR),
                list(Rollout)[i % 4],
                date(2026, 4, 1) if i % 4 == 2 else None,
                2027 if i % 3 == 2 else None,
                history=history,
            )
            store.insert(st.TABLE, st.receivable_entity(r, datetime(2026, 11, 26, tzinfo=TIMEZONE)))
    return service


@cache
def _overview(big: bool = False):
    return _service(big).overview(ADMIN.person, TODAY)


def _indicator(years: int) -> IndicatorView:
    return IndicatorView(
        tuple(
            IndicatorYear(
                2019 + y,
                tuple(
                    IndicatorLine(2019 + y, m, 1000 * (i + 1), 1_000_000 * (i + 1 + y))
                    for i, m in enumerate(PayMethod)
                ),
            )
            for y in range(years)
        ),
        40,
        65,
        "2026-11-26T10:00+09:00",
        "管理 者",
        "決済実績.xlsx",
    )


def _form(big: bool, **kw):
    service = _service(big)
    rid = "z02" if big else "r11"
    form = service.update_form(ADMIN, rid)
    return replace(form, **kw)


def _result(duplicate: bool) -> SubmitResult:
    overview = _overview(True)
    row = overview.rows[-1]
    changes = tuple(ChangeLine(f"項目{i}", "変更前の値" * 3, "変更後の値" * 3) for i in range(7))
    return SubmitResult(row.receivable, row.classification, changes, duplicate)


def _alerts() -> Iterator[tuple[str, Callable[[], dict]]]:
    late = CashlessAlert(
        AlertKind.LATE,
        "r04",
        "目的外使用料",
        "建設局",
        "土木監理課",
        date(2026, 4, 2),
        planned_on=date(2026, 4, 1),
        status=Rollout.PLANNED,
    )
    switch = CashlessAlert(
        AlertKind.SWITCH, "r12", "布袋温泉", "健康福祉局", "", date(2023, 10, 2), tender_year=2024
    )
    yield "cashless:alert-late", lambda: cards.alert_card(as_due_alert(late))
    yield "cashless:alert-switch", lambda: cards.alert_card(as_due_alert(switch))


def samples() -> Iterator[tuple[str, Callable[[], dict]]]:
    for big in (False, True):
        tag = "big" if big else "seed"
        yield (
            f"cashless:overview-{tag}",
            lambda big=big: cards.overview_card(
                _overview(big),
                readable=_overview(big).rows,
                writable=[r.receivable.id for r in _overview(big).rows],
                admin=True,
                message="お知らせ",
            ),
        )
        yield f"cashless:classes-{tag}", lambda big=big: cards.classification_card(_overview(big))
        yield f"cashless:rollout-{tag}", lambda big=big: cards.rollout_card(_overview(big))
        yield (
            f"cashless:detail-{tag}",
            lambda big=big: cards.detail_card(
                _overview(big).rows[-1], TODAY, may_write=True, message="保存しました"
            ),
        )
        yield f"cashless:update-{tag}", lambda big=big: cards.update_card(_form(big))
        yield (
            f"cashless:update-errors-{tag}",
            lambda big=big: cards.update_card(
                _form(
                    big,
                    values={"cases": "-1", "amount": "abc", "planned_on": "x", "tender": "R99"},
                    errors={
                        k: "入力内容を確認してください"
                        for k in (
                            "status",
                            "planned_on",
                            "cases",
                            "amount",
                            "methods",
                            "tender",
                            "reason",
                            "owner_bureau",
                        )
                    },
                )
            ),
        )
        yield (
            f"cashless:update-conflict-{tag}",
            lambda big=big: cards.update_card(
                _form(
                    big,
                    notice="ほかの方が先に更新しました。",
                    values={"status": "DONE", "methods": "", "reason": "理由" * 200},
                    current={
                        "status": "PLANNED",
                        "planned_on": "2026-04-01",
                        "cases": "12000",
                        "amount": "36000000",
                        "methods": ",".join(m.name for m in Method),
                        "tender": "R6",
                        "owner_bureau": "健康福祉局",
                        "section": "保" * 100,
                        "reason": "",
                    },
                )
            ),
        )
    yield "cashless:confirmation", lambda: cards.confirmation_card(_result(False), TODAY)
    yield "cashless:confirmation-duplicate", lambda: cards.confirmation_card(_result(True), TODAY)
    yield "cashless:indicator-empty", lambda: cards.indicator_card(None, 40, 65, admin=True)
    yield "cashless:indicator-one-year", lambda: cards.indicator_card(_indicator(1), 40, 65)
    yield "cashless:indicator-12-years", lambda: cards.indicator_card(_indicator(12), 40, 65, admin=True)
    yield "cashless:import-help", cards.import_help_card
    yield "cashless:import-ok", lambda: cards.import_result_card("決済実績.xlsx", "取り込みました（2年度分）")
    yield (
        "cashless:import-refused",
        lambda: cards.import_result_card(
            "決済実績.xlsx", problems=[f"C{i}: 0以上の整数ではありません" for i in range(40)]
        ),
    )
    yield (
        "cashless:exclusions",
        lambda: cards.exclusion_card(
            [(f"債権名{i}", "理由" * 40) for i in range(80)],
            error="理由を入力してください",
            keyword="公金",
            reason="",
        ),
    )
    yield "cashless:file", lambda: cards.file_card("ファイルの受け渡しはこの環境では使えません。")
    yield from _alerts()
