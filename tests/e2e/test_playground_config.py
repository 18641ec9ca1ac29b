"""The Playground's test tenant: the committed config, and its users against the test roster.

Not marked e2e: no browser or Playground needed, so ``make test-fast`` runs it too.
"""

from __future__ import annotations

import csv

import pytest

from tests.support.playground import (
    COMMITTED_CONFIG,
    DEFAULT_USER,
    ROSTER_FILE,
    TEST_USERS,
    render_config,
)


def test_the_committed_config_is_the_generated_one():
    assert COMMITTED_CONFIG.read_text(encoding="utf-8") == render_config(DEFAULT_USER), (
        "playground/.m365agentsplayground.yml is stale: regenerate it with "
        "`.venv/bin/python -m tests.support.playground > playground/.m365agentsplayground.yml`"
    )


@pytest.mark.parametrize("current", list(TEST_USERS))
def test_every_user_can_be_the_current_one_with_exactly_five_others(current):
    text = render_config(current)
    users_block = text.split("\nusers:\n", 1)[1].split("\npersonalChat:", 1)[0]
    assert users_block.count("\n  - id: ") + users_block.startswith("  - id: ") == 5  # the Playground's rule
    assert f'aadObjectId: "{TEST_USERS[current].object_id}"' in text.split("\nusers:\n", 1)[0]
    assert len({u.id for u in TEST_USERS.values()}) == 6
    assert len({u.personal_chat_id for u in TEST_USERS.values()}) == 6


def test_the_playground_users_are_the_test_roster():
    with ROSTER_FILE.open(encoding="utf-8-sig", newline="") as f:
        rows = {row["オブジェクトID"]: row for row in csv.DictReader(f)}
    for user in TEST_USERS.values():
        row = rows.get(user.object_id)
        assert row is not None, f"{user.name} ({user.object_id}) is not in {ROSTER_FILE.name}"
        assert row["氏名"] == user.name
        assert row["ロール"] == user.role
        assert (row.get("ロール対象") or "") == user.scope
