"""The マイナンバー情報総点検 dialog: card actions in, the next card out (the turn is not used)."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import Workbook, load_workbook

from cards import mynumber as cards
from dialogs.base import DialogDeps, FileOffer
from dialogs.mynumber import MyNumberDialog, publication_export
from services.kernel.programmes import ProgrammeInfo
from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from services.mynumber.excel import IMPORT_COLUMNS
from services.mynumber.models import LinkMethod
from services.people.permissions import Forbidden
from tests.fakes import InMemoryTableStore
from tests.support import mynumber as mx
from tests.support import people as fx
from tests.support.cards import action_data
from tests.support.cards import card_json as text
from tests.support.cards import inputs_by_id as inputs

INFO = ProgrammeInfo("mynumber", "マイナンバー情報総点検", "🔢", "", ("マイナンバー",))


class RecordingFiles:
    def __init__(self) -> None:
        self.offers: list[FileOffer] = []

    async def offer(self, turn, actor, offer: FileOffer) -> dict:
        self.offers.append(offer)
        return {"type": "AdaptiveCard", "version": "1.5", "body": []}


@pytest.fixture
def store():
    store = InMemoryTableStore()
    seed_store(store, load_seed())
    return store


@pytest.fixture
def clock():
    return fx.Clock(datetime(2023, 9, 20, 10, 0, tzinfo=TIMEZONE))


@pytest.fixture
def files():
    return RecordingFiles()


@pytest.fixture
def deps(store, clock, files):
    return DialogDeps(store=store, clock=clock, people=fx.load_fixtures(store, clock), files=files)


@pytest.fixture
def dialog(deps):
    return MyNumberDialog(INFO, deps)


@pytest.fixture
def target(dialog):
    [op] = mx.seed_operations(
        dialog.service, [mx.op(mx.WELFARE, "生活保護の扶助", (LinkMethod.THREE_OR_FEWER, 400))]
    )
    return op


async def test_with_only_the_seed_the_home_card_shows_the_material_as_a_dated_snapshot(dialog):
    card = await dialog.open(None, mx.STAFF)
    assert "マイナンバー情報総点検" in text(card) and "2023年8月8日 会議資料時点" in text(card)
    assert "79情報のうち41情報回答・15課（室）" in text(card) and "43 / 2 / 0 / 2" in text(card)
    matrix = await dialog.act(None, mx.STAFF, cards.MATRIX_VERB, {})
    assert "参考: 2023年8月8日 会議資料時点" in text(matrix) and "43業務" in text(matrix)
    progress = await dialog.act(None, mx.STAFF, cards.PROGRESS_VERB, {})
    assert "41／79情報" in text(progress) and "15課（室）" in text(progress)


async def test_a_contact_records_the_steps_with_errors_in_place_and_the_overview_updates(dialog, target):
    who = mx.contact(mx.WELFARE)
    home = await dialog.open(None, who)
    assert inputs(home)[cards.OPERATION_INPUT]["value"] == f"{target.bureau}|{target.id}"
    op_card = await dialog.act(
        None, who, cards.OPERATION_VERB, {cards.OPERATION_INPUT: f"{target.bureau}|{target.id}"}
    )
    form = await dialog.act(None, who, cards.INSPECTION_VERB, action_data(op_card, cards.INSPECTION_VERB))
    data = action_data(form, cards.SUBMIT_VERB)
    again = await dialog.act(
        None,
        who,
        cards.SUBMIT_VERB,
        {**data, "in_scope": "100", "checked": "150", "found": "2", "corrected": "3"},
    )
    assert "点検済み件数（150件）は点検対象件数（100件）以下にしてください" in text(again)
    assert "修正件数（3件）は誤紐付け件数（2件）以下にしてください" in text(again)
    assert "誤紐付けがある場合は、原因を選んでください" in text(again)
    assert inputs(again)["checked"]["value"] == 150  # the user's value, kept
    saved = await dialog.act(
        None,
        who,
        cards.SUBMIT_VERB,
        {
            **action_data(again, cards.SUBMIT_VERB),
            "s1_status": "完了",
            "in_scope": "400",
            "checked": "400",
            "s2_status": "実施中",
            "found": "2",
            "corrected": "1",
            "causes": "家族の番号",
            "viewed": "なし",
        },
    )
    assert "保存しました" in text(saved)
    overview = await dialog.act(None, mx.ADMIN, cards.OVERVIEW_VERB, {})
    assert "生活保護の扶助" in text(overview) and "① 完了 ② 実施中 ③ 未着手" in text(overview)


async def test_a_contact_of_another_section_is_refused_and_nothing_is_saved(dialog, target):
    own = mx.contact(mx.WELFARE)
    form = await dialog.act(
        None, own, cards.INSPECTION_VERB, {"bureau": target.bureau, "operation": target.id}
    )
    data = {**action_data(form, cards.SUBMIT_VERB), "in_scope": "9"}
    for outsider in (mx.contact(mx.PENSION), mx.STAFF):
        with pytest.raises(Forbidden):
            await dialog.act(None, outsider, cards.SUBMIT_VERB, data)
        with pytest.raises(Forbidden):
            await dialog.act(
                None, outsider, cards.OPERATION_VERB, {"bureau": target.bureau, "operation": target.id}
            )
    assert dialog.service.all_operations()[0].full_check.in_scope is None


async def test_the_survey_errors_show_in_place_and_answers_reclassify(dialog):
    [op] = mx.seed_operations(dialog.service, [mx.op(mx.TAX, "市民税", (None, None), (None, None))])
    who = mx.contact(mx.TAX)
    form = await dialog.act(None, who, cards.SURVEY_VERB, {"bureau": op.bureau, "operation": op.id})
    data = action_data(form, cards.SUBMIT_VERB)
    again = await dialog.act(
        None, who, cards.SUBMIT_VERB, {**data, "i1_method": "その他", "i1_records": "5", "i2_records": "7"}
    )
    assert "「その他」の場合は紐付け方法を入力してください" in text(
        again
    ) and "紐付け方法を選んでください" in text(again)
    assert inputs(again)["i1_method"]["value"] == "その他"
    await dialog.act(
        None,
        who,
        cards.SUBMIT_VERB,
        {
            **data,
            "i1_method": "その他",
            "i1_other": "宛名番号で照合",
            "i1_records": "5",
            "i2_method": "本人確認書類",
            "i2_records": "7",
        },
    )
    matrix = await dialog.act(None, who, cards.MATRIX_VERB, {})
    assert dialog.service.matrix(who.person).cells == (0, 0, 0, 1) and "1業務" in text(matrix)


async def test_the_publication_table_is_offered_as_an_excel_file(dialog, deps, files, target):
    manager = mx.manager("健康福祉局")
    card = await dialog.act(None, manager, cards.PUBLICATION_VERB, {})
    assert "点検結果の公表表（健康福祉局）" in text(card) and "生活保護の扶助" in text(card)
    await dialog.act(None, manager, cards.EXPORT_VERB, action_data(card, cards.EXPORT_VERB))
    [offer] = files.offers
    assert offer.export == "mynumber.publication" and offer.params == {"bureau": "健康福祉局"}
    sheet = load_workbook(io.BytesIO(publication_export(deps, manager, offer.params))).active
    assert sheet["C3"].value == "生活保護の扶助" and sheet["D3"].value is None and sheet["A4"].value == "合計"
    with pytest.raises(Forbidden):
        publication_export(deps, mx.manager("財政局"), offer.params)


async def test_an_admin_registers_by_card_and_imports_by_file_whole_or_nothing(dialog):
    form = await dialog.act(None, mx.ADMIN, cards.REGISTER_VERB, {})
    bad = await dialog.act(
        None,
        mx.ADMIN,
        cards.SUBMIT_VERB,
        {**action_data(form, cards.SUBMIT_VERB), "unit": "財政局", "name": "", "items": "申告書"},
    )
    assert "事務の名前を入力してください" in text(bad) and inputs(bad)["items"]["value"] == "申告書"
    saved = await dialog.act(
        None,
        mx.ADMIN,
        cards.SUBMIT_VERB,
        {
            **action_data(bad, cards.SUBMIT_VERB),
            "unit": "財政局/税務部/市民税課",
            "name": "市民税",
            "items": "申告書",
        },
    )
    assert "保存しました" in text(saved)
    book = Workbook()
    book.active.append(list(IMPORT_COLUMNS))
    book.active.append(
        ["財政局", "税務部", "市民税課", "固定資産税", "課税台帳", "3情報", "", "", "", 10, ""]
    )
    data = io.BytesIO()
    book.save(data)
    assert dialog.claims_file("a.xlsx", data.getvalue())
    refused = await dialog.on_file(None, mx.ADMIN, "a.xlsx", data.getvalue())
    assert "取り込みませんでした" in text(refused) and "セル F2" in text(refused)
    assert [o.name for o in dialog.service.all_operations()] == ["市民税"]
    with pytest.raises(Forbidden):
        await dialog.act(None, mx.contact(mx.TAX), cards.REGISTER_VERB, {})


async def test_the_progress_card_names_who_has_not_answered_to_the_office_only(dialog):
    mx.seed_operations(
        dialog.service,
        [
            mx.op(mx.TAX, "市民税", (None, None), (LinkMethod.AUTO, 5)),
            mx.op(mx.PENSION, "国民年金", (LinkMethod.AUTO, 500)),
        ],
    )
    office = await dialog.act(None, mx.ADMIN, cards.PROGRESS_VERB, {})
    assert "2／3情報" in text(office) and "財政 担当" in text(office)  # 局担当 of 財政局 covers 市民税課
    assert "参考: 2023年8月8日 会議資料時点" in text(office) and "Chart.HorizontalBar" in text(office)
    staff = await dialog.act(None, mx.STAFF, cards.PROGRESS_VERB, {})
    assert "2／3情報" in text(staff) and "財政 担当" not in text(staff)


async def test_a_long_survey_pages_and_each_page_saves_its_own_items(dialog):
    [op] = mx.seed_operations(dialog.service, [mx.op(mx.TAX, "市民税", *[(None, None)] * 10)])
    who = mx.contact(mx.TAX)
    first = await dialog.act(None, who, cards.SURVEY_VERB, {"bureau": op.bureau, "operation": op.id})
    assert "i8_method" in inputs(first) and "i9_method" not in inputs(first) and "1／2ページ" in text(first)
    second = await dialog.act(None, who, cards.SURVEY_VERB, action_data(first, cards.SURVEY_VERB))
    assert set(k for k in inputs(second) if k.endswith("_method")) == {"i9_method", "i10_method"}
    saved = await dialog.act(
        None,
        who,
        cards.SUBMIT_VERB,
        {**action_data(second, cards.SUBMIT_VERB), "i9_method": "本人確認書類", "i9_records": "3"},
    )
    assert "保存しました" in text(saved)
    stored = dialog.service.all_operations()[0]
    assert [i.answered for i in stored.items] == [False] * 8 + [True, False]
