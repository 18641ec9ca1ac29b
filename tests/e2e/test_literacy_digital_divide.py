"""ICTリテラシー and デジタル・ディバイド対策 end to end, through the Agents Playground.

One stack for the module (a bot of its own, seeded, with its clock at 2023-06-05 10:00 JST, in
令和5年度, so the plan is the material's 177 classes / 1,801 people):

- a staff member (一般 職員) completes the self-assessment in the browser and sees the next level
  and the recommended training of the DX programme's menu;
- an admin (情報 太郎) records a class through the API and the plan-versus-actual card updates.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cards import digital_divide as dd_cards
from tests.e2e.conftest import running_e2e
from tests.support.cards import card_json as text
from tests.support.playground import PlaygroundAPI

pytestmark = pytest.mark.e2e

CLOCK = "2023-06-05T10:00:00+09:00"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, pytestconfig):
    with running_e2e(
        tmp_path_factory.mktemp("e2e-literacy"),
        pytestconfig,
        bot_env={"BOT_CLOCK_START": CLOCK, "SCHEDULER_ENABLED": "false"},
    ) as own:
        yield own


def test_a_staff_member_completes_the_self_assessment_and_sees_a_recommendation(playground):
    playground.switch_user("staff")
    playground.send("リテラシー")
    card = playground.wait_for_card("自己評価")
    expect(card).to_contain_text("デジタルツールが分からない")  # the material's 課題①
    playground.choose("RPA", "わかる", card)
    playground.choose("Teams", "つかえる", card)
    playground.click_card_button("保存する", card)
    expect(card).to_contain_text("保存しました")  # in place
    expect(card).to_contain_text("いまは「わかる」→ 次は「つかえる」")
    expect(card).to_contain_text("おすすめの研修（堺市DXの研修メニュー）: BPR")


def test_an_admin_records_a_class_and_the_plan_versus_actual_card_updates(api: PlaygroundAPI):
    stream = api.stream()
    api.post_message("スマホ教室")
    summary = stream.next(containing="スマホ教室（計画と実施）")
    assert "177回・1,801名" in text(summary.card) and "0回（0%）" in text(summary.card)
    form = api.execute(summary, dd_cards.FORM_VERB)["value"]
    assert "スマホ教室を記録する" in text(form)
    values = {
        "day": "2023-05-20",
        "start": "10:00",
        "end": "12:00",
        "ward": "北区",
        "venue": "北区役所",
        "partner": "大学",
        "capacity": "12",
        "attendance": "11",
    }
    invalid = api.execute(summary, dd_cards.RECORD_VERB, {**values, "end": "09:00"})["value"]
    assert "終了は開始より後の時刻にしてください" in text(invalid)
    saved = api.execute(summary, dd_cards.RECORD_VERB, values)["value"]
    assert "スマホ教室を記録しました" in text(saved)
    after = api.execute(summary, dd_cards.SUMMARY_VERB)["value"]
    assert "1回（1%）" in text(after) and "11名（1%）" in text(after)
