"""A tournament whose database fails for one request: a 503 for it, and the tournament goes on."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest

from courtside.persistence.tournaments import Tournaments
from courtside.server.node import Node
from tests.accounts import make_user

from .conftest import TOURNAMENT, create_tournament, join


def fail_once(monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    """The repository's ``method`` raises as a dropped connection would, the next time only."""
    original = getattr(Tournaments, method)
    failures: list[str] = []

    async def dropped_once(self: Tournaments, *args: Any, **kwargs: Any) -> Any:
        if not failures:
            failures.append(method)
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(Tournaments, method, dropped_once)


async def test_a_database_failure_in_a_join_or_leave_is_a_503_and_the_tournament_lives_on(
    client: httpx.AsyncClient, node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    host, bob = await make_user(client, "host"), await make_user(client, "bob")
    code = (await create_tournament(client, host))["code"]
    restarts = node.services.supervisor.restarts

    fail_once(monkeypatch, "join")
    failed = await join(client, bob, code)
    assert (failed.status_code, failed.json()["code"]) == (503, "tournament_unavailable"), failed.text
    assert (await join(client, bob, code)).status_code == 201

    fail_once(monkeypatch, "leave")
    failed = await client.delete(f"{TOURNAMENT}{code}/", headers=bob.headers)
    assert (failed.status_code, failed.json()["code"]) == (503, "tournament_unavailable"), failed.text
    assert (await client.delete(f"{TOURNAMENT}{code}/", headers=bob.headers)).status_code == 204
    # The same actor answered throughout: nothing crashed, nothing restarted.
    assert node.services.supervisor.restarts == restarts
    shown = await client.get(TOURNAMENT, headers=host.headers)
    assert [p["id"] for p in shown.json()["participants"]] == [host.id]
