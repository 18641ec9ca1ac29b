"""Screenshots of the main cards as the Agents Playground renders them (for the README).

``make screenshots`` runs this module with ``SCREENSHOTS_DIR=docs/screenshots``; in the normal
test run the pictures go to a temporary directory, so the test still shows that every one of
them renders. The module has a bot and a Playground of its own, so the figures on the cards are
the seed's, whatever other tests did.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cards.menu import GREETING
from tests.e2e.conftest import running_e2e
from tests.support.playground import CHANNEL_NAME

pytestmark = [pytest.mark.e2e, pytest.mark.screenshots]


@pytest.fixture(scope="module")
def stack(tmp_path_factory, pytestconfig):
    with running_e2e(tmp_path_factory.mktemp("e2e-screenshots"), pytestconfig) as own:
        yield own


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    target = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


def _png(path: Path) -> Path:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5_000, path
    return path


def test_screenshots_of_the_main_cards(playground, out_dir):
    playground.goto()  # a clean page: only this test's cards
    playground.hide_log_panel()
    menu = playground.wait_for_card(GREETING)
    _png(playground.screenshot(out_dir / "menu.png", down_to=menu, margin=24))  # the Teams-like window

    playground.click_card_button("行政手続きオンライン化", menu)
    expect(menu).not_to_contain_text(GREETING)
    _png(playground.screenshot(out_dir / "online-procedures.png", card=playground.message(menu)))

    playground.send("管理")
    admin = playground.wait_for_card("管理者のみ")
    _png(playground.screenshot(out_dir / "admin-menu.png", card=playground.message(admin)))

    playground.open_channel(CHANNEL_NAME)
    playground.send("オンライン化の進み具合は？")
    post = playground.post("進み具合は")
    playground.wait_for_card("行政手続きオンライン化", within=post)
    _png(playground.screenshot(out_dir / "channel.png", card=post))

    # a proactive delay alert in the DX PRO channel, once the channel is registered
    playground.send("このチャネルを登録")
    form = playground.wait_for_card("チャネルの登録", within=playground.post("このチャネルを登録"))
    playground.choose("このチャネルの役割（局・部）", "健康福祉局/健康部", form)
    playground.click_card_button("登録する", form)
    expect(form).to_contain_text("遅延アラートがこのチャネルに届きます")
    playground.open_personal_chat()
    playground.send("定時の通知")
    jobs = playground.wait_for_card("定時の通知と配信状況")
    playground.click_card_button("今すぐ実行", jobs, section="遅延アラート・エスカレーション")
    expect(jobs).to_contain_text("を実行しました")
    playground.open_channel(CHANNEL_NAME)
    alert = playground.post("オンライン化の遅れ: 健康福祉局")
    expect(alert).to_contain_text("この通知が届いた理由")
    _png(playground.screenshot(out_dir / "delay-alert.png", card=alert))
