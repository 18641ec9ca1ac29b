"""Shared pytest fixtures. Keep each group in its own section."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# --- hypothesis profiles: "normal" in every run, "fuzz" for `make fuzz` (HYPOTHESIS_PROFILE=fuzz) --

_SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
hypothesis_settings.register_profile(
    "normal", max_examples=300, deadline=None, database=None, suppress_health_check=_SLOW_IS_FINE
)
hypothesis_settings.register_profile(
    "fuzz",
    max_examples=10_000,
    deadline=None,
    database=None,
    suppress_health_check=_SLOW_IS_FINE,
    print_blob=True,
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "normal"))

# --- Azurite (Azure Table Storage emulator); machinery in tests/support/azurite.py ---------------


@pytest.fixture(scope="session")
def azurite_connection_string(request: pytest.FixtureRequest) -> Iterator[str]:
    """Connection string of an Azurite table service started once for the whole session.

    Skips when Azurite is not installed, except with ``CI=true``, where that fails.
    """
    from tests.support.azurite import running_azurite

    with running_azurite() as connection_string:
        yield connection_string
        leakscan_azurite(request.config, connection_string)  # before it stops: what the tests stored


# --- the privacy and secret scan of everything the session wrote (tests/support/leakscan.py) ------
#
# For the whole session a root handler keeps every log record, formatted (message, exception, stack)
# at INFO and above (the app's level). At the end the log text, every file under the session's
# basetemp (but test inputs under a folder named leakscan.INPUTS) and every entity of the shared
# Azurite (read in its fixture, before it stops) are scanned for My Numbers (check digit, any width
# and separators), connection strings, tokens and the secrets the tests configure. Any finding
# fails the session. Records logged by the test code itself (a file under tests/) are test inputs.

_LEAKSCAN_KEY = pytest.StashKey["_LeakScanState"]()
_TESTS_DIR = os.path.dirname(os.path.abspath(__file__))


class _LeakScanState:
    def __init__(self) -> None:
        from pathlib import Path

        from tests.support.leakscan import Scan, known_secrets

        self.scan = Scan(secrets=tuple(known_secrets(Path(_TESTS_DIR).parent)))
        self.lines: list[str] = []
        self.test_records = 0
        self.handler = _LeakScanHandler(self)
        self.root_level: int | None = None
        self.azurite_read = False
        self.azurite_error = ""
        self.new_stores: list[Any] = []  # the in-memory stores made during the current test
        self.stores: dict[int, tuple[Any, str]] = {}  # id -> (weakref, version last scanned)
        self.memory_stores = 0


class _LeakScanHandler(logging.Handler):
    def __init__(self, state: _LeakScanState) -> None:
        super().__init__(logging.INFO)
        self.state = state
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if os.path.abspath(record.pathname).startswith(_TESTS_DIR + os.sep):
            self.state.test_records += 1  # the test code logged it: a test input
            return
        try:
            self.state.lines.append(self.format(record))
        except Exception:  # noqa: BLE001 - a record that cannot be formatted is not written either
            self.state.lines.append(f"{record.levelname} {record.name}: {record.msg!r} {record.args!r}")


def _track_memory_stores(state: _LeakScanState) -> None:
    """Every tests.fakes.InMemoryTableStore (the HTTP and dialog tests' store) is scanned at the end
    of each test while it lives, again only when it was written since (its ETag counter moved)."""
    from tests import fakes

    original = fakes.InMemoryTableStore.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        state.new_stores.append(self)
        state.memory_stores += 1

    fakes.InMemoryTableStore.__init__ = init  # type: ignore[method-assign]


def _scan_memory_stores(state: _LeakScanState) -> None:
    import weakref

    for store in state.new_stores:
        state.stores.setdefault(id(store), (weakref.ref(store), ""))
    state.new_stores.clear()
    for key, (ref, seen) in list(state.stores.items()):
        store = ref()
        if store is None:
            del state.stores[key]
            continue
        version = repr(getattr(store, "_etags", ""))
        if version == seen:
            continue
        state.stores[key] = (ref, version)
        for table, rows in list(getattr(store, "_tables", {}).items()):
            for (pk, rk), entity in list(rows.items()):
                state.scan.entity(f"memory:{table}/{pk}/{rk}", dict(entity.properties), once=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    yield
    state = _leakscan_state(item.config)
    if state is not None:
        _scan_memory_stores(state)


def pytest_sessionstart(session: pytest.Session) -> None:
    state = _LeakScanState()
    session.config.stash[_LEAKSCAN_KEY] = state
    _track_memory_stores(state)
    root = logging.getLogger()
    root.addHandler(state.handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        state.root_level = root.level
        root.setLevel(logging.INFO)  # the app's level (LOG_LEVEL=INFO)
        # as in the app (services.kernel.privacy.install_log_masking): azure.core logs every
        # request at INFO, and the app quiets it
        for name in ("azure.core", "azure.core.pipeline.policies.http_logging_policy"):
            if logging.getLogger(name).level == logging.NOTSET:
                logging.getLogger(name).setLevel(logging.WARNING)


def _leakscan_state(config: pytest.Config) -> _LeakScanState | None:
    return config.stash.get(_LEAKSCAN_KEY, None)


def leakscan_azurite(config: pytest.Config, connection_string: str) -> None:
    """Scan the shared Azurite's tables now (called by its fixture before it stops)."""
    state = _leakscan_state(config)
    if state is None:
        return
    try:
        state.scan.azure_tables(connection_string)
        state.azurite_read = True
    except Exception as error:  # noqa: BLE001 - reported with the coverage, not a test error
        state.azurite_error = f"{type(error).__name__}: {str(error)[:200]}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = _leakscan_state(session.config)
    if state is None:
        return
    from pathlib import Path

    root = logging.getLogger()
    root.removeHandler(state.handler)
    if state.root_level is not None:
        root.setLevel(state.root_level)
    state.scan.log("\n".join(state.lines))
    basetemp = session.config._tmp_path_factory.getbasetemp() if _has_basetemp(session.config) else None  # type: ignore[attr-defined]
    if basetemp is not None:
        state.scan.tree(Path(basetemp))
    if state.scan.findings and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _has_basetemp(config: pytest.Config) -> bool:
    factory = getattr(config, "_tmp_path_factory", None)
    return factory is not None and getattr(factory, "_basetemp", None) is not None


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = _leakscan_state(config)
    if state is None:
        return
    from tests.support.leakscan import summarise

    scan = state.scan
    terminalreporter.write_sep("-", "privacy and secret scan (tests/support/leakscan.py)")
    terminalreporter.write_line(
        f"read {scan.coverage()}; Azurite "
        f"{'read' if state.azurite_read else state.azurite_error or 'not started'}; "
        f"{state.test_records:,} records logged by the test code skipped; "
        f"{state.memory_stores:,} in-memory stores read after each test"
    )
    if scan.findings:
        terminalreporter.write_line(f"FAILED: {len(scan.findings)} findings", red=True, bold=True)
        terminalreporter.write_line(summarise(scan.findings))
    else:
        terminalreporter.write_line("findings: 0")
