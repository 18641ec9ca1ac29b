"""End-to-end fixtures: the bot, the Agents Playground and headless Chromium (DESIGN §9, §10).

- ``e2e`` (session): the bot (``app.py --seed``, fresh store, test roster) and the Playground,
  each on a free port, stopped by PID at the end.
- ``stack`` (module): the ``e2e`` pair, unless the module overrides it with a pair of its own
  (:func:`running_e2e`).
- ``browser`` (module): headless Debian Chromium through Playwright's sync API.
- ``playground`` (per test): the module's page on the Playground, as
  :class:`tests.support.playground_ui.PlaygroundUI`, showing a new greeting (a fresh
  installationUpdate; reloading costs ~2 s); a new browser context after a failed test.
- ``api`` (per test): :class:`tests.support.playground.PlaygroundAPI`, no browser.

Both per-test fixtures put the Playground back to the default user (情報 太郎) after a test that
switched users. When a test fails they write the Playground's logs (its log file, and its Log
Panel: every activity to and from the bot with bodies), the bot log, what the bot posted (the
conversation WebSocket) and, with a browser, a screenshot to ``test-artifacts/<test>/`` and print
the paths.

Without the browser or the Playground these tests skip, except with ``CI=true``, where that fails.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.playground import (
    DEFAULT_USER,
    ROOT,
    BotServer,
    PlaygroundAPI,
    PlaygroundServer,
    Unavailable,
    check_playground_installed,
)

ARTIFACTS = ROOT / "test-artifacts"
_REPORTS = pytest.StashKey[dict]()
_ARTIFACT_DIRS = pytest.StashKey[list]()


def unavailable(reason: str) -> None:
    """Fail in CI (a test that cannot run there is a broken build), skip elsewhere."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true, so this is an error, not a skip)", pytrace=False)
    pytest.skip(f"end-to-end tests need it: {reason}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the item, so fixtures can tell a test failed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def _failed(node: pytest.Item) -> bool:
    return any(r.failed for r in node.stash.get(_REPORTS, {}).values())


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    dirs = config.stash.get(_ARTIFACT_DIRS, [])
    if dirs:
        terminalreporter.section("end-to-end failure artifacts")
        for line in dirs:
            terminalreporter.write_line(line)


# --- the servers ------------------------------------------------------------------------------


@dataclass
class Mark:
    offsets: dict[Path, int]
    recorders: dict[str, tuple[object, int]]


@dataclass
class E2E:
    bot: BotServer
    playground: PlaygroundServer
    config: pytest.Config
    default_user: str = DEFAULT_USER

    def mark(self) -> Mark:
        offsets = {p: (p.stat().st_size if p.exists() else 0) for p in self._log_files()}
        return Mark(offsets, {name: (r, r.mark() if r else 0) for name, r in self._recorders().items()})

    def _recorders(self) -> dict:
        return {
            "conversation.jsonl": self.playground.recorder,  # what the bot posted or updated
            "playground-activities.jsonl": self.playground.log_recorder,  # the Log Panel: every activity
        }

    def _log_files(self) -> list[Path]:
        return [self.bot.log_path, self.playground.log_path, self.playground.stdout_path]

    def reset_user(self) -> None:
        if self.playground.current_user != self.default_user:
            self.playground.switch_user(self.default_user)

    def write_artifacts(self, node: pytest.Item, mark: Mark, ui=None) -> Path:
        """What happened during this test, under test-artifacts/<test>/; prints the paths."""
        time.sleep(0.5)  # let what the bot was still sending arrive
        name = re.sub(r"[^\w.\-\[\]]+", "_", f"{node.path.stem}.{node.name}")[:150]
        target = ARTIFACTS / name
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        written = []
        names = {
            self.bot.log_path: "bot.log",
            self.playground.log_path: "playground.log",
            self.playground.stdout_path: "playground-stdout.log",
        }
        for path, out_name in names.items():
            if not path.exists():
                continue
            offset = mark.offsets.get(path, 0)
            with path.open("rb") as log:
                if log.seek(0, os.SEEK_END) < offset:  # the file was started again
                    offset = 0
                log.seek(offset)
                (target / out_name).write_bytes(log.read())
            written.append(target / out_name)
        for out_name, recorder in self._recorders().items():
            if recorder is None:
                continue
            then, frames = mark.recorders.get(out_name, (None, 0))
            since = frames if recorder is then else 0  # a new recorder: the Playground restarted
            (target / out_name).write_text(recorder.transcript(since) + "\n", encoding="utf-8")
            written.append(target / out_name)
        if ui is not None:
            try:
                written.append(ui.screenshot(target / "screenshot.png"))
            except Exception as error:  # noqa: BLE001 - a broken page must not hide the failure
                (target / "screenshot-error.txt").write_text(str(error), encoding="utf-8")
            blocked = getattr(ui.page.context, "blocked", [])
            notes = ["blocked (non-loopback) requests:", *blocked, "", "console errors:", *ui.console_errors]
            (target / "browser.txt").write_text("\n".join(notes) + "\n", encoding="utf-8")
            written.append(target / "browser.txt")
        listing = ", ".join(p.name for p in written)
        line = f"{node.nodeid}: {target.relative_to(ROOT)}/ ({listing})"
        self.config.stash.setdefault(_ARTIFACT_DIRS, []).append(line)
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"\nend-to-end artifacts: {line}")
        return target


