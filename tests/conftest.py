"""Shared pytest fixtures. Keep each group in its own section."""

from __future__ import annotations

import os
from collections.abc import Iterator

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
def azurite_connection_string() -> Iterator[str]:
    """Connection string of an Azurite table service started once for the whole session.

    Skips when Azurite is not installed, except with ``CI=true``, where that fails.
    """
    from tests.support.azurite import running_azurite

    with running_azurite() as connection_string:
        yield connection_string
