"""The Agents Playground's web page in headless Chromium, driven by Playwright (sync API).

:class:`PlaygroundUI` is what a test does as a user: open a chat or the DX PRO channel, send a
message (with the @mention a channel needs), wait for a card, click a card button (also one in
the card's "…" overflow menu), fill inputs, switch to another test user.

The browser is Debian's Chromium (``/usr/bin/chromium``, or ``E2E_CHROMIUM``), started with
``executable_path``; Playwright's own browser download is never used. Every request that does
not go to loopback is aborted (the page asks an Office CDN for fonts and an animation script).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

from tests.support.playground import (
    BOT_NAME,
    CHANNEL_NAME,
    GROUP_CHAT_NAME,
    TEAM_NAME,
    PlaygroundServer,
    Unavailable,
)

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
VIEWPORT = {"width": 1280, "height": 900}

# Selectors seen on @microsoft/m365agentsplayground 0.2.28 (DESIGN §10).
COMPOSER = '[data-lexical-editor="true"][role="textbox"]'
ANY_CARD = ".ac-preview-panel > .ac-adaptiveCard"  # top-level cards only, not Action.ShowCard ones
CARD = f"{ANY_CARD}:not([data-e2e-old])"  # cards that arrived during the current test
CHANNEL_POST = '[role="group"].fui-Card'
TIMEOUT_MS = 15_000


def chromium_path() -> str:
    """``E2E_CHROMIUM`` if set, else Debian's ``/usr/bin/chromium`` (or ``chromium`` on PATH)."""
    chosen = os.environ.get("E2E_CHROMIUM")
    candidates = (
        [chosen]
        if chosen
        else ["/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")]
    )
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    where = f"E2E_CHROMIUM={chosen} is not an executable" if chosen else "apt-get install chromium"
    raise Unavailable(f"Chromium is not installed ({where})")


def is_loopback(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob", "about"):
        return True
    return (parsed.hostname or "") in LOOPBACK


def launch_browser(playwright):
    """Headless Debian Chromium; Playwright gives every launch a fresh, temporary user-data-dir."""
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)


def new_context(browser, *, device_scale_factor: float = 1):
    """A fresh context (no cookies, no storage) where only loopback is reachable."""
    context = browser.new_context(
        viewport=VIEWPORT,
        locale="ja-JP",
        timezone_id="Asia/Tokyo",
        service_workers="block",  # a service worker could fetch past context.route
        device_scale_factor=device_scale_factor,
    )
    context.blocked = []  # type: ignore[attr-defined]

    def guard(route):
        if is_loopback(route.request.url):
            route.continue_()
        else:
            context.blocked.append(route.request.url)  # type: ignore[attr-defined]
            route.abort("blockedbyclient")

    def guard_ws(ws):
        context.blocked.append(ws.url)  # type: ignore[attr-defined]
        ws.close()

    context.route("**/*", guard)
    context.route_web_socket(lambda url: not is_loopback(url), guard_ws)
    return context


def _title(title: str) -> re.Pattern[str]:
    """A button's accessible name: exactly ``title``, or ``title`` after an icon (``💳 キャッシュレス``)."""
    return re.compile(rf"(^|\s){re.escape(title)}$")


