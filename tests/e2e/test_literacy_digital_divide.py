"""ICTリテラシー and デジタル・ディバイド対策 end to end, through the Agents Playground.

One stack for the module (a bot of its own, seeded, with its clock at 2023-06-05 10:00 JST, in
令和5年度, so the plan is the material's 177 classes / 1,801 people):

- a staff member (一般 職員) completes the self-assessment in the browser and sees the next level
  and the recommended training of the DX programme's menu;
- an admin (情報 太郎) records a class in the browser (date, time, choices, numbers), and one through
  the API, after which the plan-versus-actual card counts it.
"""

from __future__ import annotations

import re

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


def _fact(card: dict, title: str) -> str:
    """The value of the fact ``title`` on ``card`` (the plan-versus-actual facts)."""

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "FactSet":
                for fact in node.get("facts", []):
                    if fact.get("title") == title:
                        return fact["value"]
            for value in node.values():
                found = walk(value)
                if found is not None:
                    return found
        elif isinstance(node, list):
            for value in node:
                found = walk(value)
                if found is not None:
                    return found
        return None

    return walk(card) or ""


def test_an_admin_records_a_class_in_the_browser(playground):
    playground.send("スマホ教室")
    card = playground.wait_for_card("スマホ教室（計画と実施）")
    playground.click_card_button("教室を記録する", card)
    expect(card).to_contain_text("日時・区・会場・連携先・定員")
    # The Playground's date picker is a calendar of the browser's month (not the bot's clock): take its 10th.
    card.get_by_role("combobox", name="日付").click()
    calendar = playground.page.get_by_role("dialog", name="Calendar")
    calendar.get_by_role("button", name=re.compile(r"^10, ")).first.click()
    playground.choose("開始", "13:30", card)
    playground.choose("終了", "15:00", card)
    playground.choose("区", "美原区", card)
    playground.fill_text("会場", "美原区役所", card)
    playground.choose("連携先", "社会福祉協議会", card)
    playground.fill_number("定員（人）", 15, card)
    playground.click_card_button("記録する", card)
    expect(card).to_contain_text("スマホ教室を記録しました")  # in place
    expect(card).to_contain_text("10日")
    expect(card).to_contain_text("13:30～15:00")
    expect(card).to_contain_text("美原区 美原区役所")
    playground.click_card_button("計画と実施を見る", card)
    expect(card).to_contain_text("スマホ教室（計画と実施）")


def test_an_admin_records_a_class_and_the_plan_versus_actual_card_updates(api: PlaygroundAPI):
    stream = api.stream()
    api.post_message("スマホ教室")
    summary = stream.next(containing="スマホ教室（計画と実施）")
    assert "177回・1,801名" in text(summary.card)
    held = int(_fact(summary.card, "実施").split("回")[0])
    people = int(_fact(summary.card, "参加者").split("名")[0].replace(",", ""))
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
    assert _fact(after, "実施").startswith(f"{held + 1}回（")
    assert _fact(after, "参加者").startswith(f"{people + 11}名（")