@contextmanager
def running_e2e(
    root: Path,
    config: pytest.Config,
    *,
    current_user: str = DEFAULT_USER,
    bot_env: dict[str, str] | None = None,
) -> Iterator[E2E]:
    """A bot and a Playground of their own under ``root`` (``bot_env`` adds to the bot's
    environment, e.g. another ``BOT_CLOCK_START``), stopped by PID on exit."""
    try:
        check_playground_installed()
    except Unavailable as error:
        unavailable(str(error))
    bot = BotServer(data_dir=root / "bot-data", log_path=root / "bot.log", extra_env=dict(bot_env or {}))
    playground = None
    try:
        try:
            bot.start()
            playground = PlaygroundServer(
                workdir=root / "playground", bot_endpoint=bot.endpoint, current_user=current_user
            ).start()
        except RuntimeError as error:
            pytest.fail(str(error), pytrace=False)
        yield E2E(bot=bot, playground=playground, config=config, default_user=current_user)
    finally:
        if playground is not None:
            playground.stop()
        bot.stop()


@pytest.fixture(scope="session")
def e2e(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[E2E]:
    """The bot and the Playground most end-to-end tests share."""
    with running_e2e(tmp_path_factory.mktemp("e2e"), pytestconfig) as shared:
        yield shared


@pytest.fixture(scope="module")
def stack(e2e: E2E) -> E2E:
    """The bot and Playground a module's ``playground`` and ``api`` use: the shared ones. A module
    that needs its own (another clock, a fresh store) overrides this fixture::

        @pytest.fixture(scope="module")
        def stack(tmp_path_factory, pytestconfig):
            with running_e2e(tmp_path_factory.mktemp("mine"), pytestconfig,
                             bot_env={"BOT_CLOCK_START": "2023-09-20T10:00:00+09:00"}) as own:
                yield own
    """
    return e2e


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium, per module: the sync Playwright API must be stopped before an asyncio
    test runs in this process, or pytest-asyncio finds a running event loop."""
    try:
        from playwright.sync_api import sync_playwright

        from tests.support.playground_ui import chromium_path, launch_browser

        chromium_path()
    except ImportError:
        unavailable("the Python package playwright is not installed (requirements-dev.txt)")
    except Unavailable as error:
        unavailable(str(error))
    playwright = sync_playwright().start()
    try:
        browser = launch_browser(playwright)
        yield browser
        browser.close()
    finally:
        playwright.stop()


# --- per test -------------------------------------------------------------------------------------


class _Page:
    """One browser page shared by the UI tests; a new context only after a failure."""

    def __init__(self, browser, e2e: E2E):
        self.browser = browser
        self.e2e = e2e
        self.ui = None
        self.dirty = True

    def for_next_test(self):
        from tests.support.playground_ui import PlaygroundUI, new_context

        if self.dirty or self.ui is None:
            self.close()
            self.ui = PlaygroundUI(new_context(self.browser).new_page(), self.e2e.playground)
            self.dirty = True  # until the page has loaded
            self.ui.goto()
        else:
            self.dirty = True  # until the reset worked
            self.ui.reset()
        self.dirty = False
        return self.ui

    def close(self) -> None:
        if self.ui is not None:
            self.ui.page.context.close()
            self.ui = None


@pytest.fixture(scope="module")
def _shared_page(stack: E2E, browser):
    page = _Page(browser, stack)
    yield page
    page.close()


@pytest.fixture
def playground(stack: E2E, _shared_page: _Page, request: pytest.FixtureRequest):
    """The Playground's page in Chromium, showing a new greeting card (a fresh
    installationUpdate), as the default user. Cards of earlier tests are retired (see
    ``PlaygroundUI.retire``); a failed test leaves a new browser context to the next one."""
    mark = stack.mark()
    try:
        try:
            ui = _shared_page.for_next_test()
        except Exception:
            stack.write_artifacts(request.node, mark, _shared_page.ui)
            raise
        yield ui
        if _failed(request.node):
            _shared_page.dirty = True
            stack.write_artifacts(request.node, mark, ui)
    finally:
        stack.reset_user()


@pytest.fixture
def api(stack: E2E, request: pytest.FixtureRequest):
    """The Playground's HTTP/WebSocket API as the default user, without a browser."""
    mark = stack.mark()
    try:
        yield PlaygroundAPI(stack.playground)
        if _failed(request.node):
            stack.write_artifacts(request.node, mark)
    finally:
        stack.reset_user()
