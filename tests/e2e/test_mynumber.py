"""マイナンバー情報総点検 end to end, through the Agents Playground (its API, and headless Chromium).

One stack for the module (its own bot, clock 2023-09-20, so the programme's R5 dates are current, and
so the operations it adds do not reach other modules). The scenario: the administrator registers an
operation by card; the bureau contact (財政 担当, 局担当 of 財政局) answers its survey, which makes it
a full-data-check target, and records ① ② ③ with an error shown in place first; the overview shows
the new statuses; a staff member (一般 職員, 建設局) is refused and nothing is saved.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cards import mynumber as cards
from tests.e2e.conftest import running_e2e
from tests.support.cards import action_data
from tests.support.cards import card_json as text
from tests.support.playground import PlaygroundAPI

pytestmark = pytest.mark.e2e

CLOCK = "2023-09-20T10:00:00+09:00"
UNIT = "財政局/税務部/市民税課"
NAME = "個人住民税の課税"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, pytestconfig):
    with running_e2e(
        tmp_path_factory.mktemp("e2e-mynumber"), pytestconfig, bot_env={"BOT_CLOCK_START": CLOCK}
    ) as own:
        yield own


def home(api: PlaygroundAPI):
    stream = api.stream()
    api.post_message("マイナンバー")
    return stream.next(containing="マイナンバー情報総点検")


def test_the_contact_records_the_steps_the_overview_updates_and_staff_are_refused(stack, api):
    # the administrator registers the operation
    start = home(api)
    assert "79情報のうち41情報回答" in text(start.card)  # the material, as a dated snapshot
    form = api.execute(start, cards.REGISTER_VERB)["value"]
    saved = api.execute(
        start,
        cards.SUBMIT_VERB,
        {
            **action_data(form, cards.SUBMIT_VERB),
            "unit": UNIT,
            "name": NAME,
            "items": "給与支払報告書\n公的年金等支払報告書",
        },
    )
    assert "保存しました" in text(saved["value"])

    # the bureau contact answers the survey, then records ① ② ③
    api.switch_user("contact")
    card = home(api)
    choice = next(c["value"] for c in _choices(card.card) if NAME in c["title"])
    op_card = api.execute(card, cards.OPERATION_VERB, {cards.OPERATION_INPUT: choice})["value"]
    survey = api.execute(card, cards.SURVEY_VERB, action_data(op_card, cards.SURVEY_VERB))["value"]
    answered = api.execute(
        card,
        cards.SUBMIT_VERB,
        {
            **action_data(survey, cards.SUBMIT_VERB),
            "i1_method": "システム自動連携",
            "i1_records": "52000",
            "i2_method": "3情報以下で照会",
            "i2_records": "1200",
        },
    )["value"]
    assert "保存しました" in text(answered)
    op_card = api.execute(card, cards.OPERATION_VERB, action_data(answered, cards.OPERATION_VERB))["value"]
    assert "全データ点検の対象・1,200件" in text(op_card)
    form = api.execute(card, cards.INSPECTION_VERB, action_data(op_card, cards.INSPECTION_VERB))["value"]
    data = action_data(form, cards.SUBMIT_VERB)
    invalid = api.execute(
        card,
        cards.SUBMIT_VERB,
        {**data, "in_scope": "1200", "checked": "1300", "found": "3", "corrected": "3"},
    )["value"]
    body = invalid["body"]
    at = next(i for i, e in enumerate(body) if e.get("id") == "checked")
    assert "点検対象件数（1,200件）以下にしてください" in body[at + 1]["text"] and body[at]["value"] == 1300
    assert "原因を選んでください" in text(invalid)
    done = api.execute(
        card,
        cards.SUBMIT_VERB,
        {
            **data,
            "s1_status": "完了",
            "in_scope": "1200",
            "checked": "1200",
            "s2_status": "完了",
            "found": "3",
            "corrected": "3",
            "causes": "同姓同名の他人",
            "s3_status": "実施中",
            "viewed": "なし",
            "action": "本人へ通知済み",
        },
    )["value"]
    assert "保存しました" in text(done)
    overview = api.execute(card, cards.OVERVIEW_VERB)["value"]
    assert NAME in text(overview) and "① 完了 ② 完了 ③ 実施中" in text(overview)

    # a staff member of another section is refused, and nothing changes
    api.switch_user("staff")
    theirs = home(api)
    refused = api.execute(theirs, cards.SUBMIT_VERB, {**data, "in_scope": "1", "checked": "", "found": ""})[
        "value"
    ]
    assert "操作できません" in text(refused)
    api.switch_user("contact")
    again = home(api)
    overview = api.execute(again, cards.OVERVIEW_VERB)["value"]
    assert "① 完了 ② 完了 ③ 実施中" in text(overview)
    table = api.execute(again, cards.PUBLICATION_VERB)["value"]
    assert "1,200件" in text(table) and "3件（0.25%）" in text(table) and "同姓同名の他人" in text(table)


def test_the_matrix_in_the_browser(stack, playground):
    playground.send("マイナンバー")
    card = playground.wait_for_card("全データ点検の対象")
    playground.click_card_button("分類（マトリクス）", card)
    expect(card).to_contain_text("全データ点検の分類")
    expect(card).to_contain_text("参考: 2023年8月8日 会議資料時点")
    expect(card).to_contain_text("43業務")


def _choices(card: dict) -> list[dict]:
    from tests.support.cards import inputs_by_id

    return inputs_by_id(card)[cards.OPERATION_INPUT]["choices"]
