"""Every マイナンバー情報総点検 card, built from the seed plus synthetic operations (the material's 47
and a larger city of 60 target operations), for the schema and size checks in ``test_schema.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime
from functools import cache

from cards import mynumber as cards
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.mynumber import rules
from services.mynumber.models import (
    AuditResult,
    Cause,
    Form,
    FormKind,
    Item,
    LinkMethod,
    Mislinks,
    Saved,
    StepStatus,
)
from services.mynumber.service import MyNumberService
from services.mynumber.sources import MyNumberAlerts
from services.proactive.alerts import DueAlert
from tests.fakes import InMemoryTableStore
from tests.support import mynumber as mx
from tests.support import people as fx

TODAY = date(2023, 12, 1)
LONG = "住民基本台帳ネットワークシステムを用いた本人確認情報の照会結果に基づく" * 2


@cache
def _service() -> MyNumberService:
    store = InMemoryTableStore()
    seed_store(store, load_seed())
    clock = fx.Clock(datetime(2023, 12, 1, 10, 0, tzinfo=TIMEZONE))
    fx.load_fixtures(store, clock)
    service = MyNumberService(store, clock)
    ops = mx.material_survey()
    units = (mx.TAX, mx.PROPERTY_TAX, mx.PENSION, mx.WELFARE, mx.CHILD, mx.CITIZEN)
    for n in range(60):  # a larger city: 60 target operations with long names and many items
        items = [(LinkMethod.THREE_OR_FEWER, 1000 + n)] + [(LinkMethod.AUTO, 10)] * 11
        op = mx.op(units[n % len(units)], f"{LONG[:30]}事務{n:02d}", *items)
        ops.append(
            replace(
                op,
                mislinks=Mislinks(
                    StepStatus.IN_PROGRESS,
                    None,
                    12,
                    3,
                    (Cause.FAMILY, Cause.NAMESAKE, Cause.OTHER),
                    "転記の誤り" * 10,
                ),
            )
        )
    mx.seed_operations(service, ops)
    first = service.all_operations()[0]
    service.attach_audit_result(
        mx.ADMIN, first.bureau, first.id, AuditResult("run-20231201-01", TODAY, 500, 480, 7)
    )
    return service


def _big_op():
    return max(_service().all_operations(), key=lambda o: len(o.items))


def _form(kind: FormKind, errors: dict[str, str] | None = None, notice: str = "") -> Form:
    op = _big_op()
    form = _service().form(mx.ADMIN, kind, op.bureau, op.id)
    values = {
        k: (v or "x" * 40) if k.endswith(("text", "action", "note", "owner", "other")) else v
        for k, v in form.values.items()
    }
    return replace(form, values=values, errors=errors or {}, notice=notice)


def _conflict(kind: FormKind) -> Form:
    """The card after a conflict: every input typed otherwise than what is stored (longest card)."""
    form = _form(kind, notice="ほかの方が先にこの事務の記録を更新しました。")
    return replace(form, current={k: "保" * 60 for k in form.values})


def _alert(kind: str) -> DueAlert:
    alerts = MyNumberAlerts(_service(), _service_people()).due_alerts(TODAY)
    return next(a for a in alerts if a.key.split("|")[1] == kind)


def _service_people():
    from services.people.service import PeopleService

    s = _service()
    return PeopleService(s._store, s._clock)  # noqa: SLF001 - the same store the samples fill


def samples() -> Iterator[tuple[str, Callable[[], dict]]]:
    s = _service()
    admin = mx.ADMIN.person
    yield (
        "mynumber:home-admin",
        lambda: cards.home_card(
            s.matrix(admin),
            s.snapshot_matrix(),
            s.progress(admin),
            s.snapshot_progress(),
            s.all_operations(),
            TODAY,
            admin=True,
            message="この事務は見つかりませんでした。",
        ),
    )
    yield (
        "mynumber:home-seed-only",
        lambda: cards.home_card(
            replace(s.matrix(admin), linked_large=0, linked_small=0, other_large=0, other_small=0),
            s.snapshot_matrix(),
            replace(s.progress(admin), items=0, answered=0, sections=0, by_section=()),
            s.snapshot_progress(),
            [],
            TODAY,
        ),
    )
    yield (
        "mynumber:matrix",
        lambda: cards.matrix_card(replace(s.matrix(admin), unclassified=3), s.snapshot_matrix(), TODAY),
    )
    yield "mynumber:progress", lambda: cards.progress_card(s.progress(admin), s.snapshot_progress(), TODAY)
    yield (
        "mynumber:progress-seed-only",
        lambda: cards.progress_card(
            replace(s.progress(admin), items=0, by_section=()), s.snapshot_progress(), TODAY
        ),
    )
    op = _big_op()
    yield (
        "mynumber:operation",
        lambda: cards.operation_card(
            op, rules.classify(op, 100), TODAY, s.completion, may_write=True, message="保存しました"
        ),
    )
    unanswered = replace(op, items=tuple(Item(i.id, i.name) for i in op.items))
    yield (
        "mynumber:operation-unanswered",
        lambda: cards.operation_card(unanswered, None, TODAY, s.completion, may_write=False),
    )
    survey_errors = {
        f"{i.id}_{f}": "「その他」の場合は紐付け方法を入力してください"
        for i in op.items
        for f in ("method", "other", "records")
    }
    yield "mynumber:survey-errors", lambda: cards.survey_card(_form(FormKind.SURVEY, survey_errors), 1)
    yield "mynumber:survey-last-page", lambda: cards.survey_card(_form(FormKind.SURVEY), 2)
    inspection_errors = {
        k: "点検済み件数（120件）は点検対象件数（100件）以下にしてください"
        for k in ("checked", "corrected", "causes", "cause_text", "viewed", "pub_date", "in_scope")
    }
    yield (
        "mynumber:inspection-errors",
        lambda: cards.inspection_card(_form(FormKind.INSPECTION, inspection_errors)),
    )
    yield (
        "mynumber:inspection-conflict",
        lambda: cards.inspection_card(_conflict(FormKind.INSPECTION)),
    )
    yield (
        "mynumber:checklist",
        lambda: cards.checklist_card(
            _form(
                FormKind.CHECKLIST, {"number_on_form_owner": "対応中・完了の項目には担当を入力してください"}
            )
        ),
    )
    yield (
        "mynumber:checklist-read-only",
        lambda: cards.checklist_card(_form(FormKind.CHECKLIST), may_write=False),
    )
    yield (
        "mynumber:register",
        lambda: cards.register_card(
            Form(
                FormKind.REGISTER,
                None,
                {"unit": "健康福祉局/健康部/保険年金課", "name": LONG, "items": "\n".join([LONG] * 20)},
                {
                    "unit": "「局/部/課・室」の形で入力してください",
                    "items": "情報は1つの事務につき40件までです",
                },
            )
        ),
    )
    yield "mynumber:saved", lambda: cards.saved_card(_saved(op), TODAY)
    yield "mynumber:saved-duplicate", lambda: cards.saved_card(replace(_saved(op), duplicate=True), TODAY)
    yield "mynumber:overview", lambda: cards.overview_card(s.overview(admin, TODAY))
    yield "mynumber:overview-empty", lambda: cards.overview_card(s.overview(mx.STAFF.person, TODAY))
    yield (
        "mynumber:publication-city",
        lambda: cards.publication_card(
            s.publication_table(admin, None, TODAY), ["", *s.readable_bureaus(admin)]
        ),
    )
    yield (
        "mynumber:publication-bureau",
        lambda: cards.publication_card(s.publication_table(admin, "財政局", TODAY)),
    )
    city = s.checklist_city(admin, TODAY)
    yield "mynumber:checklist-city", lambda: cards.checklist_city_card(city)
    yield "mynumber:import-help", lambda: cards.import_help_card("管理者のみ")
    yield (
        "mynumber:import-refused",
        lambda: cards.import_result_card(
            "総点検_事務一覧.xlsx",
            problems=[f"{n}行目 「紐付け方法」: セル F{n}: いずれかです" for n in range(2, 60)],
        ),
    )
    yield (
        "mynumber:import-done",
        lambda: cards.import_result_card("総点検_事務一覧.xlsx", "事務 47件を追加しました。"),
    )
    yield "mynumber:alert-survey", lambda: cards.alert_card(_survey_alert())
    yield "mynumber:alert-overdue", lambda: cards.alert_card(_alert("overdue"))


def _saved(op):
    return Saved(op, FormKind.INSPECTION, (("① 全データ点検", "a", "b"), ("② 誤紐付けの修正", "a", "b")))


def _survey_alert() -> DueAlert:
    s = _service()
    op = s.all_operations()[1]
    stale = replace(op, items=tuple(Item(i.id, i.name) for i in op.items))
    return MyNumberAlerts(s, _service_people())._survey_alert(  # noqa: SLF001 - one alert built directly
        mx.person("財政 担当"), date(2023, 7, 31), [stale] * 12, TODAY
    )
