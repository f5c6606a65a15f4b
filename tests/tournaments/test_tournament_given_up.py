"""A tournament its supervisor gives up on frees its participants."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import trio
from trio.testing import MockClock

from courtside.persistence.tournaments import Tournaments
from courtside.server.node import Node
from tests.accounts import make_user

from .conftest import create_tournament, joined

TIMEOUT = 120.0  # virtual seconds


class DatabaseDown(Exception):
    pass


async def test_participants_of_a_tournament_that_keeps_crashing_are_not_left_busy(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    players = [await make_user(client, f"player{i}") for i in range(7)]
    alice = players[0]
    cup = await create_tournament(client, alice, size=8)
    await joined(client, cup["code"], *players[1:6])

    async def down(self: Tournaments, *args: Any, **kwargs: Any) -> None:
        raise DatabaseDown()

    with trio.fail_after(TIMEOUT):
        await joined(client, cup["code"], players[6])  # 7 of 8: the countdown starts
        monkeypatch.setattr(Tournaments, "start", down)  # the countdown's end fails
        monkeypatch.setattr(Tournaments, "get", down)  # every restart fails reading its row
        while f"tournament:{cup['code']}" not in node.services.supervisor.failed:
            await trio.sleep(1.0)
    monkeypatch.undo()
    lobby = await client.post("/api/play/lobby/", json={"game_mode": "custom_game"},
                              headers=alice.headers)
    assert lobby.status_code == 201, lobby.text
