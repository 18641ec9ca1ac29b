"""行政手続きオンライン化 end to end, through the Agents Playground (API and headless Chromium).

The scenario needs a fixed "today" inside a quarter's reporting window, so each test runs its own
bot with ``BOT_CLOCK_START=2023-09-20T10:00:00+09:00`` (令和5年度 第2四半期: 健康福祉局 plans 38,
36 of them carried-over delays) and its own Playground, with 健康 花子 (DX PRO 健康福祉局) as the
Playground's user.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cards import online_procedures as cards
from tests.e2e.conftest import unavailable
from tests.support.cards import actions
from tests.support.cards import card_json as text
from tests.support.playground import (
    BotServer,
    PlaygroundAPI,
    PlaygroundServer,
    Unavailable,
    check_playground_installed,
)

pytestmark = pytest.mark.e2e

CLOCK = "2023-09-20T10:00:00+09:00"
HEALTH = "健康福祉局"


@pytest.fixture
def clocked(tmp_path_factory):
    """A fresh bot whose clock starts on 2023-09-20, and a Playground whose user is the DX PRO
    (one per test, so that each scenario starts from the seed)."""
    try:
        check_playground_installed()
    except Unavailable as error:
        unavailable(str(error))
    root = tmp_path_factory.mktemp("e2e-online-procedures")
    bot = BotServer(
        data_dir=root / "bot-data",
        log_path=root / "bot.log",
        extra_env={"BOT_CLOCK_START": CLOCK, "SCHEDULER_ENABLED": "false"},
    )
    playground = None
    try:
        bot.start()
        playground = PlaygroundServer(
            workdir=root / "playground", bot_endpoint=bot.endpoint, current_user="dx_health"
        ).start()
        yield bot, playground
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    finally:
        if playground is not None:
            playground.stop()
        bot.stop()


def submit_data(card: dict) -> dict:
    executes = (a for a in actions(card) if a["type"] == "Action.Execute")
    return next(a["data"] for a in executes if a.get("verb") == cards.SUBMIT_VERB)


def test_a_dx_pro_reports_q2_below_plan_and_the_summary_shows_the_delay(clocked):
    _, playground = clocked
    api = PlaygroundAPI(playground)
    stream = api.stream()
    api.post_message("オンライン化")
    summary = stream.next(containing="全庁の状況")
    assert "2023年9月20日（水）時点" in text(summary.card) and "健康福祉局 51件" in text(summary.card)

    form = api.execute(summary, cards.UPDATE_VERB, {cards.BUREAU_INPUT: HEALTH})["value"]
    assert "令和5年度 第2四半期" in text(form) and "38件（うち遅れの繰越 36件）" in text(form)
    data = submit_data(form)

    # an invalid value: the same card comes back with the error right under the field
    invalid = api.execute(
        summary, cards.SUBMIT_VERB, {**data, "done": "-3", "delayed": "", "advanced": "", "reason": ""}
    )["value"]
    body = invalid["body"]
    done_at = next(i for i, e in enumerate(body) if e.get("id") == "done")
    assert "0以上の整数" in body[done_at + 1]["text"]
    # below the plan without a reason: the error is next to the reason field, the values stay
    no_reason = api.execute(
        summary, cards.SUBMIT_VERB, {**data, "done": "30", "delayed": "30", "advanced": "", "reason": ""}
    )["value"]
    reason_at = next(i for i, e in enumerate(no_reason["body"]) if e.get("id") == "reason")
    assert "理由を入力してください" in no_reason["body"][reason_at + 1]["text"]
    assert next(e for e in no_reason["body"] if e.get("id") == "done")["value"] == 30

    saved = api.execute(
        summary,
        cards.SUBMIT_VERB,
        {**data, "done": "30", "delayed": "30", "advanced": "", "reason": "委託先との調整に時間を要したため"},
    )["value"]
    assert "保存しました" in text(saved) and "30件（うち遅れ分 30）" in text(saved)
    again = api.execute(
        summary,
        cards.SUBMIT_VERB,
        {**data, "done": "30", "delayed": "30", "advanced": "", "reason": "委託先との調整に時間を要したため"},
    )["value"]
    assert "すでに保存されています" in text(again)  # the same card twice counts once

    after = api.execute(summary, cards.SUMMARY_VERB)["value"]
    assert "健康福祉局 23件" in text(after) and "うち今期の報告による見込み 2件" in text(after)


def test_the_same_scenario_in_the_browser(clocked, browser):
    from tests.support.playground_ui import PlaygroundUI, new_context

    _, playground = clocked
    context = new_context(browser)
    try:
        ui = PlaygroundUI(context.new_page(), playground).goto()
        ui.send("オンライン化")
        card = ui.wait_for_card("全庁の状況")
        ui.click_card_button("実績を入力する", card)
        expect(card).to_contain_text("実績の入力: 健康福祉局")
        ui.fill_number("この期間に完了した件数", 30, card)
        ui.fill_number("うち遅れ分（前の期間から繰り越された手続き）", 30, card)
        ui.click_card_button("送信する", card)
        expect(card).to_contain_text("予定（38件）を下回るため、理由を入力してください")  # in place
        assert ui.input_value("この期間に完了した件数", card) == "30"
        ui.fill_text("予定を下回る場合の理由（予定を下回るときは必須）", "委託先との調整", card)
        ui.click_card_button("送信する", card)
        expect(card).to_contain_text("保存しました")
        ui.click_card_button("全庁の状況", card)
        expect(card).to_contain_text("うち今期の報告による見込み")
    finally:
        context.close()