class PlaygroundUI:
    """One browser page on the Playground, as the Playground's current user."""

    def __init__(self, page, server: PlaygroundServer):
        self.page = page
        self.server = server
        self.view = "personal"
        self.generation = -1
        self.console_errors: list[str] = []
        self._pins = 0
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.set_default_timeout(TIMEOUT_MS)

    # --- navigation ---------------------------------------------------------------------------

    def goto(self) -> PlaygroundUI:
        """Load the page. Every load re-sends installationUpdate and conversationUpdate, so the
        bot greets the current user again; this waits for that greeting card (about 2 s, most
        of it parsing the Playground's 9 MB script)."""
        self.page.goto(self.server.url + "/")
        self.view = "personal"
        self.generation = self.server.starts
        self.page.locator(CARD).first.wait_for()
        return self

    def reset(self) -> PlaygroundUI:
        """Start the next test on this page without reloading it (a reload costs ~2 s): back to
        the personal chat, earlier cards retired, and a new greeting from a fresh
        installationUpdate, the same activity a page load sends."""
        from tests.support.playground import PlaygroundAPI

        if self.generation != self.server.starts:  # the Playground restarted (switch_user)
            return self.goto()
        self.page.keyboard.press("Escape")
        if self.view != "personal":
            self.open_personal_chat()
        self.retire()
        PlaygroundAPI(self.server).install("personal")
        self.page.locator(CARD).first.wait_for()
        return self

    def retire(self) -> None:
        """Mark every card on the page as old: :meth:`cards` and :meth:`wait_for_card` then see
        only what arrives afterwards. (Switching between chats re-renders a chat, which clears
        the marks there: after ``open_channel``, look cards up by text that is new.)"""
        self.page.locator(ANY_CARD).evaluate_all("nodes => nodes.forEach(n => { n.dataset.e2eOld = '1'; })")

    def open_personal_chat(self) -> None:
        self.page.get_by_label("Personal Chat", exact=True).click()
        self.view = "personal"
        self.page.get_by_role("button", name="Send Message").wait_for()

    def open_group_chat(self) -> None:
        self.page.get_by_label(GROUP_CHAT_NAME, exact=True).click()
        self.view = "group"
        self.page.get_by_role("button", name="Send Message").wait_for()

    def open_channel(self, name: str = CHANNEL_NAME) -> None:
        """Open a channel of the test team. Opening it installs the bot there (the Playground
        sends installationUpdate to the channel), so the bot's greeting arrives as a new post."""
        self.page.get_by_label(f"{TEAM_NAME} - {name}", exact=True).click()
        self.view = "channel"
        self.page.get_by_role("button", name="Post", exact=True).wait_for()

    def switch_user(self, key: str) -> None:
        """Become another test user: the Playground restarts with that user as its current user
        (it cannot switch users while running) and the page reloads."""
        self.server.switch_user(key)
        self.goto()

    # --- writing --------------------------------------------------------------------------------

    def send(self, text: str, *, mention_bot: bool | None = None) -> None:
        """Type and send ``text`` in the open chat. In a channel it starts a new post and
        @mentions the bot first (channels deliver only messages that mention the bot)."""
        in_channel = self.view == "channel"
        if mention_bot is None:
            mention_bot = self.view in ("channel", "group")
        composer = self.page.locator(COMPOSER).first if in_channel else self.page.locator(COMPOSER).last
        composer.click()
        if mention_bot:
            self.page.keyboard.type("@" + BOT_NAME[:3])
            self.page.get_by_role("menuitem", name=BOT_NAME).first.click()
            self.page.keyboard.insert_text(" ")
        self.page.keyboard.insert_text(text)
        self.page.get_by_role("button", name="Post" if in_channel else "Send Message", exact=True).click()

    # --- reading --------------------------------------------------------------------------------

    def cards(self):
        return self.page.locator(CARD)

    def last_card(self):
        return self.cards().last

    def wait_for_card(self, containing: str, *, within=None, timeout: float = TIMEOUT_MS):
        """The last card that shows ``containing``, once it is visible, pinned to its DOM node:
        the returned locator keeps pointing at that card after it changes (an ``Action.Execute``
        answer replaces the card's content in the same node)."""
        scope = within if within is not None else self.page
        card = scope.locator(CARD).filter(has_text=containing).last
        card.wait_for(timeout=timeout)
        return self.pin(card)

    def pin(self, card):
        self._pins += 1
        card.evaluate("(node, id) => { node.dataset.e2eCard = id; }", str(self._pins))
        return self.page.locator(f'{CARD}[data-e2e-card="{self._pins}"]')

    def message(self, card):
        """The chat message (bubble with sender and time) that holds ``card``."""
        return card.locator("xpath=ancestor::div[contains(@class,'fai-OutputCard')][1]")

    def post(self, containing: str):
        """The newest channel post (thread) whose text contains ``containing``, with its
        replies. The Playground lists a channel's posts newest first."""
        return self.page.locator(CHANNEL_POST).filter(has_text=containing).first

    # --- acting on a card -------------------------------------------------------------------------

    def section(self, card, containing: str):
        """The innermost container of ``card`` that shows ``containing`` (e.g. one job of a list,
        each with its own 「今すぐ実行」)."""
        return card.locator(".ac-container").filter(has_text=containing).last

    def click_card_button(self, title: str, card=None, *, section: str | None = None) -> None:
        """Click a card's button by title (in the part of the card that shows ``section``, when
        several parts have a button of that title). Cards show at most six actions per set and
        put the rest in a "…" (More options) menu; this opens it when needed."""
        card = card if card is not None else self.last_card()
        if section is not None:
            card = self.section(card, section)
        button = card.get_by_role("button", name=_title(title))
        if button.count() and button.first.is_visible():
            button.first.click()
            return
        card.get_by_role("button", name="More options").last.click()
        self.page.get_by_role("menuitem", name=_title(title)).click()

    def _input(self, role: str, label: str, card=None):
        card = card if card is not None else self.last_card()
        by_role = card.get_by_role(role, name=label)
        return by_role if by_role.count() else card.get_by_label(label)

    def fill_number(self, label: str, value: int | float | str, card=None) -> None:
        """Type into an ``Input.Number`` (a spinbutton) found by its label."""
        field = self._input("spinbutton", label, card)
        field.fill(str(value))

    def fill_text(self, label: str, value: str, card=None) -> None:
        field = self._input("textbox", label, card)
        field.fill(value)

    def choose(self, label: str, option: str, card=None) -> None:
        """Pick ``option`` (its title) in an ``Input.ChoiceSet`` found by its label: a compact one
        is a combobox with a list of options; an expanded one is radio buttons or, with
        ``isMultiSelect``, check boxes (this ticks the box)."""
        card = card if card is not None else self.last_card()
        combo = card.get_by_role("combobox", name=label)
        if combo.count():
            combo.first.click()
            self.page.get_by_role("option", name=option, exact=True).click()
            return
        for role in ("radio", "checkbox"):  # named "<label> <option>"
            choice = card.get_by_role(role, name=_title(option))
            if choice.count():
                choice.first.check()
                return
        raise AssertionError(f"no choice {option!r} for {label!r} on the card")

    def input_value(self, label: str, card=None, role: str = "spinbutton") -> str:
        return self._input(role, label, card).input_value()

    # --- pictures -----------------------------------------------------------------------------

    def hide_log_panel(self) -> None:
        toggle = self.page.get_by_title("Toggle Log Panel")
        if self.page.get_by_text("Log Panel", exact=True).is_visible():
            toggle.click()
            self.page.get_by_text("Log Panel", exact=True).wait_for(state="hidden")

    def screenshot(self, path: Path, card=None, *, margin: int = 12, down_to=None) -> Path:
        """A PNG of the page, of ``card`` (any locator) with ``margin`` pixels around it, or of
        the page from the top down to ``down_to`` (a locator) and ``margin`` below it. A card
        taller than the window is photographed in a window made tall enough for it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        target = card if card is not None else down_to
        if target is None:
            self.page.screenshot(path=str(path), animations="disabled")
            return path
        box = target.bounding_box()
        if box is None:
            raise AssertionError("nothing to photograph: the element is not visible")
        header = 60  # the Playground's title bar stays on top of the chat when it scrolls
        if box["height"] + 2 * margin + header > VIEWPORT["height"]:
            self.page.set_viewport_size({"width": VIEWPORT["width"], "height": int(box["height"]) + 400})
        try:
            target.scroll_into_view_if_needed()
            box = target.bounding_box()
            assert box is not None
            if card is not None:
                x, y = max(box["x"] - margin, 0), max(box["y"] - margin, 0)
                width, height = box["width"] + 2 * margin, box["height"] + 2 * margin
                clip = {"x": x, "y": y, "width": width, "height": height}
            else:
                bottom = box["y"] + box["height"] + margin
                clip = {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": bottom}
            self.page.screenshot(path=str(path), animations="disabled", clip=clip)
        finally:
            self.page.set_viewport_size(VIEWPORT)
        return path


def register_channel_and_run_delay_alerts(
    ui: PlaygroundUI,
    channel: str,
    unit: str = "健康福祉局/健康部",
    *,
    registered: str = "遅延アラートがこのチャネルに届きます",
    ran: str = "を実行しました",
):
    """The admin's proactive flow, as the current (admin) user: in ``channel``, register it as the
    DX PRO channel of ``unit`` (the form must then say ``registered``); in the personal chat, run
    the delay alerts now from the jobs card (it must say ``ran``); back in the channel, return the
    posted alert. Card handles go stale when the view changes, hence the checks inside."""
    from playwright.sync_api import expect  # imported here like the rest of this module's Playwright use

    ui.open_channel(channel)
    ui.send("このチャネルを登録")
    form = ui.wait_for_card("チャネルの登録", within=ui.post("このチャネルを登録"))
    ui.choose("このチャネルの役割（局・部）", unit, form)
    ui.click_card_button("登録する", form)
    expect(form).to_contain_text(registered)
    ui.open_personal_chat()
    ui.send("定時の通知")
    jobs = ui.wait_for_card("定時の通知と配信状況")
    ui.click_card_button("今すぐ実行", jobs, section="遅延アラート・エスカレーション")
    expect(jobs).to_contain_text(ran)
    ui.open_channel(channel)
    return ui.post("オンライン化の遅れ: " + unit.split("/")[0])
