"""The Microsoft 365 Agents Playground for end-to-end tests (DESIGN §10), without a browser.

- :data:`TEST_USERS`, :func:`render_config`: our test tenant, users (their ``aadObjectId``s are
  those of ``tests/e2e/fixtures/roster.csv``), team and DX PRO channel, as the Playground's
  ``.m365agentsplayground.yml``. ``playground/.m365agentsplayground.yml`` (what ``make
  playground`` uses) is this function's output; regenerate it with
  ``.venv/bin/python -m tests.support.playground > playground/.m365agentsplayground.yml``.
- :class:`BotServer`: ``app.py --seed`` in a subprocess with a fresh store, on a free port.
- :class:`PlaygroundServer`: ``agentsplayground`` in a scratch directory, on a free port, plus a
  :class:`Recorder` that stays connected to its conversation WebSocket (everything the bot posts
  or updates, proactive messages included).
- :class:`PlaygroundAPI`: the Playground's HTTP API, as a user would act through it (send a
  message, click an ``Action.Execute`` / ``Action.Submit`` button, install the app) and
  :meth:`PlaygroundAPI.stream` to wait for what the bot posts.

Nothing here imports Playwright; the browser side is ``tests/support/playground_ui.py``.
Processes are started with their own session and stopped by their PID.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
AGENTS_PLAYGROUND = ROOT / "node_modules" / ".bin" / "agentsplayground"
CONFIG_FILE_NAME = ".m365agentsplayground.yml"
COMMITTED_CONFIG = ROOT / "playground" / CONFIG_FILE_NAME
FIXTURES = ROOT / "tests" / "e2e" / "fixtures"
ROSTER_FILE = FIXTURES / "roster.csv"
ORGANISATION_FILE = FIXTURES / "organisation.csv"

CLOCK_START = "2026-11-26T10:00:00+09:00"
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
START_ATTEMPTS = 3

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CONVERSATION_STREAM = "/_ws_conversation/v1/conversations/stream"  # what the bot posts, for the page
LOG_STREAM = "/_ws/log/stream"  # the page's Log Panel: every activity to and from the bot, with bodies


# --- the test tenant ------------------------------------------------------------------------


@dataclass(frozen=True)
class TestUser:
    """One Playground user; ``object_id`` and ``name`` are those of the test roster."""

    __test__ = False  # not a pytest test class

    key: str
    object_id: str
    surname: str
    given_name: str
    role: str
    scope: str
    login: str

    @property
    def name(self) -> str:
        return f"{self.surname} {self.given_name}"

    @property
    def id(self) -> str:
        """The Teams user id (``29:…``) the Playground puts in ``from.id``."""
        return f"29:e2e-{self.key}"

    @property
    def email(self) -> str:
        return f"{self.login}@city.sakai.example"

    @property
    def personal_chat_id(self) -> str:
        """Our 1:1 chat id when this user is the Playground's current user (stable per user)."""
        return f"a:e2e-personal-{self.key}"


TEST_USERS: dict[str, TestUser] = {
    u.key: u
    for u in (
        TestUser("admin", "00000000-0000-4000-8000-000000000001", "情報", "太郎", "管理者", "", "joho.taro"),
        TestUser(
            "dx_health",
            "00000000-0000-4000-8000-000000000002",
            "健康",
            "花子",
            "DX PRO",
            "健康福祉局/健康部",
            "kenko.hanako",
        ),
        TestUser(
            "dx_child",
            "00000000-0000-4000-8000-000000000003",
            "子ども",
            "次郎",
            "DX PRO",
            "子ども青少年局/子育て支援部",
            "kodomo.jiro",
        ),
        TestUser(
            "manager",
            "00000000-0000-4000-8000-000000000004",
            "福祉",
            "部長",
            "管理職",
            "健康福祉局",
            "fukushi.bucho",
        ),
        TestUser(
            "contact",
            "00000000-0000-4000-8000-000000000005",
            "財政",
            "担当",
            "局担当",
            "財政局",
            "zaisei.tanto",
        ),
        TestUser(
            "staff", "00000000-0000-4000-8000-000000000006", "一般", "職員", "職員", "", "ippan.shokuin"
        ),
    )
}
DEFAULT_USER = "admin"

