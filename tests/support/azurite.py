"""Start and stop Azurite's table service for the tests (DESIGN §5 and §9).

``tests/conftest.py`` exposes :func:`running_azurite` as the session fixture
``azurite_connection_string``. Azurite comes from ``node_modules`` (pinned in package.json).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AZURITE_TABLE = ROOT / "node_modules" / ".bin" / "azurite-table"
AZURITE_CONSTANTS = ROOT / "node_modules" / "azurite" / "dist" / "src" / "table" / "utils" / "constants.js"
ACCOUNT = "devstoreaccount1"
# The well-known, public development key of Azurite's default account.
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
START_TIMEOUT_SECONDS = 20.0
STOP_TIMEOUT_SECONDS = 10.0
START_ATTEMPTS = 3  # a free port can be taken between choosing it and Azurite binding it


def connection_string(port: int) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
        f"TableEndpoint=http://127.0.0.1:{port}/{ACCOUNT};"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def missing_azurite(reason: str) -> None:
    """Fail in CI (a test that cannot run there is a broken build), skip elsewhere."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason)


def sdk_api_version_is_known() -> bool:
    """Whether Azurite accepts the API version azure-data-tables sends.

    If either version cannot be read, answer False: ``--skipApiVersionCheck`` is harmless.
    """
    try:
        from azure.data.tables._generated._configuration import AzureTableConfiguration

        sdk_version = AzureTableConfiguration(url="http://127.0.0.1").version
        text = AZURITE_CONSTANTS.read_text(encoding="utf-8")
        block = re.search(r"ValidAPIVersions\s*=\s*\[(.*?)\]", text, re.S)
        return block is not None and f'"{sdk_version}"' in block.group(1)
    except Exception:  # noqa: BLE001 - any doubt means "skip the check"
        return False


@contextmanager
def running_azurite() -> Iterator[str]:
    """Run ``azurite-table`` on a free loopback port; yield its connection string."""
    if not AZURITE_TABLE.exists():
        missing_azurite(f"Azurite is not installed ({AZURITE_TABLE} is missing; run `npm ci`)")
    if shutil.which("node") is None:
        missing_azurite("Azurite needs Node.js, and `node` is not on PATH")
    extra = [] if sdk_api_version_is_known() else ["--skipApiVersionCheck"]
    with tempfile.TemporaryDirectory(prefix="azurite-") as workdir:
        failures: list[str] = []
        for _ in range(START_ATTEMPTS):
            port = free_port()
            log_path = Path(workdir) / f"azurite-{port}.log"
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    [
                        str(AZURITE_TABLE),
                        "--tableHost",
                        "127.0.0.1",
                        "--tablePort",
                        str(port),
                        "--inMemoryPersistence",
                        "--disableTelemetry",
                        "--silent",
                        *extra,
                    ],
                    cwd=workdir,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # a Ctrl-C in the terminal is ours to forward
                )
            try:
                if _wait_until_listening(process, port, log_path):
                    yield connection_string(port)
                    return
                failures.append(log_path.read_text(encoding="utf-8", errors="replace")[-2000:])
            finally:
                _stop(process)
        pytest.fail("Azurite did not start:\n" + "\n---\n".join(failures), pytrace=False)


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, log_path: Path) -> bool:
    """True once *our* process says it started and the port accepts connections."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False  # e.g. EADDRINUSE: somebody took the port first
        started = b"successfully started" in log_path.read_bytes()
        if started and _port_answers(port):
            return True
        time.sleep(0.1)
    return False


def _port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
