"""The キャッシュレス dialog: card actions in, the next card out (the turn is not used)."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import Workbook, load_workbook

from cards import cashless as cards
from dialogs.base import DialogDeps
from dialogs.cashless import CashlessDialog, export_registry
from services.cashless.service import CashlessService
from services.kernel.programmes import ProgrammeInfo
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE, Settings
from services.people.identity import system_actor
from services.people.permissions import Forbidden
from tests.fakes import InMemoryTableStore
from tests.support import people as fx
from tests.support.cards import action_data, actions
from tests.support.cards import card_json as text
from tests.support.cards import inputs_by_id as inputs

INFO = ProgrammeInfo("cashless", "キャッシュレス", "💳", "", ("キャッシュレス",))


@pytest.fixture
def store():
    store = InMemoryTableStore()
    seed_store(store, load_seed())
    return store


@pytest.fixture
def clock():
    return fx.Clock(datetime(2023, 9, 20, 10, 0, tzinfo=TIMEZONE))


@pytest.fixture
def people(store, clock):
    return fx.load_fixtures(store, clock)


@pytest.fixture
def deps(store, clock, people):
    return DialogDeps(store=store, clock=clock, people=people)


@pytest.fixture
def dialog(deps):
    return CashlessDialog(INFO, deps)


def rid_of(store, clock, name):
    return next(r.id for r in CashlessService(store, clock).receivables() if r.name == name)


async def assign(dialog, people, rid, bureau):
    admin = fx.actor_of(people, fx.ADMIN)
    form = await dialog.act(None, admin, cards.UPDATE_VERB, {"receivable": rid})
    data = action_data(form, cards.SUBMIT_VERB)
    values = {k: v.get("value", "") for k, v in inputs(form).items()}
    return await dialog.act(None, admin, cards.SUBMIT_VERB, {**values, **data, "owner_bureau": bureau})


async def test_staff_see_the_overview_with_the_coverage_basis_but_no_update_button(dialog, people):
    card = await dialog.open(None, fx.actor_of(people, fx.STAFF))
    body = text(card)
    assert "💳 キャッシュレス" in body and "計算できません" in body and "未入力 22件" in body
    assert "2023年8月8日 会議資料時点" in body
    assert not any(a["data"].get("verb") == cards.UPDATE_VERB for a in actions(card))


async def test_a_bureau_contact_moves_a_receivable_to_planned_and_the_overview_updates(
    dialog, people, store, clock
):
    rid = rid_of(store, clock, "公営住宅使用料等")
    await assign(dialog, people, rid, "財政局")
    contact = fx.actor_of(people, fx.CONTACT)
    overview = await dialog.open(None, contact)
    assert inputs(overview)[cards.RECEIVABLE_INPUT]["value"] == rid
    form = await dialog.act(None, contact, cards.UPDATE_VERB, {cards.RECEIVABLE_INPUT: rid})
    data = action_data(form, cards.SUBMIT_VERB)
    missing_date = await dialog.act(
        None, contact, cards.SUBMIT_VERB, {**data, "status": "PLANNED", "planned_on": ""}
    )
    assert "導入予定日を入力してください" in text(missing_date) and "保存はされていません" in text(
        missing_date
    )
    submission = {
        **data,
        "status": "PLANNED",
        "planned_on": "2024-10-01",
        "cases": "60000",
        "amount": "1200000000",
    }
    saved = await dialog.act(None, contact, cards.SUBMIT_VERB, submission)
    assert "保存しました" in text(saved) and "導入予定" in text(saved)
    again = await dialog.act(None, contact, cards.SUBMIT_VERB, submission)
    assert "すでに保存されています" in text(again)
    after = await dialog.act(None, contact, cards.OVERVIEW_VERB, {})
    assert "100.0%" in text(after) and "1件の債権で計算" in text(after) and "未入力の 21件" in text(after)
    detail = await dialog.act(None, contact, cards.DETAIL_VERB, {"receivable": rid})
    assert "導入状況の履歴" in text(detail) and "2024-10-01" in text(detail)


async def test_staff_are_refused_the_form_and_the_submission(dialog, people, store, clock):
    rid = rid_of(store, clock, "目的外使用料")
    staff = fx.actor_of(people, fx.STAFF)
    with pytest.raises(Forbidden):
        await dialog.act(None, staff, cards.UPDATE_VERB, {"receivable": rid})
    with pytest.raises(Forbidden):
        await dialog.act(None, staff, cards.SUBMIT_VERB, {"receivable": rid, "etag": "x", "status": "DONE"})


async def test_admins_add_an_exclusion_and_import_the_indicator_file(dialog, people):
    admin = fx.actor_of(people, fx.ADMIN)
    refused = await dialog.act(
        None, admin, cards.EXCLUSION_ADD_VERB, {"keyword": "公営住宅使用料", "reason": ""}
    )
    assert (
        "両方を入力してください" in text(refused) and inputs(refused)["keyword"]["value"] == "公営住宅使用料"
    )
    added = await dialog.act(
        None, admin, cards.EXCLUSION_ADD_VERB, {"keyword": "公営住宅使用料", "reason": "別途検討"}
    )
    assert "対象外に追加しました" in text(added)
    classes = await dialog.act(None, admin, cards.CLASSES_VERB, {})
    assert "対象外（公営住宅使用料）: 別途検討" in text(classes)
    workbook = Workbook()
    workbook.active.append(["年度", "決済手段", "件数", "金額（円）"])
    workbook.active.append(["R5", "現金", 100, 6_000_000])
    workbook.active.append(["R5", "二次元コード", 100, 4_000_000])
    data = io.BytesIO()
    workbook.save(data)
    assert CashlessDialog.claims_file("x.xlsx", data.getvalue())
    result = await dialog.on_file(None, admin, "実績.xlsx", data.getvalue())
    assert "取り込みました" in text(result)
    indicator = await dialog.act(None, admin, cards.INDICATOR_VERB, {})
    assert (
        "Chart.Line" in text(indicator)
        and "40.0%" in text(indicator)
        and "目標 40% に対して達成" in text(indicator)
    )


async def test_the_export_builder_reads_what_is_stored_now(deps, people):
    data = export_registry(deps, fx.actor_of(people, fx.STAFF), {})
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet["B1"].value == "債権名" and sheet.max_row >= 23


async def test_thresholds_come_from_the_settings(store, clock, people):
    deps = DialogDeps(store=store, clock=clock, people=people, settings=Settings(cashless_target_min_cases=5))
    dialog = CashlessDialog(INFO, deps)
    card = await dialog.act(None, fx.actor_of(people, fx.STAFF), cards.CLASSES_VERB, {})
    assert "年間5件以上" in text(card)
    system_actor("x", "y")


async def test_the_registered_alert_source_sends_the_switching_reminder_to_the_bureau_contact(
    dialog, deps, people, store, clock
):
    from datetime import date

    from dialogs.cashless import alert_card, alert_source

    rid = rid_of(store, clock, "布袋温泉")
    assert not [a for a in alert_source(deps).due_alerts(date(2023, 10, 2)) if rid in a.key]  # no bureau yet
    await assign(dialog, people, rid, "財政局")
    assert not [a for a in alert_source(deps).due_alerts(date(2023, 9, 29)) if rid in a.key]  # before the day
    [alert] = [a for a in alert_source(deps).due_alerts(date(2023, 10, 2)) if rid in a.key]
    assert alert.person == fx.CONTACT and "令和6年度に指定管理者の切替公募" in alert.title
    card = alert_card(alert)
    assert "この通知が届いた理由" in text(card) and action_data(card, cards.UPDATE_VERB)["receivable"] == rid


class RecordingFiles:
    def __init__(self):
        self.offers = []

    async def offer(self, turn, actor, offer):
        self.offers.append((actor.object_id, offer))
        return {"type": "AdaptiveCard", "version": "1.5", "body": []}


async def test_the_export_button_offers_the_registered_registry_file(store, clock, people):
    from bot.programmes import PROGRAMMES
    from dialogs.cashless import EXPORT_REGISTRY

    files = RecordingFiles()
    deps = DialogDeps(store=store, clock=clock, people=people, files=files)
    await CashlessDialog(INFO, deps).act(None, fx.actor_of(people, fx.STAFF), cards.EXPORT_VERB, {})
    [(who, offer)] = files.offers
    assert who == fx.STAFF and offer.export == EXPORT_REGISTRY and offer.name.endswith(".xlsx")
    builder = next(p.exports[offer.export] for p in PROGRAMMES if p.info.key == "cashless")
    sheet = load_workbook(io.BytesIO(builder(deps, fx.actor_of(people, fx.STAFF), offer.params))).worksheets[
        0
    ]
    assert sheet["B2"].value == "介護保険料" and sheet["F2"].value is None  # not entered: empty, not 0
