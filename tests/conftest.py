"""Shared pytest fixtures. Keep each group in its own section."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# --- Azurite (Azure Table Storage emulator); machinery in tests/support/azurite.py ---------------


@pytest.fixture(scope="session")
def azurite_connection_string() -> Iterator[str]:
    """Connection string of an Azurite table service started once for the whole session.

    Skips when Azurite is not installed, except with ``CI=true``, where that fails.
    """
    from tests.support.azurite import running_azurite

    with running_azurite() as connection_string:
        yield connection_string
