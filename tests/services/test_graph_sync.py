"""Graph sync against a local stand-in for Graph and the token endpoint (tests/support/graph_standin.py)."""

from __future__ import annotations

import asyncio
import time

import msal.application
import pytest

from services.people.cli import main as people_cli
from services.people.graph_sync import GraphDirectory, GraphError, RetryPolicy, retry_after_seconds
from services.people.identity import Role
from tests.fakes import InMemoryTableStore
from tests.support import people as fx
from tests.support.graph_standin import CLIENT_ID, CLIENT_SECRET, TENANT, GraphStandIn

USERS = [
    {"id": fx.DX_HEALTH, "displayName": "健康 花子", "department": "健康福祉局 健康部", "jobTitle": "主査"},
    {"id": fx.MANAGER, "displayName": "福祉 部長", "department": "健康福祉局 健康部", "jobTitle": "健康部長"},
    {
        "id": "00000000-0000-4000-8000-000000000061",
        "displayName": "新規 一",
        "department": "土木部",
        "jobTitle": "主事",
    },
    {
        "id": "00000000-0000-4000-8000-000000000062",
        "displayName": "新規 二",
        "department": "税務部",
        "jobTitle": "財政局長",
    },
    {
        "id": "00000000-0000-4000-8000-000000000063",
        "displayName": "上司 なし",
        "department": "",
        "jobTitle": "",
    },
]
MANAGERS = {
    fx.DX_HEALTH: fx.MANAGER,
    "00000000-0000-4000-8000-000000000061": fx.MANAGER,
    "00000000-0000-4000-8000-000000000062": fx.ADMIN,
    fx.MANAGER: fx.ADMIN,
}


@pytest.fixture
async def standin(tmp_path):
    server = await GraphStandIn(users=list(USERS), managers=dict(MANAGERS)).start(tmp_path)
    yield server
    await server.stop()


@pytest.fixture
def sleeps():
    return []


def directory(standin: GraphStandIn, sleeps: list[float], **kwargs) -> GraphDirectory:
    session = standin.session()
    return GraphDirectory(
        tenant_id=TENANT,
        client_id=CLIENT_ID,
        client_secret=kwargs.pop("secret", CLIENT_SECRET),
        base_url=standin.graph_base_url,
        authority_host=standin.url,
        session=session,
        sleep=sleeps.append,
        **kwargs,
    )


async def test_users_follow_paging_and_share_one_cached_token(standin, sleeps):
    users = await asyncio.to_thread(directory(standin, sleeps).users)
    assert [u.object_id for u in users] == [u["id"] for u in USERS]
    assert sum(r.startswith("GET /v1.0/users?") for r in standin.requests) == 3  # 2 + 2 + 1
    assert users[0].department == "健康福祉局 健康部" and users[1].job_title == "健康部長"
    assert standin.token_requests == 1 and sleeps == []


async def test_a_user_with_no_manager(standin, sleeps):
    users = {u.object_id: u for u in await asyncio.to_thread(directory(standin, sleeps).users)}
    assert users[fx.DX_HEALTH].manager_id == fx.MANAGER
    assert users["00000000-0000-4000-8000-000000000063"].manager_id == ""


async def test_429_is_retried_after_retry_after(standin, sleeps):
    standin.fail("/v1.0/users", 429, {"Retry-After": "7"})
    standin.fail("/v1.0/users/", 503)
    users = await asyncio.to_thread(directory(standin, sleeps).users)
    assert len(users) == 5
    assert sleeps[0] == 7.0  # honoured Retry-After
    assert 0 < sleeps[1] <= 1.0  # the 503: exponential backoff with jitter (first step: ≤ base delay)


async def test_giving_up_after_the_last_attempt(standin, sleeps):
    for _ in range(3):
        standin.fail("/v1.0/users", 502)
    with pytest.raises(GraphError, match="502"):
        await asyncio.to_thread(directory(standin, sleeps, retry=RetryPolicy(attempts=3)).users)
    assert len(sleeps) == 2


async def test_a_token_graph_calls_expired_is_refreshed(standin, sleeps):
    graph = directory(standin, sleeps)
    await asyncio.to_thread(graph.users)
    standin.expire_all_tokens()
    users = await asyncio.to_thread(graph.users)
    assert len(users) == 5 and standin.token_requests == 2


async def test_a_token_past_its_lifetime_is_not_reused(standin, sleeps, monkeypatch):
    graph = directory(standin, sleeps)
    await asyncio.to_thread(graph.users)
    await asyncio.to_thread(graph.users)
    assert standin.token_requests == 1  # cached
    later = time.time() + 2 * 3600
    monkeypatch.setattr(msal.application.time, "time", lambda: later)
    await asyncio.to_thread(graph.users)
    assert standin.token_requests == 2


async def test_a_bad_secret_is_a_clear_error(standin, sleeps):
    with pytest.raises(GraphError, match="invalid_client"):
        await asyncio.to_thread(directory(standin, sleeps, secret="wrong").users)


def test_retry_after_as_an_http_date():
    from datetime import UTC, datetime

    now = datetime(2026, 11, 26, 1, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Thu, 26 Nov 2026 01:00:30 GMT", lambda: now) == 30.0
    assert retry_after_seconds("12") == 12.0 and retry_after_seconds("soon") is None


async def test_sync_graph_cli_updates_the_roster(standin, monkeypatch, tmp_path, capsys):
    store = InMemoryTableStore()
    people = fx.load_fixtures(store)
    for name, value in {
        "GRAPH_TENANT_ID": TENANT,
        "GRAPH_CLIENT_ID": CLIENT_ID,
        "GRAPH_CLIENT_SECRET": CLIENT_SECRET,
        "GRAPH_BASE_URL": standin.graph_base_url,
        "GRAPH_AUTHORITY_HOST": standin.url,
        "DATA_DIR": str(tmp_path),
    }.items():
        monkeypatch.setenv(name, value)
    session = standin.session()
    code = await asyncio.to_thread(people_cli, ["sync-graph"], store=store, graph_session=session)
    out = capsys.readouterr().out
    assert code == 0 and "Graph から 5人" in out and "上司なし 1人" in out
    manager = people.resolve(fx.MANAGER)
    assert sorted(g.label for g in manager.grants) == ["管理職（健康福祉局/健康部）", "管理職（健康福祉局）"]
    new_head = people.resolve("00000000-0000-4000-8000-000000000062")
    assert new_head.scopes(Role.MANAGER)[0].path == "財政局" and new_head.manager_id == fx.ADMIN
    assert people.resolve(fx.DX_HEALTH).has(Role.DX_PRO)  # the roster's role stays