TENANT_ID = "00000000-0000-4000-8000-0000000000aa"
BOT_ID = "28:ict-suishin-bot"
BOT_NAME = "ICT推進ボット"
TEAM_ID = "19:e2e-team@thread.tacv2"  # also the id of the team's General channel
TEAM_NAME = "ICT推進テスト"
TEAM_AAD_GROUP_ID = "00000000-0000-4000-8000-0000000000c1"
CHANNEL_ID = "19:e2e-dxpro-kenko@thread.tacv2"
CHANNEL_NAME = "DX PRO 健康福祉局"
GROUP_CHAT_ID = "19:e2e-group@thread.v2"
GROUP_CHAT_NAME = "ICT推進 連絡グループ"


def user(key_or_user: str | TestUser) -> TestUser:
    if isinstance(key_or_user, TestUser):
        return key_or_user
    try:
        return TEST_USERS[key_or_user]
    except KeyError:
        raise KeyError(f"no test user {key_or_user!r}; choose one of {', '.join(TEST_USERS)}") from None


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _user_yaml(u: TestUser, indent: str) -> list[str]:
    return [
        f"{indent}id: {_q(u.id)}",
        f"{indent}name: {_q(u.name)}",
        f"{indent}userPrincipleName: {_q(u.email)}",
        f"{indent}aadObjectId: {_q(u.object_id)}",
        f"{indent}givenName: {_q(u.given_name)}",
        f"{indent}surname: {_q(u.surname)}",
        f"{indent}email: {_q(u.email)}",
    ]


def render_config(current_user: str | TestUser = DEFAULT_USER) -> str:
    """The Playground config with ``current_user`` as the person at the keyboard.

    The Playground takes exactly one current user and exactly five others (fewer than five: it
    exits and says why only in its log), and one channel besides General.
    """
    me = user(current_user)
    others = [u for u in TEST_USERS.values() if u.key != me.key]
    lines = [
        "# Microsoft 365 Agents Playground: the test tenant of ICT推進ボット.",
        "# Generated by tests/support/playground.py (render_config); the users' aadObjectIds are those of",
        "# tests/e2e/fixtures/roster.csv. Regenerate, do not edit:",
        "#   .venv/bin/python -m tests.support.playground > playground/.m365agentsplayground.yml",
        "# Users (the current user is the person at the keyboard; `make playground` uses 情報 太郎):",
        *(f"#   {u.name}  {u.role}{'  ' + u.scope if u.scope else ''}" for u in TEST_USERS.values()),
        'version: "0.1.1"',
        f"tenantId: {_q(TENANT_ID)}",
        "bot:",
        f"  id: {_q(BOT_ID)}",
        f"  name: {_q(BOT_NAME)}",
        "currentUser:",
        *_user_yaml(me, "  "),
        "users:",
    ]
    for other in others:
        body = _user_yaml(other, "    ")
        lines.append("  - " + body[0].strip())
        lines.extend(body[1:])
    lines += [
        "personalChat:",
        f"  id: {_q(me.personal_chat_id)}",
        "groupChat:",
        f"  id: {_q(GROUP_CHAT_ID)}",
        f"  name: {_q(GROUP_CHAT_NAME)}",
        "team:",
        f"  id: {_q(TEAM_ID)}",
        f"  name: {_q(TEAM_NAME)}",
        f"  aadGroupId: {_q(TEAM_AAD_GROUP_ID)}",
        "  channels:",
        f"    - id: {_q(CHANNEL_ID)}",
        f"      name: {_q(CHANNEL_NAME)}",
    ]
    return "\n".join(lines) + "\n"


# --- processes ------------------------------------------------------------------------------


