"""The Makefile: `make help` lists every target, the app's settings are never overridden (the app
reads .env itself), `make demo` starts the clock at the meeting day, and `make test` lints first.

Only `make -n` (print, do not run) and `make help` are used: nothing is installed or started."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from services.kernel.settings import TIMEZONE, Settings

ROOT = Path(__file__).resolve().parent.parent
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def make(*args: str) -> str:
    result = subprocess.run(["make", "-s", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def phony_targets() -> list[str]:
    match = re.search(r"^\.PHONY:((?:.*\\\n)*.*)$", MAKEFILE, re.M)
    assert match
    return match.group(1).replace("\\\n", " ").split()


def test_make_help_lists_every_target():
    listed = re.findall(r"^  make (\S+)", make("help"), re.M)
    assert sorted(listed) == sorted(phony_targets())
    assert {"run", "demo", "playground", "test", "lint", "reset"} <= set(listed)


def test_the_makefile_sets_no_setting_of_the_app():
    for name in ("BOT_PORT", "DATA_DIR", "BOT_HOST", "BOT_CLOCK_START"):
        assert not re.search(rf"^{name}\s*[:?]?=", MAKEFILE, re.M), name
    assert make("-n", "run", "-W", "requirements.txt").splitlines()[-1] == ".venv/bin/python app.py --seed"


def test_make_demo_starts_the_clock_at_the_meeting_day():
    start = re.search(r"^DEMO_CLOCK_START \?= (\S+)$", MAKEFILE, re.M).group(1)
    assert Settings.from_env({"BOT_CLOCK_START": start}).clock_start == datetime(
        2023, 8, 8, 9, tzinfo=TIMEZONE
    )
    demo = make("-n", "demo", "-W", "requirements.txt").splitlines()[-1]
    assert demo.startswith(f"BOT_CLOCK_START={start} DATA_DIR=") and demo.endswith("app.py --seed")


def test_make_test_lints_and_type_checks_before_pytest():
    recipe = re.search(r"^lint:.*\n((?:\t.*\n)+)", MAKEFILE, re.M).group(1)
    assert "ruff check ." in recipe and "ruff format --check ." in recipe and "pyright" in recipe
    assert re.search(r"^test: lint\b", MAKEFILE, re.M)
