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
from tests.support.playground_ui import register_channel_and_run_delay_alerts

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
    alert = register_channel_and_run_delay_alerts(playground, CHANNEL_NAME)
    expect(alert).to_contain_text("この通知が届いた理由")
    _png(playground.screenshot(out_dir / "delay-alert.png", card=alert))