class Unavailable(RuntimeError):
    """A tool the end-to-end tests need is missing (the fixture fails in CI, skips elsewhere)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def check_playground_installed() -> None:
    if shutil.which("node") is None:
        raise Unavailable("the Agents Playground needs Node.js, and `node` is not on PATH")
    if not AGENTS_PLAYGROUND.exists():
        raise Unavailable(f"the Agents Playground is not installed (no {AGENTS_PLAYGROUND}: run `npm ci`)")


def _http_get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    except OSError:
        return 0, ""


def _stop(process: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    """Stop our process (and its own process group, which it leads) by PID."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_SECONDS)


def tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return f"({path} not written)"


@dataclass
class BotServer:
    """``app.py --seed`` with a fresh embedded store in ``data_dir``, anonymous, on a free port.

    ``ROSTER_FILE`` / ``ORGANISATION_FILE`` point at the test roster (``tests/e2e/fixtures``),
    so the Playground's users are the roster's people. The clock starts at :data:`CLOCK_START`
    and the scheduler is off; ``extra_env`` overrides any of it.
    """

    data_dir: Path
    log_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/messages"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATA_DIR=str(self.data_dir),
            BOT_HOST="127.0.0.1",
            BOT_PORT=str(self.port),
            MicrosoftAppId="",
            MicrosoftAppPassword="",
            MicrosoftAppTenantId="",
            AZURE_TABLES_CONNECTION_STRING="",
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
            PYTHONDONTWRITEBYTECODE="1",
            ROSTER_FILE=str(ROSTER_FILE),
            ORGANISATION_FILE=str(ORGANISATION_FILE),
            # A fixed "today" (a Thursday in 令和8年度 第3四半期, when delay alerts are due), and no
            # scheduled runs in the background: proactive tests press 「今すぐ実行」 themselves.
            BOT_CLOCK_START=CLOCK_START,
            SCHEDULER_ENABLED="false",
        )
        env.update(self.extra_env)
        return env

    def start(self) -> BotServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        failures = []
        for _ in range(START_ATTEMPTS):
            self.port = free_port()
            with self.log_path.open("ab") as log:
                log.write(f"--- starting the bot on port {self.port}\n".encode())
                log.flush()
                # cwd is the data dir, so a developer's .env is not read.
                self.process = subprocess.Popen(
                    [sys.executable, str(ROOT / "app.py"), "--seed"],
                    cwd=self.data_dir,
                    env=self.env(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            if self._wait_healthy():
                return self
            _stop(self.process)
            failures.append(tail(self.log_path))
        raise RuntimeError("the bot did not start:\n" + "\n---\n".join(failures))

    def _wait_healthy(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            status, _ = _http_get(f"http://127.0.0.1:{self.port}/healthz", timeout=1.0)
            if status == 200:
                return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        _stop(self.process, signal.SIGINT)  # aiohttp's run_app shuts down cleanly on SIGINT
        self.process = None


_LISTENING = re.compile(rb"Listening on (\d+)")


@dataclass
class PlaygroundServer:
    """``agentsplayground`` in ``workdir`` (where it writes ``devTools/``) for ``bot_endpoint``."""

    workdir: Path
    bot_endpoint: str
    current_user: str = DEFAULT_USER
    port: int = 0
    process: subprocess.Popen | None = None
    recorder: Recorder | None = None
    log_recorder: Recorder | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "devTools" / "m365agentsplayground.log"

    @property
    def stdout_path(self) -> Path:
        return self.workdir / "playground-stdout.log"

    @property
    def me(self) -> TestUser:
        return user(self.current_user)

    def start(self) -> PlaygroundServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / CONFIG_FILE_NAME).write_text(render_config(self.current_user), encoding="utf-8")
        env = dict(os.environ)
        # Activities carry locale ja-JP and Japan time (localTimezone, localTimestamp), as the
        # city's Teams clients do; the Playground takes both from its own process.
        env.update(TEAMSAPPTESTER_BROWSER="none", TZ="Asia/Tokyo", LANG="ja_JP.UTF-8", LC_ALL="ja_JP.UTF-8")
        for name in ("M365_AGENTS_PLAYGROUND_CONFIG_PATH", "TEAMS_APP_TEST_TOOL_CONFIG_PATH", "BOT_ENDPOINT"):
            env.pop(name, None)
        check_playground_installed()
        failures = []
        for _ in range(START_ATTEMPTS):
            offset = self.stdout_path.stat().st_size if self.stdout_path.exists() else 0
            with self.stdout_path.open("ab") as out:
                self.process = subprocess.Popen(
                    [
                        str(AGENTS_PLAYGROUND),
                        "-e",
                        self.bot_endpoint,
                        "-c",
                        "msteams",
                        "-p",
                        str(free_port()),
                        # The config's personalChat.id already fixes it; this only matters if
                        # the config were not read (then the id would be random per process).
                        "--conversation-id",
                        self.me.personal_chat_id,
                        "--disable-telemetry",
                    ],
                    cwd=self.workdir,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            port = self._wait_ready(offset)
            if port:
                self.port = port
                self.starts += 1
                self.recorder = Recorder(f"ws://127.0.0.1:{port}{CONVERSATION_STREAM}").start()
                self.log_recorder = Recorder(f"ws://127.0.0.1:{port}{LOG_STREAM}").start()
                return self
            _stop(self.process)
            failures.append(tail(self.stdout_path) + "\n" + tail(self.log_path))
        raise RuntimeError("the Agents Playground did not start:\n" + "\n---\n".join(failures))

    def _wait_ready(self, offset: int) -> int | None:
        """Our process's port, once ``GET /_debug/ping`` answers ``pong``.

        The Playground silently takes another port when the one asked for is busy, so the port
        is read from its ``Listening on N`` line, never assumed.
        """
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        port = None
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return None  # e.g. a bad config: the reason is in devTools/m365agentsplayground.log
            if port is None:
                with self.stdout_path.open("rb") as out:
                    out.seek(offset)
                    match = _LISTENING.search(out.read())
                port = int(match.group(1)) if match else None
            if port is not None and _http_get(f"http://127.0.0.1:{port}/_debug/ping", 1.0) == (200, "pong"):
                return port
            time.sleep(0.05)
        return None

    def stop(self) -> None:
        for recorder in (self.recorder, self.log_recorder):
            if recorder is not None:
                recorder.stop()
        self.recorder = self.log_recorder = None
        _stop(self.process, signal.SIGTERM)
        self.process = None

    def switch_user(self, key: str) -> None:
        """Restart with ``key`` as the current user (the Playground has no way to switch users).

        Conversations the bot saw before are unknown to the new process (DESIGN §10).
        """
        user(key)
        if key == self.current_user and self.process is not None:
            return
        self.stop()
        self.current_user = key
        self.start()

    def conversation_id(self, conversation: str) -> str:
        """``personal`` | ``channel`` | ``general`` | ``group`` | any id, as a conversation id."""
        return {
            "personal": self.me.personal_chat_id,
            "channel": CHANNEL_ID,
            "general": TEAM_ID,
            "group": GROUP_CHAT_ID,
        }.get(conversation, conversation)


# --- what the bot posts: the conversation WebSocket -------------------------------------------


@dataclass(frozen=True)
class BotMessage:
    """One ``createMessage`` / ``updateMessage`` the Playground pushed to its clients."""

    action: str
    conversation_id: str
    message_id: str
    timestamp: int
    text: str
    cards: tuple[dict, ...]
    post_conversation_id: str | None
    raw: dict

    @classmethod
    def from_frame(cls, frame: dict) -> BotMessage | None:
        if frame.get("action") not in ("createMessage", "updateMessage"):
            return None
        message = frame.get("message") or {}
        cards = tuple(
            a["content"]
            for a in message.get("attachments") or []
            if a.get("contentType") == CARD_CONTENT_TYPE and isinstance(a.get("content"), dict)
        )
        return cls(
            action=frame["action"],
            conversation_id=frame.get("actionConversationId") or "",
            message_id=str(message.get("messageId") or ""),
            timestamp=int(message.get("timestamp") or 0),
            text=message.get("text") or "",
            cards=cards,
            post_conversation_id=message.get("postConversationId"),
            raw=frame,
        )

    @property
    def from_bot(self) -> bool:
        return (self.raw.get("message") or {}).get("from", {}).get("id") == BOT_ID

    @property
    def card(self) -> dict:
        if len(self.cards) != 1:
            raise AssertionError(f"expected one card in message {self.message_id}, got {len(self.cards)}")
        return self.cards[0]

    def contains(self, text: str) -> bool:
        return text in self.text or any(text in card_text(c) for c in self.cards)

    def attachments(self, content_type: str) -> list[dict]:
        """The message's attachments of that content type (e.g. a file consent card)."""
        message = self.raw.get("message") or {}
        return [a for a in message.get("attachments") or [] if a.get("contentType") == content_type]

    def in_conversation(self, conversation_id: str) -> bool:
        """In that conversation, or (for a channel) in one of its posts."""
        ids = [self.conversation_id, self.post_conversation_id or ""]
        return any(i == conversation_id or i.startswith(conversation_id + ";messageid=") for i in ids)


_SHOWN = frozenset(
    {"text", "title", "value", "label", "placeholder", "errorMessage", "fallbackText", "altText"}
)


def card_text(card: dict) -> str:
    """What a card shows, one string a line (texts, facts, labels, input values, button titles),
    for ``in`` assertions; element types, verbs and action data are left out."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("data", "fallback"):
                    continue
                if isinstance(value, str | int | float) and not isinstance(value, bool) and key in _SHOWN:
                    out.append(str(value))
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return "\n".join(out)


class Recorder:
    """Stays connected to one of the Playground's WebSockets, in a thread, while it runs.

    The Playground buffers what it would push while no client is connected and hands the whole
    buffer to the next client that connects, which would show a later browser page stale
    messages. With this client always connected nothing is buffered, and every frame is kept
    for :meth:`PlaygroundAPI.stream` and the failure artifacts.
    """

    def __init__(self, url: str):
        self.url = url
        self.frames: list[dict] = []
        self._condition = threading.Condition()
        self._connected = threading.Event()
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._thread = threading.Thread(target=self._run, name="playground-ws", daemon=True)

    def start(self) -> Recorder:
        self._thread.start()
        if not self._connected.wait(10):
            raise RuntimeError(f"could not connect to {self.url}")
        return self

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._task = self._loop.create_task(self._listen())
        try:
            self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        finally:
            self._loop.close()

    async def _listen(self) -> None:
        import aiohttp

        async with aiohttp.ClientSession() as session:
            while not self._stopping:
                try:
                    async with session.ws_connect(self.url, heartbeat=None) as ws:
                        self._connected.set()
                        async for msg in ws:
                            if msg.type != aiohttp.WSMsgType.TEXT:
                                continue
                            with self._condition:
                                self.frames.append(json.loads(msg.data))
                                self._condition.notify_all()
                except (aiohttp.ClientError, OSError):
                    pass
                if not self._stopping:
                    await asyncio.sleep(0.2)

    def stop(self) -> None:
        self._stopping = True
        loop, task = self._loop, self._task
        if loop is not None and task is not None and not loop.is_closed():
            loop.call_soon_threadsafe(task.cancel)
        self._thread.join(timeout=5)

    def mark(self) -> int:
        with self._condition:
            return len(self.frames)

    def messages(self, since: int = 0) -> list[BotMessage]:
        with self._condition:
            frames = self.frames[since:]
        return [m for m in (BotMessage.from_frame(f) for f in frames) if m is not None]

    def wait_for(self, predicate: Callable[[BotMessage], bool], since: int, timeout: float) -> BotMessage:
        deadline = time.monotonic() + timeout
        seen = since
        with self._condition:
            while True:
                for frame in self.frames[seen:]:
                    message = BotMessage.from_frame(frame)
                    if message is not None and predicate(message):
                        return message
                seen = len(self.frames)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no matching message from the bot within {timeout:.0f} s")
                self._condition.wait(remaining)

    def transcript(self, since: int = 0) -> str:
        with self._condition:
            frames = self.frames[since:]
        return "\n".join(json.dumps(f, ensure_ascii=False) for f in frames if f.get("action") != "typing")


class Stream:
    """What the bot posted (or updated) after this stream was opened."""

    def __init__(self, recorder: Recorder):
        self._recorder = recorder
        self._since = recorder.mark()

    def messages(self) -> list[BotMessage]:
        return self._recorder.messages(self._since)

    def next(
        self,
        *,
        conversation: str | None = None,
        containing: str | None = None,
        action: str | None = "createMessage",
        timeout: float = 15.0,
    ) -> BotMessage:
        """The first message after the stream opened that matches; ``TimeoutError`` if none comes."""

        def matches(m: BotMessage) -> bool:
            return (
                (action is None or m.action == action)
                and (conversation is None or m.in_conversation(conversation))
                and (containing is None or m.contains(containing))
            )

        return self._recorder.wait_for(matches, self._since, timeout)

    def next_where(self, predicate: Callable[[BotMessage], bool], timeout: float = 15.0) -> BotMessage:
        """The first message after the stream opened for which ``predicate`` holds."""
        return self._recorder.wait_for(predicate, self._since, timeout)

    def quiet(self, seconds: float = 1.0, **match: Any) -> list[BotMessage]:
        """Wait ``seconds`` and return what matched meanwhile (usually asserted to be empty)."""
        time.sleep(seconds)
        conversation = match.get("conversation")
        action = match.get("action")
        return [
            m
            for m in self.messages()
            if (conversation is None or m.in_conversation(conversation))
            and (action is None or m.action == action)
        ]


# --- the HTTP API -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """A message a user sent; for a channel message, the post (thread) it started."""

    message_id: str
    conversation_id: str
    timestamp: int

    @property
    def thread_id(self) -> str:
        return self.conversation_id


class PlaygroundError(AssertionError):
    pass


class PlaygroundAPI:
    """The Playground's own HTTP API: what its web page calls when a user acts.

    Conversations are ``"personal"`` (the current user's 1:1 chat), ``"channel"`` (the DX PRO
    channel), ``"general"``, ``"group"`` or a conversation id. ``as_user`` is a key of
    :data:`TEST_USERS`; in the personal chat only the Playground's current user can write.
    """

    def __init__(self, server: PlaygroundServer):
        self.server = server

    # plumbing
    def _request(self, method: str, path: str, body: Any = None, timeout: float = 30.0) -> Any:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(
            self.server.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback only
                text = response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            raise PlaygroundError(
                f"{method} {path} → {error.code}: {error.read().decode('utf-8', 'replace')[:500]}"
            ) from None
        return json.loads(text) if text else None

    def _from(self, as_user: str | None, conversation_id: str) -> dict:
        who = user(as_user or self.server.current_user)
        if conversation_id == self.server.me.personal_chat_id and who.key != self.server.current_user:
            raise PlaygroundError(
                f"only the current user ({self.server.current_user}) writes in the personal chat; "
                f"call switch_user({who.key!r}) first"
            )
        return {"id": who.id}

    def stream(self) -> Stream:
        if self.server.recorder is None:
            raise PlaygroundError("the Playground is not running")
        return Stream(self.server.recorder)

    def switch_user(self, key: str) -> None:
        self.server.switch_user(key)

    # what a user does
    def post_message(
        self,
        text: str,
        *,
        as_user: str | None = None,
        conversation: str = "personal",
        mention_bot: bool | None = None,
    ) -> Sent:
        """Send ``text``. In channels and group chats the bot is @mentioned unless
        ``mention_bot=False`` (the Playground delivers only messages that mention the bot there)."""
        cid = self.server.conversation_id(conversation)
        if mention_bot is None:
            mention_bot = cid != self.server.me.personal_chat_id
        body: dict[str, Any] = {"from": self._from(as_user, cid), "text": text, "textFormat": "plain"}
        if mention_bot:
            at = f"<at>{BOT_NAME}</at>"
            body["text"] = f"{at} {text}"
            body["mentions"] = [{"mentioned": {"id": BOT_ID, "name": BOT_NAME}, "text": at}]
        path = f"/_conversation/v1/conversations/{urllib.parse.quote(cid, safe='')}/messages"
        answer = self._request("POST", path, body)
        return Sent(
            message_id=str(answer["messageId"]),
            conversation_id=answer.get("postConversationId") or cid,
            timestamp=int(answer["timestamp"]),
        )

    def execute(
        self,
        card_message: BotMessage | str,
        verb: str,
        data: dict | None = None,
        *,
        as_user: str | None = None,
        conversation: str | None = None,
    ) -> dict:
        """Click an ``Action.Execute`` button of the card in ``card_message``; the invoke response
        (``{"type": …, "value": card}``) comes back. The Playground then shows that card in place."""
        message_id, cid = self._target(card_message, conversation)
        return self._request(
            "POST",
            "/_conversation/v1/invoke",
            {
                "name": "adaptiveCard/action",
                "value": {
                    "action": {
                        "type": "Action.Execute",
                        "verb": verb,
                        "data": {"verb": verb, **(data or {})},
                    },
                },
                "from": self._from(as_user, cid),
                "conversation": {"id": cid},
                "replyToId": message_id,
            },
        )

    def submit(
        self,
        card_message: BotMessage | str,
        value: dict,
        *,
        as_user: str | None = None,
        conversation: str | None = None,
    ) -> None:
        """Click an ``Action.Submit`` button (a message activity with ``value`` and ``replyToId``)."""
        message_id, cid = self._target(card_message, conversation)
        self._request(
            "POST",
            "/_conversation/v1/submit",
            {
                "conversation": {"id": cid},
                "from": self._from(as_user, cid),
                "replyToId": message_id,
                "value": value,
            },
        )

    def install(self, conversation: str = "personal") -> None:
        """What every page load does: ``installationUpdate`` + ``conversationUpdate`` to the bot."""
        cid = self.server.conversation_id(conversation)
        self._request("POST", f"/_debug/conversation/{urllib.parse.quote(cid, safe='')}/installation", {})

    def activity_template(self, conversation: str = "personal") -> dict:
        cid = self.server.conversation_id(conversation)
        return self._request(
            "GET",
            "/_internal/v1/customActivities/template?conversationId=" + urllib.parse.quote(cid, safe=""),
        )

    def send_activity(self, activity: dict) -> None:
        """Send any activity to the bot (start from :meth:`activity_template`)."""
        self._request("POST", "/_internal/v1/customActivities", activity)

    def inject_bot_message(
        self, *, card: dict | None = None, text: str = "", conversation: str = "personal"
    ) -> str:
        """Post a message *as the bot* through the Playground's connector (what the bot's own
        ``send_activity`` calls). For testing the harness on cards the bot cannot produce yet;
        a click on such a card still goes to the real bot. Returns the message id."""
        cid = self.server.conversation_id(conversation)
        activity: dict[str, Any] = {"type": "message", "from": {"id": BOT_ID, "name": BOT_NAME}, "text": text}
        if card is not None:
            activity["attachments"] = [{"contentType": CARD_CONTENT_TYPE, "content": card}]
        path = f"/_connector/v3/conversations/{urllib.parse.quote(cid, safe='')}/activities"
        answer = self._request("POST", path, activity)
        return str(answer["id"])

    def _target(self, card_message: BotMessage | str, conversation: str | None) -> tuple[str, str]:
        if isinstance(card_message, BotMessage):
            message_id = card_message.message_id
            cid = conversation and self.server.conversation_id(conversation) or card_message.conversation_id
        else:
            message_id = card_message
            cid = self.server.conversation_id(conversation or "personal")
        return message_id, cid


if __name__ == "__main__":
    sys.stdout.write(render_config(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_USER))
