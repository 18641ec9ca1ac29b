"""What the HTTP flow tests of every programme share: the seeded store, the meeting-day clock, and
an ``Action.Execute`` posted as a user whose card answer is returned."""

from __future__ import annotations

from datetime import datetime

from services.kernel.seed import load_seed, seed_store
from services.kernel.settings import TIMEZONE
from tests.support import people as fx
from tests.support.activities import execute_invoke

MEETING_DAY = datetime(2023, 9, 20, 10, 0, tzinfo=TIMEZONE)


def seeded(store):
    """``store`` with the meeting material's seed and the test roster."""
    seed_store(store, load_seed())
    fx.load_fixtures(store)
    return store


async def invoke(client, connector, user: str, verb: str, data: dict | None = None) -> dict:
    """Post an ``Action.Execute`` as ``user``; the card the invoke answers with."""
    response = await client.post(
        "/api/messages", json=execute_invoke(connector.url, verb, data, user_aad=user)
    )
    assert response.status == 200
    return (await response.json())["value"]
