"""An Azurite of a test's own that the test may stop, restart and freeze (storage outage tests).

Never do this to the session's shared Azurite (``tests/conftest.py``): other tests use it. This one
keeps its data on disk (``--location``), so a stopped Azurite comes back on the same port with what
it had stored: the bot's connection string stays valid and nothing Azurite acknowledged is gone.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path

from tests.support.azurite import (
    AZURITE_TABLE,
    STOP_TIMEOUT_SECONDS,
    _wait_until_listening,
    connection_string,
    free_port,
    missing_azurite,
    sdk_api_version_is_known,
)


class AzuriteProcess:
    """``start()``, then ``stop()`` (SIGINT: the process exits after saving its data) and ``start()``
    again on the same port, or ``freeze()`` (SIGSTOP: the port still accepts connections, nothing
    answers) and ``thaw()`` (SIGCONT)."""

    def __init__(self, workdir: Path) -> None:
        if not AZURITE_TABLE.exists():
            missing_azurite(f"Azurite is not installed ({AZURITE_TABLE} is missing; run `npm ci`)")
        if shutil.which("node") is None:
            missing_azurite("Azurite needs Node.js, and `node` is not on PATH")
        self.workdir = workdir
        self.port = free_port()
        self.connection_string = connection_string(self.port)
        self._process: subprocess.Popen[bytes] | None = None
        self._frozen = False
        self._starts = 0

    def start(self) -> None:
        self._starts += 1
        location = self.workdir / "data"
        location.mkdir(parents=True, exist_ok=True)
        log_path = self.workdir / f"azurite-{self._starts}.log"
        extra = [] if sdk_api_version_is_known() else ["--skipApiVersionCheck"]
        with log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [
                    str(AZURITE_TABLE),
                    "--tableHost",
                    "127.0.0.1",
                    "--tablePort",
                    str(self.port),
                    "--location",
                    str(location),
                    "--disableTelemetry",
                    "--silent",
                    *extra,
                ],
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if not _wait_until_listening(self._process, self.port, log_path):
            text = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
            self._kill()
            raise RuntimeError(f"Azurite did not start on port {self.port}:\n{text}")

    def stop(self) -> None:
        """Stop the process and wait until it is gone. SIGINT, because it is the signal Azurite
        handles: it saves its data and exits (on SIGTERM or SIGKILL it loses what it stored in the
        last 5 s, its autosave interval, which would be Azurite's loss, not the bot's)."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        self.thaw()
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self._kill()

    def freeze(self) -> None:
        if self._process is not None and not self._frozen:
            self._process.send_signal(signal.SIGSTOP)
            self._frozen = True

    def thaw(self) -> None:
        if self._process is not None and self._frozen:
            self._process.send_signal(signal.SIGCONT)
            self._frozen = False

    def close(self) -> None:
        self.stop()

    def _kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGCONT)
            self._process.kill()
            self._process.wait(timeout=STOP_TIMEOUT_SECONDS)
